#include "core/manifest/variables.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "core/manifest/document.h"
#include "core/manifest/git_variables.h"
#include "core/manifest/text.h"
#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::manifest {
namespace {

namespace fs = std::filesystem;
using util::trim;

constexpr int kMaxDepth = 32;

YAML::Node typed_node(const std::string& text, const char* tag) {
  YAML::Node node(text);
  node.SetTag(tag);
  return node;
}
YAML::Node string_node(const std::string& text) {
  return typed_node(text, "!");
}

bool is_quoted(std::string_view s) {
  return s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front();
}

// Index of the `}` closing a `${` whose content starts at `from`, stepping over nested
// variables and quoted literals; npos when there is none. Adds the characters it looked at to
// `work`.
size_t closing_brace(std::string_view s, size_t from, size_t& work) {
  int depth = 1;
  size_t i = from;
  for (; i < s.size(); ++i) {
    if (s.compare(i, 2, "${") == 0) {
      ++depth;
      ++i;
    } else if (s[i] == '}' && --depth == 0) {
      work += i - from;
      return i;
    } else if (s[i] == '\'' || s[i] == '"') {
      const size_t quote = s.find(s[i], i + 1);
      if (quote == std::string_view::npos) break;
      i = quote;
    }
  }
  work += i - from;
  return std::string_view::npos;
}

// The end of the `[a-z][A-Za-z0-9]*` source name starting at `i`, or npos when there is none.
size_t source_end(std::string_view s, size_t i) {
  if (i >= s.size() || !text::is_lower(s[i])) return std::string_view::npos;
  while (++i < s.size() && text::is_alnum(s[i])) {
  }
  return i;
}

// `${AWS::Region}`, `${MyParam}` and the like belong to CloudFormation: a variable of ours
// names a lower-case source followed by `:` or `(`, i.e. starts /^\s*[a-z][A-Za-z0-9]*\s*[:(]/.
bool is_variable(std::string_view content) {
  size_t i = source_end(content, text::skip_space(content, 0));
  if (i == std::string_view::npos) return false;
  i = text::skip_space(content, i);
  return i < content.size() && (content[i] == ':' || content[i] == '(');
}

// A variable's `source(argument): address`, where the argument and the address are optional.
struct Form {
  std::string_view source;
  std::optional<std::string_view> argument;
  std::optional<std::string_view> address;
};

// Reads `s` as /^([a-z][A-Za-z0-9]*)\s*(?:\((.*)\))?\s*(?::([\s\S]*))?$/ would, groups and
// all: the argument runs to the last `)` on its line that leaves only spaces and an optional
// `:address` after it.
std::optional<Form> parse_form(std::string_view s) {
  const size_t end = source_end(s, 0);
  if (end == std::string_view::npos) return std::nullopt;
  Form form{s.substr(0, end), std::nullopt, std::nullopt};
  // /\s*(?::([\s\S]*))?$/ from `i`.
  auto address_from = [&](size_t i) {
    i = text::skip_space(s, i);
    if (i < s.size() && s[i] == ':') form.address = s.substr(i + 1);
    return i == s.size() || s[i] == ':';
  };
  const size_t open = text::skip_space(s, end);
  if (open == s.size() || s[open] != '(') {
    return address_from(open) ? std::optional(form) : std::nullopt;
  }
  size_t line_end = open + 1;
  while (line_end < s.size() && !text::is_line_break(s[line_end])) ++line_end;
  for (size_t close = line_end; close-- > open + 1;) {
    if (s[close] == ')' && address_from(close + 1)) {
      form.argument = s.substr(open + 1, close - open - 1);
      return form;
    }
  }
  return std::nullopt;
}

// A string cut into literal text and the contents of the variables in it.
struct Piece {
  bool variable;
  std::string text;
};

// Each `${` scans ahead for its `}`, so a value of thousands of nested or unclosed `${` would
// take quadratic time; such a value is refused (nullopt) once the scanning passes a bound
// that real values, whose variables close nearby, never come near.
std::optional<std::vector<Piece>> split_pieces(std::string_view s) {
  std::vector<Piece> pieces;
  std::string literal;
  size_t work = 0;
  const size_t budget = 64 * s.size() + 65536;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "\\${") == 0) {
      literal += "${";
      i += 3;
      continue;
    }
    if (s.compare(i, 2, "${") == 0) {
      const size_t end = closing_brace(s, i + 2, work);
      if (work > budget) return std::nullopt;
      if (end != std::string_view::npos && is_variable(s.substr(i + 2, end - i - 2))) {
        if (!literal.empty()) pieces.push_back({false, std::move(literal)});
        literal.clear();
        pieces.push_back({true, std::string(s.substr(i + 2, end - i - 2))});
        i = end + 1;
        continue;
      }
    }
    literal += s[i++];
  }
  if (!literal.empty()) pieces.push_back({false, std::move(literal)});
  return pieces;
}

