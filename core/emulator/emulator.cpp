// The emulator's front door: routes each request of the main port to the Lambda API, fx's
// own endpoints, or an error shaped the way AWS SDKs expect, and owns the daemon's life.
#include "core/emulator/emulator.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "core/emulator/code_store.h"
#include "core/emulator/events.h"
#include "core/emulator/gateway_server.h"
#include "core/emulator/http_server.h"
#include "core/emulator/lambda_requests.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/emulator/queue_service.h"
#include "core/events/schedule.h"
#include "core/gateway/routes.h"
#include "core/runtimes/resolver.h"
#include "core/store/store.h"
#include "core/usage/cost_report.h"
#include "core/util/embedded.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"
#include "core/util/sandbox.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::size_t kSyncPayloadLimit = 6 * 1024 * 1024;
constexpr std::size_t kAsyncPayloadLimit = 1024 * 1024;

HttpResponse service_error(int status, std::string_view type, std::string_view message) {
  // A message may quote what the client sent, which need not be UTF-8: replace what is not,
  // rather than let the JSON writer throw.
  auto r = HttpResponse::json(
      status,
      json{{"Type", status >= 500 ? "Service" : "User"}, {"message", message}, {"Message", message}}
          .dump(-1, ' ', false, json::error_handler_t::replace));
  r.set("x-amzn-ErrorType", std::string(type));
  return r;
}

// The one place an exception becomes an answer. ApiErrors carry the service's own status and
// words; fx::Error is something the client can fix; anything else is a bug in fx: a 500,
// whose details go to the daemon's log (emulator.log), not to the client.
HttpResponse error_response(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const lambda::ApiError& e) {
    return service_error(e.status(), e.type(), e.what());
  } catch (const Error& e) {
    return service_error(400, "InvalidParameterValueException", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "fx emulator: internal error (a bug in fx): {}\n", e.what());
    return service_error(500, "ServiceException",
                         "The fx emulator failed on this request (a bug in fx); its log "
                         "(FX_HOME/emulator.log) has the details");
  } catch (...) {
    fmt::print(stderr, "fx emulator: internal error (a bug in fx): unknown exception\n");
    return service_error(500, "ServiceException", "The fx emulator failed on this request");
  }
}

// Answers a request with the error `error`, unless it was answered already.
void answer_error(Responder& r, std::exception_ptr error) {
  if (!r.sent()) r.send(error_response(std::move(error)));
}

// Compares in time independent of where the first difference is, so that the token of an
// emulator on the network cannot be guessed byte by byte.
bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

std::string lambda_timestamp() {
  auto ms = util::now_ms();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}+0000", fmt::gmtime(secs), ms % 1000);
}

// The region a request is for: fx's own header, else the SigV4 credential scope.
std::string request_region(const HttpRequest& req, const std::string& fallback) {
  if (auto r = req.header("X-Fx-Region"); !r.empty()) return std::string(r);
  std::string_view auth = req.header("Authorization");
  auto at = auth.find("Credential=");
  if (at != std::string_view::npos) {
    std::string_view cred = auth.substr(at + 11);
    cred = cred.substr(0, cred.find_first_of(", "));
    // AKID/DATE/REGION/SERVICE/aws4_request
    std::size_t s1 = cred.find('/'), s2 = cred.find('/', s1 + 1), s3 = cred.find('/', s2 + 1);
    if (s3 != std::string_view::npos) return std::string(cred.substr(s2 + 1, s3 - s2 - 1));
  }
  return fallback;
}

// A query parameter of fx's own API that must be a whole number >= 0 (0 when absent).
std::int64_t query_number(const HttpRequest& req, std::string_view key) {
  std::string v = req.query_param(key);
  std::int64_t n = 0;
  bool valid = v.size() <= 18;
  for (char c : v) {
    valid &= c >= '0' && c <= '9';
    if (valid) n = n * 10 + (c - '0');
  }
  if (!valid)
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("query parameter '{}' must be a whole number, got '{}'", key, v.substr(0, 64)));
  return n;
}

struct StoredState {
  lambda::FunctionConfiguration config;
  std::string region;
  std::string sha256_hex;
};

std::string stored_json(const FunctionSpec& spec, const std::string& sha_hex) {
  json j = {{"config", json::parse(lambda::to_json(spec.config))},
            {"region", spec.region},
            {"sha256", sha_hex}};
  if (spec.config.reserved_concurrency) j["reserved"] = *spec.config.reserved_concurrency;
  if (!spec.config.tags.empty()) j["tags"] = spec.config.tags;
  return j.dump();
}

// Runs slow reads (a cost report over a million records) off the I/O thread, one at a time,
// so invocations are not held up meanwhile. Jobs left when it is destroyed are dropped.
class BackgroundWorker {
 public:
  BackgroundWorker() : thread_([this] { run(); }) {}
  ~BackgroundWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

// The instances' Unix sockets live in FX_HOME/run, emptied at each start (a killed emulator
// leaves its sockets behind).
PoolOptions pool_options(const fs::path& home) {
  PoolOptions o;
  std::error_code ec;
  fs::remove_all(home / "run", ec);
  if (fs::create_directories(home / "run", ec) || fs::is_directory(home / "run"))
    o.socket_dir = home / "run";
  const auto& sandbox = util::sandbox_support();
  if (sandbox.available && fs::create_directories(home / "run" / "root", ec)) {
    o.sandbox_root = home / "run" / "root";
    // The instance's user has a name, as Lambda's sbx_user1051 has: without one, every
    // getpwuid (Python's site module asks at each start) fell through /etc/passwd to the
    // other NSS modules, 6 ms of a Python cold start.
    for (const auto& [file, entry] :
         {std::pair{"passwd", "sbx_user1051:x:993:990::/tmp:/sbin/nologin\n"},
          std::pair{"group", "sbx_user1051:x:990:\n"}}) {
      std::ifstream in(fs::path("/etc") / file);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty() && text.back() != '\n') text += '\n';
      std::ofstream(home / "run" / file) << text << entry;
    }
  } else if (!sandbox.available)  // said once, at start; `fx info` says it too
    fmt::print(stderr,
               "fx emulator: functions run without a sandbox (as this user, seeing its files): "
               "{}\n",
               sandbox.reason);
  return o;
}

class Emulator {
 public:
  Emulator(const EmulatorOptions& options, asio::io_context& io)
      : options_(options),
        io_(io),
        sink_(options.home / "state.db",
              [&io](std::function<void()> done) { asio::post(io, std::move(done)); }),
        code_(options.home / "code"),
        runtimes_(options.home / "runtimes"),
        pool_(io, sink_, runtimes_, pool_options(options.home)),
        events_(io, pool_, sink_, options.region, clock_speed()),
        gateway_(io, pool_, sink_),
        queues_(io, pool_, sink_, options.home / "queues.db", options.region),
        server_(
            io,
            [this](HttpRequest& req, std::shared_ptr<Responder> r) { route(req, std::move(r)); },
            server_options()) {
    events_.set_queue_sender([this](const std::string& queue, const std::string& body) {
      return queues_.send(queue, body);
    });
  }

  void restore() {
    for (auto& stored : sink_.reader().layers()) {
      try {
        layers_[stored.name].push_back(
            {lambda::layer_version_from_json(stored.json), code_.get(stored.code_sha256_hex)});
      } catch (const std::exception& e) {
        fmt::print(stderr, "fx emulator: cannot restore layer {}:{}: {}\n", stored.name,
                   stored.version, e.what());
      }
    }
    for (auto& stored : sink_.reader().functions()) {
      try {
        json j = json::parse(stored.config_json);
        FunctionSpec spec;
        spec.config = lambda::configuration_from_json(j["config"].dump());
        spec.region = j.value("region", options_.region);
        if (j.contains("reserved")) spec.config.reserved_concurrency = j["reserved"].get<int>();
        if (j.contains("tags"))
          spec.config.tags = j["tags"].get<std::map<std::string, std::string>>();
        spec.code_dir = code_.get(stored.code_sha256_hex).dir;
        spec.opt_dir = merge_layers(options_.home, layer_codes(spec.config.layers));
        sha_by_function_[spec.config.function_name] = stored.code_sha256_hex;
        pool_.deploy(std::move(spec));
      } catch (const std::exception& e) {
        fmt::print(stderr, "fx emulator: cannot restore function {}: {}\n", stored.name, e.what());
      }
    }
    for (auto& [name, text] : sink_.reader().services()) {
      try {
        apply_service(name, json::parse(text));
      } catch (const std::exception& e) {
        fmt::print(stderr, "fx emulator: cannot restore the events of {}: {}\n", name, e.what());
      }
    }
    events_.restore_async();
  }

