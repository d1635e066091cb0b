// Plain http:// (the local emulator, a shared fx emulator) goes through a small keep-alive
// client on POSIX sockets; https:// (AWS) goes through libcurl, which is loaded with dlopen
// the first time it is needed. libcurl pulls in 30 shared libraries that cost a short
// command like `fx invoke` ~6 ms to load and relocate at every start, whether it uses them
// or not.
#include "core/util/http_client.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::util {

struct Url {
  std::string scheme, host, port, target;  // target: "/path?query"
  std::string origin() const { return scheme + "://" + host + ":" + port; }
};

namespace {

Url parse_url(const std::string& url) {
  Url u;
  auto colon = url.find("://");
  if (colon == std::string::npos)
    throw Error(fmt::format("'{}' is not a URL", url), "use http://HOST:PORT");
  u.scheme = url.substr(0, colon);
  auto rest = std::string_view(url).substr(colon + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  auto at = authority.rfind(':');
  if (at != std::string_view::npos && authority.find(']', at) == std::string_view::npos) {
    u.host = authority.substr(0, at);
    u.port = authority.substr(at + 1);
  } else {
    u.host = authority;
    u.port = u.scheme == "https" ? "443" : "80";
  }
  if (u.host.size() > 2 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  return u;
}

// --- libcurl, loaded on first use ------------------------------------------------------

struct CurlApi {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      throw Error(fmt::format("cannot load libcurl for https: {}", dlerror()),
                  "install it: apt-get install libcurl4");
    auto sym = [&](const char* name) {
      void* p = dlsym(lib, name);
      if (!p) throw Error(fmt::format("libcurl has no {}", name));
      return p;
    };
    CurlApi a;
    a.global_init = reinterpret_cast<decltype(a.global_init)>(sym("curl_global_init"));
    a.easy_init = reinterpret_cast<decltype(a.easy_init)>(sym("curl_easy_init"));
    a.easy_cleanup = reinterpret_cast<decltype(a.easy_cleanup)>(sym("curl_easy_cleanup"));
    a.easy_reset = reinterpret_cast<decltype(a.easy_reset)>(sym("curl_easy_reset"));
    a.easy_setopt = reinterpret_cast<decltype(a.easy_setopt)>(sym("curl_easy_setopt"));
    a.easy_perform = reinterpret_cast<decltype(a.easy_perform)>(sym("curl_easy_perform"));
    a.easy_getinfo = reinterpret_cast<decltype(a.easy_getinfo)>(sym("curl_easy_getinfo"));
    a.easy_strerror = reinterpret_cast<decltype(a.easy_strerror)>(sym("curl_easy_strerror"));
    a.slist_append = reinterpret_cast<decltype(a.slist_append)>(sym("curl_slist_append"));
    a.slist_free_all = reinterpret_cast<decltype(a.slist_free_all)>(sym("curl_slist_free_all"));
    a.global_init(CURL_GLOBAL_DEFAULT);
    return a;
  }();
  return api;
}

// What curl's callbacks fill, and the limits they keep.
struct CurlSink {
  HttpResult result;
  const HttpClientOptions* options;
  std::size_t head_bytes = 0;
  bool head_too_large = false, body_too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  auto* sink = static_cast<CurlSink*>(out);
  if (size * n > sink->options->max_body - sink->result.body.size()) {
    sink->body_too_large = true;
    return 0;  // curl stops: CURLE_WRITE_ERROR
  }
  sink->result.body.append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* out) {
  std::string_view line(data, size * n);
  auto* sink = static_cast<CurlSink*>(out);
  auto colon = line.find(':');
  if (line.starts_with("HTTP/")) {
    sink->result.headers.clear();  // a new response (after 100 Continue)
    sink->head_bytes = 0;
  }
  sink->head_bytes += line.size();
  if (sink->head_bytes > sink->options->max_head) {
    sink->head_too_large = true;
    return 0;
  }
  if (!line.starts_with("HTTP/") && colon != std::string_view::npos)
    sink->result.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  return size * n;
}

HttpResult curl_request(void*& handle, const HttpClientOptions& options, std::string_view method,
                        const std::string& url,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        std::string_view body, long timeout_ms) {
  const auto& c = curl_api();
  if (!handle) handle = c.easy_init();
  CURL* h = static_cast<CURL*>(handle);
  c.easy_reset(h);  // keeps the connection cache
  CurlSink sink;
  sink.options = &options;
  c.easy_setopt(h, CURLOPT_URL, url.c_str());
  std::string verb(method);
  if (verb == "HEAD")
    c.easy_setopt(h, CURLOPT_NOBODY, 1L);
  else if (verb != "GET")
    c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, verb.c_str());
  if (verb != "GET" && verb != "HEAD") {
    c.easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  // An "Expect: 100-continue" round trip costs a whole RTT on every large upload.
  curl_slist* list = c.slist_append(nullptr, "Expect:");
  for (const auto& [k, v] : headers) list = c.slist_append(list, (k + ": " + v).c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, list);
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &sink);
  c.easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_body));
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  c.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  char errbuf[CURL_ERROR_SIZE] = {0};
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = c.easy_perform(h);
  c.slist_free_all(list);
  if (sink.head_too_large)
    throw Error(
        fmt::format("the answer from {} has a head over the {}-byte limit", url, options.max_head));
  if (sink.body_too_large || rc == CURLE_FILESIZE_EXCEEDED)
    throw Error(
        fmt::format("the answer from {} is larger than the {}-byte limit", url, options.max_body));
  if (rc != CURLE_OK)
    throw Error(fmt::format("cannot reach {}: {}", parse_url(url).origin(),
                            errbuf[0] ? errbuf : c.easy_strerror(rc)));
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &sink.result.status);
  return std::move(sink.result);
}

}  // namespace

