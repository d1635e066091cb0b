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

#include "core/usage/report.h"
#include "core/util/error.h"
#include "core/util/peer.h"
#include "core/util/process.h"
#include "core/util/sandbox.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

// Lambda's limit is 6 MB plus 100 bytes; its own messages say 6291556.
constexpr std::size_t kMaxResponseBytes = 6'291'556;
// The Runtime API reads bodies well past the limit so that an oversized response gets
// Lambda's 413 and its invocation fails cleanly, instead of a dropped connection.
constexpr std::size_t kRuntimeBodyLimit = 64 * 1024 * 1024;
constexpr std::size_t kLogTailBytes = 4096;
// CloudWatch Logs' limit on one log event: a longer line is cut there, and marked.
constexpr std::size_t kMaxLogLineBytes = 256 * 1024;
// What one invocation (or one instance's init) may write to its log. Lambda sets no such
// limit, but each line costs the store: a function printing in a loop must not fill the disk.
// Past it, lines are read and dropped, and one line says how much went.
constexpr std::size_t kMaxInvocationLogBytes = 10 * 1024 * 1024;
constexpr std::string_view kRuntimePrefix = "/2018-06-01/runtime/";

// Whole MB, rounded up: Max Memory Used as Lambda's REPORT line gives it.
int mb_rounded_up(std::uint64_t bytes) {
  return static_cast<int>((bytes + (1 << 20) - 1) >> 20);
}

std::mt19937_64& rng() {
  static std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

std::string random_hex(int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) out += fmt::format("{:016x}", rng()());
  return out.substr(0, digits);
}

std::string runtime_error_json(std::string_view message, std::string_view type) {
  // What a runtime sends need not be UTF-8: replace what is not rather than throw.
  return json{{"errorMessage", message}, {"errorType", type}}.dump(-1, ' ', false,
                                                                   json::error_handler_t::replace);
}

std::string tail_of(const std::string& log) {
  if (log.size() <= kLogTailBytes) return log;
  return log.substr(log.size() - kLogTailBytes);
}

// Lambda writes timeouts as "N.00 seconds".
std::string timeout_text(int seconds) {
  return fmt::format("{}.00 seconds", seconds);
}

}  // namespace

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
  probe_work_.emplace(probe_io_.get_executor());
  probe_thread_ = std::thread([this] { probe_io_.run(); });
}

Pool::~Pool() {
  *alive_ = false;
  probe_work_.reset();
  probe_io_.stop();
  probe_thread_.join();
  if (reaper_) reaper_->cancel();
  if (memory_watch_) memory_watch_->cancel();
  shutdown();
}

// Every 50 ms: an instance working past its memorySize (the handler and every process it
// spawned) is killed, and its caller gets Runtime.OutOfMemory, as on Lambda. A cgroup would
// also catch a spike between two looks, but needs cgroup v2's memory controller delegated to
// the emulator, which machines like ours (cgroup v1 memory, v2 without controllers) do not do.
//
// The reads of /proc (a process tree's statm and children files: ~20 us for a Python
// instance, ~70 us for a Node one with its seven threads) run on a thread of their own: on
// the I/O thread, ten busy Node instances stalled every request for 0.7 ms, 20 times a
// second, which was the gateway's 99th percentile. One look is in flight at a time.
void Pool::watch_memory() {
  // Calls held back by the cold-start pacing (fresh_inits) get their instances here.
  for (auto& [name, fn] : functions_)
    if (!fn->pending.empty()) dispatch(*fn);
  std::vector<std::weak_ptr<Instance>> probed;
  std::vector<pid_t> pids;
  for (auto& [name, fn] : functions_)
    for (auto& inst : fn->instances)
      if (inst->state == Instance::State::busy && inst->current && inst->pid > 0) {
        probed.push_back(inst);
        pids.push_back(inst->pid);
      }
  auto rearm = [this] {
    memory_watch_->expires_after(std::chrono::milliseconds(50));
    memory_watch_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) watch_memory();
    });
  };
  if (probed.empty()) return rearm();
  asio::post(probe_io_, [this, alive = alive_, probed = std::move(probed), pids = std::move(pids),
                         rearm]() mutable {
    std::vector<std::optional<std::uint64_t>> rss;
    rss.reserve(pids.size());
    for (pid_t pid : pids) rss.push_back(util::tree_rss_bytes(pid));
    asio::post(io_, [this, alive, probed = std::move(probed), rss = std::move(rss), rearm] {
      if (!*alive) return;
      check_memory(probed, rss);
      rearm();
    });
  });
}

