#include "core/emulator/runtime_sdk.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/util/embedded.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"

namespace fx::emulator {

namespace fs = std::filesystem;

namespace {

// npm at its slowest on a cold cache is well under a minute for these packages; an install
// still running after this is stuck on the network.
constexpr int kInstallTimeoutS = 300;
// The file an installed SDK's folder ends with: its packages and versions, one a line.
constexpr const char* kMarker = ".fx-sdk";

// Waits for `pid` until it exits, `stop` is set or the time is up (then its group is killed).
// Returns its wait status, or -1 when the emulator's own reaper (waitpid(-1) on the I/O thread,
// for instances) took it first: the caller judges the install by its files, not its status.
int wait_for(pid_t pid, const std::atomic<bool>& stop, bool& timed_out) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kInstallTimeoutS);
  timed_out = false;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (stop || std::chrono::steady_clock::now() > deadline) {
      timed_out = !stop;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Instances read the SDK as whatever user they run as (nobody, for a root emulator's
// sandbox): everyone may read it, no one may change it.
void publish_tree(const fs::path& root) {
  std::error_code ec;
  auto fix = [](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return;
    mode_t mode = S_ISDIR(st.st_mode) || (st.st_mode & S_IXUSR) ? 0555 : 0444;
    ::chmod(p.c_str(), mode);
  };
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    fix(it->path());
  fix(root);
}

// What npm's log says failed: its error code and the line that names the request or the
// package ("ECONNREFUSED: request to http://... failed, reason: ..."); else its last line.
std::string npm_failure(const fs::path& log) {
  std::istringstream lines(util::read_file(log));
  std::string line, code, detail, last;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    last = line;
    for (std::string_view prefix : {"npm error ", "npm ERR! "}) {
      if (!line.starts_with(prefix)) continue;
      std::string_view said = std::string_view(line).substr(prefix.size());
      if (code.empty() && said.starts_with("code ")) code = said.substr(5);
      if (detail.empty() && (said.find("request to ") != std::string_view::npos ||
                             said.starts_with("404 ") || said.starts_with("notarget ")))
        detail = said;
    }
  }
  std::string out = !detail.empty() ? (code.empty() ? "" : code + ": ") + detail
                    : !code.empty() ? code
                                    : last;
  if (out.size() > 300) out = out.substr(0, 297) + "...";
  return out.empty() ? "it wrote nothing" : out;
}

// The packages, for a one-line message: the first few and how many more.
std::string package_list(const runtimes::ProvidedSdk& sdk) {
  constexpr std::size_t kNamed = 4;
  std::string out;
  for (std::size_t i = 0; i < sdk.packages.size() && i < kNamed; ++i)
    out += fmt::format("{}{}", out.empty() ? "" : ", ", sdk.packages[i]);
  if (sdk.packages.size() > kNamed)
    out += fmt::format(" and {} more", sdk.packages.size() - kNamed);
  return out;
}

// Holds `path` locked (flock) while alive: emulators sharing FX_HOME/sdk install one at a time.
class InstallLock {
 public:
  InstallLock(const fs::path& path, const std::atomic<bool>& stop) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    while (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0 && !stop)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ~InstallLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  InstallLock(const InstallLock&) = delete;
  InstallLock& operator=(const InstallLock&) = delete;

 private:
  int fd_ = -1;
};

RuntimeSdk ready(const runtimes::ProvidedSdk& sdk, const fs::path& dir) {
  RuntimeSdk out;
  out.status = RuntimeSdk::Status::ready;
  out.dir = sdk.source == runtimes::SdkSource::npm ? dir / "node_modules" : dir;
  return out;
}

RuntimeSdk failed(std::string problem) {
  RuntimeSdk out;
  out.status = RuntimeSdk::Status::failed;
  out.problem = std::move(problem);
  return out;
}

}  // namespace

fs::path runtime_sdk_folder(const runtimes::ProvidedSdk& sdk, const std::string& version) {
  switch (sdk.source) {
    case runtimes::SdkSource::host_python:
      return fs::path("python") / version;
    case runtimes::SdkSource::npm: {
      // The package list is part of the key: a folder installed from an older list is not
      // taken for one that has every package of the new one.
      std::string list;
      for (auto p : sdk.packages) list += fmt::format("{}\n", p);
      return fs::path("node") /
             fmt::format("{}-{}", sdk.version, util::sha256_hex(list).substr(0, 12));
    }
    case runtimes::SdkSource::none:
      break;
  }
  return {};
}

std::string npm_log_failure(const fs::path& log) {
  return npm_failure(log);
}

fs::path runtime_sdk_extra_folder(const runtimes::ProvidedSdk& sdk) {
  // Only the SDK v3 is split in packages a function may import one by one.
  if (sdk.source != runtimes::SdkSource::npm || sdk.since.empty()) return {};
  return fs::path("node") / fmt::format("{}-extra", sdk.version);
}

fs::path RuntimeSdks::extra_dir(const std::string& runtime) const {
  const runtimes::ProvidedSdk* sdk = runtimes::provided_sdk(runtime);
  if (!sdk) return {};
  fs::path folder = runtime_sdk_extra_folder(*sdk);
  std::error_code ec;
  if (folder.empty() || !fs::is_directory(root_ / folder / "node_modules", ec)) return {};
  return root_ / folder / "node_modules";
}

RuntimeSdk install_runtime_sdk(const runtimes::ProvidedSdk& sdk, const fs::path& dir,
                               const fs::path& interpreter, const std::atomic<bool>& stop) {
  std::error_code ec;
  if (fs::exists(dir / kMarker, ec)) return ready(sdk, dir);
  fs::create_directories(dir.parent_path(), ec);
  InstallLock lock(dir.string() + ".lock", stop);
  if (stop) return failed("the emulator stopped");
  if (fs::exists(dir / kMarker, ec)) return ready(sdk, dir);  // another emulator installed it

  const fs::path tmp = fmt::format("{}.tmp-{}", dir.string(), ::getpid());
  const fs::path log = dir.string() + ".log";
  util::remove_tree(tmp);
  fs::create_directories(tmp, ec);
  fs::remove(log, ec);
  util::SpawnOptions opts;
  opts.env = util::current_environment();
  opts.output_file = log;
  opts.new_process_group = true;
  opts.cwd = tmp;
  const bool npm = sdk.source == runtimes::SdkSource::npm;
  if (npm) {
    fs::path program = util::which("npm");
    if (program.empty()) {
      util::remove_tree(tmp);
      return failed(
          fmt::format("cannot install {}: npm is not on PATH (install Node.js's npm, "
                      "then restart the emulator)",
                      sdk.name));
    }
    // A package.json of its own, so npm never looks for one in the folders above.
    std::ofstream(tmp / "package.json") << R"({"name":"fx-runtime-sdk","private":true})"
                                        << "\n";
    opts.argv = {program.string(),
                 "install",
                 "--no-audit",
                 "--no-fund",
                 "--no-save",
                 "--no-package-lock",
                 "--ignore-scripts",
                 "--omit=dev",
                 "--loglevel=error",
                 "--fetch-retries=1",
                 "--fetch-retry-mintimeout=1000",
                 "--fetch-retry-maxtimeout=5000",
                 "--fetch-timeout=60000",
                 "--prefix",
                 tmp.string()};
    for (auto p : sdk.packages) opts.argv.push_back(fmt::format("{}@{}", p, sdk.version));
    opts.env.push_back("npm_config_update_notifier=false");
  } else {
    const auto* script = util::find_embedded("sdk/python_sdk.py");
    opts.argv = {interpreter.string(), "-c", std::string(script ? script->data : ""), tmp.string()};
    for (auto p : sdk.packages) opts.argv.emplace_back(p);
  }

  bool timed_out = false;
  int status = -1;
  try {
    status = wait_for(util::spawn_process(opts).pid, stop, timed_out);
  } catch (const std::exception& e) {
    util::remove_tree(tmp);
    return failed(fmt::format("cannot install {}: {}", sdk.name, e.what()));
  }
  std::string problem;
  if (stop) {
    problem = "the emulator stopped";
  } else if (timed_out) {
    problem = fmt::format("cannot install {}: {} took more than {} s (see {})", sdk.name,
                          npm ? "npm" : interpreter.string(), kInstallTimeoutS, log.string());
  } else if (npm) {
    std::string versions;
    for (auto p : sdk.packages) {
      if (!fs::exists(tmp / "node_modules" / p / "package.json", ec)) {
        problem = fmt::format(
            "cannot install {} from npm ({} at {}): {}; functions run without it until the "
            "emulator restarts and npm can reach its registry (log: {})",
            sdk.name, package_list(sdk), sdk.version, npm_failure(log), log.string());
        break;
      }
      versions += fmt::format("{} {}\n", p, sdk.version);
    }
    if (problem.empty()) std::ofstream(tmp / kMarker) << versions;
  } else if (!fs::exists(tmp / kMarker, ec)) {
    std::string said = util::read_file(log);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 2 && said.starts_with("missing ")) {
      std::string what = said.substr(8, said.find('\n') - 8);
      problem = fmt::format(
          "{} is not installed for {}, so Python functions run without {}: install it "
          "({} -m pip install boto3) and restart the emulator",
          what, interpreter.string(), sdk.name, interpreter.string());
    } else {
      while (!said.empty() && said.back() == '\n') said.pop_back();
      problem = fmt::format("cannot copy {} from {}: {} (log: {})", sdk.name, interpreter.string(),
                            said.substr(said.rfind('\n') + 1), log.string());
    }
  }
  if (!problem.empty()) {
    util::remove_tree(tmp);
    return failed(problem);
  }
  publish_tree(tmp);
  util::remove_tree(dir);
  fs::rename(tmp, dir, ec);
  if (ec) {
    util::remove_tree(tmp);
    return failed(
        fmt::format("cannot install {} into {}: {}", sdk.name, dir.string(), ec.message()));
  }
  return ready(sdk, dir);
}

