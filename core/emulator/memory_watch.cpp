// memorySize, enforced: the instances' process trees are measured off the I/O thread, and one
// past its limit is killed with Runtime.OutOfMemory.
#include "core/emulator/pool.h"

#include <signal.h>

#include <boost/asio/post.hpp>

#include <fmt/format.h>

#include "core/emulator/pool_internal.h"
#include "core/util/process.h"

namespace fx::emulator {

namespace asio = boost::asio;
using namespace pool_detail;

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
  probe_->post(
      [this, alive = alive_, probed = std::move(probed), pids = std::move(pids), rearm]() mutable {
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

}  // namespace fx::emulator
