#include "core/emulator/alb_server.h"

#include <map>
#include <optional>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>

#include "core/emulator/http_server.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/gateway/alb.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace {

// ALB gives a Lambda target at most 1 MB of request body; it reads a little more so that it
// can answer the 413 itself.
constexpr std::size_t kBodyLimit = 1024 * 1024;

HttpResponse to_http(gateway::GatewayResponse g) {
  HttpResponse r;
  r.status = g.status;
  r.headers = std::move(g.headers);
  r.body = std::move(g.body);
  return r;
}

}  // namespace

struct AlbServer::Impl {
  boost::asio::io_context& io;
  Pool& pool;
  LogSink& sink;
  HttpServer server;
  std::string address;            // where listen() bound the shared listener
  std::uint16_t shared_port = 0;  // its port
  std::map<std::string, std::vector<gateway::AlbRule>> rules_by_service;
  // Every service's rules together, by priority: rebuilt when a service changes.
  std::unique_ptr<gateway::AlbTable> table =
      std::make_unique<gateway::AlbTable>(std::vector<gateway::AlbRule>{});
  // custom.fx.albPort: a service's own listener, which serves that service's rules alone.
  struct OwnListener {
    std::string service;
    std::unique_ptr<HttpServer> server;
    std::shared_ptr<gateway::AlbTable> table;
  };
  std::map<std::uint16_t, OwnListener> own_listeners;

  Impl(boost::asio::io_context& io, Pool& pool, LogSink& sink)
      : io(io), pool(pool), sink(sink), server(io, handler_for(nullptr), options()) {}

  // Requests to the shared listener (own == nullptr) find every service's rules; those to a
  // service's own listener, its rules only.
  RequestHandler handler_for(const std::uint16_t* own_port) {
    const std::uint16_t port = own_port ? *own_port : 0;
    return [this, port](HttpRequest& req, std::shared_ptr<Responder> r) {
      try {
        if (port == 0) return handle(req, r, *table);
        auto it = own_listeners.find(port);
        if (it == own_listeners.end() || !it->second.table)
          return r->send(to_http(gateway::alb_not_found_response()));
        auto own = it->second.table;  // kept alive while this request looks it up
        handle(req, r, *own);
      } catch (const std::exception& e) {
        fmt::print(stderr, "fx alb: internal error (a bug in fx): {} {}: {}\n", req.method,
                   req.path.substr(0, 200), e.what());
        if (!r->sent()) r->send(to_http(gateway::alb_error_response(500)));
      }
    };
  }

  // The service's own listener on `port` (0: none): opened, moved or closed. Throws fx::Error
  // when the port is the shared listener's, another service's, or taken.
  void own_listener(const std::string& service, int port,
                    const std::vector<gateway::AlbRule>& rules) {
    std::optional<std::uint16_t> had;
    for (auto& [p, l] : own_listeners)
      if (l.service == service) had = p;
    if (port > 0) {
      const auto wanted = static_cast<std::uint16_t>(port);
      if (wanted == shared_port)
        throw Error(fmt::format("custom.fx.albPort {} is the emulator's shared ALB port", port),
                    "pick another port for the service's ALB listener");
      if (auto it = own_listeners.find(wanted);
          it != own_listeners.end() && it->second.service != service)
        throw Error(fmt::format("custom.fx.albPort {} is the ALB port of service {} already", port,
                                it->second.service),
                    "give each service a port of its own");
      if (!own_listeners.contains(wanted)) {
        auto server = std::make_unique<HttpServer>(io, handler_for(&wanted), options());
        try {
          server->listen(address.empty() ? "127.0.0.1" : address, wanted);
        } catch (const Error& e) {
          throw Error(fmt::format("custom.fx.albPort {}: cannot listen there: {}", port, e.what()),
                      "pick a free port (another process has this one)");
        }
        own_listeners[wanted] = {service, std::move(server), nullptr};
      }
      own_listeners[wanted].table = std::make_shared<gateway::AlbTable>(rules);
      if (had && *had != wanted) close_own(*had);
    } else if (had) {
      close_own(*had);
    }
  }

