#include "core/emulator/gateway_server.h"

#include <algorithm>
#include <chrono>
#include <list>
#include <map>
#include <optional>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/aws/api_error.h"
#include "core/emulator/emulator.h"
#include "core/emulator/http_server.h"
#include "core/emulator/instance_auth.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/gateway/api_key_gate.h"
#include "core/gateway/auth_cache.h"
#include "core/gateway/cors.h"
#include "core/gateway/jwt_authorizer.h"
#include "core/gateway/lambda_authorizer.h"
#include "core/gateway/lambda_integration.h"
#include "core/gateway/payload.h"
#include "core/gateway/rest_cors.h"
#include "core/gateway/routes.h"
#include "core/util/error.h"
#include "core/util/text.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace {

// API Gateway's payload limit is 10 MB and Lambda's 6 MB: a bigger body could never reach
// the function. The server reads up to a little more, so that the gateway itself can answer
// the 413 in API Gateway's words.
constexpr std::size_t kPayloadLimit = 6 * 1024 * 1024;
constexpr std::size_t kReadLimit = 10 * 1024 * 1024;

HttpResponse to_http(gateway::GatewayResponse g) {
  HttpResponse r;
  r.status = g.status;
  r.headers = std::move(g.headers);
  r.body = std::move(g.body);
  return r;
}

}  // namespace

struct GatewayServer::Impl {
  Pool& pool;
  LogSink& sink;
  HttpServer server;
  struct Service {
    std::string name;
    std::unique_ptr<gateway::RouteTable> table;
    std::string stage;
    std::string api_key;
    std::optional<gateway::HttpApiCors> cors;  // provider.httpApi.cors, for its httpApi routes
    bool catch_all = false;  // an httpApi '*' route: it answers whatever no other route does
    // The `cors` of its `http` routes, by "METHOD PATH" as the route has them.
    std::map<std::string, gateway::RestCors> rest_cors;
  };
  GatewayServer::HostHandler host_handler;
  // The service deployed last first: it wins a route two services share.
  std::list<Service> services;
  gateway::AuthCache auth_cache;    // Lambda authorizers' answers, for their TTL
  gateway::ApiKeyGate api_keys;     // provider.apiGateway.apiKeys and their usage plans
  InstanceCredentials credentials;  // what aws_iam routes' signatures are checked against

  void erase(const std::string& name) {
    services.remove_if([&](const Service& s) { return s.name == name; });
  }

  Impl(boost::asio::io_context& io, Pool& pool, LogSink& sink)
      : pool(pool),
        sink(sink),
        server(
            io,
            [this](HttpRequest& req, std::shared_ptr<Responder> r) {
              // Whatever goes wrong answers the client as API Gateway would, and is logged.
              try {
                handle(req, r);
              } catch (const std::exception& e) {
                fmt::print(stderr, "fx gateway: internal error (a bug in fx): {} {}: {}\n",
                           req.method, req.path.substr(0, 200), e.what());
                if (!r->sent()) {
                  HttpResponse res =
                      HttpResponse::json(500, R"({"message":"Internal server error"})");
                  r->send(std::move(res));
                }
              }
            },
            gateway_options()) {}

  static HttpServerOptions gateway_options() {
    HttpServerOptions o;
    o.body_limit = kReadLimit;
    // API Gateway's quota on a request's headers is 10 KB; allow its line and some slack.
    o.header_limit = 16 * 1024;
    o.too_large = [](const HttpRequest&, std::size_t) {
      return to_http(gateway::payload_too_large_response());
    };
    return o;
  }

