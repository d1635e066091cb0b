#include "core/emulator/http_server.h"

#include <utility>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fcntl.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
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

HttpResponse::FileBody::~FileBody() {
  if (fd >= 0) ::close(fd);
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.set("Content-Type", "application/json");
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr Clock::time_point kNever = Clock::time_point::max();

// RFC 9110's tchar: what a header name may be made of.
constexpr bool kTokenChar[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0};

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!kTokenChar[static_cast<unsigned char>(c)]) return false;
  return true;
}

// A value that cannot end its line early (CR, LF) or cut a C string (NUL).
bool is_safe_value(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string json_message(std::string_view message) {
  std::string out = R"({"message":")";
  for (char c : message) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"}";
}

// What is wrong with a request Beast's parser refused, in words for the client.
std::string describe(beast::error_code ec) {
  if (ec == http::error::bad_method) return "invalid method in the request line";
  if (ec == http::error::bad_target) return "invalid request target in the request line";
  if (ec == http::error::bad_version)
    return "invalid request line (expected METHOD /path HTTP/1.1)";
  if (ec == http::error::bad_line_ending) return "invalid line ending (lines end with CRLF)";
  if (ec == http::error::bad_field) return "invalid header field name";
  if (ec == http::error::bad_value) return "invalid character in a header field value";
  if (ec == http::error::bad_content_length) return "invalid Content-Length";
  if (ec == http::error::bad_transfer_encoding) return "invalid Transfer-Encoding";
  if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
    return "invalid chunk in the chunked body";
  if (ec == http::error::buffer_overflow) return "a chunk header or trailer is too long";
  if (ec == http::error::partial_message) return "the connection ended in the middle of a request";
  return "malformed request (" + ec.message() + ")";
}

// A request body kept in memory, or written to a file as it arrives when the server was given
// one for this request (HttpServerOptions::spool_body): Beast's string_body, except for that.
struct SpoolBody {
  struct value_type {
    std::string data;
    int fd = -1;  // the file being written, when spooling
    int error = 0;
  };
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& v) : v_(v) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      // (The body limit has already refused anything larger than memory should hold.)
      if (v_.fd < 0 && length) v_.data.reserve(static_cast<std::size_t>(*length));
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      std::size_t n = 0;
      for (auto b : beast::buffers_range_ref(buffers)) {
        const char* p = static_cast<const char*>(b.data());
        if (v_.fd < 0) {
          v_.data.append(p, b.size());
        } else {
          for (std::size_t done = 0; done < b.size();) {
            auto w = ::write(v_.fd, p + done, b.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
              v_.error = w < 0 ? errno : EIO;
              ec = beast::error_code(v_.error, boost::system::generic_category());
              return n + done;
            }
            done += static_cast<std::size_t>(w);
          }
        }
        n += b.size();
      }
      ec = {};
      return n;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& v_;
  };
};

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
    // Defense in depth against header injection: callers validate what they forward (the
    // gateway answers 502), and a header that would break the message is dropped here.
    if (!is_token(k) || !is_safe_value(v)) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  // No body and no length for 1xx, 204 and 304 (RFC 9110 8.6).
  bool bodiless = status < 200 || status == 204 || status == 304;
  if (!bodiless)
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n",
                   response.file ? response.file->length : response.body.size());
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  // (A file body follows from the session's writes, a piece at a time.)
  if (!bodiless && !response.headers_only && !response.file) out += response.body;
}

// The length of the request target in a request line (or its start) p[0, n).
std::size_t target_length(const char* p, std::size_t n) {
  if (n == 0) return 0;  // (p may then be null)
  auto* sp = static_cast<const char*>(std::memchr(p, ' ', n));
  if (!sp) return 0;
  ++sp;
  auto* end = static_cast<const char*>(std::memchr(sp, ' ', static_cast<std::size_t>(p + n - sp)));
  return static_cast<std::size_t>((end ? end : p + n) - sp);
}

}  // namespace

