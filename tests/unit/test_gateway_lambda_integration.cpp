#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/gateway/lambda_integration.h"
#include "core/util/error.h"

using Catch::Matchers::Contains;
using fx::gateway::lambda_integration_of;
using fx::gateway::LambdaIntegration;
using fx::gateway::map_lambda_result;
using nlohmann::json;

namespace {

LambdaIntegration integration(const std::string& event_json) {
  auto i = lambda_integration_of(event_json, "serverless.yaml:3:7: function 'f'");
  REQUIRE(i.has_value());
  return *i;
}

std::string refusal(const std::string& event_json) {
  try {
    lambda_integration_of(event_json, "serverless.yaml:3:7: function 'f'");
  } catch (const fx::Error& e) {
    return e.what();
  }
  FAIL("not refused: " << event_json);
  return {};
}

fx::gateway::GatewayRequest request(std::string content_type, std::string body) {
  fx::gateway::GatewayRequest r;
  r.method = "POST";
  r.raw_path = "/dev/a/1";
  r.raw_query = "x=1&x=2&y=a%20b";
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
  r.headers.emplace_back("X-A", "first");
  r.headers.emplace_back("x-a", "second");
  r.body = std::move(body);
  r.source_ip = "127.0.0.1";
  return r;
}

}  // namespace

TEST_CASE("integration names: lambda and aws are non-proxy, the proxy spellings are not",
          "[gateway]") {
  for (const char* name : {"lambda", "LAMBDA", "aws", "AWS"})
    CHECK(lambda_integration_of(json{{"integration", name}}.dump(), "w").has_value());
  for (const char* name :
       {"lambda-proxy", "lambda_proxy", "LAMBDA-PROXY", "aws_proxy", "aws-proxy"})
    CHECK_FALSE(lambda_integration_of(json{{"integration", name}}.dump(), "w").has_value());
  CHECK_FALSE(lambda_integration_of(R"({"path": "a", "method": "get"})", "w").has_value());
  CHECK_FALSE(lambda_integration_of("\"GET a\"", "w").has_value());
  CHECK_THAT(refusal(R"({"integration": "mock"})"), Contains("lambda and lambda-proxy"));
  CHECK_THAT(refusal(R"({"integration": 3})"), Contains("integration is not a string"));
}

TEST_CASE("integration: lambda's default status codes are the framework's", "[gateway]") {
  const auto i = integration(R"({"integration": "lambda"})");
  REQUIRE(i.status_codes.size() == 9);
  auto status_of = [&](const std::string& message) {
    return map_lambda_result(i, json{{"errorMessage", message}, {"errorType", "E"}}.dump(), true)
        .status;
  };
  CHECK(status_of("[400] bad") == 400);
  CHECK(status_of("line\n[404]\nmore") == 404);
  CHECK(status_of("Process exited before completing request") == 500);
  CHECK(status_of("Task timed out after 3.00 seconds") == 504);
  CHECK(status_of("nothing") == 200);
  CHECK(status_of(std::string(5000, 'x') + "[400]") == 200);  // past what patterns see
  // A successful result never looks at the patterns, even when it reads like an error.
  const auto ok = map_lambda_result(i, R"( {"errorMessage": "[404]"} )", false);
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"errorMessage": "[404]"})");
}

TEST_CASE("integration: lambda's statusCodes gain a default 200 when none is the default",
          "[gateway]") {
  const auto i = integration(
      R"({"integration": "lambda", "response": {"headers": {"X-A": "'a'", "X-B": "integration.response.body.u.id"},
          "statusCodes": {"404": {"pattern": "nf.*", "headers": {"X-A": "'over'"}}}}})");
  REQUIRE(i.status_codes.size() == 2);
  CHECK(i.status_codes[0].status == 200);
  CHECK(i.status_codes[0].pattern.empty());
  const auto ok = map_lambda_result(i, R"({"u": {"id": 7}})", false);
  CHECK(ok.status == 200);
  CHECK(ok.headers == std::vector<std::pair<std::string, std::string>>{
                          {"X-A", "a"}, {"X-B", "7"}, {"Content-Type", "application/json"}});
  const auto err = map_lambda_result(i, R"({"errorMessage": "nf here"})", true);
  CHECK(err.status == 404);
  CHECK(err.headers == std::vector<std::pair<std::string, std::string>>{
                           {"X-A", "over"}, {"Content-Type", "application/json"}});
}

