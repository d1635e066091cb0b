#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/gateway/alb.h"
#include "core/util/error.h"

using Catch::Matchers::Contains;
using fx::gateway::alb_wildcard_match;
using fx::gateway::AlbRule;
using fx::gateway::AlbTable;
using fx::gateway::GatewayRequest;
using nlohmann::json;

namespace {

fx::manifest::ServiceEvents events(const std::vector<std::pair<std::string, std::string>>& alb) {
  fx::manifest::ServiceEvents doc;
  for (const auto& [fn, config] : alb) {
    auto& f = doc.functions.emplace_back();
    f.name = "svc-dev-" + fn;
    f.key = fn;
    fx::manifest::OtherEvent e;
    e.type = "alb";
    e.config_json = config;
    e.mark = {"serverless.yaml", 7, 9};
    f.events.push_back(e);
  }
  return doc;
}

std::string rule_json(int priority, const std::string& conditions, const std::string& extra = "") {
  return R"({"listenerArn": "arn:l", "priority": )" + std::to_string(priority) +
         R"(, "conditions": )" + conditions + extra + "}";
}

std::string refusal(const std::string& config) {
  try {
    fx::gateway::alb_rules_from_events(events({{"f", config}}), "svc-dev");
  } catch (const fx::Error& e) {
    return e.what();
  }
  FAIL("not refused: " << config);
  return {};
}

GatewayRequest request(std::string method, std::string path, std::string query = "",
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  GatewayRequest r;
  r.method = std::move(method);
  r.raw_path = std::move(path);
  r.raw_query = std::move(query);
  r.headers = std::move(headers);
  r.source_ip = "127.0.0.1";
  return r;
}

}  // namespace

TEST_CASE("ALB wildcards: * any run, ? one character, case as asked", "[gateway]") {
  CHECK(alb_wildcard_match("/a/*", "/a/b/c", false));
  CHECK(alb_wildcard_match("/a*c", "/abbbc", false));
  CHECK(alb_wildcard_match("/a?c", "/abc", false));
  CHECK_FALSE(alb_wildcard_match("/a?c", "/ac", false));
  CHECK_FALSE(alb_wildcard_match("/A", "/a", false));
  CHECK(alb_wildcard_match("API.*", "api.example.com", true));
  CHECK(alb_wildcard_match("*", "", false));
  CHECK_FALSE(alb_wildcard_match("", "x", false));
  // Many stars against a long text that fails late: no exponential backtracking.
  CHECK_FALSE(alb_wildcard_match("*a*a*a*a*a*a*a*b", std::string(100000, 'a'), false));
}

