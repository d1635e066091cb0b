// Starting and inspecting child processes (function instances, the emulator daemon).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fx::util {

struct SpawnOptions {
  std::vector<std::string> argv;      // argv[0] is the executable's path
  std::vector<std::string> env;       // exactly the child's environment, "KEY=VALUE"
  std::filesystem::path cwd;          // empty: inherit
  bool new_process_group = false;     // so that the whole group can be killed at once
  bool new_session = false;           // a daemon: detached from the terminal
  bool capture_output = false;        // stdout and stderr become non-blocking pipes to us
  std::filesystem::path output_file;  // else, when set: stdout and stderr appended here
  int pass_fd = -1;                   // handed to the child as fd 3
  // Folders bind-mounted read-only (source, target) in a mount namespace of the child's own,
  // e.g. a function's layers on /opt. Needs CAP_SYS_ADMIN; without it the child starts
  // without them (the runtime shims still find layers through their import paths).
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> bind_mounts;
  // > 0: a private tmpfs of this many MB on /tmp, in the same mount namespace (Lambda's
  // ephemeral storage: the instance's own, size-limited, gone when the instance is).
  int private_tmp_mb = 0;
};

struct Child {
  pid_t pid = -1;
  int stdout_fd = -1;  // when capture_output
  int stderr_fd = -1;
};

// Starts the program with posix_spawn (cheap even from a large process) and every other
// descriptor closed. Throws fx::Error naming the program when it cannot start.
Child spawn_process(const SpawnOptions& options);

// This process's environment as "KEY=VALUE" strings, for a child that should inherit it.
std::vector<std::string> current_environment();

// Starts the program and waits for it; returns the waitpid status. Throws like spawn_process.
int run_and_wait(const SpawnOptions& options);

// A process's /proc/PID/status, opened once and read again at will: for a number asked after
// every invocation (Max Memory Used), one pread instead of an open, a path walk and a close.
// (getrusage's ru_maxrss is no substitute when the process is not us: a spawned child
// inherits its parent's peak across exec, so a 15 MB handler would show the emulator's.)
class StatusFile {
 public:
  StatusFile() = default;
  explicit StatusFile(pid_t pid);
  ~StatusFile();
  StatusFile(StatusFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  StatusFile& operator=(StatusFile&& other) noexcept;
  StatusFile(const StatusFile&) = delete;
  StatusFile& operator=(const StatusFile&) = delete;
  // VmHWM in bytes; nullopt once the process is gone (or was never opened).
  std::optional<std::uint64_t> peak_rss_bytes() const;

 private:
  int fd_ = -1;
};

// Its resident set size now (VmRSS), or nullopt once it is gone.
std::optional<std::uint64_t> rss_bytes(pid_t pid);
// The resident memory of a process and of every descendant it has (through
// /proc/PID/task/TID/children): what a handler and the processes it spawned hold together.
std::optional<std::uint64_t> tree_rss_bytes(pid_t pid);

// User + system CPU time of a live process (all its threads, live and exited) in
// milliseconds with nanosecond resolution, or nullopt.
std::optional<double> cpu_time_ms(pid_t pid);

// "exit status 1" / "signal: killed" from a waitpid status, as Lambda words it.
std::string describe_exit(int wait_status);

bool process_alive(pid_t pid);

// The real path of the running executable (/proc/self/exe).
std::filesystem::path self_exe();

// Finds a program on PATH; empty when absent.
std::filesystem::path which(const std::string& program);

}  // namespace fx::util