void Pool::check_memory(const std::vector<std::weak_ptr<Instance>>& probed,
                        const std::vector<std::optional<std::uint64_t>>& rss) {
  for (std::size_t i = 0; i < probed.size(); ++i) {
    auto inst = probed[i].lock();
    // Finished, or killed, while we looked: its next invocation starts from a clean slate.
    if (!inst || !rss[i] || inst->state != Instance::State::busy || !inst->current ||
        !inst->function)
      continue;
    // Rounded up, as REPORT's Max Memory Used: 128.4 MB over a 128 MB limit is 129.
    inst->peak_seen_mb = std::max(inst->peak_seen_mb, mb_rounded_up(*rss[i]));
    const auto limit = static_cast<std::uint64_t>(inst->function->spec.config.memory_size) << 20;
    if (limit > 0 && *rss[i] > limit) {
      // Its VmHWM cannot be read once it is gone: the peak so far, now, for its REPORT.
      if (auto peak = inst->status_file.peak_rss_bytes())
        inst->peak_seen_mb = std::max(inst->peak_seen_mb, mb_rounded_up(*peak));
      inst->out_of_memory = true;
      kill(*inst);
    }
  }
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
  auto& slot = functions_[spec.config.function_name];
  if (!slot) slot = std::make_unique<FunctionState>();
  slot->spec = std::move(spec);
  ++slot->generation;
  // Idle instances run the old code: stop them now. Busy ones finish their invocation on
  // the old code and are stopped when they ask for the next one.
  for (auto& inst : slot->instances)
    if (inst->state == Instance::State::idle || inst->state == Instance::State::starting)
      kill(*inst);
  slot->provisioned_failed = false;
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
  for (auto& [name, fn] : functions_) out.push_back(fn.get());
  return out;
}