// One connection, whatever carries it (TCP, or a Unix socket for fx's own runtime shims).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void close() = 0;
  virtual bool open() const = 0;
  virtual void respond(HttpResponse response, bool keep_alive) = 0;
};

// An acceptor, and what it needs to pause: at max_connections, and after a failed accept.
template <class Protocol>
struct Listener {
  typename Protocol::acceptor acceptor;
  asio::steady_timer retry;
  Clock::duration backoff{};  // the next pause after a failure, doubled at each one in a row
  bool paused = false;        // not accepting: max_connections are open
  explicit Listener(asio::io_context& io) : acceptor(io), retry(io) {}
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::io_context& io;
  RequestHandler handler;
  std::shared_ptr<const HttpServerOptions> options;
  // The shortest timeout: a connection's timer is never armed further ahead than that, so
  // that the next deadline (always at least that far off) never needs to re-arm it. Most
  // requests then cost a clock read instead of timer operations.
  Clock::duration tick;
  Listener<tcp> tcp_listener;
  std::optional<Listener<local>> unix_listener;
  std::string local_path;  // the Unix socket's file, removed at close
  std::set<std::shared_ptr<SessionBase>> sessions;
  bool closed = false;
  bool hold_pipelined = false;
  std::atomic<std::uint64_t> accept_calls{0};
  std::atomic<std::uint64_t> accept_errors{0};
  std::atomic<std::size_t> connections{0};

  Impl(asio::io_context& ctx, RequestHandler h, HttpServerOptions o)
      : io(ctx),
        handler(std::move(h)),
        options(std::make_shared<const HttpServerOptions>(std::move(o))),
        tick(shortest_timeout(*options)),
        tcp_listener(ctx) {}

  static Clock::duration shortest_timeout(const HttpServerOptions& o) {
    Clock::duration t = std::chrono::hours(1);
    for (auto d :
         {o.header_timeout, o.idle_timeout, o.body_timeout, o.write_timeout, o.linger_timeout})
      if (d.count() > 0) t = std::min<Clock::duration>(t, d);
    return t;
  }
  bool full() const {
    return options->max_connections > 0 && sessions.size() >= options->max_connections;
  }
  // Accepts connections on `l` until closed, pausing when full or out of descriptors.
  template <class Protocol>
  void accept(Listener<Protocol>& l);
  template <class Protocol>
  void start_session(typename Protocol::socket socket);
  // Forgets a closed connection, and accepts again if that was all that stopped it.
  void remove(const std::shared_ptr<SessionBase>& session);
};

