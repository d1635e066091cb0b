// Parsing and checking of DynamoDB expressions (expression.h). Three passes, in DynamoDB's
// order of errors: the parse (syntax, redundant parentheses), then the checks DynamoDB makes
// walking the parse tree (function names and where they may be used, reserved words, list
// indexes, repeated update clauses), then validation (placeholders, path depth, operand
// counts and types, overlapping paths, the operator limit).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dynamodb/expression.h"
#include "core/dynamodb/expression_internal.h"
#include "core/util/hash.h"

namespace fx::dynamodb {

using detail::utf8_safe;

std::string_view expression_kind_name(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::condition:
      return "ConditionExpression";
    case ExpressionKind::filter:
      return "FilterExpression";
    case ExpressionKind::key_condition:
      return "KeyConditionExpression";
    case ExpressionKind::update:
      return "UpdateExpression";
    case ExpressionKind::projection:
      return "ProjectionExpression";
  }
  return "Expression";
}

std::string path_text(const Path& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i) out += ", ";
    if (path[i].is_index)
      out += "[" + std::to_string(path[i].index) + "]";
    else
      out += utf8_safe(path[i].name);
  }
  return out + "]";
}

// ---- ExpressionInputs ----

namespace {

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// DynamoDB's placeholder keys are parsed with its expression grammar's own rules.
void check_placeholder_key(const std::string& key, char sigil, std::string_view parameter) {
  const std::string prefix = std::string(parameter) + " contains invalid key: ";
  if (key.empty())
    throw ValidationError(prefix + "The expression attribute map contains an empty key;");
  if (detail::utf16_length(key) > 255)
    throw ValidationError(prefix +
                          "The expression attribute map contains a key that is too long; size "
                          "of key: " +
                          std::to_string(detail::utf16_length(key)));
  bool ok =
      key.size() >= 2 && key[0] == sigil && std::all_of(key.begin() + 1, key.end(), is_id_char);
  if (!ok) throw ValidationError(prefix + "Syntax error; key: \"" + utf8_safe(key) + "\"");
}

// The JSON of a Map<String, X> parameter must be an object.
void expect_object(const nlohmann::json& j, std::string_view value_class) {
  if (j.is_object()) return;
  if (j.is_array())
    throw SerializationError("Unrecognized collection type java.util.Map<java.lang.String, " +
                             std::string(value_class) + ">");
  throw SerializationError("Unexpected field type");
}

}  // namespace

ExpressionInputs::ExpressionInputs(const nlohmann::json* names, const nlohmann::json* values) {
  if (names != nullptr && !names->is_null()) {
    expect_object(*names, "java.lang.String");
    names_given_ = true;
    if (names->empty()) throw ValidationError("ExpressionAttributeNames must not be empty");
    for (auto it = names->begin(); it != names->end(); ++it) {
      if (it.value().is_null()) continue;
      check_placeholder_key(it.key(), '#', "ExpressionAttributeNames");
      const nlohmann::json& name = it.value();
      if (!name.is_string()) {
        if (name.is_object())
          throw SerializationError("Start of structure or map found where not expected");
        if (name.is_array())
          throw SerializationError("Unrecognized collection type class java.lang.String");
        throw SerializationError(
            std::string(name.is_boolean()
                            ? (name.get<bool>() ? "TRUE_VALUE" : "FALSE_VALUE")
                            : (name.is_number_float() ? "DECIMAL_VALUE" : "NUMBER_VALUE")) +
            " cannot be converted to String");
      }
      names_.emplace(it.key(), name.get<std::string>());
    }
  }
  if (values != nullptr && !values->is_null()) {
    expect_object(*values, "com.amazonaws.dynamodb.v20120810.AttributeValue");
    values_given_ = true;
    if (values->empty()) throw ValidationError("ExpressionAttributeValues must not be empty");
    for (auto it = values->begin(); it != values->end(); ++it)
      check_placeholder_key(it.key(), ':', "ExpressionAttributeValues");
    for (auto it = values->begin(); it != values->end(); ++it) {
      if (it.value().is_null()) continue;
      try {
        values_.emplace(it.key(), value_from_json(it.value()));
      } catch (const SerializationError&) {
        throw;
      } catch (const ValidationError& e) {
        throw ValidationError("ExpressionAttributeValues contains invalid value: " +
                              std::string(e.what()) + " for key " + it.key());
      }
    }
  }
}

const std::string* ExpressionInputs::use_name(std::string_view placeholder) {
  auto it = names_.find(placeholder);
  if (it == names_.end()) return nullptr;
  used_names_.emplace(placeholder);
  return &it->second;
}

const AttributeValue* ExpressionInputs::use_value(std::string_view placeholder) {
  auto it = values_.find(placeholder);
  if (it == values_.end()) return nullptr;
  used_values_.emplace(placeholder);
  return &it->second;
}

void ExpressionInputs::check_all_used() const {
  auto report = [](const auto& given, const std::set<std::string, std::less<>>& used,
                   std::string_view parameter) {
    std::string unused;
    for (const auto& [key, value] : given) {
      (void)value;
      if (used.count(key)) continue;
      if (!unused.empty()) unused += ", ";
      unused += key;
    }
    if (!unused.empty())
      throw ValidationError("Value provided in " + std::string(parameter) +
                            " unused in expressions: keys: {" + unused + "}");
  };
  report(names_, used_names_, "ExpressionAttributeNames");
  report(values_, used_values_, "ExpressionAttributeValues");
}

