// The request bodies of the EventBridge and event-source-mapping calls, as AWS documents them.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/aws/events.h"
#include "core/lambda/client.h"

using json = nlohmann::json;

TEST_CASE("PutRule carries the schedule, its state and fx's description", "[aws][events]") {
  fx::aws::EventRule rule{"shop-dev-tick-schedule-1", "", "cron(0 3 * * ? *)", "DISABLED",
                          "schedule 1 of function tick of shop-dev; created by fx"};
  CHECK(json::parse(fx::aws::put_rule_request(rule)) ==
        json{{"Name", "shop-dev-tick-schedule-1"},
             {"ScheduleExpression", "cron(0 3 * * ? *)"},
             {"State", "DISABLED"},
             {"Description", "schedule 1 of function tick of shop-dev; created by fx"}});
}

TEST_CASE("PutTargets sends Input, InputPath or InputTransformer only when there is one",
          "[aws][events]") {
  const std::string fn = "arn:aws:lambda:us-east-1:123456789012:function:shop-dev-tick";
  fx::aws::EventTarget plain, input, path, transformer;
  plain.id = "fx-function", plain.arn = fn;
  input.id = "i", input.arn = fn, input.input = R"({"job":"nightly"})";
  path.id = "p", path.arn = fn, path.input_path = "$.detail";
  transformer.id = "t", transformer.arn = fn, transformer.input_template = R"({"at": <t>})";
  transformer.input_paths_map = {{"t", "$.time"}};
  auto body = json::parse(fx::aws::put_targets_request("r", {plain, input, path, transformer}));
  CHECK(body ==
        json{{"Rule", "r"},
             {"Targets",
              {{{"Id", "fx-function"}, {"Arn", fn}},
               {{"Id", "i"}, {"Arn", fn}, {"Input", R"({"job":"nightly"})"}},
               {{"Id", "p"}, {"Arn", fn}, {"InputPath", "$.detail"}},
               {{"Id", "t"},
                {"Arn", fn},
                {"InputTransformer",
                 {{"InputTemplate", R"({"at": <t>})"}, {"InputPathsMap", {{"t", "$.time"}}}}}}}}});
}

TEST_CASE("event source mapping requests: create names function and queue, update does not",
          "[aws][sqs]") {
  fx::lambda::EventSourceMapping m;
  m.event_source_arn = "arn:aws:sqs:us-east-1:123456789012:jobs";
  m.batch_size = 5;
  m.maximum_batching_window_s = 3;
  m.function_response_types = {"ReportBatchItemFailures"};
  m.enabled = false;
  auto create = json::parse(fx::lambda::event_source_mapping_request("shop-dev-worker", m));
  CHECK(create == json{{"FunctionName", "shop-dev-worker"},
                       {"EventSourceArn", "arn:aws:sqs:us-east-1:123456789012:jobs"},
                       {"BatchSize", 5},
                       {"MaximumBatchingWindowInSeconds", 3},
                       {"FunctionResponseTypes", {"ReportBatchItemFailures"}},
                       {"Enabled", false}});
  auto update = json::parse(fx::lambda::event_source_mapping_request("", m));
  CHECK_FALSE(update.contains("FunctionName"));
  CHECK_FALSE(update.contains("EventSourceArn"));
  // An empty list clears the response types a previous deploy set.
  m.function_response_types.clear();
  CHECK(json::parse(fx::lambda::event_source_mapping_request("", m))["FunctionResponseTypes"] ==
        json::array());
  // Filter patterns go as FilterCriteria; an update without any sends an empty one, which is
  // how Lambda drops those a previous deploy set, and a create sends none.
  CHECK(json::parse(fx::lambda::event_source_mapping_request("", m))["FilterCriteria"] ==
        json::object());
  CHECK_FALSE(
      json::parse(fx::lambda::event_source_mapping_request("f", m)).contains("FilterCriteria"));
  CHECK(json::parse(fx::lambda::event_source_mapping_request("", m))["ScalingConfig"] ==
        json::object());
  m.maximum_concurrency = 4;
  CHECK(json::parse(fx::lambda::event_source_mapping_request("f", m))["ScalingConfig"] ==
        json{{"MaximumConcurrency", 4}});
  m.filter_patterns = {R"({"body":{"type":["order"]}})"};
  CHECK(json::parse(fx::lambda::event_source_mapping_request("f", m))["FilterCriteria"] ==
        json{{"Filters", {{{"Pattern", R"({"body":{"type":["order"]}})"}}}}});
}
