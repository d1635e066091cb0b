// What `fx deploy` decides about versions without asking any target: which functions publish
// them (versionFunctions, versionFunction, provisionedConcurrency) and when a published one
// still is $LATEST.
#include <catch2/catch.hpp>

#include "core/actions/versions.h"
#include "core/util/error.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using fx::actions::publishes_versions;
using fx::actions::same_as_latest;
using fx::manifest::testing::TempService;

namespace {

std::string with(const std::string& provider, const std::string& function) {
  return "service: shop\nprovider:\n  name: aws\n  runtime: python3.12\n" + provider +
         "functions:\n  hello:\n    handler: h.main\n" + function;
}

std::string error_of(const TempService& t, const std::string& yaml) {
  try {
    t.load(yaml);
  } catch (const fx::Error& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST_CASE("versions: versionFunctions defaults to true and versionFunction overrides it",
          "[versions][manifest]") {
  TempService t;
  auto s = t.load(with("", ""));
  CHECK(s.version_functions);
  CHECK(publishes_versions(s, s.functions[0]));
  s = t.load(with("  versionFunctions: false\n", ""));
  CHECK_FALSE(s.version_functions);
  CHECK_FALSE(publishes_versions(s, s.functions[0]));
  s = t.load(with("  versionFunctions: false\n", "    versionFunction: true\n"));
  CHECK(publishes_versions(s, s.functions[0]));
  s = t.load(with("", "    versionFunction: false\n"));
  CHECK_FALSE(publishes_versions(s, s.functions[0]));
  // provisionedConcurrency needs a version for its alias, whatever versionFunctions says.
  s = t.load(with("  versionFunctions: false\n", "    provisionedConcurrency: 1\n"));
  CHECK(publishes_versions(s, s.functions[0]));
  s = t.load(with("  versionFunctions: false\n", "    provisionedConcurrency: 0\n"));
  CHECK_FALSE(publishes_versions(s, s.functions[0]));
  CHECK(s.warnings.empty());
}

TEST_CASE("versions: bad versionFunctions, versionFunction, provisionedConcurrency say where",
          "[versions][manifest]") {
  TempService t;
  CHECK_THAT(
      error_of(t, with("  versionFunctions: maybe\n", "")),
      Contains("serverless.yaml:5:") && Contains("versionFunctions") && Contains("true or false"));
  CHECK_THAT(error_of(t, with("", "    versionFunction: 1\n")),
             Contains("serverless.yaml:8:") && Contains("versionFunction"));
  CHECK_THAT(error_of(t, with("", "    provisionedConcurrency: -1\n")),
             Contains("serverless.yaml:8:") && Contains("provisionedConcurrency"));
  CHECK_THAT(error_of(t, with("", "    provisionedConcurrency: abc\n")),
             Contains("serverless.yaml:8:") && Contains("provisionedConcurrency"));
}

TEST_CASE("versions: a version is $LATEST's while code and configuration match", "[versions]") {
  fx::lambda::FunctionConfiguration latest;
  latest.code_sha256 = "abc=";
  latest.runtime = "python3.12";
  latest.handler = "h.main";
  latest.environment = {{"A", "1"}};
  latest.description = "mine";
  auto v = latest;
  v.version = "3";
  v.description = "";  // PublishVersion's own description, not a change
  CHECK(same_as_latest(v, latest));
  auto code = v;
  code.code_sha256 = "def=";
  CHECK_FALSE(same_as_latest(code, latest));
  auto env = v;
  env.environment["A"] = "2";
  CHECK_FALSE(same_as_latest(env, latest));
  auto memory = v;
  memory.memory_size = latest.memory_size + 1;
  CHECK_FALSE(same_as_latest(memory, latest));
}