  std::uint16_t listen() {
    port_ = server_.listen(options_.address, options_.port);
    // The URL this machine's clients use: a wildcard address is reached on loopback; IPv6
    // needs brackets.
    std::string host = options_.address == "0.0.0.0" ? "127.0.0.1"
                       : options_.address == "::"    ? "[::1]"
                       : options_.address.find(':') != std::string::npos
                           ? "[" + options_.address + "]"
                           : options_.address;
    url_ = fmt::format("http://{}:{}", host, port_);
    std::uint16_t gateway_port = 0;
    if (options_.gateway_port >= 0) {
      gateway_port = gateway_.listen(options_.address, options_.gateway_port);
    } else if (options_.port == 0) {  // a throwaway emulator (tests): no fixed ports at all
      gateway_port = gateway_.listen(options_.address, 0);
    } else {
      try {
        gateway_port = gateway_.listen(options_.address, kDefaultGatewayPort);
      } catch (const Error&) {
        gateway_port = gateway_.listen(options_.address, 0);
        fmt::print("fx emulator: port {} is taken; the HTTP gateway is on {} instead\n",
                   kDefaultGatewayPort, gateway_port);
      }
    }
    gateway_url_ = fmt::format("http://{}:{}", host, gateway_port);
    return port_;
  }
  const std::string& url() const { return url_; }
  const std::string& gateway_url() const { return gateway_url_; }
  Pool& pool() { return pool_; }
  void close() {
    server_.close();
    gateway_.close();
  }

 private:
  struct LayerEntry {
    lambda::LayerVersion meta;
    StoredCode code;
  };
  // The stored code of each layer version, in order. Throws Lambda's
  // InvalidParameterValueException naming a version that does not exist.
  std::vector<StoredCode> layer_codes(const std::vector<std::string>& arns) const;
  static std::uint64_t unzipped_size(const std::vector<StoredCode>& codes);
  // The layers' contents merged in order into one folder (later layers win), shared by every
  // function with the same list. Only touches the filesystem: runs on the code worker.
  static fs::path merge_layers(const fs::path& home, const std::vector<StoredCode>& layers);

