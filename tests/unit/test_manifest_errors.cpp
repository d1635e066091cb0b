#include <catch2/catch.hpp>

#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;
using fx::manifest::testing::TempService;

namespace {

// A service whose function `hello` has `setting` (one line, indented under hello).
std::string with_function_setting(const std::string& setting) {
  return "service: shop\n"
         "provider:\n"
         "  runtime: python3.12\n"
         "functions:\n"
         "  hello:\n"
         "    handler: handler.main\n" +
         setting + "\n";
}

}  // namespace

TEST_CASE("manifest errors: malformed YAML names line and column", "[manifest][errors]") {
  TempService t;
  const auto e = t.error("service: shop\nprovider:\n  runtime: [python3.12\n");
  CHECK_THAT(e.what(), Contains("serverless.yaml:4:1: invalid YAML: "));
  CHECK_THAT(e.what(), Contains("a '[' is never closed with ']'"));
  CHECK_FALSE(e.hint().empty());
}

TEST_CASE("manifest errors: an empty file or one that is not a map", "[manifest][errors]") {
  TempService t;
  CHECK_THAT(t.error("").what(), EndsWith("serverless.yaml: the file is empty"));
  CHECK_THAT(t.error("- a\n- b\n").what(),
             EndsWith("serverless.yaml:1:1: expected a map of settings (service, provider, "
                      "functions), got a list"));
}

TEST_CASE("manifest errors: the handler must be file.export", "[manifest][errors]") {
  TempService t;
  const auto e = t.error(R"yaml(service: shop
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler
)yaml");
  CHECK_THAT(e.what(),
             EndsWith("serverless.yaml:7:14: functions.hello.handler: expected \"file.export\", "
                      "got \"handler\""));
  CHECK_THAT(e.hint(), Contains("handler.main"));
}

TEST_CASE("manifest errors: a missing handler", "[manifest][errors]") {
  TempService t;
  const auto e = t.error(
      "service: shop\nprovider:\n  runtime: python3.12\nfunctions:\n"
      "  hello:\n    memorySize: 256\n");
  CHECK_THAT(e.what(), EndsWith("serverless.yaml:5:3: functions.hello.handler: missing; expected "
                                "\"file.export\""));
}

TEST_CASE("manifest errors: runtimes", "[manifest][errors]") {
  TempService t;
  SECTION("unknown, with the accepted ones in the hint") {
    const auto e = t.error("service: shop\nprovider:\n  runtime: python2.7\n");
    CHECK_THAT(e.what(), EndsWith("serverless.yaml:3:12: provider.runtime: expected a supported "
                                  "runtime, got \"python2.7\""));
    CHECK_THAT(e.hint(), Contains("python3.8"));
    CHECK_THAT(e.hint(), Contains("python3.13"));
    CHECK_THAT(e.hint(), Contains("nodejs22.x"));
    CHECK_THAT(e.hint(), Contains("provided.al2023"));
  }
  SECTION("a function's own") {
    const auto e = t.error(with_function_setting("    runtime: ruby2.7"));
    CHECK_THAT(e.what(), EndsWith("serverless.yaml:7:14: functions.hello.runtime: expected a "
                                  "supported runtime, got \"ruby2.7\""));
  }
}

TEST_CASE("manifest errors: memorySize, timeout and architecture", "[manifest][errors]") {
  TempService t;
  CHECK_THAT(t.error(with_function_setting("    memorySize: 64")).what(),
             EndsWith("serverless.yaml:7:17: functions.hello.memorySize: expected an integer "
                      "from 128 to 10240 (MB), got 64"));
  CHECK_THAT(t.error(with_function_setting("    memorySize: lots")).what(),
             EndsWith("functions.hello.memorySize: expected an integer from 128 to 10240 (MB), "
                      "got \"lots\""));
  CHECK_THAT(t.error(with_function_setting("    timeout: 901")).what(),
             EndsWith("serverless.yaml:7:14: functions.hello.timeout: expected an integer from 1 "
                      "to 900 (seconds), got 901"));
  CHECK_THAT(t.error(with_function_setting("    timeout: 1.5")).what(),
             Contains("functions.hello.timeout: expected an integer"));
  CHECK_THAT(t.error(with_function_setting("    architecture: arm")).what(),
             EndsWith("serverless.yaml:7:19: functions.hello.architecture: expected x86_64 or "
                      "arm64, got \"arm\""));
  CHECK_THAT(t.error("service: shop\nprovider:\n  runtime: python3.12\n  timeout: 0\n").what(),
             EndsWith("serverless.yaml:4:12: provider.timeout: expected an integer from 1 to 900 "
                      "(seconds), got 0"));
}

