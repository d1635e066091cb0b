#include "core/runtimes/resolver.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "core/util/process.h"

namespace fx::runtimes {

namespace fs = std::filesystem;

namespace {

// Runs a short command and returns its stdout (empty on failure).
std::string capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  util::SpawnOptions opts;
  opts.argv = argv;
  opts.env = util::current_environment();
  std::string out;
  try {
    // The helper writes to fd 3, our pipe; its stdout goes nowhere.
    opts.pass_fd = fds[1];
    opts.output_file = "/dev/null";
    auto child = util::spawn_process(opts);
    ::close(fds[1]);
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = ::read(fds[0], buf.data(), buf.size())) > 0) out.append(buf.data(), n);
    int status = 0;
    waitpid(child.pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) out.clear();
  } catch (...) {
    ::close(fds[1]);
    out.clear();
  }
  ::close(fds[0]);
  return out;
}

// The first line of `s`; what follows it goes to `rest` (which may be `s` itself).
std::string first_line(const std::string& s, std::string* rest = nullptr) {
  auto nl = s.find('\n');
  std::string line = s.substr(0, nl);
  if (rest) *rest = nl == std::string::npos ? "" : s.substr(nl + 1);
  return line;
}

}  // namespace

RuntimeResolver::RuntimeResolver(fs::path shim_dir, SearchEnvironment env)
    : shim_dir_(std::move(shim_dir)), env_(std::move(env)) {}

fs::path RuntimeResolver::runtime_dir(const std::string& runtime) const {
  const Family* family = find_family(runtime);
  return shim_dir_ / (family ? family->name : "provided");
}

const ResolvedRuntime& RuntimeResolver::resolve(const std::string& runtime) {
  if (auto it = cache_.find(runtime); it != cache_.end()) return it->second;
  ResolvedRuntime r;
  const Family* family = find_family(runtime);
  if (!family || family->program.empty())
    return cache_.emplace(runtime, std::move(r)).first->second;
  const std::string wanted = family->version_of(runtime);
  // The exact version wins wherever it is; else the first interpreter that answers, with a
  // warning. A candidate that does not answer (a pyenv shim for a version that is not
  // selected exits 127) is passed over.
  std::optional<ResolvedRuntime> fallback;
  for (const auto& candidate : interpreter_candidates(*family, wanted, env_)) {
    std::vector<std::string> argv = {candidate.executable.string()};
    argv.insert(argv.end(), family->probe.begin(), family->probe.end());
    argv.push_back(runtime_dir(runtime).string());
    std::string rest;
    std::string real = first_line(capture(argv), &rest);
    if (real.empty()) continue;
    ResolvedRuntime found;
    found.interpreter = real;
    found.version = first_line(rest, &rest);
    while (!rest.empty()) {
      fs::path prefix = first_line(rest, &rest);
      std::error_code ec;
      if (!prefix.empty() && fs::is_directory(prefix, ec) &&
          std::find(found.prefixes.begin(), found.prefixes.end(), prefix) == found.prefixes.end())
        found.prefixes.push_back(prefix);
    }
    if (found.version == wanted) {
      r = std::move(found);
      break;
    }
    if (!fallback) fallback = std::move(found);
  }
  if (r.interpreter.empty() && fallback) {
    r = std::move(*fallback);
    r.warning = fmt::format("{} requested, running with the local {} {} ({})", runtime,
                            family->language, r.version, r.interpreter.string());
  }
  if (r.interpreter.empty())
    r.error = fmt::format("no {} found for {} (looked for {})", family->language, runtime,
                          searched_places(*family, wanted, env_));
  return cache_.emplace(runtime, std::move(r)).first->second;
}

InstanceCommand RuntimeResolver::command(const std::string& runtime, const fs::path& task_root) {
  InstanceCommand cmd;
  const Family* family = find_family(runtime);
  if (!family) {
    cmd.error_type = "Runtime.InvalidEntrypoint";
    cmd.error_message = fmt::format("the fx emulator does not run the {} runtime", runtime);
    return cmd;
  }
  if (family->custom()) {
    fs::path bootstrap = task_root / "bootstrap";
    if (::access(bootstrap.c_str(), X_OK) != 0) {
      cmd.error_type = "Runtime.InvalidEntrypoint";
      cmd.error_message =
          fs::exists(bootstrap)
              ? "Couldn't execute the bootstrap file: it is not executable"
              : "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]";
      return cmd;
    }
    cmd.argv = {bootstrap.string()};
    return cmd;
  }
  const auto& resolved = resolve(runtime);
  if (!resolved.error.empty()) {
    cmd.error_type = "Runtime.InvalidEntrypoint";
    cmd.error_message = resolved.error;
    return cmd;
  }
  cmd.path_dirs = resolved.interpreter.parent_path().string();
  cmd.argv = {resolved.interpreter.string()};
  cmd.argv.insert(cmd.argv.end(), family->shim_options.begin(), family->shim_options.end());
  cmd.argv.push_back((runtime_dir(runtime) / family->shim).string());
  return cmd;
}

}  // namespace fx::runtimes
