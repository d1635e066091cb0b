#include <catch2/catch.hpp>

#include "core/manifest/api_keys.h"
#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using fx::manifest::ApiKeys;
using fx::manifest::Service;
using fx::manifest::testing::TempService;

namespace {

std::string manifest_with(const std::string& api_gateway) {
  return R"yaml(service: shop
provider:
  name: aws
  runtime: python3.12
  apiGateway:
)yaml" + api_gateway +
         R"yaml(functions:
  hello:
    handler: handler.main
    events:
      - http: {path: /hello, method: get, private: true}
)yaml";
}

}  // namespace

TEST_CASE("api keys: names, maps and usage plan groups", "[manifest][api_keys]") {
  TempService t;
  const Service s = t.load(manifest_with(R"yaml(    apiKeys:
      - free:
          - first
          - name: second
            value: abcdefghijklmnopqrstuvwxyz
            description: for tests
            customerId: c-1
            enabled: false
      - paid:
          - third
    usagePlan:
      - free:
          quota: {limit: 100, offset: 2, period: MONTH}
          throttle: {burstLimit: 5, rateLimit: 2.5}
      - paid:
          throttle: {rateLimit: 100}
)yaml"));
  const ApiKeys& k = s.api_keys;
  REQUIRE(k.keys.size() == 3);
  CHECK(k.keys[0].name == "first");
  CHECK(k.keys[0].value.empty());
  CHECK(k.keys[0].enabled);
  CHECK(k.keys[0].usage_plan == "free");
  CHECK(k.keys[1].name == "second");
  CHECK(k.keys[1].value == "abcdefghijklmnopqrstuvwxyz");
  CHECK(k.keys[1].description == "for tests");
  CHECK(k.keys[1].customer_id == "c-1");
  CHECK_FALSE(k.keys[1].enabled);
  CHECK(k.keys[2].usage_plan == "paid");
  CHECK(k.keys[1].mark.line == 9);
  REQUIRE(k.plans.size() == 2);
  const auto* free = k.plan_of(k.keys[0]);
  REQUIRE(free);
  CHECK(free->quota->limit == 100);
  CHECK(free->quota->offset == 2);
  CHECK(free->quota->period == "MONTH");
  CHECK(*free->throttle->rate_limit == 2.5);
  CHECK(*free->throttle->burst_limit == 5);
  const auto* paid = k.plan_of(k.keys[2]);
  REQUIRE(paid);
  CHECK_FALSE(paid->quota);
  CHECK_FALSE(paid->throttle->burst_limit);

  // The emulator's document carries them whole.
  const ApiKeys back = fx::manifest::parse_api_keys(fx::manifest::to_json(k));
  REQUIRE(back.keys.size() == 3);
  CHECK(back.keys[1].value == k.keys[1].value);
  CHECK_FALSE(back.keys[1].enabled);
  CHECK(back.plan_of(back.keys[0])->quota->limit == 100);
  CHECK(*back.plan_of(back.keys[0])->throttle->rate_limit == 2.5);
}

TEST_CASE("api keys: one plan for every key, and the older provider-level keys",
          "[manifest][api_keys]") {
  TempService t;
  Service s = t.load(manifest_with(R"yaml(    apiKeys: [a, b]
    usagePlan:
      quota: {limit: 3, period: DAY}
)yaml"));
  REQUIRE(s.api_keys.keys.size() == 2);
  REQUIRE(s.api_keys.plan_of(s.api_keys.keys[1]));
  CHECK(s.api_keys.plan_of(s.api_keys.keys[1])->quota->limit == 3);

  s = t.load(R"yaml(service: shop
provider:
  name: aws
  runtime: python3.12
  apiKeys: ['${self:custom.keyName}']
custom:
  keyName: fromVariable
functions:
  hello:
    handler: handler.main
)yaml");
  REQUIRE(s.api_keys.keys.size() == 1);
  CHECK(s.api_keys.keys[0].name == "fromVariable");
  CHECK(s.api_keys.plans.empty());
  CHECK(s.warnings.empty());

  s = t.load(manifest_with("    apiKeySourceType: AUTHORIZER\n    apiKeys: [a]\n"));
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Contains("serverless.yaml:6:23: provider.apiGateway.apiKeySourceType: "
                                     "AUTHORIZER is not honoured locally"));
}

TEST_CASE("api keys: bad entries name their place", "[manifest][api_keys]") {
  TempService t;
  auto error = [&](const std::string& section) {
    return std::string(t.error(manifest_with(section)).what());
  };
  CHECK_THAT(error("    apiKeys: {a: 1}\n"),
             Contains("serverless.yaml:6:14: provider.apiGateway.apiKeys: expected a list"));
  CHECK_THAT(
      error("    apiKeys:\n      - [a]\n"),
      Contains("serverless.yaml:7:9: provider.apiGateway.apiKeys[0]: expected a key's name"));
  CHECK_THAT(error("    apiKeys:\n      - name: a\n        colour: red\n"),
             Contains("serverless.yaml:8:17: provider.apiGateway.apiKeys[0].colour: unknown "
                      "setting of an API key"));
  CHECK_THAT(error("    apiKeys:\n      - name: a\n        value: short\n"),
             Contains("provider.apiGateway.apiKeys[0].value: 5 characters; API Gateway takes"));
  CHECK_THAT(error("    apiKeys:\n      - name: a\n        enabled: maybe\n"),
             Contains("apiKeys[0].enabled: expected true or false"));
  CHECK_THAT(error("    apiKeys: [a, a]\n"), Contains("API key 'a' is declared twice"));
  CHECK_THAT(error("    apiKeys: [a]\n    usagePlan:\n      quota: {limit: -1, period: DAY}\n"),
             Contains("serverless.yaml:8:22: provider.apiGateway.usagePlan.quota.limit: "
                      "expected an integer from 0 to"));
  CHECK_THAT(error("    apiKeys: [a]\n    usagePlan:\n      quota: {limit: 1, period: YEAR}\n"),
             Contains("usagePlan.quota.period: expected DAY, WEEK or MONTH, got \"YEAR\""));
  CHECK_THAT(error("    apiKeys: [a]\n    usagePlan:\n      quota: {limit: 1, period: DAY, "
                   "offset: 1}\n"),
             Contains("quota.offset: 1 for a DAY quota"));
  CHECK_THAT(error("    apiKeys: [a]\n    usagePlan:\n      throttle: {rateLimit: -2}\n"),
             Contains("throttle.rateLimit: expected a number of requests per second"));
  CHECK_THAT(error("    apiKeys:\n      - gold: [a]\n    usagePlan:\n      - free: {}\n"),
             Contains("serverless.yaml:7:15: provider.apiGateway.apiKeys[0].gold: no usage plan "
                      "'gold'"));
  CHECK_THAT(error("    apiKeys:\n      - free: [a]\n    usagePlan:\n      - free: {}\n      - "
                   "paid: {}\n"),
             Contains("usage plan 'paid' has no keys"));
  CHECK_THAT(error("    apiKeys:\n      - free: [a]\n"),
             Contains("a group of keys for usage plan 'free', but provider.apiGateway.usagePlan "
                      "is not set"));
  CHECK_THAT(error("    apiKeys: [a]\n    usagePlan:\n      - free: {}\n"),
             Contains("a key outside the usage plans' groups"));
}
