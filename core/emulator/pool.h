// Function instances and the invocations they serve, as Lambda runs them: an instance is a
// process behind its own Runtime API endpoint, serves one invocation at a time, is reused
// while warm, and a new one starts (cold) when every instance is busy. Internal to the
// emulator: included only by its .cpp files (it brings in Asio).
#pragma once

#include <sys/types.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/emulator/http_server.h"
#include "core/emulator/instance_sandbox.h"
#include "core/emulator/log_sink.h"
#include "core/lambda/types.h"
#include "core/runtimes/resolver.h"
#include "core/util/process.h"
#include "core/util/worker.h"

namespace fx::emulator {

class RuntimeSdks;

struct FunctionSpec {
  lambda::FunctionConfiguration config;
  std::filesystem::path code_dir;  // the unpacked bundle: the task root
  std::filesystem::path opt_dir;   // the function's layers merged, in order (Lambda's /opt)
  std::string region;
};

// The pool's name for one version of a function: NAME for $LATEST, NAME:VERSION for a
// published one (each version runs instances of its own code and configuration).
inline std::string pool_key(const std::string& function, const std::string& version) {
  return version == "$LATEST" ? function : function + ":" + version;
}

struct InvocationResult {
  int status = 200;            // the Invoke API's HTTP status
  std::string function_error;  // "Unhandled" when the function failed (status stays 200)
  std::string error_type;      // a service error's x-amzn-ErrorType (4xx/5xx)
  std::string body;
  std::string log_tail;  // this invocation's log lines
  std::string request_id;
};

struct Invocation {
  std::string request_id;
  std::string payload;
  std::string client_context;  // JSON, already base64-decoded
  bool async = false;
  // The ARN the caller named (an alias's, a version's), which the runtime is told; empty:
  // the version's own.
  std::string invoked_arn;
  std::function<void(InvocationResult)> done;  // called exactly once, on the I/O thread

  std::int64_t start_us = 0;  // monotonic, when handed to an instance
  std::int64_t start_ms = 0;  // epoch
  double cpu_start_ms = 0;
  std::string log;  // every line of this invocation, for the Invoke API's log tail
};

struct FunctionState;

struct Instance {
  enum class State { starting, idle, busy, dead };

  Instance(boost::asio::io_context& io) : out(io), err(io), timer(io) {}

  int id = 0;
  pid_t pid = -1;
  State state = State::starting;
  FunctionState* function = nullptr;
  int generation = 0;  // the function's code/config generation it runs
  std::unique_ptr<HttpServer> runtime_api;
  std::uint16_t port = 0;
  boost::asio::posix::stream_descriptor out, err;
  std::string out_partial, err_partial;
  bool out_open = true, err_open = true;
  // A line cut at the length limit: the rest of it, up to its newline, is dropped.
  bool out_skipping = false, err_skipping = false;
  // What the process wrote since its current (or last) invocation began, against the limit
  // on what one invocation may log, and what was dropped past it.
  std::size_t window_log_bytes = 0, window_dropped_bytes = 0;
  boost::asio::steady_timer timer;          // init limit, then each invocation's deadline
  std::shared_ptr<Responder> waiting_next;  // the runtime's parked GET /next
  std::int64_t idle_since_us = 0;           // monotonic, when it last became idle
  bool out_of_memory = false;               // killed by the memory watch
  int peak_seen_mb = 0;                     // the largest RSS seen or reported so far
  util::StatusFile status_file;             // the process's /proc status, kept open
  std::shared_ptr<Invocation> current;
  std::int64_t spawn_us = 0;
  std::optional<double> init_ms;  // reported with the first invocation only
  bool served_any = false;
  std::string init_log;  // lines written before the first /next
  std::string init_error_type, init_error_body;
  bool killed = false;       // by us: a timeout, a redeploy, shutdown
  bool provisioned = false;  // kept for provisionedConcurrency: never reaped, replaced if it dies
  bool prewarmed = false;    // initialized ahead of traffic: its first REPORT has no Init Duration
  std::optional<double> last_cpu_ms;  // CPU time when the last invocation completed
};

struct FunctionState {
  FunctionSpec spec;
  int generation = 0;
  std::list<std::shared_ptr<Instance>> instances;
  std::deque<std::shared_ptr<Invocation>> pending;
  std::uint64_t invocations = 0, cold_starts = 0, errors = 0, timeouts = 0, throttles = 0;
  std::uint64_t out_of_memory = 0;
  int provisioned = 0;              // provisionedConcurrency: instances kept initialized
  bool provisioned_failed = false;  // their init failed: not restarted until the next deploy
  bool told_sdk_problem = false;    // its log says why its runtime's SDK is missing
};

struct PoolOptions {
  int account_concurrency = 1000;
  int init_timeout_s = 10;  // Lambda's limit on the init phase
  // Where instances' Unix sockets for fx's own runtime shims go (empty: TCP only).
  std::filesystem::path socket_dir;
  // Where each instance's sandbox mounts its root (an empty folder); empty: no sandbox, the
  // instances run as the emulator's user (util::sandbox_support() said no).
  std::filesystem::path sandbox_root;
  // The SDKs the runtimes provide (none: instances get none). Outlives the pool.
  RuntimeSdks* sdks = nullptr;
};

struct PoolStats {
  std::size_t functions = 0, instances = 0, busy = 0, idle = 0;
};

class Pool {
 public:
  Pool(boost::asio::io_context& io, LogSink& sink, runtimes::RuntimeResolver& runtimes,
       PoolOptions options);
  ~Pool();

