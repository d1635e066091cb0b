// The local API gateway's translation (core/gateway/payload.h, routes.h): a fuzzed request is
// routed through a table of `http` (payload 1.0, stage prefix) and `httpApi` (payload 2.0 and
// 1.0, $default) routes and turned into the event a function gets; a fuzzed function result is
// mapped to the HTTP response for every kind of route.
//
// Input, three parts separated by lines holding only "---":
//   METHOD TARGET          the request line (TARGET is the path and an optional ?query)
//   Name: value            header lines, repeats kept
//   ---
//   body
//   ---
//   the function's result (JSON, or anything)
//
// The function's result is also read as a Lambda authorizer's answer (core/gateway/
// lambda_authorizer.h), for a REST TOKEN authorizer and HTTP API simple and policy ones.
//
// Invariants: every event is valid JSON (an authorizer's too, and one carrying an allowed
// authorizer's context); every response has an HTTP status and headers that
// can be written as they are (a token for a name, no CR, LF or NUL in a value).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gateway/alb.h"
#include "core/gateway/lambda_authorizer.h"
#include "core/gateway/lambda_integration.h"
#include "core/gateway/payload.h"
#include "core/gateway/routes.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;
using namespace fx::gateway;

namespace {

RouteSpec route(std::string type, std::string method, std::string path, std::string payload,
                bool cors = false, bool is_private = false) {
  RouteSpec r;
  r.function = "svc-dev-fn";
  r.function_key = "fn";
  r.api = type == "http" ? ApiKind::rest : ApiKind::http;
  r.method = std::move(method);
  r.path = std::move(path);
  r.payload_version = std::move(payload);
  r.cors = cors;
  r.is_private = is_private;
  r.mark = {"serverless.yaml", 1, 1};
  return r;
}

const RouteTable& table() {
  static const RouteTable t(
      {
          route("http", "GET", "/hello", "1.0", true),
          route("http", "POST", "/items/{id}", "1.0"),
          route("http", "ANY", "/proxy/{proxy+}", "1.0", true),
          route("http", "GET", "/users/{user}/posts/{post}", "1.0", false, true),
          route("httpApi", "GET", "/v2/hello", "2.0"),
          route("httpApi", "POST", "/v2/items/{id}", "2.0"),
          route("httpApi", "ANY", "/v2/{proxy+}", "2.0"),
          route("httpApi", "GET", "/v1api/{id}", "1.0"),
          route("httpApi", "ANY", "*", "2.0"),
      },
      "dev");
  return t;
}

// ALB rules of every condition type, single- and multi-value, and an integration: lambda route.
const std::vector<AlbRule>& alb_rules() {
  static const std::vector<AlbRule> rules = [] {
    fx::manifest::ServiceEvents doc;
    auto& f = doc.functions.emplace_back();
    f.name = "svc-dev-fn";
    f.key = "fn";
    for (const char* config :
         {R"({"listenerArn": "l", "priority": 1, "conditions": {"path": ["/a*", "/b?c"],
             "method": ["GET"], "header": {"name": "X-A", "values": ["*x*y*"]}}})",
          R"({"listenerArn": "l", "priority": 2, "multiValueHeaders": true,
             "conditions": {"query": {"k": "v*"}, "host": "*.example.com", "ip": ["127.0.0.0/8"]}})",
          R"({"listenerArn": "l", "priority": 3, "conditions": {"path": "*"}})"}) {
      fx::manifest::OtherEvent e;
      e.type = "alb";
      e.config_json = config;
      f.events.push_back(e);
    }
    return alb_rules_from_events(doc, "svc-dev");
  }();
  return rules;
}

const LambdaIntegration& lambda_integration() {
  static const LambdaIntegration i = *lambda_integration_of(
      R"({"integration": "lambda", "response": {"headers": {"X-B": "integration.response.body.a.b"},
          "statusCodes": {"200": {"pattern": ""}, "404": {"pattern": ".*\\[404\\].*"}}}})",
      "fuzz");
  return i;
}

