// Symlinks that lead out of the service folder. A bundle never follows one (a file link, a
// folder link, at any depth, in node_modules or site-packages alike) unless the manifest names
// it: a package.patterns line equal to the link's path. So `shadow.txt -> /etc/shadow` cannot
// carry a file of the machine into a zip because a glob happened to match it.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fx::bundle {

// A symlink whose target lies outside the service folder (and outside every import root).
struct OutsideLink {
  std::string path;              // the link, '/'-separated, relative to the service folder
  std::filesystem::path target;  // where it leads (canonical)
  bool directory = false;
};

// Whether `path` is `root` or inside it; both canonical.
inline bool path_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  const std::string_view p = path.native(), r = root.native();
  return p.starts_with(r) && (p.size() == r.size() || p[r.size()] == '/' || r.ends_with('/'));
}

}  // namespace fx::bundle