template <class Protocol>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Protocol>> {
 public:
  Session(typename Protocol::socket socket, const std::shared_ptr<HttpServer::Impl>& server)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        server_(server),
        options_(server->options),
        tick_(server->tick),
        // Room for a whole head (the parser needs it in one piece) and one read more.
        buffer_(std::max<std::size_t>(server->options->header_limit, 8192) + kReadSize) {}

  void start() {
    reset_parser();
    phase_ = Phase::head;
    set_deadline(after(options_->header_timeout));
    parse();
  }
  ~Session() override { drop_spool(); }
  void close() override {
    drop_spool();
    if (!open_) return;
    open_ = false;
    phase_ = Phase::done;
    timer_.cancel();
    beast::error_code ec;
    socket_.shutdown(asio::socket_base::shutdown_both, ec);
    socket_.close(ec);
  }
  bool open() const override { return open_; }
  void respond(HttpResponse response, bool keep_alive) override;

 private:
  static constexpr std::size_t kReadSize = 64 * 1024;
  // What the connection waits for, which decides what its deadline means.
  enum class Phase { idle, head, body, handler, writing, lingering, done };
  // What follows the write under way.
  enum class Then { next_request, read_body, linger };

  using std::enable_shared_from_this<Session<Protocol>>::shared_from_this;
  void reset_parser();
  // Reads (or parses, if pipelined) the next request on this connection.
  void next_request(bool from_handler = false);
  void read();
  void on_read(beast::error_code ec, std::size_t n);
  void parse();
  bool check_head();
  bool on_header();
  void on_request();
  bool refuse(int status, std::string_view message);
  bool refuse(beast::error_code ec);
  bool too_large();
  void write();
  void on_write(beast::error_code ec, std::size_t n);
  void linger();
  void linger_read();
  void finish();
  // Whether the next request's head is already in the buffer (the client pipelined it).
  bool next_request_buffered() const;
  // Closes and removes the file a request's body was being written to, if the handler did not
  // get it.
  void drop_spool();

  static Clock::time_point after(std::chrono::milliseconds d) {
    return d.count() > 0 ? Clock::now() + d : kNever;
  }
  Clock::time_point body_deadline() const;
  void set_deadline(Clock::time_point deadline);
  void arm(Clock::time_point at);
  void on_timer(beast::error_code ec, std::uint64_t generation);
  void on_deadline();

  typename Protocol::socket socket_;
  asio::steady_timer timer_;
  std::weak_ptr<HttpServer::Impl> server_;
  std::shared_ptr<const HttpServerOptions> options_;
  Clock::duration tick_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<SpoolBody>> parser_;
  // The current request's body file (spool_body), until the handler has it.
  std::string spool_path_;
  HttpRequest req_;  // the request being read (its head, once that is parsed)
  std::string out_;  // the answer being written
  std::size_t out_done_ = 0;
  std::string held_;  // answers kept back for the next write (hold_pipelined_answers)
  // The file body of the answer being written, and how much of it is sent.
  std::shared_ptr<const HttpResponse::FileBody> file_;
  std::uint64_t file_sent_ = 0;
  Phase phase_ = Phase::head;
  Then then_ = Then::next_request;
  Clock::time_point deadline_ = kNever;  // when the current phase has lasted too long
  Clock::time_point timer_at_ = kNever;  // when the timer fires, kNever if it is not armed
  std::uint64_t timer_generation_ = 0;   // tells a re-armed timer's stale completion apart
  Clock::time_point body_start_{};
  std::size_t body_limit_ = 0;     // the current request's
  std::size_t body_received_ = 0;  // bytes read since its body began
  std::size_t head_consumed_ = 0;  // bytes of the current head the parser has taken
  std::size_t scan_ = 0;           // where check_head goes on looking in the buffer
  std::size_t lingered_ = 0;       // bytes dropped while lingering
  bool head_end_ = false;          // check_head has seen the head's end
  bool first_line_ = false;        // check_head has seen the request line's end
  bool timed_out_ = false;         // the deadline cancelled the read under way
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

// --- timeouts: one timer per connection, armed lazily --------------------------------------

template <class Protocol>
void Session<Protocol>::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // An armed timer that fires first looks again then: nothing to do now.
  if (deadline == kNever || timer_at_ <= deadline) return;
  arm(std::min(deadline, Clock::now() + tick_));
}

template <class Protocol>
void Session<Protocol>::arm(Clock::time_point at) {
  timer_at_ = at;
  timer_.expires_at(at);  // cancels a wait under way, whose completion is then stale
  timer_.async_wait([self = shared_from_this(), generation = ++timer_generation_](
                        beast::error_code ec) { self->on_timer(ec, generation); });
}

template <class Protocol>
void Session<Protocol>::on_timer(beast::error_code, std::uint64_t generation) {
  if (generation != timer_generation_ || !open_) return;
  timer_at_ = kNever;
  if (deadline_ == kNever) return;
  auto now = Clock::now();
  if (now < deadline_) return arm(std::min(deadline_, now + tick_));
  on_deadline();
}

