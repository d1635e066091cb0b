// The emulator's front door, shared by the files that implement it: the Emulator class (the
// composition root), and the helpers its parts share. emulator.cpp routes each request of the
// main port; lambda_api.cpp serves the Lambda control plane and Invoke API; private_api.cpp
// fx's own /_fx/ endpoints; daemon.cpp the daemon's life. Included by those files only.
#pragma once

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

#include <array>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "core/emulator/alb_server.h"
#include "core/emulator/code_store.h"
#include "core/emulator/dynamodb_service.h"
#include "core/emulator/events.h"
#include "core/emulator/function_urls.h"
#include "core/emulator/gateway_server.h"
#include "core/emulator/http_server.h"
#include "core/emulator/instance_auth.h"
#include "core/emulator/lambda_requests.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/emulator/queue_service.h"
#include "core/emulator/runtime_sdk.h"
#include "core/emulator/s3_service.h"
#include "core/emulator/secrets_service.h"
#include "core/emulator/sns_service.h"
#include "core/emulator/stream_service.h"
#include "core/emulator/versions.h"
#include "core/manifest/events_json.h"
#include "core/runtimes/resolver.h"
#include "core/sns/api.h"
#include "core/sources/mapping.h"
#include "core/store/store.h"
#include "core/usage/cost_report.h"
#include "core/util/embedded.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"
#include "core/util/sandbox.h"
#include "core/util/text.h"
#include "core/util/time.h"
#include "core/util/worker.h"