  void close_own(std::uint16_t port) {
    auto it = own_listeners.find(port);
    if (it == own_listeners.end()) return;
    it->second.server->close();
    // Destroyed later: a request of this listener may be on the stack.
    boost::asio::post(io, [server = std::shared_ptr<HttpServer>(std::move(it->second.server))] {});
    own_listeners.erase(it);
  }

  static HttpServerOptions options() {
    HttpServerOptions o;
    o.body_limit = kBodyLimit;
    // ALB takes 64 KB of request line and headers together.
    o.header_limit = 64 * 1024;
    o.too_large = [](const HttpRequest&, std::size_t) {
      return to_http(gateway::alb_error_response(413));
    };
    return o;
  }

  void rebuild() {
    std::vector<gateway::AlbRule> all;
    for (const auto& [name, rules] : rules_by_service)
      all.insert(all.end(), rules.begin(), rules.end());
    table = std::make_unique<gateway::AlbTable>(std::move(all));
  }

  void handle(HttpRequest& req, const std::shared_ptr<Responder>& r,
              const gateway::AlbTable& rules) {
    gateway::GatewayRequest g;
    g.method = req.method;
    g.raw_path = req.path;
    g.raw_query = req.query;
    g.headers = req.headers;
    g.body = std::move(req.body);
    g.source_ip = "127.0.0.1";
    g.time_ms = util::now_ms();
    const gateway::AlbRule* found = rules.find(g);
    if (!found) return r->send(to_http(gateway::alb_not_found_response()));
    const gateway::AlbRule rule = *found;  // the table may change before the function answers

    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    inv->payload = gateway::build_alb_event(rule, g);
    std::string request_id = inv->request_id;
    inv->done = [this, r, rule, request_id](InvocationResult result) {
      gateway::GatewayResponse out;
      if (result.status == 429) {
        out = gateway::alb_error_response(503);
      } else if (result.status != 200 || !result.function_error.empty()) {
        // The function's error is in its log; ALB answers a failed target with 502.
        out = gateway::alb_error_response(502);
      } else {
        out = gateway::map_alb_result(rule, result.body);
        if (!out.reason.empty())
          sink.emit(rule.function, request_id,
                    fmt::format("fx alb: rule {} of {}: {} ({} to the client)", rule.priority,
                                rule.listener, out.reason, out.status));
      }
      r->send(to_http(std::move(out)));
    };
    pool.invoke(pool.event_target(rule.function), std::move(inv));
  }
};

AlbServer::AlbServer(boost::asio::io_context& io, Pool& pool, LogSink& sink)
    : impl_(std::make_unique<Impl>(io, pool, sink)) {}

AlbServer::~AlbServer() = default;

std::uint16_t AlbServer::listen(const std::string& address, std::uint16_t port) {
  impl_->shared_port = impl_->server.listen(address, port);
  impl_->address = address;
  return impl_->shared_port;
}

void AlbServer::close() {
  impl_->server.close();
  for (auto& [port, l] : impl_->own_listeners) l.server->close();
}

std::vector<std::string> AlbServer::apply(const std::string& service,
                                          const manifest::ServiceEvents& events) {
  auto rules = gateway::alb_rules_from_events(events, service);
  // Checked with every other service's rules before anything changes.
  std::vector<gateway::AlbRule> all = rules;
  for (const auto& [name, others] : impl_->rules_by_service)
    if (name != service) all.insert(all.end(), others.begin(), others.end());
  auto table = std::make_unique<gateway::AlbTable>(std::move(all));
  impl_->own_listener(service, events.alb_port, rules);
  if (rules.empty())
    impl_->rules_by_service.erase(service);
  else
    impl_->rules_by_service[service] = std::move(rules);
  impl_->table = std::move(table);
  return {};
}

void AlbServer::drop(const std::string& service) {
  impl_->own_listener(service, 0, {});
  impl_->rules_by_service.erase(service);
  impl_->rebuild();
}

}  // namespace fx::emulator