RuntimeSdks::RuntimeSdks(fs::path root, std::function<void(std::function<void()>)> post)
    : root_(std::move(root)), post_(std::move(post)) {}

RuntimeSdks::~RuntimeSdks() {
  *alive_ = false;
  stop_ = true;  // an install in progress ends now; the worker joins it
}

const RuntimeSdk& RuntimeSdks::find(const std::string& runtime, const fs::path& interpreter,
                                    const std::string& version) {
  static const RuntimeSdk kNone;
  const runtimes::ProvidedSdk* sdk = runtimes::provided_sdk(runtime);
  if (!sdk || sdk->source == runtimes::SdkSource::none) return kNone;
  fs::path folder = runtime_sdk_folder(*sdk, version);
  if (auto it = sdks_.find(folder); it != sdks_.end()) return it->second;
  std::error_code ec;
  const fs::path dir = root_ / folder;
  // Installed at an earlier start (or by another emulator sharing the folder): nothing to do.
  if (fs::exists(dir / kMarker, ec)) return sdks_[folder] = ready(*sdk, dir);
  RuntimeSdk& entry = sdks_[folder];
  entry.status = RuntimeSdk::Status::installing;
  fmt::print(stderr, "fx emulator: installing {} into {} (once){}\n", sdk->name, dir.string(),
             sdk->source == runtimes::SdkSource::npm ? " from npm" : "");
  std::fflush(stderr);
  worker_.post([this, sdk, dir, folder, interpreter, alive = alive_] {
    auto started = std::chrono::steady_clock::now();
    RuntimeSdk result = install_runtime_sdk(*sdk, dir, interpreter, stop_);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    post_([this, folder, result = std::move(result), seconds, alive, sdk] {
      if (!*alive) return;
      if (result.status == RuntimeSdk::Status::ready)
        fmt::print(stderr, "fx emulator: {} is installed ({:.1f} s)\n", sdk->name, seconds);
      else
        fmt::print(stderr, "fx emulator: {}\n", result.problem);
      std::fflush(stderr);
      sdks_[folder] = result;
      for (auto& callback : settled_) callback();
    });
  });
  return entry;
}

}  // namespace fx::emulator
