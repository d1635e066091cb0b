#include "core/emulator/runtimes.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include <fmt/format.h>

#include "core/util/process.h"

namespace fx::emulator {

namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

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

bool is_supported_runtime(std::string_view r) {
  return starts_with(r, "python3.") || (starts_with(r, "nodejs") && r.ends_with(".x")) ||
         r == "provided" || r == "provided.al2" || r == "provided.al2023";
}

RuntimeResolver::RuntimeResolver(fs::path shim_dir) : shim_dir_(std::move(shim_dir)) {}

fs::path RuntimeResolver::runtime_dir(const std::string& runtime) const {
  if (starts_with(runtime, "python")) return shim_dir_ / "python";
  if (starts_with(runtime, "nodejs")) return shim_dir_ / "node";
  return shim_dir_ / "provided";
}

const ResolvedRuntime& RuntimeResolver::resolve(const std::string& runtime) {
  if (auto it = cache_.find(runtime); it != cache_.end()) return it->second;
  ResolvedRuntime r;
  if (starts_with(runtime, "python")) {
    std::string wanted = runtime.substr(6);  // "3.11"
    // Prefer the exact version; any python3 will do, with a warning.
    for (const std::string& name : {"python" + wanted, std::string("python3")}) {
      fs::path exe = util::which(name);
      if (exe.empty()) continue;
      // fd 3 carries the answer, so a noisy sitecustomize cannot garble it.
      // It also compiles fx's shim for this interpreter: a sandboxed instance sees the shim's
      // folder read-only and would otherwise compile it again at every cold start (5-6 ms).
      std::string out = capture({exe.string(), "-c",
                                 "import os,sys,compileall;compileall.compile_dir(sys.argv[1],"
                                 "quiet=2);os.write(3,('%s\\n%d.%d\\n%s\\n'%(sys.executable,"
                                 "*sys.version_info[:2],'\\n'.join({sys.prefix,sys.base_prefix,"
                                 "sys.exec_prefix,sys.base_exec_prefix}))).encode())",
                                 (shim_dir_ / "python").string()});
      std::string rest;
      std::string real = first_line(out, &rest);
      if (real.empty()) continue;
      r.interpreter = real;
      r.version = first_line(rest, &rest);
      while (!rest.empty()) {
        std::string prefix = first_line(rest, &rest);
        if (!prefix.empty()) r.prefixes.emplace_back(prefix);
      }
      break;
    }
    if (r.interpreter.empty()) {
      r.error = fmt::format(
          "no Python interpreter found for {} (looked for python{} and python3 on PATH)", runtime,
          wanted);
    } else if (r.version != wanted) {
      r.warning = fmt::format("{} requested, running with the local Python {} ({})", runtime,
                              r.version, r.interpreter.string());
    }
  } else if (starts_with(runtime, "nodejs")) {
    std::string wanted = runtime.substr(6, runtime.size() - 8);  // "20"
    fs::path exe = util::which("node");
    std::string out;
    if (!exe.empty())
      out = capture({exe.string(), "-e",
                     "require('fs').writeSync(3, process.execPath + '\\n' + "
                     "process.versions.node.split('.')[0] + '\\n')"});
    std::string rest;
    std::string real = first_line(out, &rest);
    if (real.empty()) {
      r.error = fmt::format("no Node.js found for {} (looked for node on PATH)", runtime);
    } else {
      r.interpreter = real;
      r.version = first_line(rest);
      // node lives in PREFIX/bin, its own modules in PREFIX/lib.
      r.prefixes.push_back(fs::path(real).parent_path().parent_path());
      if (r.version != wanted)
        r.warning = fmt::format("{} requested, running with the local Node.js {} ({})", runtime,
                                r.version, r.interpreter.string());
    }
  }
  return cache_.emplace(runtime, std::move(r)).first->second;
}

InstanceCommand RuntimeResolver::command(const std::string& runtime, const fs::path& task_root) {
  InstanceCommand cmd;
  if (starts_with(runtime, "provided")) {
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
  if (starts_with(runtime, "python"))
    cmd.argv = {resolved.interpreter.string(), (runtime_dir(runtime) / "bootstrap.py").string()};
  else
    cmd.argv = {resolved.interpreter.string(), (runtime_dir(runtime) / "bootstrap.js").string()};
  return cmd;
}

}  // namespace fx::emulator