  // The route's JWT authorizer, if any (core/gateway/jwt_authorizer.h): the answer to send when
  // it refuses the request (logged with its reason); otherwise the claims go in g.authorizer.
  // An httpApi authorizer fx cannot run closes its route.
  std::optional<gateway::GatewayResponse> authorize_jwt(const gateway::RouteSpec& route,
                                                        gateway::GatewayRequest& g) {
    if (!route.unhonoured_authorizer.empty()) {
      sink.emit(route.function, g.request_id,
                fmt::format("fx gateway: {} {}: refused (403): {}", route.method, route.path,
                            route.unhonoured_authorizer));
      return gateway::forbidden_response();
    }
    if (!route.jwt) return std::nullopt;
    auto decision =
        route.jwt->authorizer->check(g, route.jwt->scopes, route.payload_version, g.time_ms);
    if (!decision.allowed) {
      sink.emit(route.function, g.request_id,
                fmt::format("fx gateway: {} {}: JWT authorizer '{}' refused the request ({}): {}",
                            route.method, route.path, route.jwt->authorizer->config().name,
                            decision.refusal.status, decision.reason));
      return std::move(decision.refusal);
    }
    g.authorizer = std::move(decision.authorizer_json);
    return std::nullopt;
  }

  // The service whose own host `host` is (SERVICE-STAGE.localhost, any case, any port), or "".
  std::string own_service(std::string_view host) const {
    host =
        host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':'));
    if (host.ends_with('.')) host.remove_suffix(1);
    constexpr std::string_view kTail = ".localhost";
    if (host.size() <= kTail.size() ||
        !util::iequals(host.substr(host.size() - kTail.size()), kTail))
      return "";
    const std::string_view label = host.substr(0, host.size() - kTail.size());
    for (const Service& svc : services)
      if (util::iequals(svc.name, label)) return svc.name;
    return "";
  }

  void handle(HttpRequest& req, const std::shared_ptr<Responder>& r) {
    if (host_handler && host_handler(req, r)) return;
    // The first service whose routes match; a path some service serves with other methods
    // is a 405 unless another matches outright.
    // (A match's route pointer stays valid: tables change only between requests.)
    bool wrong_method = false;
    const Service* found = nullptr;
    gateway::RouteTable::Match match;
    const std::string origin(req.header("origin"));
    // SERVICE-STAGE.localhost is that service's own host, as API Gateway gives each API its
    // own: only its routes answer there. Any other host is the shared one.
    const std::string own = own_service(req.header("Host"));
    for (const Service& svc : services) {
      if (!own.empty() && svc.name != own) continue;
      if (svc.cors && req.method == "OPTIONS" && !svc.table->allowed_methods(req.path).empty()) {
        gateway::GatewayRequest probe;
        probe.method = req.method;
        probe.headers = req.headers;
        if (gateway::is_preflight(probe))
          return r->send(to_http(gateway::http_api_preflight(*svc.cors, probe)));
      }
      if (req.method == "OPTIONS" && svc.table->cors_preflight(req.path))
        return r->send(to_http(rest_preflight(svc, req.path, origin)));
      gateway::RouteTable::Match m;
      auto outcome = svc.table->find(req.method, req.path, m);
      if (outcome == gateway::RouteTable::Outcome::matched) {
        // A catch-all ($default) yields to any other service's real route.
        bool catch_all = m.route->path == "*";
        if (!found || !catch_all) {
          found = &svc;
          match = std::move(m);
        }
        if (!catch_all) break;
      }
      wrong_method |= outcome == gateway::RouteTable::Outcome::method_not_allowed;
    }
    if (!found) {
      return r->send(to_http(wrong_method ? gateway::method_not_allowed_response()
                                          : gateway::not_found_response()));
    }
    // The service's httpApi CORS headers go on every answer of its httpApi routes.
    std::optional<gateway::HttpApiCors> cors;
    if (match.route->api == manifest::HttpApi::http) cors = found->cors;
    if (req.body.size() > kPayloadLimit) {
      gateway::GatewayResponse out = gateway::payload_too_large_response();
      if (cors) gateway::add_http_api_cors(*cors, origin, out);
      return r->send(to_http(std::move(out)));
    }
    if (match.route->is_private) {
      if (auto refusal = check_api_key(*found, *match.route, req))
        return r->send(to_http(std::move(*refusal)));
    }

    std::string iam_identity;
    if (match.route->authorizer &&
        match.route->authorizer->type == manifest::RouteAuthorizer::Type::aws_iam) {
      // Checked on the request as it came, before its body moves into the event.
      auto refusal = check_iam(req, *match.route, iam_identity);
      if (refusal) {
        sink.emit(match.route->function, "",
                  fmt::format("fx gateway: {} {}: aws_iam: {} ({} to the client)", req.method,
                              req.path.substr(0, 200), refusal->reason, refusal->status));
        refusal->reason.clear();
        return r->send(to_http(std::move(*refusal)));
      }
    }

    // From here on the request may wait for an authorizer: it carries its own copy of the
    // route (a redeploy meanwhile replaces the table the match points into).
    auto p = std::make_shared<Pending>();
    p->r = r;
    p->route = *match.route;
    p->match = std::move(match);
    p->match.route = &p->route;
    p->stage = found->stage;
    p->cors = std::move(cors);
    p->origin = origin;
    if (auto it = found->rest_cors.find(p->route.method + " " + p->route.path);
        it != found->rest_cors.end())
      p->rest_cors = it->second;
    gateway::GatewayRequest& g = p->request;
    g.method = req.method;
    g.raw_path = req.path;
    g.raw_query = req.query;
    g.headers = req.headers;
    g.body = std::move(req.body);
    g.source_ip = "127.0.0.1";
    g.time_ms = util::now_ms();
    g.request_id = new_request_id();
    if (!iam_identity.empty()) {
      if (gateway::api_kind(p->route) == manifest::HttpApi::rest)
        g.identity = iam_identity;
      else
        g.authorizer = R"({"iam":)" + iam_identity + "}";
    }
    if (auto refusal = authorize_jwt(p->route, g)) return send(p, std::move(*refusal));
    using Type = manifest::RouteAuthorizer::Type;
    if (p->route.authorizer && p->route.authorizer->type != Type::aws_iam &&
        p->route.authorizer->type != Type::jwt)
      authorize(p);
    else
      forward(p);
  }

  // The preflight of an `http` route's path, with the `cors` of the first route serving it
  // that has one (the framework merges them per path; fx does not).
  gateway::GatewayResponse rest_preflight(const Service& svc, const std::string& path,
                                          std::string_view origin) {
    const auto methods = svc.table->allowed_methods(path);
    for (const auto& m : methods) {
      gateway::RouteTable::Match match;
      if (m == "OPTIONS" ||
          svc.table->find(m, path, match) != gateway::RouteTable::Outcome::matched ||
          !match.route->cors)
        continue;
      auto it = svc.rest_cors.find(match.route->method + " " + match.route->path);
      if (it != svc.rest_cors.end())
        return gateway::rest_preflight_response(it->second, methods, origin);
    }
    return gateway::cors_preflight_response(methods);
  }

  // A private route's x-api-key: one of the service's enabled keys (provider.apiGateway.apiKeys)
  // within its usage plan, or the one key the emulator made when the manifest names none.
  // The refusal is API Gateway's, logged in the route's function's log with the key's name
  // (never its value).
  std::optional<gateway::GatewayResponse> check_api_key(const Service& svc,
                                                        const gateway::RouteSpec& route,
                                                        const HttpRequest& req) {
    const std::string_view given = req.header("x-api-key");
    using Verdict = gateway::ApiKeyGate::Verdict;
    Verdict verdict = Verdict::allowed;
    std::string name;
    if (api_keys.has_keys(svc.name)) {
      auto d = api_keys.admit(svc.name, given, util::now_ms());
      verdict = d.verdict;
      name = std::move(d.key_name);
    } else if (given.empty()) {
      verdict = Verdict::missing;
    } else if (given != svc.api_key) {
      verdict = Verdict::unknown;
    }
    if (verdict == Verdict::allowed) return std::nullopt;
    std::string why;
    gateway::GatewayResponse out = gateway::forbidden_response();
    switch (verdict) {
      case Verdict::missing:
        why = "no x-api-key";
        break;
      case Verdict::unknown:
        why = "an x-api-key that is not one of the service's keys";
        break;
      case Verdict::disabled:
        why = fmt::format("API key '{}' is disabled", name);
        break;
      case Verdict::throttled:
      case Verdict::over_quota:
        out.status = 429;
        out.body = verdict == Verdict::throttled ? R"({"message":"Too Many Requests"})"
                                                 : R"({"message":"Limit Exceeded"})";
        why = fmt::format("API key '{}' is over its usage plan's {}", name,
                          verdict == Verdict::throttled ? "throttle" : "quota");
        break;
      case Verdict::allowed:
        break;
    }
    sink.emit(route.function, "",
              fmt::format("fx gateway: {} {}: private route: {} ({} to the client)", req.method,
                          req.path.substr(0, 200), why, out.status));
    return out;
  }

  // A request on its way: found a route, maybe waiting for its authorizer, then its function.
  struct Pending {
    std::shared_ptr<Responder> r;
    gateway::RouteSpec route;
    gateway::RouteTable::Match match;  // .route points at `route`
    gateway::GatewayRequest request;
    std::string stage;
    std::optional<gateway::HttpApiCors> cors;    // the service's, on an httpApi route
    std::string origin;                          // the request's Origin, for those headers
    std::optional<gateway::RestCors> rest_cors;  // an `http` route's `cors`
  };

  // An answer to the client, with the httpApi CORS headers its origin gets.
  void send(const std::shared_ptr<Pending>& p, gateway::GatewayResponse out) {
    if (p->cors) gateway::add_http_api_cors(*p->cors, p->origin, out);
    p->r->send(to_http(std::move(out)));
  }

  // A gateway line in the route's function's log: every refusal is visible in `fx logs`.
  void log_refusal(const Pending& p, int status, const std::string& why) {
    sink.emit(p.route.function, p.request.request_id,
              fmt::format("fx gateway: {} {}: {} ({} to the client)", p.request.method,
                          p.request.raw_path.substr(0, 200), why, status));
  }

  void refuse(const std::shared_ptr<Pending>& p, gateway::GatewayResponse out,
              const std::string& why) {
    log_refusal(*p, out.status, why);
    // A REST API's own 401/403/500 carry no CORS headers unless a GatewayResponse resource adds
    // them, which only AWS runs; an HTTP API's CORS configuration covers every answer.
    send(p, std::move(out));
  }

  // aws_iam: the request must be signed (SigV4) with the emulator's credentials, now. A
  // refusal is API Gateway's 403 (with why, for the log, in its reason); on success
  // `identity` is the caller, a JSON object.
  std::optional<gateway::GatewayResponse> check_iam(const HttpRequest& req,
                                                    const gateway::RouteSpec& route,
                                                    std::string& identity) {
    const bool rest = gateway::api_kind(route) == manifest::HttpApi::rest;
    auto refuse = [&](const char* type, std::string message, std::string why) {
      gateway::GatewayResponse out;
      out.status = 403;
      out.headers = {{"Content-Type", "application/json"}};
      if (rest) {
        out.headers.emplace_back("x-amzn-ErrorType", type);
        out.body = nlohmann::json{{"message", std::move(message)}}.dump();
      } else {
        out.body = R"({"message":"Forbidden"})";
      }
      out.reason = std::move(why);
      return std::optional<gateway::GatewayResponse>(std::move(out));
    };
    if (!req.header("Authorization").starts_with("AWS4-HMAC-SHA256 "))
      return refuse("MissingAuthenticationTokenException", "Missing Authentication Token",
                    "the request is not signed (SigV4)");
    try {
      if (check_instance_signature(req, credentials, std::chrono::system_clock::now()) !=
          InstanceSignature::valid)
        return refuse("UnrecognizedClientException",
                      "The security token included in the request is invalid.",
                      "signed with a key that is not the emulator's");
    } catch (const aws::ApiError& e) {
      return refuse(e.type() == "UnrecognizedClientException" ? "UnrecognizedClientException"
                                                              : "InvalidSignatureException",
                    e.what(), std::string("the signature does not hold: ") + e.what());
    }
    // The caller: the emulator's functions' own role, as an assumed role's session.
    const std::string arn = "arn:aws:sts::000000000000:assumed-role/fx-emulator/fx";
    identity = nlohmann::json{
        {"accessKey", credentials.access_key_id},
        {"accountId", "000000000000"},
        {"caller", "AROAFXEMULATOR:fx"},
        {"user", "AROAFXEMULATOR:fx"},
        {"userArn",
         arn}}.dump();
    if (!rest)
      identity = nlohmann::json{{"accessKey", credentials.access_key_id},
                                {"accountId", "000000000000"},
                                {"callerId", "AROAFXEMULATOR:fx"},
                                {"userArn", arn},
                                {"userId", "AROAFXEMULATOR:fx"}}
                     .dump();
    return std::nullopt;
  }

  void authorize(const std::shared_ptr<Pending>& p) {
    using Type = manifest::RouteAuthorizer::Type;
    using Outcome = gateway::AuthorizerDecision::Outcome;
    const auto authorizer = p->route.authorizer;  // shared: outlives a redeploy
    const auto& a = *authorizer;
    const auto api = gateway::api_kind(p->route);
    switch (a.type) {
      case Type::closed:
        return refuse(p, gateway::forbidden_response(),
                      fmt::format("route closed: its authorizer '{}' cannot run locally: {}",
                                  a.name, a.reason));
      case Type::jwt:  // checked in handle(), by the route's JWT check
        return forward(p);
      case Type::aws_iam:  // checked in handle(), on the request as it came
      case Type::token:
      case Type::request:
        break;
    }
    auto identity = gateway::identity_of(a, p->request);
    if (!identity) {
      gateway::AuthorizerDecision d;
      d.outcome = Outcome::unauthorized;
      return refuse(p, gateway::refusal_response(api, d),
                    fmt::format("authorizer '{}': the request lacks its identity source ({})",
                                a.name, fmt::join(a.identity_sources, ", ")));
    }
    if (a.type == Type::token && !gateway::token_matches(a, *identity)) {
      gateway::AuthorizerDecision d;
      d.outcome = Outcome::unauthorized;
      return refuse(p, gateway::refusal_response(api, d),
                    fmt::format("authorizer '{}': the token does not match "
                                "identityValidationExpression",
                                a.name));
    }
    std::string arn = gateway::method_arn(a, p->request, p->match, p->stage);
    const bool cached = a.ttl_s > 0;
    std::string key = cached ? gateway::AuthCache::key(a.name, a.function, *identity) : "";
    if (cached) {
      if (auto answer = auth_cache.get(key, util::now_ms()))
        return decided(p, gateway::decide(a, api, *answer, arn, 0));
    }
    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    inv->payload = gateway::authorizer_event(a, p->request, p->match, p->stage, arn);
    const std::int64_t started = util::now_ms();
    inv->done = [this, p, authorizer, api, key = std::move(key), arn = std::move(arn),
                 started](InvocationResult result) {
      const auto& a = *authorizer;
      gateway::AuthorizerDecision d;
      if (result.status != 200) {
        d.outcome = Outcome::error;
        d.reason = fmt::format("the authorizer function {} could not run ({} {})", a.function,
                               result.status, result.error_type);
      } else if (!result.function_error.empty()) {
        d = gateway::failed_authorizer(result.body);
      } else {
        d = gateway::decide(a, api, result.body, arn, static_cast<long>(util::now_ms() - started));
        // A policy is kept whatever it says (it is evaluated again per method); a broken
        // answer is not.
        if (d.outcome != Outcome::error && !key.empty())
          auth_cache.put(key, result.body, a.ttl_s, util::now_ms());
      }
      decided(p, std::move(d));
    };
    pool.invoke(a.function, std::move(inv));
  }

  void decided(const std::shared_ptr<Pending>& p, gateway::AuthorizerDecision d) {
    if (d.outcome == gateway::AuthorizerDecision::Outcome::allow) {
      p->request.authorizer = std::move(d.context);
      return forward(p);
    }
    refuse(p, gateway::refusal_response(gateway::api_kind(p->route), d),
           fmt::format("authorizer '{}': {}", p->route.authorizer->name, d.reason));
  }

  // An `http` route's `cors` on the answers of a non-proxy (`integration: lambda`) route, as
  // the framework's integration responses set Access-Control-Allow-Origin (and -Credentials).
  // A lambda-proxy route's answer is the function's own, as on AWS: the framework's CORS
  // setup only answers the preflight, and the function sends its CORS headers itself.
  void add_rest_cors(const Pending& p, gateway::GatewayResponse& out) {
    if (!p.route.cors || !p.route.integration) return;
    for (auto& [name, value] : out.headers)
      if (util::iequals(name, "Access-Control-Allow-Origin")) return;
    const gateway::RestCors cors = p.rest_cors.value_or(gateway::RestCors{});
    out.headers.emplace_back("Access-Control-Allow-Origin",
                             gateway::rest_allowed_origin(cors, p.origin));
    if (cors.allow_credentials)
      out.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  }

  // The route's function, with the event its payload version calls for.
  void forward(const std::shared_ptr<Pending>& p) {
    const gateway::RouteSpec& route = p->route;
    const auto& r = p->r;
    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    if (route.integration) {
      auto made = gateway::build_lambda_event(*route.integration, p->request, p->match, p->stage);
      if (made.refusal) {
        add_rest_cors(*p, *made.refusal);
        return r->send(to_http(std::move(*made.refusal)));
      }
      inv->payload = std::move(made.event);
    } else {
      inv->payload = gateway::build_event(p->request, p->match, p->stage);
    }
    std::string request_id = inv->request_id;
    inv->done = [this, p, request_id](InvocationResult result) {
      const gateway::RouteSpec& route = p->route;
      gateway::GatewayResponse out;
      if (result.status == 429) {
        out.status = 429;
        out.headers = {{"Content-Type", "application/json"}};
        out.body = R"({"message":"Too Many Requests"})";
      } else if (route.integration && result.status == 200) {
        // Non-proxy: the function's value, or its error, is the body; patterns pick the status.
        out = gateway::map_lambda_result(*route.integration, result.body,
                                         !result.function_error.empty());
      } else if (result.status != 200 || !result.function_error.empty()) {
        // The function's own error is in its log already; the client gets API Gateway's.
        out = gateway::function_error_response(gateway::api_kind(route));
      } else {
        out = gateway::map_result(route, result.body);
        if (!out.reason.empty())
          sink.emit(route.function, request_id,
                    fmt::format("fx gateway: {} {}: {} ({} to the client)", route.method,
                                route.path, out.reason, out.status));
      }
      add_rest_cors(*p, out);
      send(p, std::move(out));
    };
    pool.invoke(pool.event_target(route.function), std::move(inv));
  }
};

