// An instance's stdout and stderr: read from its pipes as lines, cut at CloudWatch Logs' limit
// on one event, capped per invocation, and attributed to the invocation they belong to.
#include "core/emulator/pool.h"

#include <poll.h>
#include <unistd.h>

#include <array>

#include <fmt/format.h>

#include "core/emulator/pool_internal.h"

namespace fx::emulator {

namespace asio = boost::asio;
using namespace pool_detail;

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
