#include "core/bundle/deps.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/bundle/bytecode.h"
#include "core/bundle/python_build.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"

namespace fx::bundle {

namespace fs = std::filesystem;

namespace {

std::string normalize(std::string name) {
  for (auto& c : name)
    c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

std::vector<std::string> python_requirement_names(const manifest::Service& service) {
  std::vector<std::string> names;
  std::istringstream lines(util::read_file(service.dir / python_requirements(service).file));
  std::string line;
  while (std::getline(lines, line)) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#' || line[start] == '-') continue;
    auto end = line.find_first_of(" \t=<>!~;[@", start);
    names.push_back(normalize(line.substr(start, end - start)));
  }
  return names;
}

std::vector<std::string> node_dependency_names(const manifest::Service& service) {
  std::vector<std::string> names;
  auto pkg = nlohmann::json::parse(util::read_file(service.dir / "package.json"), nullptr, false);
  if (pkg.is_object() && pkg.contains("dependencies") && pkg["dependencies"].is_object())
    for (auto& [k, v] : pkg["dependencies"].items()) names.push_back(k);
  return names;
}

std::vector<std::string> install_python_requirements(const manifest::Service& service,
                                                     const std::string& runtime) {
  const auto settings = python_requirements(service);
  fs::path requirements = service.dir / settings.file;
  std::error_code ec;
  if (!fs::is_regular_file(requirements, ec) || python_requirement_names(service).empty())
    return {};
  fs::path fx_dir = service.dir / ".fx";
  fs::path deps = fx_dir / "deps";
  fs::path stamp = fx_dir / "deps.requirements";
  std::string wanted = util::sha256_hex(util::read_file(requirements) + "\n" +
                                        fmt::format("{}", fmt::join(settings.pip_args, "\x1f")));
  // The stamp records the last attempt, failed or not: an unreachable index is not asked
  // again until requirements.txt changes.
  if (fs::exists(stamp, ec) && util::read_file(stamp).starts_with(wanted)) {
    std::string s = util::read_file(stamp);
    auto nl = s.find('\n');
    return nl == std::string::npos || nl + 1 >= s.size()
               ? std::vector<std::string>{}
               : std::vector<std::string>{s.substr(nl + 1)};
  }
  fs::create_directories(fx_dir);
  fs::path tmp = fx_dir / "deps.installing";
  fs::remove_all(tmp, ec);
  fs::path log = fx_dir / "pip.log";
  fs::remove(log, ec);
  util::SpawnOptions opts;
  fs::path python = python_interpreter(runtime, fx_dir / "pyc");
  if (python.empty()) return {fmt::format("no Python for {} to run pip with", runtime)};
  opts.argv = {python.string(),
               "-m",
               "pip",
               "install",
               "--quiet",
               "--disable-pip-version-check",
               "--no-input",
               "--retries",
               "0",
               "--timeout",
               "10",
               "-r",
               requirements.string(),
               "--target",
               tmp.string()};
  opts.argv.insert(opts.argv.end(), settings.pip_args.begin(), settings.pip_args.end());
  opts.env = util::current_environment();
  opts.cwd = service.dir;  // a requirement given by a relative path is the service folder's
  opts.output_file = log;
  std::string warning;
  try {
    int status = util::run_and_wait(opts);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      fs::remove_all(deps, ec);
      fs::rename(tmp, deps);
    } else {
      std::string out = util::read_file(log);
      while (!out.empty() && out.back() == '\n') out.pop_back();
      auto last = out.rfind('\n');
      warning = fmt::format("pip could not install requirements.txt ({}); using what is vendored",
                            last == std::string::npos ? out : out.substr(last + 1));
    }
  } catch (const std::exception& e) {
    warning = fmt::format("cannot run pip to install requirements.txt: {}", e.what());
  }
  fs::remove_all(tmp, ec);
  std::ofstream(stamp) << wanted << "\n" << warning;
  if (warning.empty()) return {};
  return {warning};
}

}  // namespace fx::bundle
