#include "core/util/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::util {

namespace {

struct SpawnFileActions {
  posix_spawn_file_actions_t actions;
  SpawnFileActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnFileActions() { posix_spawn_file_actions_destroy(&actions); }
};

struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

namespace {

// fork + exec for a child that needs its own mount namespace, which posix_spawn cannot give.
// Between fork and exec the child only makes system calls: the parent has other threads.
Child spawn_with_mounts(const SpawnOptions& options) {
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw Error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<std::pair<std::string, std::string>> mounts;
  for (const auto& [src, dst] : options.bind_mounts)
    mounts.emplace_back(src.string(), dst.string());
  std::string cwd = options.cwd.string();
  // Formatted before fork: the child only makes system calls.
  std::string tmp_options =
      options.private_tmp_mb > 0 ? fmt::format("size={}m,mode=1777", options.private_tmp_mb) : "";
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.new_process_group) ::setpgid(0, 0);
    if (::unshare(CLONE_NEWNS) == 0 &&
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
      for (const auto& [src, dst] : mounts) {
        if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) == 0)
          ::mount(nullptr, dst.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
      }
      if (!tmp_options.empty())
        ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmp_options.c_str());
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (options.pass_fd >= 0) {
      if (options.pass_fd != 3)
        ::dup2(options.pass_fd, 3);
      else
        ::fcntl(3, F_SETFD, 0);
    }
    ::close_range(options.pass_fd >= 0 ? 4 : 3, ~0U, 0);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    throw Error(fmt::format("cannot start {}: {}", options.argv[0], std::strerror(fork_errno)));
  }
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  return {pid, out_pipe[0], err_pipe[0]};
}

}  // namespace

Child spawn_process(const SpawnOptions& options) {
  if (options.argv.empty()) throw Error("spawn_process: empty argv");
  if ((!options.bind_mounts.empty() || options.private_tmp_mb > 0) && options.capture_output)
    return spawn_with_mounts(options);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  int out_file = -1;
  auto cleanup = [&] {
    close_fd(out_pipe[0]), close_fd(out_pipe[1]), close_fd(err_pipe[0]), close_fd(err_pipe[1]);
    close_fd(out_file);
  };

  SpawnFileActions fa;
  if (options.capture_output) {
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
      cleanup();
      throw Error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
    }
    posix_spawn_file_actions_adddup2(&fa.actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&fa.actions, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  } else if (!options.output_file.empty()) {
    // A daemon's log (the emulator's, in FX_HOME) is its owner's only.
    out_file = ::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (out_file < 0)
      throw Error(
          fmt::format("cannot open {}: {}", options.output_file.string(), std::strerror(errno)));
    posix_spawn_file_actions_adddup2(&fa.actions, out_file, 1);
    posix_spawn_file_actions_adddup2(&fa.actions, out_file, 2);
    posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  }
  if (options.pass_fd >= 0) posix_spawn_file_actions_adddup2(&fa.actions, options.pass_fd, 3);
  // Every other descriptor (listening sockets above all) must not leak into the child, or a
  // function instance would keep the emulator's port open after the emulator is gone.
  posix_spawn_file_actions_addclosefrom_np(&fa.actions, options.pass_fd >= 0 ? 4 : 3);
  if (!options.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa.actions, options.cwd.c_str());

  SpawnAttr sa;
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  posix_spawnattr_setsigmask(&sa.attr, &empty);
  posix_spawnattr_setsigdefault(&sa.attr, &defaults);
  if (options.new_session) {
    flags |= POSIX_SPAWN_SETSID;
  } else if (options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&sa.attr, 0);
  }
  posix_spawnattr_setflags(&sa.attr, flags);

  std::vector<char*> argv, envp;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : options.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa.actions, &sa.attr, argv.data(), envp.data());
  if (rc != 0) {
    cleanup();
    throw Error(fmt::format("cannot start {}: {}", options.argv[0], std::strerror(rc)),
                "check that the program exists and is executable");
  }
  Child child;
  child.pid = pid;
  if (options.capture_output) {
    close_fd(out_pipe[1]);
    close_fd(err_pipe[1]);
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    child.stdout_fd = out_pipe[0];
    child.stderr_fd = err_pipe[0];
  }
  close_fd(out_file);
  return child;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