template <class Protocol>
void Session<Protocol>::on_deadline() {
  switch (phase_) {
    case Phase::head:
      // A connection that never sent a byte of this request gets no answer, as when idle.
      if (head_consumed_ + buffer_.size() == 0) return finish();
      [[fallthrough]];
    case Phase::body:
      // The read under way completes cancelled and answers 408.
      timed_out_ = true;
      {
        beast::error_code ec;
        socket_.cancel(ec);
      }
      return;
    case Phase::idle:
    case Phase::writing:  // the client does not read
    case Phase::lingering:
      return finish();
    case Phase::handler:  // (never timed: a long poll)
    case Phase::done:
      return;
  }
}

template <class Protocol>
Clock::time_point Session<Protocol>::body_deadline() const {
  const auto& o = *options_;
  if (o.body_timeout.count() <= 0) return kNever;
  auto earned =
      o.body_min_rate > 0
          ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                static_cast<double>(body_received_) / static_cast<double>(o.body_min_rate)))
          : Clock::duration::zero();
  return body_start_ + o.body_timeout + earned;
}

// --- reading a request ---------------------------------------------------------------------

template <class Protocol>
void Session<Protocol>::drop_spool() {
  if (!parser_) return;
  auto& body = parser_->get().body();
  if (body.fd >= 0) ::close(body.fd);
  body.fd = -1;
  if (!spool_path_.empty()) ::unlink(spool_path_.c_str());
  spool_path_.clear();
}

template <class Protocol>
void Session<Protocol>::reset_parser() {
  drop_spool();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options_->header_limit, std::numeric_limits<std::uint32_t>::max())));
  // Decided by on_header, once the head is known. (Not boost::none: Beast 1.74 compares a
  // Content-Length with an empty optional and finds every length over it.)
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  parser_->eager(false);  // stop after the head, so on_header runs before the body
  head_consumed_ = scan_ = 0;
  head_end_ = first_line_ = false;
}

template <class Protocol>
void Session<Protocol>::next_request(bool from_handler) {
  reset_parser();
  if (buffer_.size() > 0) {  // pipelined: its head (or part of it) is already here
    phase_ = Phase::head;
    set_deadline(after(options_->header_timeout));
    if (!from_handler) return parse();
    // Not from within the handler's send(): the handler must be done with one request
    // (the Runtime API marks the invocation finished after answering it) before it sees
    // the next.
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->open_) self->parse();
    });
    return;
  }
  phase_ = Phase::idle;
  set_deadline(after(options_->idle_timeout));
  read();
}

