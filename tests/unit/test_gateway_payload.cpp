#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/payload.h"
#include "core/gateway/routes.h"

using Catch::Matchers::Contains;
using fx::gateway::ApiKind;
using fx::gateway::GatewayRequest;
using fx::gateway::GatewayResponse;
using fx::gateway::RouteSpec;
using fx::gateway::RouteTable;
using nlohmann::json;

namespace {

constexpr std::int64_t kTime = 1795773600000;  // 2026-11-27 10:00:00 UTC

RouteSpec route(std::string type, std::string method, std::string path, std::string payload = "") {
  RouteSpec r;
  r.function = "svc-dev-fn";
  r.function_key = "fn";
  r.api = type == "http" ? ApiKind::rest : ApiKind::http;
  r.method = std::move(method);
  r.path = std::move(path);
  r.payload_version = !payload.empty() ? payload : type == "http" ? "1.0" : "2.0";
  r.mark = {"serverless.yaml", 1, 1};
  return r;
}

GatewayRequest request(std::string method, std::string path, std::string query = "") {
  GatewayRequest r;
  r.method = std::move(method);
  r.raw_path = std::move(path);
  r.raw_query = std::move(query);
  r.source_ip = "127.0.0.1";
  r.time_ms = kTime;
  r.request_id = "req-1";
  return r;
}

RouteTable::Match find(const RouteTable& table, const GatewayRequest& r) {
  RouteTable::Match match;
  REQUIRE(table.find(r.method, r.raw_path, match) == RouteTable::Outcome::matched);
  return match;
}

json event_v1(const RouteTable& table, const GatewayRequest& r) {
  return json::parse(fx::gateway::build_event_v1(r, find(table, r), table.stage()));
}

json event_v2(const RouteTable& table, const GatewayRequest& r) {
  return json::parse(fx::gateway::build_event_v2(r, find(table, r)));
}

std::vector<std::string> header_values(const GatewayResponse& response, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : response.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      values.push_back(value);
    }
  }
  return values;
}

std::string header(const GatewayResponse& response, std::string_view name) {
  const auto values = header_values(response, name);
  return values.empty() ? "" : values.front();
}

}  // namespace

TEST_CASE("a REST payload 1.0 event", "[gateway]") {
  RouteTable table({route("http", "POST", "/users/{id}")}, "dev");
  auto r = request("POST", "/dev/users/42%20x", "a=1&a=2&b=x+y&flag&e=%26");
  r.headers = {{"Host", "localhost:3000"},
               {"User-Agent", "curl/8"},
               {"X-Multi", "1"},
               {"x-multi", "2"},
               {"Content-Type", "application/json"}};
  r.body = R"({"name":"x"})";
  const json e = event_v1(table, r);

  CHECK(e["resource"] == "/users/{id}");
  CHECK(e["path"] == "/users/42%20x");
  CHECK(e["httpMethod"] == "POST");
  CHECK(e["headers"] == json{{"Host", "localhost:3000"},
                             {"User-Agent", "curl/8"},
                             {"X-Multi", "2"},
                             {"Content-Type", "application/json"}});
  CHECK(e["multiValueHeaders"]["X-Multi"] == json{"1", "2"});
  CHECK(e["multiValueHeaders"]["Host"] == json{"localhost:3000"});
  CHECK(e["queryStringParameters"] == json{{"a", "2"}, {"b", "x y"}, {"flag", ""}, {"e", "&"}});
  CHECK(e["multiValueQueryStringParameters"]["a"] == json{"1", "2"});
  CHECK(e["multiValueQueryStringParameters"]["flag"] == json{""});
  CHECK(e["pathParameters"] == json{{"id", "42 x"}});
  CHECK(e["stageVariables"].is_null());

  const json& c = e["requestContext"];
  CHECK(c["accountId"] == "000000000000");
  CHECK(c["apiId"] == "fxlocal");
  CHECK(c["stage"] == "dev");
  CHECK(c["path"] == "/dev/users/42%20x");
  CHECK(c["resourcePath"] == "/users/{id}");
  CHECK(c["httpMethod"] == "POST");
  CHECK(c["requestId"] == "req-1");
  CHECK(c["requestTimeEpoch"] == kTime);
  CHECK(c["protocol"] == "HTTP/1.1");
  CHECK(c["identity"] == json{{"sourceIp", "127.0.0.1"}, {"userAgent", "curl/8"}});

  CHECK(e["body"] == R"({"name":"x"})");
  CHECK(e["isBase64Encoded"] == false);
}

