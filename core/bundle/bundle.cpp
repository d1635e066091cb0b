#include "core/bundle/bundle.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <algorithm>
#include <span>
#include <string_view>
#include <system_error>

#include "core/bundle/build_plugins.h"
#include "core/bundle/bytecode.h"
#include "core/bundle/deps.h"
#include "core/bundle/node_imports.h"
#include "core/bundle/python_build.h"
#include "core/bundle/python_imports.h"
#include "core/runtimes/registry.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/process.h"

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

std::string join_path(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// Walks a folder collecting every file the default excludes leave. Symlinks are followed
// only when they lead inside one of `boundaries` (the service folder, and for an import root
// or a named link, that folder too) and not back to a folder being walked, so a link can
// neither pull in the rest of the disk nor loop; the others are listed in `outside`.
class Collector {
 public:
  // `link_prefix` is the walked folder's path from the service folder, for the links' paths.
  Collector(fs::path root, std::string manifest_rel, std::vector<fs::path> boundaries,
            std::string link_prefix = "")
      : root_(std::move(root)),
        manifest_rel_(std::move(manifest_rel)),
        boundaries_(std::move(boundaries)),
        link_prefix_(std::move(link_prefix)) {}

  std::vector<PlannedFile> run() {
    walking_.push_back(root_);
    walk(root_, "");
    return std::move(files_);
  }

  std::vector<OutsideLink> outside;  // links out of every boundary, not followed

 private:
  bool inside(const fs::path& real) const {
    return std::any_of(boundaries_.begin(), boundaries_.end(),
                       [&](const fs::path& b) { return path_within(real, b); });
  }

  void walk(const fs::path& dir, const std::string& rel) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::string path = rel.empty() ? name : rel + "/" + name;
      std::error_code st_ec;
      fs::file_status st = it->status(st_ec);  // follows symlinks; fails on dangling ones
      if (st_ec) continue;                     // (and on loops: ELOOP)
      const bool directory = fs::is_directory(st);
      if (directory && matches_any(kExcludedDirs, path)) continue;
      if (!directory && (path == manifest_rel_ || matches_any(kExcludedFiles, path))) continue;
      fs::path real = walking_.back() / name;
      if (it->is_symlink(st_ec)) {
        real = fs::canonical(it->path(), st_ec);
        if (st_ec) continue;
        if (!inside(real)) {
          outside.push_back({join_path(link_prefix_, path), real, directory});
          continue;
        }
      }
      if (directory) {
        if (std::find(walking_.begin(), walking_.end(), real) != walking_.end()) continue;
        walking_.push_back(real);
        walk(it->path(), path);
        walking_.pop_back();
      } else if (fs::is_regular_file(st)) {  // sockets, fifos and devices have no content
        std::uint64_t size = it->file_size(st_ec);
        if (st_ec) continue;
        bool executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
        files_.push_back({path, it->path(), size, executable, "service file"});
      }
    }
  }

  fs::path root_;
  std::string manifest_rel_;
  std::vector<fs::path> boundaries_;
  std::string link_prefix_;
  std::vector<fs::path> walking_;  // canonical folders from the root down to the current one
  std::vector<PlannedFile> files_;
};

// A package.patterns line as a link's path would be written: "./x/" is "x".
std::string normalized_pattern(std::string_view line) {
  while (line.starts_with("./")) line.remove_prefix(2);
  while (line.size() > 1 && line.ends_with('/')) line.remove_suffix(1);
  return std::string(line);
}

// The paths that package.patterns lines name exactly (not as a glob that happens to match):
// the only links out of the service folder a bundle follows.
std::set<std::string> named_paths(const std::vector<std::string>& service_patterns,
                                  const std::vector<std::string>& function_patterns) {
  std::set<std::string> named;
  for (const auto* patterns : {&service_patterns, &function_patterns}) {
    for (const auto& line : *patterns) {
      if (!line.starts_with('!')) named.insert(normalized_pattern(line));
    }
  }
  return named;
}

