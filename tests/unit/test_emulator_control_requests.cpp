// The bodies and queries of the control-plane calls in control_requests.h: what Lambda's
// constraints let through, and the status and type of what they refuse (test_control_plane.py
// sends the same through HTTP).
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <utility>

#include "core/emulator/control_requests.h"

using namespace fx::emulator;
using fx::lambda::ApiError;

namespace {

// "STATUS TYPE: message" of what `call` throws, or "" when it throws nothing.
std::string refusal(const std::function<void()>& call) {
  try {
    call();
  } catch (const ApiError& e) {
    return std::to_string(e.status()) + " " + std::string(e.type()) + ": " + e.what();
  }
  return "";
}

constexpr const char* kQueue = "arn:aws:sqs:us-east-1:000000000000:jobs";
constexpr const char* kStream =
    "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000";

}  // namespace

TEST_CASE("create mapping: defaults left unset, kinds told apart", "[emulator][mappings]") {
  auto f = parse_create_mapping(R"({"FunctionName":"f","EventSourceArn":")" + std::string(kQueue) +
                                R"("})");
  CHECK(f.function_name == "f");
  CHECK(!f.batch_size);
  CHECK(mapping_source_kind(kQueue) == MappingSourceKind::sqs);
  CHECK(mapping_source_kind(kStream) == MappingSourceKind::dynamodb_stream);
  CHECK(mapping_source_kind("arn:aws:kinesis:us-east-1:000000000000:stream/s") ==
        MappingSourceKind::other);

  f = parse_create_mapping(
      R"({"FunctionName":"f","EventSourceArn":")" + std::string(kStream) +
      R"(","StartingPosition":"LATEST","MaximumRetryAttempts":-1,"BisectBatchOnFunctionError":true,
          "FunctionResponseTypes":["ReportBatchItemFailures"],
          "FilterCriteria":{"Filters":[{"Pattern":"{\"a\":[1]}"}]},
          "DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:dlq"}}})");
  CHECK(f.starting_position == "LATEST");
  CHECK(f.max_retry_attempts == -1);
  CHECK(f.report_batch_item_failures == true);
  REQUIRE(f.filter_patterns);
  CHECK(f.filter_patterns->at(0) == R"({"a":[1]})");
  CHECK(f.on_failure == "arn:aws:sqs:us-east-1:000000000000:dlq");
}

TEST_CASE("create mapping: what Lambda refuses", "[emulator][mappings]") {
  const std::string queue = std::string(R"("EventSourceArn":")") + kQueue + "\"";
  const std::string stream = std::string(R"("EventSourceArn":")") + kStream + "\"";
  const std::pair<std::string, std::string> cases[] = {
      {"{", "400 InvalidRequestContentException"},
      {"[]", "400 InvalidRequestContentException"},
      {"{" + queue + "}",
       "400 ValidationException: 1 validation error detected: Value null at "
       "'functionName'"},
      {R"({"FunctionName":1,)" + queue + "}", "400 InvalidRequestContentException"},
      {R"({"FunctionName":"f","BatchSize":0,)" + queue + "}",
       "400 ValidationException: 1 validation error detected: Value '0' at 'batchSize'"},
      {R"({"FunctionName":"f","BatchSize":0,"MaximumBatchingWindowInSeconds":301,)" + queue + "}",
       "400 ValidationException: 2 validation errors detected"},
      {R"({"FunctionName":"f","BatchSize":1.5,)" + queue + "}",
       "400 InvalidRequestContentException"},
      {R"({"FunctionName":"f","StartingPosition":"LATEST",)" + queue + "}",
       "400 InvalidParameterValueException: Unsupported StartingPosition"},
      {R"({"FunctionName":"f","ScalingConfig":{"MaximumConcurrency":2},"StartingPosition":"LATEST",)" +
           stream + "}",
       "400 InvalidParameterValueException: Unsupported ScalingConfig"},
      {R"({"FunctionName":"f",)" + stream + "}", "400 InvalidParameterValueException"},
      {R"({"FunctionName":"f","StartingPosition":"SOMETIME",)" + stream + "}",
       "400 ValidationException"},
      {R"({"FunctionName":"f","EventSourceArn":"nope"})", "400 ValidationException"},
      {R"({"FunctionName":"f"})", "400 InvalidParameterValueException: Unrecognized event source"},
      {R"({"FunctionName":"f","FunctionResponseTypes":["X"],)" + queue + "}",
       "400 ValidationException"},
      {R"({"FunctionName":"f","MaximumRecordAgeInSeconds":30,"StartingPosition":"LATEST",)" +
           stream + "}",
       "400 InvalidParameterValueException"},
  };
  for (const auto& [body, expected] : cases) {
    INFO(body);
    CHECK_THAT(refusal([&] { parse_create_mapping(body); }), Catch::StartsWith(expected));
  }
}

TEST_CASE("update mapping: the source kind's settings only", "[emulator][mappings]") {
  CHECK(
      parse_update_mapping(R"({"BatchSize":5,"Enabled":false})", MappingSourceKind::sqs).enabled ==
      false);
  CHECK_THAT(refusal([] {
               parse_update_mapping(R"({"TumblingWindowInSeconds":5})", MappingSourceKind::sqs);
             }),
             Catch::StartsWith("400 InvalidParameterValueException"));
  CHECK(parse_update_mapping(R"({"TumblingWindowInSeconds":5})", MappingSourceKind::dynamodb_stream)
            .tumbling_window_s == 5);
}

TEST_CASE("pages: markers round-trip, bad ones are refused", "[emulator][pages]") {
  auto q = checked_page_query(std::nullopt, std::nullopt, 10000, 50);
  CHECK(q.max_items == 50);
  CHECK(q.from_key.empty());
  q = checked_page_query(page_marker("fn-b"), std::string("3"), 10000, 50);
  CHECK(q.from_key == "fn-b");
  CHECK(q.max_items == 3);
  CHECK_THAT(refusal([] { checked_page_query(std::string("garbage"), std::nullopt, 50, 50); }),
             Catch::StartsWith("400 InvalidParameterValueException"));
  CHECK_THAT(refusal([] { checked_page_query(std::nullopt, std::string("51"), 50, 50); }),
             Catch::StartsWith("400 ValidationException"));
  CHECK_THAT(refusal([] { checked_page_query(std::nullopt, std::string("99999999999"), 50, 50); }),
             Catch::StartsWith("400 ValidationException"));
  CHECK(refusal([] { check_function_version(std::string("ALL")); }).empty());
  CHECK_THAT(refusal([] { check_function_version(std::string("$LATEST")); }),
             Catch::StartsWith("400 ValidationException"));
}

TEST_CASE("event invoke config: ranges and destinations", "[emulator][invoke-config]") {
  auto f = parse_invoke_config(
      R"({"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60,
          "DestinationConfig":{"OnSuccess":{},"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:q"}}})");
  CHECK(f.max_retries == 0);
  CHECK(f.max_event_age_s == 60);
  CHECK(f.on_success == "");
  CHECK(f.on_failure == "arn:aws:sqs:us-east-1:000000000000:q");
  for (const auto* body : {R"({"MaximumRetryAttempts":3})", R"({"MaximumEventAgeInSeconds":59})",
                           R"({"MaximumEventAgeInSeconds":21601})"})
    CHECK_THAT(refusal([&] { parse_invoke_config(body); }),
               Catch::StartsWith("400 ValidationException"));
  CHECK_THAT(
      refusal([] {
        parse_invoke_config(
            R"({"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sns:us-east-1:000000000000:t"}}})");
      }),
      Catch::Contains("no SNS topics"));
}
