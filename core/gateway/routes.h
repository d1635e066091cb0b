// The local API gateway's routing table: which function an HTTP request goes to, with the
// path parameters API Gateway would give it. Pure logic, no I/O: the emulator's HTTP server
// asks `RouteTable::find` and builds the event with core/gateway/payload.h.
//
// One listening port serves both kinds of routes, as serverless-offline does:
//  - `http` (REST, payload 1.0) routes under the stage prefix "/STAGE/..." and, as a local
//    convenience, without it;
//  - `httpApi` (HTTP API) routes with no prefix; the path "*" is the `$default` catch-all.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/events_json.h"
#include "core/manifest/service.h"

namespace fx::manifest {
struct RouteAuthorizer;  // core/manifest/authorizers.h
}

namespace fx::gateway {

struct LambdaIntegration;  // core/gateway/lambda_integration.h
struct JwtRouteCheck;      // core/gateway/jwt_authorizer.h

// One http/httpApi event of one function.
struct RouteSpec {
  std::string function;                             // the deployed name (what the invoker runs)
  std::string function_key;                         // the manifest key, for messages
  manifest::HttpApi api = manifest::HttpApi::http;  // `http` (REST) or `httpApi`
  std::string method;                               // upper-case, or "ANY"
  std::string path;             // "/hello/{id}", "/{proxy+}"; "*" is httpApi's $default
  bool cors = false;            // http `cors:`; the gateway answers OPTIONS itself
  bool is_private = false;      // http `private: true`: needs an x-api-key
  std::string payload_version;  // "1.0" or "2.0"
  // `integration: lambda` (non-proxy): how the event and response are made; null for proxy.
  std::shared_ptr<const LambdaIntegration> integration;
  // httpApi `authorizer:` as the event gives it, JSON text ("" when none), and the check of
  // a JWT authorizer it names (attach_authorizers in jwt_authorizer.h; null: none).
  std::string authorizer_json;
  std::shared_ptr<const JwtRouteCheck> jwt;
  // Why the gateway cannot honour the route's authorizer ("" when it can, or there is none):
  // such a route answers 403 rather than run open.
  std::string unhonoured_authorizer;
  // Who may call it (core/manifest/authorizers.h); null: anyone.
  std::shared_ptr<const manifest::RouteAuthorizer> authorizer;
  manifest::SourceMark mark;  // the event, for messages
};

// Every http/httpApi event of every function, in manifest order. `http` events are always
// payload 1.0; `httpApi` events follow provider.httpApi.payload (default 2.0). Does not
// validate: see validate_routes.
std::vector<RouteSpec> routes_from_service(const manifest::Service& service);
// The same, of the emulator's document.
std::vector<RouteSpec> routes_from_events(const manifest::ServiceEvents& events);

// Throws fx::Error, the event's file:line:col first, for a malformed path (must start with
// '/', no empty segments, `{name}` / `{name+}` as whole segments, greedy only last, no
// parameter name twice), a method that is not GET POST PUT PATCH DELETE HEAD OPTIONS ANY, or
// two routes of the same type on the same method and path shape ("/a/{id}" and "/a/{name}"
// are the same shape); that message names both functions and both marks. A trailing slash
// on a path is accepted ("/hello/" is "/hello"), as API Gateway treats them alike.
void validate_routes(const std::vector<RouteSpec>& routes);

class RouteTable {
 public:
  // Validates (validate_routes) and keeps the routes. `stage` is the service's stage: the
  // prefix of `http` routes.
  RouteTable(std::vector<RouteSpec> routes, std::string stage);

  struct Match {
    const RouteSpec* route = nullptr;  // points into the table: valid while it lives
    std::map<std::string, std::string> path_parameters;  // percent-decoded
    std::string resource;   // the route's template: "/hello/{id}", "/{proxy+}", "$default"
    std::string route_key;  // "GET /hello/{id}", "ANY /{proxy+}" or "$default"
    // The request path (still percent-encoded) without the "/STAGE" prefix when an `http`
    // route matched under it; otherwise the request path itself.
    std::string stage_path_stripped;
  };
  enum class Outcome { matched, not_found, method_not_allowed };

  // `path` is the request's path as received (percent-encoded, no query). Precedence, as API
  // Gateway: routes that do not take the method are skipped; of the rest the most specific
  // path wins, segment by segment a literal beating `{param}` beating `{greedy+}`; on equal
  // paths a named method beats ANY. Route groups are tried in turn: `http` under the stage
  // prefix, `httpApi`, `http` without the prefix, then `$default`. With no match, a path that
  // some route serves with another method is method_not_allowed, any other not_found.
  // `out` is filled only when matched.
  Outcome find(std::string_view method, std::string_view path, Match& out) const;

  // The methods routes serve on `path` ($default aside), sorted, "ANY" spelled out as every
  // method, and OPTIONS added when a cors route serves it: for an Allow header or the
  // preflight's Access-Control-Allow-Methods.
  std::vector<std::string> allowed_methods(std::string_view path) const;

  // Whether an OPTIONS request on `path` is a CORS preflight the gateway answers itself: a
  // `cors: true` route serves the path and no route declares OPTIONS there by name.
  bool cors_preflight(std::string_view path) const;

  const std::vector<RouteSpec>& routes() const { return routes_; }
  const std::string& stage() const { return stage_; }

  // A path template split into segments; "$default" has none and `catch_all` set.
  struct Segment {
    enum class Kind { literal, param, greedy } kind;
    std::string text;  // the literal, or the parameter's name
  };
  struct Compiled {
    std::vector<Segment> segments;
    bool catch_all = false;
  };

 private:
  std::vector<RouteSpec> routes_;
  std::string stage_;
  std::vector<Compiled> compiled_;  // parallel to routes_
};

}  // namespace fx::gateway