TEST_CASE("a payload 1.0 event's null fields and the unprefixed path", "[gateway]") {
  RouteTable table({route("http", "GET", "/hello")}, "dev");
  const json e = event_v1(table, request("GET", "/hello"));
  CHECK(e["path"] == "/hello");
  CHECK(e["requestContext"]["path"] == "/dev/hello");  // as if called with the prefix
  CHECK(e["headers"] == json::object());
  CHECK(e["multiValueHeaders"] == json::object());
  CHECK(e["queryStringParameters"].is_null());
  CHECK(e["multiValueQueryStringParameters"].is_null());
  CHECK(e["pathParameters"].is_null());
  CHECK(e["stageVariables"].is_null());
  CHECK(e["requestContext"]["identity"]["userAgent"].is_null());
  CHECK(e["body"].is_null());
  CHECK(e["isBase64Encoded"] == false);
  // Every documented field is there, null or not.
  for (const char* key :
       {"resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
        "body", "isBase64Encoded"}) {
    CHECK(e.contains(key));
  }
}

TEST_CASE("an HTTP API route on payload 1.0 has the $default stage and no prefix", "[gateway]") {
  RouteTable table({route("httpApi", "GET", "/items/{id}", "1.0")}, "dev");
  const auto r = request("GET", "/items/3");
  const auto match = find(table, r);
  const json e = json::parse(fx::gateway::build_event(r, match, "dev"));
  CHECK(e["path"] == "/items/3");
  CHECK(e["resource"] == "/items/{id}");
  CHECK(e["requestContext"]["stage"] == "$default");
  CHECK(e["requestContext"]["path"] == "/items/3");
  CHECK_FALSE(e.contains("version"));
}

TEST_CASE("an HTTP API payload 2.0 event", "[gateway]") {
  RouteTable table({route("httpApi", "GET", "/users/{id}")}, "dev");
  auto r = request("GET", "/users/a%2Fb", "a=1&a=2&b=x+y");
  r.headers = {{"Host", "api.example.com:3000"},
               {"User-Agent", "Mozilla/5.0"},
               {"X-Multi", "1"},
               {"x-multi", "2"},
               {"Cookie", "session=abc; theme=dark"},
               {"cookie", "lang=en"}};
  const json e = event_v2(table, r);

  CHECK(e["version"] == "2.0");
  CHECK(e["routeKey"] == "GET /users/{id}");
  CHECK(e["rawPath"] == "/users/a%2Fb");
  CHECK(e["rawQueryString"] == "a=1&a=2&b=x+y");
  CHECK(e["cookies"] == json{"session=abc", "theme=dark", "lang=en"});
  CHECK(e["headers"] ==
        json{{"host", "api.example.com:3000"}, {"user-agent", "Mozilla/5.0"}, {"x-multi", "1,2"}});
  CHECK(e["queryStringParameters"] == json{{"a", "1,2"}, {"b", "x y"}});
  CHECK(e["pathParameters"] == json{{"id", "a/b"}});

  const json& c = e["requestContext"];
  CHECK(c["accountId"] == "000000000000");
  CHECK(c["apiId"] == "fxlocal");
  CHECK(c["domainName"] == "api.example.com:3000");
  CHECK(c["domainPrefix"] == "api");
  CHECK(c["http"] == json{{"method", "GET"},
                          {"path", "/users/a%2Fb"},
                          {"protocol", "HTTP/1.1"},
                          {"sourceIp", "127.0.0.1"},
                          {"userAgent", "Mozilla/5.0"}});
  CHECK(c["requestId"] == "req-1");
  CHECK(c["routeKey"] == "GET /users/{id}");
  CHECK(c["stage"] == "$default");
  CHECK(c["time"] == "27/Nov/2026:10:00:00 +0000");
  CHECK(c["timeEpoch"] == kTime);
  CHECK(e["isBase64Encoded"] == false);
}

