// Python's import statements without Python.
//
// The scanner is a small hand-written tokenizer: it knows just enough of Python's lexical rules
// (strings of every prefix and quoting, f-string replacement fields, comments, bracket and
// backslash continuation, `;`) to cut a file into statements with their indentation, and reads
// import statements and literal import_module/__import__ calls out of them. Indentation also
// tells it which statements sit in a `try:` body whose handlers catch ImportError, and which
// under `if TYPE_CHECKING:` (never run). Strings shaped like a module path are collected too:
// lazy loaders name their target in one (python_resolver.cpp follows them).
// Checked against CPython: the scanner agrees with the ast module on the 66k import
// statements of a stdlib plus site-packages.
#include "core/bundle/python_lexer.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>

namespace fx::bundle::python {

namespace {

constexpr std::size_t npos = std::string_view::npos;

enum class TokKind : std::uint8_t { name, op, string, number };

struct Token {
  TokKind kind = TokKind::op;
  bool literal = false;   // a string whose text is its value: no f/t/b prefix, no escapes
  std::string_view text;  // the token; for a string, what is between the quotes
  std::uint32_t begin = 0, end = 0;  // source offsets of the whole token
  int line = 0;

  bool is_op(char c) const { return kind == TokKind::op && text[0] == c; }
  bool is_name(std::string_view n) const { return kind == TokKind::name && text == n; }
};

// What a statement means for the try/except structure around it.
enum class StmtKind : std::uint8_t {
  other,
  try_block,
  except_import,  // a handler that catches ImportError (or something wider)
  except_other,
  else_block,
  finally_block,
  dormant_if,  // `if TYPE_CHECKING:` or `if "m" in sys.modules:`: its body never loads anything
};

struct Stmt {
  int indent = 0;  // twice the column; an inline body (`try: import x`) gets the odd value between
  StmtKind kind = StmtKind::other;
  std::size_t first_ref = 0, end_ref = 0;  // the imports it holds, in ScanResult::imports
};

struct StringPrefix {
  bool valid = false, raw = false, fmt = false, bytes = false;
};

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_ident_start(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}
constexpr bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}
constexpr bool is_quote(char c) {
  return c == '\'' || c == '"';
}

// r, u, b, f, t and their legal pairs, in any case (t: PEP 750 template strings).
StringPrefix string_prefix(std::string_view id) {
  StringPrefix p;
  if (id.empty() || id.size() > 2) return p;
  for (char ch : id) {
    switch (ch | 0x20) {
      case 'r':
        if (p.raw) return {};
        p.raw = true;
        break;
      case 'b':
        if (p.bytes || p.fmt) return {};
        p.bytes = true;
        break;
      case 'f':
      case 't':
        if (p.fmt || p.bytes) return {};
        p.fmt = true;
        break;
      case 'u':
        if (id.size() != 1) return {};
        break;
      default:
        return {};
    }
  }
  p.valid = true;
  return p;
}

bool catches_import_error(std::string_view name) {
  return name == "ImportError" || name == "ModuleNotFoundError" || name == "Exception" ||
         name == "BaseException";
}

// import_module or __import__, checked by length first: this runs for every name in a file.
bool is_import_call(std::string_view name) {
  return (name.size() == 13 && name == "import_module") ||
         (name.size() == 10 && name == "__import__");
}

bool is_block_keyword(std::string_view k) {
  if (k.size() < 2 || k.size() > 7) return false;
  static constexpr std::string_view kKeywords[] = {"if",     "elif",    "else",  "try",
                                                   "except", "finally", "while", "for",
                                                   "with",   "def",     "class", "async"};
  return std::find(std::begin(kKeywords), std::end(kKeywords), k) != std::end(kKeywords);
}

// "a.b", "a.b.c", "a.b:c": identifiers joined by dots, at least two of them, and what an
// entry point adds after a colon. Most strings fail on their first space.
bool looks_like_module_path(std::string_view text) {
  if (text.size() < 3 || text.size() > 200) return false;
  if (std::size_t colon = text.find(':'); colon != npos) text = text.substr(0, colon);
  bool dot = false, start = true;
  for (char c : text) {
    if (c == '.') {
      if (start) return false;
      start = dot = true;
    } else if (start ? !is_ident_start(c) : !is_ident_char(c)) {
      return false;
    } else {
      start = false;
    }
  }
  return dot && !start;
}

// Whitespace runs folded to one space and long calls cut short, for a one-line note.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() > 100) return out + "...";
  }
  return out;
}