template <class Protocol>
void Session<Protocol>::read() {
  std::size_t room = buffer_.max_size() - buffer_.size();
  if (room == 0) {
    refuse(http::error::buffer_overflow);
    return;
  }
  socket_.async_read_some(
      buffer_.prepare(std::min(room, kReadSize)),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

template <class Protocol>
void Session<Protocol>::on_read(beast::error_code ec, std::size_t n) {
  if (!open_) return;
  if (timed_out_) {
    timed_out_ = false;
    refuse(408, phase_ == Phase::body ? "the request body did not arrive in time"
                                      : "the request head did not arrive in time");
    return;
  }
  if (ec) {
    // A client that stopped sending mid-request may still read why it is not answered.
    if (ec == asio::error::eof && phase_ != Phase::idle && parser_->got_some())
      refuse(http::error::partial_message);
    else
      finish();
    return;
  }
  buffer_.commit(n);
  if (phase_ == Phase::idle) {
    phase_ = Phase::head;
    set_deadline(after(options_->header_timeout));
  } else if (phase_ == Phase::body) {
    body_received_ += n;
    set_deadline(body_deadline());
  }
  parse();
}

template <class Protocol>
void Session<Protocol>::parse() {
  while (true) {
    if (phase_ == Phase::head && !check_head()) return;
    if (buffer_.size() == 0) return read();
    beast::error_code ec;
    std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (phase_ == Phase::head) {
      head_consumed_ += used;
      scan_ = used > scan_ ? 0 : scan_ - used;
    }
    if (ec == http::error::need_more) return read();
    if (ec) {
      refuse(ec);
      return;
    }
    if (phase_ == Phase::head && parser_->is_header_done() && !on_header()) return;
    if (parser_->is_done()) return on_request();
    if (used == 0) return read();
  }
}

// Looks through the head's bytes that came since the last look for what Beast's parser lets
// through (obsolete line folding) or sees only once the head is whole (a target or a head
// too long). False when it has answered.
template <class Protocol>
bool Session<Protocol>::check_head() {
  if (head_end_) return true;
  const auto& o = *options_;
  auto data = buffer_.data();
  const char* p = static_cast<const char*>(data.data());
  std::size_t n = data.size(), i = scan_;
  while (i < n) {
    auto* nl = static_cast<const char*>(std::memchr(p + i, '\n', n - i));
    if (!nl) {
      i = n;
      break;
    }
    auto j = static_cast<std::size_t>(nl - p);
    if (!first_line_) {
      // The parser keeps the request line in the buffer until it has its end: p is its start.
      first_line_ = true;
      if (target_length(p, j) > o.max_target)
        return refuse(414, fmt::format("the request target is longer than {} bytes", o.max_target));
    }
    if (j + 1 >= n) {  // what follows the line break decides: look again with more
      i = j;
      break;
    }
    char c = p[j + 1];
    if (c == ' ' || c == '\t')
      return refuse(400, "obsolete line folding in the header fields (a line starts with a space)");
    i = j + 1;
    if (c == '\r' || c == '\n') {
      head_end_ = true;
      break;
    }
  }
  scan_ = i;
  if (head_end_) return true;
  if (!first_line_ && target_length(p, n) > o.max_target)
    return refuse(414, fmt::format("the request target is longer than {} bytes", o.max_target));
  if (head_consumed_ + n > o.header_limit)
    return refuse(431, fmt::format("the request head is larger than {} bytes", o.header_limit));
  return true;
}

template <class Protocol>
bool Session<Protocol>::on_header() {
  const auto& o = *options_;
  auto& msg = parser_->get();
  req_ = HttpRequest();
  req_.method = std::string(msg.method_string());
  req_.target = std::string(msg.target());
  if (req_.target.size() > o.max_target)
    return refuse(414, fmt::format("the request target is longer than {} bytes", o.max_target));
  if (req_.target.front() != '/')
    return refuse(400, "the request target must be a path starting with '/'");
  auto q = req_.target.find('?');
  req_.path = req_.target.substr(0, q);
  if (q != std::string::npos) req_.query = req_.target.substr(q + 1);
  for (const auto& field : msg.base()) {
    if (req_.headers.size() == o.max_header_fields)
      return refuse(431,
                    fmt::format("the request has more than {} header fields", o.max_header_fields));
    req_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  body_limit_ = o.body_limit_for ? o.body_limit_for(req_) : o.body_limit;
  // Refused before a byte of it is read (and without "100 Continue").
  if (auto length = parser_->content_length(); length && *length > body_limit_) return too_large();
  if (o.spool_body) {
    if (auto path = o.spool_body(req_); !path.empty()) {
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        return refuse(500, fmt::format("the request body cannot be stored: {}", strerror(errno)));
      spool_path_ = std::move(path);
      parser_->get().body().fd = fd;
    }
  }
  parser_->body_limit(body_limit_);  // cuts a chunked body once it passes the limit
  parser_->eager(true);
  phase_ = Phase::body;
  body_start_ = Clock::now();
  body_received_ = buffer_.size();
  if (parser_->is_done()) return true;
  // curl and some SDKs wait for "100 Continue" before sending a large body.
  auto expect = msg[http::field::expect];
  if (util::iequals(std::string_view(expect.data(), expect.size()), "100-continue")) {
    // Behind any held answer: responses leave in the order their requests came.
    out_.clear();
    out_.swap(held_);
    out_ += "HTTP/1.1 100 Continue\r\n\r\n";
    then_ = Then::read_body;
    write();
    return false;
  }
  set_deadline(body_deadline());
  return true;
}

template <class Protocol>
void Session<Protocol>::on_request() {
  phase_ = Phase::handler;
  deadline_ = kNever;  // the handler may hold the request (a long poll): not a read
  auto server = server_.lock();
  if (!server) return finish();
  auto& msg = parser_->get();
  HttpRequest req = std::move(req_);
  req.body = std::move(msg.body().data);
  if (msg.body().fd >= 0) {
    ::close(msg.body().fd);
    msg.body().fd = -1;
    req.body_file = std::move(spool_path_);
    spool_path_.clear();
  }
  auto responder = std::make_shared<SessionResponder>(shared_from_this(), msg.keep_alive());
  server->handler(req, std::move(responder));
}

template <class Protocol>
bool Session<Protocol>::refuse(int status, std::string_view message) {
  respond(HttpResponse::json(status, json_message(message)), false);
  return false;
}

template <class Protocol>
bool Session<Protocol>::refuse(beast::error_code ec) {
  if (ec == http::error::body_limit) return too_large();
  if (parser_ && parser_->get().body().error != 0)  // the disk, not the client
    return refuse(500, fmt::format("the request body cannot be stored: {}", ec.message()));
  if (ec == http::error::header_limit)
    return refuse(431,
                  fmt::format("the request head is larger than {} bytes", options_->header_limit));
  return refuse(400, describe(ec));
}

template <class Protocol>
bool Session<Protocol>::too_large() {
  if (options_->too_large) {
    respond(options_->too_large(req_, body_limit_), false);
    return false;
  }
  auto r = HttpResponse::json(
      413, fmt::format(R"({{"Type":"User","message":"Request must be smaller than {} bytes"}})",
                       body_limit_));
  r.set("x-amzn-ErrorType", "RequestTooLargeException");
  respond(std::move(r), false);
  return false;
}

// --- answering -----------------------------------------------------------------------------

template <class Protocol>
bool Session<Protocol>::next_request_buffered() const {
  auto data = buffer_.data();
  std::string_view text(static_cast<const char*>(data.data()), data.size());
  return text.find("\r\n\r\n") != std::string_view::npos;
}

template <class Protocol>
void Session<Protocol>::respond(HttpResponse response, bool keep_alive) {
  if (!open_) return;
  // One answer held at most: a client pipelining thousands of requests must not make the
  // server keep thousands of answers.
  bool may_hold = held_.empty() && !response.file;
  bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  file_ = bodiless || response.headers_only ? nullptr : response.file;
  file_sent_ = 0;
  // (Swapping keeps both strings' capacity for the next answers.)
  out_.clear();
  out_.swap(held_);
  serialize(out_, response, keep_alive);
  auto server = server_.lock();
  if (keep_alive && may_hold && server && server->hold_pipelined && next_request_buffered()) {
    held_.swap(out_);
    return next_request(true);
  }
  then_ = keep_alive ? Then::next_request : Then::linger;
  write();
}

template <class Protocol>
void Session<Protocol>::write() {
  phase_ = Phase::writing;
  out_done_ = 0;
  set_deadline(after(options_->write_timeout));
  socket_.async_write_some(
      asio::buffer(out_),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); });
}

template <class Protocol>
void Session<Protocol>::on_write(beast::error_code ec, std::size_t n) {
  if (!open_) return;
  if (ec) return finish();
  out_done_ += n;
  if (out_done_ == out_.size() && file_ && file_sent_ < file_->length) {
    // The file body's next piece, read only once the last one is in the socket: a large
    // answer costs one buffer, however large the file.
    constexpr std::uint64_t kPiece = 256 * 1024;
    out_.resize(static_cast<std::size_t>(std::min(kPiece, file_->length - file_sent_)));
    ssize_t got;
    do {
      got = ::pread(file_->fd, out_.data(), out_.size(),
                    static_cast<off_t>(file_->offset + file_sent_));
    } while (got < 0 && errno == EINTR);
    // A file cut short under us: the length is promised, so the connection must end.
    if (got <= 0) return finish();
    out_.resize(static_cast<std::size_t>(got));
    file_sent_ += static_cast<std::uint64_t>(got);
    out_done_ = 0;
  }
  if (out_done_ < out_.size()) {
    set_deadline(after(options_->write_timeout));  // progress: the client reads
    socket_.async_write_some(
        asio::buffer(out_.data() + out_done_, out_.size() - out_done_),
        [self = shared_from_this()](beast::error_code e, std::size_t m) { self->on_write(e, m); });
    return;
  }
  file_.reset();
  out_.clear();
  if (out_.capacity() > (1u << 20)) std::string().swap(out_);  // (after a large answer)
  switch (then_) {
    case Then::next_request:
      return next_request();
    case Then::read_body:
      phase_ = Phase::body;
      body_start_ = Clock::now();
      set_deadline(body_deadline());
      return parse();
    case Then::linger:
      return linger();
  }
}

// Closing right after an answer sent before the request was read through would reset the
// connection (unread data makes the kernel send RST), and a client still sending its body
// would never read the answer. So: shut the sending side, drop what still comes for a
// while, then close.
template <class Protocol>
void Session<Protocol>::linger() {
  beast::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_send, ec);
  if (ec || options_->linger_timeout.count() <= 0) return finish();
  phase_ = Phase::lingering;
  lingered_ = 0;
  buffer_.clear();
  set_deadline(after(options_->linger_timeout));
  linger_read();
}