TEST_CASE("a payload 2.0 event leaves out what the request does not have", "[gateway]") {
  RouteTable table({route("httpApi", "ANY", "*")}, "dev");
  auto r = request("DELETE", "/x");
  r.headers = {{"Host", "localhost:3000"}};
  const json e = event_v2(table, r);
  CHECK(e["routeKey"] == "$default");
  CHECK(e["requestContext"]["routeKey"] == "$default");
  CHECK(e["requestContext"]["domainPrefix"] == "localhost");
  CHECK(e["requestContext"]["http"]["userAgent"] == "");
  CHECK(e["rawQueryString"] == "");
  CHECK(e["headers"] == json{{"host", "localhost:3000"}});
  CHECK_FALSE(e.contains("cookies"));
  CHECK_FALSE(e.contains("queryStringParameters"));
  CHECK_FALSE(e.contains("pathParameters"));
  CHECK_FALSE(e.contains("body"));
  CHECK(e["isBase64Encoded"] == false);

  // build_event picks 2.0 from the route.
  const json dispatched = json::parse(fx::gateway::build_event(r, find(table, r), "dev"));
  CHECK(dispatched["version"] == "2.0");
}

TEST_CASE("bodies: text as is, binary as base64", "[gateway]") {
  RouteTable table({route("httpApi", "POST", "/up"), route("http", "POST", "/rest")}, "dev");
  struct Case {
    const char* content_type;  // nullptr: no header
    std::string body;
    bool base64;
  };
  const std::string png("\x89PNG\r\n\x1a\n\0\0", 10);
  const Case cases[] = {
      {"image/png", png, true},
      {"application/octet-stream", "plain ascii", true},
      {"application/json; charset=utf-8", R"({"a":1})", false},
      {"text/html", "<p>\xC3\xA9</p>", false},
      {"TEXT/PLAIN", "hi", false},
      {"application/vnd.api+json", "{}", false},
      {"application/atom+xml", "<feed/>", false},
      {"application/x-www-form-urlencoded", "a=1&b=2", false},
      {"application/javascript", "x()", false},
      {nullptr, "no type, UTF-8 \xE2\x9C\x93", false},
      {nullptr, png, true},
      {"text/plain", "not UTF-8 \xFF", true},  // or the event would not be valid JSON
  };
  for (const auto& c : cases) {
    INFO((c.content_type ? c.content_type : "(none)"));
    for (const char* path : {"/up", "/rest"}) {
      auto r = request("POST", path);
      if (c.content_type) r.headers = {{"Content-Type", c.content_type}};
      r.body = c.body;
      const json e = std::string(path) == "/up" ? event_v2(table, r) : event_v1(table, r);
      CHECK(e["isBase64Encoded"] == c.base64);
      if (c.base64) {
        CHECK(e["body"] != c.body);
        CHECK(fx::gateway::map_result_v1(
                  json{{"statusCode", 200}, {"body", e["body"]}, {"isBase64Encoded", true}}.dump())
                  .body == c.body);
      } else {
        CHECK(e["body"] == c.body);
      }
    }
  }
  auto r = request("POST", "/up");
  r.headers = {{"Content-Type", "image/png"}};
  r.body = "\x89PNG";
  CHECK(event_v2(table, r)["body"] == "iVBORw==");
}