void check_all_used(const ExpressionInputs& inputs) {
  inputs.check_all_used();
}

// ---- Lexer ----

namespace {

enum class Tok : std::uint8_t {
  ws,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  plus,
  minus,
  in,
  between,
  not_,
  and_,
  or_,
  set,
  add,
  delete_,
  remove,
  index,
  id,
  name_sub,
  value_sub,
  comma,
  lparen,
  rparen,
  dot,
  lbracket,
  rbracket,
  unknown,
  eof,
};

struct Token {
  Tok kind;
  std::size_t begin;
  std::size_t end;
};

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Tok keyword_or_id(std::string_view word) {
  static constexpr std::pair<std::string_view, Tok> kKeywords[] = {
      {"IN", Tok::in},    {"BETWEEN", Tok::between}, {"NOT", Tok::not_},
      {"AND", Tok::and_}, {"OR", Tok::or_},          {"SET", Tok::set},
      {"ADD", Tok::add},  {"DELETE", Tok::delete_},  {"REMOVE", Tok::remove},
  };
  for (const auto& [keyword, tok] : kKeywords) {
    if (keyword.size() != word.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < word.size() && same; ++i)
      same = (word[i] & ~0x20) == keyword[i];  // keywords are letters only
    if (same) return tok;
  }
  return Tok::id;
}

// The length of the UTF-8 sequence starting at `at`, or 1 when it is not a valid one (a stray
// byte is then a token of its own).
std::size_t code_point_length(std::string_view text, std::size_t at) {
  auto c = static_cast<unsigned char>(text[at]);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xe  ? 3
                  : (c >> 3) == 0x1e ? 4
                                     : 0;
  if (n == 0 || at + n > text.size()) return 1;
  for (std::size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(text[at + i]) >> 6) != 0x2) return 1;
  return n;
}

// DynamoDB's tokens: white space (kept, as its error messages quote it), operators and
// punctuation, keywords (any case), list indexes ("0" or digits not starting with 0), names
// (a letter, then letters, digits, '_'), #name and :value placeholders, and any other
// character alone.
std::vector<Token> lex(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  auto push = [&](Tok kind, std::size_t end) {
    tokens.push_back({kind, i, end});
    i = end;
  };
  while (i < text.size()) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      std::size_t j = i;
      while (j < text.size() &&
             (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n'))
        ++j;
      push(Tok::ws, j);
    } else if (c == '=') {
      push(Tok::eq, i + 1);
    } else if (c == '<') {
      if (next == '>')
        push(Tok::ne, i + 2);
      else if (next == '=')
        push(Tok::le, i + 2);
      else
        push(Tok::lt, i + 1);
    } else if (c == '>') {
      push(next == '=' ? Tok::ge : Tok::gt, next == '=' ? i + 2 : i + 1);
    } else if (c == '+') {
      push(Tok::plus, i + 1);
    } else if (c == '-') {
      push(Tok::minus, i + 1);
    } else if (c == ',') {
      push(Tok::comma, i + 1);
    } else if (c == '(') {
      push(Tok::lparen, i + 1);
    } else if (c == ')') {
      push(Tok::rparen, i + 1);
    } else if (c == '.') {
      push(Tok::dot, i + 1);
    } else if (c == '[') {
      push(Tok::lbracket, i + 1);
    } else if (c == ']') {
      push(Tok::rbracket, i + 1);
    } else if (c == '0') {
      push(Tok::index, i + 1);
    } else if (is_digit(c)) {
      std::size_t j = i + 1;
      while (j < text.size() && is_digit(text[j])) ++j;
      push(Tok::index, j);
    } else if (is_alpha(c)) {
      std::size_t j = i + 1;
      while (j < text.size() && is_id_char(text[j])) ++j;
      push(keyword_or_id(text.substr(i, j - i)), j);
    } else if ((c == '#' || c == ':') && is_id_char(next)) {
      std::size_t j = i + 1;
      while (j < text.size() && is_id_char(text[j])) ++j;
      push(c == '#' ? Tok::name_sub : Tok::value_sub, j);
    } else {
      push(Tok::unknown, i + code_point_length(text, i));
    }
  }
  tokens.push_back({Tok::eof, text.size(), text.size()});
  return tokens;
}

// ---- Parse tree ----

struct RawElement {
  enum class Kind : std::uint8_t { id, name_sub, value_sub, index } kind = Kind::id;
  std::string text;
  std::size_t index = 0;
};

struct RawNode {
  Node::Op op = Node::Op::value;
  std::vector<RawElement> path;  // op == path
  std::string placeholder;       // op == value
  std::vector<RawNode> children;
};

struct RawAction {
  UpdateAction::Kind kind = UpdateAction::Kind::set;
  std::vector<RawElement> path;
  RawNode value;
  bool has_value = false;
};

// A check DynamoDB makes while walking the parse tree, in the order it meets them.
struct WalkCheck {
  enum class Kind : std::uint8_t { function, id, index, section } kind;
  std::string text;
  int nesting = 0;
};

constexpr std::pair<std::string_view, Node::Op> kFunctions[] = {
    {"attribute_exists", Node::Op::attribute_exists},
    {"attribute_not_exists", Node::Op::attribute_not_exists},
    {"attribute_type", Node::Op::attribute_type},
    {"begins_with", Node::Op::begins_with},
    {"contains", Node::Op::contains},
    {"size", Node::Op::size},
    {"if_not_exists", Node::Op::if_not_exists},
    {"list_append", Node::Op::list_append},
};