template <class Protocol>
void Session<Protocol>::linger_read() {
  socket_.async_read_some(buffer_.prepare(kReadSize),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (!self->open_) return;
                            self->lingered_ += n;
                            if (ec || self->lingered_ > self->options_->linger_limit)
                              return self->finish();
                            self->linger_read();
                          });
}

template <class Protocol>
void Session<Protocol>::finish() {
  close();
  if (auto server = server_.lock()) server->remove(shared_from_this());
}

// --- the server ----------------------------------------------------------------------------

template <class Protocol>
void HttpServer::Impl::start_session(typename Protocol::socket socket) {
  beast::error_code ec;
  if constexpr (std::is_same_v<Protocol, tcp>) socket.set_option(tcp::no_delay(true), ec);
  // Not inherited by the function instances the emulator starts.
  ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
  auto session = std::make_shared<Session<Protocol>>(std::move(socket), shared_from_this());
  sessions.insert(session);
  connections.store(sessions.size(), std::memory_order_relaxed);
  session->start();
}

void HttpServer::Impl::remove(const std::shared_ptr<SessionBase>& session) {
  if (sessions.erase(session) == 0) return;
  connections.store(sessions.size(), std::memory_order_relaxed);
  if (closed || full()) return;
  if (tcp_listener.paused) {
    tcp_listener.paused = false;
    accept<tcp>(tcp_listener);
  }
  if (unix_listener && unix_listener->paused) {
    unix_listener->paused = false;
    accept<local>(*unix_listener);
  }
}