  // Every request of the main port comes in here, and every exception its handlers throw
  // (at once, or later on the code worker) ends as that request's answer: handlers get the
  // responder by reference and never take the router's own.
  // The main port's limits: each operation's body limit, known from its request line and
  // checked before the body is read, and Lambda's 413 for one over it.
  static HttpServerOptions server_options();
  void route(HttpRequest& req, std::shared_ptr<Responder> r);
  void dispatch(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void route_lambda(HttpRequest& req, const std::shared_ptr<Responder>& r, std::string_view rest);
  void route_layers(HttpRequest& req, const std::shared_ptr<Responder>& r, std::string_view rest);
  void create_function(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void update_code(const std::string& name, HttpRequest& req, const std::shared_ptr<Responder>& r);
  void update_configuration(const std::string& name, HttpRequest& req,
                            const std::shared_ptr<Responder>& r);
  void invoke(const std::string& name, HttpRequest& req, const std::shared_ptr<Responder>& r);
  void concurrency(const std::string& name, HttpRequest& req, Responder& r);
  void tags(const std::string& name, HttpRequest& req, Responder& r);
  void fx_logs(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void fx_status(Responder& r);
  void fx_reports(HttpRequest& req, Responder& r);
  void fx_cost(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void fx_service(const std::string& name, HttpRequest& req, Responder& r);
  void fx_code(std::string_view name, Responder& r);
  // Unpacking a zip of up to 250 MB, or merging layers, must not stall every other request:
  // `work` runs on the code worker, then `then` on the I/O thread with its result. Whatever
  // either throws answers `r`.
  template <class T>
  void off_io_thread(const std::shared_ptr<Responder>& r, std::function<T()> work,
                     std::function<void(T&)> then);
  std::string gateway_url_for(const HttpRequest& req) const;
  // Returns warnings for the deployer (a route another service also serves).
  std::vector<std::string> apply_service(const std::string& name, const json& events);
  static double clock_speed();
  json get_function_json(const FunctionState& fn);
  void save(const FunctionSpec& spec, const std::string& sha_hex);
  std::string code_sha_hex(const FunctionState& fn) const;
  const FunctionState& existing(const std::string& name, const HttpRequest& req) const;
  bool host_is_ours(std::string_view host) const;
  // Throws the 401 or 403 a request without the right to call the main port gets.
  void authorize(const HttpRequest& req) const;
  // Deletes log lines and usage records older than their function's logRetentionInDays, now
  // and then every hour (of the schedules' clock, so tests can speed it up).
  void prune_logs();

  EmulatorOptions options_;
  asio::io_context& io_;
  LogSink sink_;
  CodeStore code_;
  runtimes::RuntimeResolver runtimes_;
  Pool pool_;
  EventSources events_;
  GatewayServer gateway_;
  QueueService queues_;
  std::string gateway_url_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::map<std::string, std::string> sha_by_function_;
  std::map<std::string, std::vector<LayerEntry>> layers_;  // by name, versions in order
  std::map<std::string, int> retention_days_;  // by deployed function: logRetentionInDays
  std::unique_ptr<asio::steady_timer> prune_timer_;
  std::unique_ptr<store::Store> background_reader_;  // used on worker_'s thread only
  // Last: joined before the members their jobs use are destroyed.
  BackgroundWorker code_worker_;  // unpacking uploaded code, merging layers
  BackgroundWorker worker_;       // slow reads: cost reports
};

std::uint64_t Emulator::unzipped_size(const std::vector<StoredCode>& codes) {
  std::uint64_t total = 0;
  for (const auto& c : codes) total += static_cast<std::uint64_t>(c.unzipped_size);
  return total;
}

std::vector<StoredCode> Emulator::layer_codes(const std::vector<std::string>& arns) const {
  std::vector<StoredCode> out;
  for (const auto& arn : arns) {
    const LayerEntry* found = nullptr;
    for (const auto& [name, versions] : layers_)
      for (const auto& v : versions)
        if (v.meta.version_arn == arn) found = &v;
    if (!found)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             fmt::format("Layer version {} does not exist.", arn));
    out.push_back(found->code);
  }
  return out;
}

fs::path Emulator::merge_layers(const fs::path& home, const std::vector<StoredCode>& layers) {
  if (layers.empty()) return {};
  std::string key;
  for (const auto& code : layers) key += code.sha256_hex;
  fs::path dir = home / "opt" / util::sha256_hex(key).substr(0, 32);
  if (fs::exists(dir / ".fx-complete")) return dir;
  fs::path tmp = dir.string() + ".tmp";
  util::remove_tree(tmp);
  fs::create_directories(tmp);
  for (const auto& code : layers) {
    fs::copy(code.dir, tmp, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    // The copies keep the layer's read-only modes; a later layer overwrites some of them.
    util::remove_tree(tmp / ".fx-complete");
    util::make_tree_writable(tmp);
  }
  std::ofstream(tmp / ".fx-complete").put('\n');
  util::make_tree_read_only(tmp);
  util::remove_tree(dir);
  fs::rename(tmp, dir);
  return dir;
}

namespace {

// The operation a request is, as Lambda names it in its 413s, and its body limit.
std::pair<std::string_view, std::size_t> body_limit_of(const HttpRequest& head) {
  std::string_view path = head.path;
  if (path.starts_with("/2015-03-31/functions")) {
    if (head.method == "POST" &&
        (path == "/2015-03-31/functions" || path == "/2015-03-31/functions/"))
      return {"CreateFunction", kMaxCreateFunctionRequestBytes};
    if (head.method == "PUT" && path.ends_with("/code"))
      return {"UpdateFunctionCode", kMaxUpdateCodeRequestBytes};
    if (head.method == "POST" && path.ends_with("/invocations"))
      return {"InvokeFunction", head.header("X-Amz-Invocation-Type") == "Event"
                                    ? kAsyncPayloadLimit
                                    : kSyncPayloadLimit};
  }
  if (path.starts_with("/2018-10-31/layers/") && head.method == "POST")
    return {"PublishLayerVersion", kMaxCreateFunctionRequestBytes};
  // SQS: a batch of ten 256 KB messages and its JSON; fx's own API: a service's events and a
  // price table.
  if (head.header("X-Amz-Target").starts_with("AmazonSQS.") || path.starts_with("/_fx/"))
    return {"", 8 * 1024 * 1024};
  return {"", kMaxControlRequestBytes};
}

}  // namespace

HttpServerOptions Emulator::server_options() {
  HttpServerOptions o;
  o.body_limit = kMaxControlRequestBytes;
  o.body_limit_for = [](const HttpRequest& head) { return body_limit_of(head).second; };
  o.too_large = [](const HttpRequest& head, std::size_t limit) {
    auto operation = body_limit_of(head).first;
    if (operation.empty())
      return service_error(413, "RequestEntityTooLargeException",
                           fmt::format("Request must be smaller than {} bytes", limit));
    return error_response(std::make_exception_ptr(request_too_large(limit, operation)));
  };
  return o;
}

template <class T>
void Emulator::off_io_thread(const std::shared_ptr<Responder>& r, std::function<T()> work,
                             std::function<void(T&)> then) {
  code_worker_.post([this, r, work = std::move(work), then = std::move(then)]() mutable {
    auto result = std::make_shared<T>();
    std::exception_ptr error;
    try {
      *result = work();
    } catch (...) {
      error = std::current_exception();
    }
    asio::post(io_, [r, result, error, then = std::move(then)]() mutable {
      if (error) return answer_error(*r, error);
      try {
        then(*result);
      } catch (...) {
        answer_error(*r, std::current_exception());
      }
    });
  });
}

void Emulator::route_layers(HttpRequest& req, const std::shared_ptr<Responder>& r,
                            std::string_view rest) {
  // rest: "NAME/versions" or "NAME/versions/N"
  auto slash = rest.find('/');
  std::string name = url_decode(rest.substr(0, slash));
  std::string_view tail = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  bool valid_name = !name.empty() && name.size() <= 140;
  for (char c : name)
    valid_name &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  if (!valid_name)
    throw lambda::ApiError(
        400, "ValidationException",
        fmt::format("1 validation error detected: Value '{}' at 'layerName' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: "
                    "[a-zA-Z0-9-_]+",
                    name.substr(0, 200)));
  const std::string region = request_region(req, options_.region);
  if (tail == "versions" && req.method == "POST") {
    auto request =
        std::make_shared<PublishLayerVersionRequest>(parse_publish_layer_version(req.body));
    req.body.clear();
    CodeLimits limits;
    limits.operation = "PublishLayerVersion";
    off_io_thread<StoredCode>(
        r, [this, request, limits] { return code_.put(request->zip_file, limits); },
        [this, r, request, name, region](StoredCode& code) {
          auto& versions = layers_[name];
          LayerEntry e;
          e.code = code;
          e.meta.layer_arn =
              fmt::format("arn:aws:lambda:{}:{}:layer:{}", region, lambda::kLocalAccount, name);
          e.meta.version = versions.empty() ? 1 : versions.back().meta.version + 1;
          e.meta.version_arn = fmt::format("{}:{}", e.meta.layer_arn, e.meta.version);
          e.meta.code_sha256 = e.code.code_sha256;
          e.meta.code_size = e.code.size;
          e.meta.description = request->description;
          e.meta.compatible_runtimes = request->compatible_runtimes;
          std::string out = lambda::to_json(e.meta);
          sink_.put_layer({name, e.meta.version, out, e.code.sha256_hex});
          sink_.flush();
          versions.push_back(std::move(e));
          r->send(HttpResponse::json(201, std::move(out)));
        });
    return;
  }
  auto it = layers_.find(name);
  if (tail == "versions" && req.method == "GET") {
    json list = json::array();
    if (it != layers_.end())
      for (auto v = it->second.rbegin(); v != it->second.rend(); ++v)
        list.push_back(json::parse(lambda::to_json(v->meta)));
    return r->send(HttpResponse::json(200, json{{"LayerVersions", list}}.dump()));
  }
  if (tail.starts_with("versions/") && req.method == "GET" && it != layers_.end()) {
    std::string_view number = tail.substr(9);
    long n = 0;
    bool numeric = !number.empty() && number.size() <= 18;
    for (char c : number) {
      numeric &= c >= '0' && c <= '9';
      if (numeric) n = n * 10 + (c - '0');
    }
    if (numeric)
      for (const auto& v : it->second)
        if (v.meta.version == n) return r->send(HttpResponse::json(200, lambda::to_json(v.meta)));
  }
  if (tail != "versions" && !tail.starts_with("versions/"))
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  throw lambda::ApiError(
      404, "ResourceNotFoundException",
      fmt::format("Layer version {}:{} does not exist.", name, tail.substr(tail.find('/') + 1)));
}

void Emulator::save(const FunctionSpec& spec, const std::string& sha_hex) {
  sha_by_function_[spec.config.function_name] = sha_hex;
  sink_.put_function(
      {spec.config.function_name, stored_json(spec, sha_hex), sha_hex, util::now_ms()});
  // A deploy is answered only once it would survive a crash of the emulator.
  sink_.flush();
}

std::string Emulator::code_sha_hex(const FunctionState& fn) const {
  auto it = sha_by_function_.find(fn.spec.config.function_name);
  return it == sha_by_function_.end() ? fn.spec.code_dir.filename().string() : it->second;
}

const FunctionState& Emulator::existing(const std::string& name, const HttpRequest& req) const {
  const auto* fn = pool_.find(name);
  if (!fn)
    throw lambda::ApiError(404, "ResourceNotFoundException",
                           fmt::format("Function not found: {}",
                                       lambda::function_arn(request_region(req, options_.region),
                                                            lambda::kLocalAccount, name)));
  return *fn;
}

void Emulator::route(HttpRequest& req, std::shared_ptr<Responder> r) {
  try {
    dispatch(req, r);
  } catch (...) {
    answer_error(*r, std::current_exception());
  }
}

// Whether a Host header names this emulator: a loopback name, or the address it listens
// on. A page whose own name resolves to 127.0.0.1 (DNS rebinding) sends its own name.
bool Emulator::host_is_ours(std::string_view host) const {
  if (host.empty()) return true;  // HTTP/1.0 clients; browsers always send one
  std::string_view name = host;
  if (name.starts_with('[')) {
    name = name.substr(0, name.find(']') + 1);
  } else if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower.ends_with(".localhost") || lower == "[::1]" ||
      lower.starts_with("127."))
    return true;
  const std::string& address = options_.address;
  if (address == "0.0.0.0" || address == "::") return true;  // anywhere: the token guards it
  return lower == address || lower == "[" + address + "]";
}

// Who may call the main port. A web page must never: browsers send Origin (and Sec-Fetch-*)
// on what a page makes them send, and cannot add Authorization to a cross-site request
// without a preflight this server never approves. So every call needs a credential: fx's
// token (Bearer or X-Fx-Token), or for the AWS APIs an AWS signature (any, as AWS's own
// local tools accept) unless the emulator was given a token, which then is the only key.
void Emulator::authorize(const HttpRequest& req) const {
  if (!host_is_ours(req.header("Host")))
    throw lambda::ApiError(
        403, "AccessDeniedException",
        fmt::format("the Host header '{}' names neither this emulator nor loopback; requests "
                    "that a web page sends through DNS rebinding are refused",
                    req.header("Host").substr(0, 200)));
  auto origin = req.header("Origin");
  auto fetch_site = req.header("Sec-Fetch-Site");
  if (!origin.empty() || (!fetch_site.empty() && fetch_site != "none"))
    throw lambda::ApiError(
        403, "AccessDeniedException",
        fmt::format("requests from web pages{} are refused by the emulator's API; a page may "
                    "call the functions' HTTP routes on the gateway ({})",
                    origin.empty() ? "" : fmt::format(" (Origin: {})", origin.substr(0, 200)),
                    gateway_url_));
  std::string_view auth = req.header("Authorization");
  std::string_view sent = req.header("X-Fx-Token");
  if (sent.empty() && auth.starts_with("Bearer ")) sent = auth.substr(7);
  const bool fx_api = req.path.starts_with("/_fx/");
  if (!sent.empty()) {
    if (!same_secret(sent, options_.token))
      throw lambda::ApiError(401, "UnrecognizedClientException",
                             "the token in the request is not this fx emulator's");
    return;
  }
  if (fx_api || options_.shared) {
    // Says whether the token was missing or wrong: the two have different fixes. A SigV4
    // Authorization (the AWS CLI, SDKs) carries no fx token, so it counts as missing.
    throw lambda::ApiError(401, "UnrecognizedClientException",
                           options_.shared
                               ? "this fx emulator requires a token and the request has none"
                               : "fx's own API requires the emulator's token (in FX_HOME/token) "
                                 "and the request has none");
  }
  if (!auth.starts_with("AWS4-HMAC-SHA256 "))
    throw lambda::ApiError(
        403, "MissingAuthenticationTokenException",
        "Missing Authentication Token: sign the request as the AWS CLI and SDKs do (any "
        "credentials will do for the local emulator), or send the emulator's token");
}

void Emulator::dispatch(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  std::string_view path = req.path;
  authorize(req);
  // SQS's JSON protocol: POST with X-Amz-Target, to "/" or to a queue's URL.
  if (req.method == "POST" && req.header("X-Amz-Target").starts_with("AmazonSQS."))
    return queues_.handle(req, r, url_);
  if (path.starts_with("/2015-03-31/functions")) return route_lambda(req, r, path.substr(21));
  if (path.starts_with("/2017-10-31/functions/") && path.ends_with("/concurrency") &&
      path.size() > 22 + 12) {
    auto ref = checked_function_ref(url_decode(path.substr(22, path.size() - 22 - 12)));
    return concurrency(ref.name, req, *r);
  }
  if (path.starts_with("/2017-03-31/tags/")) {
    // Tags take an ARN; the emulator also accepts a plain name.
    auto ref = checked_function_ref(url_decode(path.substr(17)));
    return tags(ref.name, req, *r);
  }
  if (path.starts_with("/2018-10-31/layers/")) return route_layers(req, r, path.substr(19));
  if (path == "/_fx/v1/status") return fx_status(*r);
  if (path == "/_fx/v1/logs") return fx_logs(req, r);
  if (path == "/_fx/v1/reports") return fx_reports(req, *r);
  if (path == "/_fx/v1/cost") return fx_cost(req, r);
  if (path.starts_with("/_fx/v1/services/")) {
    try {
      return fx_service(url_decode(path.substr(17)), req, *r);
    } catch (const json::exception& e) {
      // fx deploy writes this document; anything else sending it is told what is wrong,
      // without nlohmann's "[json.exception.type_error.302]" prefix.
      std::string what = e.what();
      if (auto end = what.find("] "); what.starts_with("[json.") && end != std::string::npos)
        what = what.substr(end + 2);
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "the service's events document is not one fx deploy writes: " + what);
    }
  }
  if (path == "/_fx/v1/shutdown" && req.method == "POST") {
    r->send(HttpResponse::json(200, R"({"stopping":true})"));
    asio::post(io_, [this] { io_.stop(); });
    return;
  }
  if (path.starts_with("/_fx/v1/code/") && req.method == "GET") return fx_code(path.substr(13), *r);
  throw lambda::ApiError(404, "UnknownOperationException",
                         fmt::format("Unknown operation {} {}", req.method, req.path));
}

void Emulator::fx_code(std::string_view raw_name, Responder& r) {
  auto ref = checked_function_ref(url_decode(raw_name));
  const auto* fn = pool_.find(ref.name);
  if (!fn)
    throw lambda::ApiError(404, "ResourceNotFoundException", "Function not found: " + ref.name);
  std::ifstream in(options_.home / "code" / (code_sha_hex(*fn) + ".zip"), std::ios::binary);
  HttpResponse res;
  res.set("Content-Type", "application/zip");
  res.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.send(std::move(res));
}

void Emulator::route_lambda(HttpRequest& req, const std::shared_ptr<Responder>& r,
                            std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (req.method == "POST") return create_function(req, r);
    if (req.method == "GET") {
      json list = json::array();
      for (const auto* fn : pool_.functions())
        list.push_back(json::parse(lambda::to_json(fn->spec.config)));
      return r->send(HttpResponse::json(200, json{{"Functions", list}}.dump()));
    }
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  if (rest.front() != '/')
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  rest.remove_prefix(1);
  auto slash = rest.find('/');
  auto ref = checked_function_ref(url_decode(rest.substr(0, slash)));
  std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto& fn = existing(ref.name, req);

  if (action == "invocations" && req.method == "POST") return invoke(ref.name, req, r);
  if (action.empty() && req.method == "GET")
    return r->send(HttpResponse::json(200, get_function_json(fn).dump()));
  if (action == "configuration" && req.method == "GET")
    return r->send(HttpResponse::json(200, lambda::to_json(fn.spec.config)));
  if (action == "configuration" && req.method == "PUT")
    return update_configuration(ref.name, req, r);
  if (action == "code" && req.method == "PUT") return update_code(ref.name, req, r);
  if (action.empty() && req.method == "DELETE") {
    pool_.remove(ref.name);
    sha_by_function_.erase(ref.name);
    sink_.delete_function(ref.name);
    sink_.flush();
    HttpResponse res;
    res.status = 204;
    return r->send(std::move(res));
  }
  throw lambda::ApiError(404, "UnknownOperationException",
                         fmt::format("Unknown operation {} {}", req.method, req.path));
}

json Emulator::get_function_json(const FunctionState& fn) {
  json j = {{"Configuration", json::parse(lambda::to_json(fn.spec.config))},
            {"Code",
             {{"RepositoryType", "S3"},
              {"Location", fmt::format("{}/_fx/v1/code/{}", url_, fn.spec.config.function_name)}}},
            {"Tags", fn.spec.config.tags}};
  if (fn.spec.config.reserved_concurrency)
    j["Concurrency"] = {{"ReservedConcurrentExecutions", *fn.spec.config.reserved_concurrency}};
  return j;
}

namespace {

// What the code worker hands back: the stored code and the function's layers merged.
struct UnpackedCode {
  StoredCode code;
  fs::path opt_dir;
};

}  // namespace

void Emulator::create_function(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  auto request = std::make_shared<CreateFunctionRequest>(parse_create_function(req.body));
  req.body.clear();
  auto ref = checked_function_ref(request->function_name);
  if (pool_.find(ref.name))
    throw lambda::ApiError(409, "ResourceConflictException", "Function already exist: " + ref.name);
  auto spec = std::make_shared<FunctionSpec>();
  spec->region = request_region(req, options_.region);
  auto& c = spec->config;
  c.function_name = ref.name;
  c.function_arn = lambda::function_arn(spec->region, lambda::kLocalAccount, ref.name);
  // The emulator runs no IAM: a function without a role gets one that names the emulator.
  c.role = fmt::format("arn:aws:iam::{}:role/fx-local", lambda::kLocalAccount);
  apply_config(c, request->config);
  c.tags = request->tags;
  auto layers = layer_codes(c.layers);
  CodeLimits limits;
  limits.operation = "CreateFunction";
  limits.unzipped_used = unzipped_size(layers);
  off_io_thread<UnpackedCode>(
      r,
      [this, request, layers, limits] {
        UnpackedCode out;
        out.code = code_.put(request->zip_file, limits);
        out.opt_dir = merge_layers(options_.home, layers);
        return out;
      },
      [this, r, spec](UnpackedCode& unpacked) {
        auto& c = spec->config;
        // Another CreateFunction of the same name may have finished while this one unpacked.
        if (pool_.find(c.function_name))
          throw lambda::ApiError(409, "ResourceConflictException",
                                 "Function already exist: " + c.function_name);
        c.code_sha256 = unpacked.code.code_sha256;
        c.code_size = unpacked.code.size;
        c.last_modified = lambda_timestamp();
        c.revision_id = new_request_id();
        spec->code_dir = unpacked.code.dir;
        spec->opt_dir = unpacked.opt_dir;
        const auto& resolved = runtimes_.resolve(c.runtime);  // nothing for custom runtimes
        if (!resolved.warning.empty()) c.warnings.push_back(resolved.warning);
        if (!resolved.error.empty()) c.warnings.push_back(resolved.error);
        std::string out = lambda::to_json(c);
        save(*spec, unpacked.code.sha256_hex);
        pool_.deploy(std::move(*spec));
        r->send(HttpResponse::json(201, std::move(out)));
      });
}

void Emulator::update_code(const std::string& name, HttpRequest& req,
                           const std::shared_ptr<Responder>& r) {
  auto zip = std::make_shared<std::string>(parse_update_code(req.body));
  req.body.clear();
  CodeLimits limits;
  limits.operation = "UpdateFunctionCode";
  limits.unzipped_used = unzipped_size(layer_codes(existing(name, req).spec.config.layers));
  off_io_thread<StoredCode>(
      r, [this, zip, limits] { return code_.put(*zip, limits); },
      [this, r, name, req_region = request_region(req, options_.region)](StoredCode& stored) {
        const auto* fn = pool_.find(name);
        if (!fn)  // deleted while its new code unpacked
          throw lambda::ApiError(404, "ResourceNotFoundException",
                                 "Function not found: " +
                                     lambda::function_arn(req_region, lambda::kLocalAccount, name));
        FunctionSpec spec = fn->spec;
        spec.config.code_sha256 = stored.code_sha256;
        spec.config.code_size = stored.size;
        spec.config.last_modified = lambda_timestamp();
        spec.config.revision_id = new_request_id();
        spec.config.warnings.clear();
        spec.code_dir = stored.dir;
        std::string out = lambda::to_json(spec.config);
        save(spec, stored.sha256_hex);
        pool_.deploy(std::move(spec));
        r->send(HttpResponse::json(200, std::move(out)));
      });
}

void Emulator::update_configuration(const std::string& name, HttpRequest& req,
                                    const std::shared_ptr<Responder>& r) {
  auto fields = parse_update_configuration(req.body);
  const auto& fn = existing(name, req);
  auto spec = std::make_shared<FunctionSpec>(fn.spec);
  apply_config(spec->config, fields);
  auto layers = layer_codes(spec->config.layers);
  if (fields.layers) {
    // Lambda's cap is on the function's code and all its layers together.
    std::uint64_t total = unzipped_size(layers) +
                          static_cast<std::uint64_t>(code_.get(code_sha_hex(fn)).unzipped_size);
    if (total >= kMaxUnzippedBytes)
      throw lambda::ApiError(
          400, "InvalidParameterValueException",
          fmt::format("Function code combined with layers exceeds the maximum allowed size of "
                      "{} bytes. The actual size is {} bytes.",
                      kMaxUnzippedBytes, total));
  }
  off_io_thread<fs::path>(
      r, [this, layers] { return merge_layers(options_.home, layers); },
      [this, r, spec, name](fs::path& opt_dir) {
        const auto* fn = pool_.find(name);
        if (!fn)
          throw lambda::ApiError(404, "ResourceNotFoundException", "Function not found: " + name);
        // Code deployed meanwhile stays: only the configuration changes here.
        spec->code_dir = fn->spec.code_dir;
        spec->config.code_sha256 = fn->spec.config.code_sha256;
        spec->config.code_size = fn->spec.config.code_size;
        spec->config.tags = fn->spec.config.tags;
        spec->config.reserved_concurrency = fn->spec.config.reserved_concurrency;
        spec->opt_dir = opt_dir;
        spec->config.last_modified = lambda_timestamp();
        spec->config.revision_id = new_request_id();
        spec->config.warnings.clear();
        const auto& resolved = runtimes_.resolve(spec->config.runtime);
        if (!resolved.warning.empty()) spec->config.warnings.push_back(resolved.warning);
        std::string out = lambda::to_json(spec->config);
        save(*spec, code_sha_hex(*fn));
        pool_.deploy(std::move(*spec));
        r->send(HttpResponse::json(200, std::move(out)));
      });
}

void Emulator::concurrency(const std::string& name, HttpRequest& req, Responder& r) {
  const auto& fn = existing(name, req);
  FunctionSpec spec = fn.spec;
  if (req.method == "GET") {
    json j = json::object();
    if (spec.config.reserved_concurrency)
      j["ReservedConcurrentExecutions"] = *spec.config.reserved_concurrency;
    return r.send(HttpResponse::json(200, j.dump()));
  }
  if (req.method == "PUT") {
    spec.config.reserved_concurrency = parse_put_concurrency(req.body);
  } else if (req.method == "DELETE") {
    spec.config.reserved_concurrency.reset();
  } else {
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  save(spec, code_sha_hex(fn));
  pool_.deploy(std::move(spec));
  if (req.method == "DELETE") {
    HttpResponse res;
    res.status = 204;
    return r.send(std::move(res));
  }
  r.send(HttpResponse::json(200, json{{"ReservedConcurrentExecutions",
                                       *pool_.find(name)->spec.config.reserved_concurrency}}
                                     .dump()));
}

// ListTags, TagResource and UntagResource on /2017-03-31/tags/ARN.
void Emulator::tags(const std::string& name, HttpRequest& req, Responder& r) {
  const auto& fn = existing(name, req);
  if (req.method == "GET")
    return r.send(HttpResponse::json(200, json{{"Tags", fn.spec.config.tags}}.dump()));
  auto tags = fn.spec.config.tags;
  if (req.method == "POST") {
    for (auto& [key, value] : parse_tag_resource(req.body)) tags[key] = std::move(value);
    if (tags.size() > 50)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "A function can have at most 50 tags");
  } else if (req.method == "DELETE") {
    for (const auto& key : req.query_params("tagKeys")) tags.erase(key);
  } else {
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  }
  FunctionSpec spec = fn.spec;
  spec.config.tags = tags;
  save(spec, code_sha_hex(fn));
  pool_.set_tags(name, std::move(tags));
  HttpResponse res;
  res.status = 204;
  r.send(std::move(res));
}

void Emulator::invoke(const std::string& name, HttpRequest& req,
                      const std::shared_ptr<Responder>& r) {
  std::string type(req.header("X-Amz-Invocation-Type"));
  if (type.empty()) type = "RequestResponse";
  if (type != "RequestResponse" && type != "Event" && type != "DryRun")
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("1 validation error detected: Value '{}' at 'invocationType' failed to "
                    "satisfy constraint: Member must satisfy enum value set: [Event, "
                    "RequestResponse, DryRun]",
                    type.substr(0, 64)));
  if (auto log_type = req.header("X-Amz-Log-Type");
      !log_type.empty() && log_type != "None" && log_type != "Tail")
    throw lambda::ApiError(
        400, "InvalidParameterValueException",
        fmt::format("1 validation error detected: Value '{}' at 'logType' failed to satisfy "
                    "constraint: Member must satisfy enum value set: [None, Tail]",
                    log_type.substr(0, 64)));
  bool async = type == "Event";
  if (req.body.size() > (async ? kAsyncPayloadLimit : kSyncPayloadLimit))
    throw request_too_large(async ? kAsyncPayloadLimit : kSyncPayloadLimit, "InvokeFunction");
  std::string payload = req.body.empty() ? "{}" : std::move(req.body);
  if (!json::accept(payload))
    throw lambda::ApiError(
        400, "InvalidRequestContentException",
        "Could not parse request body into json: the payload is not valid JSON (or not UTF-8)");
  if (type == "DryRun") {
    HttpResponse res;
    res.status = 204;
    return r->send(std::move(res));
  }
  auto inv = std::make_shared<Invocation>();
  inv->request_id = new_request_id();
  inv->payload = std::move(payload);
  inv->async = async;
  if (auto cc = req.header("X-Amz-Client-Context"); !cc.empty()) {
    // Lambda's limit on the client context is 3583 bytes of base64.
    if (cc.size() > 3583)
      throw lambda::ApiError(400, "InvalidParameterValueException",
                             "Client context must be 3583 bytes or less");
    try {
      inv->client_context = util::base64_decode(cc);
    } catch (const Error&) {
      throw lambda::ApiError(400, "InvalidRequestContentException",
                             "X-Amz-Client-Context is not valid base64");
    }
    if (!json::accept(inv->client_context))
      throw lambda::ApiError(400, "InvalidRequestContentException",
                             "Client context must be a valid JSON object, base64-encoded");
  }
  if (async) {
    // Stored before the 202: an accepted event survives a crash of the emulator.
    events_.submit_async(name, std::move(inv->payload), inv->request_id);
    HttpResponse res;
    res.status = 202;
    res.set("x-amzn-RequestId", inv->request_id);
    return r->send(std::move(res));
  }
  bool tail = req.header("X-Amz-Log-Type") == "Tail";
  inv->done = [r, tail](InvocationResult result) {
    HttpResponse res;
    res.status = result.status;
    res.body = std::move(result.body);
    res.set("Content-Type", "application/json");
    res.set("x-amzn-RequestId", result.request_id);
    if (!result.error_type.empty()) {
      res.set("x-amzn-ErrorType", result.error_type);
      if (result.status == 429) res.set("Retry-After", "1");
    } else {
      res.set("X-Amz-Executed-Version", "$LATEST");
    }
    if (!result.function_error.empty()) res.set("X-Amz-Function-Error", result.function_error);
    if (tail && result.error_type.empty())
      res.set("X-Amz-Log-Result", util::base64_encode(result.log_tail));
    r->send(std::move(res));
  };
  pool_.invoke(name, std::move(inv));
}

void Emulator::fx_status(Responder& r) {
  auto s = pool_.stats();
  json fns = json::array();
  std::uint64_t invocations = 0, cold_starts = 0, errors = 0, timeouts = 0, throttles = 0;
  for (const auto* fn : pool_.functions()) {
    invocations += fn->invocations;
    cold_starts += fn->cold_starts;
    errors += fn->errors;
    timeouts += fn->timeouts;
    throttles += fn->throttles;
    std::size_t busy = 0, idle = 0;
    for (auto& inst : fn->instances) {
      if (inst->state == Instance::State::busy) ++busy;
      if (inst->state == Instance::State::idle) ++idle;
    }
    fns.push_back({{"name", fn->spec.config.function_name},
                   {"runtime", fn->spec.config.runtime},
                   {"busy", busy},
                   {"idle", idle},
                   {"invocations", fn->invocations},
                   {"cold_starts", fn->cold_starts},
                   {"errors", fn->errors},
                   {"timeouts", fn->timeouts},
                   {"throttles", fn->throttles}});
  }
  json j = {
      {"running", true},
      {"pid", ::getpid()},
      {"url", url_},
      {"gateway_url", gateway_url_},
      {"version", FX_VERSION},
      {"home", options_.home.string()},
      {"sandbox", util::sandbox_support().available ? "namespaces (user, pid, mount, ipc)"
                                                    : "none: " + util::sandbox_support().reason},
      {"instances", s.instances},
      {"busy", s.busy},
      {"idle", s.idle},
      {"functions", fns},
      {"totals",
       {{"invocations", invocations},
        {"cold_starts", cold_starts},
        {"errors", errors},
        {"timeouts", timeouts},
        {"throttles", throttles}}}};
  json schedules = json::array();
  for (const auto& st : events_.schedules())
    schedules.push_back({{"service", st.source.service},
                         {"function", st.source.function},
                         {"rule", st.source.rule},
                         {"expression", st.source.expression},
                         {"enabled", st.source.enabled},
                         {"next", st.next_ms ? json(util::iso8601_ms(st.next_ms)) : json()}});
  j["schedules"] = schedules;
  j["async_pending"] = events_.pending_async();
  r.send(HttpResponse::json(200, j.dump()));
}

double Emulator::clock_speed() {
  // Tests run schedules and retry delays faster; nothing else reads this.
  const char* v = std::getenv("FX_EMULATOR_CLOCK_SPEED");
  double speed = v ? std::atof(v) : 1.0;
  return speed > 0 ? speed : 1.0;
}

// The gateway as this caller reaches it: a client on another machine knows the emulator by
// the name in its Host header, and the gateway listens on the same addresses.
std::string Emulator::gateway_url_for(const HttpRequest& req) const {
  std::string_view host = req.header("Host");
  auto port_at = host.starts_with('[') ? host.find("]:") : host.rfind(':');
  if (port_at != std::string_view::npos) host = host.substr(0, port_at + (host[0] == '[' ? 1 : 0));
  if (host.empty()) return gateway_url_;
  return fmt::format("http://{}{}", host, gateway_url_.substr(gateway_url_.rfind(':')));
}

// PUT /_fx/v1/services/NAME: what makes a service's functions run besides direct calls
// (fx deploy sends it after the functions). DELETE: fx remove.
void Emulator::fx_service(const std::string& name, HttpRequest& req, Responder& r) {
  if (req.method == "DELETE") {
    events_.remove_service(name);
    gateway_.remove_service(name);
    queues_.remove_service(name);
    sink_.reader().delete_service(name);
    return r.send(HttpResponse::json(200, json{{"removed", name}}.dump()));
  }
  if (req.method != "PUT")
    return r.send(service_error(405, "MethodNotAllowedException", "PUT or DELETE a service"));
  if (name.empty() || name.size() > 128 || name.find('/') != std::string::npos)
    throw lambda::ApiError(400, "InvalidParameterValueException",
                           "a service name has 1 to 128 characters and no '/'");
  auto events = json::parse(req.body, nullptr, false);
  if (!events.is_object())
    return r.send(service_error(400, "InvalidParameterValueException",
                                "the service's events must be a JSON object"));
  if (events.contains("schedules") && !events["schedules"].is_array())
    return r.send(service_error(400, "InvalidParameterValueException",
                                "the service's schedules must be a JSON array"));
  // A rate schedule counts from when its rule was created: keep the anchors of rules that
  // were already here, so a redeploy does not move their firing times.
  std::map<std::string, std::int64_t> anchors;
  for (const auto& st : events_.schedules())
    if (st.source.service == name)
      anchors[st.source.rule + "\n" + st.source.expression] = st.source.anchor_ms;
  for (auto& sc : events["schedules"]) {
    auto key = sc.value("rule", "") + "\n" + sc.value("expression", "");
    auto it = anchors.find(key);
    sc["anchor_ms"] = it != anchors.end() && it->second ? it->second : events_.now_ms();
  }
  // Private routes need an API key; it stays the same across deploys, as on AWS.
  bool has_private = false;
  for (const auto& rt : events.value("routes", json::array()))
    has_private |= rt.value("private", false);
  std::string api_key;
  if (has_private) {
    for (auto& [stored_name, text] : sink_.reader().services())
      if (stored_name == name) api_key = json::parse(text, nullptr, false).value("api_key", "");
    if (api_key.empty()) {
      api_key = new_request_id();  // 122 random bits, as 32 hex digits
      std::erase(api_key, '-');
    }
    events["api_key"] = api_key;
  }
  std::vector<std::string> warnings;
  try {
    warnings = apply_service(name, events);
  } catch (...) {
    // All or nothing: the service's event sources go back to what they were.
    std::string previous;
    for (auto& [stored_name, text] : sink_.reader().services())
      if (stored_name == name) previous = text;
    try {
      if (previous.empty()) {
        events_.remove_service(name);
        gateway_.remove_service(name);
        queues_.remove_service(name);
      } else {
        apply_service(name, json::parse(previous));
      }
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: cannot restore the events of {}: {}\n", name, e.what());
    }
    throw;
  }
  sink_.reader().put_service(name, events.dump());
  r.send(HttpResponse::json(200, json{{"service", name},
                                      {"gateway_url", gateway_url_for(req)},
                                      {"api_key", api_key},
                                      {"warnings", warnings}}
                                     .dump()));
}

std::vector<std::string> Emulator::apply_service(const std::string& name, const json& events) {
  std::vector<ScheduleSource> schedules;
  for (const auto& sc : events.value("schedules", json::array())) {
    ScheduleSource s;
    s.service = name;
    s.function = sc.at("function").get<std::string>();
    s.rule = sc.value("rule", s.function);
    s.expression = sc.at("expression").get<std::string>();
    events::Schedule::parse(s.expression);  // a bad one is the request's 400, not a log line
    s.enabled = sc.value("enabled", true);
    if (sc.contains("input") && !sc["input"].is_null())
      s.target.input =
          sc["input"].is_string() ? sc["input"].get<std::string>() : sc["input"].dump();
    s.target.input_path = sc.value("input_path", "");
    s.target.paths_map = sc.value("input_paths_map", std::map<std::string, std::string>{});
    s.target.input_template = sc.value("input_template", "");
    if (!s.target.input_path.empty()) events::check_json_path(s.target.input_path);
    for (const auto& [name, path] : s.target.paths_map) events::check_json_path(path);
    s.anchor_ms = sc.value("anchor_ms", std::int64_t{0});
    schedules.push_back(std::move(s));
  }
  std::map<std::string, AsyncSettings> async;
  const json async_settings = events.value("async", json::object());
  for (const auto& [function, a] : async_settings.items()) {
    AsyncSettings settings;
    settings.max_retries = std::clamp(a.value("max_retries", 2), 0, 2);
    settings.max_event_age_s = a.value("max_event_age", 0);
    settings.on_failure = a.value("on_failure", "");
    settings.on_success = a.value("on_success", "");
    async[function] = settings;
  }
  std::vector<gateway::RouteSpec> routes;
  for (const auto& rt : events.value("routes", json::array())) {
    gateway::RouteSpec spec;
    spec.function = rt.at("function").get<std::string>();
    spec.function_key = rt.value("function_key", spec.function);
    spec.type = rt.value("type", "httpApi");
    spec.method = rt.value("method", "ANY");
    spec.path = rt.value("path", "/");
    spec.cors = rt.value("cors", false);
    spec.is_private = rt.value("private", false);
    spec.payload_version = rt.value("payload_version", "2.0");
    spec.mark.file = rt.value("file", "");
    spec.mark.line = rt.value("line", 0);
    spec.mark.col = rt.value("col", 0);
    routes.push_back(std::move(spec));
  }
  auto warnings = gateway_.set_service(name, std::move(routes), events.value("stage", "dev"),
                                       events.value("api_key", ""));
  std::vector<QueueSettings> queue_settings;
  for (const auto& q : events.value("queues", json::array())) {
    QueueSettings qs;
    qs.name = q.at("name").get<std::string>();
    qs.visibility_timeout_s = q.value("visibility_timeout", 30);
    qs.max_receive_count = q.value("max_receive_count", 0);
    qs.dead_letter_queue = q.value("dead_letter_queue", "");
    queue_settings.push_back(std::move(qs));
  }
  std::vector<QueueMapping> mappings;
  for (const auto& m : events.value("sqs", json::array())) {
    QueueMapping qm;
    qm.function = m.at("function").get<std::string>();
    qm.queue = m.at("queue").get<std::string>();
    qm.batch_size = m.value("batch_size", 10);
    qm.batching_window_s = m.value("batching_window", 0);
    qm.report_batch_item_failures = m.value("report_batch_item_failures", false);
    std::vector<std::string> patterns;
    for (const auto& p : m.value("filter_patterns", json::array())) patterns.push_back(p.dump());
    qm.filter = events::EventFilter::parse(patterns);
    qm.max_concurrency = m.value("max_concurrency", 0);
    mappings.push_back(std::move(qm));
  }
  queues_.set_service(name, queue_settings, std::move(mappings));
  events_.set_service(name, std::move(schedules), std::move(async));
  std::int64_t idle_ms = 5 * 60 * 1000;  // custom.fx.idleTimeout's default
  if (events.contains("idle_timeout_s") && events["idle_timeout_s"].is_number())
    idle_ms = static_cast<std::int64_t>(events["idle_timeout_s"].get<double>() * 1000);
  int concurrency = events.contains("concurrency") && events["concurrency"].is_number_integer()
                        ? events["concurrency"].get<int>()
                        : 0;
  std::map<std::string, int> retention;
  if (events.contains("log_retention")) {
    for (const auto& [function, days] : events["log_retention"].items())
      if (days.is_number_integer() && days.get<int>() > 0) retention[function] = days.get<int>();
  }
  for (const auto& f : events.value("functions", std::vector<std::string>{})) {
    pool_.set_idle_timeout(f, idle_ms);
    pool_.set_default_concurrency(f, concurrency);
    if (auto it = retention.find(f); it != retention.end())
      retention_days_[f] = it->second;
    else
      retention_days_.erase(f);
  }
  if (!retention.empty()) prune_logs();
  // After the functions' own deploys (fx deploy PUTs the service last), so the provisioned
  // instances start on the new code.
  for (const auto& f : events.value("functions", std::vector<std::string>{})) {
    const auto& p = events.value("provisioned", json::object());
    pool_.set_provisioned(f, p.contains(f) && p[f].is_number_integer() ? p[f].get<int>() : 0);
  }
  return warnings;
}

void Emulator::prune_logs() {
  const double speed = clock_speed();
  const std::int64_t now = util::now_ms();
  for (const auto& [function, days] : retention_days_)
    sink_.prune(function, now - static_cast<std::int64_t>(days * 86'400'000.0 / speed));
  if (!prune_timer_) prune_timer_ = std::make_unique<asio::steady_timer>(io_);
  prune_timer_->expires_after(std::chrono::milliseconds(
      std::max<std::int64_t>(50, static_cast<std::int64_t>(3'600'000.0 / speed))));
  prune_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !retention_days_.empty()) prune_logs();
  });
}

