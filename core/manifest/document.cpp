// yaml-cpp builds aliases as shared nodes, so parsing a "billion laughs" document is cheap and
// only walking it explodes. So the text is parsed once, then one walk that visits every
// distinct node once (memoized by identity) measures what a full walk would meet: its depth
// and how much the aliases repeat. Only when that walk finds a problem is the text parsed a
// second time as events, which name the anchor, the alias and where it is; that second parse
// stops at the first problem, so yaml-cpp's own recursion never goes deeper than kMaxNesting.
#include "core/manifest/document.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/manifest/text.h"
#include "core/util/error.h"

namespace fx::manifest {
namespace {

constexpr const char* kYamlHint =
    "fix the YAML there; indentation and unclosed quotes or brackets are the usual";

// 1-based line and byte column (as yaml-cpp counts) of byte `offset` of `text`.
std::pair<int, int> line_col(std::string_view text, size_t offset) {
  int line = 1;
  size_t start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - start) + 1};
}

// The length of the well-formed UTF-8 sequence at text[i], or 0 when it is not one.
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range, which rules out overlongs,
  if (b >= 0xC2 && b <= 0xDF) {           // surrogates and code points past U+10FFFF
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) low = 0xA0;
    if (b == 0xED) high = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) low = 0x90;
    if (b == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// yaml-cpp reads NUL as an escape and replaces bad UTF-8 without a word, so both are refused
// here, where the byte can still be pointed at.
void check_encoding(std::string_view text, const std::string& file) {
  if (text.starts_with("\xFE\xFF") || text.starts_with("\xFF\xFE") ||
      text.starts_with(std::string_view("\0\0\xFE\xFF", 4))) {
    throw Error(fmt::format("{}: the file is UTF-16 or UTF-32; fx reads UTF-8", file),
                "save it as UTF-8");
  }
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') {
      const auto [line, col] = line_col(text, i);
      throw Error(
          fmt::format("{}:{}:{}: a NUL byte; YAML is text and holds none", file, line, col),
          "save the file as UTF-8 text; write \\0 inside double quotes for a NUL character");
    }
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      const auto [line, col] = line_col(text, i);
      throw Error(fmt::format("{}:{}:{}: invalid UTF-8 (byte 0x{:02X})", file, line, col,
                              static_cast<unsigned char>(text[i])),
                  "save the file as UTF-8");
    }
    i += n;
  }
}

// yaml-cpp's parser messages, in words a user can act on.
std::string plain_words(const std::string& msg) {
  namespace M = YAML::ErrorMsg;
  static const std::pair<const char*, const char*> kWords[] = {
      {M::END_OF_MAP, "this line does not continue the map above it; check its indentation"},
      {M::END_OF_SEQ, "this line does not continue the list above it; check its indentation"},
      {M::END_OF_MAP_FLOW, "a '{' is never closed with '}'"},
      {M::END_OF_SEQ_FLOW, "a '[' is never closed with ']'"},
      {M::FLOW_END, "a ']' or '}' that closes nothing"},
      {M::BLOCK_ENTRY, "a '- ' list item where none can start; check the indentation"},
      {M::MAP_KEY, "a '? ' key where none can start; check the indentation"},
      {M::MAP_VALUE,
       "a ':' where no value can start; check the indentation, or quote a value that holds "
       "': '"},
      {M::TAB_IN_INDENTATION, "a tab in the indentation; YAML indents with spaces only"},
      {M::EOF_IN_SCALAR, "a quoted string is never closed"},
      {M::DOC_IN_SCALAR, "a '---' or '...' line inside a quoted string"},
      {M::CHAR_IN_SCALAR, "a character a plain value cannot hold here; quote the value"},
      {M::SINGLE_QUOTED_CHAR, "a character a single-quoted string cannot hold"},
      {M::UNKNOWN_ANCHOR, "an alias (*name) with no anchor (&name) before it"},
      {M::ALIAS_NOT_FOUND, "a '*' without an alias name; quote the value if it is text"},
      {M::ANCHOR_NOT_FOUND, "a '&' without an anchor name; quote the value if it is text"},
      {M::CHAR_IN_ALIAS, "an alias name with a character names cannot hold"},
      {M::CHAR_IN_ANCHOR, "an anchor name with a character names cannot hold"},
      {M::MULTIPLE_TAGS, "two tags on one value"},
      {M::MULTIPLE_ANCHORS, "two anchors on one value"},
      {M::MULTIPLE_ALIASES, "two aliases on one value"},
      {M::ALIAS_CONTENT, "an alias with a tag or a value of its own"},
      {M::AMBIGUOUS_ANCHOR, "one anchor on two values"},
      {M::ZERO_INDENT_IN_BLOCK, "a block scalar header ('|' or '>') with indentation 0"},
      {M::CHAR_IN_BLOCK, "a block scalar header ('|' or '>') followed by something else"},
      {M::UNKNOWN_TOKEN, "something YAML does not know; quote the value if it is text"},
      {M::BAD_FILE, "nesting too deep"},
  };
  for (const auto& [from, to] : kWords) {
    if (msg == from) return to;
  }
  if (msg.starts_with(M::INVALID_ESCAPE)) {
    return fmt::format(
        "an unknown escape '\\{}' in a double-quoted string; write '\\\\' for a backslash, or use "
        "single quotes",
        msg.substr(std::string_view(M::INVALID_ESCAPE).size()));
  }
  if (msg.starts_with(M::INVALID_UNICODE) || msg == M::INVALID_HEX) {
    return "a bad \\x, \\u or \\U escape in a double-quoted string";
  }
  if (msg.starts_with("YAML") || msg.starts_with("bad YAML") || msg.starts_with("TAG") ||
      msg.starts_with("repeated")) {
    return "a %YAML or %TAG directive fx cannot read";
  }
  return "YAML cannot read this";
}

