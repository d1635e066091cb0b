// A small asynchronous HTTP/1.1 server (Boost.Beast underneath, kept out of this header).
// A handler gets the request and a Responder it may answer at once or much later: the
// Runtime API's /next and the Invoke API both hold requests open while an instance works, so
// responses are decoupled from requests. Everything runs on one io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  // Where the body is when HttpServerOptions::spool_body chose a file for it (body is then
  // empty): the handler owns the file from then on, and removes or keeps it.
  std::string body_file;

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
  // A body sent from an open file instead of `body`, a piece at a time (never whole in
  // memory): `length` bytes from `offset` of the descriptor `fd` owns (closed when the last
  // copy goes).
  struct FileBody {
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    FileBody(int f, std::uint64_t off, std::uint64_t len) : fd(f), offset(off), length(len) {}
    ~FileBody();
    FileBody(const FileBody&) = delete;
    FileBody& operator=(const FileBody&) = delete;
  };
  std::shared_ptr<const FileBody> file;
  // The answer to a HEAD: Content-Length is the length of the body (or file) a GET would get,
  // and no body follows.
  bool headers_only = false;

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

// What a server accepts, and how long it waits for what. The defaults suit the Lambda API
// port; a duration of zero means no limit.
struct HttpServerOptions {
  using Millis = std::chrono::milliseconds;

  // The largest request body, unless body_limit_for says otherwise for that request.
  std::size_t body_limit = 6 * 1024 * 1024;
  // Sees a request's head (method, target, path, query, headers; no body yet) and returns its
  // body limit, so that a body over it is refused before it is read.
  std::function<std::size_t(const HttpRequest& head)> body_limit_for;
  // Builds the answer to a body over its limit (sent with "Connection: close"). Unset: Lambda's
  // 413 with x-amzn-ErrorType RequestTooLargeException.
  std::function<HttpResponse(const HttpRequest& head, std::size_t limit)> too_large;
  // Sees a request's head and returns a path to write its body to as it arrives (S3's
  // uploads, up to gigabytes), or "" to keep it in HttpRequest::body. The handler gets the
  // path in HttpRequest::body_file; a request that never reaches it has its file removed.
  std::function<std::string(const HttpRequest& head)> spool_body;

  std::size_t header_limit = 16 * 1024;  // request line and fields, in bytes (else 431)
  std::size_t max_header_fields = 100;   // (else 431)
  std::size_t max_target = 8 * 1024;     // the request target's length (else 414)

  // From a connection's start, or from the first byte of a kept-alive connection's next
  // request, to the end of the request's head (else 408, or a silent close if no byte came).
  Millis header_timeout{10'000};
  // How long a kept-alive connection may wait for its next request. The Runtime API's must
  // have none: an instance may compute for 900 s between two requests on its connection.
  Millis idle_timeout{60'000};
  // A body must have arrived within body_timeout plus one second per body_min_rate bytes
  // received (else 408): slow uploads go on, a trickle does not hold a socket forever.
  Millis body_timeout{10'000};
  std::size_t body_min_rate = 32 * 1024;
  // An answer whose writing makes no progress for that long (the client does not read) is
  // abandoned and the connection closed. Answers a handler holds (long polls) are not
  // timed: only their writing is.
  Millis write_timeout{30'000};
  // After an answer sent with "Connection: close" the sending side is shut and what the
  // client still sends (the rest of a refused upload) is read and dropped, for that long and
  // that many bytes at most, so the client reads the answer instead of a reset.
  Millis linger_timeout{5'000};
  std::size_t linger_limit = 256 * 1024 * 1024;

  // Open connections beyond which the server stops accepting until one closes (0: none).
  std::size_t max_connections = 256;

  // Vets each connection accepted on the TCP port before it is served: an answer it returns
  // is sent (with "Connection: close") instead, and the connection closed. The Runtime API
  // uses it to serve its own instance's processes only.
  std::function<std::optional<HttpResponse>(int fd)> vet_connection;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, RequestHandler handler, HttpServerOptions options);
  // For servers not yet given options: the defaults, with this body limit and no idle
  // timeout (the Runtime API's servers must never close an idle connection).
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
  // Serves a connected stream socket (e.g. one end of a socketpair()) as if it had been
  // accepted; the server owns `fd` from then on. Call it on the io_context's thread.
  void serve(int fd);
  // Stops accepting and closes every connection.
  void close();
  // When a client has pipelined its next request behind the one just answered, keep the
  // answer and send it in the same write as the next one's. Only for clients that wait for
  // both before acting (fx's runtime shims post a result and ask for the next event at
  // once): the instance then wakes once per invocation instead of twice.
  void hold_pipelined_answers(bool hold);

  struct Stats {
    std::uint64_t accept_calls = 0;   // completed accept attempts, failed ones included
    std::uint64_t accept_errors = 0;  // failed ones (e.g. out of file descriptors)
    std::size_t connections = 0;      // open now
  };
  // Counters for status reports and tests; safe to call from any thread.
  Stats stats() const;

  struct Impl;  // public so that the connection code in the .cpp can name it

 private:
  std::shared_ptr<Impl> impl_;
};

using util::url_decode;

}  // namespace fx::emulator