TEST_CASE("integration: lambda refuses what fx does not run", "[gateway]") {
  CHECK_THAT(
      refusal(R"({"integration": "lambda", "request": {"template": {"application/json": "{}"}}})"),
      Contains("serverless.yaml:3:7: function 'f': http request.template 'application/json' "
               "is a custom mapping template"));
  CHECK_THAT(refusal(R"({"integration": "lambda", "response": {"template": "x"}})"),
             Contains("response.template"));
  CHECK_THAT(refusal(R"({"integration": "lambda", "response": {"statusCodes": {"99": {}}}})"),
             Contains("'99' is not an HTTP status"));
  CHECK_THAT(
      refusal(
          R"({"integration": "lambda", "response": {"statusCodes": {"400": {"pattern": "(["}}}})"),
      Contains("is not a regular expression"));
  CHECK_THAT(refusal(R"({"integration": "lambda", "response": {"headers": {"X-A": "'a\nb'"}}})"),
             Contains("line break"));
  CHECK_THAT(refusal(R"({"integration": "lambda", "response": {"headers": {"X A": "'a'"}}})"),
             Contains("not a header name"));
  CHECK_THAT(refusal(R"({"integration": "lambda", "request": {"passThrough": "WHEN_NO_MATCH"}})"),
             Contains("NEVER"));
  // The framework's own templates may be dropped: that content type is then refused (415).
  const auto i = integration(
      R"({"integration": "lambda", "request": {"template": {"application/x-www-form-urlencoded": null}}})");
  CHECK_FALSE(i.form_template);
  fx::gateway::RouteTable::Match match;
  const auto made =
      build_lambda_event(i, request("application/x-www-form-urlencoded", "a=1"), match, "dev");
  REQUIRE(made.refusal.has_value());
  CHECK(made.refusal->status == 415);
}

TEST_CASE("integration: lambda's event is the default template's", "[gateway]") {
  const auto i = integration(R"({"integration": "lambda"})");
  fx::gateway::RouteTable::Match match;
  match.path_parameters = {{"id", "1"}};
  match.resource = "/a/{id}";
  auto made = build_lambda_event(i, request("", R"({"k": 1})"), match, "dev");
  REQUIRE_FALSE(made.refusal.has_value());
  const auto e = json::parse(made.event);
  CHECK(e["body"] == json{{"k", 1}});
  CHECK(e["headers"]["X-A"] == "first");
  CHECK(e["query"] == json{{"x", "2"}, {"y", "a b"}});
  CHECK(e["path"] == json{{"id", "1"}});
  CHECK(e["requestPath"] == "/a/{id}");
  CHECK(e["stage"] == "dev");

  made = build_lambda_event(i, request("application/x-www-form-urlencoded", "a=1=2&b&c=%2B+"),
                            match, "dev");
  CHECK(json::parse(made.event)["body"] == json{{"a", "1"}, {"b", ""}, {"c", "+ "}});

  for (const std::string& bad : {std::string("{"), std::string("[1,]"), std::string(100000, '[')}) {
    made = build_lambda_event(i, request("application/json", bad), match, "dev");
    REQUIRE(made.refusal.has_value());
    CHECK(made.refusal->status == 400);
  }
  made = build_lambda_event(i, request("text/plain", "x"), match, "dev");
  REQUIRE(made.refusal.has_value());
  CHECK(made.refusal->status == 415);
}
