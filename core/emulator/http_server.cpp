#include "core/emulator/http_server.h"

#include <utility>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <type_traits>

#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::emulator {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

namespace {}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (util::iequals(k, name)) return v;
  return {};
}

std::vector<std::string> HttpRequest::query_params(std::string_view name, bool first_only) const {
  std::vector<std::string> out;
  std::string_view q = query;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq), true) == name) {
      out.push_back(eq == std::string_view::npos ? "" : url_decode(pair.substr(eq + 1), true));
      if (first_only) break;
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string HttpRequest::query_param(std::string_view name) const {
  auto values = query_params(name, true);
  return values.empty() ? std::string() : std::move(values.front());
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.set("Content-Type", "application/json");
  return r;
}

// One connection, whatever carries it (TCP, or a Unix socket for fx's own runtime shims).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
  virtual bool open() const = 0;
  virtual void respond(HttpResponse response, bool keep_alive) = 0;
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& io;
  RequestHandler handler;
  std::size_t body_limit;
  tcp::acceptor acceptor;
  std::optional<local::acceptor> local_acceptor;
  std::string local_path;  // the Unix socket's file, removed at close
  std::set<std::shared_ptr<SessionBase>> sessions;
  bool closed = false;
  bool hold_pipelined = false;

  Impl(asio::io_context& ctx, RequestHandler h, std::size_t limit)
      : io(ctx), handler(std::move(h)), body_limit(limit), acceptor(ctx) {}
  // Accepts connections on `a` (the TCP acceptor or the Unix one) until closed.
  template <class Protocol>
  void accept(typename Protocol::acceptor& a);
};

template <class Protocol>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  Session(typename Protocol::socket socket, std::weak_ptr<HttpServer::Impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {}

  void start() { read_header(); }
  void close() override {
    beast::error_code ec;
    stream_.socket().shutdown(asio::socket_base::shutdown_both, ec);
    stream_.socket().close(ec);
    open_ = false;
  }
  bool open() const override { return open_; }
  void respond(HttpResponse response, bool keep_alive) override;

 private:
  using std::enable_shared_from_this<Session<Protocol>>::shared_from_this;
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_request(beast::error_code ec);
  void finish();
  // Whether the next request's head is already in the buffer (the client pipelined it).
  bool next_request_buffered() const;

  beast::basic_stream<Protocol> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::weak_ptr<HttpServer::Impl> server_;
  std::string held_;  // answers kept back for the next write (hold_pipelined_answers)
  bool open_ = true;
};

class SessionResponder : public Responder {
 public:
  SessionResponder(std::shared_ptr<SessionBase> s, bool keep_alive)
      : session_(std::move(s)), keep_alive_(keep_alive) {}
  ~SessionResponder() override {
    // A handler that forgot to answer must not leave the client hanging forever.
    if (!sent_)
      send(HttpResponse::json(500,
                              R"({"errorType":"ServiceException","errorMessage":"no response"})"));
  }
  void send(HttpResponse response) override {
    if (sent_) return;
    sent_ = true;
    if (session_->open()) session_->respond(std::move(response), keep_alive_);
  }
  bool sent() const override { return sent_; }
  bool connected() const override { return session_->open(); }

 private:
  std::shared_ptr<SessionBase> session_;
  bool keep_alive_;
  bool sent_ = false;
};

template <class Protocol>
void Session<Protocol>::read_header() {
  parser_.emplace();
  if (auto server = server_.lock()) parser_->body_limit(server->body_limit);
  parser_->header_limit(64 * 1024);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

template <class Protocol>
void Session<Protocol>::on_header(beast::error_code ec) {
  if (ec) return finish();
  // curl and some SDKs wait for "100 Continue" before sending a large body.
  auto expect = parser_->get()[http::field::expect];
  if (util::iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
    // Behind any held answer: responses leave in the order their requests came.
    auto out = std::make_shared<std::string>(std::move(held_));
    held_.clear();
    *out += "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(*out),
                      [self = shared_from_this(), out](beast::error_code ec2, std::size_t) {
                        if (ec2) return self->finish();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

template <class Protocol>
void Session<Protocol>::read_body() {
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_request(ec); });
}

template <class Protocol>
void Session<Protocol>::on_request(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    auto r = HttpResponse::json(
        413, R"({"Type":"User","message":"Request must be smaller than the limit"})");
    r.set("x-amzn-ErrorType", "RequestTooLargeException");
    respond(std::move(r), false);
    return;
  }
  if (ec) return finish();
  auto server = server_.lock();
  if (!server) return finish();
  auto& msg = parser_->get();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  for (const auto& field : msg.base())
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  auto responder = std::make_shared<SessionResponder>(shared_from_this(), msg.keep_alive());
  server->handler(req, std::move(responder));
}

namespace {

// The whole answer in one buffer: one copy into the socket instead of Beast's gather list of
// a dozen pieces per header block.
void serialize(std::string& out, const HttpResponse& response, bool keep_alive) {
  auto status = static_cast<unsigned>(response.status);
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", status,
                 std::string_view(reason.data(), reason.size()));
  for (const auto& [k, v] : response.headers) {
    // The length is the body's, whatever a handler's headers claim (as prepare_payload did).
    if (util::iequals(k, "Content-Length") || util::iequals(k, "Transfer-Encoding")) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  // No body and no length for 1xx, 204 and 304 (RFC 9110 8.6).
  bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless)
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", response.body.size());
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodiless) out += response.body;
}

}  // namespace