template <class Protocol>
void HttpServer::Impl::accept(Listener<Protocol>& l) {
  if (closed) return;
  if (full()) {  // the connections beyond wait in the kernel's backlog
    l.paused = true;
    return;
  }
  l.acceptor.async_accept(io, [self = shared_from_this(), &l](beast::error_code ec,
                                                              typename Protocol::socket socket) {
    if (self->closed) return;
    self->accept_calls.fetch_add(1, std::memory_order_relaxed);
    if (!ec) {
      l.backoff = {};
      if constexpr (std::is_same_v<Protocol, tcp>) {
        if (self->options->vet_connection) {
          if (auto refusal = self->options->vet_connection(socket.native_handle())) {
            // A few hundred bytes into an empty socket buffer: one write, then gone.
            std::string out;
            serialize(out, *refusal, false);
            beast::error_code ignored;
            socket.non_blocking(true, ignored);
            [[maybe_unused]] auto n =
                ::send(socket.native_handle(), out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            socket.shutdown(tcp::socket::shutdown_both, ignored);
            socket.close(ignored);
            return self->accept(l);
          }
        }
      }
      self->start_session<Protocol>(std::move(socket));
      return self->accept(l);
    }
    if (ec == asio::error::operation_aborted) return;
    self->accept_errors.fetch_add(1, std::memory_order_relaxed);
    if (ec == asio::error::connection_aborted) return self->accept(l);  // that client left
    // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), or worse: the
    // connection stays in the backlog, so accepting again at once fails again at once, a
    // busy loop. Wait instead, longer after each failure in a row.
    using std::chrono::milliseconds;
    l.backoff = std::clamp<Clock::duration>(l.backoff * 2, milliseconds(10), milliseconds(1000));
    l.retry.expires_after(l.backoff);
    l.retry.async_wait([self, &l](beast::error_code ec2) {
      if (!ec2 && !self->closed) self->accept(l);
    });
  });
}

namespace {

HttpServerOptions with_body_limit(std::size_t body_limit) {
  HttpServerOptions o;
  o.body_limit = body_limit;
  o.idle_timeout = std::chrono::milliseconds(0);
  return o;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, RequestHandler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), std::move(options))) {}