void Emulator::fx_logs(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  store::LogQuery q;
  q.function = req.query_param("function");
  q.after_id = query_number(req, "after");
  q.since_ms = query_number(req, "since");
  q.filter = req.query_param("filter");
  q.tail = query_number(req, "tail");
  std::int64_t wait_s = std::min<std::int64_t>(query_number(req, "wait"), 60);
  // A function that is not deployed and never logged is a mistake in its name (CloudWatch:
  // the log group does not exist); one deleted since keeps its lines.
  if (!q.function.empty() && !pool_.find(q.function)) {
    sink_.flush();
    store::LogQuery any;
    any.function = q.function;
    any.tail = 1;
    if (sink_.reader().logs(any).empty()) existing(q.function, req);
  }

  bool with_usage = req.query_param("usage") == "1";
  auto answer = [this, q, with_usage](Responder& responder) {
    sink_.flush();
    auto lines = sink_.reader().logs(q);
    json arr = json::array();
    std::int64_t last = std::max(q.after_id, sink_.reader().max_log_id());
    for (auto& l : lines) {
      json line = {{"id", l.id},
                   {"time", l.time_ms},
                   {"function", l.function},
                   {"request_id", l.request_id},
                   {"message", l.message}};
      // What a REPORT line does not say but a price needs: the architecture, and the CPU
      // time (Cloudflare bills CPU-ms).
      if (with_usage && l.message.starts_with("REPORT ") && !l.request_id.empty()) {
        if (auto rec = sink_.reader().report_of_log_line(l.id)) {
          line["architecture"] = rec->architecture;
          line["cpu_ms"] = rec->cpu_ms;
          line["outcome"] = rec->outcome;
        }
      }
      arr.push_back(std::move(line));
    }
    // Functions print what they like; bytes that are not UTF-8 become U+FFFD on the way out.
    responder.send(HttpResponse::json(200, json{{"lines", arr}, {"last_id", last}}.dump(
                                               -1, ' ', false, json::error_handler_t::replace)));
    return !lines.empty();
  };
  if (wait_s <= 0 || q.tail > 0) {
    answer(*r);
    return;
  }
  // Follow: answer now if there is anything, else park the request until a line of this
  // function is written or the wait runs out. No polling on either side.
  sink_.flush();
  if (!sink_.reader().logs(q).empty()) {
    answer(*r);
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(wait_s));
  auto handle = std::make_shared<std::uint64_t>(0);
  *handle = sink_.on_next_line(q.function, [this, r, timer, answer] {
    asio::post(io_, [r, timer, answer] {
      timer->cancel();
      if (!r->sent()) answer(*r);
    });
  });
  timer->async_wait([this, r, handle, answer](const boost::system::error_code& ec) {
    if (ec) return;
    sink_.cancel(*handle);
    if (!r->sent()) answer(*r);
  });
}