namespace fx::emulator {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace front {

constexpr std::size_t kSyncPayloadLimit = 6 * 1024 * 1024;
constexpr std::size_t kAsyncPayloadLimit = 1024 * 1024;

inline HttpResponse service_error(int status, std::string_view type, std::string_view message) {
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
inline HttpResponse error_response(std::exception_ptr error) {
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

// An error answer in SQS's JSON protocol: the code in __type (as the front layer that refuses
// unsigned or forged requests words it, com.amazon.coral.service#) and in x-amzn-query-error,
// which the SDKs of SQS's query-compatible JSON protocol read first.
inline HttpResponse sqs_shaped(HttpResponse lambda_shaped) {
  std::string type = "ServiceException";
  for (const auto& [name, value] : lambda_shaped.headers)
    if (util::iequals(name, "x-amzn-ErrorType")) type = value;
  json body = json::parse(lambda_shaped.body, nullptr, false);
  std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                            ? body["message"].get<std::string>()
                            : std::string();
  auto r = HttpResponse::json(
      lambda_shaped.status,
      json{{"__type", "com.amazon.coral.service#" + type}, {"message", message}}.dump(
          -1, ' ', false, json::error_handler_t::replace));
  r.headers.clear();
  r.set("Content-Type", "application/x-amz-json-1.0");
  r.set("x-amzn-query-error", type + (lambda_shaped.status >= 500 ? ";Receiver" : ";Sender"));
  return r;
}

// An error answer in SNS's XML (its SDKs read nothing else), from a Lambda-shaped one.
inline HttpResponse sns_shaped(const HttpResponse& lambda_shaped) {
  std::string type = "ServiceException";
  for (const auto& [name, value] : lambda_shaped.headers)
    if (util::iequals(name, "x-amzn-ErrorType")) type = value;
  json body = json::parse(lambda_shaped.body, nullptr, false);
  std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                            ? body["message"].get<std::string>()
                            : std::string();
  HttpResponse r;
  r.status = lambda_shaped.status;
  r.set("Content-Type", "text/xml");
  r.body = sns::error_xml(r.status, type, message);
  return r;
}

// Answers a request with the error `error`, unless it was answered already.
inline void answer_error(Responder& r, std::exception_ptr error) {
  if (!r.sent()) r.send(error_response(std::move(error)));
}

// Compares in time independent of where the first difference is, so that the token of an
// emulator on the network cannot be guessed byte by byte.
inline bool same_secret(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  return diff == 0;
}

inline std::string lambda_timestamp() {
  auto ms = util::now_ms();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}+0000", fmt::gmtime(secs), ms % 1000);
}

// The region a request is for: fx's own header, else the SigV4 credential scope.
inline std::string request_region(const HttpRequest& req, const std::string& fallback) {
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
inline std::int64_t query_number(const HttpRequest& req, std::string_view key) {
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

inline std::string stored_json(const FunctionSpec& spec, const std::string& sha_hex) {
  json j = {{"config", json::parse(lambda::to_json(spec.config))},
            {"region", spec.region},
            {"sha256", sha_hex}};
  if (spec.config.reserved_concurrency) j["reserved"] = *spec.config.reserved_concurrency;
  if (!spec.config.tags.empty()) j["tags"] = spec.config.tags;
  return j.dump();
}

// The instances' Unix sockets live in FX_HOME/run, emptied at each start (a killed emulator
// leaves its sockets behind).
inline PoolOptions pool_options(const fs::path& home, RuntimeSdks* sdks) {
  PoolOptions o;
  o.sdks = sdks;
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
        credentials_(instance_credentials(options.home)),
        sdks_(options.home / "sdk",
              [&io](std::function<void()> job) { asio::post(io, std::move(job)); }),
        pool_(io, sink_, runtimes_, pool_options(options.home, &sdks_)),
        events_(io, pool_, sink_, options.region, clock_speed()),
        gateway_(io, pool_, sink_),
        alb_(io, pool_, sink_),
        queues_(io, pool_, sink_, options.home / "queues.db", options.region),
        dynamodb_(io, options.home / "dynamodb.db", options.region, clock_speed()),
        streams_(io, pool_, sink_, dynamodb_, queues_, options.home / "stream_checkpoints.db",
                 options.region),
        secrets_(io, options.home, options.region),
        sns_(io, options.home / "sns.db", options.region),
        s3_(io, options.home, options.region),
        server_(
            io,
            [this](HttpRequest& req, std::shared_ptr<Responder> r) { route(req, std::move(r)); },
            server_options()) {
    gateway_.set_credentials(credentials_);
    gateway_.set_host_handler([this](HttpRequest& req, const std::shared_ptr<Responder>& r) {
      return serve_function_url(req, r);
    });
    events_.set_queue_sender([this](const std::string& queue, const std::string& body) {
      return queues_.send(queue, body);
    });
    set_sns_hooks();
    events_.set_alias_resolver(
        [this](const std::string& function) { return async_alias_target(function); });
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
        FunctionSpec spec = spec_from_stored(stored.config_json, stored.code_sha256_hex);
        sha_by_function_[spec.config.function_name] = stored.code_sha256_hex;
        pool_.deploy(std::move(spec));
      } catch (const std::exception& e) {
        fmt::print(stderr, "fx emulator: cannot restore function {}: {}\n", stored.name, e.what());
      }
    }
    restore_versions();
    for (auto& [name, text] : sink_.reader().services()) {
      try {
        if (name.starts_with("lambda-api-policy/")) continue;  // read when asked
        if (is_invoke_config(name)) {
          restore_invoke_config(name, text);
          continue;
        }
        if (is_function_url(name)) {
          restore_function_url(text);
          continue;
        }
        if (name.starts_with(sources::kApiMappingService)) {
          apply_api_mapping(name, manifest::parse_service_events(text));
          continue;
        }
        apply_service(name, manifest::parse_service_events(text));
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
    // ALB listeners: the port after the gateway's, or any free one when that is taken.
    std::uint16_t alb_port = 0;
    try {
      alb_port = alb_.listen(options_.address, static_cast<std::uint16_t>(gateway_port + 1));
    } catch (const Error&) {
      alb_port = alb_.listen(options_.address, 0);
    }
    alb_url_ = fmt::format("http://{}:{}", host, alb_port);
    // Instances share the machine's network: they reach the emulator as this machine does.
    pool_.set_services({url_, credentials_});
    return port_;
  }
  const std::string& url() const { return url_; }
  const std::string& gateway_url() const { return gateway_url_; }
  const std::string& alb_url() const { return alb_url_; }
  Pool& pool() { return pool_; }
  void close() {
    server_.close();
    gateway_.close();
    alb_.close();
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
  HttpServerOptions server_options() const;
  void route(HttpRequest& req, std::shared_ptr<Responder> r);
  void dispatch(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void route_lambda(HttpRequest& req, const std::shared_ptr<Responder>& r, std::string_view rest);
  void route_layers(HttpRequest& req, const std::shared_ptr<Responder>& r, std::string_view rest);
  void create_function(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void update_code(const std::string& name, HttpRequest& req, const std::shared_ptr<Responder>& r);
  void update_configuration(const std::string& name, HttpRequest& req,
                            const std::shared_ptr<Responder>& r);
  void invoke(const std::string& name, const std::string& qualifier, HttpRequest& req,
              const std::shared_ptr<Responder>& r);
  // Versions and aliases (lambda_versions.cpp).
  // What a qualifier names: the pool's function state, its key, the version, the ARN asked for.
  struct Target {
    const FunctionState* fn = nullptr;
    std::string key, version, arn, alias;
  };
  // The qualifier of a request: the path's (NAME:Q, an ARN's) or ?Qualifier=, which must agree.
  std::string qualifier_of(const lambda::FunctionRef& ref, const HttpRequest& req) const;
  // Throws Lambda's 404 for a version or alias not there; `weighted`: an alias's routing draws.
  Target resolve(const std::string& name, const std::string& qualifier, const HttpRequest& req,
                 bool weighted) const;
  std::string version_config_json(const Target& t) const;
  void route_versions(const std::string& name, std::string_view action, HttpRequest& req,
                      const std::shared_ptr<Responder>& r);
  // `region`: the request's, for the 404 of a function deleted meanwhile.
  json publish_version(const std::string& name, const PublishVersionRequest& request,
                       const std::string& region);
  void delete_version(const std::string& name, const std::string& qualifier, const HttpRequest& req,
                      Responder& r);
  void provisioned_concurrency(HttpRequest& req, Responder& r, std::string_view rest);
  void save_versions(const std::string& name);
  void restore_versions();
  // Removes a function's versions from the pool and forgets them (the function is deleted).
  void drop_versions(const std::string& name);
  // Sets each version's provisioned instances from the configs on it and on its aliases.
  void apply_provisioned(const std::string& name);
  // Points a function's event sources at the version of its alias `provisioned` when its
  // service asks for provisionedConcurrency (events_on_alias_), else at $LATEST.
  void aim_events(const std::string& name);
  FunctionSpec spec_from_stored(const std::string& config_json, const std::string& sha_hex);
  void concurrency(const std::string& name, HttpRequest& req, Responder& r);
  void tags(const std::string& name, HttpRequest& req, Responder& r);
  void fx_logs(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void fx_status(Responder& r);
  void fx_reports(HttpRequest& req, Responder& r);
  void fx_cost(HttpRequest& req, const std::shared_ptr<Responder>& r);
  void fx_service(const std::string& name, HttpRequest& req, Responder& r);
  // api_keys.cpp: a service's API keys (GET /_fx/v1/services/NAME), and their values kept
  // across deploys.
  void fx_service_keys(const std::string& name, Responder& r);
  void keep_generated_api_keys(const std::string& name, manifest::ApiKeys& keys);
  static nlohmann::json api_keys_answer(const manifest::ApiKeys& keys);
  void event_source_mappings(HttpRequest& req, Responder& r, std::string_view rest);
  // lambda_extras.cpp: the mapping API's writes, account settings, list calls' pages.
  void create_mapping(HttpRequest& req, Responder& r);
  void change_mapping(HttpRequest& req, Responder& r, const std::string& uuid);  // PUT, DELETE
  // A mapping the API made, (re)started on the queue and stream pollers alone.
  void apply_api_mapping(const std::string& service, const manifest::ServiceEvents& doc);
  void drop_api_mappings(const std::string& function);  // the function is being deleted
  void account_settings(Responder& r);
  void list_functions(HttpRequest& req, Responder& r);
  void list_layers(HttpRequest& req, Responder& r);
  void list_layer_versions(const std::string& name, HttpRequest& req, Responder& r);
  void event_invoke_config(HttpRequest& req, Responder& r, std::string_view rest);
  // The pool key an asynchronous invocation of "NAME:ALIAS" runs on now (the alias's version,
  // weighted); any other key as it is.
  std::string async_alias_target(const std::string& function);
  static bool is_invoke_config(const std::string& service);
  void restore_invoke_config(const std::string& service, const std::string& text);
  void drop_invoke_config(const std::string& function);  // the function is being deleted
  // `qualifier` ("" or $LATEST: the function's own policy) names a version or an alias.
  void function_policy(const FunctionState& fn, const std::string& qualifier,
                       std::string_view action, HttpRequest& req, Responder& r);
  void drop_policy(const std::string& function);  // the function is being deleted
  // function_url_api.cpp: Create/Get/Update/Delete/ListFunctionUrlConfig(s) (rest: after
  // /2021-10-31/functions/), and the URLs served on the gateway's port by their host name.
  void function_url_config(HttpRequest& req, Responder& r, std::string_view rest);
  static bool is_function_url(const std::string& service);
  void restore_function_url(const std::string& text);
  void drop_function_urls(const std::string& function);  // the function is being deleted
  // Answers a request whose Host names a function URL (false: not such a host).
  bool serve_function_url(HttpRequest& req, const std::shared_ptr<Responder>& r);
  std::string function_url_public(const FunctionUrl& url) const;
  // Every event source mapping: the queues', then the streams'.
  std::vector<const sources::EventSourceMapping*> all_mappings() const {
    auto all = queues_.mappings();
    for (const auto* m : streams_.mappings()) all.push_back(m);
    return all;
  }
  void fx_code(std::string_view name, Responder& r);
  // Unpacking a zip of up to 250 MB, or merging layers, must not stall every other request:
  // `work` runs on the code worker, then `then` on the I/O thread with its result. Whatever
  // either throws answers `r`.
  template <class T>
  void off_io_thread(const std::shared_ptr<Responder>& r, std::function<T()> work,
                     std::function<void(T&)> then);
  std::string gateway_url_for(const HttpRequest& req) const;
  // Returns warnings for the deployer (a route another service also serves).
  std::vector<std::string> apply_service(const std::string& name,
                                         const manifest::ServiceEvents& events);
  // What takes a service's events, in the order a deploy's are checked and applied.
  // Tables after the others: a deploy that another kind refuses has changed no table. Stream
  // mappings after the tables, whose streams they read.
  std::array<sources::EventSourceKind*, 7> event_source_kinds() {
    return {&events_, &gateway_, &alb_, &queues_, &sns_, &dynamodb_, &streams_};
  }
  // SNS delivers to functions through the asynchronous invoker, and to the queues (sns_api.cpp).
  void set_sns_hooks();
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
  InstanceCredentials credentials_;  // what the instances sign their calls with
  RuntimeSdks sdks_;                 // before pool_: the pool uses it
  Pool pool_;
  EventSources events_;
  GatewayServer gateway_;
  AlbServer alb_;
  QueueService queues_;
  DynamoService dynamodb_;
  StreamService streams_;
  SecretsService secrets_;
  SnsService sns_;
  S3Service s3_;  // before server_, whose options use it
  std::string gateway_url_;
  std::string alb_url_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::map<std::string, std::string> sha_by_function_;
  std::map<std::string, std::vector<LayerEntry>> layers_;  // by name, versions in order
  std::map<std::string, FunctionVersions> versions_;       // by function name
  std::set<std::string> events_on_alias_;                  // functions with provisionedConcurrency
  std::map<std::string, FunctionUrl> function_urls_;       // by URL id
  std::map<std::string, int> retention_days_;  // by deployed function: logRetentionInDays
  std::unique_ptr<asio::steady_timer> prune_timer_;
  std::unique_ptr<store::Store> background_reader_;  // used on worker_'s thread only
  // Last: joined before the members their jobs use are destroyed.
  util::Worker code_worker_;  // unpacking uploaded code, merging layers
  util::Worker worker_;       // slow reads: cost reports
};

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

}  // namespace front
}  // namespace fx::emulator