TEST_CASE("ALB rules: the lowest priority whose every condition holds", "[gateway]") {
  AlbTable table(fx::gateway::alb_rules_from_events(
      events({{"wide", rule_json(50, R"({"path": "/api/*"})")},
              {"narrow", rule_json(2, R"({"path": "/api/*", "method": ["post"],
                 "header": {"name": "X-V", "values": ["2*"]}})")},
              {"query", rule_json(3, R"({"query": {"v": "two", "w": "x?"}})")},
              {"host", rule_json(4, R"({"host": ["*.example.com"]})")},
              {"ip", rule_json(5, R"({"path": "/ip", "ip": ["10.0.0.0/8", "::1/128"]})")}}),
      "svc-dev"));
  auto which = [&](const GatewayRequest& r) {
    const AlbRule* rule = table.find(r);
    return rule ? rule->function_key : std::string("none");
  };
  CHECK(which(request("GET", "/api/x")) == "wide");
  CHECK(which(request("POST", "/api/x")) == "wide");
  CHECK(which(request("POST", "/api/x", "", {{"x-v", "2.1"}})) == "narrow");
  CHECK(which(request("GET", "/api/x", "v=TWO")) == "query");
  CHECK(which(request("GET", "/api/x", "a=1&w=xy")) == "query");  // any pair will do
  CHECK(which(request("GET", "/api/x", "v=three")) == "wide");
  CHECK(which(request("GET", "/", "", {{"Host", "a.example.com:443"}})) == "host");
  CHECK(which(request("GET", "/ip")) == "none");
  auto from_v6 = request("GET", "/ip");
  from_v6.source_ip = "::1";
  CHECK(which(from_v6) == "ip");
  CHECK(which(request("GET", "/other")) == "none");
}

TEST_CASE("ALB rules refuse what ALB refuses", "[gateway]") {
  CHECK_THAT(refusal(rule_json(0, R"({"path": "/a"})")), Contains("priority 0 is not an integer"));
  CHECK_THAT(refusal(R"({"priority": 1, "conditions": {"path": "/a"}})"),
             Contains("serverless.yaml:7:9: function 'f': alb has no listenerArn"));
  CHECK_THAT(refusal(rule_json(1, "{}")), Contains("conditions is not a map"));
  CHECK_THAT(refusal(rule_json(1, R"({"path": []})")), Contains("not a string or a list"));
  CHECK_THAT(refusal(rule_json(1, R"({"path": ")" + std::string(129, 'a') + "\"}")),
             Contains("129 characters"));
  CHECK_THAT(refusal(rule_json(1, R"({"header": {"values": ["a"]}})")),
             Contains("is not {name, values}"));
  CHECK_THAT(refusal(rule_json(1, R"({"ip": ["1.2.3.4"]})")), Contains("not a CIDR block"));
  CHECK_THAT(refusal(rule_json(1, R"({"path": "/a"})", R"(, "authorizer": "x")")),
             Contains("authorizer"));
  CHECK_THAT(refusal(rule_json(1, R"({"path": "/a"})", R"(, "bogus": 1)")),
             Contains("has the key 'bogus'"));
  CHECK_THROWS_WITH(
      fx::gateway::alb_rules_from_events(events({{"a", rule_json(1, R"({"path": "/a"})")},
                                                 {"b", rule_json(1, R"({"path": "/b"})")}}),
                                         "svc-dev"),
      Contains("priority 1 is already taken on listener arn:l by function 'a'"));
  // Another listener may use the same priority.
  CHECK(
      fx::gateway::alb_rules_from_events(
          events(
              {{"a", rule_json(1, R"({"path": "/a"})")},
               {"b",
                R"({"listenerArn": {"Ref": "L"}, "priority": 1, "conditions": {"path": "/b"}})"}}),
          "svc-dev")
          .size() == 2);
}

TEST_CASE("ALB events: single or multi-value, values as sent, bodies base64 when binary",
          "[gateway]") {
  auto rules = fx::gateway::alb_rules_from_events(
      events({{"one", rule_json(1, R"({"path": "/a"})")},
              {"multi", rule_json(2, R"({"path": "/b"})", R"(, "multiValueHeaders": true)")}}),
      "svc-dev");
  auto r = request("GET", "/a", "x=1&x=%2F&y", {{"X-A", "1"}, {"x-a", "2"}});
  auto e = json::parse(build_alb_event(rules[0], r));
  CHECK(e["queryStringParameters"] == json{{"x", "%2F"}, {"y", ""}});
  CHECK(e["headers"] == json{{"x-a", "2"}});
  CHECK(e["body"] == "");
  CHECK(e["isBase64Encoded"] == false);
  e = json::parse(build_alb_event(rules[1], r));
  CHECK(e["multiValueQueryStringParameters"] == json{{"x", {"1", "%2F"}}, {"y", {""}}});
  CHECK(e["multiValueHeaders"] == json{{"x-a", {"1", "2"}}});
  CHECK_FALSE(e.contains("headers"));
  r.body = std::string("\x00\xff", 2);
  r.headers = {{"Content-Type", "text/plain"}};
  e = json::parse(build_alb_event(rules[0], r));
  CHECK(e["isBase64Encoded"] == true);
  CHECK(e["body"] == "AP8=");
}

TEST_CASE("ALB responses: the result mapped, anything malformed a 502", "[gateway]") {
  auto rules = fx::gateway::alb_rules_from_events(
      events({{"one", rule_json(1, R"({"path": "/a"})")},
              {"multi", rule_json(2, R"({"path": "/b"})", R"(, "multiValueHeaders": true)")}}),
      "svc-dev");
  auto ok = map_alb_result(
      rules[0],
      R"({"statusCode": 201, "statusDescription": "201 Created", "headers": {"a": "1"},
          "multiValueHeaders": {"b": ["2"]}, "body": "aGk=", "isBase64Encoded": true})");
  CHECK(ok.status == 201);
  CHECK(ok.headers == std::vector<std::pair<std::string, std::string>>{{"a", "1"}});
  CHECK(ok.body == "hi");
  auto multi = map_alb_result(
      rules[1],
      R"({"statusCode": 200, "headers": {"a": "1"}, "multiValueHeaders": {"b": ["2", "3"]}})");
  CHECK(multi.headers == std::vector<std::pair<std::string, std::string>>{{"b", "2"}, {"b", "3"}});
  for (const char* bad : {"nope", "[1]", R"({"body": "x"})", R"({"statusCode": "200"})",
                          R"({"statusCode": 99})", R"({"statusCode": 200, "body": 1})",
                          R"({"statusCode": 200, "headers": {"a": "x\r\ny: z"}})",
                          R"({"statusCode": 200, "isBase64Encoded": "yes"})"}) {
    auto out = map_alb_result(rules[0], bad);
    CHECK(out.status == 502);
    CHECK_FALSE(out.reason.empty());
    CHECK_THAT(out.body, Contains("502 Bad Gateway"));
  }
}