bool is_token_char(unsigned char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return std::isalnum(c) || kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

void check_response(const GatewayResponse& r, std::string_view result) {
  if (r.status < 100 || r.status > 599) fail("a response status outside 100-599", result);
  for (const auto& [name, value] : r.headers) {
    if (name.empty()) fail("a response header without a name", result);
    for (char c : name)
      if (!is_token_char(static_cast<unsigned char>(c)))
        fail("a response header name that is not an HTTP token", name);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      fail("a response header value holding CR, LF or NUL", value);
  }
}

void check_json(const std::string& event, std::string_view what) {
  if (!nlohmann::json::accept(event)) fail("an event that is not valid JSON", what);
}

GatewayRequest parse_request(std::string_view head, std::string_view body) {
  GatewayRequest request;
  request.source_ip = "127.0.0.1";
  request.time_ms = 1'795'773'600'000;
  request.request_id = "req-1";
  request.body = std::string(body);
  std::string_view line = head.substr(0, head.find('\n'));
  head.remove_prefix(std::min(head.size(), line.size() + 1));
  const auto space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  std::string_view target = space == std::string_view::npos ? "/" : line.substr(space + 1);
  const auto q = target.find('?');
  request.raw_path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) request.raw_query = std::string(target.substr(q + 1));
  while (!head.empty()) {
    std::string_view header = head.substr(0, head.find('\n'));
    head.remove_prefix(std::min(head.size(), header.size() + 1));
    const auto colon = header.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : header.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    request.headers.emplace_back(header.substr(0, colon), value);
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string_view> parts = fx::fuzz::split_parts(input, 3);
  const GatewayRequest request = parse_request(parts[0], parts.size() > 1 ? parts[1] : "");
  const std::string_view result = parts.size() > 2 ? parts[2] : parts[0];

  const RouteTable& routes = table();
  RouteTable::Match match;
  const auto outcome = routes.find(request.method, request.raw_path, match);
  if (outcome == RouteTable::Outcome::matched) {
    if (match.route == nullptr) fail("a match without a route", request.raw_path);
    check_json(build_event(request, match, routes.stage()), "build_event");
  }
  (void)routes.allowed_methods(request.raw_path);
  (void)routes.cors_preflight(request.raw_path);
  // Both payloads whatever the route: a request the table would not route still must not
  // break the event builders.
  const RouteTable::Match none;
  check_json(build_event_v1(request, none, "dev"), "build_event_v1");
  check_json(build_event_v2(request, none), "build_event_v2");

  // The three ways a result is read: REST payload 1.0, HTTP API payload 1.0 and 2.0.
  for (const RouteSpec* spec : {&routes.routes()[0], &routes.routes()[7], &routes.routes()[4]}) {
    GatewayResponse response = map_result(*spec, result);
    add_cors_headers(response);
    check_response(response, result);
  }

  // Lambda authorizers: the request's identity, the authorizer's event, its answer.
  for (int kind = 0; kind < 3; ++kind) {
    fx::manifest::RouteAuthorizer a;
    a.type = kind == 0 ? fx::manifest::RouteAuthorizer::Type::token
                       : fx::manifest::RouteAuthorizer::Type::request;
    a.function = "svc-dev-auth";
    a.identity_sources = kind == 0 ? std::vector<std::string>{"header:Authorization"}
                                   : std::vector<std::string>{"header:X-Key", "query:k"};
    a.simple = kind == 1;
    a.payload = kind == 2 ? "1.0" : "2.0";
    a.validation = kind == 0 ? "^Bearer [-0-9a-zA-Z._]*$" : "";
    const RouteSpec& spec = routes.routes()[kind == 0 ? 0 : 4];
    RouteTable::Match m = match;
    m.route = &spec;
    if (auto identity = identity_of(a, request)) (void)token_matches(a, *identity);
    const std::string arn = method_arn(a, request, m, "dev");
    check_json(authorizer_event(a, request, m, "dev", arn), "authorizer_event");
    (void)arn_matches(result, arn);
    const auto d = decide(a, api_kind(spec), result, arn, 3);
    if (d.outcome == AuthorizerDecision::Outcome::allow) {
      check_json(d.context, "an authorizer's context");
      GatewayRequest allowed = request;
      allowed.authorizer = d.context;
      check_json(build_event(allowed, m, "dev"), "build_event with an authorizer");
    } else {
      check_response(refusal_response(api_kind(spec), d), result);
    }
    (void)failed_authorizer(result);
  }

  const AlbTable alb(alb_rules());
  (void)alb.find(request);
  for (const AlbRule& rule : alb.rules()) {
    check_json(build_alb_event(rule, request), "build_alb_event");
    check_response(map_alb_result(rule, result), result);
  }
  const auto made = build_lambda_event(lambda_integration(), request, match, "dev");
  if (!made.refusal) check_json(made.event, "build_lambda_event");
  for (bool error : {false, true})
    check_response(map_lambda_result(lambda_integration(), result, error), result);
  return 0;
}