// --- the built-in http:// client ---------------------------------------------------------

struct HttpClient::Connection {
  int fd = -1;
  std::string origin;
  std::string buffer;  // bytes read past the last response
  ~Connection() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    buffer.clear();
  }
};

namespace {

using Clock = std::chrono::steady_clock;

// Waits until fd is ready; false on timeout. deadline empty: no limit.
bool wait_ready(int fd, short events, std::optional<Clock::time_point> deadline) {
  while (true) {
    int ms = -1;
    if (deadline) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) return false;
      ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the read or write report the error
  }
}

int connect_to(const Url& u, long timeout_ms) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res); rc != 0)
    throw Error(fmt::format("cannot reach {}: {}", u.origin(), gai_strerror(rc)));
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (wait_ready(fd, POLLOUT, Clock::now() + std::chrono::milliseconds(timeout_ms))) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        rc = err ? -1 : 0;
        errno = err;
      } else {
        errno = 0;
        why = fmt::format("no connection within {} ms", timeout_ms);
      }
    }
    if (rc == 0) break;
    if (errno != 0) why = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) throw Error(fmt::format("cannot reach {}: {}", u.origin(), why));
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// A header value quoted in an error: printable, and short.
std::string quoted(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  std::string out;
  for (char c : text.substr(0, 40)) out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return "'" + out + (text.size() > 40 ? "...'" : "'");
}

// A Content-Length: digits only, and no overflow ("-1" or 2^64 must not become a size).
std::optional<std::size_t> parse_length(std::string_view text) {
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options)
    : options_(options), conn_(std::make_unique<Connection>()) {}