void Emulator::fx_reports(HttpRequest& req, Responder& r) {
  std::int64_t since = query_number(req, "since");
  sink_.flush();
  auto records = sink_.reader().reports(req.query_param("function"), since);
  json arr = json::array();
  for (auto& rec : records) {
    json j = {{"request_id", rec.request_id},
              {"function", rec.function},
              {"version", rec.version},
              {"start_ms", rec.start_ms},
              {"duration_ms", rec.duration_ms},
              {"billed_ms", rec.billed_ms},
              {"memory_mb", rec.memory_mb},
              {"max_memory_mb", rec.max_memory_mb},
              {"architecture", rec.architecture},
              {"outcome", rec.outcome},
              {"cpu_ms", rec.cpu_ms}};
    if (rec.init_ms) j["init_ms"] = *rec.init_ms;
    arr.push_back(std::move(j));
  }
  r.send(HttpResponse::json(200, json{{"reports", arr}}.dump()));
}

void Emulator::fx_cost(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  if (req.method != "POST")
    return r->send(service_error(405, "MethodNotAllowedException", "POST a cost request"));
  usage::PriceTable prices;
  usage::CostRequest request;
  try {
    request = usage::parse_cost_request(req.body, prices);
  } catch (const Error& e) {
    return r->send(service_error(400, "InvalidParameterValueException", e.what()));
  }
  sink_.flush();  // every record of a finished invocation is in the store before we read
  worker_.post([this, r, request = std::move(request), prices = std::move(prices)] {
    int status = 200;
    std::string body;
    try {
      if (!background_reader_)
        background_reader_ = std::make_unique<store::Store>(options_.home / "state.db");
      body = usage::cost_report(request, prices, [&](const usage::ReportVisitor& visit) {
        background_reader_->for_each_report(request.functions, request.since_ms, visit);
      });
    } catch (const std::exception& e) {
      status = 500;
      body = json{{"__type", "ServiceException"}, {"message", e.what()}}.dump();
    }
    asio::post(io_, [r, status, body = std::move(body)]() mutable {
      r->send(HttpResponse::json(status, std::move(body)));
    });
  });
}

