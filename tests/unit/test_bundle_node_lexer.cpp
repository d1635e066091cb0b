// The Node scanner's lexical rules on their own: strings, comments, template literals and
// regex literals. A misread token either hides a require that follows it or finds one inside
// it, so each case puts a real require right after the tricky part.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/bundle/node_lexer.h"

using namespace fx::bundle::node;
using Strings = std::vector<std::string>;

namespace {

// "specifier@line" for each literal import.
Strings imports(const std::string& source) {
  Strings out;
  for (const auto& i : scan(source).imports)
    out.push_back(i.specifier + "@" + std::to_string(i.line));
  return out;
}

}  // namespace

TEST_CASE("node lexer: template literals", "[bundle][node][lexer]") {
  // An object literal's braces inside a substitution do not close it.
  CHECK(imports("const t = `x ${ {k: require('in-object')}[require('after-object')] } "
                "require('text')`; require('after');\n") ==
        Strings{"in-object@1", "after-object@1", "after@1"});
  // An escaped backtick and an escaped ${ are text.
  CHECK(
      imports("const t = `a \\` require('esc') \\${ require('not-sub') }`; require('after');\n") ==
      Strings{"after@1"});
  // Lines inside a template are counted.
  CHECK(imports("const t = `one\ntwo ${require('x')}\nthree`;\nrequire('after');\n") ==
        Strings{"x@2", "after@4"});
  // A template inside a substitution inside a template.
  CHECK(imports("`${`${`${require('deep')}`}`} require('text')`; require('after');\n") ==
        Strings{"deep@1", "after@1"});
  // A quote inside template text opens no string.
  CHECK(imports("const t = `it's`; require('after');\n") == Strings{"after@1"});
}

TEST_CASE("node lexer: regex literals and division", "[bundle][node][lexer]") {
  // After a keyword or punctuation a '/' starts a regex, whose quotes are not strings.
  CHECK(imports("function f(s) { return /\"/.test(s) ? require('a') : 0; }\n") == Strings{"a@1"});
  CHECK(imports("if (a) {}\n/'/.test(s) && require('b');\n") == Strings{"b@2"});
  CHECK(imports("const ok = x && /'/.test(y); require('c');\n") == Strings{"c@1"});
  CHECK(imports("f(/'/, require('d'));\n") == Strings{"d@1"});
  // An escaped slash and a slash in a class do not end it.
  CHECK(imports("const r = /a\\/'b[/']c/gi; require('e');\n") == Strings{"e@1"});
  // After a value a '/' divides.
  CHECK(imports("const n = arr[0] / 2 / require('f');\nconst m = 6 / 3; require('g');\n") ==
        Strings{"f@1", "g@2"});
  // A '/' with no closing '/' on its line is division after all.
  CHECK(imports("x = (\n/ 2); require('h');\n") == Strings{"h@2"});
}

TEST_CASE("node lexer: strings", "[bundle][node][lexer]") {
  CHECK(imports("const s = 'it\\'s require(\"no\")'; require('yes');\n") == Strings{"yes@1"});
  CHECK(imports("const s = \"say \\\"require('no')\\\"\"; require('yes');\n") == Strings{"yes@1"});
  // A line continuation inside a string: the require after it is on the next line.
  CHECK(imports("const s = 'a\\\nrequire(\"no\")'; require('yes');\n") == Strings{"yes@2"});
  // An unterminated string ends at its line.
  CHECK(imports("const s = 'oops\nrequire('after');\n") == Strings{"after@2"});
  // Escapes in a specifier are read as JavaScript reads them.
  CHECK(imports("require('./a\\'b');\n") == Strings{"./a'b@1"});
}

TEST_CASE("node lexer: comments", "[bundle][node][lexer]") {
  CHECK(imports("/* one\n   require('no')\n   two */ require('yes');\n") == Strings{"yes@3"});
  CHECK(imports("// it's\nrequire('next');\n") == Strings{"next@2"});
  CHECK(imports("require /* why */ ( 'spaced' );\n") == Strings{"spaced@1"});
  CHECK(imports("require\n('next-line');\n") == Strings{"next-line@1"});
  // Comments open at the end of the file end the scan quietly.
  CHECK(imports("require('a'); /* never closed\nrequire('no');\n") == Strings{"a@1"});
  CHECK(imports("require('a'); // last line without a newline") == Strings{"a@1"});
  // A shebang is a comment only on the first line.
  CHECK(imports("#!/usr/bin/env node\nrequire('a');\n") == Strings{"a@2"});
}

TEST_CASE("node lexer: identifiers that only contain require", "[bundle][node][lexer]") {
  CHECK(imports("$require('a'); _require('b'); require$('c'); myrequire('d'); require('e');\n") ==
        Strings{"e@1"});
  // Bytes of a UTF-8 letter are part of the name.
  CHECK(imports("\xc3\xa4require('a'); require('b');\n") == Strings{"b@1"});
}
