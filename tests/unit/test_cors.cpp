// provider.httpApi.cors as the gateway applies it (core/gateway/cors.h).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/gateway/cors.h"

using namespace fx::gateway;

namespace {

std::string header(const GatewayResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

GatewayRequest preflight(std::string origin, std::string method, std::string headers = "") {
  GatewayRequest r;
  r.method = "OPTIONS";
  r.headers = {{"Origin", origin}, {"Access-Control-Request-Method", method}};
  if (!headers.empty()) r.headers.emplace_back("Access-Control-Request-Headers", headers);
  return r;
}

RouteSpec route(std::string method) {
  RouteSpec r;
  r.api = fx::manifest::HttpApi::http;
  r.method = std::move(method);
  r.path = "/a";
  return r;
}

}  // namespace

TEST_CASE("cors: true takes the framework's defaults", "[cors]") {
  CHECK_FALSE(http_api_cors_of(R"({"cors": false})", {}));
  CHECK_FALSE(http_api_cors_of(R"({})", {}));
  auto c = http_api_cors_of(R"({"cors": true})", {route("GET"), route("PUT")});
  REQUIRE(c);
  CHECK(c->allow_origins == std::vector<std::string>{"*"});
  CHECK(c->allow_methods == std::vector<std::string>{"GET", "OPTIONS", "PUT"});
  CHECK(c->allow_headers.size() == 7);
  auto any = http_api_cors_of(R"({"cors": true})", {route("ANY")});
  CHECK(any->allow_methods == std::vector<std::string>{"*"});
  auto r = http_api_preflight(*c, preflight("https://x.example", "PUT", "authorization"));
  CHECK(r.status == 204);
  CHECK(header(r, "access-control-allow-origin") == "*");
  CHECK(header(r, "access-control-allow-credentials") == "<none>");
  CHECK(header(r, "access-control-max-age") == "<none>");
}

TEST_CASE("a preflight is allowed for listed origins, methods and headers only", "[cors]") {
  auto c = *http_api_cors_of(
      R"({"cors": {"allowedOrigins": ["https://a.example", "https://*.b.example"],
                   "allowedHeaders": ["X-One"], "allowedMethods": ["GET"],
                   "allowCredentials": true, "maxAge": 60}})",
      {});
  auto ok = http_api_preflight(c, preflight("https://A.example", "GET", "x-one"));
  CHECK(header(ok, "access-control-allow-origin") == "https://A.example");
  CHECK(header(ok, "access-control-allow-credentials") == "true");
  CHECK(header(ok, "access-control-max-age") == "60");
  CHECK(header(http_api_preflight(c, preflight("https://x.b.example", "GET")),
               "access-control-allow-origin") == "https://x.b.example");
  for (auto req : {preflight("https://b.example", "GET"), preflight("https://a.example", "PUT"),
                   preflight("https://a.example", "GET", "x-two"),
                   preflight("https://a.example.evil", "GET"), preflight("", "GET")}) {
    auto r = http_api_preflight(c, req);
    CHECK(r.status == 204);
    CHECK(header(r, "access-control-allow-origin") == "<none>");
  }
  CHECK_FALSE(is_preflight(preflight("", "GET")));
  CHECK(is_preflight(preflight("https://a.example", "GET")));
}

TEST_CASE("answers get the API's CORS headers instead of the function's", "[cors]") {
  auto c = *http_api_cors_of(
      R"({"cors": {"allowedOrigins": ["https://a.example"], "exposedResponseHeaders": ["X-N"]}})",
      {});
  GatewayResponse r;
  r.headers = {{"Access-Control-Allow-Origin", "*"}, {"X-N", "1"}};
  add_http_api_cors(c, "https://a.example", r);
  CHECK(header(r, "Access-Control-Allow-Origin") == "<none>");
  CHECK(header(r, "access-control-allow-origin") == "https://a.example");
  CHECK(header(r, "access-control-expose-headers") == "X-N");
  GatewayResponse other;
  other.headers = {{"Access-Control-Allow-Origin", "*"}};
  add_http_api_cors(c, "https://evil.example", other);
  CHECK(other.headers.empty());
}