TEST_CASE("payload 1.0 results", "[gateway]") {
  const GatewayResponse ok = fx::gateway::map_result_v1(R"({
    "statusCode": 201,
    "headers": {"X-One": "1", "X-Num": 5, "Set-Cookie": "ignored=1", "X-Null": null},
    "multiValueHeaders": {"set-cookie": ["a=1", "b=2"], "X-Many": ["x", "y"]},
    "body": "created"})");
  CHECK(ok.status == 201);
  CHECK(ok.body == "created");
  CHECK(ok.reason.empty());
  CHECK(header(ok, "X-One") == "1");
  CHECK(header(ok, "X-Num") == "5");
  CHECK(header_values(ok, "Set-Cookie") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(header_values(ok, "X-Many") == std::vector<std::string>{"x", "y"});
  CHECK(header_values(ok, "X-Null").empty());
  // A REST API says application/json when the function says nothing; an HTTP API text/plain.
  CHECK(header(ok, "Content-Type") == "application/json");
  CHECK(header(fx::gateway::map_result_v1(R"({"statusCode":200})", ApiKind::http),
               "Content-Type") == "text/plain; charset=utf-8");

  const GatewayResponse bare = fx::gateway::map_result_v1(R"({"statusCode": 204})");
  CHECK(bare.status == 204);
  CHECK(bare.body.empty());
  const GatewayResponse typed =
      fx::gateway::map_result_v1(R"({"statusCode":200,"headers":{"content-type":"text/html"},
                                     "body":null,"isBase64Encoded":false})");
  CHECK(header_values(typed, "Content-Type") == std::vector<std::string>{"text/html"});

  const GatewayResponse binary = fx::gateway::map_result_v1(
      R"({"statusCode":200,"isBase64Encoded":true,"body":"aGVsbG8gd29ybGQ="})");
  CHECK(binary.status == 200);
  CHECK(binary.body == "hello world");
}

