#include <catch2/catch.hpp>

#include <string>

#include "core/gateway/rest_cors.h"

using fx::gateway::rest_allowed_origin;
using fx::gateway::rest_cors_of;
using fx::gateway::rest_preflight_response;

namespace {

std::string header(const fx::gateway::GatewayResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

}  // namespace

TEST_CASE("rest cors: true and false", "[gateway][cors]") {
  CHECK_FALSE(rest_cors_of(R"({"cors":false})"));
  CHECK_FALSE(rest_cors_of(R"({"path":"/x"})"));
  CHECK_FALSE(rest_cors_of("not json"));
  auto c = rest_cors_of(R"({"cors":true})");
  REQUIRE(c);
  auto r = rest_preflight_response(*c, {"GET", "OPTIONS"}, "https://a.example");
  CHECK(r.status == 200);
  CHECK(header(r, "Access-Control-Allow-Origin") == "*");
  CHECK(header(r, "Access-Control-Allow-Methods") == "GET,OPTIONS");
  CHECK(header(r, "Access-Control-Allow-Headers").find("X-Api-Key") != std::string::npos);
  CHECK(header(r, "Access-Control-Allow-Credentials") == "<none>");
}

TEST_CASE("rest cors: origins, wildcards and the rest of the object", "[gateway][cors]") {
  auto c = rest_cors_of(
      R"({"cors":{"origin":"https://a.example, https://*.b.example","origins":["https://c.example"],
          "headers":["X-One"],"allowCredentials":true,"maxAge":0,"cacheControl":"no-store"}})");
  REQUIRE(c);
  CHECK(c->origins.size() == 3);
  CHECK(rest_allowed_origin(*c, "https://x.y.b.example") == "https://x.y.b.example");
  CHECK(rest_allowed_origin(*c, "https://c.example") == "https://c.example");
  CHECK(rest_allowed_origin(*c, "https://b.example") == "https://a.example");  // needs a dot
  CHECK(rest_allowed_origin(*c, "") == "https://a.example");
  // A long hostile Origin against a pattern of many stars stays quick.
  auto stars = rest_cors_of(R"({"cors":{"origins":["a","*a*a*a*a*a*a*a*a*b"]}})");
  CHECK(rest_allowed_origin(*stars, std::string(20000, 'a')) == "a");
  auto r = rest_preflight_response(*c, {"POST", "OPTIONS"}, "https://c.example");
  CHECK(header(r, "Access-Control-Allow-Headers") == "X-One");
  CHECK(header(r, "Access-Control-Allow-Credentials") == "true");
  CHECK(header(r, "Access-Control-Max-Age") == "0");
  CHECK(header(r, "Cache-Control") == "no-store");
}