HttpClient::~HttpClient() {
  if (curl_) curl_api().easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResult HttpClient::request(std::string_view method, const std::string& url,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view body, long timeout_ms) {
  Url u = parse_url(url);
  if (u.scheme == "https")
    return curl_request(curl_, options_, method, url, headers, body, timeout_ms);
  if (u.scheme != "http")
    throw Error(fmt::format("unsupported URL scheme in {}", url), "use http:// or https://");

  std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\n", method,
                                 u.target, u.host, u.port, body.size());
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  std::optional<Clock::time_point> deadline;
  if (timeout_ms > 0) deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  long connect_ms = options_.connect_timeout_ms;
  if (timeout_ms > 0) connect_ms = std::min(connect_ms, timeout_ms);

  // A kept-alive connection the server has closed meanwhile fails before any byte of the
  // answer: then (only then) the request is sent again on a new connection.
  for (int attempt = 0;; ++attempt) {
    // Bytes the server sent past its last answer were never asked for: not this answer.
    bool reused = conn_->fd >= 0 && conn_->origin == u.origin() && conn_->buffer.empty();
    if (!reused) {
      conn_->close();
      conn_->fd = connect_to(u, connect_ms);
      conn_->origin = u.origin();
    }
    try {
      return exchange(head, body, deadline, timeout_ms, u);
    } catch (const StaleConnection&) {
      conn_->close();
      if (!reused || attempt > 0)
        throw Error(fmt::format("cannot reach {}: the connection was closed", u.origin()));
    }
  }
}

