#include <catch2/catch.hpp>

#include "core/util/text.h"

using fx::util::trim;
using fx::util::trim_view;
using fx::util::url_decode;
using fx::util::xml_unescape;

TEST_CASE("trim takes ASCII white space off both ends and nothing else", "[util][text]") {
  CHECK(trim("  a b \t\r\n") == "a b");
  CHECK(trim("\v\fx\f") == "x");
  CHECK(trim("") == "");
  CHECK(trim(" \t ") == "");
  CHECK(trim_view("  é ") == "é");  // bytes past ASCII are never white space
}

TEST_CASE("url_decode decodes %XX and keeps a malformed escape as it is", "[util][text]") {
  CHECK(url_decode("a%20b%2Fc") == "a b/c");
  CHECK(url_decode("%e2%9c%93") == "\xe2\x9c\x93");
  CHECK(url_decode("100%") == "100%");
  CHECK(url_decode("%4") == "%4");
  CHECK(url_decode("%zz%41") == "%zzA");
  CHECK(url_decode("a+b") == "a+b");
  CHECK(url_decode("a+b", true) == "a b");
  CHECK(url_decode("%00", false) == std::string("\0", 1));
}

TEST_CASE("xml_unescape decodes the five predefined entities only", "[util][text]") {
  CHECK(xml_unescape("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;") == "a & b <c> \"d\" 'e'");
  CHECK(xml_unescape("&amp;amp;") == "&amp;");
  CHECK(xml_unescape("&nbsp; & &;") == "&nbsp; & &;");
  CHECK(xml_unescape("&#65;") == "&#65;");
}