int run_and_wait(const SpawnOptions& options) {
  auto child = spawn_process(options);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

namespace {

int open_status(pid_t pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  return ::open(path, O_RDONLY | O_CLOEXEC);
}

// A field of a status file's text ("VmHWM:") in bytes.
std::optional<std::uint64_t> status_field(std::string_view text, std::string_view field) {
  for (std::size_t at = 0; at < text.size();) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(at, eol - at);
    if (line.starts_with(field)) {
      std::uint64_t kb = 0;
      for (char c : line.substr(field.size()))
        if (c >= '0' && c <= '9') kb = kb * 10 + static_cast<std::uint64_t>(c - '0');
      return kb * 1024;
    }
    at = eol + 1;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> read_status_field(int fd, std::string_view field) {
  char buf[4096];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return std::nullopt;  // ESRCH once the process is gone
  return status_field(std::string_view(buf, static_cast<std::size_t>(n)), field);
}

}  // namespace

StatusFile::StatusFile(pid_t pid) : fd_(open_status(pid)) {}

StatusFile::~StatusFile() {
  if (fd_ >= 0) ::close(fd_);
}

StatusFile& StatusFile::operator=(StatusFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

std::optional<std::uint64_t> StatusFile::peak_rss_bytes() const {
  if (fd_ < 0) return std::nullopt;
  return read_status_field(fd_, "VmHWM:");
}

namespace {

// A small /proc file into `buf` with one open and one read; its length, or -1.
ssize_t read_proc(const char* path, char* buf, std::size_t size) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = ::read(fd, buf, size);
  ::close(fd);
  return n;
}

}  // namespace

std::optional<std::uint64_t> rss_bytes(pid_t pid) {
  // statm's second field (resident pages) is VmRSS: the same number, without the dozens of
  // other fields /proc/PID/status renders for every read.
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid));
  char buf[128];
  ssize_t n = read_proc(path, buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return std::nullopt;
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return resident * page;
}

std::optional<std::uint64_t> tree_rss_bytes(pid_t pid) {
  // It runs for every busy instance 20 times a second on the emulator's I/O thread, where
  // every microsecond is a stall for all requests: system calls only, no streams.
  auto total = rss_bytes(pid);
  if (!total) return std::nullopt;
  std::vector<pid_t> unvisited = {pid};
  char path[320];  // "/proc/PID/task/" and a directory entry's name (up to 255 bytes)
  char buf[4096];
  // At most 4096 processes: a fork bomb must not make the 50 ms memory check slow.
  for (std::size_t seen = 0; !unvisited.empty() && seen < 4096; ++seen) {
    pid_t p = unvisited.back();
    unvisited.pop_back();
    std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(p));
    DIR* tasks = ::opendir(path);
    if (!tasks) continue;
    while (const dirent* task = ::readdir(tasks)) {
      if (task->d_name[0] < '0' || task->d_name[0] > '9') continue;
      std::snprintf(path, sizeof path, "/proc/%d/task/%s/children", static_cast<int>(p),
                    task->d_name);
      ssize_t n = read_proc(path, buf, sizeof buf - 1);
      if (n <= 0) continue;  // no children (or the thread is gone)
      buf[n] = '\0';
      for (char* at = buf; *at;) {
        char* end = nullptr;
        long child = std::strtol(at, &end, 10);
        if (end == at) break;
        at = end;
        if (auto rss = rss_bytes(static_cast<pid_t>(child))) *total += *rss;
        unvisited.push_back(static_cast<pid_t>(child));
      }
    }
    ::closedir(tasks);
  }
  return total;
}

std::optional<double> cpu_time_ms(pid_t pid) {
  // The process's CPU-time clock: one system call, every thread, nanoseconds. /proc/PID/stat
  // counts in 10 ms ticks, too coarse to price a 3 ms invocation by CPU time (Cloudflare).
  // The clock's id is computed as glibc's clock_getcpuclockid does (the kernel's
  // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)), without its clock_getres check: that is a
  // second system call per invocation, and a process that is gone fails clock_gettime too.
  const auto clock = static_cast<clockid_t>((~static_cast<unsigned>(pid) << 3) | 2U);
  timespec ts{};
  if (::clock_gettime(clock, &ts) == 0)
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  if (!in) return std::nullopt;
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  std::int64_t utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) {
      stime = std::stoll(field);
      break;
    }
  }
  static const long ticks = sysconf(_SC_CLK_TCK);
  return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(ticks);
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGKILL) return "signal: killed";
    return fmt::format("signal: {}", sigabbrev_np(sig) ? sigabbrev_np(sig) : "unknown");
  }
  return "exited";
}

bool process_alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

std::filesystem::path self_exe() {
  return std::filesystem::read_symlink("/proc/self/exe");
}

std::filesystem::path which(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace fx::util
