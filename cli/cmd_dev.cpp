// `fx dev`: the local loop on one screen. Starts the emulator (unless one runs), deploys,
// then watches the service folder: a save re-packages and redeploys only the functions whose
// bundles changed, so the next request runs the new code. Every function's log lines stream
// in, prefixed and coloured per function. Ctrl-C stops what fx dev started.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/deploy.h"
#include "core/lambda/fx_api.h"
#include "core/targets/local_emulator.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::cli {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};
std::mutex g_print;  // the log thread and the watcher print whole lines

void on_signal(int) {
  g_stop = true;
}

// Folders whose changes never change a bundle (or change too often to watch).
bool ignored(const fs::path& name) {
  auto n = name.filename().string();
  return n == ".fx" || n == ".git" || n == "node_modules" || n == "__pycache__" ||
         n == ".serverless";
}

void watch_tree(int fd, const fs::path& dir, std::map<int, fs::path>& dirs) {
  int wd = ::inotify_add_watch(
      fd, dir.c_str(),
      IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB);
  if (wd >= 0) dirs[wd] = dir;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && !e.is_symlink(ec) && !ignored(e.path()))
      watch_tree(fd, e.path(), dirs);
}

}  // namespace

int run_dev(const GlobalOptions& g, const DevOptions& o) {
  auto s = style_for(g, 1);
  auto service = load_service(g);

  // The emulator: the running one, or one of our own that we stop on the way out.
  auto local = targets::find_local_emulator({true, o.port, o.gateway_port});
  bool started = local.started;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  lambda::Endpoint endpoint;
  endpoint.url = local.url;
  endpoint.region = service.region;
  endpoint.token = local.token;
  fmt::print("{} emulator {} at {}, HTTP gateway at {}, ALB at {}\n", s.bold("fx dev"),
             started ? "started" : "running", local.url, local.gateway_url, local.alb_url);

  auto deploy = [&](bool first) {
    auto t0 = util::monotonic_us();
    try {
      if (!first) service = load_service(g);
      auto done = actions::deploy_to_emulator(service, endpoint, {});
      std::lock_guard lock(g_print);
      for (const auto& w : done.warnings) warn(g, w);
      for (const auto& w : actions::function_warning_lines(done.functions)) warn(g, w);
      std::vector<std::string> changed, removed;
      for (const auto& f : done.functions)
        if (f.status == "removed")
          removed.push_back(f.function);
        else if (first || f.status != "unchanged")
          changed.push_back(f.function);
      if (first) {
        for (const auto& f : done.functions)
          for (const auto& r : f.routes) fmt::print("  {}  {}\n", r, s.dim("→ " + f.function));
      }
      fmt::print("{} {} in {:.0f} ms\n", s.green(first ? "deployed" : "redeployed"),
                 changed.empty() ? std::string("nothing (no bundle changed)")
                                 : fmt::format("{}", fmt::join(changed, ", ")),
                 (util::monotonic_us() - t0) / 1000.0);
      // Deleted from the manifest: gone from the emulator with its routes and schedules.
      if (!removed.empty()) fmt::print("{} {}\n", s.yellow("removed"), fmt::join(removed, ", "));
    } catch (const Error& e) {
      // A broken save is reported and the loop goes on: the previous code keeps running.
      std::lock_guard lock(g_print);
      fmt::print(stderr, "fx: error: {}\n", e.what());
      if (!e.hint().empty()) fmt::print(stderr, "  {}\n", e.hint());
    }
    std::fflush(stdout);
  };
  deploy(true);

  // Logs of every function of the service, as they are written.
  std::map<std::string, std::string> key_of;
  for (const auto& f : service.functions) key_of[f.name] = f.key;
  std::thread logs([&, key_of]() mutable {
    try {
      lambda::FxApi api(endpoint);
      lambda::LogRequest q;
      q.after_id = api.logs({"", 0, 0, "", 1, 0, false}).last_id;
      q.wait_s = 1;
      static const char* kColors[] = {"\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"};
      while (!g_stop) {
        auto page = api.logs(q);
        std::lock_guard lock(g_print);
        for (const auto& l : page.lines) {
          auto it = key_of.find(l.function);
          if (it == key_of.end()) continue;  // another service's function
          std::size_t color = std::hash<std::string>{}(it->second) % 5;
          std::string prefix = fmt::format("[{}]", it->second);
          fmt::print("{} {}\n", s.color ? kColors[color] + prefix + "\x1b[0m" : prefix, l.message);
        }
        std::fflush(stdout);
        if (!page.lines.empty()) q.after_id = page.lines.back().id;
      }
    } catch (const std::exception&) {
      // The emulator went away: the main loop notices and stops.
    }
  });

  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  std::map<int, fs::path> dirs;
  watch_tree(fd, service.dir, dirs);
  {
    std::lock_guard lock(g_print);
    fmt::print("watching {} — edit a file to redeploy; Ctrl-C to stop\n", service.dir.string());
    std::fflush(stdout);
  }
  bool dirty = false;
  auto last_change = std::chrono::steady_clock::now();
  while (!g_stop) {
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 100);
    alignas(inotify_event) char buf[16384];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      for (char* at = buf; at < buf + n;) {
        auto* e = reinterpret_cast<inotify_event*>(at);
        at += sizeof(inotify_event) + e->len;
        fs::path name = e->len ? fs::path(e->name) : fs::path();
        if (!name.empty() && ignored(name)) continue;
        if ((e->mask & IN_ISDIR) && (e->mask & (IN_CREATE | IN_MOVED_TO)) && dirs.count(e->wd))
          watch_tree(fd, dirs[e->wd] / name, dirs);
        dirty = true;
        last_change = std::chrono::steady_clock::now();
      }
    }
    // Editors save in bursts (write, rename, chmod): wait until the folder is quiet.
    if (dirty && std::chrono::steady_clock::now() - last_change > std::chrono::milliseconds(80)) {
      dirty = false;
      deploy(false);
    }
    if (!targets::local_emulator_running()) {
      std::lock_guard lock(g_print);
      fmt::print(stderr, "fx: error: the emulator stopped\n");
      g_stop = true;
    }
  }
  ::close(fd);
  if (started) {
    targets::stop_local_emulator();  // it stops every instance it started
    std::lock_guard lock(g_print);
    fmt::print("\nstopped the emulator\n");
  }
  std::fflush(stdout);
  logs.join();
  return 0;
}

}  // namespace fx::cli
