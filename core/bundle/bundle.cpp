#include "core/bundle/bundle.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <string_view>
#include <system_error>

#include "core/util/error.h"

namespace fx::bundle {

namespace fs = std::filesystem;

namespace {

// Never walked: VCS data, deploy tool state and output (a bundle must not hold the bundles),
// bytecode caches a runtime rebuilds.
constexpr std::string_view kExcludedDirs[] = {"**/.git", ".serverless", ".fx", "**/__pycache__"};
// Never packaged: editor and OS leftovers, logs, secrets, bytecode.
constexpr std::string_view kExcludedFiles[] = {".gitignore", "**/.DS_Store", "npm-debug.log",
                                               "yarn-*.log", ".env*",        "**/*.pyc"};

bool matches_any(std::span<const std::string_view> patterns, std::string_view path) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](std::string_view p) { return glob_match(p, path); });
}

bool is_within(const fs::path& path, const fs::path& root) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return r == root.end();
}

// Walks the service folder collecting every file the default excludes leave. Symlinked files
// are followed (their content goes in); symlinked folders only when they stay inside the
// service folder and do not lead back to a folder being walked, so a link can neither pull
// in the rest of the disk nor loop.
class Collector {
 public:
  Collector(fs::path root, std::string manifest_rel)
      : root_(std::move(root)), manifest_rel_(std::move(manifest_rel)) {}

  std::vector<PlannedFile> run() {
    walking_.push_back(root_);
    walk(root_, "");
    return std::move(files_);
  }

 private:
  void walk(const fs::path& dir, const std::string& rel) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::string path = rel.empty() ? name : rel + "/" + name;
      std::error_code st_ec;
      fs::file_status st = it->status(st_ec);  // follows symlinks; fails on dangling ones
      if (st_ec) continue;
      if (fs::is_directory(st)) {
        if (matches_any(kExcludedDirs, path)) continue;
        fs::path real = walking_.back() / name;
        if (it->is_symlink(st_ec)) {
          real = fs::canonical(it->path(), st_ec);
          if (st_ec || !is_within(real, root_) ||
              std::find(walking_.begin(), walking_.end(), real) != walking_.end())
            continue;
        }
        walking_.push_back(real);
        walk(it->path(), path);
        walking_.pop_back();
      } else if (fs::is_regular_file(st)) {  // sockets, fifos and devices have no content
        if (path == manifest_rel_ || matches_any(kExcludedFiles, path)) continue;
        std::uint64_t size = it->file_size(st_ec);
        if (st_ec) continue;
        bool executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
        files_.push_back({path, it->path(), size, executable, "service file"});
      }
    }
  }

  fs::path root_;
  std::string manifest_rel_;
  std::vector<fs::path> walking_;  // canonical folders from the root down to the current one
  std::vector<PlannedFile> files_;
};

}  // namespace

BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function) {
  std::error_code ec;
  fs::path root = fs::canonical(service.dir, ec);
  if (ec || !fs::is_directory(root))
    throw Error(fmt::format("service folder {} not found", service.dir.string()),
                "run fx in the service folder or pass --config");
  std::string manifest_rel;
  if (!service.manifest_path.empty()) {
    fs::path rel = fs::weakly_canonical(service.manifest_path, ec).lexically_relative(root);
    if (!ec && !rel.empty() && *rel.begin() != "..") manifest_rel = rel.generic_string();
  }

  BundlePlan plan;
  plan.function = function.key;
  std::vector<PlannedFile> files = Collector(root, manifest_rel).run();
  plan.files_in = files.size();
  for (const auto& f : files) plan.bytes_in += f.size;

  // Later patterns win, so each pattern only flips the files it matches; the reason records
  // the pattern that brought an excluded file back.
  std::vector<bool> included(files.size(), true);
  auto apply = [&](const std::vector<std::string>& patterns) {
    for (const std::string& line : patterns) {
      std::string_view pattern = line;
      bool exclude = pattern.starts_with('!');
      if (exclude) pattern.remove_prefix(1);
      if (pattern.empty()) continue;
      for (std::size_t i = 0; i < files.size(); ++i) {
        if (included[i] != exclude || !glob_match(pattern, files[i].archive_path)) continue;
        included[i] = !exclude;
        if (!exclude) files[i].reason = fmt::format("pattern '{}'", line);
      }
    }
  };
  apply(service.package_patterns);
  apply(function.package_patterns);

  // Minimization seam: this is the only place that decides what goes in. The import-graph
  // pass (reachable from the handler, plus whatever the patterns force in) narrows
  // `included` here; write_zip and the Artifact do not change.
  for (std::size_t i = 0; i < files.size(); ++i)
    if (included[i]) plan.files.push_back(std::move(files[i]));
  std::sort(plan.files.begin(), plan.files.end(), [](const PlannedFile& a, const PlannedFile& b) {
    return a.archive_path < b.archive_path;
  });
  return plan;
}

Artifact package_function(const manifest::Service& service, const manifest::Function& function) {
  if (function.package_artifact.empty())
    return write_zip(plan_bundle(service, function),
                     service.dir / ".fx" / "build" / (function.key + ".zip"));
  fs::path zip_path = service.dir / function.package_artifact;
  if (!fs::is_regular_file(zip_path))
    throw Error(fmt::format("function '{}': package.artifact '{}' not found ({})", function.key,
                            function.package_artifact, zip_path.string()),
                "build the zip first, or fix package.artifact in serverless.yaml");
  return inspect_zip(function.key, zip_path);
}

}  // namespace fx::bundle