bool is_update_function(std::string_view name) {
  return name == "if_not_exists" || name == "list_append";
}

// How deep parentheses, NOT and function calls may nest before the parser gives up with a
// syntax error at the token that goes too deep. Every level of a valid expression but an
// operand's own parentheses holds an operator below it, so 300 operators allow at most about
// 600 levels: deeper input is refused either way, and the limit keeps the parser's recursion
// (and the trees the later passes walk) off the end of the stack.
constexpr std::size_t kMaxNesting = 1000;

// The largest list index DynamoDB takes (a Java int).
constexpr std::size_t kMaxListIndex = std::numeric_limits<std::int32_t>::max();

class Parser {
 public:
  Parser(std::string_view text, ExpressionKind kind) : text_(text), kind_(kind) {
    check_size();
    tokens_ = lex(text);
    for (std::size_t i = 0; i < tokens_.size(); ++i)
      if (tokens_[i].kind != Tok::ws) significant_.push_back(i);
  }

  RawNode parse_condition_expression() {
    Parsed c = parse_or();
    expect(Tok::eof);
    run_walk_checks(/*update=*/false);
    return std::move(c.node);
  }

  std::vector<RawAction> parse_update_expression() {
    std::vector<RawAction> actions;
    if (!is_section(peek())) fail_syntax();
    while (is_section(peek())) parse_section(actions);
    expect(Tok::eof);
    run_walk_checks(/*update=*/true);
    return actions;
  }

  std::vector<std::vector<RawElement>> parse_projection_expression() {
    std::vector<std::vector<RawElement>> paths;
    paths.push_back(parse_path());
    while (peek() == Tok::comma) {
      advance();
      paths.push_back(parse_path());
    }
    expect(Tok::eof);
    run_walk_checks(/*update=*/false);
    return paths;
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw ValidationError("Invalid " + std::string(expression_kind_name(kind_)) + ": " + message);
  }

 private:
  struct Parsed {
    RawNode node;
    bool parens = false;  // the whole of it was in parentheses
  };

  void check_size() const {
    if (text_.empty()) fail("The expression can not be empty;");
    const std::size_t size = detail::utf16_length(text_);
    if (size > kMaxExpressionBytes) {
      // Only the condition grammar's message says how big the expression was.
      if (kind_ == ExpressionKind::update || kind_ == ExpressionKind::projection)
        fail("Expression size has exceeded the maximum allowed size;");
      fail("Expression size has exceeded the maximum allowed size; expression size: " +
           std::to_string(size));
    }
  }

  Tok peek(std::size_t ahead = 0) const {
    const std::size_t at = pos_ + ahead;
    return at < significant_.size() ? tokens_[significant_[at]].kind : Tok::eof;
  }
  Tok kind_at(std::size_t at) const {
    return at < significant_.size() ? tokens_[significant_[at]].kind : Tok::eof;
  }
  std::string_view token_text(std::size_t at) const {
    const Token& t = tokens_[significant_[std::min(at, significant_.size() - 1)]];
    return text_.substr(t.begin, t.end - t.begin);
  }
  void advance() {
    if (pos_ + 1 < significant_.size()) ++pos_;
  }
  void expect(Tok kind) {
    if (peek() != kind) fail_syntax();
    advance();
  }

  // DynamoDB's syntax error names the offending token and quotes the text from the token before
  // it to the token after it, white space included.
  [[noreturn]] void fail_syntax() const {
    const std::size_t current = significant_[pos_];
    const bool at_eof = tokens_[current].kind == Tok::eof;
    std::size_t from = tokens_[current].begin;
    if (pos_ > 0)
      from = tokens_[significant_[pos_ - 1]].begin;
    else if (current > 0)
      from = tokens_[0].begin;  // leading white space
    std::size_t to = at_eof ? tokens_[current].begin : tokens_[current].end;
    if (!at_eof && pos_ + 1 < significant_.size()) to = tokens_[significant_[pos_ + 1]].end;
    const std::string token = at_eof ? "<EOF>" : std::string(token_text(pos_));
    fail("Syntax error; token: \"" + utf8_safe(token) + "\", near: \"" +
         utf8_safe(text_.substr(from, to - from)) + "\"");
  }

  [[noreturn]] void fail_redundant_parentheses() const {
    fail("The expression has redundant parentheses;");
  }

  // One level of nesting for as long as it lives; too many is a syntax error at the token
  // that opens one more.
  class Descend {
   public:
    explicit Descend(Parser& parser) : parser_(parser) {
      if (++parser_.depth_ > kMaxNesting) parser_.fail_syntax();
    }
    ~Descend() { --parser_.depth_; }
    Descend(const Descend&) = delete;
    Descend& operator=(const Descend&) = delete;

   private:
    Parser& parser_;
  };

  // ---- conditions ----

  Parsed parse_or() {
    Parsed left = parse_and();
    while (peek() == Tok::or_) {
      advance();
      Parsed right = parse_and();
      RawNode node;
      node.op = Node::Op::or_;
      node.children.push_back(std::move(left.node));
      node.children.push_back(std::move(right.node));
      left = Parsed{std::move(node), false};
    }
    return left;
  }