// The files behind a link out of the service folder, as the bundle holds them: under the
// link's path. Links inside them that lead out of both the service folder and the link's
// target are not followed, and are added to `outside`.
std::vector<PlannedFile> linked_files(const fs::path& root, const OutsideLink& link,
                                      std::vector<OutsideLink>& outside) {
  std::vector<PlannedFile> files;
  std::error_code ec;
  const std::string why = fmt::format("the link {} -> {}", link.path, link.target.string());
  if (!link.directory) {
    const fs::path source = root / link.path;
    const auto st = fs::status(source, ec);
    if (ec || !fs::is_regular_file(st)) return files;
    files.push_back({link.path, source, fs::file_size(source, ec),
                     (st.permissions() & fs::perms::owner_exec) != fs::perms::none, why});
    return files;
  }
  Collector collector(link.target, "", {root, link.target}, link.path);
  for (auto& f : collector.run()) {
    f.archive_path = link.path + "/" + f.archive_path;
    f.reason = why;
    files.push_back(std::move(f));
  }
  outside.insert(outside.end(), collector.outside.begin(), collector.outside.end());
  return files;
}

}  // namespace

BundleSettings bundle_settings(const manifest::Service& service) {
  BundleSettings settings;
  auto fx = nlohmann::json::parse(service.custom_fx_json, nullptr, false);
  if (!fx.is_object()) return settings;
  if (fx.contains("minify")) {
    if (!fx["minify"].is_boolean())
      throw Error(fmt::format("{}: custom.fx.minify: expected true or false, got {}",
                              service.manifest_path.filename().string(), fx["minify"].dump()),
                  "set custom.fx.minify: false to ship every file the patterns leave");
    settings.minify = fx["minify"].get<bool>();
  }
  if (fx.contains("bytecode")) {
    if (!fx["bytecode"].is_boolean())
      throw Error(fmt::format("{}: custom.fx.bytecode: expected true or false, got {}",
                              service.manifest_path.filename().string(), fx["bytecode"].dump()),
                  "custom.fx.bytecode: true ships compiled .pyc files with Python functions");
    settings.bytecode = fx["bytecode"].get<bool>();
  }
  if (fx.contains("bundler")) {
    settings.bundler = fx["bundler"].is_string() ? fx["bundler"].get<std::string>() : "";
    if (settings.bundler != "esbuild")
      throw Error(fmt::format("{}: custom.fx.bundler: expected \"esbuild\", got {}",
                              service.manifest_path.filename().string(), fx["bundler"].dump()),
                  "remove custom.fx.bundler to use fx's own minimizer");
  }
  if (fx.contains("pythonPath")) {
    const auto& p = fx["pythonPath"];
    if (p.is_string())
      settings.python_path.push_back(p.get<std::string>());
    else if (p.is_array())
      for (const auto& e : p)
        if (e.is_string()) settings.python_path.push_back(e.get<std::string>());
  }
  return settings;
}

namespace {

fs::path canonical_root(const manifest::Service& service) {
  std::error_code ec;
  fs::path root = fs::canonical(service.dir, ec);
  if (ec || !fs::is_directory(root))
    throw Error(fmt::format("service folder {} not found", service.dir.string()),
                "run fx in the service folder or pass --config");
  return root;
}

// Adds a file list's names, sizes and modification times to a fingerprint.
void fingerprint_files(std::string& acc, const std::vector<PlannedFile>& files) {
  std::error_code ec;
  for (const auto& f : files) {
    auto mtime = fs::last_write_time(f.source, ec).time_since_epoch().count();
    acc += fmt::format("{}\t{}\t{}\t{}\n", f.archive_path, f.size, mtime, f.executable);
  }
}

}  // namespace

