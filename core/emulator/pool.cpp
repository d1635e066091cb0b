#include "core/emulator/pool.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <random>
#include <thread>

#include <boost/asio/post.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/instance_sandbox.h"
#include "core/emulator/pool_internal.h"
#include "core/emulator/runtime_sdk.h"
#include "core/usage/report.h"
#include "core/util/error.h"
#include "core/util/peer.h"
#include "core/util/process.h"
#include "core/util/sandbox.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
using namespace pool_detail;

std::string new_request_id() {
  std::string h = random_hex(32);
  h[12] = '4';
  h[16] = "89ab"[rng()() % 4];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

Pool::Pool(asio::io_context& io, LogSink& sink, runtimes::RuntimeResolver& runtimes,
           PoolOptions options)
    : io_(io),
      sink_(sink),
      runtimes_(runtimes),
      options_(options),
      max_fresh_inits_(std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()))) {
  probe_.emplace();
  if (options_.sdks)
    options_.sdks->on_settled([this, alive = alive_] {
      if (!*alive) return;
      for (auto& [name, fn] : functions_) {
        replenish_provisioned(*fn);
        dispatch(*fn);
      }
    });
}

bool Pool::waits_for_sdk(const FunctionState& fn) {
  const auto& runtime = fn.spec.config.runtime;
  if (!options_.sdks || !runtimes::provided_sdk(runtime)) return false;
  const auto* family = runtimes::find_family(runtime);
  if (!family || family->custom()) return false;
  const auto& resolved = runtimes_.resolve(runtime, fn.spec.config.interpreter);
  if (resolved.interpreter.empty()) return false;  // spawn says why it cannot start
  return options_.sdks->find(runtime, resolved.interpreter, resolved.version).status ==
         RuntimeSdk::Status::installing;
}

Pool::~Pool() {
  *alive_ = false;
  probe_.reset();
  if (reaper_) reaper_->cancel();
  if (memory_watch_) memory_watch_->cancel();
  shutdown();
}

void Pool::deploy(FunctionSpec spec) {
  if (!memory_watch_) {
    memory_watch_ = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(50));
    memory_watch_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) watch_memory();
    });
  }
  if (!reaper_) {
    reaper_ = std::make_unique<asio::steady_timer>(io_, std::chrono::seconds(1));
    reaper_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) reap_idle();
    });
  }
  auto& slot = functions_[pool_key(spec.config.function_name, spec.config.version)];
  if (!slot) slot = std::make_unique<FunctionState>();
  slot->spec = std::move(spec);
  ++slot->generation;
  // Idle instances run the old code: stop them now. Busy ones finish their invocation on
  // the old code and are stopped when they ask for the next one.
  for (auto& inst : slot->instances)
    if (inst->state == Instance::State::idle || inst->state == Instance::State::starting)
      kill(*inst);
  slot->provisioned_failed = false;
  waits_for_sdk(*slot);  // its installation starts with the first deploy, not the first call
  replenish_provisioned(*slot);
  dispatch(*slot);
}

bool Pool::remove(const std::string& name) {
  auto it = functions_.find(name);
  if (it == functions_.end()) return false;
  auto& fn = *it->second;
  for (auto& inv : fn.pending) {
    InvocationResult r;
    r.status = 404;
    r.error_type = "ResourceNotFoundException";
    r.body = json{{"Type", "User"}, {"Message", "Function not found: " + name}}.dump();
    r.request_id = inv->request_id;
    inv->done(std::move(r));
  }
  fn.pending.clear();
  for (auto& inst : fn.instances) {
    kill(*inst);
    inst->function = nullptr;
  }
  functions_.erase(it);
  return true;
}

const FunctionState* Pool::find(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second.get();
}

void Pool::set_tags(const std::string& name, std::map<std::string, std::string> tags) {
  if (auto it = functions_.find(name); it != functions_.end())
    it->second->spec.config.tags = std::move(tags);
}

std::vector<const FunctionState*> Pool::functions() const {
  std::vector<const FunctionState*> out;
  for (auto& [name, fn] : functions_)
    if (fn->spec.config.version == "$LATEST") out.push_back(fn.get());
  return out;
}