// Where a tab sits in the indentation of line `line` (1-based): its column, or 0.
int tab_in_indentation(std::string_view text, int line) {
  size_t start = 0;
  for (int l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return 0;
    ++start;
  }
  for (size_t i = start; i < text.size() && (text[i] == ' ' || text[i] == '\t'); ++i) {
    if (text[i] == '\t') return static_cast<int>(i - start) + 1;
  }
  return 0;
}

[[noreturn]] void syntax_error(const YAML::Exception& e, std::string_view text,
                               const std::string& file, std::string_view language) {
  const int line = e.mark.line + 1;
  // yaml-cpp blames a tab in the indentation on whatever it meets next; the line with the
  // tab is the one it points at, or the one before.
  for (int l : {line, line - 1}) {
    if (l < 1) continue;
    if (const int col = tab_in_indentation(text, l)) {
      throw Error(fmt::format("{}:{}:{}: a tab in the indentation; YAML indents with spaces only",
                              file, l, col),
                  "replace the tab with spaces (tabs inside values are fine)");
    }
  }
  throw Error(fmt::format("{}:{}:{}: invalid {}: {}", file, line, e.mark.column + 1, language,
                          plain_words(e.msg)),
              kYamlHint);
}

std::string key_in(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}
std::string index_in(const std::string& parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}
std::string where(const std::string& file, const YAML::Mark& mark, const std::string& path) {
  return fmt::format("{}:{}:{}: {}", file, mark.line + 1, mark.column + 1,
                     path.empty() ? "" : text::printable(path) + ": ");
}

// What a full walk of a value meets: its lists and maps nested `height` deep, `values` nodes
// and `bytes` of scalar text.
struct Shape {
  int height = 0;  // 0 for a scalar, 1 for a list or map of scalars
  std::uint64_t values = 0;
  std::uint64_t bytes = 0;

  void add(const Shape& child) {
    height = std::max(height, child.height + 1);
    values += child.values;
    bytes += child.bytes;
  }
};

const char* kNestingHint =
    "flatten it: fx reads lists and maps nested at most 100 deep (aliases count where they "
    "are used)";
const char* kAliasHint =
    "an alias repeats its anchor's whole value, and aliases inside anchors multiply; alias "
    "smaller values, or write them out";

