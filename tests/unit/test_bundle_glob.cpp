#include <catch2/catch.hpp>

#include "core/bundle/bundle.h"

using fx::bundle::glob_match;

TEST_CASE("glob '*' stays within one segment", "[bundle][glob]") {
  CHECK(glob_match("*.txt", "a.txt"));
  CHECK(glob_match("*.txt", ".hidden.txt"));  // dot: true, as the Serverless Framework
  CHECK_FALSE(glob_match("*.txt", "dir/a.txt"));
  CHECK_FALSE(glob_match("*.txt", "a.txt.bak"));
  CHECK(glob_match("src/*.py", "src/handler.py"));
  CHECK_FALSE(glob_match("src/*.py", "src/lib/util.py"));
  CHECK(glob_match("a*b*c", "abc"));
  CHECK(glob_match("a*b*c", "axxbyyc"));
  CHECK_FALSE(glob_match("a*b*c", "axxbyy"));
  CHECK(glob_match("*", "file"));
  CHECK_FALSE(glob_match("*", "dir/file"));
}

TEST_CASE("glob '**' spans zero or more segments", "[bundle][glob]") {
  CHECK(glob_match("**", "a/b/c.txt"));
  CHECK(glob_match("**/*.pyc", "x.pyc"));
  CHECK(glob_match("**/*.pyc", "a/b/x.pyc"));
  CHECK(glob_match("a/**/b", "a/b"));
  CHECK(glob_match("a/**/b", "a/x/y/b"));
  CHECK_FALSE(glob_match("a/**/b", "a/x/y/c"));
  CHECK(glob_match("node_modules/**", "node_modules/pkg/index.js"));
  CHECK_FALSE(glob_match("node_modules/**", "src/node_modules.js"));
  CHECK(glob_match("**/test/**", "pkg/test/a/b.js"));
  CHECK(glob_match("a/**/**/b", "a/b"));
}

TEST_CASE("glob '?', classes, braces and escapes", "[bundle][glob]") {
  CHECK(glob_match("file?.js", "file1.js"));
  CHECK_FALSE(glob_match("file?.js", "file12.js"));
  CHECK_FALSE(glob_match("a?b", "a/b"));
  CHECK(glob_match("[abc].txt", "b.txt"));
  CHECK_FALSE(glob_match("[abc].txt", "d.txt"));
  CHECK(glob_match("v[0-9].js", "v7.js"));
  CHECK(glob_match("[!a]*", "bcd"));
  CHECK_FALSE(glob_match("[!a]*", "abc"));
  CHECK(glob_match("**/*.{md,ts}", "docs/readme.md"));
  CHECK(glob_match("**/*.{md,ts}", "src/index.ts"));
  CHECK_FALSE(glob_match("**/*.{md,ts}", "src/index.js"));
  CHECK(glob_match("{src,lib}/**", "lib/a.js"));
  CHECK(glob_match("a[b", "a[b"));  // an unterminated class is a literal '['
  CHECK(glob_match("a\\*b", "a*b"));
  CHECK_FALSE(glob_match("a\\*b", "axb"));
}

TEST_CASE("glob names of folders cover what is below them", "[bundle][glob]") {
  CHECK(glob_match("node_modules", "node_modules/pkg/index.js"));
  CHECK(glob_match("node_modules/", "node_modules/pkg/index.js"));
  CHECK(glob_match("node_modules/aws-sdk", "node_modules/aws-sdk/lib/a.js"));
  CHECK_FALSE(glob_match("node_modules/aws-sdk", "node_modules/aws-sdk-mock/a.js"));
  CHECK(glob_match("src/handler.py", "src/handler.py"));
  CHECK(glob_match("./src", "src/handler.py"));
  CHECK(glob_match("./**", "src/handler.py"));
  CHECK(glob_match("src/*/", "src/lib/deep/x.py"));
  CHECK_FALSE(glob_match("src/*", "src/lib/deep/x.py"));  // wildcards match whole paths only
  CHECK_FALSE(glob_match("", "a"));
}