PoolStats Pool::stats() const {
  PoolStats s;
  for (auto& [name, fn] : functions_) {
    if (fn->spec.config.version == "$LATEST") ++s.functions;  // a version is not a function
  }
  for (auto& [name, fn] : functions_)
    for (auto& inst : fn->instances) {
      if (inst->state == Instance::State::dead) continue;
      ++s.instances;
      if (inst->state == Instance::State::idle) ++s.idle;
      if (inst->state == Instance::State::busy) ++s.busy;
    }
  return s;
}

void Pool::invoke(const std::string& name, std::shared_ptr<Invocation> inv) {
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    InvocationResult r;
    r.status = 404;
    r.error_type = "ResourceNotFoundException";
    r.body = json{{"Type", "User"}, {"Message", "Function not found: " + name}}.dump();
    r.request_id = inv->request_id;
    return inv->done(std::move(r));
  }
  auto& fn = *it->second;
  ++fn.invocations;
  std::size_t live = 0, idle = 0, starting = 0;
  for (auto& inst : fn.instances) {
    if (inst->state == Instance::State::dead) continue;
    ++live;
    if (inst->state == Instance::State::idle) ++idle;
    if (inst->state == Instance::State::starting ||
        (inst->state == Instance::State::busy && !inst->current))
      ++starting;
  }
  int limit = concurrency_limit(fn);
  // Throttle a synchronous call that no instance, running or starting, could take.
  if (!inv->async && idle == 0 && starting <= fn.pending.size() &&
      live >= static_cast<std::size_t>(limit)) {
    ++fn.throttles;
    // Lambda bills no throttle and logs no REPORT, but the usage record keeps it: `fx cost`
    // counts throttles beside invocations.
    usage::ReportRecord rec;
    rec.request_id = inv->request_id;
    rec.function = fn.spec.config.function_name;
    rec.version = fn.spec.config.version;
    rec.start_ms = util::now_ms();
    rec.memory_mb = fn.spec.config.memory_size;
    rec.architecture =
        fn.spec.config.architectures.empty() ? "x86_64" : fn.spec.config.architectures[0];
    rec.outcome = "throttled";
    sink_.report(rec, std::nullopt);
    InvocationResult r;
    r.status = 429;
    r.error_type = "TooManyRequestsException";
    r.body = json{{"Type", "User"},
                  {"message", "Rate Exceeded."},
                  {"Reason", "ReservedFunctionConcurrentInvocationLimitExceeded"}}
                 .dump();
    r.request_id = inv->request_id;
    return answer(std::move(inv), std::move(r));
  }
  fn.pending.push_back(std::move(inv));
  dispatch(fn);
}

void Pool::dispatch(FunctionState& fn) {
  for (auto& inst : fn.instances) {
    if (fn.pending.empty()) break;
    if (inst->state == Instance::State::idle && inst->waiting_next) {
      auto inv = std::move(fn.pending.front());
      fn.pending.pop_front();
      deliver(*inst, std::move(inv));
    }
  }
  // An instance that has just answered asks for its next event within a millisecond: count
  // it as coming, so that back-to-back calls reuse it instead of starting a cold instance.
  std::size_t live = 0, coming = 0;
  for (auto& inst : fn.instances) {
    if (inst->state == Instance::State::dead) continue;
    ++live;
    bool returning =
        inst->state == Instance::State::busy && !inst->current && inst->generation == fn.generation;
    if (inst->state == Instance::State::starting || returning) ++coming;
  }
  int limit = concurrency_limit(fn);
  std::size_t starting = coming;
  auto wants_instance = [&] {
    return starting < fn.pending.size() && live < static_cast<std::size_t>(limit);
  };
  // Most dispatches find a warm instance: only a cold start pays for counting fresh inits.
  if (!wants_instance() || waits_for_sdk(fn)) return;
  for (int fresh = fresh_inits(); wants_instance() && fresh < max_fresh_inits_; ++fresh) {
    spawn(fn);
    if (fn.instances.empty() || fn.instances.back()->state == Instance::State::dead) break;
    ++starting;
    ++live;
  }
}

// A burst of cold starts on a machine of a few cores: a hundred interpreters initializing at
// once share the CPU and all become ready together, seconds later, while every caller waits.
// Started a few at a time, the first are ready in tens of milliseconds and serve the queue
// while the rest start. An init still running after kFreshInitUs (waiting on I/O, or simply
// heavy) stops counting, so slow inits cannot hold the scale-out back for long.
int Pool::fresh_inits() const {
  constexpr std::int64_t kFreshInitUs = 100'000;
  const std::int64_t now = util::monotonic_us();
  int n = 0;
  for (const auto& [name, fn] : functions_)
    for (const auto& inst : fn->instances)
      if (inst->state == Instance::State::starting && now - inst->spawn_us < kFreshInitUs) ++n;
  return n;
}

