// The AWS target's results, built from what AWS answered, and what it refuses before calling
// AWS at all.
#include <catch2/catch.hpp>

#include "core/targets/aws_target.h"
#include "core/util/error.h"
#include "test_aws_helpers.h"

using Catch::Matchers::Contains;

TEST_CASE("AWS info: function URLs are routes of their function, with its rules and mappings",
          "[targets]") {
  fx::lambda::Endpoint endpoint{"https://lambda.eu-west-1.amazonaws.com", "eu-west-1", "", nullptr};
  fx::targets::aws::AwsFunctionInfo web;
  web.function = "web";
  web.name = "shop-dev-web";
  web.config = fx::lambda::FunctionConfiguration{};
  web.config->state = "Active";
  web.url =
      fx::lambda::FunctionUrlConfig{"https://abc.lambda-url.eu-west-1.on.aws/", "NONE", "", ""};
  fx::aws::EventRule rule;
  rule.name = "shop-dev-web-schedule-1";
  rule.schedule_expression = "rate(1 hour)";
  web.schedules.push_back(rule);
  fx::lambda::EventSourceMapping mapping;
  mapping.uuid = "u-1";
  mapping.event_source_arn = "arn:aws:sqs:eu-west-1:123456789012:orders";
  web.queues.push_back(mapping);
  fx::targets::aws::AwsFunctionInfo gone;
  gone.function = "gone";
  gone.name = "shop-dev-gone";
  gone.url =
      fx::lambda::FunctionUrlConfig{"https://stale.lambda-url.eu-west-1.on.aws/", "NONE", "", ""};

  auto info = fx::targets::aws_info(endpoint, {web, gone});
  CHECK(info.region == "eu-west-1");
  CHECK(info.endpoint == "https://lambda.eu-west-1.amazonaws.com");
  CHECK_FALSE(info.emulator);
  REQUIRE(info.functions.size() == 2);
  const auto& f = info.functions[0];
  CHECK(f.function == "web");
  CHECK(f.name == "shop-dev-web");
  REQUIRE(f.config);
  CHECK_FALSE(f.instances);
  REQUIRE(f.cloud);
  REQUIRE(f.cloud->url);
  CHECK(f.cloud->url->url == "https://abc.lambda-url.eu-west-1.on.aws/");
  REQUIRE(f.cloud->schedules.size() == 1);
  CHECK(f.cloud->schedules[0].name == "shop-dev-web-schedule-1");
  REQUIRE(f.cloud->queues.size() == 1);
  CHECK(f.cloud->queues[0].uuid == "u-1");
  // Not deployed: nothing around it is reported.
  CHECK_FALSE(info.functions[1].config);
  CHECK_FALSE(info.functions[1].cloud);
  REQUIRE(info.routes.size() == 1);
  CHECK(info.routes[0].function == "web");
  CHECK(info.routes[0].route == "https://abc.lambda-url.eu-west-1.on.aws/");
  CHECK(info.routes[0].function_url);
}

TEST_CASE("AWS cost needs the functions to read the log groups of", "[targets]") {
  fx::test::TempDir dir("targets-aws-cost");
  fx::test::ScopedEnv env;
  fx::test::clear_aws_environment(env, dir.path);
  env.set("AWS_ACCESS_KEY_ID", "AKIDTARGETS");
  env.set("AWS_SECRET_ACCESS_KEY", "secret");
  auto target = fx::targets::open_target({"aws", "eu-west-1"});
  fx::targets::CostQuery query;
  query.prices = fx::usage::builtin_prices();
  try {
    target->cost(query);
    FAIL("no error");
  } catch (const fx::Error& e) {
    CHECK(e.kind() == fx::ErrorKind::usage);
    CHECK_THAT(e.what(), Contains("needs a function, or a service folder"));
    CHECK_THAT(e.hint(), Contains("serverless.yaml"));
  }
}
