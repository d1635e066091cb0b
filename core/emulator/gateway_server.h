// The local HTTP API gateway: its own loopback port, every deployed service's `http` and
// `httpApi` routes, each request turned into the event its route's payload version calls
// for and the function's result turned back into an HTTP response, as API Gateway does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/event_source_kind.h"

namespace boost::asio {
class io_context;
}

namespace fx::gateway {
struct RouteSpec;
}

namespace fx::emulator {

class Pool;
class LogSink;
struct InstanceCredentials;
struct HttpRequest;
class Responder;

class GatewayServer : public sources::EventSourceKind {
 public:
  GatewayServer(boost::asio::io_context& io, Pool& pool, LogSink& sink);
  ~GatewayServer() override;

  // Binds; port 0 picks a free one. Returns the port. Throws fx::Error when taken.
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  void close();

  // Replaces a service's routes by those of its http and httpApi events. Throws fx::Error
  // when they are malformed. A route another service also serves goes to the service
  // deployed last (API Gateway would keep them apart by host name; one local port cannot):
  // the returned warnings name both.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

  // What `aws_iam` routes verify a request's SigV4 against: the emulator's own credentials
  // (those its functions run with; FX_HOME/instance-credentials).
  void set_credentials(const InstanceCredentials& credentials);
  // Asked first for every request: true when it answered it (function URLs' host names).
  using HostHandler = std::function<bool(HttpRequest&, const std::shared_ptr<Responder>&)>;
  void set_host_handler(HostHandler handler);

  // apply() with the routes themselves.
  std::vector<std::string> set_service(const std::string& service,
                                       std::vector<gateway::RouteSpec> routes,
                                       const std::string& stage, const std::string& api_key);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