// Characters that can end a string or change how it is read; everything else is skipped in a
// tight loop, as docstrings are most of the text a scanner reads.
constexpr auto kStringSpecial = [] {
  std::array<bool, 256> special{};
  for (unsigned char c : {'\\', '\n', '\r', '\'', '"', '{'}) special[c] = true;
  return special;
}();

class Scanner {
 public:
  explicit Scanner(std::string_view source) : s_(source), n_(source.size()) {}

  ScanResult run() {
    std::size_t i = s_.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    int depth = 0;
    bool line_start = true;
    while (i < n_) {
      if (line_start) {
        line_start = false;
        int col = 0;
        for (; i < n_; ++i) {
          if (s_[i] == ' ') {
            ++col;
          } else if (s_[i] == '\t') {
            col = (col / 8 + 1) * 8;
          } else if (s_[i] == '\f') {
            col = 0;
          } else {
            break;
          }
        }
        if (i < n_ && s_[i] == '#') i = skip_comment(i);
        if (i >= n_) break;
        if (s_[i] == '\n' || s_[i] == '\r') {  // blank lines do not set the indentation
          i = newline(i);
          line_start = true;
          continue;
        }
        piece_indent_ = 2 * col;
      }
      char c = s_[i];
      switch (c) {
        case ' ':
        case '\t':
        case '\f':
          ++i;
          continue;
        case '\n':
        case '\r':
          i = newline(i);
          if (depth == 0) {
            end_piece();
            line_start = true;
          }
          continue;
        case '\\':
          i = (i + 1 < n_ && (s_[i + 1] == '\n' || s_[i + 1] == '\r')) ? newline(i + 1) : i + 1;
          continue;
        case '#':
          i = skip_comment(i);
          continue;
        case '\'':
        case '"':
          i = read_string(i, i, StringPrefix{.valid = true});
          continue;
        case '(':
        case '[':
        case '{':
          ++depth;
          push_op(i++);
          continue;
        case ')':
        case ']':
        case '}':
          if (depth > 0) --depth;
          push_op(i++);
          continue;
        case ';':
          if (depth == 0) {
            end_piece();
          } else {
            push_op(i);
          }
          ++i;
          continue;
        default:
          break;
      }
      if (is_digit(c) || (c == '.' && i + 1 < n_ && is_digit(s_[i + 1]))) {
        std::size_t j = i + 1;
        while (j < n_ && (is_ident_char(s_[j]) || s_[j] == '.')) ++j;
        push(TokKind::number, i, j);
        i = j;
      } else if (is_ident_start(c)) {
        std::size_t j = i + 1;
        while (j < n_ && is_ident_char(s_[j])) ++j;
        StringPrefix prefix;
        if (j < n_ && is_quote(s_[j])) prefix = string_prefix(s_.substr(i, j - i));
        if (prefix.valid) {
          i = read_string(i, j, prefix);
        } else {
          push(TokKind::name, i, j);
          i = j;
        }
      } else {
        push_op(i++);
      }
    }
    end_piece();
    mark_optional();
    return std::move(out_);
  }

 private:
  std::size_t newline(std::size_t i) {
    ++line_;
    return (s_[i] == '\r' && i + 1 < n_ && s_[i + 1] == '\n') ? i + 2 : i + 1;
  }

  std::size_t skip_comment(std::size_t i) const {
    while (i < n_ && s_[i] != '\n' && s_[i] != '\r') ++i;
    return i;
  }

  void push(TokKind kind, std::size_t begin, std::size_t end) {
    Token t;
    t.kind = kind;
    t.text = s_.substr(begin, end - begin);
    t.begin = static_cast<std::uint32_t>(begin);
    t.end = static_cast<std::uint32_t>(end);
    t.line = line_;
    push(t);
  }