TEST_CASE("manifest errors: the service's name", "[manifest][errors]") {
  TempService t;
  const auto missing = t.error("provider:\n  runtime: python3.12\n");
  CHECK_THAT(missing.what(), EndsWith("serverless.yaml: service: missing; expected the service's "
                                      "name"));
  CHECK_THAT(t.error("service: my_service\n").what(),
             EndsWith("serverless.yaml:1:10: service: expected a name matching "
                      "[A-Za-z][A-Za-z0-9-]*, got \"my_service\""));
  CHECK_THAT(t.error("service: ''\n").what(),
             EndsWith("service: expected a name matching [A-Za-z][A-Za-z0-9-]*, got \"\""));
  CHECK_THAT(t.error("service:\n  name: 1abc\n").what(),
             EndsWith("serverless.yaml:2:9: service.name: expected a name matching "
                      "[A-Za-z][A-Za-z0-9-]*, got \"1abc\""));
}

TEST_CASE("manifest errors: shapes of functions and events", "[manifest][errors]") {
  TempService t;
  CHECK_THAT(t.error("service: shop\nfunctions: hello\n").what(),
             EndsWith("serverless.yaml:2:12: functions: expected a map of function names to "
                      "settings, got \"hello\""));
  CHECK_THAT(t.error("service: shop\nfunctions:\n  - hello\n").what(),
             EndsWith("serverless.yaml:3:5: functions[0]: expected a map of function names to "
                      "settings, got \"hello\""));
  CHECK_THAT(t.error(with_function_setting("    events:\n      http: GET hello")).what(),
             EndsWith("serverless.yaml:8:7: functions.hello.events: expected a list of events, "
                      "got a map"));
  // A bare name is the event with no settings, as the framework reads it; text that is no name
  // of a type is refused.
  CHECK_THAT(t.error(with_function_setting("    events:\n      - GET hello")).what(),
             EndsWith("serverless.yaml:8:9: functions.hello.events[0]: expected a map with one "
                      "key, the event's type, or a type's bare name, got \"GET hello\""));
  CHECK_THAT(t.error(with_function_setting("    events:\n      - http: hello")).what(),
             EndsWith("serverless.yaml:8:15: functions.hello.events[0].http: expected \"METHOD "
                      "path\" or {path, method}, got \"hello\""));
  CHECK_THAT(t.error(with_function_setting("    events:\n      - http: FETCH /x")).what(),
             Contains("functions.hello.events[0].http: expected an HTTP method (GET, POST"));
  CHECK_THAT(
      t.error(with_function_setting("    events:\n      - schedule: every 5 minutes")).what(),
      EndsWith("serverless.yaml:8:19: functions.hello.events[0].schedule: expected "
               "rate(...) or cron(...), got \"every 5 minutes\""));
  CHECK_THAT(
      t.error(with_function_setting("    events:\n      - sqs:\n          batchSize: 5")).what(),
      Contains("functions.hello.events[0].sqs: expected a queue name, an ARN or {arn, "
               "batchSize}, got a map"));
  // filterPatterns are checked as Lambda checks them, with the pattern's line and column.
  const std::string sqs =
      "    events:\n      - sqs:\n          arn: jobs\n          filterPatterns:\n";
  CHECK_THAT(t.error(with_function_setting(sqs + "            - body: {type: order}")).what(),
             EndsWith("serverless.yaml:11:15: functions.hello.events[0].sqs.filterPatterns[0]: "
                      "filter pattern at body.type: expected a non-empty list of matchers or a "
                      "nested object"));
  CHECK_THAT(t.error(with_function_setting(sqs + "            - body: {n: [{above: 3}]}")).what(),
             Contains("unknown operator 'above'"));
  CHECK_THAT(t.error(with_function_setting(sqs + "            - order")).what(),
             Contains("filterPatterns[0]: expected a filter pattern"));
  std::string six = sqs;
  for (int i = 0; i < 6; ++i) six += "            - body: [x]\n";
  CHECK_THAT(t.error(with_function_setting(six)).what(),
             Contains("serverless.yaml:11:13: functions.hello.events[0].sqs.filterPatterns: 6 "
                      "filter patterns; Lambda takes at most 5"));
  CHECK_THAT(t.error(with_function_setting("    events:\n      - sqs:\n          arn: jobs\n"
                                           "          maximumConcurrency: 1"))
                 .what(),
             Contains("functions.hello.events[0].sqs.maximumConcurrency: expected"));
  TempService ok;
  const auto loaded = ok.load(with_function_setting(sqs + "            - body: {type: [order]}"));
  const auto& queue = std::get<fx::manifest::SqsEvent>(loaded.functions[0].events[0]);
  REQUIRE(queue.filter_patterns.size() == 1);
  CHECK(queue.filter_patterns[0] == R"({"body":{"type":["order"]}})");
}