  Parsed parse_and() {
    Parsed left = parse_not();
    while (peek() == Tok::and_) {
      advance();
      Parsed right = parse_not();
      RawNode node;
      node.op = Node::Op::and_;
      node.children.push_back(std::move(left.node));
      node.children.push_back(std::move(right.node));
      left = Parsed{std::move(node), false};
    }
    return left;
  }

  Parsed parse_not() {
    if (peek() != Tok::not_) return parse_primary_condition();
    Descend level(*this);
    advance();
    Parsed inner = parse_not();
    RawNode node;
    node.op = Node::Op::not_;
    node.children.push_back(std::move(inner.node));
    return Parsed{std::move(node), false};
  }

  static bool is_comparison(Tok t) {
    return t == Tok::eq || t == Tok::ne || t == Tok::lt || t == Tok::le || t == Tok::gt ||
           t == Tok::ge || t == Tok::in || t == Tok::between;
  }

  Parsed parse_primary_condition() {
    const std::size_t end = skip_operand(pos_);
    if (end != kNone && is_comparison(kind_at(end))) return Parsed{parse_comparison(), false};
    if (peek() == Tok::lparen) {
      Descend level(*this);
      advance();
      Parsed inner = parse_or();
      expect(Tok::rparen);
      if (inner.parens) fail_redundant_parentheses();
      return Parsed{std::move(inner.node), true};
    }
    if (peek() == Tok::id && peek(1) == Tok::lparen) return Parsed{parse_function(), false};
    // Not a condition: consume what reads as an operand, then report what follows it.
    (void)parse_operand();
    fail_syntax();
  }

  RawNode parse_comparison() {
    ++nesting_;
    RawNode node;
    node.children.push_back(parse_operand().node);
    const Tok op = peek();
    advance();
    switch (op) {
      case Tok::between:
        node.op = Node::Op::between;
        node.children.push_back(parse_operand().node);
        expect(Tok::and_);
        node.children.push_back(parse_operand().node);
        break;
      case Tok::in:
        node.op = Node::Op::in;
        expect(Tok::lparen);
        node.children.push_back(parse_operand().node);
        while (peek() == Tok::comma) {
          advance();
          node.children.push_back(parse_operand().node);
        }
        expect(Tok::rparen);
        break;
      default:
        node.op = op == Tok::eq   ? Node::Op::eq
                  : op == Tok::ne ? Node::Op::ne
                  : op == Tok::lt ? Node::Op::lt
                  : op == Tok::le ? Node::Op::le
                  : op == Tok::gt ? Node::Op::gt
                                  : Node::Op::ge;
        node.children.push_back(parse_operand().node);
    }
    --nesting_;
    return node;
  }

  // ---- operands ----

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kUnknown = static_cast<std::size_t>(-2);

  // Where an operand starting at significant token `at` ends, without recording anything; kNone
  // when none starts there. It reads what parse_operand reads, so that the parser can tell
  // "(a) = :v" from "(a = :v)" before committing. An operand nested deeper than the parser
  // may go is none (parsing it fails anyway). Answers are remembered, as is the largest depth
  // budget found too small at a token: every level of "((((a" asks again about the operands
  // inside it, which would make deep nesting quadratic.
  std::size_t skip_operand(std::size_t at, std::size_t depth = 0) const {
    if (depth_ + depth > kMaxNesting) {
      skip_cut_short_ = true;
      return kNone;
    }
    const std::size_t budget = kMaxNesting - depth_ - depth;
    if (skip_end_.empty()) {
      skip_end_.assign(significant_.size(), kUnknown);
      skip_too_deep_.assign(significant_.size(), kUnknown);
    }
    const bool memo = at < skip_end_.size();
    if (memo && skip_end_[at] != kUnknown) return skip_end_[at];
    if (memo && skip_too_deep_[at] != kUnknown && budget <= skip_too_deep_[at]) {
      skip_cut_short_ = true;
      return kNone;
    }
    const bool outer_cut_short = std::exchange(skip_cut_short_, false);
    const std::size_t end = skip_operand_here(at, depth);
    if (memo && !skip_cut_short_) skip_end_[at] = end;
    if (memo && skip_cut_short_)
      skip_too_deep_[at] =
          skip_too_deep_[at] == kUnknown ? budget : std::max(skip_too_deep_[at], budget);
    skip_cut_short_ = skip_cut_short_ || outer_cut_short;
    return end;
  }

  std::size_t skip_operand_here(std::size_t at, std::size_t depth) const {
    switch (kind_at(at)) {
      case Tok::lparen: {
        const std::size_t inner = skip_operand(at + 1, depth + 1);
        if (inner == kNone || kind_at(inner) != Tok::rparen) return kNone;
        return inner + 1;
      }
      case Tok::value_sub:
        return at + 1;
      case Tok::id:
        if (kind_at(at + 1) == Tok::lparen) {
          std::size_t q = at + 2;
          while (true) {
            q = skip_operand(q, depth + 1);
            if (q == kNone) return kNone;
            if (kind_at(q) == Tok::comma) {
              ++q;
              continue;
            }
            return kind_at(q) == Tok::rparen ? q + 1 : kNone;
          }
        }
        [[fallthrough]];
      case Tok::name_sub: {
        std::size_t q = at + 1;
        while (true) {
          if (kind_at(q) == Tok::dot &&
              (kind_at(q + 1) == Tok::id || kind_at(q + 1) == Tok::name_sub ||
               kind_at(q + 1) == Tok::value_sub)) {
            q += 2;
          } else if (kind_at(q) == Tok::lbracket && kind_at(q + 1) == Tok::index &&
                     kind_at(q + 2) == Tok::rbracket) {
            q += 3;
          } else {
            return q;
          }
        }
      }
      default:
        return kNone;
    }
  }

