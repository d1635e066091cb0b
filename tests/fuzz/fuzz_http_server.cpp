// The emulator's HTTP/1.1 server (core/emulator/http_server.h), the real one on a real
// io_context: the input is the bytes a client sends on one connection (a Unix socket, as fx's
// runtime shims use), then the client closes its side and reads until the server closes.
// The handler echoes each request's fields in the answer's body; a path holding "/later"
// is answered from a posted task (as the Invoke API answers when an instance is done), one
// holding "/drop" never (the responder's destructor answers 500).
//
// The same bytes go to two servers, one with hold_pipelined_answers on (the shims' mode). The
// requests the handler sees must be well formed: a method, a target that is path + ? + query,
// header names that are tokens and values with no CR, LF or NUL. What comes back must be HTTP.
#include <signal.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio.hpp>

#include "core/emulator/http_server.h"
#include "tests/fuzz/fuzz_common.h"

using fx::emulator::HttpRequest;
using fx::emulator::HttpResponse;
using fx::emulator::HttpServer;
using fx::emulator::Responder;
using fx::fuzz::fail;
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// Small, so that the 413 answer is reached too.
constexpr std::size_t kBodyLimit = 16 * 1024;
// Marks the handler's answers, to count them in what comes back.
constexpr std::string_view kMarkName = "X-Fuzz-Answer";
constexpr std::string_view kMark = "\r\nX-Fuzz-Answer: 7c1e\r\n";

bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && kSpecials.find(c) == std::string_view::npos)
      return false;
  return true;
}

void check_request(const HttpRequest& req) {
  if (!is_token(req.method)) fail("a request method that is not a token", req.method);
  std::string target = req.path;
  if (req.target.find('?') != std::string::npos) target += "?" + req.query;
  if (target != req.target) fail("path and query do not make up the target", req.target);
  for (const auto& [name, value] : req.headers) {
    if (!is_token(name)) fail("a request header name that is not a token", name);
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      fail("a request header value holding CR, LF or NUL", value);
  }
}

struct Harness {
  asio::io_context io;
  std::unique_ptr<HttpServer> plain;
  std::unique_ptr<HttpServer> holding;
  std::string plain_path;
  std::string holding_path;

  Harness() {
    auto handler = [this](HttpRequest& req, std::shared_ptr<Responder> r) { echo(req, r); };
    plain = std::make_unique<HttpServer>(io, handler, kBodyLimit);
    holding = std::make_unique<HttpServer>(io, handler, kBodyLimit);
    holding->hold_pipelined_answers(true);
    plain_path = (fx::fuzz::scratch_dir() / "plain.sock").string();
    holding_path = (fx::fuzz::scratch_dir() / "holding.sock").string();
    plain->listen_unix(plain_path);
    holding->listen_unix(holding_path);
  }

  std::size_t handled = 0;  // requests the handler saw, on the current connection

  void echo(HttpRequest& req, const std::shared_ptr<Responder>& r) {
    check_request(req);
    ++handled;
    HttpResponse response = HttpResponse::json(200, "");
    std::string& out = response.body;
    out += req.method + "\n" + req.target + "\n" + req.path + "\n" + req.query + "\n";
    for (const auto& [name, value] : req.headers) out += name + ": " + value + "\n";
    out += "host=" + std::string(req.header("host")) + "\n";
    out += "a=" + req.query_param("a") + "\n";
    for (const auto& v : req.query_params("b")) out += "b=" + v + "\n";
    out += "\n" + req.body;
    response.set("X-Echo-Length", std::to_string(req.body.size()));
    response.set(std::string(kMarkName), "7c1e");
    if (req.path.find("/drop") != std::string::npos) return;
    if (req.path.find("/later") != std::string::npos) {
      asio::post(io, [r, response = std::move(response)]() mutable { r->send(response); });
      return;
    }
    r->send(std::move(response));
    if (!r->sent()) fail("a responder that did not send");
  }

  // Sends `input` on a new connection to the server at `path`; returns what came back.
  std::string exchange(const std::string& path, std::string_view input) {
    handled = 0;
    local::socket client(io);
    boost::system::error_code error;
    client.connect(local::endpoint(path), error);
    // The socket goes only when the servers close, at the process's exit (which libFuzzer may
    // start while an input runs); that is no answer of the server's to check.
    if (error) return {};
    std::string received;
    bool done = false;
    asio::async_write(client, asio::buffer(input.data(), input.size()),
                      [&](boost::system::error_code ec, std::size_t) {
                        // The server may close before reading all: that is its right.
                        if (!ec) client.shutdown(local::socket::shutdown_send, ec);
                      });
    asio::async_read(client, asio::dynamic_buffer(received),
                     [&](boost::system::error_code, std::size_t) { done = true; });
    while (!done) io.run_one();
    // Let the server finish with the connection (its close, its erase) before the next one.
    io.poll();
    return received;
  }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::signal(SIGPIPE, SIG_IGN);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness harness;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const std::string* path : {&harness.plain_path, &harness.holding_path}) {
    std::string answer = harness.exchange(*path, input);
    if (!answer.empty() && !answer.starts_with("HTTP/1.1 "))
      fail("the server sent something that is not an HTTP answer", answer.substr(0, 80));
    // Every request the handler answered (a /drop one by the responder's destructor, with a
    // 500 that has no mark) reaches the client: count the marks. Only without held answers:
    // a held answer is dropped when the connection ends before the next request is whole.
    if (path != &harness.plain_path || input.find("7c1e") != std::string_view::npos) continue;
    std::size_t marks = 0;
    for (auto at = answer.find(kMark); at != std::string::npos; at = answer.find(kMark, at + 1))
      ++marks;
    std::size_t dropped = 0;  // /drop requests answer 500 without the mark
    for (auto at = answer.find("HTTP/1.1 500 "); at != std::string::npos;
         at = answer.find("HTTP/1.1 500 ", at + 1))
      ++dropped;
    if (marks + dropped < harness.handled)
      fail("a request the handler answered got no answer", input.substr(0, 200));
  }
  return 0;
}
