// Node.js require/import specifiers without a parser: a tokenizer-level scanner that knows
// comments, strings, template literals (and their ${...} substitutions) and, by the usual
// heuristic on the previous token, regex literals, and reads the require/import/export forms
// between them.
#include "core/bundle/node_lexer.h"

#include <algorithm>
#include <optional>
#include <unordered_set>
#include <utility>

namespace fx::bundle::node {

namespace {

bool is_ident_start(char c) {
  auto u = static_cast<unsigned char>(c);
  // '#' starts private names (this.#require is not a require); bytes >= 0x80 are UTF-8 letters.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c == '#' ||
         u >= 0x80;
}

bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Keywords after which an expression (and so a regex literal) may start.
bool is_expression_keyword(std::string_view w) {
  static constexpr std::string_view k[] = {"return", "typeof", "case",  "do",        "else",
                                           "in",     "of",     "new",   "delete",    "void",
                                           "throw",  "yield",  "await", "instanceof"};
  if (w.size() < 2 || w.size() > 10) return false;
  return std::find(std::begin(k), std::end(k), w) != std::end(k);
}

class Scanner {
 public:
  explicit Scanner(std::string_view source) : s_(source) {}

  ScanResult run() {
    if (s_.starts_with("#!")) skip_line();
    while (pos_ < s_.size()) step();
    return std::move(out_);
  }

 private:
  struct Cursor {
    size_t pos;
    int line;
  };
  // What the previous token was, to tell a regex literal from a division.
  enum class Prev { start, punct, keyword, value, dot };

  char at(size_t p) const { return p < s_.size() ? s_[p] : '\0'; }

  void skip_line() {
    while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
  }

  // Moves past whitespace and comments.
  void skip_blank(Cursor& c) const {
    while (c.pos < s_.size()) {
      char ch = s_[c.pos];
      if (ch == '\n') {
        ++c.line;
        ++c.pos;
      } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
        ++c.pos;
      } else if (ch == '/' && at(c.pos + 1) == '/') {
        while (c.pos < s_.size() && s_[c.pos] != '\n') ++c.pos;
      } else if (ch == '/' && at(c.pos + 1) == '*') {
        c.pos += 2;
        while (c.pos < s_.size() && !(s_[c.pos] == '*' && at(c.pos + 1) == '/')) {
          if (s_[c.pos] == '\n') ++c.line;
          ++c.pos;
        }
        c.pos = std::min(c.pos + 2, s_.size());
      } else {
        return;
      }
    }
  }

  // Reads a '...' or "..." literal at c (on the quote); its value, or nullopt if unterminated.
  std::optional<std::string> read_string(Cursor& c) const {
    char quote = s_[c.pos++];
    std::string value;
    while (c.pos < s_.size()) {
      char ch = s_[c.pos++];
      if (ch == quote) return value;
      if (ch == '\n') {
        ++c.line;
        return std::nullopt;
      }
      if (ch == '\\' && c.pos < s_.size()) {
        char e = s_[c.pos++];
        if (e == '\n') {
          ++c.line;  // line continuation
          continue;
        }
        value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        continue;
      }
      value += ch;
    }
    return std::nullopt;
  }

  // Reads an identifier at c.
  std::string_view read_ident(Cursor& c) const {
    size_t start = c.pos;
    while (c.pos < s_.size() && is_ident_char(s_[c.pos])) ++c.pos;
    return s_.substr(start, c.pos - start);
  }

  // Moves past a regex literal at c (on the '/'); false if it is not one (no closing '/' on
  // the line), so the caller treats the '/' as division.
  bool skip_regex(Cursor& c) const {
    size_t p = c.pos + 1;
    bool in_class = false;
    while (true) {
      char ch = at(p);
      if (ch == '\0' || ch == '\n') return false;
      if (ch == '\\') {
        if (at(p + 1) == '\n') return false;
        p += 2;
        continue;
      }
      ++p;
      if (ch == '[') in_class = true;
      if (ch == ']') in_class = false;
      if (ch == '/' && !in_class) break;
    }
    while (is_ident_char(at(p))) ++p;
    c.pos = p;
    return true;
  }

  // The call starting at `start` as written (to its closing parenthesis), whitespace collapsed,
  // and the position after it.
  std::pair<std::string, size_t> call_text(size_t start) const {
    std::string text;
    int depth = 0;
    size_t p = start;
    char quote = 0;
    bool space = false;
    for (; p < s_.size() && p < start + 400; ++p) {
      char ch = s_[p];
      if (quote) {
        if (ch == '\\') {
          text += ch;
          ch = s_[++p];
        } else if (ch == quote) {
          quote = 0;
        }
        text += ch;
        continue;
      }
      if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
        space = true;
        continue;
      }
      if (space && !text.empty()) text += ' ';
      space = false;
      text += ch;
      if (ch == '\'' || ch == '"' || ch == '`') quote = ch;
      if (ch == '(') ++depth;
      if (ch == ')' && --depth == 0) {
        ++p;
        break;
      }
    }
    if (text.size() > 100) text = text.substr(0, 97) + "...";
    return {text, p};
  }