  Parsed parse_operand() {
    switch (peek()) {
      case Tok::lparen: {
        Descend level(*this);
        advance();
        Parsed inner = parse_operand();
        expect(Tok::rparen);
        if (inner.parens) fail_redundant_parentheses();
        return Parsed{std::move(inner.node), true};
      }
      case Tok::value_sub: {
        RawNode node;
        node.op = Node::Op::value;
        node.placeholder = std::string(token_text(pos_));
        advance();
        return Parsed{std::move(node), false};
      }
      case Tok::id:
        if (peek(1) == Tok::lparen) return Parsed{parse_function(), false};
        [[fallthrough]];
      case Tok::name_sub: {
        RawNode node;
        node.op = Node::Op::path;
        node.path = parse_path();
        return Parsed{std::move(node), false};
      }
      default:
        fail_syntax();
    }
  }

  RawNode parse_function() {
    Descend level(*this);
    const std::string name(token_text(pos_));
    walk_.push_back({WalkCheck::Kind::function, name, nesting_});
    advance();
    expect(Tok::lparen);
    ++nesting_;
    RawNode node;
    node.op = Node::Op::size;  // replaced below; an unknown name fails its walk check first
    for (const auto& [function, op] : kFunctions)
      if (function == name) node.op = op;
    node.children.push_back(parse_operand().node);
    while (peek() == Tok::comma) {
      advance();
      node.children.push_back(parse_operand().node);
    }
    expect(Tok::rparen);
    --nesting_;
    return node;
  }

  std::vector<RawElement> parse_path() {
    std::vector<RawElement> path;
    path.push_back(parse_id());
    while (true) {
      if (peek() == Tok::dot) {
        advance();
        if (peek() == Tok::value_sub) {
          path.push_back({RawElement::Kind::value_sub, std::string(token_text(pos_)), 0});
          advance();
        } else {
          path.push_back(parse_id());
        }
      } else if (peek() == Tok::lbracket) {
        advance();
        if (peek() != Tok::index) fail_syntax();
        const std::string digits(token_text(pos_));
        advance();
        expect(Tok::rbracket);
        walk_.push_back({WalkCheck::Kind::index, "[" + digits + "]", 0});
        std::size_t index = 0;
        for (char d : digits) {
          index = index * 10 + static_cast<std::size_t>(d - '0');
          if (index > kMaxListIndex) break;  // reported by the walk check
        }
        path.push_back({RawElement::Kind::index, digits, index});
      } else {
        return path;
      }
    }
  }

  RawElement parse_id() {
    const Tok t = peek();
    if (t != Tok::id && t != Tok::name_sub) fail_syntax();
    RawElement element{t == Tok::id ? RawElement::Kind::id : RawElement::Kind::name_sub,
                       std::string(token_text(pos_)), 0};
    if (t == Tok::id) walk_.push_back({WalkCheck::Kind::id, element.text, 0});
    advance();
    return element;
  }

  // ---- updates ----

  static bool is_section(Tok t) {
    return t == Tok::set || t == Tok::remove || t == Tok::add || t == Tok::delete_;
  }

  void parse_section(std::vector<RawAction>& actions) {
    const Tok section = peek();
    advance();
    while (true) {
      RawAction action;
      action.path = parse_path();
      switch (section) {
        case Tok::set:
          action.kind = UpdateAction::Kind::set;
          expect(Tok::eq);
          action.value = parse_set_value();
          action.has_value = true;
          break;
        case Tok::remove:
          action.kind = UpdateAction::Kind::remove;
          break;
        default:
          action.kind = section == Tok::add ? UpdateAction::Kind::add : UpdateAction::Kind::delete_;
          if (peek() != Tok::value_sub) fail_syntax();
          action.value.op = Node::Op::value;
          action.value.placeholder = std::string(token_text(pos_));
          action.has_value = true;
          advance();
      }
      actions.push_back(std::move(action));
      if (peek() != Tok::comma) break;
      advance();
    }
    const char* name = section == Tok::set      ? "SET"
                       : section == Tok::remove ? "REMOVE"
                       : section == Tok::add    ? "ADD"
                                                : "DELETE";
    walk_.push_back({WalkCheck::Kind::section, name, 0});
  }

  bool starts_arithmetic(std::size_t at) const {
    const std::size_t end = skip_operand(at);
    return end != kNone && (kind_at(end) == Tok::plus || kind_at(end) == Tok::minus);
  }

  // set_value: operand | operand (+|-) operand | '(' arithmetic ')'
  RawNode parse_set_value() {
    if (starts_arithmetic(pos_)) return parse_plus_minus();
    if (peek() == Tok::lparen && skip_operand(pos_) == kNone) return parse_arithmetic_parens().node;
    return parse_operand().node;
  }

  Parsed parse_arithmetic_parens() {
    Descend level(*this);
    expect(Tok::lparen);
    Parsed inner;
    if (peek() == Tok::lparen && skip_operand(pos_) == kNone) {
      inner = parse_arithmetic_parens();
    } else {
      inner = Parsed{parse_plus_minus(), false};
    }
    expect(Tok::rparen);
    if (inner.parens) fail_redundant_parentheses();
    return Parsed{std::move(inner.node), true};
  }

