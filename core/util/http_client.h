// A blocking HTTP client that keeps its connection alive between calls: its own for http://,
// libcurl (loaded on first use) for https://.
#pragma once

#include "core/util/text.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::util {

struct HttpResult {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct Url;

// What an HttpClient accepts from a server, which may be hostile (a shared emulator on
// another host): past these it fails with an fx::Error instead of growing without bound.
struct HttpClientOptions {
  std::size_t max_head = 64 * 1024;          // status line and header fields, in bytes
  std::size_t max_body = 512 * 1024 * 1024;  // a function's code download can be 70 MB
  long connect_timeout_ms = 5000;            // (or the call's timeout, if shorter)
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Throws fx::Error when the server cannot be reached, the call times out (no answer
  // within timeout_ms; 0 waits as long as it takes) or the answer is not well-formed HTTP or
  // over a limit; any HTTP status is a result.
  HttpResult request(std::string_view method, const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string_view body, long timeout_ms = 0);

 private:
  struct Connection;
  struct StaleConnection {};
  HttpResult exchange(const std::string& head, std::string_view body,
                      std::optional<std::chrono::steady_clock::time_point> deadline,
                      long timeout_ms, const Url& url);
  HttpClientOptions options_;
  std::unique_ptr<Connection> conn_;
  void* curl_ = nullptr;  // a libcurl easy handle, for https only
};

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);

}  // namespace fx::util
