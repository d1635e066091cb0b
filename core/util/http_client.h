// A blocking HTTP client that keeps its connection alive between calls: its own for http://,
// libcurl (loaded on first use) for https://.
#pragma once

#include <chrono>
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

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Throws fx::Error when the server cannot be reached or the call times out; any HTTP
  // status is a result. timeout_ms = 0 waits as long as it takes.
  HttpResult request(std::string_view method, const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string_view body, long timeout_ms = 0);

 private:
  struct Connection;
  struct StaleConnection {};
  HttpResult exchange(const std::string& head, std::string_view body,
                      std::optional<std::chrono::steady_clock::time_point> deadline,
                      const Url& url);
  std::unique_ptr<Connection> conn_;
  void* curl_ = nullptr;  // a libcurl easy handle, for https only
};

// Percent-encodes everything but unreserved characters (RFC 3986).
std::string url_encode(std::string_view text);
// Percent-decoding of a path segment or query value ('+' is a space only in queries).
std::string url_decode(std::string_view text, bool plus_is_space = false);

}  // namespace fx::util
