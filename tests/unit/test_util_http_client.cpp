// fx's own HTTP client against hostile servers on loopback: raw sockets on a thread that
// answer with whatever a test scripts (garbage, endless heads, lies about lengths, stalls).
// Each must end in a clear fx::Error naming the URL, never a crash, a hang or a huge
// allocation.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/util/error.h"
#include "core/util/http_client.h"

using fx::util::HttpClient;
using fx::util::HttpClientOptions;

namespace {

// What the server does on one connection: read the request's head, send `answer`, then
// send `filler` again and again (up to 64 MB, or until the client goes), then close it or
// keep it open until the server stops.
struct Script {
  std::string answer;
  std::string filler;
  bool close = true;
};

class HostileServer {
 public:
  // Connection i follows scripts[i] (the last one for any after).
  explicit HostileServer(std::vector<Script> scripts) : scripts_(std::move(scripts)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener_, 16) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  HostileServer(std::string answer, std::string filler = "", bool close = true)
      : HostileServer(std::vector<Script>{{std::move(answer), std::move(filler), close}}) {}
  ~HostileServer() {
    stop_ = true;
    thread_.join();
    for (int fd : open_) ::close(fd);
    ::close(listener_);
  }
  std::string url(const std::string& path = "/x") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return accepted_; }

 private:
  bool wait(int fd, short events) {
    while (!stop_) {
      pollfd p{fd, events, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }
  void run() {
    while (wait(listener_, POLLIN)) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      const Script& s = scripts_[std::min<std::size_t>(accepted_++, scripts_.size() - 1)];
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos && wait(fd, POLLIN)) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      bool ok = send_all(fd, s.answer);
      for (std::size_t sent = 0; ok && !s.filler.empty() && sent < (64u << 20);
           sent += s.filler.size())
        ok = send_all(fd, s.filler);
      if (s.close)
        ::close(fd);
      else
        open_.push_back(fd);
    }
  }
  bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      if (!wait(fd, POLLOUT)) return false;
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) return false;  // the client gave up: fine
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  std::vector<Script> scripts_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::vector<int> open_;
  std::thread thread_;
};

// The error a GET to `url` ends in ("" if it did not fail).
std::string error_of(HttpClient& client, const std::string& url, long timeout_ms = 5000) {
  try {
    client.request("GET", url, {}, "", timeout_ms);
  } catch (const fx::Error& e) {
    return e.what();
  }
  return "";
}

std::string error_of(const std::string& url, long timeout_ms = 5000) {
  HttpClient client;
  return error_of(client, url, timeout_ms);
}

}  // namespace

TEST_CASE("http client: a head over 64 KB is refused, not read forever", "[http_client]") {
  HostileServer server("HTTP/1.1 200 OK\r\nX-Junk: ", std::string(4096, 'j'));
  CHECK(error_of(server.url()) ==
        "the answer from " + server.url() + " has a head over the 65536-byte limit");
}

TEST_CASE("http client: a body over max_body is refused, whatever its framing", "[http_client]") {
  HttpClientOptions small;
  small.max_body = 1000;
  std::string limit = " is larger than the 1000-byte limit";
  SECTION("Content-Length, before reading it") {
    HostileServer server("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
    HttpClient client(small);
    CHECK(error_of(client, server.url()) == "the answer from " + server.url() + limit);
  }
  SECTION("chunked") {
    HostileServer server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                         "100\r\n" + std::string(256, 'c') + "\r\n");
    HttpClient client(small);
    CHECK(error_of(client, server.url()) == "the answer from " + server.url() + limit);
  }
  SECTION("until the connection closes") {
    HostileServer server("HTTP/1.1 200 OK\r\n\r\n", std::string(4096, 'b'));
    HttpClient client(small);
    CHECK(error_of(client, server.url()) == "the answer from " + server.url() + limit);
  }
  SECTION("the default limit is 512 MB") {
    HostileServer server("HTTP/1.1 200 OK\r\nContent-Length: 536870913\r\n\r\n");
    CHECK(error_of(server.url()) ==
          "the answer from " + server.url() + " is larger than the 536870912-byte limit");
  }
  SECTION("at the limit, it is a body") {
    HostileServer server("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" +
                         std::string(1000, 'k'));
    HttpClient client(small);
    CHECK(client.request("GET", server.url(), {}, "").body == std::string(1000, 'k'));
  }
}