  // Handles the argument list of a require/import call; `paren` is on the '('.
  void call(size_t start, int line, Cursor paren, ImportRef::Kind kind) {
    Cursor a{paren.pos + 1, paren.line};
    skip_blank(a);
    char q = at(a.pos);
    if (q == ')') return;  // require() with no argument loads nothing
    std::string prefix;
    if (q == '\'' || q == '"' || q == '`') {
      std::optional<std::string> value;
      if (q == '`') {
        value = read_plain_template(a, prefix);
      } else {
        value = read_string(a);
      }
      if (value) {
        Cursor b = a;
        skip_blank(b);
        char next = at(b.pos);
        if (next == ')' || next == ',') {
          out_.imports.push_back({std::move(*value), kind, line});
          return;
        }
        if (next == '+') prefix = std::move(*value);
      }
    }
    auto [text, end] = call_text(start);
    Cursor after{end, 0};
    skip_blank(after);
    if (at(after.pos) == '{') return;  // a method named require: `require(path) { ... }`
    out_.dynamic.push_back({line, std::move(text), std::move(prefix)});
  }

  // Reads a template literal at c; its text if it has no ${...}, else nullopt with the text
  // before the first substitution in `prefix`.
  std::optional<std::string> read_plain_template(Cursor& c, std::string& prefix) const {
    std::string value;
    ++c.pos;
    while (c.pos < s_.size()) {
      char ch = s_[c.pos++];
      if (ch == '`') return value;
      if (ch == '\n') ++c.line;
      if (ch == '$' && at(c.pos) == '{') {
        prefix = value;
        return std::nullopt;
      }
      if (ch == '\\' && c.pos < s_.size()) ch = s_[c.pos++];
      value += ch;
    }
    return std::nullopt;
  }

  // Moves past `{ a, b as c, "d" as e }` at c; false on anything else.
  bool skip_specifier_braces(Cursor& c) const {
    ++c.pos;
    while (true) {
      skip_blank(c);
      char ch = at(c.pos);
      if (ch == '}') {
        ++c.pos;
        return true;
      }
      if (is_ident_start(ch)) {
        read_ident(c);
      } else if (ch == ',') {
        ++c.pos;
      } else if (ch == '\'' || ch == '"') {
        if (!read_string(c)) return false;
      } else {
        return false;
      }
    }
  }

  // At c: `from 'x'`? Records the import and moves the main cursor past it.
  bool from_clause(Cursor c, int line, ImportRef::Kind kind) {
    skip_blank(c);
    if (read_ident(c) != "from") return false;
    skip_blank(c);
    if (at(c.pos) != '\'' && at(c.pos) != '"') return false;
    auto value = read_string(c);
    if (!value) return false;
    out_.imports.push_back({std::move(*value), kind, line});
    pos_ = c.pos;
    line_ = c.line;
    prev_ = Prev::start;
    return true;
  }

  // After the `import` keyword: import(...), import 'x', import a, {b}, * as c from 'x'.
  bool import_statement(size_t start, int line) {
    Cursor c{pos_, line_};
    skip_blank(c);
    char n = at(c.pos);
    if (n == '(') {
      call(start, line, c, ImportRef::Kind::dynamic_import);
      return false;
    }
    if (n == '\'' || n == '"') {
      auto value = read_string(c);
      if (!value) return false;
      out_.imports.push_back({std::move(*value), ImportRef::Kind::import, line});
      pos_ = c.pos;
      line_ = c.line;
      prev_ = Prev::start;
      return true;
    }
    for (int tokens = 0; tokens < 32; ++tokens) {
      skip_blank(c);
      char ch = at(c.pos);
      if (is_ident_start(ch)) {
        if (from_clause(c, line, ImportRef::Kind::import)) return true;
        read_ident(c);
      } else if (ch == '*' || ch == ',') {
        ++c.pos;
      } else if (ch == '{') {
        if (!skip_specifier_braces(c)) return false;
      } else {
        return false;  // import.meta, `import x = require(...)` (TypeScript), a property
      }
    }
    return false;
  }

  // After the `export` keyword: export * from 'x', export * as n from 'x', export {a} from 'x'.
  bool export_statement(int line) {
    Cursor c{pos_, line_};
    skip_blank(c);
    char n = at(c.pos);
    if (n == '*') {
      ++c.pos;
      skip_blank(c);
      Cursor as = c;
      if (read_ident(as) == "as") {
        skip_blank(as);
        if (at(as.pos) == '\'' || at(as.pos) == '"') {
          if (!read_string(as)) return false;
        } else if (read_ident(as).empty()) {
          return false;
        }
        c = as;
      }
      return from_clause(c, line, ImportRef::Kind::export_from);
    }
    if (n == '{') {
      if (!skip_specifier_braces(c)) return false;
      return from_clause(c, line, ImportRef::Kind::export_from);
    }
    return false;
  }