template <class Protocol>
bool Session<Protocol>::next_request_buffered() const {
  auto data = buffer_.data();
  std::string_view text(static_cast<const char*>(data.data()), data.size());
  return text.find("\r\n\r\n") != std::string_view::npos;
}

template <class Protocol>
void Session<Protocol>::respond(HttpResponse response, bool keep_alive) {
  auto out = std::make_shared<std::string>(std::move(held_));
  held_.clear();
  serialize(*out, response, keep_alive);
  auto server = server_.lock();
  if (keep_alive && server && server->hold_pipelined && next_request_buffered()) {
    held_ = std::move(*out);
    read_header();
    return;
  }
  asio::async_write(
      stream_, asio::buffer(*out),
      [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
        if (ec || !keep_alive) return self->finish();
        self->read_header();
      });
}

template <class Protocol>
void Session<Protocol>::finish() {
  close();
  if (auto server = server_.lock()) server->sessions.erase(shared_from_this());
}

template <class Protocol>
void HttpServer::Impl::accept(typename Protocol::acceptor& a) {
  a.async_accept(
      io, [self = shared_from_this(), &a](beast::error_code ec, typename Protocol::socket socket) {
        if (self->closed) return;
        if (!ec) {
          if constexpr (std::is_same_v<Protocol, tcp>) socket.set_option(tcp::no_delay(true), ec);
          auto session = std::make_shared<Session<Protocol>>(std::move(socket), self);
          self->sessions.insert(session);
          session->start();
        }
        self->accept<Protocol>(a);
      });
}

HttpServer::HttpServer(asio::io_context& io, RequestHandler handler, std::size_t body_limit)
    : impl_(std::make_shared<Impl>(io, std::move(handler), body_limit)) {}

HttpServer::~HttpServer() {
  close();
}

std::uint16_t HttpServer::listen(const std::string& address, std::uint16_t port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec)
    throw Error(fmt::format("'{}' is not an IP address", address),
                "pass an address such as 127.0.0.1 or 0.0.0.0");
  tcp::endpoint endpoint(addr, port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string why = ec.message();  // before close() overwrites ec
    bool in_use = ec == boost::asio::error::address_in_use;
    a.close(ec);
    throw Error(fmt::format("cannot listen on {}:{}: {}", address, port, why),
                in_use ? "another program holds that port: stop it, or start the emulator on a "
                         "free one with `fx emulator start --port 0` (later commands find it)"
                       : "");
  }
  ::fcntl(a.native_handle(), F_SETFD, FD_CLOEXEC);
  impl_->accept<tcp>(a);
  return a.local_endpoint().port();
}

void HttpServer::listen_unix(const std::string& path) {
  // (Not Linux's abstract namespace: Node's net module cannot connect to one.)
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    throw Error(fmt::format("the Unix socket path {} is too long", path));
  ::unlink(path.c_str());
  local::endpoint endpoint(path);
  auto& a = impl_->local_acceptor.emplace(impl_->io);
  impl_->local_path = path;
  beast::error_code ec;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string why = ec.message();
    a.close(ec);
    impl_->local_acceptor.reset();
    impl_->local_path.clear();
    throw Error(fmt::format("cannot listen on the Unix socket {}: {}", path, why));
  }
  ::fcntl(a.native_handle(), F_SETFD, FD_CLOEXEC);
  impl_->accept<local>(a);
}

void HttpServer::hold_pipelined_answers(bool hold) {
  impl_->hold_pipelined = hold;
}

void HttpServer::close() {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  if (impl_->local_acceptor) impl_->local_acceptor->close(ec);
  if (!impl_->local_path.empty()) ::unlink(impl_->local_path.c_str());
  auto sessions = std::move(impl_->sessions);
  for (auto& s : sessions) s->close();
}

}  // namespace fx::emulator