GatewayServer::GatewayServer(boost::asio::io_context& io, Pool& pool, LogSink& sink)
    : impl_(std::make_unique<Impl>(io, pool, sink)) {}

GatewayServer::~GatewayServer() = default;

std::uint16_t GatewayServer::listen(const std::string& address, std::uint16_t port) {
  return impl_->server.listen(address, port);
}

void GatewayServer::close() {
  impl_->server.close();
}

std::vector<std::string> GatewayServer::apply(const std::string& service,
                                              const manifest::ServiceEvents& events) {
  auto routes = gateway::routes_from_events(events);
  const std::string http_api = gateway::http_api_document_of(events);
  gateway::attach_authorizers(routes, http_api);
  auto cors = gateway::http_api_cors_of(http_api, routes);
  std::vector<std::string> closed;
  for (const auto& r : routes)
    if (!r.unhonoured_authorizer.empty())
      closed.push_back(fmt::format("{}: {} {} of function '{}' answers 403 locally: {}",
                                   r.mark.str(), r.method, r.path, r.function_key,
                                   r.unhonoured_authorizer));
  auto warnings = set_service(service, std::move(routes), events.stage, events.api_key);
  impl_->api_keys.set(service, events.api_keys);
  warnings.insert(warnings.end(), closed.begin(), closed.end());
  if (!impl_->services.empty() && impl_->services.front().name == service) {
    impl_->services.front().cors = std::move(cors);
    // Each `http` route's `cors`: `true` and an object's missing settings take the
    // framework's defaults (core/gateway/rest_cors.h).
    for (const auto& f : events.functions)
      for (const auto* e : manifest::events_of<manifest::HttpEvent>(f.events))
        if (e->api == manifest::HttpApi::rest && e->cors) {
          auto rest = gateway::rest_cors_of(e->config_json);
          if (!rest) rest = gateway::rest_cors_of(R"({"cors":true})");
          impl_->services.front().rest_cors[e->method + " " + e->path] = std::move(*rest);
        }
  }
  return warnings;
}

