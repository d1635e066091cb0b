// The pure parts of deploying events to AWS: how schedule rules are named, what a schedule's
// target sends, and which mapping an sqs event asks for.
#include <catch2/catch.hpp>

#include "core/targets/aws/deploy.h"

using fx::targets::aws::desired_queue_mapping;
using fx::targets::aws::schedule_input;
using fx::targets::aws::schedule_rule_prefix;

TEST_CASE("schedule rules are named SERVICE-STAGE-KEY-schedule-N", "[aws][events]") {
  CHECK(schedule_rule_prefix("shop", "dev", "nightly") == "shop-dev-nightly-schedule-");
  // What a rule name cannot hold becomes '-'.
  CHECK(schedule_rule_prefix("shop", "dev", "a b/c") == "shop-dev-a-b-c-schedule-");
}

TEST_CASE("long schedule rule names are shortened with a hash, deterministically",
          "[aws][events]") {
  const std::string key(60, 'k');
  auto prefix = schedule_rule_prefix("a-rather-long-service-name", "production", key);
  // Room for a three-digit rule number within EventBridge's 64 characters.
  CHECK(prefix.size() + 3 == 64);
  CHECK(prefix.starts_with("a-rather-long-service-name-production-kkk"));
  CHECK(prefix.ends_with("-schedule-"));
  CHECK(prefix == schedule_rule_prefix("a-rather-long-service-name", "production", key));
  // Two functions whose names only differ at their end still get their own prefixes.
  auto other = schedule_rule_prefix("a-rather-long-service-name", "production", key + "2");
  CHECK(other != prefix);
  CHECK(other.size() == prefix.size());
  CHECK_FALSE(other.starts_with(prefix));
}

TEST_CASE("a schedule's input is sent as JSON text", "[aws][events]") {
  CHECK(schedule_input(R"j("rate(5 minutes)")j") == "");
  CHECK(schedule_input(R"j({"rate": "rate(1 hour)"})j") == "");
  CHECK(schedule_input(R"j({"rate": "rate(1 hour)", "input": null})j") == "");
  CHECK(schedule_input(R"j({"rate": "rate(1 hour)", "input": {"job": "nightly", "n": 2}})j") ==
        R"j({"job":"nightly","n":2})j");
  // A string holding JSON is that JSON, as the Serverless Framework sends it; any other
  // string is sent as a JSON string.
  CHECK(schedule_input(R"j({"input": "{\"a\": [1, 2]}"})j") == R"j({"a":[1,2]})j");
  CHECK(schedule_input(R"j({"input": "hello"})j") == R"j("hello")j");
}

TEST_CASE("an sqs event's settings become its mapping's", "[aws][sqs]") {
  fx::manifest::SqsEvent e;
  e.queue = "jobs";
  e.batch_size = 5;
  e.config_json =
      R"j({"arn": "jobs", "batchSize": 5, "maximumBatchingWindow": 3,
          "functionResponseType": "ReportBatchItemFailures", "enabled": false})j";
  auto m = desired_queue_mapping(e, "arn:aws:sqs:us-east-1:123456789012:jobs");
  CHECK(m.event_source_arn == "arn:aws:sqs:us-east-1:123456789012:jobs");
  CHECK(m.batch_size == 5);
  CHECK(m.maximum_batching_window_s == 3);
  CHECK(m.function_response_types == std::vector<std::string>{"ReportBatchItemFailures"});
  CHECK_FALSE(m.enabled);

  fx::manifest::SqsEvent plain;
  plain.queue = "arn:aws:sqs:us-east-1:123456789012:jobs";
  plain.config_json = R"j("arn:aws:sqs:us-east-1:123456789012:jobs")j";
  auto d = desired_queue_mapping(plain, plain.queue);
  CHECK(d.batch_size == 10);
  CHECK(d.maximum_batching_window_s == 0);
  CHECK(d.function_response_types.empty());
  CHECK(d.enabled);
}
