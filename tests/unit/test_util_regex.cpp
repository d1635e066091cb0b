#include <catch2/catch.hpp>

#include <string>

#include "core/util/regex.h"

using fx::util::regex_full_match;
using fx::util::regex_problem;

TEST_CASE("regex_full_match matches all of the text, ECMAScript syntax", "[util][regex]") {
  CHECK(regex_full_match("Bearer abc.def", "^Bearer [-0-9a-zA-Z._]+$"));
  CHECK_FALSE(regex_full_match("Bearer abc def", "^Bearer [-0-9a-zA-Z._]+$"));
  CHECK(regex_full_match("x [404] y", ".*\\[404\\].*"));
  CHECK_FALSE(regex_full_match("abc", "b"));  // a whole match, not a search
  CHECK(regex_full_match("", "a*"));
}

// Each of these stops the emulator under std::regex's default (backtracking) matcher: the
// first runs for hours (2^n paths), the second overflows the stack. Were the matcher to go
// back to it, this test would hang until ctest's timeout or crash.
TEST_CASE("no pattern and no text can stall or crash the matcher", "[util][regex]") {
  const std::string almost(5000, 'a');
  CHECK_FALSE(regex_full_match(almost + "b", "^(a+)+$"));
  CHECK_FALSE(regex_full_match(almost + "b", "(a|aa)*c"));
  const std::string long_text(300000, 'a');
  CHECK(regex_full_match(long_text, "^(a|b)*$"));
}

TEST_CASE("regex_problem names what cannot be matched, and the matcher refuses it",
          "[util][regex]") {
  CHECK_FALSE(regex_problem("^[a-z]+$"));
  auto unbalanced = regex_problem("(a");
  REQUIRE(unbalanced);
  CHECK_FALSE(unbalanced->empty());
  auto backref = regex_problem("^(ab)\\1$");
  REQUIRE(backref);
  CHECK(backref->find("back-references") != std::string::npos);
  CHECK_FALSE(regex_full_match("abab", "^(ab)\\1$"));
  auto too_long = regex_problem(std::string(fx::util::kMaxRegexPattern + 1, 'a'));
  REQUIRE(too_long);
  CHECK(too_long->find("longer than") != std::string::npos);
  // Deep nesting within the length bound compiles without exhausting the stack.
  const std::string nested = std::string(500, '(') + "a" + std::string(500, ')');
  CHECK_FALSE(regex_problem(nested));
  CHECK(regex_full_match("a", nested));
}