void Pool::set_provisioned(const std::string& function, int count) {
  auto it = functions_.find(function);
  if (it == functions_.end()) return;
  auto& fn = *it->second;
  fn.provisioned = std::max(0, count);
  // Fewer than before: the surplus becomes on-demand, reaped when idle like any other.
  int kept = 0;
  for (auto& inst : fn.instances)
    if (inst->provisioned && inst->state != Instance::State::dead && ++kept > fn.provisioned)
      inst->provisioned = false;
  replenish_provisioned(fn);
}

void Pool::set_event_target(const std::string& function, std::string key) {
  if (key.empty())
    event_targets_.erase(function);
  else
    event_targets_[function] = std::move(key);
}

std::string Pool::event_target(const std::string& function) const {
  auto it = event_targets_.find(function);
  return it != event_targets_.end() && functions_.contains(it->second) ? it->second : function;
}

void Pool::replenish_provisioned(FunctionState& fn) {
  if (fn.provisioned_failed || (fn.provisioned > 0 && waits_for_sdk(fn))) return;
  int live = 0;
  for (auto& inst : fn.instances)
    if (inst->provisioned && inst->state != Instance::State::dead &&
        inst->generation == fn.generation)
      ++live;
  for (; live < fn.provisioned; ++live) {
    spawn(fn, true);
    if (fn.instances.empty() || fn.instances.back()->state == Instance::State::dead) break;
  }
}