  // Creates or replaces a function, or one published version of it (spec.config.version:
  // its pool key is pool_key(name, version)). Instances of the old code finish what they are doing
  // and are stopped; new invocations get the new code.
  void deploy(FunctionSpec spec);
  // `name`, and find's, is a pool key: a function's name, or NAME:VERSION.
  bool remove(const std::string& name);
  const FunctionState* find(const std::string& name) const;
  // Sets a function's tags, which its instances never see (nothing restarts).
  void set_tags(const std::string& name, std::map<std::string, std::string> tags);
  // Every function's $LATEST (published versions are found by their pool key).
  std::vector<const FunctionState*> functions() const;

  // `name` is a pool key.
  void invoke(const std::string& name, std::shared_ptr<Invocation> invocation);
  // Called for every child the emulator reaps.
  void on_child_exit(pid_t pid, int wait_status);
  // Kills every instance (the emulator is stopping).
  void shutdown();
  PoolStats stats() const;
  // What every instance started from now on gets to reach the emulator's services (its
  // endpoint is known once the emulator listens).
  void set_services(InstanceServices services) { services_ = std::move(services); }
  // Instances idle longer than this are stopped (scale to zero); Lambda's is unspecified,
  // custom.fx.idleTimeout sets it per service, 5 minutes by default.
  void set_idle_timeout(const std::string& function, std::int64_t ms);
  // custom.fx.concurrency: the most instances a function without reservedConcurrency may
  // run at once (0: the account's 1000, Lambda's default account limit).
  void set_default_concurrency(const std::string& function, int limit);
  // provisionedConcurrency: keeps `count` instances initialized ahead of traffic (with
  // AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency); they are never reaped, and one
  // that dies is replaced.
  void set_provisioned(const std::string& function, int count);
  // Where a function's event sources (routes, ALB rules, queues, streams, schedules) send
  // their calls: the pool key of a version when they run an alias, as the framework wires the
  // events of a function with provisionedConcurrency to its alias `provisioned`; "" (and any
  // key not deployed): the function's $LATEST.
  void set_event_target(const std::string& function, std::string key);
  std::string event_target(const std::string& function) const;

 private:
  int concurrency_limit(const FunctionState& fn) const;
  int fresh_inits() const;
  void reap_idle();
  void watch_memory();
  void check_memory(const std::vector<std::weak_ptr<Instance>>& probed,
                    const std::vector<std::optional<std::uint64_t>>& rss);
  void dispatch(FunctionState& fn);
  void spawn(FunctionState& fn, bool provisioned = false);
  void replenish_provisioned(FunctionState& fn);
  // Whether `fn`'s instances wait for the SDK its runtime provides, being installed (asking
  // starts the installation). When it is settled, the pool dispatches again.
  bool waits_for_sdk(const FunctionState& fn);
  void deliver(Instance& inst, std::shared_ptr<Invocation> inv);
  // The options of an instance's Runtime API server (its TCP port vets who connects).
  static HttpServerOptions runtime_api_options(std::weak_ptr<Instance> weak);
  void handle_runtime_api(const std::shared_ptr<Instance>& inst, HttpRequest& req,
                          std::shared_ptr<Responder> responder);
  void on_next(Instance& inst, std::shared_ptr<Responder> responder);
  void complete(Instance& inst, std::string outcome, std::string function_error, std::string body);
  // Answers an invocation once its records are durable (LogSink::after_commit).
  void answer(std::shared_ptr<Invocation> inv, InvocationResult result);
  void fail_pending(FunctionState& fn, Instance* inst, const std::string& error_type,
                    const std::string& body, const std::string& outcome);
  void on_timeout(Instance& inst);
  void kill(Instance& inst);
  void watch_pipe(const std::shared_ptr<Instance>& inst, bool is_err);
  void read_pipe(Instance& inst, bool is_err);
  void drain(Instance& inst);
  // One line the process wrote, within the limits on a line and on an invocation's log.
  void log_output(Instance& inst, const std::string& function, std::string_view line);
  // Says, in the log, how much output the current window dropped (if any).
  void note_dropped_output(Instance& inst, Invocation* inv);
  // Returns the line's id (none when there is no function to file it under).
  std::optional<std::int64_t> log(Instance* inst, Invocation* inv, const std::string& function,
                                  std::string message);

  boost::asio::io_context& io_;
  LogSink& sink_;
  runtimes::RuntimeResolver& runtimes_;
  PoolOptions options_;
  std::optional<InstanceServices> services_;
  std::map<std::string, std::unique_ptr<FunctionState>> functions_;
  std::map<pid_t, std::shared_ptr<Instance>> by_pid_;
  std::map<std::string, std::int64_t> idle_timeout_ms_;  // by function; default 5 minutes
  std::map<std::string, int> default_concurrency_;       // by function: custom.fx.concurrency
  std::map<std::string, std::string> event_targets_;     // by function: a pool key
  std::unique_ptr<boost::asio::steady_timer> reaper_;
  std::unique_ptr<boost::asio::steady_timer> memory_watch_;
  // The memory watch reads /proc on a thread of its own (see watch_memory); its answers come
  // back to io_ only while `alive_` says the pool still exists.
  // Reset first in ~Pool: its job in flight finishes before the members it uses go.
  std::optional<util::Worker> probe_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  int next_instance_id_ = 1;
  bool stopping_ = false;  // shutdown(): no instance is replaced any more
  int max_fresh_inits_;    // cold starts begun in the last 100 ms, at most (see fresh_inits)
};

// A random RFC 4122 version 4 UUID, as Lambda's request ids.
std::string new_request_id();

}  // namespace fx::emulator