ServiceFiles collect_service_files(const manifest::Service& service) {
  ServiceFiles out;
  out.root = canonical_root(service);
  std::error_code ec;
  std::string manifest_rel;
  if (!service.manifest_path.empty()) {
    fs::path rel = fs::weakly_canonical(service.manifest_path, ec).lexically_relative(out.root);
    if (!ec && !rel.empty() && *rel.begin() != "..") manifest_rel = rel.generic_string();
  }
  Collector walk(out.root, manifest_rel, {out.root});
  out.files = walk.run();
  out.outside_links = std::move(walk.outside);
  std::string acc;
  fingerprint_files(acc, out.files);
  // Links out of the service folder that some patterns line names are walked once, here.
  std::vector<std::string> function_patterns;
  for (const auto& fn : service.functions)
    function_patterns.insert(function_patterns.end(), fn.package_patterns.begin(),
                             fn.package_patterns.end());
  const auto named = named_paths(service.package_patterns, function_patterns);
  for (size_t i = 0; i < out.outside_links.size(); ++i) {  // grows with links found inside
    if (!named.count(out.outside_links[i].path)) continue;
    const OutsideLink link = out.outside_links[i];
    for (auto& f : linked_files(out.root, link, out.outside_links))
      out.linked_files.push_back(std::move(f));
  }
  fingerprint_files(acc, out.linked_files);
  // Installed Python dependencies live outside the walked tree (.fx is excluded from it).
  auto settings = bundle_settings(service);
  std::vector<std::string> extra = {".fx/deps"};
  for (const auto& p : settings.python_path) extra.push_back(p);
  for (const auto& name : extra) {
    const fs::path dir = out.root / name;
    if (!fs::is_directory(dir, ec)) continue;
    fs::path real = fs::canonical(dir, ec);
    if (ec) continue;
    // A root given by a path inside the service folder that a link leads out of is a link
    // like any other (the walk above lists it); one given as ../shared is the manifest's word.
    const std::string rel = normalized_pattern(fs::path(name).lexically_normal().generic_string());
    const bool lexically_inside = !rel.starts_with("..") && !fs::path(name).is_absolute();
    if (lexically_inside && !path_within(real, out.root) && !named.count(rel)) continue;
    out.python_roots.push_back(real);
    acc += "root " + real.string() + "\n";
    const std::string prefix =
        lexically_inside ? rel : real.lexically_relative(out.root).generic_string();
    out.python_root_paths.push_back(prefix);
    Collector root_walk(real, "", {out.root, real}, prefix);
    out.python_root_files.push_back(root_walk.run());
    out.python_root_links.insert(out.python_root_links.end(), root_walk.outside.begin(),
                                 root_walk.outside.end());
    fingerprint_files(acc, out.python_root_files.back());
  }
  auto by_path = [](const OutsideLink& a, const OutsideLink& b) { return a.path < b.path; };
  std::sort(out.outside_links.begin(), out.outside_links.end(), by_path);
  std::sort(out.python_root_links.begin(), out.python_root_links.end(), by_path);
  for (const auto* links : {&out.outside_links, &out.python_root_links}) {
    for (const auto& link : *links) acc += "link " + link.path + "\t" + link.target.string() + "\n";
  }
  out.fingerprint = util::sha256_hex(acc);
  return out;
}

BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function) {
  return plan_bundle(service, function, collect_service_files(service));
}

namespace {

// "src/app.main" → "src/app": the file part of a handler, as Python's runtime splits it.
std::string handler_module(const std::string& handler) {
  auto dot = handler.rfind('.');
  return dot == std::string::npos ? handler : handler.substr(0, dot);
}

// "src/app.main.sub" → "src/app": Node's runtime splits at the first dot after the last '/'.
std::string node_handler_module(const std::string& handler) {
  auto slash = handler.rfind('/');
  auto dot = handler.find('.', slash == std::string::npos ? 0 : slash + 1);
  return dot == std::string::npos ? handler : handler.substr(0, dot);
}

// How a runtime's code is packaged; one fx does not know: the folder as it is.
runtimes::Bundler bundler_of(const std::string& runtime) {
  const auto* family = runtimes::find_family(runtime);
  return family ? family->bundler : runtimes::Bundler::whole_folder;
}

bool is_executable(const fs::path& p) {
  std::error_code ec;
  auto perms = fs::status(p, ec).permissions();
  return !ec && (perms & fs::perms::owner_exec) != fs::perms::none;
}

}  // namespace

namespace {

// Whether `link` is, or is inside, a link that `named` holds.
const std::string* named_link_of(const std::string& path, const std::vector<OutsideLink>& links,
                                 const std::set<std::string>& named) {
  for (const auto& link : links) {
    if (named.count(link.path) &&
        (path == link.path || (path.starts_with(link.path) && path[link.path.size()] == '/')))
      return &link.path;
  }
  return nullptr;
}

// Whether a graph left out `name` (a package or module) because its link leads outside.
bool skipped_package(const std::vector<OutsideLink>& links, const std::string& name) {
  return std::any_of(links.begin(), links.end(), [&](const OutsideLink& link) {
    const std::string base = fs::path(link.path).filename().string();
    return base == name || base == name + ".py";
  });
}

}  // namespace

BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function,
                       const ServiceFiles& collected) {
  BundlePlan plan;
  plan.function = function.key;
  // Links out of the service folder go in only when a patterns line names them exactly.
  const auto named = named_paths(service.package_patterns, function.package_patterns);
  std::vector<PlannedFile> files = collected.files;
  std::vector<OutsideLink> outside_links = collected.outside_links;
  for (const auto& f : collected.linked_files) {
    if (named_link_of(f.archive_path, outside_links, named)) files.push_back(f);
  }
  // A function the service does not list (or a link found in one just walked) may name a link
  // collect_service_files did not walk: walk it now.
  for (size_t i = 0; i < outside_links.size(); ++i) {
    if (!named.count(outside_links[i].path)) continue;
    const OutsideLink link = outside_links[i];
    const bool walked = std::any_of(files.begin(), files.end(), [&](const PlannedFile& f) {
      return f.archive_path == link.path || f.archive_path.starts_with(link.path + "/");
    });
    if (walked) continue;
    std::vector<OutsideLink> found;
    for (auto& f : linked_files(collected.root, link, found)) files.push_back(std::move(f));
    for (auto& l : found) {
      if (std::none_of(outside_links.begin(), outside_links.end(),
                       [&](const OutsideLink& o) { return o.path == l.path; }))
        outside_links.push_back(std::move(l));
    }
  }
  plan.files_in = files.size();
  for (const auto& f : files) plan.bytes_in += f.size;
  std::vector<std::string> allowed;  // the named links, for the import graphs
  for (const auto& link : outside_links)
    if (named.count(link.path)) allowed.push_back(link.path);
  for (const auto& link : collected.python_root_links)
    if (named.count(link.path)) allowed.push_back(link.path);

  auto settings = bundle_settings(service);
  const auto bundler = bundler_of(function.runtime);
  bool graph = settings.minify && bundler != runtimes::Bundler::whole_folder;

  // `kept` maps an archive path to its file; patterns then add or remove in order.
  std::map<std::string, PlannedFile> kept;
  std::vector<OutsideLink> reached;  // links out that the import graph met and did not follow
  auto keep_graph = [&](auto& graph) {
    for (auto& f : graph.files) {
      std::error_code ec;
      std::uint64_t size = fs::file_size(f.source, ec);
      kept[f.archive_path] = {f.archive_path, f.source, ec ? 0 : size, is_executable(f.source),
                              f.reason};
    }
    plan.notes = std::move(graph.notes);
    reached = std::move(graph.skipped_links);
  };
  // A TypeScript handler or a build plugin: built first (whatever custom.fx.minify says,
  // since the source cannot run as it is), the output is the bundle.
  NodeBuild node_build;
  WsgiApp wsgi;
  if (bundler == runtimes::Bundler::python_imports)
    wsgi = wsgi_app_for(service, function, collected.root);
  if (bundler == runtimes::Bundler::node_imports)
    node_build = node_build_for(service, function, node_handler_module(function.handler),
                                collected.root, settings);
  if (node_build.tool != NodeTool::none) {
    plan.minimized = true;
    std::vector<std::string> said;  // settings fx reads differently: shown at every deploy
    for (auto& f : run_node_build(function, collected.root, node_build, files, said))
      kept[f.archive_path] = std::move(f);
    for (const auto& s : said)
      plan.warnings.push_back(fmt::format("functions.{}: {}", function.key, s));
  } else if (graph) {
    plan.minimized = true;
    if (bundler == runtimes::Bundler::python_imports) {
      std::vector<python::SearchRoot> roots = {{collected.root}};
      for (std::size_t i = 0; i < collected.python_roots.size(); ++i) {
        const auto& r = collected.python_roots[i];
        roots.push_back({r});
        // Installed dependencies count as input too: they are what a full bundle would ship
        // (a root inside the service folder, such as vendor/, is counted already).
        if (is_within(r, collected.root)) continue;
        for (const auto& f : collected.python_root_files[i]) {
          ++plan.files_in;
          plan.bytes_in += f.size;
        }
      }
      auto g = python::follow(wsgi.active ? wsgi.app_module : handler_module(function.handler),
                              roots, allowed);
      auto declared = python_requirement_names(service);
      for (const auto& name : g.not_found) {
        std::string top = name.substr(0, name.find('.'));
        std::string key = top;
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (std::find(declared.begin(), declared.end(), key) != declared.end() &&
            !skipped_package(g.skipped_links, top))
          throw Error(fmt::format("function '{}' imports '{}' from requirements.txt, but it is not "
                                  "installed in {} or any import root",
                                  function.key, top, (service.dir / ".fx" / "deps").string()),
                      "install it: pip install -r requirements.txt -t .fx/deps (or vendor it "
                      "with pip install -t . and add the folder to custom.fx.pythonPath)");
      }
      keep_graph(g);
    } else {
      node::Options options;
      options.exclude_dev_dependencies = service.exclude_dev_dependencies;
      options.allowed_links = allowed;
      options.runtime = function.runtime;
      auto g = node::follow(collected.root, node_handler_module(function.handler), options);
      auto declared = node_dependency_names(service);
      for (const auto& name : g.builtins_or_missing) {
        // Declared for local tooling but provided by Lambda's runtime (@aws-sdk/* on
        // nodejs18.x and later): the function runs without node_modules, as on Lambda.
        std::string pkg = name.starts_with('@') ? name.substr(0, name.find('/', name.find('/') + 1))
                                                : name.substr(0, name.find('/'));
        if (runtimes::provides_module(function.runtime, name)) {
          if (std::find(plan.runtime_packages.begin(), plan.runtime_packages.end(), pkg) ==
              plan.runtime_packages.end())
            plan.runtime_packages.push_back(pkg);
          continue;
        }
        const bool linked_out = std::any_of(
            g.skipped_links.begin(), g.skipped_links.end(),
            [&](const OutsideLink& l) { return l.path.ends_with("node_modules/" + pkg); });
        if (std::find(declared.begin(), declared.end(), pkg) != declared.end() && !linked_out)
          throw Error(fmt::format("function '{}' requires '{}' from package.json, but {} has no "
                                  "node_modules/{}",
                                  function.key, pkg, service.dir.string(), pkg),
                      "install the dependencies: npm install (or npm ci) in the service folder");
      }
      keep_graph(g);
    }
  } else {
    for (auto& f : files) kept[f.archive_path] = f;
    // Import roots (installed requirements, custom.fx.pythonPath) go to the top of the
    // bundle, where Lambda's sys.path finds them, minimized or not; a root inside the service
    // folder moves there rather than being shipped twice.
    if (bundler == runtimes::Bundler::python_imports)
      for (std::size_t i = 0; i < collected.python_roots.size(); ++i) {
        const std::string& path = collected.python_root_paths[i];
        bool inside = !path.starts_with("..");
        std::string prefix = path + "/";
        if (inside) std::erase_if(kept, [&](const auto& e) { return e.first.starts_with(prefix); });
        for (auto f : collected.python_root_files[i]) {
          if (!inside) {
            ++plan.files_in;
            plan.bytes_in += f.size;
          }
          f.reason = "import root " + path;
          kept.try_emplace(f.archive_path, std::move(f));
        }
      }
  }

  if (bundler == runtimes::Bundler::python_imports) {
    for (const auto& f : wsgi.files) kept[f.archive_path] = f;
    const auto requirements = python_requirements(service);
    if (requirements.zip) {
      auto f = unzip_requirements_module(collected.root);
      kept[f.archive_path] = std::move(f);
    }
    trim_requirements(requirements, collected.root / ".fx" / "deps", kept);
    for (const auto& n : requirements.notes)
      plan.warnings.push_back(fmt::format("functions.{}: {}", function.key, n));
  }

  // The links out of the service folder this bundle could meet, and whether it would have held
  // them: what the graph met, or (not minimized) every one; then as the patterns say.
  std::map<std::string, OutsideLink> links;
  std::map<std::string, bool> ships;
  auto add_links = [&](const std::vector<OutsideLink>& from, bool in) {
    for (const auto& link : from) {
      links.emplace(link.path, link);
      auto [it, fresh] = ships.emplace(link.path, in);
      if (!fresh) it->second = it->second || in;
    }
  };
  add_links(outside_links, !plan.minimized);
  if (bundler == runtimes::Bundler::python_imports)
    add_links(collected.python_root_links, !plan.minimized);
  add_links(reached, true);

  // Patterns in order, later lines winning: "X" forces matching service files in (with the
  // pattern as the reason), "!X" takes matching files out, whatever brought them in.
  auto apply = [&](const std::vector<std::string>& patterns) {
    for (const std::string& line : patterns) {
      std::string_view pattern = line;
      bool exclude = pattern.starts_with('!');
      if (exclude) pattern.remove_prefix(1);
      if (pattern.empty()) continue;
      for (auto& [path, in] : ships) {
        if (exclude ? glob_match(pattern, path)
                    : glob_match(pattern, path) ||
                          (links.at(path).directory && glob_match_below(pattern, path)))
          in = !exclude;
      }
      if (exclude) {
        std::erase_if(kept, [&](const auto& entry) { return glob_match(pattern, entry.first); });
        continue;
      }
      for (const auto& f : files) {
        if (kept.count(f.archive_path) || !glob_match(pattern, f.archive_path)) continue;
        auto forced = f;
        forced.reason = fmt::format("pattern '{}'", line);
        kept[f.archive_path] = std::move(forced);
      }
    }
  };
  apply(service.package_patterns);
  apply(function.package_patterns);

  for (auto& [path, f] : kept) {
    // Say which named link brought a file in, whatever else the reason says.
    if (const std::string* link = named_link_of(path, outside_links, named)) {
      const std::string target = links.at(*link).target.string();
      if (f.reason.starts_with("pattern '") || f.reason.starts_with("the link "))
        f.reason = fmt::format("pattern '{}' names the link {} -> {}", *link, *link, target);
      else
        f.reason += fmt::format(" (through the link {} -> {}, which package.patterns names)", *link,
                                target);
    }
    plan.files.push_back(std::move(f));  // std::map: sorted
  }
  for (const auto& [path, in] : ships) {
    if (!in || named.count(path)) continue;
    plan.warnings.push_back(fmt::format(
        "functions.{}: skipped {} -> {}: it points outside the service folder; add '{}' to "
        "package.patterns to ship it",
        function.key, path, links.at(path).target.string(), path));
  }
  return plan;
}

