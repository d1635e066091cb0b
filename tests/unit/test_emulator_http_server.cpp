// The emulator's HTTP server through real loopback and Unix sockets: how answers are written,
// holding an answer while the client has already pipelined its next request, and what it
// does with hostile or careless clients (limits, malformed requests, timeouts, too many
// connections, no file descriptors left).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/emulator/http_server.h"
#include "tests/unit/temp_dir.h"

using fx::emulator::HttpRequest;
using fx::emulator::HttpResponse;
using fx::emulator::HttpServer;
using fx::emulator::HttpServerOptions;
using fx::emulator::Responder;
using namespace std::chrono_literals;

namespace {

// A server on its own I/O thread. "/slow" is answered only when the test calls answer_slow();
// "/echo" with the request's body; "/big?n=N" with N bytes; "/inject" with headers that
// would break the answer; every other path at once, with the path as the body.
class TestServer {
 public:
  // With the constructor the emulator used before options: Lambda's defaults, a 1 MB body
  // limit and no idle timeout.
  explicit TestServer(bool hold) : server_(io_, handler(), 1 << 20) { start(hold); }
  explicit TestServer(HttpServerOptions options) : server_(io_, handler(), std::move(options)) {
    start(false);
  }
  ~TestServer() {
    boost::asio::post(io_, [this] {
      slow_.reset();
      server_.close();
      io_.stop();
    });
    thread_.join();
  }
  void answer_slow() {
    boost::asio::post(io_, [this] {
      if (slow_) slow_->send(HttpResponse::json(200, "slow"));
      slow_.reset();
    });
  }

  // Serves one end of a socketpair, on the server's thread.
  void serve(int fd) {
    boost::asio::post(io_, [this, fd] { server_.serve(fd); });
  }
  HttpServer::Stats stats() const { return server_.stats(); }

  std::uint16_t port = 0;
  std::atomic<bool> slow_seen{false};
  std::atomic<bool> reentered{false};