  RawNode parse_plus_minus() {
    ++nesting_;
    RawNode node;
    node.children.push_back(parse_operand().node);
    if (peek() != Tok::plus && peek() != Tok::minus) fail_syntax();
    node.op = peek() == Tok::plus ? Node::Op::plus : Node::Op::minus;
    advance();
    node.children.push_back(parse_operand().node);
    --nesting_;
    return node;
  }

  // ---- the walk ----

  void run_walk_checks(bool update) const {
    std::set<std::string> sections;
    for (const WalkCheck& check : walk_) {
      switch (check.kind) {
        case WalkCheck::Kind::function: {
          bool known = false;
          for (const auto& [function, op] : kFunctions) known = known || function == check.text;
          if (!known) fail("Invalid function name; function: " + utf8_safe(check.text));
          const bool update_function = is_update_function(check.text);
          if (update && !update_function)
            fail("The function is not allowed in an update expression; function: " + check.text);
          if (!update && update_function)
            fail("The function is not allowed in a condition expression; function: " + check.text);
          // Where a function may stand: in a condition, the boolean ones alone and size()
          // inside a comparison; in an update, if_not_exists() anywhere, list_append() only as
          // the whole value.
          const bool misplaced = update ? check.nesting > 0 && check.text != "if_not_exists"
                                        : (check.nesting == 0) == (check.text == "size");
          if (misplaced)
            fail("The function is not allowed to be used this way in an expression; function: " +
                 check.text);
          break;
        }
        case WalkCheck::Kind::id:
          if (is_reserved_word(check.text))
            fail("Attribute name is a reserved keyword; reserved keyword: " + check.text);
          break;
        case WalkCheck::Kind::index:
          // "[" digits "]": more than a Java int holds.
          if (check.text.size() > 12 ||
              std::stoull(check.text.substr(1, check.text.size() - 2)) > kMaxListIndex)
            fail("List index is not within the allowable range; index: " + check.text);
          break;
        case WalkCheck::Kind::section:
          if (!sections.insert(check.text).second)
            fail("The \"" + check.text +
                 "\" section can only be used once in an update expression;");
          break;
      }
    }
  }

  std::string_view text_;
  ExpressionKind kind_;
  std::vector<Token> tokens_;
  std::vector<std::size_t> significant_;  // indexes into tokens_ of all but white space
  std::size_t pos_ = 0;                   // into significant_
  int nesting_ = 0;
  std::size_t depth_ = 0;  // levels of nesting the parse is in (Descend)
  // skip_operand's answers by token (kUnknown: not known yet), the largest depth budget it
  // ran out of at each token, and whether the current answer was cut short by the depth limit
  // (and so may not be remembered as the answer).
  mutable std::vector<std::size_t> skip_end_;
  mutable std::vector<std::size_t> skip_too_deep_;
  mutable bool skip_cut_short_ = false;
  std::vector<WalkCheck> walk_;
};

// ---- Validation ----

// Type sets, as bits indexed by Type.
using TypeSet = unsigned;
constexpr TypeSet bit(Type t) {
  return 1u << static_cast<unsigned>(t);
}
constexpr TypeSet kAllTypes = (1u << 10) - 1;
constexpr TypeSet kOrdered = bit(Type::S) | bit(Type::N) | bit(Type::B);
constexpr TypeSet kStringBinary = bit(Type::S) | bit(Type::B);
constexpr TypeSet kIterable = bit(Type::S) | bit(Type::B) | bit(Type::SS) | bit(Type::NS) |
                              bit(Type::BS) | bit(Type::L) | bit(Type::M);
constexpr TypeSet kSets = bit(Type::SS) | bit(Type::NS) | bit(Type::BS);

struct OperatorRule {
  std::size_t operands;  // required
  bool more;             // more than `operands` allowed
  TypeSet operand_types;
  TypeSet result_types;
  bool distinct_first;  // a path first operand may not be repeated (DynamoDB's "null operands")
};

OperatorRule rule(Node::Op op) {
  using Op = Node::Op;
  const TypeSet boolean = bit(Type::BOOL);
  switch (op) {
    case Op::eq:
    case Op::ne:
      return {2, false, kAllTypes, boolean, true};
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge:
      return {2, false, kOrdered, boolean, true};
    case Op::between:
      return {3, false, kOrdered, boolean, true};
    case Op::in:
      return {1, true, kAllTypes, boolean, true};
    case Op::and_:
    case Op::or_:
      return {2, false, boolean, boolean, false};
    case Op::not_:
      return {1, false, boolean, boolean, false};
    case Op::attribute_exists:
    case Op::attribute_not_exists:
      return {1, false, kAllTypes, boolean, true};
    case Op::attribute_type:
    case Op::contains:
      return {2, false, kAllTypes, boolean, true};
    case Op::begins_with:
      return {2, false, kStringBinary, boolean, true};
    case Op::size:
      return {1, false, kIterable, bit(Type::N), true};
    case Op::if_not_exists:
      return {2, false, kAllTypes, kAllTypes, true};
    case Op::list_append:
      return {2, false, bit(Type::L), bit(Type::L), false};
    case Op::plus:
    case Op::minus:
      return {2, false, bit(Type::N), bit(Type::N), false};
    case Op::path:
    case Op::value:
      break;
  }
  return {0, false, kAllTypes, kAllTypes, false};
}