void Pool::spawn(FunctionState& fn, bool provisioned) {
  const auto& cfg = fn.spec.config;
  auto cmd = runtimes_.command(cfg.runtime, fn.spec.code_dir, cfg.interpreter);
  // Started through one of fx's shims (else a custom runtime's own bootstrap).
  const auto* family = runtimes::find_family(cfg.runtime);
  const bool fx_shim = family && !family->custom();
  if (!cmd.error_type.empty()) {
    // The instance cannot even start: every waiting call gets that error, as Lambda's would.
    log(nullptr, nullptr, cfg.function_name,
        fmt::format("[ERROR] {}: {}", cmd.error_type, cmd.error_message));
    while (!fn.pending.empty())
      fail_pending(fn, nullptr, cmd.error_type,
                   runtime_error_json(cmd.error_message, cmd.error_type), "error");
    return;
  }
  auto inst = std::make_shared<Instance>(io_);
  inst->id = next_instance_id_++;
  inst->function = &fn;
  inst->generation = fn.generation;
  inst->provisioned = inst->prewarmed = provisioned;
  std::weak_ptr<Instance> weak = inst;
  inst->runtime_api = std::make_unique<HttpServer>(
      io_,
      [this, weak](HttpRequest& req, std::shared_ptr<Responder> r) {
        auto self = weak.lock();
        if (!self || self->state == Instance::State::dead) {
          r->send(HttpResponse::json(
              403, runtime_error_json("instance stopped", "InvalidStateTransition")));
          return;
        }
        try {
          handle_runtime_api(self, req, r);
        } catch (const std::exception& e) {
          fmt::print(stderr, "fx emulator: Runtime API internal error (a bug in fx): {}\n",
                     e.what());
          if (!r->sent())
            r->send(
                HttpResponse::json(500, runtime_error_json("internal error", "ServiceException")));
        }
      },
      runtime_api_options(weak));
  inst->runtime_api->hold_pipelined_answers(true);
  inst->port = inst->runtime_api->listen("127.0.0.1", 0);

  std::string stream = fmt::format("{:%Y/%m/%d}/[{}]{}", fmt::gmtime(std::time(nullptr)),
                                   cfg.version, random_hex(32));
  InstanceSetup setup;
  setup.spec = &fn.spec;
  setup.command = std::move(cmd);
  setup.host_runtime_dir = runtimes_.runtime_dir(cfg.runtime);
  if (fx_shim) setup.prefixes = runtimes_.resolve(cfg.runtime, cfg.interpreter).prefixes;
  setup.sandbox_root = options_.sandbox_root;
  setup.fx_shim = fx_shim;
  setup.provisioned = provisioned;
  setup.runtime_api_port = inst->port;
  setup.log_stream = std::move(stream);
  if (services_) setup.services = &*services_;
  if (fx_shim && options_.sdks) {
    const auto& resolved = runtimes_.resolve(cfg.runtime, cfg.interpreter);
    const auto& sdk = options_.sdks->find(cfg.runtime, resolved.interpreter, resolved.version);
    if (sdk.status == RuntimeSdk::Status::ready) {
      setup.sdk_dir = sdk.dir;
      setup.sdk_extra_dir = options_.sdks->extra_dir(cfg.runtime);
    }
    if (sdk.status == RuntimeSdk::Status::failed && !fn.told_sdk_problem) {
      // Said once in the function's own log (fx logs, the Invoke API's tail), where its
      // author looks when an import of the SDK fails.
      fn.told_sdk_problem = true;
      log(inst.get(), nullptr, cfg.function_name, "[WARN] fx: " + sdk.problem);
    }
  }
  InstanceLaunch launch = plan_instance(setup);
  util::SpawnOptions& opts = launch.options;
  // fx's own shims reach the Runtime API through one end of a socket pair, fd 3 in the
  // instance: no other process can reach it (a socket file in FX_HOME could be, by any
  // process of the same user), and it is the same HTTP without the TCP stack on two of the
  // three hops of every request. AWS_LAMBDA_RUNTIME_API keeps its TCP port for custom
  // runtimes and AWS's runtime interface clients.
  int pair[2] = {-1, -1};
  if (fx_shim && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
    opts.pass_fd = pair[1];
    opts.argv.push_back("--runtime-fd");
    opts.argv.push_back("3");
  }
  inst->spawn_us = util::monotonic_us();
  util::Child child;
  try {
    child =
        launch.sandboxed ? util::spawn_sandboxed(opts, launch.sandbox) : util::spawn_process(opts);
  } catch (const Error& e) {
    for (int fd : pair)
      if (fd >= 0) ::close(fd);
    inst->runtime_api->close();
    log(nullptr, nullptr, cfg.function_name,
        fmt::format("[ERROR] Runtime.InvalidEntrypoint: {}", e.what()));
    while (!fn.pending.empty())
      fail_pending(fn, nullptr, "Runtime.InvalidEntrypoint",
                   runtime_error_json(e.what(), "Runtime.InvalidEntrypoint"), "error");
    return;
  }
  inst->pid = child.pid;
  if (pair[0] >= 0) {
    ::close(pair[1]);  // the instance's end is the instance's now
    inst->runtime_api->serve(pair[0]);
  }
  inst->status_file = util::StatusFile(child.pid);
  inst->out.assign(child.stdout_fd);
  inst->err.assign(child.stderr_fd);
  by_pid_[inst->pid] = inst;
  fn.instances.push_back(inst);
  // A provisioned instance's init is not any caller's cold start.
  if (!provisioned) ++fn.cold_starts;
  watch_pipe(inst, false);
  watch_pipe(inst, true);
  inst->timer.expires_after(std::chrono::seconds(options_.init_timeout_s));
  inst->timer.async_wait([this, weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->state != Instance::State::starting) return;
    self->init_error_type = "Sandbox.Timedout";
    self->init_error_body = runtime_error_json(
        fmt::format("Init timed out after {}", timeout_text(options_.init_timeout_s)),
        "Sandbox.Timedout");
    kill(*self);
  });
}

void Pool::set_idle_timeout(const std::string& function, std::int64_t ms) {
  idle_timeout_ms_[function] = ms;
}

void Pool::set_default_concurrency(const std::string& function, int limit) {
  if (limit > 0)
    default_concurrency_[function] = limit;
  else
    default_concurrency_.erase(function);
}

