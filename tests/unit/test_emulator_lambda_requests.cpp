// ListEventSourceMappings' query checks (the e2e catalogue in tests/e2e/test_bad_requests.py
// sends the same through HTTP): which values Lambda's constraints let through.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "core/emulator/lambda_requests.h"

using Catch::Matchers::Contains;
using fx::emulator::checked_list_mappings_query;
using fx::lambda::ApiError;

namespace {

std::string error_of(std::optional<std::string> function, std::optional<std::string> arn,
                     std::optional<std::string> max_items) {
  try {
    checked_list_mappings_query(function, arn, std::nullopt, max_items);
  } catch (const ApiError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("mappings query: defaults, names and ARNs", "[emulator][mappings]") {
  auto q = checked_list_mappings_query(std::nullopt, std::nullopt, std::nullopt, std::nullopt);
  CHECK(q.max_items == 100);
  CHECK(q.function.empty());
  CHECK(q.source_arn.empty());
  CHECK(q.marker.empty());

  q = checked_list_mappings_query("arn:aws:lambda:us-east-1:000000000000:function:svc-dev-fn",
                                  "arn:aws:sqs:us-east-1:000000000000:jobs", "m", "10000");
  CHECK(q.function == "svc-dev-fn");
  CHECK(q.source_arn == "arn:aws:sqs:us-east-1:000000000000:jobs");
  CHECK(q.marker == "m");
  CHECK(q.max_items == 10000);
  CHECK(checked_list_mappings_query(std::nullopt, std::nullopt, std::nullopt, "1").max_items == 1);
}

TEST_CASE("mappings query: EventSourceArn follows Lambda's pattern", "[emulator][mappings]") {
  for (const char* good :
       {"arn:aws:sqs:us-east-1:000000000000:jobs", "arn:aws-cn:sqs:cn-north-1:000000000000:jobs",
        "arn:aws-us-gov:sqs:us-gov-west-1:000000000000:jobs", "arn:aws:kafka:::cluster/x",
        "arn:aws:dynamodb:eu-west-1::table/t:x"}) {
    INFO(good);
    CHECK(error_of(std::nullopt, good, std::nullopt) == "");
  }
  for (const char* bad : {"", "nope", "arn:aws:sqs:us-east-1:000000000000", "arn:gcp:sqs:::q",
                          "arn:aws::us-east-1:000000000000:q", "arn:aws:sqs:useast1:000000000000:q",
                          "arn:aws:sqs:us-east-x:000000000000:q", "arn:aws:sqs:US-east-1::q",
                          "arn:aws:sqs:us-east-1:123:q", "arn:aws:sqs:us-east-1:12345678901a:q",
                          "arn:aws:s_s:us-east-1::q", "xarn:aws:sqs:::q"}) {
    INFO(bad);
    CHECK_THAT(error_of(std::nullopt, bad, std::nullopt), Contains("at 'eventSourceArn'"));
  }
}

TEST_CASE("mappings query: MaxItems is a whole number from 1 to 10000", "[emulator][mappings]") {
  CHECK(error_of(std::nullopt, std::nullopt, "0") ==
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1");
  CHECK(error_of(std::nullopt, std::nullopt, "10001") ==
        "1 validation error detected: Value '10001' at 'maxItems' failed to satisfy constraint: "
        "Member must have value less than or equal to 10000");
  for (const char* bad :
       {"", "-", "abc", "1.5", " 1", "1 ", "+1", "0x10", "1e3", "9999999999999999999"}) {
    INFO(bad);
    CHECK_THAT(error_of(std::nullopt, std::nullopt, bad), Contains("must be a whole number"));
  }
  CHECK_THAT(error_of(std::nullopt, std::nullopt, "-5"), Contains("greater than or equal to 1"));
  CHECK_THAT(error_of("", "x", "0"), Contains("2 validation errors detected"));
  CHECK_THAT(error_of("bad name", std::nullopt, std::nullopt), Contains("at 'functionName'"));
}