PoolStats Pool::stats() const {
  PoolStats s;
  s.functions = functions_.size();
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
  if (!wants_instance()) return;
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

void Pool::replenish_provisioned(FunctionState& fn) {
  if (fn.provisioned_failed) return;
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
  auto cmd = runtimes_.command(cfg.runtime, fn.spec.code_dir);
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

  std::string stream =
      fmt::format("{:%Y/%m/%d}/[$LATEST]{}", fmt::gmtime(std::time(nullptr)), random_hex(32));
  // In a sandbox the instance sees Lambda's own layout: its code at /var/task, its layers at
  // /opt, the runtime at /var/runtime. Without one, the host's folders themselves.
  const bool sandboxed = !options_.sandbox_root.empty();
  const std::filesystem::path host_runtime_dir = runtimes_.runtime_dir(cfg.runtime);
  const std::filesystem::path task_root = sandboxed ? "/var/task" : fn.spec.code_dir;
  const std::filesystem::path runtime_dir = sandboxed ? "/var/runtime" : host_runtime_dir;
  const std::filesystem::path opt_dir = fn.spec.opt_dir.empty() ? std::filesystem::path()
                                        : sandboxed             ? "/opt"
                                                                : fn.spec.opt_dir;
  if (sandboxed) {
    // The command names host paths: the same files, where the sandbox shows them.
    auto inside = [&](std::string& arg) {
      for (const auto& [host, in] :
           {std::pair{fn.spec.code_dir, task_root}, std::pair{host_runtime_dir, runtime_dir}}) {
        const std::string prefix = host.string() + "/";
        if (arg.starts_with(prefix)) arg = (in / arg.substr(prefix.size())).string();
      }
    };
    for (auto& arg : cmd.argv) inside(arg);
  }
  std::vector<std::string> env = {
      "_HANDLER=" + cfg.handler,
      fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", inst->port),
      "LAMBDA_TASK_ROOT=" + task_root.string(),
      "LAMBDA_RUNTIME_DIR=" + runtime_dir.string(),
      "AWS_LAMBDA_FUNCTION_NAME=" + cfg.function_name,
      fmt::format("AWS_LAMBDA_FUNCTION_MEMORY_SIZE={}", cfg.memory_size),
      "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
      provisioned ? "AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency"
                  : "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
      "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + cfg.function_name,
      "AWS_LAMBDA_LOG_STREAM_NAME=" + stream,
      "AWS_REGION=" + fn.spec.region,
      "AWS_DEFAULT_REGION=" + fn.spec.region,
      "AWS_EXECUTION_ENV=AWS_Lambda_" + cfg.runtime,
      "TZ=:UTC",
      "LANG=en_US.UTF-8",
      "PATH=" + (cmd.path_dirs.empty() ? "" : cmd.path_dirs + ":") +
          "/usr/local/bin:/usr/bin:/bin" +
          (opt_dir.empty() ? "" : ":" + (opt_dir / "bin").string()),
      "LD_LIBRARY_PATH=" + (task_root / "lib").string() +
          (opt_dir.empty() ? "" : ":" + (opt_dir / "lib").string()),
  };
  for (const auto& [k, v] : cfg.environment) {
    // The function's own variables win over ours except for the Runtime API's plumbing.
    std::string prefix = k + "=";
    std::erase_if(env, [&](const std::string& e) {
      return e.starts_with(prefix) && k != "AWS_LAMBDA_RUNTIME_API" && k != "_HANDLER";
    });
    if (k != "AWS_LAMBDA_RUNTIME_API" && k != "_HANDLER") env.push_back(prefix + v);
  }

  util::SpawnOptions opts;
  opts.argv = cmd.argv;
  // The runtime shims add the layers' python/, nodejs/node_modules/ and ruby/lib/ folders to
  // their import paths, as Lambda's runtimes do for /opt (argv, because the environment must
  // stay exactly Lambda's).
  if (!opt_dir.empty() && fx_shim) {
    opts.argv.push_back("--opt");
    opts.argv.push_back(opt_dir.string());
  }
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
  util::SandboxSpec sandbox;
  if (sandboxed) {
    sandbox.staging = options_.sandbox_root;
    sandbox.cwd = task_root;
    sandbox.tmp_mb = cfg.ephemeral_storage_mb;
    sandbox.read_only = util::system_mounts();
    auto covered = [&](const std::filesystem::path& p) {
      for (const auto& [src, dst] : sandbox.read_only) {
        auto rel = p.lexically_relative(dst);
        if (!rel.empty() && *rel.begin() != "..") return true;
      }
      return false;
    };
    if (fx_shim)
      for (const auto& prefix : runtimes_.resolve(cfg.runtime).prefixes)
        if (!covered(prefix)) sandbox.read_only.emplace_back(prefix, prefix);
    // /etc/passwd and /etc/group with the sandbox's user and group (see pool_options).
    for (const char* file : {"passwd", "group"})
      if (std::filesystem::exists(options_.sandbox_root.parent_path() / file))
        sandbox.read_only.emplace_back(options_.sandbox_root.parent_path() / file,
                                       std::filesystem::path("/etc") / file);
    sandbox.read_only.emplace_back(host_runtime_dir, runtime_dir);
    sandbox.read_only.emplace_back(fn.spec.code_dir, task_root);
    if (!opt_dir.empty()) sandbox.read_only.emplace_back(fn.spec.opt_dir, opt_dir);
  } else {
    // Where the emulator may (root), the layers are also at /opt itself, as on Lambda, in the
    // instance's own mount namespace.
    if (!fn.spec.opt_dir.empty() && ::geteuid() == 0 && std::filesystem::is_directory("/opt"))
      opts.bind_mounts.emplace_back(fn.spec.opt_dir, "/opt");
    // The task root is read-only on Lambda. The code store takes the write bits off, which
    // binds everyone but root; for root, a read-only bind mount of the folder onto itself.
    if (::geteuid() == 0) {
      opts.bind_mounts.emplace_back(fn.spec.code_dir, fn.spec.code_dir);
      // Its own /tmp, as every Lambda instance has: ephemeralStorageSize (512 MB by default,
      // as on Lambda), invisible to other instances, gone with the instance. Not when the
      // instance's own files live under /tmp (an FX_HOME there): the tmpfs would hide them.
      auto under_tmp = [](const std::string& p) { return p.starts_with("/tmp/"); };
      bool needs_tmp = under_tmp(fn.spec.code_dir.string()) || under_tmp(fn.spec.opt_dir.string());
      for (const auto& a : opts.argv) needs_tmp |= under_tmp(a);
      if (!needs_tmp) opts.private_tmp_mb = cfg.ephemeral_storage_mb;
    }
  }
  opts.env = std::move(env);
  opts.cwd = fn.spec.code_dir;
  opts.new_process_group = true;
  opts.capture_output = true;
  inst->spawn_us = util::monotonic_us();
  util::Child child;
  try {
    child = sandboxed ? util::spawn_sandboxed(opts, sandbox) : util::spawn_process(opts);
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

HttpServerOptions Pool::runtime_api_options(std::weak_ptr<Instance> weak) {
  HttpServerOptions o;
  o.body_limit = kRuntimeBodyLimit;
  // An instance may compute for 900 s between two requests on its connection.
  o.idle_timeout = std::chrono::milliseconds(0);
  o.max_connections = 64;
  // The TCP port (AWS_LAMBDA_RUNTIME_API, for custom runtimes and AWS's runtime interface
  // clients) is on loopback, where any local process could reach it: only a process of the
  // instance's own may use it. fx's shims use their socket pair and never come here.
  o.vet_connection = [weak](int fd) -> std::optional<HttpResponse> {
    auto inst = weak.lock();
    auto peer = util::tcp_peer_inode(fd);
    if (inst && inst->pid > 0 && peer && util::process_tree_holds_socket(inst->pid, *peer))
      return std::nullopt;
    return HttpResponse::json(
        403, runtime_error_json("this Runtime API belongs to its instance: a process outside "
                                "it may not connect",
                                "AccessDeniedException"));
  };
  return o;
}

void Pool::handle_runtime_api(const std::shared_ptr<Instance>& inst, HttpRequest& req,
                              std::shared_ptr<Responder> r) {
  std::string_view path = req.path;
  if (!path.starts_with(kRuntimePrefix)) {
    r->send(HttpResponse::json(404, runtime_error_json("not found", "NotFound")));
    return;
  }
  path.remove_prefix(kRuntimePrefix.size());
  if (path == "invocation/next" && req.method == "GET") return on_next(*inst, std::move(r));
  if (path == "init/error" && req.method == "POST") {
    if (inst->state != Instance::State::starting) {
      r->send(HttpResponse::json(403, runtime_error_json("init/error is only valid during init",
                                                         "InvalidStateTransition")));
      return;
    }
    std::string type(req.header("Lambda-Runtime-Function-Error-Type"));
    json body = json::parse(req.body, nullptr, false);
    if (type.empty())
      type = body.is_object() ? body.value("errorType", "Runtime.Unknown") : "Runtime.Unknown";
    inst->init_error_type = type;
    inst->init_error_body = body.is_object() ? body.dump() : runtime_error_json(req.body, type);
    r->send(HttpResponse::json(202, R"({"status":"OK"})"));
    // Lambda stops an instance whose init failed; the next call starts a fresh one.
    kill(*inst);
    return;
  }
  constexpr std::string_view inv_prefix = "invocation/";
  if (req.method == "POST" && path.starts_with(inv_prefix)) {
    std::string_view rest = path.substr(inv_prefix.size());
    auto slash = rest.find('/');
    std::string id(rest.substr(0, slash));
    std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (action == "response" || action == "error") {
      if (!inst->current || inst->current->request_id != id) {
        r->send(
            HttpResponse::json(400, runtime_error_json("Invalid request ID", "InvalidRequestID")));
        return;
      }
      if (action == "response") {
        if (req.body.size() > kMaxResponseBytes) {
          r->send(HttpResponse::json(
              413, runtime_error_json("Exceeded maximum allowed payload size (6291556 bytes).",
                                      "RequestEntityTooLarge")));
          complete(*inst, "error", "Unhandled",
                   runtime_error_json(fmt::format("Response payload size ({} bytes) exceeded "
                                                  "maximum allowed payload size (6291556 bytes).",
                                                  req.body.size()),
                                      "Function.ResponseSizeTooLarge"));
          return;
        }
        r->send(HttpResponse::json(202, R"({"status":"OK"})"));
        complete(*inst, "success", "", std::move(req.body));
      } else {
        r->send(HttpResponse::json(202, R"({"status":"OK"})"));
        std::string type(req.header("Lambda-Runtime-Function-Error-Type"));
        json body = json::parse(req.body, nullptr, false);
        std::string out = body.is_object() ? req.body
                                           : runtime_error_json(
                                                 req.body, type.empty() ? "Runtime.Unknown" : type);
        complete(*inst, "error", "Unhandled", std::move(out));
      }
      return;
    }
  }
  r->send(HttpResponse::json(
      404, runtime_error_json("unknown Runtime API path " + req.path, "NotFound")));
}

void Pool::on_next(Instance& inst, std::shared_ptr<Responder> r) {
  // One runtime, one /next at a time: a second one while the first still waits cannot take
  // the event meant for the first.
  if (inst.waiting_next && inst.waiting_next->connected()) {
    r->send(HttpResponse::json(
        403, runtime_error_json("another GET /next of this instance is already waiting",
                                "InvalidStateTransition")));
    return;
  }
  if (inst.current) {
    r->send(HttpResponse::json(403, runtime_error_json("the current invocation has no response yet",
                                                       "InvalidStateTransition")));
    return;
  }
  if (inst.state == Instance::State::starting) {
    inst.timer.cancel();
    inst.init_ms = static_cast<double>(util::monotonic_us() - inst.spawn_us) / 1000.0;
  }
  FunctionState* fn = inst.function;
  if (!fn || inst.generation != fn->generation) {
    // Code or configuration changed while this instance worked: it retires.
    kill(inst);
    return;
  }
  inst.state = Instance::State::idle;
  inst.waiting_next = std::move(r);
  inst.idle_since_us = util::monotonic_us();
  dispatch(*fn);
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
  if (fn.spec.config.reserved_concurrency) return *fn.spec.config.reserved_concurrency;
  auto it = default_concurrency_.find(fn.spec.config.function_name);
  return it != default_concurrency_.end() ? it->second : options_.account_concurrency;
}

// Once a second: stop instances idle past their function's timeout. A function with no
// traffic ends with no process at all, and its next call is a cold start, as on Lambda.
void Pool::reap_idle() {
  constexpr std::int64_t kDefaultIdleMs = 5 * 60 * 1000;
  std::int64_t now = util::monotonic_us();
  for (auto& [name, fn] : functions_) {
    auto it = idle_timeout_ms_.find(name);
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

void Pool::deliver(Instance& inst, std::shared_ptr<Invocation> inv) {
  const auto& cfg = inst.function->spec.config;
  auto next = std::move(inst.waiting_next);
  inst.state = Instance::State::busy;
  inst.current = inv;
  inv->start_ms = util::now_ms();
  if (!inst.served_any) inv->log += inst.init_log;
  note_dropped_output(inst, nullptr);  // what the last window dropped after its END
  inst.window_log_bytes = inst.window_dropped_bytes = 0;
  log(&inst, inv.get(), cfg.function_name,
      fmt::format("START RequestId: {} Version: $LATEST", inv->request_id));
  // Between two invocations the instance only waits in /next: the CPU time read when the
  // last one completed is still right, and saves a /proc read per call.
  if (!inst.last_cpu_ms) inst.last_cpu_ms = util::cpu_time_ms(inst.pid).value_or(0);
  inv->cpu_start_ms = *inst.last_cpu_ms;

  HttpResponse res;
  res.set("Content-Type", "application/json");
  res.set("Lambda-Runtime-Aws-Request-Id", inv->request_id);
  res.set("Lambda-Runtime-Deadline-Ms", std::to_string(inv->start_ms + cfg.timeout * 1000LL));
  res.set("Lambda-Runtime-Invoked-Function-Arn", cfg.function_arn);
  res.set("Lambda-Runtime-Trace-Id",
          fmt::format("Root=1-{:08x}-{};Parent={};Sampled=0", std::time(nullptr), random_hex(24),
                      random_hex(16)));
  if (!inv->client_context.empty()) res.set("Lambda-Runtime-Client-Context", inv->client_context);
  res.body = inv->payload;
  inv->start_us = util::monotonic_us();
  next->send(std::move(res));

  inst.timer.expires_after(std::chrono::seconds(cfg.timeout));
  std::weak_ptr<Invocation> weak_inv = inv;
  Instance* raw = &inst;
  auto self = by_pid_.at(inst.pid);
  std::weak_ptr<Instance> weak_inst = self;
  inst.timer.async_wait([this, weak_inst, weak_inv, raw](const boost::system::error_code& ec) {
    auto i = weak_inst.lock();
    auto v = weak_inv.lock();
    if (ec || !i || !v || i->current != v) return;
    on_timeout(*raw);
  });
}

void Pool::complete(Instance& inst, std::string outcome, std::string function_error,
                    std::string body) {
  auto inv = std::move(inst.current);
  inst.current.reset();
  inst.timer.cancel();
  drain(inst);
  FunctionState* fn = inst.function;
  const std::string name = fn ? fn->spec.config.function_name : "";
  double duration = static_cast<double>(util::monotonic_us() - inv->start_us) / 1000.0;
  usage::ReportRecord rec;
  rec.request_id = inv->request_id;
  rec.function = name;
  rec.start_ms = inv->start_ms;
  if (outcome == "timeout" && fn) duration = fn->spec.config.timeout * 1000.0;
  rec.duration_ms = duration;
  if (!inst.served_any && !inst.prewarmed) rec.init_ms = inst.init_ms;
  // Lambda bills INIT with the first invocation (on-demand zip functions, since 1 Aug 2025):
  // Billed Duration is Duration + Init Duration, rounded up once.
  rec.billed_ms = usage::billed_duration_ms(duration + rec.init_ms.value_or(0));
  rec.memory_mb = fn ? fn->spec.config.memory_size : 0;
  auto peak = inst.status_file.peak_rss_bytes();
  rec.max_memory_mb = peak ? mb_rounded_up(*peak) : 0;
  // A process already gone (killed, exited) has no VmHWM left to read: what was seen.
  rec.max_memory_mb = std::max(rec.max_memory_mb, inst.peak_seen_mb);
  // The kernel's RSS counters are approximate (per-CPU batches), so VmHWM read a call later
  // can be a page batch lower than a figure already reported; Lambda's figure never falls.
  inst.peak_seen_mb = rec.max_memory_mb;
  rec.architecture =
      fn && !fn->spec.config.architectures.empty() ? fn->spec.config.architectures[0] : "x86_64";
  rec.outcome = outcome;
  inst.last_cpu_ms = util::cpu_time_ms(inst.pid).value_or(inv->cpu_start_ms);
  rec.cpu_ms = std::max(0.0, *inst.last_cpu_ms - inv->cpu_start_ms);
  inst.served_any = true;
  if (fn && outcome != "success") ++fn->errors;
  if (fn && outcome == "timeout") ++fn->timeouts;
  if (fn && outcome == "oom") ++fn->out_of_memory;

  note_dropped_output(inst, inv.get());
  log(&inst, inv.get(), name, fmt::format("END RequestId: {}", inv->request_id));
  sink_.report(rec, log(&inst, inv.get(), name, usage::format_report_line(rec)));

  InvocationResult result;
  result.function_error = std::move(function_error);
  result.body = std::move(body);
  result.log_tail = tail_of(inv->log);
  result.request_id = inv->request_id;
  answer(std::move(inv), std::move(result));
  if (inst.state == Instance::State::busy && fn && inst.generation != fn->generation) kill(inst);
}

void Pool::answer(std::shared_ptr<Invocation> inv, InvocationResult result) {
  // Its lines and usage record are queued: the answer leaves once they are committed.
  sink_.after_commit([inv = std::move(inv), result = std::move(result)]() mutable {
    inv->done(std::move(result));
  });
}

void Pool::fail_pending(FunctionState& fn, Instance* inst, const std::string& error_type,
                        const std::string& body, const std::string& outcome) {
  if (fn.pending.empty()) return;
  auto inv = std::move(fn.pending.front());
  fn.pending.pop_front();
  const auto& cfg = fn.spec.config;
  inv->start_ms = util::now_ms();
  if (inst) inv->log += inst->init_log;
  log(inst, inv.get(), cfg.function_name,
      fmt::format("START RequestId: {} Version: $LATEST", inv->request_id));
  log(inst, inv.get(), cfg.function_name, fmt::format("END RequestId: {}", inv->request_id));
  usage::ReportRecord rec;
  rec.request_id = inv->request_id;
  rec.function = cfg.function_name;
  rec.start_ms = inv->start_ms;
  rec.duration_ms = inst && inst->spawn_us
                        ? static_cast<double>(util::monotonic_us() - inst->spawn_us) / 1000.0
                        : 0.0;
  rec.billed_ms = usage::billed_duration_ms(rec.duration_ms);
  rec.memory_mb = cfg.memory_size;
  rec.outcome = outcome;
  rec.architecture = cfg.architectures.empty() ? "x86_64" : cfg.architectures[0];
  std::string report =
      usage::format_report_line(rec) + "\tStatus: error\tError Type: " + error_type;
  sink_.report(rec, log(inst, inv.get(), cfg.function_name, report));
  ++fn.errors;
  InvocationResult result;
  result.function_error = "Unhandled";
  result.body = body;
  result.log_tail = tail_of(inv->log);
  result.request_id = inv->request_id;
  answer(std::move(inv), std::move(result));
}

void Pool::on_timeout(Instance& inst) {
  if (!inst.current || !inst.function) return;
  const auto& cfg = inst.function->spec.config;
  std::string text = "Task timed out after " + timeout_text(cfg.timeout);
  drain(inst);
  log(&inst, inst.current.get(), cfg.function_name,
      fmt::format("{} {} {}", util::iso8601_ms(util::now_ms()), inst.current->request_id, text));
  std::string body = runtime_error_json(
      fmt::format("RequestId: {} Error: {}", inst.current->request_id, text), "Sandbox.Timedout");
  complete(inst, "timeout", "Unhandled", std::move(body));
  kill(inst);
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

void Pool::watch_pipe(const std::shared_ptr<Instance>& inst, bool is_err) {
  auto& desc = is_err ? inst->err : inst->out;
  if (!desc.is_open()) return;
  std::weak_ptr<Instance> weak = inst;
  desc.async_wait(asio::posix::stream_descriptor::wait_read,
                  [this, weak, is_err](const boost::system::error_code& ec) {
                    auto self = weak.lock();
                    if (ec || !self) return;
                    read_pipe(*self, is_err);
                    if (is_err ? self->err_open : self->out_open) watch_pipe(self, is_err);
                  });
}

void Pool::read_pipe(Instance& inst, bool is_err) {
  auto& desc = is_err ? inst.err : inst.out;
  auto& partial = is_err ? inst.err_partial : inst.out_partial;
  bool& open = is_err ? inst.err_open : inst.out_open;
  bool& skipping = is_err ? inst.err_skipping : inst.out_skipping;
  if (!open || !desc.is_open()) return;
  const std::string name = inst.function ? inst.function->spec.config.function_name : "";
  std::array<char, 16384> buf;
  while (true) {
    ssize_t n = ::read(desc.native_handle(), buf.data(), buf.size());
    if (n <= 0) {
      if (n == 0) open = false;  // EOF: the process closed it (or died)
      break;                     // EAGAIN: nothing more for now
    }
    std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    if (skipping) {  // the rest of a line already cut at its limit
      auto nl = chunk.find('\n');
      inst.window_dropped_bytes += nl == std::string_view::npos ? chunk.size() : nl + 1;
      if (nl == std::string_view::npos) continue;
      skipping = false;
      chunk.remove_prefix(nl + 1);
    }
    partial.append(chunk);
    // Lines are taken as they complete, so `partial` never holds more than one line (cut at
    // its limit) and a read: a gigabyte without a newline costs no gigabyte of memory.
    std::size_t start = 0;
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
      std::string_view line(partial.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start = nl + 1;
      log_output(inst, name, line);
    }
    partial.erase(0, start);
    if (partial.size() > kMaxLogLineBytes) {
      log_output(inst, name, partial);
      partial.clear();
      skipping = true;
    }
  }
  if (!open && !partial.empty()) {
    log_output(inst, name, partial);
    partial.clear();
  }
}

void Pool::log_output(Instance& inst, const std::string& function, std::string_view line) {
  if (inst.window_log_bytes >= kMaxInvocationLogBytes) {
    inst.window_dropped_bytes += line.size() + 1;
    return;
  }
  inst.window_log_bytes += line.size() + 1;
  if (line.size() <= kMaxLogLineBytes) {
    log(&inst, inst.current.get(), function, std::string(line));
    return;
  }
  inst.window_dropped_bytes += line.size() - kMaxLogLineBytes;
  log(&inst, inst.current.get(), function,
      fmt::format("{} [fx: line cut at {} bytes, CloudWatch Logs' limit on one event]",
                  line.substr(0, kMaxLogLineBytes), kMaxLogLineBytes));
}

void Pool::note_dropped_output(Instance& inst, Invocation* inv) {
  if (inst.window_dropped_bytes == 0 || !inst.function) return;
  log(&inst, inv, inst.function->spec.config.function_name,
      fmt::format("[fx] {} bytes of output were dropped: one invocation may log {} MB (and one "
                  "line {} KB)",
                  inst.window_dropped_bytes, kMaxInvocationLogBytes >> 20, kMaxLogLineBytes >> 10));
  inst.window_dropped_bytes = 0;
}

void Pool::drain(Instance& inst) {
  // One poll for both pipes: after most invocations neither holds anything, and a read of
  // each would be two system calls per call for nothing.
  std::array<pollfd, 2> fds{};
  std::size_t n = 0;
  if (inst.out_open && inst.out.is_open()) fds[n++] = {inst.out.native_handle(), POLLIN, 0};
  if (inst.err_open && inst.err.is_open()) fds[n++] = {inst.err.native_handle(), POLLIN, 0};
  if (n > 0 && ::poll(fds.data(), n, 0) > 0) {
    for (std::size_t i = 0; i < n; ++i)
      if (fds[i].revents != 0) read_pipe(inst, fds[i].fd == inst.err.native_handle());
  }
  // A line without its newline yet still belongs to this invocation.
  const std::string name = inst.function ? inst.function->spec.config.function_name : "";
  for (auto* partial : {&inst.out_partial, &inst.err_partial}) {
    if (partial->empty()) continue;
    log_output(inst, name, *partial);
    partial->clear();
  }
}

std::optional<std::int64_t> Pool::log(Instance* inst, Invocation* inv, const std::string& function,
                                      std::string message) {
  if (function.empty()) return std::nullopt;
  // Only the tail is ever read (the Invoke API's LogResult): keep what can be, not all.
  auto keep = [&](std::string& log) {
    log += message;
    log += '\n';
    if (log.size() > 16 * kLogTailBytes) log.erase(0, log.size() - kLogTailBytes);
  };
  if (inv)
    keep(inv->log);
  else if (inst && !inst->served_any)
    keep(inst->init_log);
  return sink_.emit(function, inv ? inv->request_id : std::string(), std::move(message)).id;
}

}  // namespace fx::emulator
