#include "core/runtimes/discovery.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

namespace fx::runtimes {

namespace fs = std::filesystem;

namespace {

fs::path find_on_path(const std::string& program, const std::string& path) {
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

fs::path store_root(const VersionStore& store, const SearchEnvironment& env) {
  if (auto it = env.roots.find(std::string(store.root_variable));
      it != env.roots.end() && !it->second.empty())
    return it->second;
  return env.home.empty() ? fs::path() : env.home / store.home_root;
}

// "3.11.7" (or nvm's "v20.11.0") installs version "3.11", not "3.1".
bool installs_version(std::string_view folder, const std::string& version) {
  if (folder.starts_with('v')) folder.remove_prefix(1);
  return folder == version || (folder.starts_with(version) && folder.size() > version.size() &&
                               folder[version.size()] == '.');
}

// Dotted numbers compared as numbers, so that 3.11.10 is newer than 3.11.9.
bool newer(const std::string& a, const std::string& b) {
  std::stringstream sa(a.starts_with('v') ? a.substr(1) : a);
  std::stringstream sb(b.starts_with('v') ? b.substr(1) : b);
  std::string pa, pb;
  while (true) {
    bool ha = static_cast<bool>(std::getline(sa, pa, '.'));
    bool hb = static_cast<bool>(std::getline(sb, pb, '.'));
    if (!ha || !hb) return ha && !hb;
    long na = std::strtol(pa.c_str(), nullptr, 10), nb = std::strtol(pb.c_str(), nullptr, 10);
    if (na != nb) return na > nb;
    if (pa != pb) return pa > pb;  // "3.13.0rc1" and the like: any stable order
  }
}

}  // namespace

SearchEnvironment SearchEnvironment::current() {
  SearchEnvironment env;
  const char* path = std::getenv("PATH");
  env.path = path ? path : "/usr/local/bin:/usr/bin:/bin";
  if (const char* home = std::getenv("HOME")) env.home = home;
  // Tests (and a system with its own layout) name the system folders: "DIR:DIR".
  if (const char* dirs = std::getenv("FX_RUNTIME_SYSTEM_DIRS")) {
    env.system_dirs.clear();
    std::stringstream list(dirs);
    std::string dir;
    while (std::getline(list, dir, ':'))
      if (!dir.empty()) env.system_dirs.emplace_back(dir);
  }
  for (const auto& family : families())
    for (const auto& store : family.stores)
      if (const char* root = std::getenv(std::string(store.root_variable).c_str()))
        env.roots[std::string(store.root_variable)] = root;
  return env;
}

std::string with_version(std::string_view pattern, const std::string& version) {
  std::string out(pattern);
  if (auto at = out.find("{}"); at != std::string::npos) out.replace(at, 2, version);
  return out;
}

std::vector<Candidate> interpreter_candidates(const Family& family, const std::string& version,
                                              const SearchEnvironment& env) {
  std::vector<Candidate> out;
  auto add = [&](fs::path exe, bool versioned, std::string_view source) {
    for (const auto& c : out)
      if (c.executable == exe) return;
    out.push_back({std::move(exe), versioned, std::string(source)});
  };
  for (const auto& pattern : family.versioned_programs) {
    const std::string name = with_version(pattern, version);
    if (auto exe = find_on_path(name, env.path); !exe.empty()) add(exe, true, "PATH");
    for (const auto& dir : env.system_dirs)
      if (::access((dir / name).c_str(), X_OK) == 0) add(dir / name, true, dir.string());
  }
  // Every store's installs of the version, the newest patch first wherever it is (on a tie,
  // the stores' order).
  struct Install {
    std::string folder;
    fs::path exe;
    std::string_view manager;
  };
  std::vector<Install> installs;
  for (const auto& store : family.stores) {
    fs::path root = store_root(store, env);
    if (root.empty()) continue;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root / store.versions, ec)) {
      std::string name = entry.path().filename().string();
      if (!installs_version(name, version)) continue;
      for (const auto& executable : store.executables) {
        fs::path exe = root / store.versions / name / with_version(executable, version);
        if (::access(exe.c_str(), X_OK) == 0) {
          installs.push_back({name, exe, store.manager});
          break;
        }
      }
    }
  }
  std::stable_sort(installs.begin(), installs.end(),
                   [](const Install& a, const Install& b) { return newer(a.folder, b.folder); });
  for (const auto& install : installs) add(install.exe, true, install.manager);
  if (!family.program.empty())
    if (auto exe = find_on_path(std::string(family.program), env.path); !exe.empty())
      add(exe, false, "PATH");
  return out;
}

std::string searched_places(const Family& family, const std::string& version,
                            const SearchEnvironment& env) {
  std::string out;
  for (const auto& pattern : family.versioned_programs)
    out += with_version(pattern, version) + " and ";
  out += fmt::format("{} on PATH", family.program);
  for (const auto& dir : env.system_dirs) out += fmt::format(", {}", dir.string());
  for (const auto& store : family.stores) {
    fs::path root = store_root(store, env);
    if (!root.empty()) out += fmt::format(", {}", (root / store.versions).string());
  }
  return out;
}

std::string searched_summary(const Family& family, const SearchEnvironment& env) {
  std::string out = "PATH";
  for (const auto& dir : env.system_dirs) out += ", " + dir.string();
  for (const auto& store : family.stores)
    if (out.find(store.manager) == std::string::npos) out += fmt::format(", {}", store.manager);
  return out;
}

}  // namespace fx::runtimes
