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

// "3.11" of "3.11.7", "20" of "20.11.0": as many parts as the runtime's version has.
static std::string same_parts(const std::string& full, const std::string& wanted) {
  const auto parts = static_cast<std::size_t>(std::count(wanted.begin(), wanted.end(), '.')) + 1;
  std::size_t at = 0;
  for (std::size_t i = 0; i < parts; ++i) {
    at = full.find('.', i == 0 ? 0 : at + 1);
    if (at == std::string::npos) return full;
  }
  return full.substr(0, at);
}

std::optional<ResolvedRuntime> RuntimeResolver::probe(const std::string& runtime,
                                                      const fs::path& executable) {
  const Family* family = find_family(runtime);
  std::vector<std::string> argv = {executable.string()};
  argv.insert(argv.end(), family->probe.begin(), family->probe.end());
  argv.push_back(runtime_dir(runtime).string());
  std::string rest;
  std::string real = first_line(capture(argv), &rest);
  if (real.empty()) return std::nullopt;
  ResolvedRuntime found;
  found.interpreter = real;
  found.full_version = first_line(rest, &rest);
  found.version = same_parts(found.full_version, family->version_of(runtime));
  while (!rest.empty()) {
    fs::path prefix = first_line(rest, &rest);
    std::error_code ec;
    if (!prefix.empty() && fs::is_directory(prefix, ec) &&
        std::find(found.prefixes.begin(), found.prefixes.end(), prefix) == found.prefixes.end())
      found.prefixes.push_back(prefix);
  }
  return found;
}

ResolvedRuntime RuntimeResolver::discover(const std::string& runtime) {
  ResolvedRuntime r;
  const Family* family = find_family(runtime);
  const std::string wanted = family->version_of(runtime);
  // The exact version wins wherever it is; else the first interpreter that answers, with a
  // warning. A candidate that does not answer (a pyenv shim for a version that is not
  // selected exits 127) is passed over.
  std::optional<ResolvedRuntime> fallback;
  for (const auto& candidate : interpreter_candidates(*family, wanted, env_)) {
    auto found = probe(runtime, candidate.executable);
    if (!found) continue;
    if (found->version == wanted) return std::move(*found);
    if (!fallback) fallback = std::move(found);
  }
  if (fallback) {
    r = std::move(*fallback);
    r.warning = fmt::format("{}: no {} {} found (looked in {}); running on {} {} ({})", runtime,
                            family->language, wanted, searched_summary(*family, env_),
                            family->language, r.full_version, r.interpreter.string());
    return r;
  }
  r.error = fmt::format("no {} found for {} (looked for {})", family->language, runtime,
                        searched_places(*family, wanted, env_));
  return r;
}

ResolvedRuntime RuntimeResolver::named(const std::string& runtime, const std::string& interpreter) {
  ResolvedRuntime r;
  const Family* family = find_family(runtime);
  const std::string wanted = family->version_of(runtime);
  std::error_code ec;
  if (!fs::path(interpreter).is_absolute())
    r.error = fmt::format("{} is not an absolute path", interpreter);
  else if (!fs::exists(interpreter, ec))
    r.error = fmt::format("{} does not exist", interpreter);
  else if (fs::is_directory(interpreter, ec) || ::access(interpreter.c_str(), X_OK) != 0)
    r.error = fmt::format("{} is not an executable file", interpreter);
  else if (auto found = probe(runtime, interpreter); !found)
    r.error = fmt::format("{} does not run as {} (it failed fx's version probe)", interpreter,
                          family->language);
  else if (found->version != wanted)
    r.error = fmt::format("{} is {} {}, not {} {}", interpreter, family->language,
                          found->full_version, family->language, wanted);
  else
    r = std::move(*found);
  return r;
}

const ResolvedRuntime& RuntimeResolver::resolve(const std::string& runtime,
                                                const std::string& interpreter) {
  const auto now = std::chrono::steady_clock::now();
  auto key = std::make_pair(runtime, interpreter);
  auto it = cache_.find(key);
  if (it != cache_.end() &&
      (it->second.error.empty() || now - failed_at_[key] < retry_failed_after_))
    return it->second;
  const Family* family = find_family(runtime);
  ResolvedRuntime r;
  if (family && !family->program.empty())
    r = interpreter.empty() ? discover(runtime) : named(runtime, interpreter);
  if (!r.error.empty()) failed_at_[key] = now;
  // Replaced in place: a reference an earlier call returned stays valid.
  if (it != cache_.end()) {
    it->second = std::move(r);
    return it->second;
  }
  return cache_.emplace(std::move(key), std::move(r)).first->second;
}

InstanceCommand RuntimeResolver::command(const std::string& runtime, const fs::path& task_root,
                                         const std::string& interpreter) {
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
  const auto& resolved = resolve(runtime, interpreter);
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

std::vector<std::string> deploy_warnings(RuntimeResolver& resolver, const std::string& runtime,
                                         const std::string& interpreter, const std::string& today) {
  std::vector<std::string> out;
  const auto& resolved = resolver.resolve(runtime, interpreter);
  if (!interpreter.empty() && !resolved.error.empty()) throw InvalidInterpreter(resolved.error);
  if (!resolved.warning.empty()) out.push_back(resolved.warning);
  if (!resolved.error.empty()) out.push_back(resolved.error);
  if (auto deprecated = deprecation_warning(runtime, today); !deprecated.empty())
    out.push_back(std::move(deprecated));
  return out;
}

}  // namespace fx::runtimes
