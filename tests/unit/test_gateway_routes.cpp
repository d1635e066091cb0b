#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/gateway/routes.h"
#include "core/manifest/service.h"
#include "core/util/error.h"
#include "core/util/text.h"

using Catch::Matchers::Contains;
using fx::gateway::RouteSpec;
using fx::gateway::RouteTable;
using Outcome = RouteTable::Outcome;

namespace {

RouteSpec route(std::string function, std::string type, std::string method, std::string path,
                int line = 1, int col = 9) {
  RouteSpec r;
  r.function = "svc-dev-" + function;
  r.function_key = std::move(function);
  r.api = type == "http" ? fx::manifest::HttpApi::rest : fx::manifest::HttpApi::http;
  r.method = std::move(method);
  r.path = std::move(path);
  r.payload_version = type == "http" ? "1.0" : "2.0";
  r.mark = {"serverless.yaml", line, col};
  return r;
}

RouteSpec http(std::string function, std::string method, std::string path, int line = 1) {
  return route(std::move(function), "http", std::move(method), std::move(path), line);
}

RouteSpec http_api(std::string function, std::string method, std::string path, int line = 1) {
  return route(std::move(function), "httpApi", std::move(method), std::move(path), line);
}

// The function key a request goes to, or "404" / "405".
std::string target(const RouteTable& table, std::string_view method, std::string_view path) {
  RouteTable::Match match;
  switch (table.find(method, path, match)) {
    case Outcome::matched:
      return match.route->function_key;
    case Outcome::not_found:
      return "404";
    case Outcome::method_not_allowed:
      return "405";
  }
  return "?";
}

RouteTable::Match must_match(const RouteTable& table, std::string_view method,
                             std::string_view path) {
  RouteTable::Match match;
  REQUIRE(table.find(method, path, match) == Outcome::matched);
  REQUIRE(match.route != nullptr);
  return match;
}

// The message validate_routes throws, or "" when it accepts the routes.
std::string rejection(const std::vector<RouteSpec>& routes) {
  try {
    fx::gateway::validate_routes(routes);
  } catch (const fx::Error& e) {
    CHECK_FALSE(e.hint().empty());
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a literal segment beats a parameter, which beats a greedy one", "[gateway]") {
  RouteTable table(
      {http_api("proxy", "GET", "/pets/{proxy+}"), http_api("id", "GET", "/pets/{id}"),
       http_api("dog", "GET", "/pets/dog"), http_api("tail", "GET", "/pets/{id}/toys")},
      "dev");
  CHECK(target(table, "GET", "/pets/dog") == "dog");
  CHECK(target(table, "GET", "/pets/cat") == "id");
  CHECK(target(table, "GET", "/pets/cat/toys") == "tail");
  CHECK(target(table, "GET", "/pets/cat/food") == "proxy");
  CHECK(target(table, "GET", "/pets/a/b/c") == "proxy");
  // A greedy parameter takes one segment or more, never none.
  CHECK(target(table, "GET", "/pets") == "404");

  const auto id = must_match(table, "GET", "/pets/cat");
  CHECK(id.path_parameters == std::map<std::string, std::string>{{"id", "cat"}});
  CHECK(id.resource == "/pets/{id}");
  CHECK(id.route_key == "GET /pets/{id}");
  CHECK(must_match(table, "GET", "/pets/dog").path_parameters.empty());
  CHECK(must_match(table, "GET", "/pets/a/b/c").path_parameters.at("proxy") == "a/b/c");
}

TEST_CASE("a named method beats ANY, but a more specific path beats both", "[gateway]") {
  RouteTable table(
      {http_api("any", "ANY", "/items"), http_api("get", "GET", "/items"),
       http_api("any_dog", "ANY", "/pets/dog"), http_api("get_id", "GET", "/pets/{id}")},
      "dev");
  CHECK(target(table, "GET", "/items") == "get");
  CHECK(target(table, "get", "/items") == "get");  // methods compare upper-cased
  CHECK(target(table, "POST", "/items") == "any");
  CHECK(target(table, "DELETE", "/items") == "any");
  CHECK(target(table, "GET", "/pets/dog") == "any_dog");
  CHECK(target(table, "GET", "/pets/cat") == "get_id");
  CHECK(target(table, "POST", "/pets/cat") == "405");
  CHECK(must_match(table, "PUT", "/items").route_key == "ANY /items");
}

TEST_CASE("http routes answer with and without the stage prefix, httpApi routes without",
          "[gateway]") {
  RouteTable table(
      {http("hello", "GET", "/hello"), http("root", "GET", "/"), http_api("time", "GET", "/time")},
      "dev");
  const auto prefixed = must_match(table, "GET", "/dev/hello");
  CHECK(prefixed.route->function_key == "hello");
  CHECK(prefixed.stage_path_stripped == "/hello");
  CHECK(prefixed.resource == "/hello");
  const auto bare = must_match(table, "GET", "/hello");
  CHECK(bare.route->function_key == "hello");
  CHECK(bare.stage_path_stripped == "/hello");

  CHECK(target(table, "GET", "/dev") == "root");
  CHECK(target(table, "GET", "/dev/") == "root");
  CHECK(must_match(table, "GET", "/dev/").stage_path_stripped == "/");
  CHECK(target(table, "GET", "/") == "root");
  CHECK(target(table, "GET", "/prod/hello") == "404");
  CHECK(target(table, "GET", "/devhello") == "404");
  // A target without its leading slash (the HTTP parser passes one on) is the same path; the
  // fuzzer found the stage prefix was cut at a fixed offset, past the end of "dev".
  CHECK(target(table, "GET", "dev") == "root");
  CHECK(must_match(table, "GET", "dev").stage_path_stripped == "/");
  CHECK(target(table, "GET", "dev/hello") == "hello");

  CHECK(target(table, "GET", "/time") == "time");
  CHECK(target(table, "GET", "/dev/time") == "404");
  CHECK(must_match(table, "GET", "/time").stage_path_stripped == "/time");
}

TEST_CASE("404 for an unknown path, 405 for a known one with another method", "[gateway]") {
  RouteTable plain({http_api("hello", "GET", "/hello"), http("rest", "POST", "/form")}, "dev");
  CHECK(target(plain, "POST", "/hello") == "405");
  CHECK(target(plain, "GET", "/nope") == "404");
  CHECK(target(plain, "GET", "/dev/form") == "405");
  CHECK(target(plain, "GET", "/form") == "405");
  CHECK(plain.allowed_methods("/hello") == std::vector<std::string>{"GET"});
  CHECK(plain.allowed_methods("/dev/form") == std::vector<std::string>{"POST"});
  CHECK(plain.allowed_methods("/nope").empty());

  // $default takes whatever nothing else does, with any method.
  RouteTable with_default({http_api("hello", "GET", "/hello"), http_api("fallback", "ANY", "*")},
                          "dev");
  CHECK(target(with_default, "GET", "/hello") == "hello");
  CHECK(target(with_default, "POST", "/hello") == "fallback");
  CHECK(target(with_default, "GET", "/anything/at/all") == "fallback");
  const auto fallback = must_match(with_default, "DELETE", "/x/y");
  CHECK(fallback.route_key == "$default");
  CHECK(fallback.resource == "$default");
  CHECK(fallback.path_parameters.empty());
  CHECK(fallback.stage_path_stripped == "/x/y");
}

TEST_CASE("a greedy REST route under the stage prefix", "[gateway]") {
  RouteTable table({http("app", "ANY", "/{proxy+}")}, "dev");
  const auto match = must_match(table, "PATCH", "/dev/a/b/c");
  CHECK(match.path_parameters.at("proxy") == "a/b/c");
  CHECK(match.resource == "/{proxy+}");
  CHECK(match.route_key == "ANY /{proxy+}");
  CHECK(match.stage_path_stripped == "/a/b/c");
  // Without the prefix the whole path is the parameter.
  CHECK(must_match(table, "GET", "/a/b").path_parameters.at("proxy") == "a/b");
  CHECK(target(table, "GET", "/") == "404");
  CHECK(target(table, "GET", "/dev") == "app");  // "/dev" itself is the greedy segment
}

TEST_CASE("path parameters are percent-decoded; literals match decoded too", "[gateway]") {
  RouteTable table({http_api("file", "GET", "/files/{name}"),
                    http_api("raw", "GET", "/raw/{path+}"), http_api("lit", "GET", "/caf\xC3\xA9")},
                   "dev");
  CHECK(must_match(table, "GET", "/files/a%20b%2Fc").path_parameters.at("name") == "a b/c");
  // '+' is a space only in query strings.
  CHECK(must_match(table, "GET", "/files/a+b").path_parameters.at("name") == "a+b");
  CHECK(must_match(table, "GET", "/files/%E2%9C%93").path_parameters.at("name") == "\xE2\x9C\x93");
  CHECK(must_match(table, "GET", "/files/100%").path_parameters.at("name") == "100%");
  CHECK(must_match(table, "GET", "/raw/a%2Fb/c%20d").path_parameters.at("path") == "a/b/c d");
  CHECK(target(table, "GET", "/caf%C3%A9") == "lit");
  CHECK(target(table, "GET", "/caf\xC3\xA9") == "lit");
  CHECK(fx::util::url_decode("a+b%3d%3D%zz", true) == "a b==%zz");
}

TEST_CASE("a trailing slash is the same path", "[gateway]") {
  RouteTable table({http_api("hello", "GET", "/hello"), http("slash", "GET", "/api/items/"),
                    http_api("id", "GET", "/users/{id}")},
                   "dev");
  CHECK(target(table, "GET", "/hello/") == "hello");
  CHECK(target(table, "GET", "/hello") == "hello");
  CHECK(target(table, "GET", "/dev/api/items") == "slash");
  CHECK(target(table, "GET", "/api/items/") == "slash");
  CHECK(must_match(table, "GET", "/dev/api/items").resource == "/api/items");
  CHECK(must_match(table, "GET", "/users/7/").path_parameters.at("id") == "7");
  CHECK(target(table, "GET", "/users//") == "404");  // an empty segment is no parameter
}

TEST_CASE("CORS preflights and allowed methods", "[gateway]") {
  auto get = http("get", "GET", "/hello");
  get.cors = true;
  auto any = http("any", "ANY", "/things");
  any.cors = true;
  auto own_options = http("opt", "OPTIONS", "/custom");
  auto own_get = http("cget", "GET", "/custom");
  own_get.cors = true;
  RouteTable table({get, http("post", "POST", "/hello"), any, own_options, own_get,
                    http("plain", "GET", "/plain")},
                   "dev");

  CHECK(table.cors_preflight("/dev/hello"));
  CHECK(table.cors_preflight("/hello/"));
  CHECK(table.allowed_methods("/dev/hello") == std::vector<std::string>{"GET", "OPTIONS", "POST"});
  CHECK(table.cors_preflight("/things"));
  CHECK(table.allowed_methods("/things") ==
        std::vector<std::string>{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"});
  // A route that declares OPTIONS itself gets the request.
  CHECK_FALSE(table.cors_preflight("/custom"));
  CHECK(target(table, "OPTIONS", "/custom") == "opt");
  CHECK_FALSE(table.cors_preflight("/plain"));
  CHECK_FALSE(table.cors_preflight("/nope"));
  // Without the gateway's preflight, OPTIONS on a cors route is not a method it serves.
  CHECK(target(table, "OPTIONS", "/hello") == "405");
}

TEST_CASE("routes_from_service takes http and httpApi events with their payload version",
          "[gateway]") {
  fx::manifest::Service service;
  service.name = "svc";
  service.http_api_payload = "2.0";
  fx::manifest::Function hello;
  hello.key = "hello";
  hello.name = "svc-dev-hello";
  fx::manifest::HttpEvent rest;
  rest.api = fx::manifest::HttpApi::rest;
  rest.method = "GET";
  rest.path = "/hello";
  rest.cors = true;
  rest.is_private = true;
  rest.mark = {"serverless.yaml", 7, 11};
  fx::manifest::HttpEvent api;
  api.api = fx::manifest::HttpApi::http;
  api.method = "ANY";
  api.path = "*";
  fx::manifest::ScheduleEvent schedule;
  schedule.expression = "rate(5 minutes)";
  hello.events = {rest, schedule, api};
  service.functions.push_back(hello);

  auto routes = fx::gateway::routes_from_service(service);
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].function == "svc-dev-hello");
  CHECK(routes[0].function_key == "hello");
  CHECK(routes[0].api == fx::manifest::HttpApi::rest);
  CHECK(routes[0].method == "GET");
  CHECK(routes[0].path == "/hello");
  CHECK(routes[0].cors);
  CHECK(routes[0].is_private);
  CHECK(routes[0].payload_version == "1.0");
  CHECK(routes[0].mark.str() == "serverless.yaml:7:11");
  CHECK(routes[1].api == fx::manifest::HttpApi::http);
  CHECK(routes[1].path == "*");
  CHECK(routes[1].payload_version == "2.0");

  service.http_api_payload = "1.0";
  routes = fx::gateway::routes_from_service(service);
  CHECK(routes[0].payload_version == "1.0");
  CHECK(routes[1].payload_version == "1.0");
}

TEST_CASE("malformed paths are rejected with the event's position", "[gateway]") {
  CHECK(rejection({route("hello", "http", "GET", "/a/{id", 12, 15)}) ==
        "serverless.yaml:12:15: function 'hello': http path '/a/{id' has an unclosed '{'");

  struct Case {
    const char* path;
    const char* says;
  };
  const Case cases[] = {
      {"a/b", "does not start with '/'"},
      {"", "is empty"},
      {"/a//b", "empty segment"},
      {"/a/{id}/{proxy+}/b", "greedy parameter must be the last segment"},
      {"/a/x{id}", "a parameter must be a whole segment"},
      {"/a/{id}x", "a parameter must be a whole segment"},
      {"/a/{{id}}", "a parameter must be a whole segment"},
      {"/a/id}", "'}' with no '{'"},
      {"/a/{}", "whose name is not"},
      {"/a/{1st}", "whose name is not"},
      {"/a/{my id}", "space"},
      {"/a/{id}/b/{id}", "names the parameter 'id' twice"},
      {"/a?x=1", "no query"},
      {"/a/*", "'*'"},
  };
  for (const auto& c : cases) {
    INFO(c.path);
    const std::string message = rejection({route("fn", "httpApi", "GET", c.path, 4, 7)});
    CHECK_THAT(message, Contains("serverless.yaml:4:7: function 'fn': httpApi path"));
    CHECK_THAT(message, Contains(c.says));
  }
  CHECK(rejection({http_api("ok", "GET", "/a/{id}/b/{rest+}"), http_api("root", "GET", "/"),
                   http_api("dash", "GET", "/x/{my-id}"), http_api("all", "ANY", "*")})
            .empty());
  CHECK_THROWS_AS(RouteTable({http("bad", "GET", "/a/{id")}, "dev"), fx::Error);
}

TEST_CASE("bad methods and a catch-all with one method are rejected", "[gateway]") {
  const std::string method = rejection({route("hello", "http", "FETCH", "/a", 3, 5)});
  CHECK_THAT(method, Contains("serverless.yaml:3:5: function 'hello': http method 'FETCH'"));
  CHECK_THAT(method, Contains("GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY"));
  CHECK_THAT(rejection({route("hello", "http", "get", "/a", 3, 5)}), Contains("method 'get'"));
  CHECK_THAT(rejection({route("all", "httpApi", "GET", "*", 8, 5)}),
             Contains("serverless.yaml:8:5: function 'all': httpApi path '*'"));
}

TEST_CASE("two functions on one method and path shape are rejected, naming both", "[gateway]") {
  const std::string same = rejection({route("first", "httpApi", "GET", "/users/{id}", 10, 9),
                                      route("second", "httpApi", "GET", "/users/{name}/", 20, 9)});
  CHECK_THAT(same, Contains("serverless.yaml:20:9: function 'second'"));
  CHECK_THAT(same, Contains("function 'first'"));
  CHECK_THAT(same, Contains("serverless.yaml:10:9"));
  CHECK_THAT(same, Contains("GET /users/{id}"));

  const std::string twice = rejection(
      {route("one", "http", "POST", "/a", 5, 9), route("one", "http", "POST", "/a", 6, 9)});
  CHECK_THAT(twice, Contains("serverless.yaml:6:9: function 'one'"));
  CHECK_THAT(twice, Contains("serverless.yaml:5:9"));

  CHECK_THAT(rejection({http_api("a", "ANY", "*", 1), http_api("b", "ANY", "*", 2)}),
             Contains("function 'a'"));

  // Not clashes: ANY next to GET, the same route in the other API, another method.
  CHECK(rejection({http_api("a", "GET", "/x"), http_api("b", "ANY", "/x"), http("c", "GET", "/x"),
                   http_api("d", "POST", "/x"), http_api("e", "GET", "/x/{id}"),
                   http_api("f", "GET", "/x/{proxy+}")})
            .empty());
}

TEST_CASE("REST routes may not name one position's parameter two ways", "[gateway]") {
  const std::string message =
      rejection({route("get", "http", "GET", "/users/{id}", 10, 9),
                 route("posts", "http", "GET", "/users/{userId}/posts", 14, 9)});
  CHECK_THAT(message, Contains("serverless.yaml:14:9: function 'posts'"));
  CHECK_THAT(message, Contains("'{userId}'"));
  CHECK_THAT(message, Contains("function 'get' (serverless.yaml:10:9)"));
  // The same name is fine, and so are different subtrees; HTTP APIs have no such rule.
  CHECK(rejection({http("a", "GET", "/users/{id}"), http("b", "GET", "/users/{id}/posts"),
                   http("c", "GET", "/teams/{team}")})
            .empty());
  CHECK(rejection({http_api("a", "GET", "/users/{id}"), http_api("b", "GET", "/users/{name}/x")})
            .empty());
}
