#include "core/util/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::util {

namespace fs = std::filesystem;

namespace {

// Lambda's own user and group inside the sandbox (sbx_user1051 is uid 993 on Lambda).
constexpr uid_t kSandboxUid = 993;
constexpr gid_t kSandboxGid = 990;
// Outside, an instance of a root emulator is nobody: it can read what the world can read.
constexpr uid_t kNobody = 65534;

constexpr int kNamespaces =
    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;

// fork(2)'s semantics (no separate stack) with namespace flags, which glibc's clone() wrapper
// does not offer. The child of a multi-threaded process: it may only make system calls.
pid_t clone_into_namespaces(int flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

bool write_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Maps the sandbox's user to ours (or, for root, to nobody: the instance must not be root for
// the files it can see), and keeps inner root for the mounts a root parent's child makes
// before it drops to 993.
std::string map_child(pid_t pid) {
  std::string proc = fmt::format("/proc/{}/", pid);
  if (::geteuid() == 0) {
    if (!write_file(proc + "uid_map", fmt::format("0 0 1\n{} {} 1\n", kSandboxUid, kNobody)))
      return "uid_map";
    if (!write_file(proc + "gid_map", fmt::format("0 0 1\n{} {} 1\n", kSandboxGid, kNobody)))
      return "gid_map";
    return "";
  }
  if (!write_file(proc + "uid_map", fmt::format("{} {} 1\n", kSandboxUid, ::geteuid())))
    return "uid_map";
  // An unprivileged parent may map its group only once setgroups is off for the child.
  if (!write_file(proc + "setgroups", "deny")) return "setgroups";
  if (!write_file(proc + "gid_map", fmt::format("{} {} 1\n", kSandboxGid, ::getegid())))
    return "gid_map";
  return "";
}

// Everything the child does, prepared as C strings before the clone: the child of a
// multi-threaded process must not allocate.
struct Plan {
  std::vector<std::string> strings;  // storage; never resized after pointers are taken
  struct Bind {
    const char* source;
    const char* target;
    bool read_only;
    bool recursive;  // with the mounts under it (/etc's bind-mounted files in a container)
  };
  struct Tmpfs {
    const char* target;
    const char* options;
  };
  struct Link {
    const char* to;
    const char* at;
  };
  const char* staging = nullptr;
  const char* old_root = nullptr;
  const char* old_root_inside = nullptr;
  const char* proc = nullptr;
  const char* cwd = nullptr;
  const char* hostname = nullptr;
  std::vector<const char*> dirs, files;
  std::vector<Bind> binds;
  std::vector<Tmpfs> tmpfs;
  std::vector<Link> links;
  std::vector<char*> argv, envp;
  bool root_parent = false;
};

// Writes "fx sandbox: WHAT: REASON\n" to stderr (the instance's log) and exits 127.
[[noreturn]] void die(const char* what, int err) {
  const char* reason = ::strerrordesc_np(err);
  const char* parts[] = {"fx sandbox: ", what, ": ", reason ? reason : "error", "\n"};
  for (const char* p : parts) {
    [[maybe_unused]] auto n = ::write(2, p, std::strlen(p));
  }
  ::_exit(127);
}

// A read-only bind that keeps the source mount's locked flags (nosuid, nodev, noexec), as a
// remount inside a user namespace must, or the kernel refuses it.
void bind_read_only(const Plan::Bind& b) {
  if (::mount(b.source, b.target, nullptr, MS_BIND | (b.recursive ? MS_REC : 0), nullptr) != 0)
    die(b.target, errno);
  if (!b.read_only) return;
  struct statvfs st;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (::statvfs(b.target, &st) == 0) {
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  }
  if (::mount(nullptr, b.target, nullptr, flags, nullptr) != 0) die(b.target, errno);
}

[[noreturn]] void child_main(const Plan& plan, const SpawnOptions& options, int sync_fd, int out_fd,
                             int err_fd) {
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Errors from here on go to the instance's log.
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  if (out_fd >= 0) ::dup2(out_fd, 1);
  if (err_fd >= 0) ::dup2(err_fd, 2);
  // Wait until the parent has written our uid and gid maps.
  char go = 0;
  if (::read(sync_fd, &go, 1) != 1) ::_exit(127);
  // Dies with the emulator, even if the emulator is killed with SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (options.new_process_group) ::setpgid(0, 0);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) die("/", errno);
  if (::mount("tmpfs", plan.staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
    die(plan.staging, errno);
  for (const char* d : plan.dirs)
    if (::mkdir(d, 0755) != 0 && errno != EEXIST) die(d, errno);
  for (const char* f : plan.files) {
    int fd = ::open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) die(f, errno);
    ::close(fd);
  }
  for (const auto& l : plan.links)
    if (::symlink(l.to, l.at) != 0) die(l.at, errno);
  for (const auto& b : plan.binds) bind_read_only(b);
  for (const auto& t : plan.tmpfs)
    if (::mount("tmpfs", t.target, "tmpfs", MS_NOSUID | MS_NODEV, t.options) != 0)
      die(t.target, errno);
  // This process is the new PID namespace's init: its /proc shows only the instance.
  if (::mount("proc", plan.proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    die("/proc", errno);
  if (::syscall(SYS_pivot_root, plan.staging, plan.old_root) != 0) die("pivot_root", errno);
  if (::chdir("/") != 0) die("/", errno);
  if (::umount2(plan.old_root_inside, MNT_DETACH) != 0) die("the host's root", errno);
  ::rmdir(plan.old_root_inside);
  // Only /tmp (and /dev/shm) can be written, as on Lambda.
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
    die("/ (read-only)", errno);
  ::sethostname(plan.hostname, std::strlen(plan.hostname));
  // The instance's own user: a root parent's child held inner root for the mounts only.
  if (plan.root_parent) ::setgroups(0, nullptr);
  if (::setresgid(kSandboxGid, kSandboxGid, kSandboxGid) != 0) die("setresgid", errno);
  if (::setresuid(kSandboxUid, kSandboxUid, kSandboxUid) != 0) die("setresuid", errno);
  // No setuid program inside can gain what the instance does not have.
  ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (options.pass_fd >= 0) {
    if (options.pass_fd != 3 && ::dup2(options.pass_fd, 3) < 0) die("fd 3", errno);
    if (options.pass_fd == 3) ::fcntl(3, F_SETFD, 0);
  }
  ::close_range(options.pass_fd >= 0 ? 4 : 3, ~0U, 0);
  if (plan.cwd && ::chdir(plan.cwd) != 0) die(plan.cwd, errno);
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  die(plan.argv[0], errno);
}

}  // namespace

std::vector<std::pair<fs::path, fs::path>> system_mounts() {
  std::vector<std::pair<fs::path, fs::path>> out;
  // Not /sys: what is mounted on it (cgroups) is writable, and a bind of it without them is
  // refused in a user namespace (it would reveal what they hide). Programs fall back to /proc.
  for (const char* p : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}) {
    std::error_code ec;
    if (fs::exists(p, ec)) out.emplace_back(p, p);
  }
  return out;
}

const SandboxSupport& sandbox_support() {
  static const SandboxSupport support = [] {
    SandboxSupport s;
    if (const char* off = std::getenv("FX_SANDBOX"); off && std::string_view(off) == "off") {
      s.reason = "FX_SANDBOX=off";
      return s;
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = clone_into_namespaces(kNamespaces);
    if (pid == 0) ::_exit(0);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
      s.reason = fmt::format("the kernel refuses user namespaces ({})", std::strerror(err));
      return s;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    s.available = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!s.available) s.reason = "a process in new namespaces did not start";
    return s;
  }();
  return support;
}

Child spawn_sandboxed(const SpawnOptions& options, const SandboxSpec& sandbox) {
  if (options.argv.empty()) throw Error("spawn_sandboxed: empty argv");
  Plan plan;
  plan.root_parent = ::geteuid() == 0;
  // Every string the child uses, reserved first so pointers into it stay valid.
  auto& s = plan.strings;
  s.reserve(64 + options.argv.size() + options.env.size() + 8 * sandbox.read_only.size());
  auto keep = [&](std::string text) -> const char* {
    s.push_back(std::move(text));
    return s.back().c_str();
  };
  const std::string root = sandbox.staging.string();
  plan.staging = keep(root);
  plan.old_root = keep(root + "/.old-root");
  plan.old_root_inside = "/.old-root";
  plan.proc = keep(root + "/proc");
  plan.hostname = keep(sandbox.hostname);
  if (!sandbox.cwd.empty()) plan.cwd = keep(sandbox.cwd.string());

  std::set<std::string> made;
  auto make_dirs = [&](const fs::path& inside) {
    fs::path at;
    for (const auto& part : inside.relative_path()) {
      at /= part;
      std::string host = root + "/" + at.string();
      if (made.insert(host).second) plan.dirs.push_back(keep(host));
    }
  };
  for (const char* d : {"proc", "dev", "tmp", ".old-root"}) make_dirs(fs::path("/") / d);
  for (const auto& [source, target] : sandbox.read_only) {
    std::error_code ec;
    auto status = fs::symlink_status(source, ec);
    if (ec) continue;  // a folder that is not there (a layer-less function's /opt, /lib32)
    std::string host = root + target.string();
    if (fs::is_symlink(status) && source == target) {
      // /bin -> usr/bin on a merged-/usr system: the same link, not a second mount.
      make_dirs(target.parent_path());
      plan.links.push_back({keep(fs::read_symlink(source, ec).string()), keep(host)});
      continue;
    }
    if (fs::is_directory(fs::status(source, ec))) {
      make_dirs(target);
    } else {
      make_dirs(target.parent_path());
      plan.files.push_back(keep(host));
    }
    plan.binds.push_back({keep(source.string()), keep(host), true, true});
  }
  // A minimal /dev: the devices programs open, bound from the host's.
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string host = root + "/dev/" + dev;
    plan.files.push_back(keep(host));
    plan.binds.push_back({keep(std::string("/dev/") + dev), keep(host), false, false});
  }
  make_dirs("/dev/shm");
  for (auto [to, at] : {std::pair{"/proc/self/fd", "fd"},
                        {"/proc/self/fd/0", "stdin"},
                        {"/proc/self/fd/1", "stdout"},
                        {"/proc/self/fd/2", "stderr"}})
    plan.links.push_back({keep(to), keep(root + "/dev/" + at)});
  plan.tmpfs.push_back(
      {keep(root + "/tmp"), keep(fmt::format("size={}m,mode=1777", sandbox.tmp_mb))});
  plan.tmpfs.push_back({keep(root + "/dev/shm"), keep("size=64m,mode=1777")});
  for (const auto& a : options.argv) plan.argv.push_back(const_cast<char*>(keep(a)));
  plan.argv.push_back(nullptr);
  for (const auto& e : options.env) plan.envp.push_back(const_cast<char*>(keep(e)));
  plan.envp.push_back(nullptr);

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, sync_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {out_pipe, err_pipe, sync_pipe})
      for (int i = 0; i < 2; ++i)
        if (p[i] >= 0) ::close(p[i]), p[i] = -1;
  };
  if (pipe2(sync_pipe, O_CLOEXEC) != 0 ||
      (options.capture_output &&
       (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0))) {
    close_all();
    throw Error(fmt::format("cannot create pipes: {}", std::strerror(errno)));
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone_into_namespaces(kNamespaces);
  if (pid == 0) {
    ::close(sync_pipe[1]);
    child_main(plan, options, sync_pipe[0], out_pipe[1], err_pipe[1]);
  }
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::close(sync_pipe[0]);
  sync_pipe[0] = -1;
  if (out_pipe[1] >= 0) ::close(out_pipe[1]), out_pipe[1] = -1;
  if (err_pipe[1] >= 0) ::close(err_pipe[1]), err_pipe[1] = -1;
  if (pid < 0) {
    close_all();
    throw Error(fmt::format("cannot start {} in a sandbox: {}", options.argv[0],
                            std::strerror(clone_errno)));
  }
  std::string failed = map_child(pid);
  if (!failed.empty()) {
    int err = errno;
    ::kill(pid, SIGKILL);
    close_all();  // the child reads EOF and exits; the emulator reaps it
    throw Error(fmt::format("cannot set up the sandbox of {}: writing its {}: {}", options.argv[0],
                            failed, std::strerror(err)));
  }
  char go = 1;
  [[maybe_unused]] auto n = ::write(sync_pipe[1], &go, 1);
  ::close(sync_pipe[1]);
  sync_pipe[1] = -1;
  Child child;
  child.pid = pid;
  if (options.capture_output) {
    fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    child.stdout_fd = out_pipe[0];
    child.stderr_fd = err_pipe[0];
  }
  return child;
}

}  // namespace fx::util
