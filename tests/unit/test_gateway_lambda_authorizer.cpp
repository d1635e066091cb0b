#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "core/gateway/auth_cache.h"
#include "core/gateway/lambda_authorizer.h"
#include "core/manifest/authorizers.h"

using fx::gateway::ApiKind;
using fx::gateway::arn_matches;
using fx::gateway::AuthCache;
using fx::gateway::AuthorizerDecision;
using fx::gateway::decide;
using fx::gateway::GatewayRequest;
using fx::manifest::RouteAuthorizer;
using nlohmann::json;
using Outcome = AuthorizerDecision::Outcome;

namespace {

const std::string kArn = "arn:aws:execute-api:us-east-1:000000000000:fxlocal/dev/GET/pets/7";

RouteAuthorizer token_authorizer() {
  RouteAuthorizer a;
  a.type = RouteAuthorizer::Type::token;
  a.name = "auth";
  a.function = "svc-dev-auth";
  a.identity_sources = {"header:Authorization"};
  return a;
}

std::string policy(const std::string& effect, const json& resource, json context = nullptr,
                   const json& action = "execute-api:Invoke") {
  json j = {{"principalId", "me"},
            {"policyDocument",
             {{"Version", "2012-10-17"},
              {"Statement", {{{"Effect", effect}, {"Action", action}, {"Resource", resource}}}}}}};
  if (!context.is_null()) j["context"] = std::move(context);
  return j.dump();
}

}  // namespace

TEST_CASE("arn_matches: IAM wildcards", "[gateway][authorizer]") {
  CHECK(arn_matches(kArn, kArn));
  CHECK(arn_matches("arn:aws:execute-api:us-east-1:000000000000:fxlocal/*", kArn));
  CHECK(arn_matches("arn:aws:execute-api:*:*:*/dev/GET/*", kArn));
  CHECK(arn_matches("arn:aws:execute-api:us-east-1:000000000000:fxlocal/dev/GET/pets/?", kArn));
  CHECK(arn_matches("*", kArn));
  CHECK_FALSE(arn_matches("arn:aws:execute-api:us-east-1:000000000000:fxlocal/dev/POST/*", kArn));
  CHECK_FALSE(arn_matches("arn:aws:execute-api:us-east-1:000000000000:fxlocal/dev/GET/pets", kArn));
  CHECK_FALSE(arn_matches("", kArn));
  // Many stars against a long text stay fast (no exponential backtracking).
  CHECK_FALSE(arn_matches(std::string(200, '*') + "x", std::string(5000, 'a')));
}

TEST_CASE("decide: IAM policy answers", "[gateway][authorizer]") {
  const auto a = token_authorizer();
  SECTION("Allow on the method ARN, context as strings with the latency (REST)") {
    auto d = decide(a, ApiKind::rest, policy("Allow", kArn, {{"n", 7}, {"ok", true}, {"s", "x"}}),
                    kArn, 12);
    REQUIRE(d.outcome == Outcome::allow);
    auto ctx = json::parse(d.context);
    CHECK(ctx["principalId"] == "me");
    CHECK(ctx["n"] == "7");
    CHECK(ctx["ok"] == "true");
    CHECK(ctx["s"] == "x");
    CHECK(ctx["integrationLatency"] == 12);
  }
  SECTION("HTTP API keeps the context's types under lambda") {
    auto d = decide(a, ApiKind::http, policy("Allow", "*", {{"n", 7}, {"o", {{"a", 1}}}}), kArn, 0);
    REQUIRE(d.outcome == Outcome::allow);
    CHECK(json::parse(d.context) == json{{"lambda", {{"n", 7}, {"o", {{"a", 1}}}}}});
  }
  SECTION("Deny beats Allow") {
    json j = json::parse(policy("Allow", "*"));
    j["policyDocument"]["Statement"].push_back(
        {{"Effect", "Deny"}, {"Action", "execute-api:Invoke"}, {"Resource", kArn}});
    auto d = decide(a, ApiKind::rest, j.dump(), kArn, 0);
    CHECK(d.outcome == Outcome::deny);
    CHECK(d.explicit_deny);
  }
  SECTION("an Allow elsewhere is an implicit deny") {
    auto d =
        decide(a, ApiKind::rest, policy("Allow", "arn:aws:execute-api:*:*:*/dev/POST/*"), kArn, 0);
    CHECK(d.outcome == Outcome::deny);
    CHECK_FALSE(d.explicit_deny);
  }
  SECTION("another action does not allow") {
    CHECK(
        decide(a, ApiKind::rest, policy("Allow", "*", nullptr, "s3:GetObject"), kArn, 0).outcome ==
        Outcome::deny);
    CHECK(decide(a, ApiKind::rest, policy("Allow", "*", nullptr, json::array({"execute-api:*"})),
                 kArn, 0)
              .outcome == Outcome::allow);
  }
  SECTION("garbage is an error, never an allow") {
    for (
        const std::string answer :
        {"", "null", "\"Allow\"", "[]", "{}", R"({"principalId":"x"})",
         R"({"principalId":1,"policyDocument":{}})",
         R"({"principalId":"x","policyDocument":"allow"})",
         R"({"principalId":"x","policyDocument":{"Statement":[{"Effect":"Allow"}]}})",
         R"({"principalId":"x","policyDocument":{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}})",
         R"({"principalId":"x","policyDocument":{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}})"}) {
      INFO(answer);
      CHECK(decide(a, ApiKind::rest, answer, kArn, 0).outcome == Outcome::error);
    }
    CHECK(decide(a, ApiKind::rest, policy("Allow", "*", {{"o", {{"a", 1}}}}), kArn, 0).outcome ==
          Outcome::error);
  }
}