  // Most statements hold no import, and storing their tokens was the scanner's main cost. A
  // statement is recorded from its first token when that token can start something we parse
  // (import, from, __all__, a block header); any other statement only from an import_module /
  // __import__ call on, with the two tokens before it (`importlib.`, or a `def`).
  void push(const Token& t) {
    if (!started_) {
      started_ = true;
      recording_ = t.kind == TokKind::name &&
                   (t.text == "import" || t.text == "from" || t.text == "__all__" ||
                    t.text == "match" || t.text == "case" || is_block_keyword(t.text));
      partial_ = false;
      recent_count_ = recent_next_ = 0;
    }
    if (recording_) {
      toks_.push_back(t);
      return;
    }
    if (t.kind == TokKind::name && is_import_call(t.text)) {
      recording_ = partial_ = true;
      if (recent_count_ == 2) toks_.push_back(recent_[recent_next_]);  // the older one
      if (recent_count_ >= 1) toks_.push_back(recent_[recent_next_ ^ 1]);
      toks_.push_back(t);
      return;
    }
    recent_[recent_next_] = t;
    recent_next_ ^= 1;
    if (recent_count_ < 2) ++recent_count_;
  }
  void push_op(std::size_t i) { push(TokKind::op, i, i + 1); }

  // Reads the string whose prefix starts at `begin` and whose opening quote is at `q`.
  std::size_t read_string(std::size_t begin, std::size_t q, StringPrefix p) {
    char quote = s_[q];
    bool triple = q + 2 < n_ && s_[q + 1] == quote && s_[q + 2] == quote;
    std::size_t body = q + (triple ? 3 : 1);
    int line = line_;
    std::size_t end = skip_string(body, quote, triple, p.raw, p.fmt);
    std::size_t body_end = terminated_ ? end - (triple ? 3 : 1) : end;
    Token t;
    t.kind = TokKind::string;
    t.text = s_.substr(body, body_end - body);
    // Module names are short: a long string (a docstring) is not worth a second pass.
    t.literal = !p.fmt && !p.bytes && t.text.size() <= 256 && t.text.find('\\') == npos;
    if (t.literal && looks_like_module_path(t.text))
      out_.module_strings.push_back({std::string(t.text), line});
    t.begin = static_cast<std::uint32_t>(begin);
    t.end = static_cast<std::uint32_t>(end);
    t.line = line;
    push(t);
    return end;
  }

  // From just inside the opening quote to just past the closing one. An unterminated
  // single-quoted string stops at the end of its line, as Python's tokenizer gives up there.
  std::size_t skip_string(std::size_t i, char quote, bool triple, bool raw, bool fmt) {
    while (i < n_) {
      while (i < n_ && !kStringSpecial[static_cast<unsigned char>(s_[i])]) ++i;
      if (i >= n_) break;
      char c = s_[i];
      if (c == '\\') {
        if (i + 1 >= n_) break;
        char d = s_[i + 1];
        if (d == '\n' || d == '\r') {
          i = newline(i + 1);
        } else if (fmt && (d == '{' || d == '}')) {
          ++i;  // a backslash does not escape a replacement field
        } else if (fmt && !raw && d == 'N' && i + 2 < n_ && s_[i + 2] == '{') {
          i += 3;  // \N{NAME} is a character name, not a field
          while (i < n_ && s_[i] != '}' && s_[i] != quote && s_[i] != '\n') ++i;
          if (i < n_ && s_[i] == '}') ++i;
        } else {
          i += 2;  // also in raw strings: r"\"" does not end at the escaped quote
        }
        continue;
      }
      if (c == '\n' || c == '\r') {
        if (!triple) break;
        i = newline(i);
        continue;
      }
      if (c == quote) {
        if (!triple) {
          terminated_ = true;
          return i + 1;
        }
        if (i + 2 < n_ && s_[i + 1] == quote && s_[i + 2] == quote) {
          terminated_ = true;
          return i + 3;
        }
        ++i;
        continue;
      }
      if (fmt && c == '{') {
        if (i + 1 < n_ && s_[i + 1] == '{') {
          i += 2;
        } else {
          i = skip_field(i + 1, quote, triple);
        }
        continue;
      }
      ++i;
    }
    terminated_ = false;
    return std::min(i, n_);
  }

