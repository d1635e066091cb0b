#include "core/emulator/alb_server.h"

#include <map>
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
  Pool& pool;
  LogSink& sink;
  HttpServer server;
  std::map<std::string, std::vector<gateway::AlbRule>> rules_by_service;
  // Every service's rules together, by priority: rebuilt when a service changes.
  std::unique_ptr<gateway::AlbTable> table =
      std::make_unique<gateway::AlbTable>(std::vector<gateway::AlbRule>{});

  Impl(boost::asio::io_context& io, Pool& pool, LogSink& sink)
      : pool(pool),
        sink(sink),
        server(
            io,
            [this](HttpRequest& req, std::shared_ptr<Responder> r) {
              try {
                handle(req, r);
              } catch (const std::exception& e) {
                fmt::print(stderr, "fx alb: internal error (a bug in fx): {} {}: {}\n", req.method,
                           req.path.substr(0, 200), e.what());
                if (!r->sent()) r->send(to_http(gateway::alb_error_response(500)));
              }
            },
            options()) {}

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

  void handle(HttpRequest& req, const std::shared_ptr<Responder>& r) {
    gateway::GatewayRequest g;
    g.method = req.method;
    g.raw_path = req.path;
    g.raw_query = req.query;
    g.headers = req.headers;
    g.body = std::move(req.body);
    g.source_ip = "127.0.0.1";
    g.time_ms = util::now_ms();
    const gateway::AlbRule* found = table->find(g);
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
  return impl_->server.listen(address, port);
}

void AlbServer::close() {
  impl_->server.close();
}

std::vector<std::string> AlbServer::apply(const std::string& service,
                                          const manifest::ServiceEvents& events) {
  auto rules = gateway::alb_rules_from_events(events, service);
  // Checked with every other service's rules before anything changes.
  std::vector<gateway::AlbRule> all = rules;
  for (const auto& [name, others] : impl_->rules_by_service)
    if (name != service) all.insert(all.end(), others.begin(), others.end());
  auto table = std::make_unique<gateway::AlbTable>(std::move(all));
  if (rules.empty())
    impl_->rules_by_service.erase(service);
  else
    impl_->rules_by_service[service] = std::move(rules);
  impl_->table = std::move(table);
  return {};
}

void AlbServer::drop(const std::string& service) {
  impl_->rules_by_service.erase(service);
  impl_->rebuild();
}

}  // namespace fx::emulator