void write_ready(int fd, const std::string& line) {
  if (fd < 0) return;
  std::string text = line + "\n";
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());
}

}  // namespace

namespace {

// Written whole or not at all, readable by its owner only.
void write_secret(const fs::path& path, const std::string& text) {
  std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  ::fchmod(fd, 0600);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    throw Error(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

// FX_HOME holds the token, every function's code and environment, every log line: its
// owner's only. One made by an older fx (0755) is closed here.
void secure_home(const fs::path& home) {
  fs::create_directories(home);
  struct stat st {};
  if (::stat(home.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0)
    ::chmod(home.c_str(), 0700);
}

// A SQLite file of the store, made (or kept) 0600 before SQLite opens it: SQLite gives its
// -wal and -shm files the database's own mode.
void private_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::fchmod(fd, 0600);
    ::close(fd);
  }
  for (const char* suffix : {"-wal", "-shm"}) ::chmod((path.string() + suffix).c_str(), 0600);
}

}  // namespace

std::string generate_token() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("cannot read random bytes for a token");
    got += static_cast<std::size_t>(n);
  }
  return util::to_hex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string local_token(const fs::path& home) {
  std::ifstream in(home / "token");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

fs::path fx_home() {
  if (const char* home = std::getenv("FX_HOME"); home && *home) return fs::absolute(home);
  const char* user_home = std::getenv("HOME");
  return fs::path(user_home && *user_home ? user_home : "/tmp") / ".fx";
}

void run_emulator(const EmulatorOptions& given) {
  EmulatorOptions options = given;
  secure_home(options.home);
  // The emulator's token: the one given (a shared emulator), else the one it made at its
  // first start. The CLI of this machine's user reads it from FX_HOME/token.
  fs::path token_path = options.home / "token";
  if (!options.token.empty()) {
    write_secret(token_path, options.token);
    options.shared = true;
  } else {
    options.token = local_token(options.home);
    if (options.shared && options.token.size() < kMinTokenLength)
      throw Error(fmt::format("no token in {} for a shared emulator", token_path.string()),
                  "start it with `fx emulator start --token T`");
    if (options.token.size() < kMinTokenLength) {
      options.token = generate_token();
      write_secret(token_path, options.token);
    }
  }
  if (!options.shared && options.address != "127.0.0.1" && options.address != "::1" &&
      options.address != "localhost")
    throw Error(fmt::format("refusing to listen on {} without a token", options.address),
                "pass --token T (clients then set FX_TOKEN=T), or --generate-token, or listen "
                "on 127.0.0.1");
  // One emulator per FX_HOME: the lock dies with the process, so a kill -9 never leaves a
  // stale lock behind.
  fs::path lock_path = options.home / "emulator.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    auto running = running_emulator(options.home);
    throw Error(
        fmt::format("an emulator is already running for {}{}", options.home.string(),
                    running ? fmt::format(" (pid {}, {})", running->pid, running->url) : ""),
        "stop it with `fx emulator stop`, or set FX_HOME to use another one");
  }
  // What a crash left half-written in the code store (unpacks, uploads, merges of layers):
  // no other emulator can be using FX_HOME now that we hold its lock.
  for (const char* folder : {"code", "opt"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options.home / folder, ec)) {
      std::string name = entry.path().filename().string();
      if (name.find(".tmp") != std::string::npos || name.find(".old-") != std::string::npos)
        util::remove_tree(entry.path());
    }
  }
  private_file(options.home / "state.db");
  private_file(options.home / "queues.db");
  // Runtime shims are written fresh at every start so they always match this binary.
  fs::remove_all(options.home / "runtimes");
  util::extract_embedded("runtimes/", options.home / "runtimes");

  ::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  auto emulator = std::make_unique<Emulator>(options, io);
  std::uint16_t port = emulator->listen();
  emulator->restore();

  fs::path info_path = options.home / "emulator.json";
  json info = {
      {"pid", ::getpid()}, {"url", emulator->url()},     {"gateway_url", emulator->gateway_url()},
      {"port", port},      {"address", options.address}, {"started", util::now_ms()}};
  write_secret(info_path, info.dump() + "\n");

  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  asio::signal_set child_signals(io, SIGCHLD);
  std::function<void()> reap = [&] {
    child_signals.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
        emulator->pool().on_child_exit(pid, status);
      reap();
    });
  };
  reap();

  fmt::print("fx emulator {} listening on {}, HTTP gateway on {} (FX_HOME {})\n", FX_VERSION,
             emulator->url(), emulator->gateway_url(), options.home.string());
  std::fflush(stdout);
  write_ready(options.ready_fd, "ready " + emulator->url());
  if (options.ready_fd >= 0) ::close(options.ready_fd);

  // Every handler answers its own errors (Emulator::route); this is the net under that net.
  // An exception that still escapes a handler is a bug, but it must not take every running
  // function and every client down with it: log it and go on serving. The request it came
  // from is answered by its responder's destructor (a 500).
  while (true) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: internal error (a bug in fx), still serving: {}\n",
                 e.what());
    } catch (...) {
      fmt::print(stderr, "fx emulator: internal error (a bug in fx), still serving\n");
    }
    std::fflush(stderr);
  }

  emulator->close();
  emulator->pool().shutdown();
  fs::remove(info_path);
  emulator.reset();  // the log sink commits what is queued
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::close(lock_fd);
}

