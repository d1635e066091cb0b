// Python import graphs without Python.
//
// The scanner is a small hand-written tokenizer: it knows just enough of Python's lexical rules
// (strings of every prefix and quoting, f-string replacement fields, comments, bracket and
// backslash continuation, `;`) to cut a file into statements with their indentation, and reads
// import statements and literal import_module/__import__ calls out of them. Indentation also
// tells it which statements sit in a `try:` body whose handlers catch ImportError, and which
// under `if TYPE_CHECKING:` (never run).
//
// The resolver mirrors importlib's PathFinder/FileFinder over cached directory listings: for
// each name the first root (or parent __path__ entry) holding a package, extension module or
// source file wins, and directories without __init__ only become a namespace package when no
// root has anything better. Everything reached is kept together with the data files of its
// package folders, and the dist-info metadata importlib.metadata reads for it.
//
// Some imports leave no import statement. Lazy loaders name their target in a string
// (boto3 registers 'boto3.s3.inject.inject_s3_transfer_methods'), so strings shaped like a
// module path below a package in the roots are followed too. Native code imports from C:
// cffi's modules load _cffi_backend (kept when a reached distribution requires cffi), and
// mypyc's runtime library sits at the top level (kept when a reached wheel's RECORD lists it).
// Checked against CPython: the scanner agrees with the ast module on the 66k import
// statements of a stdlib plus site-packages, and bundles of boto3, requests, flask, pydantic
// and others import with site-packages switched off.
#include "core/bundle/python_imports.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/util/error.h"

namespace fx::bundle::python {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// ---------------------------------------------------------------------------------------------
// Scanner

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

// ---------------------------------------------------------------------------------------------
// File system: cached listings

// `outside`: a symlink out of every root that no package.patterns line names; never followed.
enum class EntryType : std::uint8_t { file, dir, other, loop, outside };

struct Entry {
  std::string name;
  EntryType type = EntryType::other;
  bool symlink = false;
  std::string target;  // where an `outside` link leads
};

bool ends_with_native(std::string_view name) {
  return name.ends_with(".so") || name.ends_with(".pyd");
}

// One directory as seen from a root. Symlinked directories are listed where the link is, so
// archive paths stay those of the link; `real` is where they lead.
struct Listing {
  std::string dir;  // absolute; strings, not fs::path, as paths here are only ever joined
  std::string real;
  std::string rel;  // '/'-separated path from the root, "" for the root itself
  int root = 0;
  std::string problem;  // set when reaching this folder crossed a bad symlink; using it throws
  std::vector<Entry> entries;  // sorted by name
  bool has_init = false;       // __init__.py (or a compiled __init__): a regular package
  bool has_py = false;         // any .py file directly inside

  const Entry* find(std::string_view name) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const Entry& e, std::string_view n) { return e.name < n; });
    return it != entries.end() && it->name == name ? &*it : nullptr;
  }

  std::string archive(std::string_view name) const { return join(rel, name); }
  std::string path(std::string_view name) const { return join(dir, name); }

  static std::string join(const std::string& dir, std::string_view name) {
    std::string out;
    out.reserve(dir.size() + name.size() + 1);
    out += dir;
    if (!out.empty() && out.back() != '/') out += '/';
    out += name;
    return out;
  }
};