Artifact package_function(const manifest::Service& service, const manifest::Function& function) {
  return package_function(service, function, collect_service_files(service));
}

Artifact package_function(const manifest::Service& service, const manifest::Function& function,
                          const ServiceFiles& files) {
  if (!function.package_artifact.empty()) {
    fs::path zip_path = service.dir / function.package_artifact;
    if (!fs::is_regular_file(zip_path))
      throw Error(fmt::format("function '{}': package.artifact '{}' not found ({})", function.key,
                              function.package_artifact, zip_path.string()),
                  "build the zip first, or fix package.artifact in serverless.yaml");
    return inspect_zip(function.key, zip_path);
  }
  fs::path build = files.root / ".fx" / "build";
  fs::path zip_path = build / (function.key + ".zip");
  fs::path meta_path = build / (function.key + ".json");
  // Everything the plan depends on, so that an unchanged key means an unchanged zip.
  std::string inputs = util::sha256_hex(
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n", FX_VERSION, files.fingerprint,
                  function.runtime, function.handler, fmt::join(service.package_patterns, "\x1f"),
                  fmt::join(function.package_patterns, "\x1f"), service.custom_fx_json,
                  service.exclude_dev_dependencies, fmt::join(service.plugins, "\x1f"),
                  nlohmann::json(service.custom_build_json).dump()));
  std::error_code ec;
  if (fs::is_regular_file(zip_path, ec) && fs::is_regular_file(meta_path, ec)) {
    std::ifstream in(meta_path);
    auto meta = nlohmann::json::parse(in, nullptr, false);
    if (meta.is_object() && meta.value("inputs", "") == inputs &&
        meta.value("zip_bytes", std::uint64_t{0}) == fs::file_size(zip_path, ec)) {
      Artifact a;
      a.function = function.key;
      a.zip_path = zip_path;
      a.sha256_hex = meta.value("sha256", "");
      a.code_sha256 = meta.value("code_sha256", "");
      a.files_in = meta.value("files_in", std::uint64_t{0});
      a.files_out = meta.value("files_out", std::uint64_t{0});
      a.bytes_in = meta.value("bytes_in", std::uint64_t{0});
      a.bytes_out = meta.value("bytes_out", std::uint64_t{0});
      a.zip_bytes = meta.value("zip_bytes", std::uint64_t{0});
      a.notes = meta.value("notes", std::vector<std::string>{});
      a.warnings = meta.value("warnings", std::vector<std::string>{});
      a.runtime_packages = meta.value("runtime_packages", std::vector<std::string>{});
      a.cached = true;
      return a;
    }
  }
  auto plan = plan_bundle(service, function, files);
  auto settings = bundle_settings(service);
  if (bundler_of(function.runtime) == runtimes::Bundler::python_imports &&
      settings.bytecode.value_or(settings.minify)) {
    auto pycs = python_bytecode(plan, function.runtime, files.root / ".fx" / "pyc", plan.notes);
    plan.files.insert(plan.files.end(), pycs.begin(), pycs.end());
    std::sort(plan.files.begin(), plan.files.end(), [](const PlannedFile& a, const PlannedFile& b) {
      return a.archive_path < b.archive_path;
    });
  }
  auto artifact = write_zip(plan, zip_path);
  artifact.notes = plan.notes;
  artifact.warnings = plan.warnings;
  artifact.runtime_packages = plan.runtime_packages;
  nlohmann::json meta = {{"inputs", inputs},
                         {"sha256", artifact.sha256_hex},
                         {"code_sha256", artifact.code_sha256},
                         {"files_in", artifact.files_in},
                         {"files_out", artifact.files_out},
                         {"bytes_in", artifact.bytes_in},
                         {"bytes_out", artifact.bytes_out},
                         {"zip_bytes", artifact.zip_bytes},
                         {"notes", artifact.notes},
                         {"warnings", artifact.warnings},
                         {"runtime_packages", artifact.runtime_packages}};
  std::ofstream(meta_path.string() + ".tmp") << meta.dump() << "\n";
  fs::rename(meta_path.string() + ".tmp", meta_path, ec);
  return artifact;
}