std::optional<EmulatorInfo> running_emulator(const fs::path& home) {
  std::ifstream in(home / "emulator.json");
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  EmulatorInfo info;
  info.pid = j.value("pid", 0);
  info.url = j.value("url", "");
  info.gateway_url = j.value("gateway_url", "");
  info.port = j.value("port", 0);
  info.address = j.value("address", "");
  if (info.pid <= 0 || (::kill(info.pid, 0) != 0 && errno != EPERM)) return std::nullopt;
  // The pid may have been reused: the lock tells whether an emulator really holds FX_HOME.
  int fd = ::open((home / "emulator.lock").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  if (!held) return std::nullopt;
  return info;
}

EmulatorInfo start_emulator_daemon(const EmulatorOptions& options) {
  secure_home(options.home);
  if (auto running = running_emulator(options.home))
    throw Error(fmt::format("an emulator is already running for {} (pid {}, {})",
                            options.home.string(), running->pid, running->url),
                "stop it with `fx emulator stop`, or set FX_HOME to use another one");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error("cannot create a pipe to the emulator");
  util::SpawnOptions spawn;
  spawn.argv = {util::self_exe().string(),    "emulator", "start",         "--foreground", "--port",
                std::to_string(options.port), "--listen", options.address, "--ready-fd",   "3"};
  if (options.gateway_port >= 0) {
    spawn.argv.push_back("--gateway-port");
    spawn.argv.push_back(std::to_string(options.gateway_port));
  }
  // A given token goes to the daemon through FX_HOME/token (0600), never its command line,
  // where every user of the machine could read it with ps.
  if (!options.token.empty()) {
    secure_home(options.home);
    write_secret(options.home / "token", options.token);
    spawn.argv.push_back("--shared");
  }
  spawn.env = util::current_environment();
  spawn.env.push_back("FX_HOME=" + options.home.string());
  spawn.new_session = true;
  spawn.output_file = options.home / "emulator.log";
  spawn.pass_fd = fds[1];
  spawn.cwd = options.home;
  util::Child child;
  try {
    child = util::spawn_process(spawn);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  std::string answer;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) answer.append(buf, n);
  ::close(fds[0]);
  if (answer.starts_with("ready ")) {
    EmulatorInfo info;
    info.pid = child.pid;
    info.url = answer.substr(6, answer.find('\n') - 6);
    info.address = options.address;
    info.port = static_cast<std::uint16_t>(std::stoi(info.url.substr(info.url.rfind(':') + 1)));
    // emulator.json is written before "ready": it has the gateway's address too.
    if (auto written = running_emulator(options.home)) info.gateway_url = written->gateway_url;
    return info;
  }
  ::waitpid(child.pid, nullptr, WNOHANG);
  if (answer.starts_with("error ")) {
    std::string rest = answer.substr(6);
    if (!rest.empty() && rest.back() == '\n') rest.pop_back();
    auto tab = rest.find('\t');
    throw Error(rest.substr(0, tab), tab == std::string::npos ? "" : rest.substr(tab + 1));
  }
  throw Error("the emulator exited before it was ready",
              "see " + (options.home / "emulator.log").string());
}

bool stop_emulator(const fs::path& home) {
  auto running = running_emulator(home);
  if (!running) return false;
  ::kill(running->pid, SIGTERM);
  // Done when the process is gone, not when emulator.json is: the emulator removes that
  // first and still holds FX_HOME's lock while it commits its last log lines, and an
  // `fx emulator start` right after this returns must find the home free.
  for (int i = 0; i < 500; ++i) {  // up to 10 s
    if (::kill(running->pid, 0) != 0 && errno == ESRCH) return true;
    ::usleep(20'000);
  }
  ::kill(running->pid, SIGKILL);
  return true;
}

}  // namespace fx::emulator
