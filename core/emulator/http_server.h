// A small asynchronous HTTP/1.1 server (Boost.Beast underneath, kept out of this header).
// A handler gets the request and a Responder it may answer at once or much later: the
// Runtime API's /next and the Invoke API both hold requests open while an instance works, so
// responses are decoupled from requests. Everything runs on one io_context thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/http_client.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/a/b?x=1", as sent
  std::string path;    // "/a/b", still percent-encoded
  std::string query;   // "x=1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  // The first query parameter of that name, percent-decoded, or "".
  std::string query_param(std::string_view name) const;
  // Every value of a query parameter that may repeat (?tagKeys=a&tagKeys=b), in order.
  std::vector<std::string> query_params(std::string_view name, bool first_only = false) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  HttpResponse& set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static HttpResponse json(int status, std::string body);
};

// Answers one request, once. Safe to call after the client went away (it does nothing).
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void send(HttpResponse response) = 0;
  virtual bool sent() const = 0;
  // Whether the client's connection is still open.
  virtual bool connected() const = 0;
};

using RequestHandler = std::function<void(HttpRequest&, std::shared_ptr<Responder>)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, RequestHandler handler, std::size_t body_limit);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting; port 0 picks a free one. Returns the port. Throws fx::Error
  // when the address is taken or invalid.
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  // Also accepts on a Unix socket at `path` (created here, removed by close()). Throws
  // fx::Error when the path is too long or cannot be bound.
  void listen_unix(const std::string& path);
  // Stops accepting and closes every connection.
  void close();
  // When a client has pipelined its next request behind the one just answered, keep the
  // answer and send it in the same write as the next one's. Only for clients that wait for
  // both before acting (fx's runtime shims post a result and ask for the next event at
  // once): the instance then wakes once per invocation instead of twice.
  void hold_pipelined_answers(bool hold);

  struct Impl;  // public so that the connection code in the .cpp can name it

 private:
  std::shared_ptr<Impl> impl_;
};

using util::url_decode;

}  // namespace fx::emulator
