// The Python scanner's lexical rules on their own: string prefixes, f- and t-string fields,
// comments and line counting. A misread string either hides an import that follows it or
// finds one inside it, so each case puts a real import right after the tricky part.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/bundle/python_lexer.h"

using namespace fx::bundle::python;
using Strings = std::vector<std::string>;

namespace {

// "module@line" for each import.
Strings imports(const std::string& source) {
  Strings out;
  for (const auto& r : scan_imports(source)) out.push_back(r.module + "@" + std::to_string(r.line));
  return out;
}

Strings module_strings(const std::string& source) {
  Strings out;
  for (const auto& n : scan_source(source).module_strings) out.push_back(n.value);
  return out;
}

}  // namespace

TEST_CASE("python lexer: string prefixes decide what a string's text is",
          "[bundle][python][lexer]") {
  // Only a string whose text is its value can name a module: no f, t or b prefix.
  CHECK(module_strings("a = r'pkg.raw'\n"
                       "b = u'pkg.unicode'\n"
                       "c = R'pkg.upper_raw'\n"
                       "d = rb'pkg.bytes_raw'\n"
                       "e = Br'pkg.bytes_raw2'\n"
                       "f = f'pkg.fstring'\n"
                       "g = t'pkg.template'\n"
                       "h = Rf'pkg.raw_fstring'\n"
                       "i = b'pkg.bytes'\n") == Strings{"pkg.raw", "pkg.unicode", "pkg.upper_raw"});
  // `ur` is no prefix in Python 3, nor is a longer name: a name, then a plain string.
  CHECK(module_strings("x = ur'pkg.after_ur'\ny = bar'pkg.after_bar'\n") ==
        Strings{"pkg.after_ur", "pkg.after_bar"});
  // Two-letter prefixes in either order and case are raw: an escaped quote does not end them.
  CHECK(imports("x = bR'\\'' ; import a\ny = Fr'{z}\\'' ; import b\n") == Strings{"a@1", "b@2"});
}

TEST_CASE("python lexer: quotes inside strings", "[bundle][python][lexer]") {
  CHECK(imports("a = 'it\\'s'; import one\n") == Strings{"one@1"});
  CHECK(imports("a = \"say \\\"hi\\\"\"; import two\n") == Strings{"two@1"});
  CHECK(imports("a = '''it's \"quoted\" '' and '''; import three\n") == Strings{"three@1"});
  CHECK(imports("a = \"\"\"ends with a quote\\\"\"\"\"; import four\n") == Strings{"four@1"});
  // A raw string still cannot end at an escaped quote.
  CHECK(imports("a = r'\\''; import five\n") == Strings{"five@1"});
  // An empty string is two quotes, not the start of a triple-quoted one.
  CHECK(imports("a = ''; import six\nb = \"\"; import seven\n") == Strings{"six@1", "seven@2"});
}

TEST_CASE("python lexer: f-string replacement fields", "[bundle][python][lexer]") {
  // Doubled braces are text: the quote after them is text too, not a nested string.
  CHECK(imports("a = f\"{{'\"; import after_braces\n") == Strings{"after_braces@1"});
  // Conversions and format specs, colons included.
  CHECK(imports("a = f'{x!r:>10}'; import after_conversion\n") == Strings{"after_conversion@1"});
  CHECK(imports("a = f'{when:%H:%M}'; import after_spec\n") == Strings{"after_spec@1"});
  CHECK(imports("a = f'{x:{\"<\"}{width}}'; import after_nested_spec\n") ==
        Strings{"after_nested_spec@1"});
  // PEP 701: a field may hold a string in the same quotes, and f-strings nest.
  CHECK(imports("a = f\"{f\"{f\"{x}\"}\"}\"; import after_nesting\n") ==
        Strings{"after_nesting@1"});
  // A lambda's or a dict's colon inside brackets is not a format spec.
  CHECK(imports("a = f'{(lambda: 1)()} {d[\"k\"]} {{1: 2}[1]}'; import after_brackets\n") ==
        Strings{"after_brackets@1"});
  // \N{...} names a character; in a raw f-string the braces are a field.
  CHECK(imports("a = f'\\N{BULLET} {x}'; import after_name\n") == Strings{"after_name@1"});
  CHECK(imports("a = rf'\\N{x}'; import after_raw\n") == Strings{"after_raw@1"});
  // t-strings (PEP 750) have fields as f-strings do.
  CHECK(imports("a = t\"{'; import hidden'}\"; import after_template\n") ==
        Strings{"after_template@1"});
}

TEST_CASE("python lexer: multi-line fields and strings keep the line count",
          "[bundle][python][lexer]") {
  // A comment inside a multi-line field (PEP 701) may hold a quote.
  CHECK(imports("a = f\"\"\"{\n"
                "    x  # it's \" here\n"
                "}\"\"\"\n"
                "import after\n") == Strings{"after@4"});
  CHECK(imports("doc = '''one\r\ntwo\r\nthree'''\r\nimport crlf\r\n") == Strings{"crlf@4"});
  CHECK(imports("s = 'continued \\\n"
                "still the string'; import after_continuation\n") ==
        Strings{"after_continuation@2"});
  // A string never closed runs to the end: nothing after it is code.
  CHECK(imports("import before\nx = \"\"\"never closed\nimport hidden\n") == Strings{"before@1"});
  CHECK(imports("import before\nx = f'{never closed\nimport hidden\n").front() == "before@1");
}

TEST_CASE("python lexer: comments", "[bundle][python][lexer]") {
  CHECK(imports("# -*- coding: utf-8 -*-\nx = 1  # it's\nimport after\n") == Strings{"after@3"});
  // A backslash ends a comment's line like any other character: no continuation.
  CHECK(imports("# comment \\\nimport next_line\n") == Strings{"next_line@2"});
  CHECK(imports("import a  # ; import not_code\n") == Strings{"a@1"});
  CHECK(imports("x = [1,  # ]\n     2]; import after_bracket\n") == Strings{"after_bracket@2"});
  // A '#' inside a string is not a comment.
  CHECK(imports("x = '#'; import after_hash\n") == Strings{"after_hash@1"});
}

TEST_CASE("python lexer: brackets hold a statement open across lines", "[bundle][python][lexer]") {
  CHECK(imports("x = {\n  'k': [\n    (1, 2),\n  ],\n}\nimport after\n") == Strings{"after@6"});
  // A closing bracket too many does not swallow the rest of the file.
  CHECK(imports("x = 1)\nimport after_stray\n") == Strings{"after_stray@2"});
  CHECK(imports("def f(a=')'):\n    import inside\n") == Strings{"inside@2"});
}
