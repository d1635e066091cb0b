// Following a Python handler's imports through a list of search roots the way sys.path does,
// keeping only the files a run can reach (modules, the __init__ chain, package data, native
// libraries, the metadata importlib.metadata reads) and saying why each one is kept.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/bundle/links.h"

namespace fx::bundle::python {

// A directory on the import path: the service folder, .fx/deps, a vendored folder.
struct SearchRoot {
  std::filesystem::path dir;
};

// A file the bundle keeps.
struct KeptFile {
  std::filesystem::path source;  // absolute file on disk (a symlink's target)
  std::string archive_path;      // '/'-separated, relative to the SearchRoot it came from
  std::string reason;            // "handler", "import chain: handler → app.db → x", ...
};

// What follow() found.
struct Graph {
  std::vector<KeptFile> files;         // unique by archive_path, sorted by archive_path
  std::vector<std::string> not_found;  // imports found in no root (stdlib, runtime-provided)
  std::vector<std::string> notes;      // imports that cannot be followed, and why
  // Symlinks leading out of every root that an import or a package's data would have used,
  // and that were not followed (what they lead to counts as absent), sorted by path.
  std::vector<OutsideLink> skipped_links;
};

// Follows imports from the handler module ("src/app" for handler "src/app.main", found in
// roots[0]) through the roots in order, the first root holding a module winning as on
// sys.path. A string literal naming a module of a package found in the roots ("pkg.mod.func")
// is followed too, as lazy imports load such names at run time; dormant imports are not.
// A symlink leading outside every root is not followed unless `allowed_links` names it (paths
// relative to roots[0], the service folder); it lands in skipped_links. Throws fx::Error when
// the handler module is missing (naming every path searched), and on a symlink loop.
Graph follow(const std::string& handler_module_path, const std::vector<SearchRoot>& roots,
             const std::vector<std::string>& allowed_links = {});

}  // namespace fx::bundle::python