void read_listing(Listing& l) {
  DIR* d = opendir(l.dir.c_str());
  if (!d) return;
  while (dirent* de = readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    Entry e;
    e.name = name;
    unsigned char type = de->d_type;
    struct stat st;
    std::string path;
    if (type == DT_UNKNOWN || type == DT_LNK) {
      path = l.path(e.name);
      if (lstat(path.c_str(), &st) != 0) continue;
      e.symlink = S_ISLNK(st.st_mode);
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (e.symlink) {
      if (stat(path.c_str(), &st) != 0) {
        if (errno != ELOOP) continue;  // a dangling link has nothing to package
        e.type = EntryType::loop;
      } else {
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
    }
    if (e.type != EntryType::loop)
      e.type = type == DT_DIR   ? EntryType::dir
               : type == DT_REG ? EntryType::file
                                : EntryType::other;
    if (e.type == EntryType::file) {
      if (name.ends_with(".py")) l.has_py = true;
      if (name == "__init__.py" || (name.starts_with("__init__.") && ends_with_native(name)))
        l.has_init = true;
    }
    l.entries.push_back(std::move(e));
  }
  closedir(d);
  std::sort(l.entries.begin(), l.entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
}

bool is_within(const std::string& path, const std::string& root) {
  return path.starts_with(root) &&
         (path.size() == root.size() || path[root.size()] == '/' || root.ends_with('/'));
}

// Never source for a bundle: the runtime reads none of them (fx compiles bytecode itself).
bool is_data_file(std::string_view name) {
  static constexpr std::string_view kStripped[] = {".py",  ".pyc", ".pyo", ".pyi", ".c",  ".h",
                                                   ".cpp", ".cc",  ".cxx", ".hpp", ".hh", ".pyx",
                                                   ".pxd", ".pxi", ".md",  ".rst"};
  for (std::string_view suffix : kStripped)
    if (name.ends_with(suffix)) return false;
  return name != "py.typed" && name != ".DS_Store" && name != ".gitignore";
}

// Folders never packaged as data; tests and docs only in dependencies, where nobody asked for
// them (a test module the graph reaches is kept as a module all the same).
bool is_data_dir(std::string_view name, bool dependency) {
  if (name == "__pycache__" || name.starts_with('.') || name.ends_with(".dist-info") ||
      name.ends_with(".egg-info"))
    return false;
  return !dependency || (name != "tests" && name != "test" && name != "docs");
}

// Distribution names compare as PEP 503 says: case-insensitive, runs of -_. equal.
std::string normalize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '_') out += '_';
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  return out;
}

std::optional<std::string> read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string out;
  char buf[65536];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, got);
  bool ok = !std::ferror(f);
  std::fclose(f);
  if (!ok) return std::nullopt;
  return out;
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) f(line);
    if (nl == npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Whether a METADATA file declares `Requires-Dist: <project>` (any version or marker). Only
// the header counts: the description after the first blank line is free text.
bool requires_dist(std::string_view metadata, std::string_view project) {
  metadata = metadata.substr(0, std::min(metadata.find("\n\n"), metadata.find("\r\n\r\n")));
  bool found = false;
  for_each_line(metadata, [&](std::string_view line) {
    constexpr std::string_view kKey = "Requires-Dist:";
    if (found || !line.starts_with(kKey)) return;
    line.remove_prefix(kKey.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    std::size_t end = 0;
    while (end < line.size() && (is_ident_char(line[end]) || line[end] == '-' || line[end] == '.'))
      ++end;
    found = normalize_name(line.substr(0, end)) == project;
  });
  return found;
}

constexpr const char* kLinkHint =
    "remove the link, or copy what it points at into the service folder";

// ---------------------------------------------------------------------------------------------
// Resolver

enum class ModKind : std::uint8_t { source, package, namespace_package, extension };

enum class Via : std::uint8_t { import_statement, string, native_code };

struct Module {
  std::string name;
  ModKind kind = ModKind::source;
  Listing* home = nullptr;     // the folder holding the module's file
  std::string file;            // its name there; empty for a namespace package
  std::vector<Listing*> path;  // a package's __path__
  int from = -1;               // the module whose import loaded this one; -1: the handler
  bool loaded = false;
  bool named = false;               // imported by its own name, not only as someone's parent
  Via via = Via::import_statement;  // how it was first reached
  std::vector<ImportRef> imports;
  std::vector<DynamicImport> dynamic;
  std::vector<std::string> all_names;
  std::vector<NameInString> strings;
};

// Why a file is kept, strongest first: a file both imported and lying in a package folder is
// reported as imported.
enum class Why : std::uint8_t { module, package_data, native_libs, metadata };

struct Keep {
  std::string source;
  int root = 0;
  Why why = Why::module;
  int module = -1;
  std::string subject;  // the package or top-level name the reason mentions
};

struct Dist {
  Listing* listing = nullptr;
  bool egg = false;
  std::string norm;  // normalized project name from the folder name
  bool has_top_level = false;
  std::vector<std::string> top_levels;
  bool record_read = false;
  std::unordered_set<std::string> record;       // paths RECORD lists
  std::unordered_set<std::string> record_tops;  // their first components, as module names
};

class Resolver {
 public:
  Resolver(const std::vector<SearchRoot>& roots, const std::vector<std::string>& allowed_links) {
    std::vector<fs::path> dirs, reals;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      std::error_code ec;
      dirs.push_back(absolute_dir(roots[i].dir));
      fs::path real = fs::canonical(dirs.back(), ec);
      if (ec || !fs::is_directory(real, ec)) real.clear();
      if (!real.empty()) real_roots_.push_back(real.string());
      reals.push_back(std::move(real));
    }
    for (std::size_t i = 0; i < roots.size(); ++i) {
      root_names_.push_back(i == 0 || reals[i].empty() || reals[0].empty()
                                ? std::string()
                                : reals[i].lexically_relative(reals[0]).generic_string());
    }
    for (const std::string& link : allowed_links) {
      if (dirs.empty()) break;
      std::error_code ec;
      const fs::path path = dirs[0] / link;
      if (!fs::is_symlink(fs::symlink_status(path, ec))) continue;
      const fs::path target = fs::canonical(path, ec);
      if (ec) continue;
      allowed_links_.insert(link);
      real_roots_.push_back(target.string());  // what it leads to counts as inside
    }
    roots_.assign(roots.size(), nullptr);
    for (std::size_t i = 0; i < roots.size(); ++i) {
      if (reals[i].empty()) continue;
      Listing& l = listings_[key(static_cast<int>(i), dirs[i].string())];
      l.dir = dirs[i].string();
      l.real = reals[i].string();
      l.root = static_cast<int>(i);
      read_listing(l);
      classify_links(l);
      roots_[i] = &l;
    }
    dists_.resize(roots.size());
    dists_built_.resize(roots.size(), false);
    first_root_ = roots.empty() ? fs::path() : absolute_dir(roots[0].dir);
  }

  Graph run(const std::string& handler) {
    std::string spec = handler;
    if (spec.ends_with(".py")) spec.resize(spec.size() - 3);
    std::vector<std::string> parts;
    for (std::size_t pos = 0; pos <= spec.size();) {
      std::size_t slash = std::min(spec.find('/', pos), spec.size());
      std::string part = spec.substr(pos, slash - pos);
      if (!part.empty() && part != ".") parts.push_back(part);
      pos = slash + 1;
    }
    if (parts.empty())
      throw Error(fmt::format("handler module '{}' names no file", handler),
                  "the handler is FILE.FUNCTION, e.g. src/app.main for src/app.py");

    std::string name;
    for (const auto& p : parts) name += (name.empty() ? "" : ".") + p;
    Listing* dir = roots_.empty() ? nullptr : roots_[0];
    for (std::size_t i = 0; dir && i + 1 < parts.size(); ++i) {
      const Entry* e = dir->find(parts[i]);
      dir = e && e->type == EntryType::dir ? &child(*dir, *e) : nullptr;
    }
    std::optional<Module> found;
    if (dir) found = locate(parts.back(), {dir});
    if (!found || found->kind == ModKind::namespace_package) {
      fs::path base = first_root_;
      for (std::size_t i = 0; i + 1 < parts.size(); ++i) base /= parts[i];
      const std::string& last = parts.back();
      throw Error(fmt::format("handler module '{}' not found; searched {}, {}, {}.*.so", spec,
                              (base / (last + ".py")).string(),
                              (base / last / "__init__.py").string(), (base / last).string()),
                  "the handler is FILE.FUNCTION with FILE relative to the service folder, "
                  "e.g. src/app.main for src/app.py");
    }
    found->name = name;
    handler_ = add(std::move(*found));
    index_[name] = handler_;
    // Python imports the handler's parent packages first; their __init__ files run too.
    for (std::size_t dot = name.find('.'); dot != npos; dot = name.find('.', dot + 1))
      load_dotted(name.substr(0, dot), -1, false);
    load(handler_, -1, true);

    // Metadata can add a module (see keep_dist_of), whose imports then need following.
    for (std::size_t q = 0, modules = 0; modules != modules_.size();) {
      modules = modules_.size();
      follow_queue(q);
      keep_metadata();
    }
    return graph();
  }

 private:
  void follow_queue(std::size_t& q) {
    for (; q < queue_.size(); ++q) {
      int m = queue_[q];
      std::vector<ImportRef> imports = std::move(modules_[m].imports);
      for (const DynamicImport& d : modules_[m].dynamic)
        notes_.push_back(fmt::format("dynamic import in {}:{} ({}) cannot be followed",
                                     archive_of(m), d.line, d.expression));
      for (const ImportRef& ref : imports) follow_ref(m, ref);
      std::vector<NameInString> strings = std::move(modules_[m].strings);
      for (const NameInString& s : strings) follow_string(m, s.value);
    }
  }

  // Absolute, normalized, without a trailing separator ("a/b/" and "a/b" are one root).
  static fs::path absolute_dir(const fs::path& dir) {
    std::error_code ec;
    fs::path out = fs::absolute(dir, ec).lexically_normal();
    if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
    return out;
  }

  static std::string key(int root, const std::string& dir) {
    return std::to_string(root) + ":" + dir;
  }

  bool within_roots(const std::string& real) const {
    return std::any_of(real_roots_.begin(), real_roots_.end(),
                       [&](const std::string& r) { return is_within(real, r); });
  }

  // The path of an entry relative to the service folder (roots[0]), as package.patterns
  // names it.
  std::string service_path(const Listing& dir, std::string_view name) const {
    const std::string& root = root_names_[dir.root];
    return root.empty() ? dir.archive(name) : Listing::join(root, dir.archive(name));
  }

  // Marks the symlinks of a listing that lead out of every root, unless package.patterns
  // names them, as `outside`: they are seen but never followed.
  void classify_links(Listing& l) {
    bool changed = false;
    for (Entry& e : l.entries) {
      if (!e.symlink || e.type == EntryType::loop) continue;
      std::error_code ec;
      std::string real = fs::canonical(l.path(e.name), ec).string();
      if (ec || within_roots(real) || allowed_links_.count(service_path(l, e.name))) continue;
      e.type = EntryType::outside;
      e.target = std::move(real);
      changed = true;
    }
    if (!changed) return;
    l.has_py = l.has_init = false;
    for (const Entry& e : l.entries) {
      if (e.type != EntryType::file) continue;
      if (e.name.ends_with(".py")) l.has_py = true;
      if (e.name == "__init__.py" || (e.name.starts_with("__init__.") && ends_with_native(e.name)))
        l.has_init = true;
    }
  }

  // An outside link that would have gone in the bundle: recorded for its warning.
  void skip(const Listing& dir, const Entry& e) {
    std::string path = service_path(dir, e.name);
    if (skipped_.count(path)) return;
    std::error_code ec;
    const bool directory = fs::is_directory(e.target, ec);
    skipped_.emplace(path, OutsideLink{path, e.target, directory});
  }

  Listing& child(Listing& parent, const Entry& e) {
    std::string path = parent.path(e.name);
    auto [it, inserted] = listings_.try_emplace(key(parent.root, path));
    Listing& l = it->second;
    if (!inserted) return l;
    l.dir = path;
    l.rel = parent.archive(e.name);
    l.root = parent.root;
    l.problem = parent.problem;
    if (!e.symlink) {
      l.real = Listing::join(parent.real, e.name);
    } else {
      std::error_code ec;
      l.real = fs::canonical(path, ec).string();
      if (ec) {
        l.problem = fmt::format("symlink loop at {}", path);
      } else if (is_within(parent.real, l.real)) {
        l.problem =
            fmt::format("symlink loop at {}: it points at its own parent folder {}", path, l.real);
      } else if (!within_roots(l.real)) {
        l.problem = fmt::format("symlink {} points outside the search roots, at {}", path, l.real);
      }
    }
    read_listing(l);
    classify_links(l);
    return l;
  }

  void keep(const Listing& dir, const Entry& e, Why why, int module, std::string subject = {}) {
    if (!dir.problem.empty()) throw Error(dir.problem, kLinkHint);
    std::string archive = dir.archive(e.name);
    auto it = kept_.find(archive);
    if (it != kept_.end() && it->second.why <= why) return;
    std::string source = dir.path(e.name);
    if (e.type == EntryType::loop)
      throw Error(fmt::format("symlink loop at {}", source), kLinkHint);
    if (e.symlink) {
      std::error_code ec;
      std::string real = fs::canonical(source, ec).string();
      if (ec) throw Error(fmt::format("symlink loop at {}", source), kLinkHint);
      if (!within_roots(real))
        throw Error(fmt::format("symlink {} points outside the search roots, at {}", source, real),
                    kLinkHint);
      source = std::move(real);
    }
    kept_[archive] = Keep{std::move(source), dir.root, why, module, std::move(subject)};
  }

  // Data files of a package folder and of its data subfolders (no __init__, no .py).
  void keep_data(Listing& dir, int module, std::vector<const std::string*>& walking) {
    bool dependency = dir.root != 0;
    for (const Entry& e : dir.entries) {
      if (e.type == EntryType::loop) {
        if (is_data_file(e.name)) keep(dir, e, Why::package_data, module);  // throws
        continue;
      }
      if (e.type == EntryType::outside) {
        if (is_data_file(e.name) || is_data_dir(e.name, dependency)) skip(dir, e);
        continue;
      }
      if (e.type == EntryType::file) {
        if (is_data_file(e.name)) keep(dir, e, Why::package_data, module, modules_[module].name);
      } else if (e.type == EntryType::dir && is_data_dir(e.name, dependency)) {
        Listing& sub = child(dir, e);
        if (!sub.problem.empty()) throw Error(sub.problem, kLinkHint);
        if (sub.has_init || sub.has_py) continue;  // a subpackage: kept only if imported
        for (const std::string* w : walking)
          if (*w == sub.real) throw Error(fmt::format("symlink loop at {}", sub.dir), kLinkHint);
        walking.push_back(&sub.real);
        keep_data(sub, module, walking);
        walking.pop_back();
      }
    }
  }

  // Every file under a folder, for native library folders that hold nothing else.
  void keep_tree(Listing& dir, Why why, const std::string& subject, int depth = 0) {
    if (!dir.problem.empty()) throw Error(dir.problem, kLinkHint);
    if (depth > 32) throw Error(fmt::format("symlink loop at {}", dir.dir), kLinkHint);
    for (const Entry& e : dir.entries) {
      if (e.type == EntryType::outside) {
        skip(dir, e);
      } else if (e.type == EntryType::file || e.type == EntryType::loop) {
        keep(dir, e, why, -1, subject);
      } else if (e.type == EntryType::dir && e.name != "__pycache__") {
        keep_tree(child(dir, e), why, subject, depth + 1);
      }
    }
  }

  // FileFinder over each folder in turn: package, extension module, source file; folders
  // without __init__ make a namespace package only if no folder has the real thing.
  std::optional<Module> locate(std::string_view last, const std::vector<Listing*>& search) {
    std::vector<Listing*> portions;
    std::string prefix = std::string(last) + ".";
    for (Listing* d : search) {
      if (const Entry* e = d->find(last); e && e->type == EntryType::outside) skip(*d, *e);
      if (const Entry* e = d->find(last); e && e->type == EntryType::dir) {
        Listing& sub = child(*d, *e);
        if (sub.has_init) {
          Module m;
          m.kind = ModKind::package;
          m.home = &sub;
          m.file = "__init__.py";
          if (!sub.find(m.file)) {
            for (const Entry& i : sub.entries)
              if (i.name.starts_with("__init__.") && ends_with_native(i.name)) m.file = i.name;
          }
          m.path = {&sub};
          return m;
        }
        portions.push_back(&sub);
      }
      auto it = std::lower_bound(d->entries.begin(), d->entries.end(), prefix,
                                 [](const Entry& e, const std::string& n) { return e.name < n; });
      for (; it != d->entries.end() && it->name.starts_with(prefix); ++it) {
        if (it->type == EntryType::outside &&
            (ends_with_native(it->name) || it->name == prefix + "py")) {
          skip(*d, *it);
        }
        if (it->type == EntryType::file && ends_with_native(it->name)) {
          Module m;
          m.kind = ModKind::extension;
          m.home = d;
          m.file = it->name;
          return m;
        }
      }
      if (const Entry* e = d->find(prefix + "py")) {
        if (e->type == EntryType::loop)
          throw Error(fmt::format("symlink loop at {}", d->path(e->name)), kLinkHint);
        if (e->type == EntryType::file) {
          Module m;
          m.home = d;
          m.file = e->name;
          return m;
        }
      }
    }
    if (portions.empty()) return std::nullopt;
    Module m;
    m.kind = ModKind::namespace_package;
    m.path = std::move(portions);
    return m;
  }

  int add(Module m) {
    modules_.push_back(std::move(m));
    return static_cast<int>(modules_.size() - 1);
  }

  // The module called `name`, found (not yet loaded) or -1.
  int find(const std::string& name) {
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    std::optional<Module> m;
    if (std::size_t dot = name.rfind('.'); dot == npos) {
      std::vector<Listing*> search;
      for (Listing* r : roots_)
        if (r) search.push_back(r);
      m = locate(name, search);
    } else {
      int parent = find(name.substr(0, dot));
      if (parent >= 0 && !modules_[parent].path.empty()) {
        std::vector<Listing*> search = modules_[parent].path;
        m = locate(std::string_view(name).substr(dot + 1), search);
      }
    }
    int idx = -1;
    if (m) {
      m->name = name;
      idx = add(std::move(*m));
    }
    index_[name] = idx;
    return idx;
  }

  // Keeps a module's file and package data, and queues its source to be scanned.
  void load(int m, int from, bool named) {
    if (named) modules_[m].named = true;
    if (modules_[m].loaded) return;
    Module& mod = modules_[m];
    mod.loaded = true;
    mod.from = from;
    if (mod.kind != ModKind::namespace_package) {
      keep(*mod.home, *mod.home->find(mod.file), Why::module, m);
      if (mod.file.ends_with(".py")) {
        if (std::optional<std::string> text = read_text(mod.home->path(mod.file))) {
          ScanResult scan = scan_source(*text);
          mod.imports = std::move(scan.imports);
          mod.dynamic = std::move(scan.dynamic);
          mod.all_names = std::move(scan.all_names);
          mod.strings = std::move(scan.module_strings);
          queue_.push_back(m);
        } else {
          notes_.push_back(
              fmt::format("cannot read {}; its imports are not followed", archive_of(m)));
        }
      }
    }
    for (Listing* dir : modules_[m].path) {
      std::vector<const std::string*> walking = {&dir->real};
      keep_data(*dir, m, walking);
    }
  }

  // Imports `a.b.c` as Python does: a, then a.b, then a.b.c. Returns the last or -1.
  int load_dotted(const std::string& target, int from, bool named) {
    int idx = -1;
    for (std::size_t pos = 0;;) {
      std::size_t dot = target.find('.', pos);
      std::string prefix = target.substr(0, dot);
      idx = find(prefix);
      if (idx < 0) {
        not_found_.insert(prefix);
        return -1;
      }
      load(idx, from, named && dot == npos);
      if (dot == npos) return idx;
      pos = dot + 1;
    }
  }

  std::string package_of(int m) const {
    const Module& mod = modules_[m];
    if (!mod.path.empty()) return mod.name;
    std::size_t dot = mod.name.rfind('.');
    return dot == npos ? std::string() : mod.name.substr(0, dot);
  }

  std::string archive_of(int m) const {
    const Module& mod = modules_[m];
    return mod.home ? mod.home->archive(mod.file) : mod.name;
  }

  void follow_ref(int m, const ImportRef& ref) {
    if (ref.dormant) return;
    std::string target = ref.module;
    if (ref.level > 0) {
      std::string base = package_of(m);
      for (int up = 1; up < ref.level && !base.empty(); ++up) {
        std::size_t dot = base.rfind('.');
        base = dot == npos ? std::string() : base.substr(0, dot);
      }
      if (base.empty()) {
        notes_.push_back(fmt::format(
            "relative import in {}:{} (from {}{} import ...) reaches above the top-level package",
            archive_of(m), ref.line, std::string(static_cast<std::size_t>(ref.level), '.'),
            ref.module));
        return;
      }
      target = ref.module.empty() ? base : base + "." + ref.module;
    }
    if (target.empty()) return;
    int t = load_dotted(target, m, true);
    if (t < 0) return;
    for (const std::string& n : ref.names) {
      if (n == "*") {
        std::vector<std::string> all = modules_[t].all_names;
        for (const std::string& a : all) load_submodule(t, a, m);
      } else {
        load_submodule(t, n, m);
      }
    }
  }

  // "pkg.mod.func" in a string: the longest prefix that is a module below a top-level
  // package found in the roots, so "os.path" or "config.json" never count.
  void follow_string(int m, std::string_view value) {
    std::string name(value.substr(0, value.find(':')));
    if (find(name.substr(0, name.find('.'))) < 0) return;  // the common case, answered fast
    for (std::size_t dot = name.rfind('.'); dot != npos; dot = name.rfind('.')) {
      if (int idx = find(name); idx >= 0) {
        if (!modules_[idx].loaded) modules_[idx].via = Via::string;
        load_dotted(name, m, true);
        return;
      }
      name.resize(dot);
    }
  }

  // `from pkg import x`: x is a submodule when pkg has one by that name, else an attribute.
  void load_submodule(int package, const std::string& name, int from) {
    if (modules_[package].path.empty()) return;
    int s = find(modules_[package].name + "." + name);
    if (s >= 0) load(s, from, true);
  }

  std::vector<Dist>& dists(int root) {
    std::vector<Dist>& out = dists_[static_cast<std::size_t>(root)];
    if (dists_built_[static_cast<std::size_t>(root)]) return out;
    dists_built_[static_cast<std::size_t>(root)] = true;
    Listing* r = roots_[static_cast<std::size_t>(root)];
    for (const Entry& e : r->entries) {
      if (e.type != EntryType::dir) continue;
      bool egg = e.name.ends_with(".egg-info");
      if (!egg && !e.name.ends_with(".dist-info")) continue;
      Dist d;
      d.egg = egg;
      d.listing = &child(*r, e);
      std::string_view stem = e.name;
      stem.remove_suffix(egg ? 9 : 10);
      d.norm = normalize_name(stem.substr(0, stem.find('-')));
      if (d.listing->find("top_level.txt")) {
        d.has_top_level = true;
        if (auto text = read_text(d.listing->path("top_level.txt"))) {
          for_each_line(*text, [&](std::string_view line) {
            d.top_levels.emplace_back(line.substr(0, line.find('/')));
          });
        }
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  void read_record(Dist& d) {
    if (d.record_read) return;
    d.record_read = true;
    if (d.egg) return;  // installed-files.txt is relative to the egg-info; top_level.txt suffices
    std::optional<std::string> text = read_text(d.listing->path("RECORD"));
    if (!text) return;
    for_each_line(*text, [&](std::string_view line) {
      std::string_view path;
      if (line.starts_with('"')) {
        std::size_t close = line.find('"', 1);
        path = line.substr(1, close == npos ? npos : close - 1);
      } else {
        path = line.substr(0, line.find(','));
      }
      if (path.empty() || path.starts_with("..")) return;
      d.record.emplace(path);
      std::string_view top = path.substr(0, path.find('/'));
      d.record_tops.emplace(top.substr(0, top.find('.')));
    });
  }

  // importlib.metadata reads METADATA (version(), requires()) and entry_points.txt
  // (entry_points()); RECORD, WHEEL, LICENSE and the like only matter to pip.
  void keep_metadata() {
    for (std::size_t m = 0; m < modules_.size(); ++m) {
      const Module& mod = modules_[m];
      if (!mod.loaded || mod.name.find('.') != npos) continue;
      bool ns = mod.kind == ModKind::namespace_package;
      std::vector<int> roots;
      if (ns) {
        for (const Listing* l : mod.path) roots.push_back(l->root);
      } else {
        roots.push_back(mod.home->root);
      }
      std::string name = mod.name;
      for (int root : roots)
        if (metadata_done_.emplace(root, name).second)
          keep_dist_of(root, name, ns, static_cast<int>(m));
    }
  }

  void keep_dist_of(int root, const std::string& top, bool ns, int module) {
    std::vector<Dist>& all = dists(root);
    std::string norm = normalize_name(top);
    std::vector<Dist*> found;
    for (Dist& d : all) {
      bool hit = d.has_top_level ? std::find(d.top_levels.begin(), d.top_levels.end(), top) !=
                                       d.top_levels.end()
                                 : d.norm == norm;
      if (hit) found.push_back(&d);
    }
    if (found.empty()) {  // wheels built without top_level.txt: RECORD says what they hold
      for (Dist& d : all) {
        if (d.has_top_level) continue;
        read_record(d);
        if (d.record_tops.count(top)) found.push_back(&d);
      }
    }
    if (ns) {
      // Many distributions share a namespace (google, azure): keep those owning a kept file.
      std::erase_if(found, [&](Dist* d) {
        read_record(*d);
        std::string lo = top + "/", hi = top + "0";  // '0' follows '/'
        for (auto it = kept_.lower_bound(lo); it != kept_.end() && it->first < hi; ++it)
          if (it->second.root == root && d->record.count(it->first)) return false;
        return true;
      });
    }
    Listing* r = roots_[static_cast<std::size_t>(root)];
    for (Dist* d : found) {
      for (const char* file : {d->egg ? "PKG-INFO" : "METADATA", "entry_points.txt"})
        if (const Entry* e = d->listing->find(file); e && e->type == EntryType::file)
          keep(*d->listing, *e, Why::metadata, -1, top);
      // cffi's generated modules import _cffi_backend from C, where no scanner sees it; a
      // distribution depending on cffi is the sign (reading binaries for the name cost more).
      if (!d->egg) {
        if (auto metadata = read_text(d->listing->path("METADATA"));
            metadata && requires_dist(*metadata, "cffi")) {
          if (int cffi = find("_cffi_backend"); cffi >= 0 && !modules_[cffi].loaded) {
            modules_[cffi].via = Via::native_code;
            load(cffi, module, true);
          }
        }
      }
      // Shared libraries a wheel puts at the top level, such as mypyc's runtime
      // (<hash>__mypyc.*.so), load from its extension modules, never by an import.
      for (const Entry& e : r->entries) {
        if (e.type != EntryType::file || !ends_with_native(e.name) || d->egg) continue;
        read_record(*d);
        if (d->record.count(e.name)) keep(*r, e, Why::native_libs, -1, top);
      }
      // auditwheel puts a wheel's shared libraries beside the package in <project>.libs/.
      for (const Entry& e : r->entries) {
        if (e.type != EntryType::dir || !e.name.ends_with(".libs")) continue;
        std::string stem = normalize_name(std::string_view(e.name).substr(0, e.name.size() - 5));
        if (stem == d->norm || stem == norm) keep_tree(child(*r, e), Why::native_libs, top);
      }
    }
  }

  std::string chain(int m) const {
    std::vector<int> hops;
    for (int cur = m; cur >= 0 && cur != handler_; cur = modules_[cur].from) hops.push_back(cur);
    std::string out = "import chain: handler";
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      out += " → " + modules_[*it].name;
      if (modules_[*it].via == Via::string) out += " (named in a string)";
      if (modules_[*it].via == Via::native_code) out += " (imported by native code)";
    }
    return out;
  }

  std::string reason(const Keep& k) const {
    switch (k.why) {
      case Why::module:
        if (k.module == handler_) return "handler";
        if (!modules_[k.module].named) return "__init__ of package " + modules_[k.module].name;
        return chain(k.module);
      case Why::package_data:
        return "package data of " + k.subject;
      case Why::native_libs:
        return "native libraries of " + k.subject;
      case Why::metadata:
        return "metadata of " + k.subject + " (importlib.metadata)";
    }
    return {};
  }

  Graph graph() {
    Graph g;
    g.files.reserve(kept_.size());
    for (auto& [archive, k] : kept_) g.files.push_back({k.source, archive, reason(k)});
    g.not_found.assign(not_found_.begin(), not_found_.end());
    g.notes = std::move(notes_);
    for (auto& [path, link] : skipped_) g.skipped_links.push_back(std::move(link));
    return g;
  }

  std::vector<Listing*> roots_;          // per SearchRoot; null when the folder does not exist
  std::vector<std::string> real_roots_;  // canonical, for symlink checks; allowed links' targets
  std::vector<std::string> root_names_;  // each root relative to roots[0] ("" for roots[0])
  std::set<std::string> allowed_links_;  // links out of the roots that package.patterns names
  std::map<std::string, OutsideLink> skipped_;  // links not followed, by service path
  fs::path first_root_;
  std::unordered_map<std::string, Listing> listings_;  // node-based: Listing* stay valid
  std::vector<Module> modules_;
  std::unordered_map<std::string, int> index_;  // module name → modules_ index, -1: none
  std::vector<int> queue_;                      // loaded modules whose imports to follow
  int handler_ = -1;
  std::map<std::string, Keep> kept_;  // by archive path, so the result comes out sorted
  std::set<std::string> not_found_;
  std::set<std::pair<int, std::string>> metadata_done_;  // (root, top-level name) looked up
  std::vector<std::string> notes_;
  std::vector<std::vector<Dist>> dists_;
  std::vector<bool> dists_built_;
};

}  // namespace

ScanResult scan_source(std::string_view source) {
  return Scanner(source).run();
}

std::vector<ImportRef> scan_imports(std::string_view source) {
  return scan_source(source).imports;
}

Graph follow(const std::string& handler_module_path, const std::vector<SearchRoot>& roots,
             const std::vector<std::string>& allowed_links) {
  return Resolver(roots, allowed_links).run(handler_module_path);
}

}  // namespace fx::bundle::python
