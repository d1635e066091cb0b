// The pure rules of function URLs: bodies and qualifiers checked as Lambda checks them, the
// host names URLs answer at, the stored form, and the CORS headers of a configuration
// (tests/e2e/test_function_urls.py drives them through HTTP).
#include <catch2/catch.hpp>

#include <string>

#include "core/emulator/function_urls.h"
#include "core/lambda/api_error.h"

using namespace fx::emulator;
using fx::lambda::ApiError;

namespace {

template <class F>
std::string type_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.type();
  }
  return "";
}

std::string header(const HeaderList& h, std::string_view name) {
  for (const auto& [k, v] : h)
    if (k == name) return v;
  return "";
}

}  // namespace

TEST_CASE("function URL bodies are checked as Lambda checks them", "[function_urls]") {
  auto f = parse_function_url_fields(
      R"({"AuthType":"AWS_IAM","InvokeMode":"RESPONSE_STREAM","Cors":{"AllowMethods":["get"],"MaxAge":5}})",
      true);
  CHECK(*f.auth_type == "AWS_IAM");
  CHECK(*f.invoke_mode == "RESPONSE_STREAM");
  CHECK(f.cors->allow_methods->front() == "GET");
  CHECK(*f.cors->max_age == 5);
  CHECK(type_of([] { parse_function_url_fields("{}", true); }) == "ValidationException");
  CHECK(type_of([] { parse_function_url_fields("{}", false); }).empty());
  CHECK(type_of([] { parse_function_url_fields("", false); }).empty());
  CHECK(type_of([] { parse_function_url_fields("", true); }) == "InvalidRequestContentException");
  CHECK(type_of([] { parse_function_url_fields(R"({"AuthType":"OPEN"})", true); }) ==
        "ValidationException");
  CHECK(type_of([] { parse_function_url_fields(R"({"AuthType":1})", true); }) ==
        "InvalidRequestContentException");
  CHECK(type_of([] {
          parse_function_url_fields(R"({"AuthType":"NONE","Cors":{"MaxAge":86401}})", true);
        }) == "ValidationException");
  CHECK(type_of([] {
          parse_function_url_fields(R"({"AuthType":"NONE","Cors":{"AllowMethods":["BREW"]}})",
                                    true);
        }) == "InvalidParameterValueException");
  CHECK(type_of([] { parse_function_url_fields("{\"AuthType\":\"\xff\"}", true); }) ==
        "InvalidRequestContentException");
}

TEST_CASE("a function URL's qualifier is an alias name", "[function_urls]") {
  CHECK(type_of([] { check_function_url_qualifier(""); }).empty());
  CHECK(type_of([] { check_function_url_qualifier("live"); }).empty());
  CHECK(type_of([] { check_function_url_qualifier("v2"); }).empty());
  CHECK(type_of([] { check_function_url_qualifier("$LATEST"); }) == "ValidationException");
  CHECK(type_of([] { check_function_url_qualifier("12"); }) == "ValidationException");
  CHECK(type_of([] { check_function_url_qualifier(std::string(129, 'a')); }) ==
        "ValidationException");
}

TEST_CASE("function URL hosts name an id and a region", "[function_urls]") {
  auto h = parse_function_url_host("ABC123.lambda-url.eu-west-1.localhost:3000");
  REQUIRE(h);
  CHECK(h->url_id == "abc123");
  CHECK(h->region == "eu-west-1");
  CHECK(h->host == "abc123.lambda-url.eu-west-1.localhost");
  CHECK(parse_function_url_host("abc.lambda-url.us-east-1.localhost.")->url_id == "abc");
  CHECK(parse_function_url_host("a.b.lambda-url.us-east-1.localhost")->url_id == "a.b");
  CHECK_FALSE(parse_function_url_host("127.0.0.1:3000"));
  CHECK_FALSE(parse_function_url_host("localhost"));
  CHECK_FALSE(parse_function_url_host("abc.lambda-url.us-east-1.on.aws"));
  CHECK_FALSE(parse_function_url_host(".lambda-url.us-east-1.localhost"));
  CHECK_FALSE(parse_function_url_host("abc.lambda-url..localhost"));
  CHECK_FALSE(parse_function_url_host(""));
  CHECK(new_function_url_id().size() == 32);
  CHECK(new_function_url_id() != new_function_url_id());
}

TEST_CASE("a stored function URL reads back as itself", "[function_urls]") {
  FunctionUrl u;
  u.function = "web";
  u.qualifier = "live";
  u.url_id = new_function_url_id();
  u.region = "us-east-1";
  u.auth_type = "NONE";
  u.cors = parse_function_url_fields(R"({"Cors":{"AllowOrigins":["*"],"MaxAge":0}})", false).cors;
  u.creation_time = u.last_modified_time = "2026-12-07T00:00:00.000000Z";
  const std::string once = function_url_to_stored(u);
  CHECK(function_url_to_stored(function_url_from_stored(once)) == once);
  CHECK(function_url_host(u) == u.url_id + ".lambda-url.us-east-1.localhost");
  CHECK_THROWS_AS(function_url_from_stored("{"), fx::Error);
}

TEST_CASE("CORS headers follow the URL's configuration", "[function_urls]") {
  auto cors = *parse_function_url_fields(
                   R"({"Cors":{"AllowOrigins":["https://a.example"],"AllowMethods":["POST"],
                       "AllowHeaders":["x-one"],"MaxAge":9,"ExposeHeaders":["x-two"]}})",
                   false)
                   .cors;
  auto h = function_url_cors_headers(cors, "https://a.example");
  CHECK(header(h, "Access-Control-Allow-Origin") == "https://a.example");
  CHECK(header(h, "Access-Control-Expose-Headers") == "x-two");
  CHECK(function_url_cors_headers(cors, "https://b.example").empty());
  CHECK(function_url_cors_headers(cors, "").empty());
  auto p = function_url_preflight_headers(cors, "https://a.example", "post", "X-One");
  CHECK(header(p, "Access-Control-Allow-Methods") == "POST");
  CHECK(header(p, "Access-Control-Max-Age") == "9");
  CHECK(function_url_preflight_headers(cors, "https://a.example", "DELETE", "").empty());
  CHECK(
      function_url_preflight_headers(cors, "https://a.example", "POST", "x-one, x-three").empty());
  auto any = *parse_function_url_fields(R"({"Cors":{"AllowOrigins":["*"]}})", false).cors;
  CHECK(header(function_url_cors_headers(any, "https://z.example"),
               "Access-Control-Allow-Origin") == "*");
  any.allow_credentials = true;  // a credentialed answer may not say '*'
  CHECK(header(function_url_cors_headers(any, "https://z.example"),
               "Access-Control-Allow-Origin") == "https://z.example");
}