  std::size_t skip_nested_string(std::size_t q, StringPrefix p) {
    char quote = s_[q];
    bool triple = q + 2 < n_ && s_[q + 1] == quote && s_[q + 2] == quote;
    return skip_string(q + (triple ? 3 : 1), quote, triple, p.raw, p.fmt);
  }

  // An f-string replacement field, from after its '{' to after its '}'. Strings inside are
  // nested strings, even with the enclosing quote (PEP 701); older code never reuses it.
  std::size_t skip_field(std::size_t i, char quote, bool triple) {
    int depth = 0;
    while (i < n_) {
      char c = s_[i];
      if (is_quote(c)) {
        i = skip_nested_string(i, StringPrefix{.valid = true});
        continue;
      }
      if (is_ident_start(c)) {
        std::size_t j = i + 1;
        while (j < n_ && is_ident_char(s_[j])) ++j;
        StringPrefix prefix;
        if (j < n_ && is_quote(s_[j])) prefix = string_prefix(s_.substr(i, j - i));
        i = prefix.valid ? skip_nested_string(j, prefix) : j;
        continue;
      }
      switch (c) {
        case '(':
        case '[':
        case '{':
          ++depth;
          break;
        case ')':
        case ']':
          if (depth > 0) --depth;
          break;
        case '}':
          if (depth == 0) return i + 1;
          --depth;
          break;
        case ':':
          if (depth == 0) return skip_format_spec(i + 1, quote, triple);
          break;
        case '#':
          i = skip_comment(i);
          continue;
        case '\n':
        case '\r':
          i = newline(i);
          continue;
        default:
          break;
      }
      ++i;
    }
    return n_;
  }

  // A format spec is text again, with nested fields: f"{x:>{width}}".
  std::size_t skip_format_spec(std::size_t i, char quote, bool triple) {
    while (i < n_) {
      char c = s_[i];
      if (c == '{') {
        i = skip_field(i + 1, quote, triple);
        continue;
      }
      if (c == '}') return i + 1;
      if (!triple && (c == quote || c == '\n' || c == '\r')) return i;
      if (c == '\n' || c == '\r') {
        i = newline(i);
        continue;
      }
      ++i;
    }
    return n_;
  }

  void end_piece() {
    if (!toks_.empty()) {
      emit(0, toks_.size(), piece_indent_);
    } else if (started_) {  // not recorded, but its indentation still shapes try blocks
      Stmt stmt;
      stmt.indent = piece_indent_;
      stmt.first_ref = stmt.end_ref = out_.imports.size();
      stmts_.push_back(stmt);
    }
    toks_.clear();
    started_ = recording_ = partial_ = false;
  }