// A type set as DynamoDB names it: one type alone, several in braces.
std::string type_set_text(TypeSet types) {
  if (types == kAllTypes) return "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}";
  std::string out;
  int count = 0;
  for (unsigned t = 0; t < 10; ++t) {
    if (!(types & (1u << t))) continue;
    if (count++) out += ",";
    out += type_name(static_cast<Type>(t));
  }
  return count > 1 ? "{" + out + "}" : out;
}

// DynamoDB's long type names, which its ADD and DELETE messages use.
std::string_view long_type_name(Type type) {
  switch (type) {
    case Type::S:
      return "STRING";
    case Type::N:
      return "NUMBER";
    case Type::B:
      return "BINARY";
    case Type::BOOL:
      return "BOOLEAN";
    case Type::NUL:
      return "NULL";
    case Type::M:
      return "MAP";
    case Type::L:
      return "LIST";
    case Type::SS:
      return "STRING_SET";
    case Type::NS:
      return "NUMBER_SET";
    case Type::BS:
      return "BINARY_SET";
  }
  return "";
}

// A scalar as DynamoDB quotes it in BETWEEN's messages: "AttributeValue: {N:1}".
std::string value_text(const AttributeValue& v) {
  const std::string body = v.type == Type::B ? util::base64_encode(v.text) : utf8_safe(v.text);
  return "AttributeValue: {" + std::string(type_name(v.type)) + ":" + body + "}";
}

// Checks placeholders, operands and limits of parsed expressions, turning the parse tree into
// the API's (placeholders resolved), in DynamoDB's order: operands before their operator, left
// to right.
class Validator {
 public:
  Validator(const Parser& parser, ExpressionInputs& inputs) : parser_(parser), inputs_(inputs) {}

  Path path(const std::vector<RawElement>& raw) {
    if (raw.size() > kMaxPathDepth)
      parser_.fail("The document path has too many nesting levels; nesting levels: " +
                   std::to_string(raw.size()));
    Path out;
    out.reserve(raw.size());
    for (const RawElement& e : raw) {
      switch (e.kind) {
        case RawElement::Kind::id:
          out.push_back({e.text, 0, false});
          break;
        case RawElement::Kind::index:
          out.push_back({{}, e.index, true});
          break;
        case RawElement::Kind::name_sub: {
          const std::string* name = inputs_.use_name(e.text);
          if (name == nullptr)
            parser_.fail(
                "An expression attribute name used in the document path is not defined; "
                "attribute name: " +
                e.text);
          out.push_back({*name, 0, false});
          break;
        }
        case RawElement::Kind::value_sub:
          parser_.fail(
              "The document path cannot contain attribute value parameters; attribute value: " +
              e.text);
      }
    }
    return out;
  }

  AttributeValue value(const std::string& placeholder) {
    const AttributeValue* v = inputs_.use_value(placeholder);
    if (v == nullptr)
      parser_.fail(
          "An expression attribute value used in expression is not defined; attribute value: " +
          placeholder);
    return *v;
  }

  Node node(const RawNode& raw) {
    Node out;
    out.op = raw.op;
    if (raw.op == Node::Op::path) {
      out.path = path(raw.path);
      return out;
    }
    if (raw.op == Node::Op::value) {
      out.value = value(raw.placeholder);
      return out;
    }
    out.children.reserve(raw.children.size());
    for (const RawNode& child : raw.children) out.children.push_back(node(child));
    check_operator(out);
    if (++operators_ > kMaxExpressionOperators)
      parser_.fail("The expression contains too many operators; operator count: " +
                   std::to_string(operators_));
    return out;
  }

