// The Runtime API of each instance (GET /next, POST /response and /error, init errors): what
// it accepts from whom, and how an invocation is delivered to an instance, completed,
// answered and timed out. As in AWS's runtime interface emulator, its own file.
#include "core/emulator/pool.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/pool_internal.h"
#include "core/usage/report.h"
#include "core/util/error.h"
#include "core/util/peer.h"
#include "core/util/process.h"
#include "core/util/time.h"

namespace fx::emulator {

namespace asio = boost::asio;
using namespace pool_detail;

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
      fmt::format("START RequestId: {} Version: {}", inv->request_id, cfg.version));
  // Between two invocations the instance only waits in /next: the CPU time read when the
  // last one completed is still right, and saves a /proc read per call.
  if (!inst.last_cpu_ms) inst.last_cpu_ms = util::cpu_time_ms(inst.pid).value_or(0);
  inv->cpu_start_ms = *inst.last_cpu_ms;

  HttpResponse res;
  res.set("Content-Type", "application/json");
  res.set("Lambda-Runtime-Aws-Request-Id", inv->request_id);
  res.set("Lambda-Runtime-Deadline-Ms", std::to_string(inv->start_ms + cfg.timeout * 1000LL));
  res.set("Lambda-Runtime-Invoked-Function-Arn",
          inv->invoked_arn.empty() ? cfg.function_arn : inv->invoked_arn);
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
  // What the handler printed just before it answered may still be in the pipes (the answer's
  // socket can be served before the pipe's readiness): it is this invocation's, so it is read
  // while the invocation is still current.
  drain(inst);
  auto inv = std::move(inst.current);
  inst.current.reset();
  inst.timer.cancel();
  FunctionState* fn = inst.function;
  const std::string name = fn ? fn->spec.config.function_name : "";
  double duration = static_cast<double>(util::monotonic_us() - inv->start_us) / 1000.0;
  usage::ReportRecord rec;
  rec.request_id = inv->request_id;
  rec.function = name;
  if (fn) rec.version = fn->spec.config.version;
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
      fmt::format("START RequestId: {} Version: {}", inv->request_id, cfg.version));
  log(inst, inv.get(), cfg.function_name, fmt::format("END RequestId: {}", inv->request_id));
  usage::ReportRecord rec;
  rec.request_id = inv->request_id;
  rec.function = cfg.function_name;
  rec.version = cfg.version;
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

}  // namespace fx::emulator