Artifact package_layer(const manifest::Service& service, const manifest::Layer& layer) {
  fs::path root = canonical_root(service);
  std::error_code ec;
  fs::path dir = fs::canonical(root / layer.path, ec);
  if (ec || !fs::is_directory(dir))
    throw Error(
        fmt::format("layer '{}': folder {} not found", layer.key, (root / layer.path).string()),
        "fix layers." + layer.key + ".path in serverless.yaml");
  BundlePlan plan;
  plan.function = "layer " + layer.key;
  const std::string rel = dir.lexically_relative(root).generic_string();
  Collector walk(dir, "", {root, dir}, rel.starts_with("..") ? dir.string() : rel);
  plan.files = walk.run();
  std::sort(walk.outside.begin(), walk.outside.end(),
            [](const OutsideLink& a, const OutsideLink& b) { return a.path < b.path; });
  for (const auto& link : walk.outside) {
    plan.warnings.push_back(
        fmt::format("layers.{}: skipped {} -> {}: it points outside the service folder; copy "
                    "what it points at into the layer's folder to ship it",
                    layer.key, link.path, link.target.string()));
  }
  for (auto& f : plan.files) f.reason = "layer " + layer.key;
  std::sort(plan.files.begin(), plan.files.end(), [](const PlannedFile& a, const PlannedFile& b) {
    return a.archive_path < b.archive_path;
  });
  plan.files_in = plan.files.size();
  for (const auto& f : plan.files) plan.bytes_in += f.size;
  auto artifact = write_zip(plan, root / ".fx" / "build" / ("layer-" + layer.key + ".zip"));
  artifact.warnings = std::move(plan.warnings);
  return artifact;
}

PackageResult package_functions(const manifest::Service& service,
                                const std::vector<const manifest::Function*>& functions) {
  PackageResult result;
  auto python = std::find_if(functions.begin(), functions.end(), [](const manifest::Function* f) {
    return bundler_of(f->runtime) == runtimes::Bundler::python_imports;
  });
  if (python != functions.end())
    result.warnings = install_python_requirements(service, (*python)->runtime);
  auto files = collect_service_files(service);
  std::vector<std::future<Artifact>> jobs;
  // One thread per core: packaging is reading, hashing and deflating.
  std::size_t width = std::max(1u, std::thread::hardware_concurrency());
  auto& out = result.artifacts;
  for (std::size_t i = 0; i < functions.size(); ++i) {
    jobs.push_back(std::async(std::launch::async,
                              [&, i] { return package_function(service, *functions[i], files); }));
    if (jobs.size() >= width || i + 1 == functions.size()) {
      for (auto& j : jobs) out.push_back(j.get());
      jobs.clear();
    }
  }
  for (const auto& a : out)
    result.warnings.insert(result.warnings.end(), a.warnings.begin(), a.warnings.end());
  return result;
}

}  // namespace fx::bundle