  // The ':' that ends a block header, skipping lambdas' and walruses' colons.
  std::size_t header_colon(std::size_t from, std::size_t to) const {
    int depth = 0, lambdas = 0;
    for (std::size_t k = from; k < to; ++k) {
      const Token& t = toks_[k];
      if (t.kind == TokKind::name) {
        if (depth == 0 && t.text == "lambda") ++lambdas;
        continue;
      }
      if (t.kind != TokKind::op) continue;
      char c = t.text[0];
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || c == '}') {
        if (depth > 0) --depth;
      } else if (c == ':' && depth == 0) {
        if (k + 1 < to && toks_[k + 1].is_op('=') && toks_[k + 1].begin == t.end) continue;
        if (lambdas > 0) {
          --lambdas;
          continue;
        }
        return k;
      }
    }
    return npos;
  }

  bool opens_block(std::size_t from, std::size_t to) const {
    std::string_view k = toks_[from].text;
    if (is_block_keyword(k)) return true;
    if (k != "match" && k != "case") return false;
    // Soft keywords: `match = 1` and `case.x: int` are ordinary statements.
    if (from + 1 >= to) return false;
    const Token& next = toks_[from + 1];
    if (next.kind == TokKind::op && !next.is_op('(') && !next.is_op('[') && !next.is_op('{') &&
        !next.is_op('-') && !next.is_op('*'))
      return false;
    return header_colon(from, to) != npos;
  }

  // TYPE_CHECKING, typing.TYPE_CHECKING: False at run time. "m" in sys.modules: true only when
  // m is loaded already, so the imports under it add nothing.
  bool is_dormant_condition(std::size_t from, std::size_t to) const {
    std::size_t n = to - from;
    if (n == 0) return false;
    const Token* t = &toks_[from];
    if (n == 1 || (n == 3 && t[1].is_op('.'))) return t[n - 1].is_name("TYPE_CHECKING");
    return n == 5 && t[0].kind == TokKind::string && t[1].is_name("in") && t[2].is_name("sys") &&
           t[3].is_op('.') && t[4].is_name("modules");
  }

  StmtKind block_kind(std::size_t from, std::size_t colon) const {
    std::string_view k = toks_[from].text;
    if (k == "try") return StmtKind::try_block;
    if (k == "else") return StmtKind::else_block;
    if (k == "finally") return StmtKind::finally_block;
    if (k == "if")
      return is_dormant_condition(from + 1, colon) ? StmtKind::dormant_if : StmtKind::other;
    if (k != "except") return StmtKind::other;
    bool any = false;
    for (std::size_t i = from + 1; i < colon; ++i) {
      const Token& t = toks_[i];
      if (t.is_name("as")) break;
      if (t.kind != TokKind::name) continue;
      any = true;
      if (catches_import_error(t.text)) return StmtKind::except_import;
    }
    return any ? StmtKind::except_other : StmtKind::except_import;  // bare except catches all
  }

  // One statement: tokens [from, to) at `indent`. A block header with its body on the same
  // line (`try: import x`) becomes two statements, the body indented one notch deeper.
  void emit(std::size_t from, std::size_t to, int indent) {
    const Token& head = toks_[from];
    std::size_t colon = npos;
    if (!partial_ && head.kind == TokKind::name && opens_block(from, to))
      colon = header_colon(from, to);
    Stmt stmt;
    stmt.indent = indent;
    stmt.first_ref = out_.imports.size();
    if (colon == npos) {
      if (partial_) {
        // Only a call's tokens were kept: no statement keyword to look at.
      } else if (head.is_name("import")) {
        parse_import(from, to);
      } else if (head.is_name("from")) {
        parse_from(from, to);
      } else if (indent == 0 && head.is_name("__all__")) {
        parse_all(from, to);
      }
      parse_calls(from, to);
      stmt.end_ref = out_.imports.size();
      stmts_.push_back(stmt);
      return;
    }
    stmt.kind = block_kind(from, colon);
    parse_calls(from, colon);
    stmt.end_ref = out_.imports.size();
    stmts_.push_back(stmt);
    if (colon + 1 < to) {
      piece_indent_ = indent + 1;  // `try: import a; import b`: b is in the body too
      emit(colon + 1, to, indent + 1);
    }
  }

  // Reads NAME(.NAME)* at k into `out`; returns the index after it.
  std::size_t dotted(std::size_t k, std::size_t to, std::string& out) const {
    out.assign(toks_[k].text);
    ++k;
    while (k + 1 < to && toks_[k].is_op('.') && toks_[k + 1].kind == TokKind::name) {
      out += '.';
      out += toks_[k + 1].text;
      k += 2;
    }
    return k;
  }

  void parse_import(std::size_t from, std::size_t to) {
    std::size_t k = from + 1;
    while (k < to && toks_[k].kind == TokKind::name) {
      ImportRef ref;
      ref.line = toks_[from].line;
      k = dotted(k, to, ref.module);
      if (k < to && toks_[k].is_name("as")) k += 2;
      out_.imports.push_back(std::move(ref));
      if (k >= to || !toks_[k].is_op(',')) break;
      ++k;
    }
  }

  void parse_from(std::size_t from, std::size_t to) {
    ImportRef ref;
    ref.line = toks_[from].line;
    std::size_t k = from + 1;
    for (; k < to && toks_[k].is_op('.'); ++k) ++ref.level;
    if (k < to && toks_[k].kind == TokKind::name && toks_[k].text != "import")
      k = dotted(k, to, ref.module);
    if (k >= to || !toks_[k].is_name("import")) return;
    ++k;
    if (k < to && toks_[k].is_op('(')) ++k;
    while (k < to) {
      const Token& t = toks_[k];
      if (t.is_op('*')) {
        ref.names.emplace_back("*");
        ++k;
      } else if (t.kind == TokKind::name) {
        ref.names.emplace_back(t.text);
        ++k;
        if (k < to && toks_[k].is_name("as")) k += 2;
      } else {
        break;
      }
      if (k >= to || !toks_[k].is_op(',')) break;
      ++k;
    }
    if (ref.level == 0 && ref.module.empty()) return;
    out_.imports.push_back(std::move(ref));
  }

  // `__all__ = [...]`, `__all__ += (...)`, `__all__: list[str] = [...]`.
  void parse_all(std::size_t from, std::size_t to) {
    std::size_t k = from + 1;
    while (k < to && !toks_[k].is_op('=')) ++k;
    for (++k; k < to; ++k)
      if (toks_[k].kind == TokKind::string && toks_[k].literal)
        out_.all_names.emplace_back(toks_[k].text);
  }

  // The value of a call argument made only of plain string literals ("a" "b" concatenates).
  std::optional<std::string> literal(std::size_t from, std::size_t to) const {
    if (from >= to) return std::nullopt;
    std::string value;
    for (std::size_t k = from; k < to; ++k) {
      if (toks_[k].kind != TokKind::string || !toks_[k].literal) return std::nullopt;
      value += toks_[k].text;
    }
    return value;
  }

  struct Arg {
    std::size_t begin, end;  // token range of the value
    std::string_view keyword;
  };

  // import_module("x", package="p") and __import__("x", g, l, ["y"], 0), anywhere in a
  // statement. A computed name cannot be followed and is reported instead.
  void parse_calls(std::size_t from, std::size_t to) {
    for (std::size_t k = from; k + 1 < to; ++k) {
      const Token& callee = toks_[k];
      if (callee.kind != TokKind::name || !toks_[k + 1].is_op('(')) continue;
      bool is_import_module = callee.text == "import_module";
      if (!is_import_module && callee.text != "__import__") continue;
      if (k > from && toks_[k - 1].is_name("def")) continue;
      std::uint32_t begin = callee.begin;
      if (k >= from + 2 && toks_[k - 1].is_op('.') && toks_[k - 2].kind == TokKind::name)
        begin = toks_[k - 2].begin;

      std::vector<Arg> args;
      int depth = 0;
      std::size_t p = k + 2, start = p;
      for (; p < to; ++p) {
        const Token& t = toks_[p];
        if (t.kind != TokKind::op) continue;
        char c = t.text[0];
        if (c == '(' || c == '[' || c == '{') {
          ++depth;
        } else if (c == ')' || c == ']' || c == '}') {
          if (depth-- == 0) break;
        } else if (c == ',' && depth == 0) {
          args.push_back({start, p, {}});
          start = p + 1;
        }
      }
      if (start < p) args.push_back({start, p, {}});
      for (Arg& a : args) {
        if (a.end - a.begin >= 2 && toks_[a.begin].kind == TokKind::name &&
            toks_[a.begin + 1].is_op('=')) {
          a.keyword = toks_[a.begin].text;
          a.begin += 2;
        }
      }
      if (args.empty() || !args[0].keyword.empty()) continue;
      std::uint32_t end = p < to ? toks_[p].end : toks_[to - 1].end;

      std::optional<std::string> name = literal(args[0].begin, args[0].end);
      if (!name) {
        out_.dynamic.push_back({one_line(s_.substr(begin, end - begin)), callee.line});
        continue;
      }
      ImportRef ref;
      ref.line = callee.line;
      std::size_t dots = name->find_first_not_of('.');
      if (dots == npos) dots = name->size();
      ref.level = static_cast<int>(dots);
      ref.module = name->substr(dots);
      if (is_import_module) {
        std::optional<std::string> package;
        for (std::size_t a = 1; a < args.size(); ++a)
          if ((a == 1 && args[a].keyword.empty()) || args[a].keyword == "package")
            package = literal(args[a].begin, args[a].end);
        if (ref.level > 0 && package) {
          // importlib's _resolve_name: drop level-1 trailing components of the package.
          std::string base = *package;
          for (int up = 1; up < ref.level && !base.empty(); ++up) {
            std::size_t dot = base.rfind('.');
            base = dot == npos ? std::string() : base.substr(0, dot);
          }
          if (!base.empty()) {
            ref.module = ref.module.empty() ? base : base + "." + ref.module;
            ref.level = 0;
          }
        }
        // Without a literal package (usually __package__ or __name__), resolve it against the
        // calling module's package, as a relative from-import would.
      } else {
        for (std::size_t a = 1; a < args.size(); ++a) {
          const Arg& arg = args[a];
          if ((a == 3 && arg.keyword.empty()) || arg.keyword == "fromlist") {
            for (std::size_t t = arg.begin; t < arg.end; ++t)
              if (toks_[t].kind == TokKind::string && toks_[t].literal)
                ref.names.emplace_back(toks_[t].text);
          } else if (((a == 4 && arg.keyword.empty()) || arg.keyword == "level") &&
                     arg.end == arg.begin + 1 && toks_[arg.begin].kind == TokKind::number) {
            ref.level = std::atoi(std::string(toks_[arg.begin].text).c_str());
          }
        }
      }
      if (ref.module.empty() && ref.level == 0) continue;
      out_.imports.push_back(std::move(ref));
    }
  }

  // A statement is optional when it sits in the body of a try whose handlers catch
  // ImportError (or something wider); the handlers' own bodies are not. One is dormant in the
  // body (not the else) of a dormant if.
  void mark_optional() {
    std::size_t n = stmts_.size();
    for (std::size_t i = 0; i < n; ++i) {
      if (stmts_[i].kind != StmtKind::try_block && stmts_[i].kind != StmtKind::dormant_if) continue;
      int indent = stmts_[i].indent;
      std::size_t body_end = i + 1;
      while (body_end < n && stmts_[body_end].indent > indent) ++body_end;
      if (stmts_[i].kind == StmtKind::dormant_if) {
        for (std::size_t s = i + 1; s < body_end; ++s)
          for (std::size_t r = stmts_[s].first_ref; r < stmts_[s].end_ref; ++r)
            out_.imports[r].dormant = true;
        continue;
      }
      bool catches = false;
      for (std::size_t k = body_end; k < n && stmts_[k].indent == indent;) {
        StmtKind kind = stmts_[k].kind;
        if (kind == StmtKind::except_import) {
          catches = true;
        } else if (kind != StmtKind::except_other && kind != StmtKind::else_block &&
                   kind != StmtKind::finally_block) {
          break;
        }
        for (++k; k < n && stmts_[k].indent > indent;) ++k;
      }
      if (!catches) continue;
      for (std::size_t s = i + 1; s < body_end; ++s)
        for (std::size_t r = stmts_[s].first_ref; r < stmts_[s].end_ref; ++r)
          out_.imports[r].optional = true;
    }
  }

  std::string_view s_;
  std::size_t n_;
  int line_ = 1;
  bool terminated_ = false;  // whether the last skip_string found its closing quote
  int piece_indent_ = 0;     // indentation of the statement being read
  bool started_ = false;     // the statement being read has a token
  bool recording_ = false;   // its tokens go to toks_
  bool partial_ = false;     // toks_ starts at a call, not at the statement's start
  Token recent_[2];          // the last tokens of a statement not recorded, as a ring
  int recent_count_ = 0;
  int recent_next_ = 0;
  std::vector<Token> toks_;  // the statement being read
  std::vector<Stmt> stmts_;
  ScanResult out_;
};

}  // namespace

ScanResult scan_source(std::string_view source) {
  return Scanner(source).run();
}

std::vector<ImportRef> scan_imports(std::string_view source) {
  return scan_source(source).imports;
}

}  // namespace fx::bundle::python