 private:
  void check_operator(const Node& n) {
    const OperatorRule r = rule(n.op);
    const std::string name(detail::operator_name(n.op));
    const std::size_t count = n.children.size();
    if (r.more ? count < r.operands : count != r.operands)
      parser_.fail("Incorrect number of operands for operator or function; operator or function: " +
                   name + ", number of operands: " + std::to_string(count));
    for (const Node& child : n.children) {
      TypeSet produced = kAllTypes;
      if (child.op == Node::Op::value)
        produced = bit(child.value.type);
      else if (child.op != Node::Op::path)
        produced = rule(child.op).result_types;
      if (child.op == Node::Op::path || (produced & r.operand_types)) continue;
      parser_.fail("Incorrect operand type for operator or function; operator or function: " +
                   name + ", operand type: " + type_set_text(produced));
    }
    if (r.distinct_first && count > 1 && n.children[0].op == Node::Op::path) {
      for (std::size_t i = 1; i < count; ++i) {
        if (n.children[i].op == Node::Op::path && n.children[i].path == n.children[0].path)
          parser_.fail(
              "The first operand must be distinct from the remaining operands for this operator "
              "or function; operator: " +
              name + ", first operand: " + path_text(n.children[0].path));
      }
    }
    switch (n.op) {
      case Node::Op::attribute_exists:
      case Node::Op::attribute_not_exists:
      case Node::Op::if_not_exists:
        if (n.children[0].op != Node::Op::path)
          parser_.fail("Operator or function requires a document path; operator or function: " +
                       name);
        break;
      case Node::Op::attribute_type: {
        const Node& t = n.children[1];
        if (t.op != Node::Op::value || t.value.type != Type::S) {
          const TypeSet produced = t.op == Node::Op::value  ? bit(t.value.type)
                                   : t.op == Node::Op::path ? kAllTypes
                                                            : rule(t.op).result_types;
          parser_.fail("Incorrect operand type for operator or function; operator or function: " +
                       name + ", operand type: " + type_set_text(produced));
        }
        Type ignored;
        if (!type_from_name(t.value.text, ignored))
          parser_.fail("Invalid attribute type name found; type: " + utf8_safe(t.value.text) +
                       ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        break;
      }
      case Node::Op::between: {
        const Node& low = n.children[1];
        const Node& high = n.children[2];
        if (low.op != Node::Op::value || high.op != Node::Op::value) break;
        const std::string bounds = "lower bound operand: " + value_text(low.value) +
                                   ", upper bound operand: " + value_text(high.value);
        if (low.value.type != high.value.type)
          parser_.fail("The BETWEEN operator requires same data type for lower and upper bounds; " +
                       bounds);
        if (compare(low.value, high.value) > 0)
          parser_.fail(
              "The BETWEEN operator requires upper bound to be greater than or equal to lower "
              "bound; " +
              bounds);
        break;
      }
      case Node::Op::in:
        if (count - 1 > kMaxInOperands)
          parser_.fail("The IN operator is provided with too many operands; number of operands: " +
                       std::to_string(count - 1));
        break;
      default:
        break;
    }
  }

  const Parser& parser_;
  ExpressionInputs& inputs_;
  int operators_ = 0;
};

// The tree DynamoDB builds from a projection's or an update's paths to find two that overlap
// (one is a prefix of the other) or conflict (one indexes a list where the other names a map
// key). Paths go in last first, as DynamoDB takes them, which decides which of two it reports
// as "path one".
class PathTree {
 public:
  void insert(const Path& path, const Parser& parser) {
    TreeNode* node = &root_;
    for (std::size_t depth = 0; depth < path.size(); ++depth) {
      const PathElement& e = path[depth];
      auto it = std::find_if(node->children.begin(), node->children.end(),
                             [&](const auto& child) { return child.first == e; });
      if (it == node->children.end()) {
        if (!node->children.empty() && node->children.front().first.is_index != e.is_index)
          parser.fail(
              "Two document paths conflict with each other; must remove or rewrite one of "
              "these paths; path one: " +
              path_text(path) + ", path two: " + path_text(leaf_path(path, depth, *node)));
        for (; depth < path.size(); ++depth) {
          node->children.emplace_back(path[depth], std::make_unique<TreeNode>());
          node = node->children.back().second.get();
        }
        return;
      }
      TreeNode* child = it->second.get();
      if (child->children.empty() || depth + 1 == path.size())
        parser.fail(
            "Two document paths overlap with each other; must remove or rewrite one of these "
            "paths; path one: " +
            path_text(path) + ", path two: " + path_text(leaf_path(path, depth, *node)));
      node = child;
    }
  }

 private:
  struct TreeNode {
    std::vector<std::pair<PathElement, std::unique_ptr<TreeNode>>> children;  // none: a leaf
  };

  // The first `depth` elements of `path`, then the first path down from `node` to a leaf.
  static Path leaf_path(const Path& path, std::size_t depth, const TreeNode& node) {
    Path out(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(depth));
    const TreeNode* at = &node;
    while (at != nullptr && !at->children.empty()) {
      out.push_back(at->children.front().first);
      at = at->children.front().second.get();
    }
    return out;
  }

  TreeNode root_;
};

}  // namespace

// ---- Parsing entry points ----

Condition parse_condition(std::string_view text, ExpressionInputs& inputs, ExpressionKind kind) {
  Parser parser(text, kind);
  RawNode raw = parser.parse_condition_expression();
  Validator validator(parser, inputs);
  return Condition{validator.node(raw)};
}

Projection parse_projection(std::string_view text, ExpressionInputs& inputs) {
  Parser parser(text, ExpressionKind::projection);
  std::vector<std::vector<RawElement>> raw = parser.parse_projection_expression();
  Validator validator(parser, inputs);
  PathTree tree;
  std::vector<Path> paths(raw.size());
  for (std::size_t i = raw.size(); i-- > 0;) {
    paths[i] = validator.path(raw[i]);
    tree.insert(paths[i], parser);
  }
  return Projection{std::move(paths)};
}

Update parse_update(std::string_view text, ExpressionInputs& inputs) {
  Parser parser(text, ExpressionKind::update);
  std::vector<RawAction> raw = parser.parse_update_expression();
  Validator validator(parser, inputs);
  Update update;
  update.actions.resize(raw.size());
  PathTree tree;
  for (std::size_t i = raw.size(); i-- > 0;) {
    update.actions[i].kind = raw[i].kind;
    update.actions[i].path = validator.path(raw[i].path);
    tree.insert(update.actions[i].path, parser);
  }
  for (std::size_t i = raw.size(); i-- > 0;) {
    UpdateAction& action = update.actions[i];
    if (!raw[i].has_value) continue;
    action.value = validator.node(raw[i].value);
    if (action.kind == UpdateAction::Kind::add || action.kind == UpdateAction::Kind::delete_) {
      const Type type = action.value.value.type;
      const TypeSet allowed =
          action.kind == UpdateAction::Kind::add ? (kSets | bit(Type::N)) : kSets;
      if (!(allowed & bit(type)))
        parser.fail("Incorrect operand type for operator or function; operator: " +
                    std::string(action.kind == UpdateAction::Kind::add ? "ADD" : "DELETE") +
                    ", operand type: " + std::string(long_type_name(type)));
    }
  }
  return update;
}

}  // namespace fx::dynamodb