TEST_CASE("decide: simple responses", "[gateway][authorizer]") {
  auto a = token_authorizer();
  a.type = RouteAuthorizer::Type::request;
  a.simple = true;
  CHECK(decide(a, ApiKind::http, R"({"isAuthorized":true,"context":{"k":"v"}})", kArn, 0).context ==
        R"({"lambda":{"k":"v"}})");
  CHECK(decide(a, ApiKind::http, R"({"isAuthorized":false})", kArn, 0).outcome == Outcome::deny);
  CHECK(decide(a, ApiKind::http, R"({"isAuthorized":"yes"})", kArn, 0).outcome == Outcome::error);
  CHECK(decide(a, ApiKind::http, R"({"isAuthorized":true,"context":[1]})", kArn, 0).outcome ==
        Outcome::error);
}

TEST_CASE("failed_authorizer: Unauthorized is 401, anything else 500", "[gateway][authorizer]") {
  using fx::gateway::failed_authorizer;
  CHECK(failed_authorizer(R"({"errorMessage":"Unauthorized","errorType":"Exception"})").outcome ==
        Outcome::unauthorized);
  CHECK(failed_authorizer(R"({"errorMessage":"unauthorized"})").outcome == Outcome::error);
  CHECK(failed_authorizer("not json").outcome == Outcome::error);
  auto r = fx::gateway::refusal_response(ApiKind::rest, failed_authorizer("{}"));
  CHECK(r.status == 500);
  CHECK(r.body == R"({"message":null})");
}

TEST_CASE("identity_of: headers and query strings", "[gateway][authorizer]") {
  auto a = token_authorizer();
  a.identity_sources = {"header:X-User", "query:key"};
  GatewayRequest r;
  r.headers = {{"x-user", "ann"}};
  r.raw_query = "a=1&key=o%20pen";
  CHECK(fx::gateway::identity_of(a, r) == "ann,o pen");
  r.raw_query = "key=";
  CHECK_FALSE(fx::gateway::identity_of(a, r));
  r.raw_query = "";
  CHECK_FALSE(fx::gateway::identity_of(a, r));
}

TEST_CASE("token_matches: identityValidationExpression", "[gateway][authorizer]") {
  auto a = token_authorizer();
  a.validation = "^Bearer [a-z]+$";
  CHECK(fx::gateway::token_matches(a, "Bearer abc"));
  CHECK_FALSE(fx::gateway::token_matches(a, "Bearer ABC"));
  CHECK_FALSE(fx::gateway::token_matches(a, "Bearer " + std::string(100000, 'a')));
}

TEST_CASE("AuthCache: TTL and bound", "[gateway][authorizer]") {
  AuthCache cache(2);
  cache.put("a", "A", 10, 1000);
  CHECK(cache.get("a", 5000) == "A");
  CHECK_FALSE(cache.get("a", 11000));
  cache.put("b", "B", 0, 1000);  // TTL 0: not kept
  CHECK_FALSE(cache.get("b", 1000));
  cache.put("c", "C", 10, 1000);
  cache.put("d", "D", 10, 1000);
  cache.put("e", "E", 10, 1000);  // full: make room
  CHECK(cache.size() <= 2);
  CHECK(cache.get("e", 1000) == "E");
}

TEST_CASE("RouteAuthorizer JSON round trip", "[gateway][authorizer]") {
  auto a = token_authorizer();
  a.ttl_s = 0;
  a.validation = "^x$";
  auto b = fx::manifest::parse_route_authorizer(fx::manifest::to_json(a));
  CHECK(b.type == a.type);
  CHECK(b.function == a.function);
  CHECK(b.identity_sources == a.identity_sources);
  CHECK(b.ttl_s == 0);
  CHECK(b.validation == "^x$");
  CHECK_THROWS(fx::manifest::parse_route_authorizer("[]"));
  CHECK_THROWS(fx::manifest::parse_route_authorizer(R"({"type":"token"})"));
  CHECK(fx::manifest::parse_route_authorizer(R"({"type":"martian"})").type ==
        RouteAuthorizer::Type::closed);
}