// The second parse, as events: names the first alias or container that breaks a bound. Throws
// fx::Error from inside yaml-cpp's parser, which unwinds it at once.
class Diagnosis : public YAML::EventHandler {
 public:
  explicit Diagnosis(const std::string& file) : file_(file) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override {
    start(anchor);
    finish(anchor, Shape{0, 1, 0}, "");
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    start(anchor);
    finish(anchor, Shape{0, 1, value.size()}, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const std::string path = child_path();
    const Anchor* a = anchor < anchors_.size() ? &anchors_[anchor] : nullptr;
    if (!a) return finish(0, Shape{0, 1, 0}, "");
    if (!a->done) {
      throw Error(where(file_, mark, path) +
                      fmt::format("the alias *{} is inside its own anchor &{}, so it never ends",
                                  a->name, a->name),
                  fmt::format("point *{} at a value outside the one &{} names", a->name, a->name));
    }
    if (static_cast<int>(stack_.size()) + a->shape.height > kMaxNesting) {
      throw Error(where(file_, mark, path) +
                      fmt::format("the alias *{} nests lists and maps deeper than {} levels",
                                  a->name, kMaxNesting),
                  kNestingHint);
    }
    alias_values_ += a->shape.values;
    alias_bytes_ += a->shape.bytes;
    if (alias_values_ > kMaxAliasValues || alias_bytes_ > kMaxAliasBytes) {
      throw Error(where(file_, mark, path) +
                      fmt::format("the alias *{} takes the document past {}", a->name,
                                  alias_values_ > kMaxAliasValues
                                      ? fmt::format("{} values", kMaxAliasValues)
                                      : fmt::format("{} MB of text", kMaxAliasBytes >> 20)),
                  kAliasHint);
    }
    finish(0, a->shape, "");
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }
  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_name_ = name; }

 private:
  struct Anchor {
    std::string name;
    bool done = false;
    Shape shape;
  };
  struct Frame {
    bool map;
    YAML::anchor_t anchor;
    std::string path;
    Shape shape;
    size_t index = 0;    // lists: the next item's index
    bool at_key = true;  // maps: the next node is a key
    std::string key;     // maps: the current value's key
  };

  std::string child_path() const {
    if (stack_.empty()) return "";
    const Frame& top = stack_.back();
    if (!top.map) return index_in(top.path, top.index);
    return top.at_key ? top.path : key_in(top.path, top.key);
  }

  void start(YAML::anchor_t anchor) {
    if (anchor == 0) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
    anchors_[anchor] = Anchor{std::move(pending_name_), false, {}};
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    std::string path = child_path();
    if (static_cast<int>(stack_.size()) + 1 > kMaxNesting) {
      throw Error(fmt::format("{}:{}:{}: nesting deeper than {} levels", file_, mark.line + 1,
                              mark.column + 1, kMaxNesting),
                  kNestingHint);
    }
    start(anchor);
    stack_.push_back(Frame{map, anchor, std::move(path), Shape{1, 1, 0}, 0, true, {}});
  }

  void close() {
    Frame done = std::move(stack_.back());
    stack_.pop_back();
    finish(done.anchor, done.shape, "");
  }

  // A node is complete: record its anchor's shape and count it in its parent.
  void finish(YAML::anchor_t anchor, const Shape& shape, const std::string& scalar) {
    if (anchor != 0 && anchor < anchors_.size()) {
      anchors_[anchor].done = true;
      anchors_[anchor].shape = shape;
    }
    if (stack_.empty()) return;
    Frame& parent = stack_.back();
    parent.shape.add(shape);
    if (!parent.map) {
      ++parent.index;
    } else {
      if (parent.at_key) parent.key = scalar;
      parent.at_key = !parent.at_key;
    }
  }

  const std::string& file_;
  std::vector<Anchor> anchors_;  // by yaml-cpp's anchor number
  std::string pending_name_;     // OnAnchor comes just before the node it names
  std::vector<Frame> stack_;
  std::uint64_t alias_values_ = 0;
  std::uint64_t alias_bytes_ = 0;
};

[[noreturn]] void diagnose(std::string_view text, const std::string& file,
                           std::string_view language) {
  std::istringstream in{std::string(text)};
  try {
    YAML::Parser parser(in);
    Diagnosis diagnosis(file);
    parser.HandleNextDocument(diagnosis);
  } catch (const YAML::Exception& e) {
    syntax_error(e, text, file, language);
  }
  // The tree walk and the events measure the same thing; this is only reached if they differ.
  throw Error(fmt::format("{}: the document nests or repeats too much for fx to read", file),
              kAliasHint);
}

// The walk over the parsed tree: each distinct node once, an alias counted by the shape of
// what it repeats. Also where duplicate keys are found, since it visits every map.
class TreeCheck {
 public:
  explicit TreeCheck(const std::string& file) : file_(file) {}

