// The local Application Load Balancer: its own loopback port (the gateway's plus one, or a
// free one), every deployed service's `alb` events as the rules of its listeners, each request
// turned into ALB's Lambda event and the function's result into ALB's HTTP response.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/event_source_kind.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

class Pool;
class LogSink;

class AlbServer : public sources::EventSourceKind {
 public:
  AlbServer(boost::asio::io_context& io, Pool& pool, LogSink& sink);
  ~AlbServer() override;

  // Binds; port 0 picks a free one. Returns the port. Throws fx::Error when taken.
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  void close();

  // Replaces a service's rules by those of its alb events. Throws fx::Error when they are
  // malformed, or when a rule takes a priority another service's rule has on its listener.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
