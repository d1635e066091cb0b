#include "core/emulator/gateway_server.h"

#include <algorithm>
#include <list>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>

#include "core/emulator/http_server.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/gateway/lambda_integration.h"
#include "core/gateway/payload.h"
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
    bool catch_all = false;  // an httpApi '*' route: it answers whatever no other route does
  };
  GatewayServer::HostHandler host_handler;
  // The service deployed last first: it wins a route two services share.
  std::list<Service> services;

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
    // SERVICE-STAGE.localhost is that service's own host, as API Gateway gives each API its
    // own: only its routes answer there. Any other host is the shared one.
    const std::string own = own_service(req.header("Host"));
    for (const Service& svc : services) {
      if (!own.empty() && svc.name != own) continue;
      if (req.method == "OPTIONS" && svc.table->cors_preflight(req.path)) {
        return r->send(
            to_http(gateway::cors_preflight_response(svc.table->allowed_methods(req.path))));
      }
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
    const gateway::RouteSpec route = *match.route;
    if (req.body.size() > kPayloadLimit)
      return r->send(to_http(gateway::payload_too_large_response()));
    if (route.is_private && req.header("x-api-key") != found->api_key)
      return r->send(to_http(gateway::forbidden_response()));

    gateway::GatewayRequest g;
    g.method = req.method;
    g.raw_path = req.path;
    g.raw_query = req.query;
    g.headers = req.headers;
    g.body = std::move(req.body);
    g.source_ip = "127.0.0.1";
    g.time_ms = util::now_ms();
    g.request_id = new_request_id();

    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    if (route.integration) {
      auto made = gateway::build_lambda_event(*route.integration, g, match, found->stage);
      if (made.refusal) {
        if (route.cors) gateway::add_cors_headers(*made.refusal);
        return r->send(to_http(std::move(*made.refusal)));
      }
      inv->payload = std::move(made.event);
    } else {
      inv->payload = gateway::build_event(g, match, found->stage);
    }
    std::string request_id = inv->request_id;
    inv->done = [this, r, route, request_id](InvocationResult result) {
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
      if (route.cors) gateway::add_cors_headers(out);
      r->send(to_http(std::move(out)));
    };
    pool.invoke(route.function, std::move(inv));
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
  return set_service(service, gateway::routes_from_events(events), events.stage, events.api_key);
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
  impl_->services.push_front({service, std::move(table), stage, api_key, catch_all});
  return warnings;
}

void GatewayServer::set_host_handler(HostHandler handler) {
  impl_->host_handler = std::move(handler);
}

void GatewayServer::drop(const std::string& service) {
  impl_->erase(service);
}

}  // namespace fx::emulator