TEST_CASE("bad payload 1.0 results are a 502 that says why", "[gateway]") {
  struct Case {
    const char* result;
    const char* reason;
  };
  const Case cases[] = {
      {R"({"statusCode":200,"body":{"a":1}})", "the handler returned a body that is not a string"},
      {R"({"statusCode":200,"body":5})", "body that is not a string"},
      {R"({"body":"x"})", "no statusCode"},
      {R"({"statusCode":"200"})", "statusCode is a string, not an integer"},
      {R"({"statusCode":200.5})", "not an integer"},
      {R"({"statusCode":42})", "not an HTTP status"},
      {R"("hello")", "returned a string, not an object with statusCode"},
      {"null", "returned null"},
      {"[1,2]", "returned a list"},
      {R"({"statusCode":200,"headers":["a"]})", "headers is a list"},
      {R"({"statusCode":200,"headers":{"X":{"a":1}}})", "header 'X' is an object"},
      {R"({"statusCode":200,"multiValueHeaders":{"X":"a"}})", "multiValueHeaders 'X'"},
      {R"({"statusCode":200,"isBase64Encoded":"yes"})", "isBase64Encoded is a string"},
      {R"({"statusCode":200,"isBase64Encoded":true,"body":"%%%"})", "not valid base64"},
      {"{not json", "not JSON"},
      {"", "not JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.result);
    const GatewayResponse rest = fx::gateway::map_result_v1(c.result);
    CHECK(rest.status == 502);
    CHECK(rest.body == R"({"message": "Internal server error"})");
    CHECK(header(rest, "Content-Type") == "application/json");
    CHECK_THAT(rest.reason, Contains(c.reason));

    const GatewayResponse api = fx::gateway::map_result_v1(c.result, ApiKind::http);
    CHECK(api.status == 500);
    CHECK(json::parse(api.body) == json{{"message", "Internal Server Error"}});
    CHECK_THAT(api.reason, Contains(c.reason));
  }
}

TEST_CASE("a header that cannot be sent as one is a 502 that says why, not an injection",
          "[gateway]") {
  struct Case {
    const char* result;
    const char* reason;
  };
  // JSON escapes: \r\n in a value would end the header and start another (or the body).
  const Case cases[] = {
      {R"({"statusCode":200,"headers":{"X-A":"1\r\nSet-Cookie: admin=1"}})",
       "the handler's header 'X-A' holds a CR, LF or NUL character"},
      {R"({"statusCode":200,"headers":{"X-A":"1\n\nsmuggled body"}})", "header 'X-A' holds a CR"},
      {R"({"statusCode":200,"headers":{"X-A":"a\rb"}})", "header 'X-A' holds a CR"},
      {R"({"statusCode":200,"headers":{"X-A":"a\u0000b"}})", "header 'X-A' holds a CR, LF or NUL"},
      {R"({"statusCode":200,"multiValueHeaders":{"X-A":["ok","2\r\nX-B: 3"]}})",
       "the handler's multiValueHeaders 'X-A' holds a CR"},
      {R"({"statusCode":200,"headers":{"X-A: 1\r\nX-B":"2"}})",
       "the handler's header 'X-A: 1\\r\\nX-B' is not a valid header name"},
      {R"({"statusCode":200,"headers":{"X Flag":"1"}})", "header 'X Flag' is not a valid header"},
      {R"({"statusCode":200,"headers":{"X-Flag;":"1"}})", "header 'X-Flag;' is not a valid"},
      {R"({"statusCode":200,"headers":{"":"1"}})", "header '' is not a valid header name"},
      {R"({"statusCode":200,"headers":{"Ünï":"1"}})", "header 'Ünï' is not a valid header name"},
      {R"json({"statusCode":200,"multiValueHeaders":{"(x)":["1"]}})json",
       "multiValueHeaders '(x)' is not a valid header name"},
  };
  for (const auto& c : cases) {
    INFO(c.result);
    const GatewayResponse rest = fx::gateway::map_result_v1(c.result);
    CHECK(rest.status == 502);
    CHECK(rest.body == R"({"message": "Internal server error"})");
    CHECK_THAT(rest.reason, Contains(c.reason));
    const GatewayResponse api = fx::gateway::map_result_v1(c.result, ApiKind::http);
    CHECK(api.status == 500);
    CHECK_THAT(api.reason, Contains(c.reason));
    // The same result from a payload 2.0 function (multiValueHeaders does not exist there).
    if (std::string_view(c.result).find("multiValueHeaders") == std::string_view::npos) {
      const GatewayResponse v2 = fx::gateway::map_result_v2(c.result);
      CHECK(v2.status == 500);
      CHECK_THAT(v2.reason, Contains(c.reason));
    }
  }

  const GatewayResponse cookie =
      fx::gateway::map_result_v2(R"({"statusCode":200,"cookies":["a=1","b=2\r\nX-Evil: 1"]})");
  CHECK(cookie.status == 500);
  CHECK_THAT(cookie.reason, Contains("the handler's cookies holds a CR, LF or NUL character"));

  // What HTTP allows still goes through: any token characters in a name, tabs and bytes past
  // ASCII (obs-text) in a value.
  const GatewayResponse ok = fx::gateway::map_result_v1(
      R"({"statusCode":200,"headers":{"X-Odd!#$%&'*+.^_`|~1":"a\tb","X-Utf8":"ünïcödé"}})");
  CHECK(ok.status == 200);
  CHECK(ok.reason.empty());
  CHECK(header(ok, "X-Odd!#$%&'*+.^_`|~1") == "a\tb");
  CHECK(header(ok, "X-Utf8") == "ünïcödé");
}

TEST_CASE("payload 2.0 results without statusCode are the body of a 200", "[gateway]") {
  struct Case {
    const char* result;
    const char* body;
  };
  const Case cases[] = {
      {R"("Hello from Lambda!")", "Hello from Lambda!"},
      {"42", "42"},
      {R"({"message": "hi", "n": 1.10})", R"({"message": "hi", "n": 1.10})"},
      {"[1, 2]", "[1, 2]"},
      {"null", "null"},
      {"true", "true"},
      {R"({"body":"x","headers":{"a":"b"}})", R"({"body":"x","headers":{"a":"b"}})"},
  };
  for (const auto& c : cases) {
    INFO(c.result);
    const GatewayResponse response = fx::gateway::map_result_v2(c.result);
    CHECK(response.status == 200);
    CHECK(response.body == c.body);
    CHECK(header(response, "Content-Type") == "application/json");
    CHECK(response.reason.empty());
  }
}

TEST_CASE("payload 2.0 results with statusCode", "[gateway]") {
  const GatewayResponse full = fx::gateway::map_result_v2(R"({
    "statusCode": 302,
    "headers": {"Location": "/next", "X-Joined": "a,b"},
    "multiValueHeaders": {"X-Ignored": ["in 2.0"]},
    "cookies": ["a=1; Path=/", "b=2; HttpOnly"],
    "body": ""})");
  CHECK(full.status == 302);
  CHECK(header(full, "Location") == "/next");
  CHECK(header(full, "X-Joined") == "a,b");
  CHECK(header_values(full, "X-Ignored").empty());
  CHECK(header_values(full, "Set-Cookie") ==
        std::vector<std::string>{"a=1; Path=/", "b=2; HttpOnly"});
  CHECK(header(full, "Content-Type") == "text/plain; charset=utf-8");

  const GatewayResponse binary = fx::gateway::map_result_v2(
      R"({"statusCode":200,"headers":{"Content-Type":"image/png"},"isBase64Encoded":true,
          "body":"iVBORw=="})");
  CHECK(binary.body == "\x89PNG");
  CHECK(header(binary, "Content-Type") == "image/png");

  for (const char* bad : {R"({"statusCode":200,"body":{"a":1}})", R"({"statusCode":null})",
                          R"({"statusCode":200,"cookies":"a=1"})", "{\"statusCode\":", "nope"}) {
    INFO(bad);
    const GatewayResponse response = fx::gateway::map_result_v2(bad);
    CHECK(response.status == 500);
    CHECK(response.body == R"({"message":"Internal Server Error"})");
    CHECK_FALSE(response.reason.empty());
  }
  CHECK_THAT(fx::gateway::map_result_v2("{oops").reason, Contains("not JSON"));

  // map_result picks by the route.
  CHECK(fx::gateway::map_result(route("httpApi", "GET", "/x"), "5").status == 200);
  CHECK(fx::gateway::map_result(route("http", "GET", "/x"), "5").status == 502);
  CHECK(fx::gateway::map_result(route("httpApi", "GET", "/x", "1.0"), "5").status == 500);
}