  void identifier() {
    size_t start = pos_;
    int line = line_;
    Cursor c{pos_, line_};
    std::string_view word = read_ident(c);
    pos_ = c.pos;
    Prev before = prev_;
    std::string_view assign_target = assign_target_;
    assign_target_ = {};
    std::string_view before_ident = prev_ident_;
    prev_ident_ = word;
    prev_ = is_expression_keyword(word) ? Prev::keyword : Prev::value;
    if (before == Prev::dot) return;  // obj.require(...), obj.import

    bool is_require = word == "require" || (!aliases_.empty() && aliases_.count(word) > 0);
    if (is_require && before_ident != "function") {
      Cursor n{pos_, line_};
      skip_blank(n);
      if (at(n.pos) == '(') {
        call(start, line, n, ImportRef::Kind::require);
      } else if (word == "require" && at(n.pos) == '.') {
        ++n.pos;
        skip_blank(n);
        if (read_ident(n) == "resolve") {
          skip_blank(n);
          if (at(n.pos) == '(') call(start, line, n, ImportRef::Kind::require_resolve);
        }
      } else if (word == "require" && !assign_target.empty()) {
        // `r = require`: calls through r load modules too (moment's aliasedRequire).
        aliases_.insert(assign_target);
      }
    } else if (word == "import") {
      import_statement(start, line);
    } else if (word == "export") {
      export_statement(line);
    }
  }

  void punct(char ch) {
    if (ch == '=') {
      // A plain assignment `x = ...`, not ==, ===, !=, <=, >=, +=, =>.
      char before = at(pos_ - 1), after = at(pos_ + 1);
      bool plain = std::string_view("=!<>+-*/%&|^?").find(before) == std::string_view::npos &&
                   after != '=' && after != '>';
      assign_target_ = plain ? prev_ident_ : std::string_view();
    } else {
      assign_target_ = {};
    }
    prev_ident_ = {};
    prev_ = Prev::punct;
    ++pos_;
  }

  // Template text after '`' or after the '}' closing a substitution.
  void template_text() {
    while (pos_ < s_.size()) {
      char ch = s_[pos_];
      if (ch == '\\') {
        if (at(pos_ + 1) == '\n') ++line_;
        pos_ += 2;
        continue;
      }
      if (ch == '\n') ++line_;
      if (ch == '`') {
        ++pos_;
        prev_ = Prev::value;
        return;
      }
      if (ch == '$' && at(pos_ + 1) == '{') {
        pos_ += 2;
        templates_.push_back(++depth_);
        prev_ = Prev::punct;
        return;
      }
      ++pos_;
    }
  }

  void step() {
    char ch = s_[pos_];
    if (ch == '\n' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v' ||
        (ch == '/' && (at(pos_ + 1) == '/' || at(pos_ + 1) == '*'))) {
      Cursor c{pos_, line_};
      skip_blank(c);
      pos_ = c.pos;
      line_ = c.line;
      return;
    }
    if (ch == '\'' || ch == '"') {
      Cursor c{pos_, line_};
      read_string(c);
      pos_ = c.pos;
      line_ = c.line;
      value_token();
      return;
    }
    if (ch == '`') {
      ++pos_;
      template_text();
      prev_ident_ = {};
      assign_target_ = {};
      return;
    }
    if (ch == '/' && (prev_ == Prev::start || prev_ == Prev::punct || prev_ == Prev::keyword)) {
      Cursor c{pos_, line_};
      if (skip_regex(c)) {
        pos_ = c.pos;
        value_token();
        return;
      }
    }
    if (is_ident_start(ch)) {
      identifier();
      return;
    }
    if (is_digit(ch) || (ch == '.' && is_digit(at(pos_ + 1)))) {
      while (pos_ < s_.size() && (is_ident_char(s_[pos_]) || s_[pos_] == '.')) ++pos_;
      value_token();
      return;
    }
    switch (ch) {
      case '{':
        ++depth_;
        punct(ch);
        return;
      case '}':
        if (!templates_.empty() && templates_.back() == depth_) {
          templates_.pop_back();
          --depth_;
          ++pos_;
          template_text();
          return;
        }
        --depth_;
        punct(ch);
        return;
      case ')':
      case ']':
        ++pos_;
        value_token();
        return;
      case '.':
        if (at(pos_ + 1) == '.' && at(pos_ + 2) == '.') {  // spread: ...require('x')
          pos_ += 2;
          punct(ch);
          return;
        }
        ++pos_;
        prev_ = Prev::dot;
        prev_ident_ = {};
        assign_target_ = {};
        return;
      default:
        punct(ch);
    }
  }

  void value_token() {
    prev_ = Prev::value;
    prev_ident_ = {};
    assign_target_ = {};
  }

  std::string_view s_;
  size_t pos_ = 0;
  int line_ = 1;
  Prev prev_ = Prev::start;
  // Views into s_, which outlives the scan.
  std::string_view prev_ident_;                   // the previous token if it was an identifier
  std::string_view assign_target_;                // `x` right after `x =`
  std::unordered_set<std::string_view> aliases_;  // names assigned `= require`
  int depth_ = 0;                                 // brace depth
  std::vector<int> templates_;                    // brace depth of each open ${ substitution
  ScanResult out_;
};

}  // namespace

ScanResult scan(std::string_view source) {
  return Scanner(source).run();
}

}  // namespace fx::bundle::node