int Pool::concurrency_limit(const FunctionState& fn) const {
  const std::string& name = fn.spec.config.function_name;
  // Reserved concurrency is the function's, shared by all its versions: $LATEST's setting
  // holds, and what the other versions run (or start) counts against it. Their idle
  // instances do not: they execute nothing, and would otherwise hold the slot until reaped.
  auto base = functions_.find(name);
  const FunctionState& latest = base != functions_.end() ? *base->second : fn;
  if (latest.spec.config.reserved_concurrency) {
    int limit = *latest.spec.config.reserved_concurrency;
    auto count_live = [&limit](const FunctionState& other) {
      for (const auto& inst : other.instances)
        if (inst->state != Instance::State::dead && inst->state != Instance::State::idle) --limit;
    };
    if (&latest != &fn) count_live(latest);
    const std::string prefix = name + ":";
    for (auto it = functions_.lower_bound(prefix);
         it != functions_.end() && it->first.starts_with(prefix); ++it)
      if (it->second.get() != &fn) count_live(*it->second);
    return std::max(0, limit);
  }
  auto it = default_concurrency_.find(name);
  return it != default_concurrency_.end() ? it->second : options_.account_concurrency;
}

// Once a second: stop instances idle past their function's timeout. A function with no
// traffic ends with no process at all, and its next call is a cold start, as on Lambda.
void Pool::reap_idle() {
  constexpr std::int64_t kDefaultIdleMs = 5 * 60 * 1000;
  std::int64_t now = util::monotonic_us();
  for (auto& [key, fn] : functions_) {
    auto it = idle_timeout_ms_.find(fn->spec.config.function_name);
    std::int64_t limit_us = (it != idle_timeout_ms_.end() ? it->second : kDefaultIdleMs) * 1000;
    for (auto& inst : fn->instances)
      if (inst->state == Instance::State::idle && inst->waiting_next && !inst->provisioned &&
          now - inst->idle_since_us >= limit_us)
        kill(*inst);
  }
  reaper_->expires_after(std::chrono::seconds(1));
  reaper_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) reap_idle();
  });
}

void Pool::kill(Instance& inst) {
  if (inst.state == Instance::State::dead) return;
  inst.killed = true;
  if (inst.pid > 0) ::kill(-inst.pid, SIGKILL);  // the whole group: children die with it
  if (inst.waiting_next) inst.waiting_next.reset();
  inst.state = Instance::State::dead;
  inst.timer.cancel();
}

void Pool::on_child_exit(pid_t pid, int wait_status) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  auto inst = it->second;
  by_pid_.erase(it);
  // Children the handler left behind share the group: they go too.
  ::kill(-pid, SIGKILL);
  // What the process wrote before it died is still in the pipes: keep every line.
  drain(*inst);
  inst->out.close();
  inst->err.close();
  inst->out_open = inst->err_open = false;
  FunctionState* fn = inst->function;
  std::string exit_text = util::describe_exit(wait_status);
  bool was_starting =
      !inst->init_ms.has_value() && !inst->served_any && inst->state != Instance::State::idle;
  inst->state = Instance::State::dead;
  inst->timer.cancel();
  if (inst->runtime_api) inst->runtime_api->close();

  if (fn) {
    const std::string& name = fn->spec.config.function_name;
    if (inst->current) {
      auto id = inst->current->request_id;
      std::string message =
          fmt::format("RequestId: {} Error: Runtime exited with error: {}", id, exit_text);
      const char* type = inst->out_of_memory ? "Runtime.OutOfMemory" : "Runtime.ExitError";
      log(inst.get(), inst->current.get(), name, message);
      log(inst.get(), inst->current.get(), name, type);
      complete(*inst, inst->out_of_memory ? "oom" : "error", "Unhandled",
               runtime_error_json(message, type));
    } else if (was_starting && !inst->init_error_type.empty()) {
      fail_pending(*fn, inst.get(), inst->init_error_type, inst->init_error_body, "error");
    } else if (was_starting && !inst->killed) {
      std::string message = fmt::format("Runtime exited with error: {}", exit_text);
      log(inst.get(), nullptr, name, "[ERROR] Runtime.ExitError: " + message);
      fail_pending(*fn, inst.get(), "Runtime.ExitError",
                   runtime_error_json(message, "Runtime.ExitError"), "error");
    }
    fn->instances.remove(inst);
    if (inst->provisioned && !stopping_) {
      // One whose init fails would fail again: wait for a deploy instead of a restart loop.
      if (was_starting && !inst->killed) fn->provisioned_failed = true;
      replenish_provisioned(*fn);
    }
    dispatch(*fn);
  }
}

void Pool::shutdown() {
  stopping_ = true;
  for (auto& [pid, inst] : by_pid_) {
    inst->killed = true;
    ::kill(-pid, SIGKILL);
  }
}

}  // namespace fx::emulator