HttpResult HttpClient::exchange(const std::string& head, std::string_view body,
                                std::optional<std::chrono::steady_clock::time_point> deadline,
                                long timeout_ms, const Url& u) {
  int fd = conn_->fd;
  std::string url = u.origin() + u.target;
  auto fail = [&](const std::string& why) -> Error {
    conn_->close();
    return Error(fmt::format("cannot reach {}: {}", u.origin(), why));
  };
  // The server answered, but not with something this client takes.
  auto bad = [&](const std::string& why) -> Error {
    conn_->close();
    return Error(fmt::format("the answer from {} {}", url, why));
  };
  bool any_response_byte = false;
  auto send_all = [&](std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!wait_ready(fd, POLLOUT, deadline)) {
          conn_->close();
          throw Error(fmt::format("{} did not take the request within {} ms", url, timeout_ms));
        }
      } else {
        throw StaleConnection{};
      }
    }
  };
  send_all(head);
  send_all(body);

  std::string& buf = conn_->buffer;
  // Reads what is there (waiting until the deadline for it); false when the server closed.
  auto read_more = [&] {
    char chunk[65536];
    while (true) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        buf.append(chunk, static_cast<std::size_t>(n));
        any_response_byte = true;
        return true;
      }
      if (n == 0) {
        if (!any_response_byte) throw StaleConnection{};
        return false;  // closed by the server
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (!wait_ready(fd, POLLIN, deadline)) {
          conn_->close();
          throw Error(fmt::format("no answer from {} within {} ms", url, timeout_ms));
        }
        continue;
      }
      if (!any_response_byte && errno == ECONNRESET) throw StaleConnection{};
      throw fail(std::strerror(errno));
    }
  };
  auto more = [&] {
    if (!read_more()) throw bad("was cut short: the server closed the connection");
  };
  // The end of the CRLF-ended line starting at `from`, reading until it is there; no line
  // may take more than `limit` bytes.
  auto line_end = [&](std::size_t from, std::size_t limit, const char* what) {
    std::size_t look = from;
    while (true) {
      auto eol = buf.find("\r\n", look);
      if (eol != std::string::npos && eol - from <= limit) return eol;
      if (buf.size() - from > limit) throw bad(fmt::format("has {} over {} bytes", what, limit));
      look = buf.empty() ? 0 : buf.size() - 1;
      more();
    }
  };

  HttpResult result;
  while (true) {
    std::size_t end, look = 0;
    while ((end = buf.find("\r\n\r\n", look)) == std::string::npos) {
      // (Not waiting for the head's end to tell garbage, which may never have one.)
      if (buf.size() >= 5 && !buf.starts_with("HTTP/"))
        throw bad(fmt::format("is not HTTP/1.x (it starts with {})", quoted(buf)));
      if (buf.size() > options_.max_head)
        throw bad(fmt::format("has a head over the {}-byte limit", options_.max_head));
      look = buf.size() < 3 ? 0 : buf.size() - 3;
      more();
    }
    if (end + 4 > options_.max_head)
      throw bad(fmt::format("has a head over the {}-byte limit", options_.max_head));
    std::string_view header_block(buf.data(), end);
    auto first_eol = header_block.find("\r\n");
    std::string_view status_line = header_block.substr(0, first_eol);
    // "HTTP/1.1 200 OK": three digits, then a space or nothing.
    auto digit = [&](std::size_t i) {
      return i < status_line.size() && std::isdigit(static_cast<unsigned char>(status_line[i]));
    };
    if (!status_line.starts_with("HTTP/1.") || !digit(7) || status_line.size() < 12 ||
        status_line[8] != ' ' || !digit(9) || !digit(10) || !digit(11) ||
        (status_line.size() > 12 && status_line[12] != ' ') || status_line[9] == '0')
      throw bad(fmt::format("is not HTTP/1.x (it starts with {})", quoted(status_line)));
    result = HttpResult();
    result.status =
        (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
    std::size_t pos = first_eol == std::string_view::npos ? header_block.size() : first_eol + 2;
    while (pos < header_block.size()) {
      auto next = header_block.find("\r\n", pos);
      std::string_view line = header_block.substr(pos, next - pos);
      auto colon = line.find(':');
      if (colon != std::string_view::npos)
        result.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
      if (next == std::string_view::npos) break;
      pos = next + 2;
    }
    buf.erase(0, end + 4);
    // An interim answer (100 Continue): the real one follows.
    if (result.status >= 200 || result.status == 101) break;
  }

  bool keep_alive = !iequals(result.header("Connection"), "close");
  bool head_only = head.starts_with("HEAD ") || result.status == 204 || result.status == 304;
  std::optional<std::size_t> length;
  for (const auto& [k, v] : result.headers) {
    if (!iequals(k, "Content-Length")) continue;
    auto n = parse_length(v);
    if (!n || (length && *length != *n))
      throw bad(fmt::format("has an invalid Content-Length {}", quoted(v)));
    length = n;
  }
  const std::size_t max_body = options_.max_body;
  auto too_large = [&] { return bad(fmt::format("is larger than the {}-byte limit", max_body)); };
  if (head_only) {
  } else if (iequals(result.header("Transfer-Encoding"), "chunked")) {
    while (true) {
      // chunk-size [; extensions] CRLF data CRLF ... 0 CRLF [trailers] CRLF
      std::size_t eol = line_end(0, 4096, "a chunk header");
      std::size_t size = 0;
      auto [hex_end, ec] = std::from_chars(buf.data(), buf.data() + eol, size, 16);
      if (ec == std::errc::result_out_of_range) throw too_large();
      if (ec != std::errc() ||
          (hex_end != buf.data() + eol && *hex_end != ';' && *hex_end != ' ' && *hex_end != '\t'))
        throw bad(fmt::format("has an invalid chunk size {}", quoted(buf.substr(0, eol))));
      if (size > max_body - result.body.size()) throw too_large();
      buf.erase(0, eol + 2);
      if (size == 0) {
        // Trailers (the emulator sends none) up to the empty line, within the head's limit.
        std::size_t trailers = 0;
        while (true) {
          std::size_t t = line_end(0, options_.max_head, "a trailer");
          trailers += t + 2;
          if (trailers > options_.max_head)
            throw bad(fmt::format("has trailers over the {}-byte limit", options_.max_head));
          buf.erase(0, t + 2);
          if (t == 0) break;
        }
        break;
      }
      while (buf.size() < size + 2) more();
      if (buf.compare(size, 2, "\r\n") != 0) throw bad("has a chunk longer than its size");
      result.body.append(buf, 0, size);
      buf.erase(0, size + 2);
    }
  } else if (length) {
    if (*length > max_body) throw too_large();
    while (buf.size() < *length) more();
    if (buf.size() == *length) {
      result.body = std::move(buf);
      buf.clear();
    } else {
      result.body = buf.substr(0, *length);
      buf.erase(0, *length);
    }
  } else {
    // No length: the body ends where the connection does.
    while (read_more())
      if (buf.size() > max_body) throw too_large();
    result.body = std::move(buf);
    buf.clear();
    keep_alive = false;
  }
  if (!keep_alive) conn_->close();
  return result;
}

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
      out += static_cast<char>(ch);
    else
      out += fmt::format("%{:02X}", ch);
  }
  return out;
}

}  // namespace fx::util