TEST_CASE("manifest errors: environment values must be scalars", "[manifest][errors]") {
  TempService t;
  const auto e = t.error(with_function_setting("    environment:\n      LIST: [1, 2]"));
  CHECK_THAT(e.what(), EndsWith("serverless.yaml:8:13: functions.hello.environment.LIST: expected "
                                "a string, number or boolean, got a list"));
  CHECK_THAT(t.error(with_function_setting("    environment:\n      BAD-NAME: x")).what(),
             EndsWith("serverless.yaml:8:7: functions.hello.environment.BAD-NAME: expected a "
                      "variable name of letters, digits and '_'"));
}

TEST_CASE("manifest errors: duplicate keys, provider name, bad stage", "[manifest][errors]") {
  TempService t;
  CHECK_THAT(
      t.error("service: shop\nprovider:\n  runtime: python3.12\n  runtime: python3.11\n").what(),
      EndsWith("serverless.yaml:4:3: provider.runtime: duplicate key; the first is at line "
               "3"));
  CHECK_THAT(t.error("service: shop\nprovider:\n  name: google\n").what(),
             EndsWith("serverless.yaml:3:9: provider.name: expected aws, got \"google\""));
  CHECK_THAT(t.error("service: shop\nprovider:\n  stage: my_stage\n").what(),
             EndsWith("serverless.yaml:3:10: provider.stage: expected letters, digits and '-', "
                      "got \"my_stage\""));
  t.opts["stage"] = "a b";
  const auto e = t.error(with_function_setting(""));
  CHECK(e.kind() == fx::ErrorKind::usage);
  CHECK_THAT(e.what(), Equals("--stage: expected letters, digits and '-', got \"a b\""));
}

TEST_CASE("manifest: asynchronous settings and destinations", "[manifest][errors]") {
  TempService t;
  const auto loaded = t.load(with_function_setting(
      "    maximumRetryAttempts: 1\n    maximumEventAge: 600\n    destinations:\n"
      "      onSuccess: other\n      onFailure: {type: sqs, arn: arn:aws:sqs:us-east-1:1:q}"));
  const auto& f = loaded.functions[0];
  CHECK(f.max_retry_attempts == 1);
  CHECK(f.max_event_age_s == 600);
  CHECK(f.on_success == "other");
  CHECK(f.on_failure == "arn:aws:sqs:us-east-1:1:q");
  // Lambda's bounds: a minute to six hours.
  CHECK_THAT(t.error(with_function_setting("    maximumEventAge: 30")).what(),
             Contains("functions.hello.maximumEventAge: expected"));
  CHECK_THAT(t.error(with_function_setting("    maximumEventAge: 21601")).what(),
             Contains("21600"));
}

TEST_CASE("manifest errors: a schedule's inputPath and inputTransformer", "[manifest][errors]") {
  TempService t;
  const std::string schedule = "    events:\n      - schedule:\n          rate: rate(1 hour)\n";
  CHECK_THAT(t.error(with_function_setting(schedule + "          inputPath: detail")).what(),
             EndsWith("serverless.yaml:10:22: functions.hello.events[0].schedule.inputPath: "
                      "'detail' is not a JSONPath EventBridge takes: it must start with $"));
  CHECK_THAT(t.error(with_function_setting(schedule + "          inputTransformer:\n"
                                                      "            inputPathsMap: {a: $.time}"))
                 .what(),
             Contains("inputTransformer: expected {inputPathsMap, inputTemplate}"));
  CHECK_THAT(
      t.error(with_function_setting(schedule + "          input: {a: 1}\n          inputPath: $.x"))
          .what(),
      Contains("input, inputPath and inputTransformer exclude each other"));
  TempService ok;
  const auto loaded =
      ok.load(with_function_setting(
          schedule + "          inputTransformer:\n            inputPathsMap: {a: $.time}\n"
                     "            inputTemplate: '{\"at\": <a>}'"));
  const auto& e = std::get<fx::manifest::ScheduleEvent>(loaded.functions[0].events[0]);
  CHECK(e.input_paths_map.at("a") == "$.time");
  CHECK(e.input_template == R"({"at": <a>})");
}
