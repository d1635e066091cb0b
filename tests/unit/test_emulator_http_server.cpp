// The emulator's HTTP server through a real loopback socket: how answers are written, and
// holding an answer while the client has already pipelined its next request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "core/emulator/http_server.h"

using fx::emulator::HttpRequest;
using fx::emulator::HttpResponse;
using fx::emulator::HttpServer;
using fx::emulator::Responder;

namespace {

// A server on its own I/O thread. "/slow" is answered only when the test calls answer_slow();
// every other path at once, with the path as the body.
class TestServer {
 public:
  explicit TestServer(bool hold) : server_(io_, handler(), 1 << 20) {
    server_.hold_pipelined_answers(hold);
    port = server_.listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
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

  std::uint16_t port = 0;
  std::atomic<bool> slow_seen{false};

 private:
  fx::emulator::RequestHandler handler() {
    return [this](HttpRequest& req, std::shared_ptr<Responder> r) {
      if (req.path == "/slow") {
        slow_ = std::move(r);
        slow_seen = true;
        return;
      }
      HttpResponse res;
      res.status = req.path == "/empty" ? 204 : 202;
      if (req.path != "/empty") res.body = req.path;
      res.set("Content-Length", "999");  // a wrong length from a handler is not sent
      r->send(std::move(res));
    };
  }

  boost::asio::io_context io_;
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
  REQUIRE(::send(fd, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size()));
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