  // False when the document breaks a bound (diagnose() says which and where). Throws for a
  // duplicate key.
  bool ok(const YAML::Node& root) {
    if (!root.IsMap() && !root.IsSequence()) return true;
    push(root, "");
    while (!stack_.empty()) {
      Frame& top = stack_.back();
      if (top.value) {  // a map's value, after its key
        YAML::Node value = std::move(*top.value);
        top.value.reset();
        ++top.it;
        if (!visit(value, top.value_path)) return false;
        continue;
      }
      if (top.it == top.end) {
        const Shape shape = top.shape;
        done_.emplace(top.id, shape);
        open_.erase(top.id);
        stack_.pop_back();
        if (stack_.empty()) return true;
        stack_.back().shape.add(shape);
        continue;
      }
      if (!top.map) {
        const YAML::Node item = *top.it;
        ++top.it;
        if (!visit(item, index_in(top.path, top.index++))) return false;
        continue;
      }
      const YAML::Node key = top.it->first;
      top.value = top.it->second;
      if (key.IsScalar()) check_duplicate(top, key);
      top.value_path = key_in(top.path, key.IsScalar() ? key.Scalar() : "?");
      if (!visit(key, top.value_path)) return false;  // may push a frame: `top` is stale now
    }
    return true;
  }

 private:
  struct Frame {
    YAML::Node node;
    const void* id;
    bool map;
    std::string path;
    YAML::const_iterator it, end;
    size_t index = 0;  // lists: the next item's index
    Shape shape;
    std::optional<YAML::Node> value;  // maps: the value to visit after its key
    std::string value_path;
    std::unordered_map<std::string_view, int> keys;  // maps: key (owned by the node) → line
  };

  // yaml-cpp gives no node ids, but every node owns its scalar string, aliases included.
  static const void* id_of(const YAML::Node& node) { return &node.Scalar(); }

  void push(const YAML::Node& node, std::string path) {
    const void* id = id_of(node);
    open_.insert(id);
    stack_.push_back(Frame{node,
                           id,
                           node.IsMap(),
                           std::move(path),
                           node.begin(),
                           node.end(),
                           0,
                           Shape{1, 1, 0},
                           std::nullopt,
                           {},
                           {}});
  }

  bool visit(const YAML::Node& node, std::string path) {
    const void* id = id_of(node);
    if (auto it = done_.find(id); it != done_.end()) {  // met before: an alias
      const Shape& shape = it->second;
      alias_values_ += shape.values;
      alias_bytes_ += shape.bytes;
      if (alias_values_ > kMaxAliasValues || alias_bytes_ > kMaxAliasBytes) return false;
      if (static_cast<int>(stack_.size()) + shape.height > kMaxNesting) return false;
      stack_.back().shape.add(shape);
      return true;
    }
    if (open_.count(id)) return false;  // an alias inside its own anchor
    if (node.IsMap() || node.IsSequence()) {
      if (static_cast<int>(stack_.size()) + 1 > kMaxNesting) return false;
      push(node, std::move(path));
      return true;
    }
    const Shape shape{0, 1, node.IsScalar() ? node.Scalar().size() : 0};
    done_.emplace(id, shape);
    stack_.back().shape.add(shape);
    return true;
  }

  void check_duplicate(Frame& map, const YAML::Node& key) {
    const std::string& name = key.Scalar();
    if (name == "<<" && key.Tag() == "?") return;  // merge keys may repeat
    const int line = key.Mark().line + 1;
    auto [it, fresh] = map.keys.emplace(name, line);
    if (fresh) return;
    throw Error(
        fmt::format("{}:{}:{}: {}: duplicate key; the first is at line {}", file_, line,
                    key.Mark().column + 1, text::printable(key_in(map.path, name)), it->second),
        "keep one of them");
  }

  const std::string& file_;
  std::vector<Frame> stack_;
  std::unordered_map<const void*, Shape> done_;
  std::unordered_set<const void*> open_;
  std::uint64_t alias_values_ = 0;
  std::uint64_t alias_bytes_ = 0;
};

}  // namespace

YAML::Node parse_document(std::string_view text, const std::string& file,
                          std::string_view language) {
  if (text.size() > kMaxDocumentBytes) {
    throw Error(fmt::format("{}: {} MB; fx reads {} files of at most {} MB", file,
                            text.size() >> 20, language, kMaxDocumentBytes >> 20),
                "move large values into plain-text files read with ${file(...)}");
  }
  check_encoding(text, file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    // Includes yaml-cpp's own depth limit, which the events name at kMaxNesting.
    diagnose(text, file, language);
  }
  if (!TreeCheck(file).ok(root)) diagnose(text, file, language);
  return root;
}

}  // namespace fx::manifest