TEST_CASE("http client: an answer that is not HTTP is an error saying so", "[http_client]") {
  struct Case {
    std::string answer, starts_with;
  };
  std::vector<Case> cases = {
      {"SSH-2.0-OpenSSH_9.2\r\n", "'SSH-2.0-OpenSSH_9.2'"},
      {std::string("\0\x01\x02garbage", 10), "'???garbage'"},  // and no head's end ever
      {"HTTP/1.1 abc OK\r\n\r\n", "'HTTP/1.1 abc OK'"},
      {"HTTP/1.1 20 OK\r\n\r\n", "'HTTP/1.1 20 OK'"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "'HTTP/1.1 2000 OK'"},
      {"HTTP/2 200\r\n\r\n", "'HTTP/2 200'"},
  };
  for (const auto& c : cases) {
    INFO(c.answer);
    HostileServer server(c.answer, "", false);
    CHECK(error_of(server.url()) == "the answer from " + server.url() +
                                        " is not HTTP/1.x (it starts with " + c.starts_with + ")");
  }
}

TEST_CASE("http client: a bogus Content-Length or chunk size is an error, not a size",
          "[http_client]") {
  struct Case {
    std::string answer, error;
  };
  std::vector<Case> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "has an invalid Content-Length 'abc'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "has an invalid Content-Length '-1'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
       "has an invalid Content-Length '99999999999999999999999'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
       "has an invalid Content-Length '3'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       "has an invalid chunk size 'zz'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n",
       "has an invalid chunk size '-5'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n",
       "is larger than the 536870912-byte limit"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
       "has a chunk longer than its size"},
  };
  for (const auto& c : cases) {
    INFO(c.answer);
    HostileServer server(c.answer, "", false);
    CHECK(error_of(server.url()) == "the answer from " + server.url() + " " + c.error);
  }
  HostileServer endless("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                        std::string(4096, 'f'));
  CHECK(error_of(endless.url()) ==
        "the answer from " + endless.url() + " has a chunk header over 4096 bytes");
}

TEST_CASE("http client: a connection closed mid-answer is an error", "[http_client]") {
  for (std::string answer : {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
                             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\nabc",
                             "HTTP/1.1 200 OK\r\nContent-"}) {
    INFO(answer);
    HostileServer server(answer);
    CHECK(error_of(server.url()) ==
          "the answer from " + server.url() + " was cut short: the server closed the connection");
  }
}

TEST_CASE("http client: an answer that stalls past the call's timeout is an error",
          "[http_client]") {
  for (std::string answer :
       {"", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123"}) {
    INFO(answer);
    HostileServer server(answer, "", false);
    CHECK(error_of(server.url(), 300) == "no answer from " + server.url() + " within 300 ms");
  }
}

TEST_CASE(
    "http client: a server that does not take the connection is an error after the "
    "connect timeout",
    "[http_client]") {
  // A listener that never accepts, with its backlog full: the kernel drops further SYNs.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 0) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  HttpClientOptions o;
  o.connect_timeout_ms = 300;
  HttpClient client(o);
  std::string origin = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  CHECK(error_of(client, origin + "/x", 0) ==
        "cannot reach " + origin + ": no connection within 300 ms");
  for (int fd : fillers) ::close(fd);
  ::close(listener);
}

TEST_CASE(
    "http client: interim 1xx answers are skipped, unasked-for bytes never taken for an "
    "answer",
    "[http_client]") {
  HostileServer server({
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
       "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil",
       "", false},
      {"HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew", "", false},
  });
  HttpClient client;
  auto first = client.request("GET", server.url(), {}, "");
  CHECK(first.status == 200);
  CHECK(first.body == "ok");
  // The "evil" answer came before the second request was sent: not its answer.
  auto second = client.request("GET", server.url(), {}, "");
  CHECK(second.status == 201);
  CHECK(second.body == "new");
  CHECK(server.connections() == 2);
}