HttpServer::HttpServer(asio::io_context& io, RequestHandler handler, std::size_t body_limit)
    : HttpServer(io, std::move(handler), with_body_limit(body_limit)) {}

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
  auto& a = impl_->tcp_listener.acceptor;
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
  impl_->accept<tcp>(impl_->tcp_listener);
  return a.local_endpoint().port();
}

void HttpServer::listen_unix(const std::string& path) {
  // (Not Linux's abstract namespace: Node's net module cannot connect to one.)
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    throw Error(fmt::format("the Unix socket path {} is too long", path));
  ::unlink(path.c_str());
  local::endpoint endpoint(path);
  auto& l = impl_->unix_listener.emplace(impl_->io);
  impl_->local_path = path;
  beast::error_code ec;
  l.acceptor.open(endpoint.protocol(), ec);
  if (!ec) l.acceptor.bind(endpoint, ec);
  if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string why = ec.message();
    l.acceptor.close(ec);
    impl_->unix_listener.reset();
    impl_->local_path.clear();
    throw Error(fmt::format("cannot listen on the Unix socket {}: {}", path, why));
  }
  ::fcntl(l.acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
  impl_->accept<local>(l);
}

void HttpServer::serve(int fd) {
  if (impl_->closed) {
    ::close(fd);
    return;
  }
  local::socket socket(impl_->io);
  beast::error_code ec;
  socket.assign(local(), fd, ec);
  if (ec) {
    ::close(fd);
    throw Error(fmt::format("cannot serve file descriptor {}: {}", fd, ec.message()));
  }
  impl_->start_session<local>(std::move(socket));
}

void HttpServer::hold_pipelined_answers(bool hold) {
  impl_->hold_pipelined = hold;
}

HttpServer::Stats HttpServer::stats() const {
  Stats s;
  s.accept_calls = impl_->accept_calls.load(std::memory_order_relaxed);
  s.accept_errors = impl_->accept_errors.load(std::memory_order_relaxed);
  s.connections = impl_->connections.load(std::memory_order_relaxed);
  return s;
}

void HttpServer::close() {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  beast::error_code ec;
  impl_->tcp_listener.acceptor.close(ec);
  impl_->tcp_listener.retry.cancel();
  if (impl_->unix_listener) {
    impl_->unix_listener->acceptor.close(ec);
    impl_->unix_listener->retry.cancel();
  }
  if (!impl_->local_path.empty()) ::unlink(impl_->local_path.c_str());
  auto sessions = std::move(impl_->sessions);
  impl_->sessions.clear();
  impl_->connections.store(0, std::memory_order_relaxed);
  for (auto& s : sessions) s->close();
}

}  // namespace fx::emulator