// The comma-separated alternatives of `a, b, 'c'`, ignoring commas inside nested variables,
// parentheses and quotes.
std::vector<std::string> split_alternatives(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      const size_t end = s.find(c, i + 1);
      if (end == std::string_view::npos) break;
      i = end;
    } else if (c == '{' || c == '(') {
      ++depth;
    } else if (c == '}' || c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

std::vector<std::string> split_dots(const std::string& address) {
  std::vector<std::string> parts;
  std::stringstream in(address);
  for (std::string part; std::getline(in, part, '.');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::optional<YAML::Node> child_of(const YAML::Node& node, const std::string& name) {
  if (node.IsMap()) {
    bool merges = false;
    for (const auto& entry : node) {  // own keys first, without copying the map's entries
      const YAML::Node key = entry.first;
      if (key.Scalar() == name && !(name == "<<" && key.Tag() == "?")) return entry.second;
      merges = merges || (key.Scalar() == "<<" && key.Tag() == "?");
    }
    if (!merges) return std::nullopt;
    for (const auto& [key, value] : map_entries(node)) {
      if (key.Scalar() == name) return value;
    }
  } else if (node.IsSequence()) {
    size_t index = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (ec == std::errc() && end == name.data() + name.size() && index < node.size()) {
      return node[index];
    }
  }
  return std::nullopt;
}

std::string child_key(const std::string& key, const YAML::Node& parent, const std::string& name) {
  if (parent.IsSequence()) return fmt::format("{}[{}]", key, name);
  return key.empty() ? name : key + "." + name;
}

bool defined(const YAML::Node& node) {
  return node.IsDefined() && !node.IsNull();
}

}  // namespace

ScalarType scalar_type(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarType::null;
  const std::string& tag = node.Tag();
  if (!tag.empty() && tag != "?") return ScalarType::string;  // quoted, !!str or !Ref-like
  const std::string& s = node.Scalar();
  if (s == "~" || s == "null" || s == "Null" || s == "NULL") return ScalarType::null;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::boolean;
  }
  return text::is_number(s) ? ScalarType::number : ScalarType::string;
}

std::string scalar_text(const YAML::Node& node) {
  if (scalar_type(node) != ScalarType::boolean) return node.Scalar();
  return std::tolower(node.Scalar()[0]) == 't' ? "true" : "false";
}

std::vector<std::pair<YAML::Node, YAML::Node>> map_entries(const YAML::Node& map) {
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  std::vector<YAML::Node> merged;
  for (const auto& entry : map) {
    const YAML::Node key = entry.first, value = entry.second;
    if (key.Scalar() == "<<" && key.Tag() == "?") {
      if (value.IsSequence()) {
        for (const auto& base : value) merged.push_back(base);
      } else {
        merged.push_back(value);
      }
    } else {
      entries.emplace_back(key, value);
    }
  }
  if (merged.empty()) return entries;
  std::unordered_set<std::string> seen;
  for (const auto& entry : entries) seen.insert(entry.first.Scalar());
  for (const auto& base : merged) {
    if (!base.IsMap()) continue;
    for (auto& [key, value] : map_entries(base)) {
      if (seen.insert(key.Scalar()).second) entries.emplace_back(key, value);
    }
  }
  return entries;
}

SourceMark mark_of(const YAML::Node& node, const std::string& file, const SourceMark& fallback) {
  // yaml-cpp marks an empty value at the start of the next line, which helps nobody.
  if (!node.IsDefined() || node.IsNull() || node.Mark().is_null()) return fallback;
  return {file, node.Mark().line + 1, node.Mark().column + 1};
}

struct Resolver::Impl {
  // Where the value being resolved is, for messages.
  struct Where {
    const std::string& key;
    const SourceMark& mark;
  };

  // What one source gave: a value, or why not and what would help.
  struct Found {
    YAML::Node node;
    std::string why = {};
    std::string hint = {};
  };

  YAML::Node root;
  VariableContext context;
  std::map<std::string, YAML::Node> cache;  // the document's resolved values by dotted key
  std::vector<std::string> in_progress;     // keys being resolved, to name a cycle
  std::map<fs::path, YAML::Node> files;     // file() contents as read
  std::map<std::string, std::optional<std::string>> aws_reads;  // ${cf:}/${s3:} answers
  int depth = 0;

  [[noreturn]] void fail(const Where& where, const std::string& what, std::string hint = {}) {
    // Values quoted in `what` come from the manifest: one line, and not the whole of a huge one.
    throw Error(fmt::format("{}: {}: {}", where.mark.str(), text::printable(where.key, 160),
                            text::printable(what, 600)),
                text::printable(hint, 600));
  }

  // `own` nodes belong to the manifest, so their keys and marks are real and can be cached;
  // others come from file() and are reported at the variable that read them.
  YAML::Node resolve(const YAML::Node& node, const std::string& key, const SourceMark& mark,
                     bool own) {
    if (own) {
      if (auto it = cache.find(key); it != cache.end()) return it->second;
      if (auto it = std::find(in_progress.begin(), in_progress.end(), key);
          it != in_progress.end()) {
        std::string chain;
        for (; it != in_progress.end(); ++it) chain += *it + " -> ";
        fail({key, mark}, "circular reference: " + chain + key,
             "break the cycle: one of these values must not depend on the others");
      }
      in_progress.push_back(key);
    }
    YAML::Node out;
    if (node.IsMap()) {
      out = YAML::Node(YAML::NodeType::Map);
      for (const auto& [k, v] : map_entries(node)) {
        const std::string child = child_key(key, node, k.Scalar());
        out[k.Scalar()] = resolve(v, child, own ? mark_of(v, context.file, mark) : mark, own);
      }
    } else if (node.IsSequence()) {
      out = YAML::Node(YAML::NodeType::Sequence);
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string child = child_key(key, node, std::to_string(i));
        out.push_back(
            resolve(node[i], child, own ? mark_of(node[i], context.file, mark) : mark, own));
      }
    } else if (node.IsScalar()) {
      out = resolve_string(node, {key, mark});
    } else {
      out = node;
    }
    // A short-form CloudFormation function on a list or map (!Join [..], !If [..]) stays one
    // after its variables are resolved: the readers tell AWS-only values by that tag.
    if ((node.IsMap() || node.IsSequence()) && node.Tag().size() > 1 && node.Tag()[0] == '!')
      out.SetTag(node.Tag());
    if (own) {
      in_progress.pop_back();
      cache.emplace(key, out);
    }
    return out;
  }

  std::vector<Piece> pieces_of(std::string_view s, const Where& where) {
    auto pieces = split_pieces(s);
    if (!pieces) {
      fail(where, "too many '${' that nest in each other or never close",
           "write a literal ${ as \\${, or split the value");
    }
    return std::move(*pieces);
  }

  YAML::Node resolve_string(const YAML::Node& node, const Where& where) {
    const std::string& s = node.Scalar();
    if (s.find("${") == std::string::npos) return node;
    const auto pieces = pieces_of(s, where);
    if (pieces.size() == 1 && pieces[0].variable) return resolve_variable(pieces[0].text, where);
    const std::string text = interpolate(pieces, where);
    return text == s ? node : string_node(text);
  }

  std::string interpolate(const std::vector<Piece>& pieces, const Where& where) {
    std::string text;
    for (const auto& piece : pieces) {
      if (!piece.variable) {
        text += piece.text;
        continue;
      }
      const YAML::Node value = resolve_variable(piece.text, where);
      if (value.IsMap() || value.IsSequence()) {
        fail(where,
             fmt::format("${{{}}} is a {}, which cannot be part of a longer string",
                         text::printable(piece.text), value.IsMap() ? "map" : "list"),
             "make the variable the whole value, or point it at a string, number or boolean");
      }
      if (defined(value)) text += scalar_text(value);
    }
    return text;
  }

  YAML::Node resolve_variable(const std::string& content, const Where& where) {
    std::vector<std::string> reasons;
    std::string hint;
    if (auto found = find(content, where, reasons, hint)) return *found;
    const std::string shown = text::printable(content);
    fail(where, fmt::format("cannot resolve ${{{}}}: {}", shown, fmt::join(reasons, "; ")),
         fmt::format("{}, or add a fallback: ${{{}, 'default'}}", hint, shown));
  }

  // The first alternative of `content` that has a value; otherwise nullopt, with the reasons.
  std::optional<YAML::Node> find(const std::string& content, const Where& where,
                                 std::vector<std::string>& reasons, std::string& hint) {
    if (depth >= kMaxDepth) {
      fail(where,
           fmt::format("variables nest more than {} deep at ${{{}}}", kMaxDepth,
                       text::printable(content)),
           "look for a file() that reads itself");
    }
    ++depth;
    std::optional<YAML::Node> result;
    for (const auto& alternative : split_alternatives(content)) {
      if (auto called = call_function(alternative, where)) {
        result = *called;
        break;
      }
      if (auto literal = read_literal(alternative, where)) {
        result = *literal;
        break;
      }
      const auto pieces = pieces_of(alternative, where);
      if (pieces.size() == 1 && pieces[0].variable) {  // ${a, ${b}}: the inner one keeps its type
        if ((result = find(pieces[0].text, where, reasons, hint))) break;
        continue;
      }
      Found found = lookup(interpolate(pieces, where), where);
      if (defined(found.node)) {
        result = found.node;
        break;
      }
      reasons.push_back(found.why);
      if (hint.empty()) hint = found.hint;
    }
    --depth;
    return result;
  }

  std::optional<YAML::Node> read_literal(const std::string& text, const Where& where) {
    if (is_quoted(text)) {
      return string_node(interpolate(pieces_of(text.substr(1, text.size() - 2), where), where));
    }
    if (text == "true" || text == "false" || text::is_decimal(text)) {
      return typed_node(text, "?");
    }
    if (text == "null") return YAML::Node(YAML::NodeType::Null);
    return std::nullopt;
  }

  Found lookup(const std::string& text, const Where& where) {
    const auto form = parse_form(text);
    if (!form || (!form->argument && !form->address)) {
      fail(where, fmt::format("'{}' is neither a variable nor a literal", text),
           fmt::format("quote a literal string: '{}'", text));
    }
    const std::string source(form->source);
    const std::string argument = trim(form->argument.value_or(""));
    const std::string address = trim(form->address.value_or(""));
    if (source == "self") return self(address);
    if ((source == "opt" || source == "env") && address.empty()) {
      fail(where,
           fmt::format("${{{}:}} names no {}", source,
                       source == "opt" ? "option" : "environment variable"),
           fmt::format("e.g. ${{{}}}", source == "opt" ? "opt:stage" : "env:HOME"));
    }
    if (source == "opt") {
      if (auto it = context.opts.find(address); it != context.opts.end()) {
        return {string_node(it->second)};
      }
      return {{},
              fmt::format("no --{} option was given", address),
              fmt::format("pass --{} VALUE", address)};
    }
    if (source == "env") {
      if (auto value = context.getenv(address)) return {string_node(*value)};
      return {{}, fmt::format("the environment variable {} is not set", address), "set it"};
    }
    if (source == "sls") {
      if (address == "stage") return {string_node(effective("stage", "dev"))};
      if (address == "instanceId") return {string_node(context.instance_id)};
      fail(where, fmt::format("unknown variable sls:{}", address),
           "use sls:stage or sls:instanceId");
    }
    if (source == "aws") {
      if (address == "region") return {string_node(effective("region", "us-east-1"))};
      if (address == "accountId") return {string_node("000000000000")};
      fail(where, fmt::format("unknown variable aws:{}", address),
           "use aws:region or aws:accountId");
    }
    if (source == "file") return file(argument, address, where);
    if (source == "param") return param(address);
    if (source == "cf" || source == "s3") return from_aws(source, argument, address, where);
    if (source == "git") {  // core/manifest/git_variables.cpp
      GitValue git = git_variable(context.dir, address);
      if (git.unknown) fail(where, git.why, git.hint);
      if (git.value) return {string_node(*git.value)};
      return {{}, git.why, git.hint};
    }
    if (source == "ssm") return ssm(argument, address, where);  // variables_ssm.cpp
    if (form->argument)
      fail(where,
           fmt::format("'{}(...)' is no variable function the Serverless Framework has", source),
           "its functions are strToBool(...) and merge(...); a plugin's own sources are not "
           "read by fx");
    return {{},
            fmt::format("the '{}' source is not supported locally", source),
            "use a source fx resolves locally (self, opt, env, file, sls, aws, param, ssm, git)"};
  }

  // --- The framework's variable functions ------------------------------------------------
  //
  // strToBool is the one the framework's documentation (v3 and v4) lists; merge is its
  // ${merge(...)} as the framework's own proposal documents it (shallow, duplicate keys refused,
  // lists concatenated). Arguments are values in their own right: a variable that is a whole
  // argument keeps its type (a map for merge), a quoted one is text, anything else is its text.

  // The function call `text` makes, or nullopt when it is no call of a known function.
  std::optional<YAML::Node> call_function(const std::string& text, const Where& where) {
    const auto form = parse_form(text);
    if (!form || !form->argument || form->address) return std::nullopt;
    if (form->source != "strToBool" && form->source != "merge") return std::nullopt;
    std::vector<YAML::Node> args;
    const std::string inside = trim(*form->argument);
    if (!inside.empty())
      for (const auto& arg : split_alternatives(inside)) args.push_back(argument_value(arg, where));
    if (form->source == "strToBool") return str_to_bool(args, where);
    return merge(args, where);
  }

  YAML::Node argument_value(const std::string& text, const Where& where) {
    if (auto literal = read_literal(text, where)) return *literal;
    const auto pieces = pieces_of(text, where);
    if (pieces.size() == 1 && pieces[0].variable) return resolve_variable(pieces[0].text, where);
    return string_node(interpolate(pieces, where));
  }

  YAML::Node str_to_bool(const std::vector<YAML::Node>& args, const Where& where) {
    if (args.size() != 1 || !defined(args[0]))
      fail(where, "strToBool(...) takes one value: \"true\", \"false\", \"1\" or \"0\"",
           "e.g. ${strToBool(${env:FEATURE_ON})}");
    if (!args[0].IsScalar())
      fail(where,
           fmt::format("strToBool(...) takes text, got a {}", args[0].IsMap() ? "map" : "list"),
           "give it a string such as \"true\"");
    std::string v = util::ascii_lower(trim(scalar_text(args[0])));
    if (v == "true" || v == "1") return typed_node("true", "?");
    if (v == "false" || v == "0") return typed_node("false", "?");
    fail(where,
         fmt::format("strToBool(...) expected \"true\", \"false\", \"1\" or \"0\", got \"{}\"",
                     text::printable(scalar_text(args[0]), 100)),
         "fix the value it reads");
  }

  YAML::Node merge(const std::vector<YAML::Node>& args, const Where& where) {
    if (args.size() < 2)
      fail(where, fmt::format("merge(...) takes two or more maps or lists, got {}", args.size()),
           "e.g. ${merge(${self:custom.a}, ${self:custom.b})}");
    const bool lists =
        std::all_of(args.begin(), args.end(), [](auto& a) { return a.IsSequence(); });
    const bool maps = std::all_of(args.begin(), args.end(), [](auto& a) { return a.IsMap(); });
    if (!lists && !maps)
      fail(where, "merge(...) takes only maps or only lists",
           "make each argument a variable that is a map (or each a list)");
    if (lists) {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& a : args)
        for (const auto& item : a) out.push_back(item);
      return out;
    }
    YAML::Node out(YAML::NodeType::Map);
    std::map<std::string, size_t> first;
    for (size_t i = 0; i < args.size(); ++i) {
      for (const auto& [k, v] : map_entries(args[i])) {
        if (auto [it, fresh] = first.emplace(k.Scalar(), i); !fresh)
          fail(where,
               fmt::format("merge(...): key '{}' is in argument {} and in argument {}",
                           text::printable(k.Scalar(), 100), it->second + 1, i + 1),
               "a merge does not choose between values: keep the key in one of them");
        out[k.Scalar()] = v;
      }
    }
    return out;
  }

  // --- Sources only AWS can answer ------------------------------------------------------------

  // ${cf:stack.output}, ${cf(region):stack.output}, ${s3:bucket/key}: read from AWS when the
  // target is AWS; locally there is no such stack or bucket to read, so only a fallback helps.
  Found from_aws(const std::string& source, const std::string& argument, const std::string& address,
                 const Where& where) {
    const bool cf = source == "cf";
    const char separator = cf ? '.' : '/';
    const size_t at = address.find(separator);
    if (address.empty() || at == std::string::npos || at == 0 || at + 1 == address.size())
      fail(where,
           fmt::format("${{{}:{}}}: expected {}", source, text::printable(address, 200),
                       cf ? "STACK.OUTPUT" : "BUCKET/KEY"),
           cf ? "e.g. ${cf:other-service-dev.ApiUrl}" : "e.g. ${s3:my-bucket/config/key}");
    const std::string first = address.substr(0, at), second = address.substr(at + 1);
    std::string target = context.target;
    if (target.empty())
      if (auto t = descend(root, "custom.fx.target", "", true); t && t->IsScalar())
        target = scalar_text(*t);
    const std::string what = cf ? fmt::format("stack {}'s output {}", first, second)
                                : fmt::format("object {} of bucket {}", second, first);
    if (target != "aws")
      return {{},
              fmt::format("${{{}:...}} reads {} from AWS, and the target is not AWS", source, what),
              "deploy with --target aws to read it from AWS"};
    auto& read = cf ? context.aws.cf_output : context.aws.s3_object;
    if (!read)
      return {{}, fmt::format("fx cannot reach AWS to read {} here", what), "use --target aws"};
    std::string region = argument.empty() ? effective("region", "us-east-1") : argument;
    if (is_quoted(region)) region = region.substr(1, region.size() - 2);
    const std::string cache_key = source + "\n" + region + "\n" + address;
    auto it = aws_reads.find(cache_key);
    if (it == aws_reads.end()) {
      try {
        it = aws_reads
                 .emplace(cache_key, cf ? context.aws.cf_output(region, first, second)
                                        : context.aws.s3_object(region, first, second))
                 .first;
      } catch (const Error& e) {
        fail(where,
             fmt::format("reading {} from AWS for ${{{}:{}}}: {}", what, source,
                         text::printable(address, 200), e.what()),
             e.hint());
      }
    }
    if (it->second) return {string_node(*it->second)};
    return {{},
            cf ? fmt::format("there is no stack {} with output {} in {}", first, second, region)
               : fmt::format("bucket {} has no object {}", first, second),
            cf ? "deploy that stack first" : "upload it first"};
  }

  Found ssm(const std::string& argument, const std::string& address, const Where& where) {
    std::string target = context.target;
    if (target.empty())
      if (auto t = descend(root, "custom.fx.target", "", true); t && t->IsScalar())
        target = scalar_text(*t);
    SsmRead read = ssm_read(argument, address, effective("region", "us-east-1"));
    // A shared emulator (a target given by URL) keeps its own parameters: ask it, not FX_HOME.
    const bool remote = target.starts_with("http://") || target.starts_with("https://");
    auto& reader = target == "aws" ? context.aws.ssm_parameter : context.aws.local_parameter;
    if (remote ? !context.aws.emulator_parameter : !reader)
      return {{}, "fx cannot read SSM parameters here", "use --target aws"};
    std::optional<std::pair<std::string, std::string>> found;
    try {
      found = remote ? context.aws.emulator_parameter(target, read.name, read.decrypt)
                     : reader(read.region, read.name, read.decrypt);
    } catch (const Error& e) {
      fail(where, fmt::format("reading SSM parameter {}: {}", read.name, e.what()), e.hint());
    }
    if (found) return {ssm_value(read, found->first, found->second)};
    return {{},
            fmt::format("SSM parameter {} does not exist {}", read.name,
                        target == "aws" ? "in " + read.region
                        : remote        ? "on the emulator at " + target
                                        : "in the emulator's store"),
            target == "aws" || !context.aws.local_hint
                ? "create it first"
                : context.aws.local_hint(read.name, remote ? target : "")};
  }

  // ${sls:stage} is ${opt:stage, self:provider.stage, 'dev'}; ${aws:region} is its like.
  std::string effective(const std::string& option, const std::string& fallback) {
    if (auto it = context.opts.find(option); it != context.opts.end()) return it->second;
    auto node = descend(root, "provider." + option, "", true);
    return node && node->IsScalar() ? scalar_text(*node) : fallback;
  }

  Found self(const std::string& address) {
    if (auto node = descend(root, address, "", true)) return {*node};
    // Unset, these are what the service runs with, as the framework fills them in.
    if (address == "provider.stage") return {string_node(effective("stage", "dev"))};
    if (address == "provider.region") return {string_node(effective("region", "us-east-1"))};
    return {{}, fmt::format("'{}' is not set in {}", address, context.file), "set it"};
  }

  // The value at dotted `address` under `node`, resolving variables met on the way.
  std::optional<YAML::Node> descend(YAML::Node node, const std::string& address, std::string key,
                                    bool own, const SourceMark* at = nullptr) {
    const SourceMark top{context.file};
    auto mark = [&] { return own ? mark_of(node, context.file, top) : *at; };
    bool resolved = false;
    for (const auto& part : split_dots(address)) {
      if (!resolved && node.IsScalar() && node.Scalar().find("${") != std::string::npos) {
        node.reset(resolve(node, key, mark(), own));
        resolved = true;
      }
      auto child = child_of(node, part);
      if (!child || !defined(*child)) return std::nullopt;
      key = child_key(key, node, part);
      node.reset(*child);
    }
    if (!resolved) node.reset(resolve(node, key, mark(), own));
    return defined(node) ? std::optional(node) : std::nullopt;
  }

  Found file(const std::string& argument, const std::string& address, const Where& where) {
    const std::string name =
        is_quoted(argument) ? argument.substr(1, argument.size() - 2) : argument;
    const fs::path path = (context.dir / name).lexically_normal();
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (fs::is_directory(status)) {
      return {{},
              fmt::format("{} is a folder, not a file", name),
              fmt::format("name a file in {}", name)};
    }
    if (fs::exists(status) && !fs::is_regular_file(status)) {  // a FIFO would block forever
      return {{}, fmt::format("{} is not a regular file", name), "point file() at a regular file"};
    }
    if (!fs::is_regular_file(status)) {
      return {{}, fmt::format("{} does not exist", name), fmt::format("create {}", name)};
    }
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".js" || ext == ".cjs" || ext == ".mjs" || ext == ".ts") {
      fail(where, fmt::format("file({}) would run JavaScript, which fx does not do", name),
           "put the values in a YAML or JSON file");
    }
    if (const auto size = fs::file_size(path, ec); !ec && size > kMaxDocumentBytes) {
      fail(where,
           fmt::format("{} is {} MB; fx reads files of at most {} MB", name, size >> 20,
                       kMaxDocumentBytes >> 20),
           "read a smaller file");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(where, fmt::format("cannot read {}", name), "check its permissions");
    std::stringstream text;
    text << in.rdbuf();
    if (ext != ".yml" && ext != ".yaml" && ext != ".json") {  // plain text, taken as it is
      if (address.empty()) return {string_node(text.str())};
      return {{},
              fmt::format("{} is plain text, without '{}'", name, address),
              fmt::format("drop :{}", address)};
    }
    auto it = files.find(path);
    if (it == files.end()) {
      try {
        it = files.emplace(path, parse_document(text.str(), name, ext == ".json" ? "JSON" : "YAML"))
                 .first;
      } catch (const Error& e) {
        throw Error(e.what(),
                    fmt::format("{} ({} reads it at {})", e.hint(), where.key, where.mark.str()));
      }
    }
    const std::string key = address.empty() ? where.key : where.key + "(" + address + ")";
    if (auto node = descend(it->second, address, key, false, &where.mark)) return {*node};
    return {{}, fmt::format("{} has no '{}'", name, address), fmt::format("add it to {}", name)};
  }

  // Serverless v3 params: the stage's own first, then `default`.
  Found param(const std::string& name) {
    const std::string stage = effective("stage", "dev");
    for (const auto& section : {stage, std::string("default")}) {
      if (auto node = descend(root, "params." + section + "." + name, "", true)) return {*node};
    }
    return {{},
            fmt::format("neither params.{}.{} nor params.default.{} is set", stage, name, name),
            fmt::format("set params.default.{}", name)};
  }
};

Resolver::Resolver(const YAML::Node& root, VariableContext context)
    : impl_(new Impl{root, std::move(context), {}, {}, {}, {}, 0}) {}

Resolver::~Resolver() = default;

YAML::Node Resolver::resolve(const YAML::Node& node, const std::string& key,
                             const SourceMark& mark) {
  return impl_->resolve(node, key, mark, true);
}

}  // namespace fx::manifest