std::vector<std::string> GatewayServer::set_service(const std::string& service,
                                                    std::vector<gateway::RouteSpec> routes,
                                                    const std::string& stage,
                                                    const std::string& api_key) {
  std::vector<std::string> warnings;
  if (routes.empty()) {
    drop(service);
    return warnings;
  }
  auto table = std::make_unique<gateway::RouteTable>(routes, stage);
  for (const auto& other : impl_->services) {
    const std::string& name = other.name;
    if (name == service) continue;
    for (const auto& mine : routes) {
      std::string probe = mine.path == "*" ? "/" : mine.path;
      if (mine.api == manifest::HttpApi::rest) probe = "/" + stage + probe;
      gateway::RouteTable::Match m;
      if (mine.method != "ANY" && mine.path.find('{') == std::string::npos &&
          other.table->find(mine.method, probe, m) == gateway::RouteTable::Outcome::matched &&
          m.route->path == mine.path && m.route->method == mine.method)
        warnings.push_back(fmt::format(
            "{} {} is also served by function '{}' of {}; {} (deployed last) answers it now",
            mine.method, mine.path, m.route->function_key, name, service));
    }
  }
  // A catch-all on the shared host answers every request the other service's routes do not
  // (and yields to them): each service is alone at its own host.
  const bool catch_all =
      std::any_of(routes.begin(), routes.end(), [](const auto& r) { return r.path == "*"; });
  for (const auto& other : impl_->services) {
    if (other.name == service || !(catch_all || other.catch_all)) continue;
    const std::string& all = catch_all ? service : other.name;
    warnings.push_back(fmt::format(
        "{} and {} overlap on the shared host ({}'s httpApi '*' answers every path the other "
        "does not serve); each is alone at http://SERVICE-STAGE.localhost:PORT/ "
        "(http://{}.localhost and http://{}.localhost on the gateway's port)",
        service, other.name, all, service, other.name));
  }
  impl_->erase(service);
  impl_->auth_cache.clear();  // its authorizers may have changed
  impl_->services.push_front({service, std::move(table), stage, api_key, {}, catch_all, {}});
  return warnings;
}

void GatewayServer::set_credentials(const InstanceCredentials& credentials) {
  impl_->credentials = credentials;
}

void GatewayServer::set_host_handler(HostHandler handler) {
  impl_->host_handler = std::move(handler);
}

void GatewayServer::drop(const std::string& service) {
  impl_->erase(service);
  impl_->api_keys.drop(service);
}

}  // namespace fx::emulator