 private:
  void start(bool hold) {
    server_.hold_pipelined_answers(hold);
    port = server_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  fx::emulator::RequestHandler handler() {
    return [this](HttpRequest& req, std::shared_ptr<Responder> r) {
      // The next request must not reach the handler from within this one's send().
      struct Depth {
        TestServer& s;
        explicit Depth(TestServer& server) : s(server) {
          if (++s.depth_ > 1) s.reentered = true;
        }
        ~Depth() { --s.depth_; }
      } depth(*this);
      if (req.path == "/slow") {
        slow_ = std::move(r);
        slow_seen = true;
        return;
      }
      if (req.path == "/echo") return r->send(HttpResponse::json(200, req.body));
      if (req.path == "/spool") {
        // The body as the server wrote it to a file (spool_body), sent back from that file.
        HttpResponse res;
        res.set("X-Spooled", req.body_file.empty() ? "no" : "yes");
        res.set("X-Body-Bytes", std::to_string(req.body.size()));
        if (!req.body_file.empty()) {
          int fd = ::open(req.body_file.c_str(), O_RDONLY | O_CLOEXEC);
          ::unlink(req.body_file.c_str());
          auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
          std::uint64_t offset = std::min<std::uint64_t>(size, 3);
          res.file = std::make_shared<HttpResponse::FileBody>(fd, offset, size - offset);
          res.headers_only = req.header("X-Head") == "1";
        }
        return r->send(std::move(res));
      }
      if (req.path == "/big") {
        HttpResponse res;
        res.body.assign(std::stoul(req.query_param("n")), 'x');
        return r->send(std::move(res));
      }
      if (req.path == "/inject") {
        HttpResponse res;
        res.body = "ok";
        res.set("X-Good", "1");
        res.set("X-Split", "a\r\nSet-Cookie: evil=1");
        res.set("X-LF", "a\nb");
        res.set("X-Nul", std::string("a\0b", 3));
        res.set("Bad Name", "x");
        res.set("", "x");
        res.set("X-Colon:", "x");
        res.set("X-Good-Too", "b\tc");
        return r->send(std::move(res));
      }
      HttpResponse res;
      res.status = req.path == "/empty" ? 204 : 202;
      if (req.path != "/empty") res.body = req.path;
      res.set("Content-Length", "999");  // a wrong length from a handler is not sent
      r->send(std::move(res));
    };
  }

  boost::asio::io_context io_;
  int depth_ = 0;  // handler calls under way
  HttpServer server_;
  std::shared_ptr<Responder> slow_;
  std::thread thread_;
};

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

void send_all(int fd, const std::string& data) {
  REQUIRE(::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size()));
}

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Reads until at least `min_bytes` have come, the peer closes, or 5 s pass without data.
std::string read_answers(int fd, std::size_t min_bytes) {
  std::string got;
  char buf[4096];
  while (got.size() < min_bytes && readable(fd, 5000)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// Everything until the server closes the connection (or `quiet` passes without a byte).
std::string read_until_close(int fd, int quiet_ms = 5000) {
  std::string got;
  char buf[65536];
  while (readable(fd, quiet_ms)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// Whether the server has closed the connection: readable, with nothing left to read.
bool closed_by_server(int fd, int timeout_ms) {
  char c;
  return readable(fd, timeout_ms) && ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// One request on a new connection; everything the server sends back before it closes.
std::string round_trip(std::uint16_t port, const std::string& request) {
  int fd = connect_to(port);
  send_all(fd, request);
  std::string got = read_until_close(fd);
  ::close(fd);
  return got;
}

// An answer the server itself makes: JSON {"message"} and "Connection: close".
std::string refusal(const std::string& status, const std::string& message) {
  std::string body = R"({"message":")" + message + "\"}";
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

std::string lambda_413(std::size_t limit) {
  std::string body = R"({"Type":"User","message":"Request must be smaller than )" +
                     std::to_string(limit) + R"( bytes"})";
  return "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
         "x-amzn-ErrorType: RequestTooLargeException\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// Short timeouts, so that tests see them pass.
HttpServerOptions quick() {
  HttpServerOptions o;
  o.header_timeout = o.idle_timeout = o.body_timeout = o.write_timeout = o.linger_timeout = 300ms;
  o.body_min_rate = 1000;
  return o;
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = 5s) {
  auto end = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

const std::string kPost = "POST /done HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok";
const std::string kNext = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kDoneAnswer = "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\n/done";
const std::string kSlowAnswer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nslow";

void wait_for_slow(TestServer& server) {
  for (int i = 0; i < 500 && !server.slow_seen; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(server.slow_seen);
}

}  // namespace

TEST_CASE("http server: one answer is one well-formed message with the body's length") {
  TestServer server(false);
  int fd = connect_to(server.port);
  send_all(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string a = read_answers(fd, 1);
  CHECK(a == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/a");
  // 204 has neither a body nor a length; a client's "close" is answered with one.
  send_all(fd, "GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string b = read_answers(fd, 1);
  CHECK(b == "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  ::close(fd);
}

TEST_CASE("http server: a pipelined request's answer holds back the one before it") {
  TestServer server(true);
  int fd = connect_to(server.port);
  send_all(fd, kPost + kNext);
  wait_for_slow(server);
  // /done was answered before /slow reached the handler, yet nothing has been sent: the 202
  // waits for the answer to /slow, and both leave in one write, in order.
  CHECK_FALSE(readable(fd, 200));
  server.answer_slow();
  std::string got = read_answers(fd, kDoneAnswer.size() + kSlowAnswer.size());
  CHECK(got == kDoneAnswer + kSlowAnswer);
  CHECK_FALSE(server.reentered);
  ::close(fd);
}

TEST_CASE("http server: without a pipelined request, or without holding, an answer goes at once") {
  SECTION("holding, but the client waits for each answer") {
    TestServer server(true);
    int fd = connect_to(server.port);
    send_all(fd, kPost);
    CHECK(read_answers(fd, kDoneAnswer.size()) == kDoneAnswer);
    send_all(fd, kNext);
    wait_for_slow(server);
    server.answer_slow();
    CHECK(read_answers(fd, kSlowAnswer.size()) == kSlowAnswer);
    ::close(fd);
  }
  SECTION("pipelined, but the server does not hold") {
    TestServer server(false);
    int fd = connect_to(server.port);
    send_all(fd, kPost + kNext);
    wait_for_slow(server);
    CHECK(read_answers(fd, kDoneAnswer.size()) == kDoneAnswer);
    server.answer_slow();
    CHECK(read_answers(fd, kSlowAnswer.size()) == kSlowAnswer);
    ::close(fd);
  }
}

TEST_CASE("http server: a kept-alive connection serves request after request", "[http_server]") {
  // (Also the loop to measure the server's cost per request with callgrind.)
  TestServer server(false);
  int fd = connect_to(server.port);
  const std::string answer = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/k";
  int answered = 0;
  for (int i = 0; i < 2000; ++i) {
    send_all(fd, "GET /k HTTP/1.1\r\nHost: x\r\nUser-Agent: test\r\n\r\n");
    if (read_answers(fd, answer.size()) == answer) ++answered;
  }
  CHECK(answered == 2000);
  ::close(fd);
}

TEST_CASE("http server: holding, a client pipelining many requests gets every answer in order",
          "[http_server]") {
  TestServer server(true);
  int fd = connect_to(server.port);
  std::string requests, answers;
  for (int i = 0; i < 3000; ++i) {
    std::string path = "/" + std::to_string(i);
    requests += "GET " + path + " HTTP/1.1\r\n\r\n";
    answers += "HTTP/1.1 202 Accepted\r\nContent-Length: " + std::to_string(path.size()) +
               "\r\n\r\n" + path;
  }
  std::thread writer([&] {  // (no REQUIRE off the main thread)
    for (std::size_t sent = 0; sent < requests.size();) {
      ssize_t n = ::send(fd, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  });
  CHECK(read_answers(fd, answers.size()) == answers);
  writer.join();
  CHECK_FALSE(server.reentered);
  ::close(fd);
}

// --- body limits ---------------------------------------------------------------------------

TEST_CASE("http server: a Content-Length over the limit is answered 413 before the body",
          "[http_server]") {
  TestServer server(false);  // 1 MB limit
  int fd = connect_to(server.port);
  // No body sent: the answer cannot have waited for it. And no "100 Continue" first.
  send_all(
      fd, "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n");
  CHECK(read_until_close(fd) == lambda_413(1 << 20));
  ::close(fd);
  // The limit itself is allowed.
  std::string body(1 << 20, 'b');
  std::string got = round_trip(server.port,
                               "POST /echo HTTP/1.1\r\nContent-Length: 1048576\r\n"
                               "Connection: close\r\n\r\n" +
                                   body);
  CHECK(got.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(got.ends_with(body));
}

TEST_CASE("http server: a client sending a 100 MB body anyway reads the 413", "[http_server]") {
  TestServer server(false);
  int fd = connect_to(server.port);
  std::size_t total = 100u << 20;
  send_all(fd,
           "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n");
  // Like Python's http.client: the whole body first, the answer after. The server drops what
  // comes after its answer instead of closing under it (which would reset the connection).
  std::vector<char> chunk(1 << 20, 'z');
  std::size_t sent = 0;
  while (sent < total) {
    ssize_t n = ::send(fd, chunk.data(), std::min(chunk.size(), total - sent), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  CHECK(sent == total);
  CHECK(read_until_close(fd) == lambda_413(1 << 20));
  ::close(fd);
  CHECK(round_trip(server.port, "GET /after HTTP/1.1\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 202 Accepted\r\n"));
}

TEST_CASE("http server: each request's body limit and 413 come from its head", "[http_server]") {
  HttpServerOptions o;
  o.body_limit_for = [](const HttpRequest& head) -> std::size_t {
    return head.path == "/small" && head.header("X-Big").empty() ? 10 : 1000;
  };
  o.too_large = [](const HttpRequest& head, std::size_t limit) {
    auto r = HttpResponse::json(413, R"({"message":"Request Entity Too Large"})");
    r.set("X-Limit", std::to_string(limit) + " " + head.method);
    return r;
  };
  TestServer server(std::move(o));
  std::string gateway_413 =
      "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nX-Limit: 10 PUT\r\n"
      "Content-Length: 38\r\nConnection: close\r\n\r\n{\"message\":\"Request Entity Too Large\"}";
  CHECK(round_trip(server.port, "PUT /small HTTP/1.1\r\nContent-Length: 11\r\n\r\n0123456789a") ==
        gateway_413);
  CHECK(round_trip(server.port,
                   "PUT /small HTTP/1.1\r\nX-Big: 1\r\nContent-Length: 11\r\nConnection: close\r\n"
                   "\r\n0123456789a")
            .starts_with("HTTP/1.1 202 Accepted\r\n"));
  CHECK(
      round_trip(server.port,
                 "PUT /echo HTTP/1.1\r\nContent-Length: 11\r\nConnection: close\r\n\r\n0123456789a")
          .ends_with("\r\n\r\n0123456789a"));
}

TEST_CASE("http server: a chunked body is cut once it passes the limit", "[http_server]") {
  HttpServerOptions o;
  o.body_limit = 100;
  TestServer server(std::move(o));
  std::string chunk = "40\r\n" + std::string(64, 'c') + "\r\n";
  int fd = connect_to(server.port);
  send_all(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
  // The second chunk passes 100 bytes: answered without waiting for the body's end.
  CHECK(read_until_close(fd) == lambda_413(100));
  ::close(fd);
  std::string got = round_trip(server.port,
                               "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n" +
                                   chunk + "0\r\n\r\n");
  CHECK(got.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(got.ends_with("\r\n\r\n" + std::string(64, 'c')));
}

// --- malformed requests --------------------------------------------------------------------

TEST_CASE("http server: a malformed request is answered 400 saying what", "[http_server]") {
  TestServer server(false);
  struct Case {
    std::string request, message;
  };
  const std::string kPath = "the request target must be a path starting with '/'";
  std::vector<Case> cases = {
      {"GARBAGE\r\n\r\n", "invalid method in the request line"},
      {"G(T / HTTP/1.1\r\n\r\n", "invalid method in the request line"},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "invalid method in the request line"},
      {"GET / HTTP/2.0\r\n\r\n", "invalid request line (expected METHOD /path HTTP/1.1)"},
      {"GET /\r\n\r\n", "invalid request target in the request line"},
      {"GET / HTTP/1.1\nHost: x\n\n", "invalid request line (expected METHOD /path HTTP/1.1)"},
      {std::string("GET /a\0b HTTP/1.1\r\n\r\n", 21), "invalid request target in the request line"},
      {"GET http://x/ HTTP/1.1\r\n\r\n", kPath},
      {"GET * HTTP/1.1\r\n\r\n", kPath},
      {"GET a/b HTTP/1.1\r\n\r\n", kPath},
      {"GET / HTTP/1.1\r\nHost x\r\n\r\n", "invalid header field name"},
      {"GET / HTTP/1.1\r\nBad Name: v\r\n\r\n", "invalid header field name"},
      {std::string("GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n", 28),
       "invalid character in a header field value"},
      {"GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n",
       "obsolete line folding in the header fields (a line starts with a space)"},
      {"GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n",
       "obsolete line folding in the header fields (a line starts with a space)"},
      {"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "invalid Content-Length"},
      {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       "invalid Content-Length"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       "invalid chunk in the chunked body"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
       "invalid chunk in the chunked body"},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
       "invalid chunk in the chunked body"},
  };
  for (const auto& c : cases) {
    INFO(c.request);
    CHECK(round_trip(server.port, c.request) == refusal("400 Bad Request", c.message));
  }
  // Percent-encoding is the handlers' business, not the server's.
  CHECK(round_trip(server.port, "GET /a%zz%4 HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 202 Accepted\r\nContent-Length: 7\r\nConnection: close\r\n\r\n/a%zz%4");
}

TEST_CASE("http server: a head over 16 KB or 100 fields is 431, a target over 8 KB 414",
          "[http_server]") {
  TestServer server(false);  // the defaults: Lambda's port
  std::string fields;
  for (int i = 0; i < 101; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(round_trip(server.port, "GET / HTTP/1.1\r\n" + fields + "\r\n") ==
        refusal("431 Request Header Fields Too Large",
                "the request has more than 100 header fields"));
  // 100 fields are fine (99 and Connection).
  fields.erase(fields.find("X-99"));
  CHECK(round_trip(server.port, "GET / HTTP/1.1\r\n" + fields + "Connection: close\r\n\r\n")
            .starts_with("HTTP/1.1 202 Accepted\r\n"));

  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(17000, 'v') + "\r\n\r\n";
  CHECK(round_trip(server.port, big) == refusal("431 Request Header Fields Too Large",
                                                "the request head is larger than 16384 bytes"));

  std::string too_long =
      refusal("414 URI Too Long", "the request target is longer than 8192 bytes");
  CHECK(round_trip(server.port, "GET /" + std::string(8192, 'a') + " HTTP/1.1\r\n\r\n") ==
        too_long);
  // A request line still coming is refused as soon as its target is too long.
  int fd = connect_to(server.port);
  send_all(fd, "GET /" + std::string(9000, 'a'));
  CHECK(read_until_close(fd) == too_long);
  ::close(fd);
  CHECK(round_trip(server.port,
                   "GET /" + std::string(8191, 'a') + " HTTP/1.1\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 202 Accepted\r\n"));
}

// --- timeouts ------------------------------------------------------------------------------

TEST_CASE("http server: a head that does not arrive in time is answered 408", "[http_server]") {
  TestServer server(quick());
  int fd = connect_to(server.port);
  send_all(fd, "GET / HTTP/1.1\r\nHost: x\r\n");
  CHECK(read_until_close(fd) ==
        refusal("408 Request Timeout", "the request head did not arrive in time"));
  ::close(fd);
  // A connection that never sends a byte is closed without a word.
  fd = connect_to(server.port);
  CHECK(read_until_close(fd) == "");
  CHECK(closed_by_server(fd, 0));
  ::close(fd);
}

TEST_CASE("http server: 100 clients sending their heads a byte at a time are all dropped",
          "[http_server]") {
  TestServer server(quick());
  std::string head = "GET / HTTP/1.1\r\nX-Slow: " + std::string(1000, 's');
  struct Client {
    int fd;
    std::string got;
    bool done = false;
  };
  std::vector<Client> clients;
  for (int i = 0; i < 100; ++i) clients.push_back({connect_to(server.port), ""});
  REQUIRE(eventually([&] { return server.stats().connections == 100; }));
  // Every 20 ms each sends one more byte (so a timeout per read would never pass), until the
  // server closes it; bounded, in case it never does.
  auto end = std::chrono::steady_clock::now() + 10s;
  std::size_t done = 0;
  for (std::size_t i = 0; done < clients.size() && std::chrono::steady_clock::now() < end; ++i) {
    for (auto& c : clients) {
      if (c.done) continue;
      if (i < head.size()) ::send(c.fd, &head[i], 1, MSG_NOSIGNAL);
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        c.got.append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        c.done = true;
        ++done;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  CHECK(done == clients.size());
  for (auto& c : clients) {
    CHECK(c.got == refusal("408 Request Timeout", "the request head did not arrive in time"));
    ::close(c.fd);
  }
  CHECK(eventually([&] { return server.stats().connections == 0; }));
}

TEST_CASE("http server: an idle kept-alive connection is closed, unless there is no idle timeout",
          "[http_server]") {
  SECTION("with one") {
    TestServer server(quick());
    int fd = connect_to(server.port);
    send_all(fd, "GET /a HTTP/1.1\r\n\r\n");
    CHECK(read_answers(fd, 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/a");
    // Silently: an answer would be taken for the next request's.
    CHECK(read_until_close(fd) == "");
    CHECK(closed_by_server(fd, 0));
    ::close(fd);
  }
  SECTION("without (the Runtime API's: an instance computes between two requests)") {
    auto o = quick();
    o.idle_timeout = 0ms;
    TestServer server(std::move(o));
    int fd = connect_to(server.port);
    send_all(fd, "GET /a HTTP/1.1\r\n\r\n");
    CHECK(read_answers(fd, 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/a");
    CHECK_FALSE(readable(fd, 1200));  // four times every other timeout
    send_all(fd, "GET /b HTTP/1.1\r\n\r\n");
    CHECK(read_answers(fd, 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/b");
    ::close(fd);
  }
}

TEST_CASE("http server: a body must keep a minimum pace, not a total time", "[http_server]") {
  auto o = quick();
  o.body_timeout = 500ms;  // then 1000 bytes a second
  TestServer server(std::move(o));
  int fd = connect_to(server.port);
  send_all(fd, "POST /echo HTTP/1.1\r\nContent-Length: 100000\r\n\r\n0123456789");
  CHECK(read_until_close(fd) ==
        refusal("408 Request Timeout", "the request body did not arrive in time"));
  ::close(fd);
  // 1200 bytes over 1.2 s: longer than 500 ms, but each byte comes soon enough.
  fd = connect_to(server.port);
  send_all(fd, "POST /echo HTTP/1.1\r\nContent-Length: 1200\r\n\r\n");
  for (int i = 0; i < 12; ++i) {
    std::this_thread::sleep_for(100ms);
    send_all(fd, std::string(100, 'p'));
  }
  CHECK(read_answers(fd, 1).starts_with("HTTP/1.1 200 OK\r\n"));
  ::close(fd);
}

TEST_CASE("http server: an answer the handler holds (a long poll) is not timed", "[http_server]") {
  TestServer server(quick());
  int fd = connect_to(server.port);
  send_all(fd, kNext);
  wait_for_slow(server);
  CHECK_FALSE(readable(fd, 1200));
  server.answer_slow();
  CHECK(read_answers(fd, kSlowAnswer.size()) == kSlowAnswer);
  ::close(fd);
}

TEST_CASE("http server: an answer to a client that does not read is abandoned", "[http_server]") {
  TestServer server(quick());
  int fd = connect_to(server.port);
  // More than the sockets' buffers hold, never read.
  send_all(fd, "GET /big?n=67108864 HTTP/1.1\r\n\r\n");
  CHECK(eventually([&] {
    auto stats = server.stats();
    return stats.accept_calls == 1 && stats.connections == 0;
  }));
  // Closed with most of the answer unsent (reading it all would take it all).
  std::string got = read_until_close(fd, 1000);
  CHECK(got.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(got.size() < (64u << 20));
  ::close(fd);
}

// --- connections ---------------------------------------------------------------------------

TEST_CASE("http server: at max_connections it stops accepting until one closes", "[http_server]") {
  HttpServerOptions o;
  o.max_connections = 2;
  TestServer server(std::move(o));
  int a = connect_to(server.port), b = connect_to(server.port);
  for (int fd : {a, b}) {
    send_all(fd, "GET /a HTTP/1.1\r\n\r\n");
    CHECK(read_answers(fd, 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/a");
  }
  int c = connect_to(server.port);  // the kernel's backlog takes it
  send_all(c, "GET /c HTTP/1.1\r\n\r\n");
  CHECK_FALSE(readable(c, 300));
  CHECK(server.stats().connections == 2);
  ::close(a);
  CHECK(read_answers(c, 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/c");
  ::close(b);
  ::close(c);
}

namespace {

// Lowers this process's RLIMIT_NOFILE so that no descriptor is left; restores it when done.
// (No Catch2 assertion in between: the sanitizers' runtime needs a descriptor to check one.)
class NoDescriptorsLeft {
 public:
  NoDescriptorsLeft() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int lowest_free = ::dup(0);  // every number below it is in use
    REQUIRE(lowest_free >= 0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free);
    bool lowered_ok = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
    int fd = ::dup(0);
    exhausted = lowered_ok && fd < 0;
    if (fd >= 0) ::close(fd);
  }
  ~NoDescriptorsLeft() { restore(); }
  void restore() {
    if (!restored_) ::setrlimit(RLIMIT_NOFILE, &saved_);
    restored_ = true;
  }
  bool exhausted = false;

 private:
  rlimit saved_{};
  bool restored_ = false;
};

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST_CASE("http server: out of file descriptors, accept backs off instead of spinning",
          "[http_server]") {
  TestServer server(false);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // made before the descriptors run out
  REQUIRE(fd >= 0);
  {
    NoDescriptorsLeft limit;
    auto before = server.stats();
    double cpu_before = cpu_seconds();
    // Connecting takes no descriptor; the server's accept() fails with EMFILE and the
    // connection stays in the backlog, so its listening socket stays readable.
    int connected = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    std::this_thread::sleep_for(1s);
    auto after = server.stats();
    double cpu = cpu_seconds() - cpu_before;
    limit.restore();
    REQUIRE(limit.exhausted);
    REQUIRE(connected == 0);
    CHECK(after.accept_errors > before.accept_errors);
    // Pauses of 10, 20, 40 ... ms, up to 1 s: about 8 attempts in that second, where the
    // loop without them made over 7000 and used a third of a core.
    CHECK(after.accept_calls - before.accept_calls <= 20);
    CHECK(cpu < 0.1);
    // Served again once descriptors are free (within the 1 s pause at most).
    send_all(fd, "GET /back HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(read_until_close(fd) ==
          "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\nConnection: close\r\n\r\n/back");
  }
  ::close(fd);
}

// --- answers and sockets -------------------------------------------------------------------

TEST_CASE("http server: a header that would break the answer is not sent", "[http_server]") {
  TestServer server(false);
  CHECK(round_trip(server.port, "GET /inject HTTP/1.1\r\nConnection: close\r\n\r\n") ==
        "HTTP/1.1 200 OK\r\nX-Good: 1\r\nX-Good-Too: b\tc\r\nContent-Length: 2\r\n"
        "Connection: close\r\n\r\nok");
}

TEST_CASE("http server: serve() answers on an already-connected Unix socket, with the same limits",
          "[http_server]") {
  HttpServerOptions o;
  o.body_limit = 10;
  TestServer server(std::move(o));
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  server.serve(fds[0]);
  send_all(fds[1], "GET /a HTTP/1.1\r\n\r\n");
  CHECK(read_answers(fds[1], 1) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n/a");
  send_all(fds[1], "POST /a HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  CHECK(read_until_close(fds[1]) == lambda_413(10));
  ::close(fds[1]);
  CHECK(eventually([&] { return server.stats().connections == 0; }));
}

TEST_CASE("http server: a body spool_body picks goes to a file, and a file body goes out in pieces",
          "[http_server]") {
  fx::test::TempDir dir("spool");
  HttpServerOptions o;
  o.body_limit = 64 * 1024 * 1024;
  std::atomic<int> n{0};
  o.spool_body = [&](const HttpRequest& head) -> std::string {
    if (head.path != "/spool") return {};
    return (dir.path / ("body-" + std::to_string(++n))).string();
  };
  TestServer server(std::move(o));
  // 3 MiB in, back from the file from its fourth byte: spooled, none of it in req.body.
  std::string body(3 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  std::string answer = round_trip(server.port,
                                  "PUT /spool HTTP/1.1\r\nConnection: close\r\n"
                                  "Content-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n" + body);
  auto head_end = answer.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  std::string head = answer.substr(0, head_end);
  CHECK(head.find("X-Spooled: yes") != std::string::npos);
  CHECK(head.find("X-Body-Bytes: 0") != std::string::npos);
  CHECK(head.find("Content-Length: " + std::to_string(body.size() - 3)) != std::string::npos);
  CHECK(answer.substr(head_end + 4) == body.substr(3));
  // A chunked body too; a HEAD-style answer sends the length and no body.
  answer = round_trip(server.port,
                      "PUT /spool HTTP/1.1\r\nX-Head: 1\r\nConnection: close\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  CHECK(answer.find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(answer.ends_with("\r\n\r\n"));
  // Other requests keep their bodies in memory.
  CHECK(round_trip(server.port,
                   "PUT /echo HTTP/1.1\r\nContent-Length: 3\r\nConnection: close\r\n"
                   "\r\nabc")
            .ends_with("\r\n\r\nabc"));
  // A client gone half-way through its body leaves no file behind.
  int fd = connect_to(server.port);
  send_all(fd, "PUT /spool HTTP/1.1\r\nContent-Length: 1000000\r\n\r\npartial");
  CHECK(eventually([&] { return n == 3; }));
  ::close(fd);
  CHECK(eventually([&] { return std::filesystem::is_empty(dir.path); }));
}
