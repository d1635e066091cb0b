// ${ssm:...} as the framework v3 reads it, against a parameter reader standing in for the
// emulator's store (the CLI's reads the real one: tests/e2e/test_secrets.py).
#include <catch2/catch.hpp>

#include "core/manifest/manifest.h"
#include "core/util/redact.h"
#include "tests/unit/test_manifest_helpers.h"

using namespace fx::manifest;
using Catch::Matchers::Contains;

namespace {

struct Reads {
  std::map<std::string, std::pair<std::string, std::string>> params;
  std::vector<std::string> asked;  // "region name decrypt"
};

LoadOptions with_reads(const testing::TempService& t, Reads& reads) {
  auto o = t.options();
  o.aws.local_parameter = [&reads](
                              const std::string& region, const std::string& name,
                              bool decrypt) -> std::optional<std::pair<std::string, std::string>> {
    reads.asked.push_back(region + " " + name + (decrypt ? " decrypt" : " raw"));
    auto it = reads.params.find(name);
    if (it == reads.params.end()) return std::nullopt;
    return it->second;
  };
  o.aws.local_hint = [](const std::string& name, const std::string&) {
    return "fx secrets set " + name + " VALUE";
  };
  return o;
}

}  // namespace

TEST_CASE("ssm: types, suffixes, region and secrets as the framework v3 reads them",
          "[variables][secrets]") {
  testing::TempService t;
  Reads reads;
  reads.params["/a/plain"] = {"String", "p1"};
  reads.params["/a/list"] = {"StringList", "x,y,z"};
  reads.params["/a/pw"] = {"SecureString", "unit-secret-1"};
  reads.params["/aws/reference/secretsmanager/creds"] = {"SecureString",
                                                         R"({"user":"u1","pw":"unit-secret-2"})"};
  t.write("serverless.yaml", R"yaml(service: shop
provider:
  runtime: python3.12
custom:
  list: ${ssm:/a/list}
  creds: ${ssm:/aws/reference/secretsmanager/creds}
functions:
  fn:
    handler: handler.main
    environment:
      PLAIN: ${ssm:/a/plain}
      PW: ${ssm:/a/pw~true}
      RAWLIST: ${ssm(raw):/a/list}
      FIRST: ${self:custom.list.0}
      USER: ${self:custom.creds.user}
      EU: ${ssm(eu-west-1):/a/plain}
      NODEC: ${ssm(noDecrypt):/a/pw}
      FALLBACK: ${ssm:/a/none, 'dflt'}
)yaml");
  const auto s = load_service(with_reads(t, reads));
  const auto& env = s.functions.at(0).environment;
  CHECK(env.at("PLAIN") == "p1");
  CHECK(env.at("PW") == "unit-secret-1");
  CHECK(env.at("RAWLIST") == "x,y,z");
  CHECK(env.at("FIRST") == "x");
  CHECK(env.at("USER") == "u1");
  CHECK(env.at("FALLBACK") == "dflt");
  CHECK(std::find(reads.asked.begin(), reads.asked.end(), "eu-west-1 /a/plain decrypt") !=
        reads.asked.end());
  CHECK(std::find(reads.asked.begin(), reads.asked.end(), "us-east-1 /a/pw raw") !=
        reads.asked.end());
  // Secure values are hidden from whatever fx prints from now on; plain ones are not.
  CHECK(fx::util::redact("pw=unit-secret-1 u=unit-secret-2 p=p1") == "pw=**** u=**** p=p1");
}

TEST_CASE("ssm: a missing parameter names itself and how to set it", "[variables][secrets]") {
  testing::TempService t;
  Reads reads;
  t.write("serverless.yaml", R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  fn:
    handler: handler.main
    environment:
      TOKEN: ${ssm:/app/token}
)yaml");
  try {
    load_service(with_reads(t, reads));
    FAIL("expected an error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Contains("serverless.yaml:8:14: functions.fn.environment.TOKEN"));
    CHECK_THAT(e.what(),
               Contains("SSM parameter /app/token does not exist in the emulator's store"));
    CHECK_THAT(e.hint(), Contains("fx secrets set /app/token VALUE"));
  }
}