TEST_CASE("the gateway's own answers", "[gateway]") {
  struct Case {
    GatewayResponse response;
    int status;
    const char* message;
  };
  const Case cases[] = {
      {fx::gateway::not_found_response(), 404, "Not Found"},
      {fx::gateway::method_not_allowed_response(), 405, "Method Not Allowed"},
      {fx::gateway::payload_too_large_response(), 413, "Request Entity Too Large"},
      {fx::gateway::forbidden_response(), 403, "Forbidden"},
      {fx::gateway::function_error_response(), 502, "Internal server error"},
      {fx::gateway::function_error_response(ApiKind::http), 500, "Internal Server Error"},
  };
  for (const auto& c : cases) {
    CHECK(c.response.status == c.status);
    CHECK(json::parse(c.response.body) == json{{"message", c.message}});
    CHECK(header(c.response, "Content-Type") == "application/json");
  }
  CHECK(fx::gateway::api_kind(route("http", "GET", "/")) == ApiKind::rest);
  CHECK(fx::gateway::api_kind(route("httpApi", "GET", "/")) == ApiKind::http);
}

TEST_CASE("CORS preflight and response headers", "[gateway]") {
  const GatewayResponse preflight =
      fx::gateway::cors_preflight_response({"GET", "OPTIONS", "POST"});
  CHECK(preflight.status == 200);
  CHECK(preflight.body.empty());
  CHECK(header(preflight, "Access-Control-Allow-Origin") == "*");
  CHECK(header(preflight, "Access-Control-Allow-Methods") == "GET,OPTIONS,POST");
  CHECK_THAT(header(preflight, "Access-Control-Allow-Headers"), Contains("Content-Type"));
  CHECK_THAT(header(preflight, "Access-Control-Allow-Headers"), Contains("X-Api-Key"));

  GatewayResponse plain = fx::gateway::map_result_v1(R"({"statusCode":200,"body":"x"})");
  fx::gateway::add_cors_headers(plain);
  CHECK(header_values(plain, "Access-Control-Allow-Origin") == std::vector<std::string>{"*"});
  GatewayResponse own = fx::gateway::map_result_v1(
      R"({"statusCode":200,"headers":{"access-control-allow-origin":"https://a.example"}})");
  fx::gateway::add_cors_headers(own);
  CHECK(header_values(own, "Access-Control-Allow-Origin") ==
        std::vector<std::string>{"https://a.example"});
}

TEST_CASE("header_value finds a request header by any case", "[gateway]") {
  auto r = request("GET", "/");
  r.headers = {{"X-Api-Key", "k1"}, {"x-api-key", "k2"}};
  CHECK(fx::gateway::header_value(r, "x-api-key") == "k1");
  CHECK(fx::gateway::header_value(r, "origin").empty());
}
