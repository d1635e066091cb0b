// Node.js import graph: Node's resolution algorithm run statically over the service folder,
// from the specifiers node_lexer.cpp finds.
//
// Locations are "logical" paths: '/'-separated, relative to the service root, as the bundle will
// hold them. The zip has no symlinks, so a linked package is bundled where the link is and Node
// in the bundle resolves from there; the resolver therefore walks logical paths and only
// maps them to disk (to_real) to look at files. pnpm's layout (a package's dependencies are
// siblings of its real directory, not reachable from the link) is the one case where that walk
// fails; such a dependency is placed in a nested node_modules under the package that needs it,
// which Node's walk-up then finds (a "mount": logical directory → real directory).
#include "core/bundle/node_resolver.h"
#include "core/util/text.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/bundle/node_lexer.h"
#include "core/runtimes/registry.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fx::bundle::node {

namespace fs = std::filesystem;

bool is_builtin(std::string_view specifier) {
  // require('module').builtinModules of Node 20 (a superset of 18's); node: reaches any.
  static constexpr std::string_view kBuiltins =
      " _http_agent _http_client _http_common _http_incoming _http_outgoing _http_server"
      " _stream_duplex _stream_passthrough _stream_readable _stream_transform _stream_wrap"
      " _stream_writable _tls_common _tls_wrap assert assert/strict async_hooks buffer"
      " child_process cluster console constants crypto dgram diagnostics_channel dns"
      " dns/promises domain events fs fs/promises http http2 https inspector"
      " inspector/promises module net os path path/posix path/win32 perf_hooks process"
      " punycode querystring readline readline/promises repl stream stream/consumers"
      " stream/promises stream/web string_decoder sys timers timers/promises tls"
      " trace_events tty url util util/types v8 vm wasi worker_threads zlib ";
  if (specifier.starts_with("node:")) return true;
  if (specifier.empty() || specifier.find(' ') != std::string_view::npos) return false;
  return kBuiltins.find(" " + std::string(specifier) + " ") != std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// Resolution
// ---------------------------------------------------------------------------------------------

namespace {

using Json = nlohmann::ordered_json;  // export maps are tried in key order

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

std::string dirname(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(p.substr(0, slash));
}

std::string_view basename(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// '/'-separated relative path with '.' and '..' folded; nullopt if it climbs above the root.
std::optional<std::string> normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto part = path.substr(i, j - i);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out;
  for (auto part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

// "node_modules/a/node_modules/@s/b/lib/x.js" → "@s/b/lib/x.js": how people name a file.
std::string display(std::string_view logical) {
  auto at = logical.rfind("node_modules/");
  if (at == std::string_view::npos || (at > 0 && logical[at - 1] != '/')) {
    return std::string(logical);
  }
  return std::string(logical.substr(at + 13));
}

// The package directory a logical path lies in ("node_modules/@s/b"), or "" for the user's code.
std::string package_dir_of(std::string_view logical) {
  size_t at = std::string_view::npos;
  for (size_t p = logical.find("node_modules/"); p != std::string_view::npos;
       p = logical.find("node_modules/", p + 1)) {
    if (p == 0 || logical[p - 1] == '/') at = p;
  }
  if (at == std::string_view::npos) return {};
  size_t name_start = at + 13;
  size_t end = logical.find('/', name_start);
  if (end != std::string_view::npos && logical[name_start] == '@') end = logical.find('/', end + 1);
  return std::string(logical.substr(0, end == std::string_view::npos ? logical.size() : end));
}

bool is_relative_specifier(std::string_view s) {
  return s == "." || s == ".." || s.starts_with("./") || s.starts_with("../") || s.starts_with("/");
}

bool is_script(std::string_view logical) {
  return !logical.ends_with(".json") && !logical.ends_with(".node");
}

bool is_js(std::string_view name) {
  return name.ends_with(".js") || name.ends_with(".mjs") || name.ends_with(".cjs");
}

bool is_require_kind(ImportRef::Kind k) {
  return k == ImportRef::Kind::require || k == ImportRef::Kind::require_resolve;
}

using util::ascii_lower;

// Directories a runtime never reads, dropped from whole-package and directory copies.
bool is_stripped_dir(std::string_view name) {
  static const std::unordered_set<std::string_view> dirs = {
      "test", "tests", "__tests__", "example", "examples", "docs", ".github"};
  return dirs.count(name) > 0;
}

// Files a runtime never reads: docs, licenses, source maps, TypeScript, tests, tool configs.
bool is_stripped_file(std::string_view name) {
  std::string n = ascii_lower(name);
  static const std::string_view suffixes[] = {".md",  ".markdown", ".map",     ".ts",     ".tsx",
                                              ".mts", ".cts",      ".test.js", ".spec.js"};
  for (auto s : suffixes) {
    if (n.ends_with(s)) return true;
  }
  static const std::string_view prefixes[] = {"license", "licence", "changelog", ".eslintrc"};
  for (auto p : prefixes) {
    if (n.starts_with(p)) return true;
  }
  return n == ".npmignore" || n == "tsconfig.json";
}

enum class FileType { none, file, dir };

struct PackageJson {
  bool present = false;
  bool valid = false;
  Json data;
};

// How a specifier resolved.
struct Resolved {
  enum class Status { file, builtin, provided, missing, not_exported, dev_only } status;
  std::string logical;      // the file, for Status::file
  std::string detail;       // why it did not resolve, for notes
  std::string alternative;  // what runtimes without the "module-sync" condition load instead

  static Resolved found(std::string logical) { return {Status::file, std::move(logical), {}, {}}; }
  static Resolved failed(Status status, std::string detail = {}) {
    return {status, {}, std::move(detail), {}};
  }
};

// The outcome of an export-map target: undefined (try the next), excluded (null), or a path.
struct Target {
  enum class State { undefined, excluded, path } state = State::undefined;
  std::string logical;
};

struct Visit {
  std::string logical;
  int parent;  // index into visits, -1 for the handler
};

class Follower {
 public:
  Follower(fs::path root, const Options& options) : root_(std::move(root)), options_(options) {
    root_prefix_ = root_.string() + "/";
    for (const auto& link : options_.allowed_links) {
      std::error_code ec;
      const fs::path real = root_ / link;
      if (!fs::is_symlink(fs::symlink_status(real, ec))) continue;
      fs::path target = fs::canonical(real, ec);
      if (ec) continue;
      allowed_links_.insert(link);
      allowed_targets_.push_back(std::move(target));
    }
    read_dev_only();
  }

  Graph run(const std::string& handler_module) {
    std::string handler = find_handler(handler_module);
    keep_reached(handler, "handler");
    add_visit(handler, -1);
    while (!queue_.empty()) {
      int index = queue_.front();
      queue_.pop_front();
      process(index);
    }
    if (!nested_.empty()) {
      note(
          fmt::format("pnpm layout: {} dependencies are not reachable from where their dependents "
                      "are linked, so they are bundled in nested node_modules (e.g. {})",
                      nested_.size(), nested_.front()));
    }
    Graph graph;
    for (auto& [path, file] : kept_) graph.files.push_back(std::move(file));
    graph.notes = std::move(notes_);
    graph.builtins_or_missing.assign(unresolved_.begin(), unresolved_.end());
    for (auto& [path, link] : skipped_) graph.skipped_links.push_back(std::move(link));
    return graph;
  }

 private:
  // --- files on disk ---

  fs::path to_real(const std::string& logical) const {
    if (!mounts_.empty()) {
      for (std::string prefix = logical;; prefix = dirname(prefix)) {
        auto it = mounts_.find(prefix);
        if (it != mounts_.end()) {
          return prefix.size() == logical.size() ? it->second
                                                 : it->second / logical.substr(prefix.size() + 1);
        }
        if (prefix.empty()) break;
      }
    }
    return logical.empty() ? root_ : root_ / logical;
  }

  FileType type_of(const std::string& logical) {
    fs::path real = to_real(logical);
    auto key = real.native();
    auto it = types_.find(key);
    if (it != types_.end()) return it->second;
    std::error_code ec;
    auto st = fs::status(real, ec);
    if (ec && ec.value() == ELOOP) throw loop_error(logical);
    FileType type = ec                        ? FileType::none
                    : fs::is_regular_file(st) ? FileType::file
                    : fs::is_directory(st)    ? FileType::dir
                                              : FileType::none;
    // What a link out of the root leads to is not there, as far as the bundle goes.
    if (type != FileType::none && skipped(logical)) type = FileType::none;
    types_.emplace(std::move(key), type);
    return type;
  }

  bool is_file(const std::string& logical) { return type_of(logical) == FileType::file; }
  bool is_dir(const std::string& logical) { return type_of(logical) == FileType::dir; }

  Error loop_error(const std::string& logical) const {
    return Error(
        fmt::format("symlink loop at {} (in {})", logical.empty() ? "." : logical, root_.string()),
        "remove or fix the link; a bundle can only hold files that exist");
  }

  // Whether a canonical path may go in a bundle: inside the root, or behind an allowed link.
  bool inside(const fs::path& canon) const {
    if (path_within(canon, root_)) return true;
    return std::any_of(allowed_targets_.begin(), allowed_targets_.end(),
                       [&](const fs::path& t) { return path_within(canon, t); });
  }

  // Whether `logical` leads out of the root through a link that is not allowed; the first such
  // link is recorded (once) for the bundle's warnings.
  bool skipped(const std::string& logical) {
    if (inside(canonical_of(logical))) return false;
    for (size_t i = 0; i <= logical.size();) {
      size_t j = logical.find('/', i);
      if (j == std::string::npos) j = logical.size();
      const std::string prefix = logical.substr(0, j);
      std::error_code ec;
      const fs::path real = to_real(prefix);
      const auto st = fs::symlink_status(real, ec);
      if (!ec && fs::is_symlink(st) && !allowed_links_.count(prefix) && !mounts_.count(prefix)) {
        fs::path target = fs::canonical(real, ec);
        if (!ec && !inside(target)) {
          if (!skipped_.count(prefix)) {
            skipped_.emplace(prefix, OutsideLink{prefix, target, fs::is_directory(target, ec)});
          }
          return true;
        }
      }
      i = j + 1;
    }
    return true;  // outside without a link of its own on the way (a mount): not followed either
  }

  // The canonical directory or file behind a logical path, checked to be inside the root.
  fs::path checked_canonical(const std::string& logical) {
    fs::path canon = canonical_of(logical);
    if (!inside(canon)) {
      throw Error(fmt::format("{} leads outside the service root {}: {} points to {}", logical,
                              root_.string(), escaping_link(logical), canon.string()),
                  "a bundle holds only files inside the service folder: copy the target in, or "
                  "install the package without linking (npm install --install-links)");
    }
    return canon;
  }

  // fs::canonical reads every component's link; real trees have a few links among thousands of
  // paths, so the canonical form of each directory is cached and only links are resolved.
  fs::path canonical_of(const std::string& logical) {
    if (logical.empty()) return root_;
    auto cached = canonicals_.find(logical);
    if (cached != canonicals_.end()) return cached->second;
    auto mount = mounts_.find(logical);
    fs::path canon;
    std::error_code ec;
    fs::path real = to_real(logical);
    if (mount != mounts_.end()) {
      canon = mount->second;
    } else if (fs::is_symlink(fs::symlink_status(real, ec))) {
      canon = fs::canonical(real, ec);
      if (ec) {
        if (ec.value() == ELOOP) throw loop_error(logical);
        throw Error(fmt::format("cannot follow the symlink {}: {}", real.string(), ec.message()),
                    "fix or remove the link");
      }
    } else {
      canon = canonical_of(dirname(logical)) / std::string(basename(logical));
    }
    canonicals_.emplace(logical, canon);
    return canon;
  }

  // The first symlink along a logical path whose target leaves the root (for the message).
  std::string escaping_link(const std::string& logical) const {
    std::string prefix;
    size_t i = 0;
    while (i <= logical.size()) {
      size_t j = logical.find('/', i);
      if (j == std::string::npos) j = logical.size();
      prefix = join(prefix, std::string_view(logical).substr(i, j - i));
      std::error_code ec;
      fs::path real = to_real(prefix);
      if (fs::is_symlink(fs::symlink_status(real, ec))) {
        fs::path canon = fs::weakly_canonical(real, ec);
        if (!canon.native().starts_with(root_prefix_)) return "symlink " + prefix;
      }
      i = j + 1;
    }
    return "it";
  }

  const PackageJson& package_json(const std::string& dir_logical) {
    fs::path real = to_real(join(dir_logical, "package.json"));
    auto it = package_jsons_.find(real.native());
    if (it != package_jsons_.end()) return it->second;
    PackageJson pj;
    if (is_file(join(dir_logical, "package.json"))) {
      pj.present = true;
      pj.data = Json::parse(util::read_file(real), nullptr, false);
      pj.valid = pj.data.is_object();
      if (!pj.valid) {
        note(fmt::format("cannot parse {}; resolving as if it had no package.json",
                         join(dir_logical, "package.json")));
      }
    }
    return package_jsons_.emplace(real.native(), std::move(pj)).first->second;
  }

  // The directory of the package.json that governs a file (Node's package scope), if any.
  std::optional<std::string> package_scope(const std::string& file_logical) {
    std::string dir = dirname(file_logical);
    auto cached = scopes_.find(dir);
    if (cached != scopes_.end()) return cached->second;
    std::optional<std::string> scope;
    for (std::string d = dir;; d = dirname(d)) {
      if (basename(d) == "node_modules") break;
      if (package_json(d).present) {
        scope = d;
        break;
      }
      if (d.empty()) break;
    }
    scopes_.emplace(dir, scope);
    return scope;
  }

  void read_dev_only() {
    const auto& pj = package_json("");
    if (!pj.valid) return;
    auto names = [&](const char* field) {
      std::set<std::string> out;
      auto it = pj.data.find(field);
      if (it != pj.data.end() && it->is_object()) {
        for (auto& [k, v] : it->items()) out.insert(k);
      }
      return out;
    };
    auto prod = names("dependencies");
    for (auto field : {"optionalDependencies", "peerDependencies"}) prod.merge(names(field));
    for (const auto& name : names("devDependencies")) {
      if (!prod.count(name)) dev_only_.insert(name);
    }
  }

  // --- handler ---

  std::string find_handler(const std::string& module) {
    auto base = normalize(module);
    if (!base || base->empty()) {
      throw Error(fmt::format("handler module '{}' is not a path inside the service root {}",
                              module, root_.string()),
                  "a handler is 'path/to/file.function', relative to the service folder");
    }
    std::vector<std::string> tried;
    if (is_js(*base)) tried.push_back(*base);
    for (auto ext : {".js", ".mjs", ".cjs"}) tried.push_back(*base + ext);
    tried.push_back(*base + "/index.js");
    for (const auto& candidate : tried) {
      if (is_file(candidate)) return candidate;
    }
    std::string list;
    for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
    throw Error(fmt::format("handler file for '{}' not found in {}; tried {}", module,
                            root_.string(), list),
                fmt::format("a handler 'path/file.function' needs path/file.js (or .mjs, .cjs); "
                            "check the function's handler in serverless.yaml"));
  }

  // --- resolution ---

  std::optional<std::string> load_as_file(const std::string& logical) {
    if (!logical.empty() && is_file(logical)) return logical;
    for (auto ext : {".js", ".mjs", ".cjs", ".json", ".node"}) {
      std::string candidate = logical + ext;
      if (is_file(candidate)) return candidate;
    }
    return std::nullopt;
  }

  std::optional<std::string> load_index(const std::string& dir) {
    for (auto name : {"index.js", "index.mjs", "index.cjs", "index.json", "index.node"}) {
      std::string candidate = join(dir, name);
      if (is_file(candidate)) return candidate;
    }
    return std::nullopt;
  }

  std::optional<std::string> load_as_directory(const std::string& dir) {
    if (!is_dir(dir)) return std::nullopt;
    const auto& pj = package_json(dir);
    if (pj.valid) {
      auto main = pj.data.find("main");
      if (main != pj.data.end() && main->is_string() && !main->get<std::string>().empty()) {
        if (auto m = normalize(join(dir, main->get<std::string>()))) {
          auto found = load_as_file(*m);
          if (!found) found = load_index(*m);
          if (found) {
            used_package_jsons_.push_back(join(dir, "package.json"));
            return found;
          }
        }
      }
    }
    return load_index(dir);
  }

  bool condition_active(const std::string& name, bool require_kind) {
    if (name == "default") return true;
    if (name == (require_kind ? "import" : "require")) return false;
    if (name == "module-sync") {
      if (without_module_sync_) return false;
      saw_module_sync_ = true;
    }
    return std::find(options_.conditions.begin(), options_.conditions.end(), name) !=
           options_.conditions.end();
  }

  // PACKAGE_TARGET_RESOLVE: a string, array or condition object from exports/imports.
  Target resolve_target(const Json& target, const std::optional<std::string>& pattern_match,
                        const std::string& pkg_dir, bool imports_field, bool require_kind) {
    if (target.is_string()) {
      std::string t = target.get<std::string>();
      if (pattern_match) {
        for (size_t at = t.find('*'); at != std::string::npos;
             at = t.find('*', at + pattern_match->size())) {
          t.replace(at, 1, *pattern_match);
        }
      }
      if (!t.starts_with("./")) {
        // Only the imports field may map to another package ("#dep": "some-package").
        if (!imports_field || is_relative_specifier(t)) return {};
        Resolved r = resolve_bare(t, require_kind, join(pkg_dir, "package.json"));
        if (r.status != Resolved::Status::file) return {};
        return {Target::State::path, r.logical};
      }
      auto path = normalize(join(pkg_dir, t.substr(2)));
      bool inside =
          path && (pkg_dir.empty() || *path == pkg_dir || path->starts_with(pkg_dir + "/"));
      if (!inside) return {};
      return {Target::State::path, *path};
    }
    if (target.is_array()) {
      // Node takes the first valid target; a missing file is skipped here so that a fallback
      // list (["./a.js", "./b.js"]) keeps what exists.
      for (const auto& t : target) {
        Target r = resolve_target(t, pattern_match, pkg_dir, imports_field, require_kind);
        if (r.state == Target::State::path && is_file(r.logical)) return r;
      }
      return {};
    }
    if (target.is_object()) {
      for (const auto& [key, value] : target.items()) {
        if (!condition_active(key, require_kind)) continue;
        Target r = resolve_target(value, pattern_match, pkg_dir, imports_field, require_kind);
        if (r.state != Target::State::undefined) return r;
      }
      return {};
    }
    if (target.is_null()) return {Target::State::excluded, {}};
    return {};
  }

  // PACKAGE_IMPORTS_EXPORTS_RESOLVE: `key` ("./sub" or "#x") in a map with '*' patterns.
  Target resolve_in_map(const std::string& key, const Json& map, const std::string& pkg_dir,
                        bool imports_field, bool require_kind) {
    auto exact = map.find(key);
    if (exact != map.end() && key.find('*') == std::string::npos) {
      return resolve_target(*exact, std::nullopt, pkg_dir, imports_field, require_kind);
    }
    // The best pattern has the longest part before '*', then the longest key.
    const Json* best = nullptr;
    std::string best_key, best_match;
    for (const auto& [k, value] : map.items()) {
      auto star = k.find('*');
      if (star == std::string::npos || k.find('*', star + 1) != std::string::npos) continue;
      std::string_view prefix = std::string_view(k).substr(0, star);
      std::string_view suffix = std::string_view(k).substr(star + 1);
      if (!key.starts_with(prefix) || key == prefix || key.size() < k.size() - 1 ||
          !key.ends_with(suffix)) {
        continue;
      }
      size_t best_star = best ? best_key.find('*') : 0;
      if (!best || star > best_star || (star == best_star && k.size() > best_key.size())) {
        best = &value;
        best_key = k;
        best_match = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
      }
    }
    if (!best) return {};
    return resolve_target(*best, best_match, pkg_dir, imports_field, require_kind);
  }

  // PACKAGE_EXPORTS_RESOLVE. `subpath` is "." or "./x".
  Target resolve_exports(const std::string& pkg_dir, const std::string& subpath,
                         const Json& exports, bool require_kind) {
    bool has_dot_keys = false, has_other_keys = false;
    if (exports.is_object()) {
      for (const auto& [k, v] : exports.items())
        (k.starts_with('.') ? has_dot_keys : has_other_keys) = true;
    }
    if (has_dot_keys && has_other_keys) return {};  // invalid package configuration
    if (!has_dot_keys) {
      // A string, array or condition object is the "." export.
      if (subpath != ".") return {};
      return resolve_target(exports, std::nullopt, pkg_dir, false, require_kind);
    }
    return resolve_in_map(subpath, exports, pkg_dir, false, require_kind);
  }

  // Resolves `name` + `subpath` in the package at pkg_dir, which exists. nullopt means "try the
  // next node_modules up" (only possible without exports).
  std::optional<Resolved> resolve_in_package(const std::string& pkg_dir, const std::string& subpath,
                                             bool require_kind) {
    const auto& pj = package_json(pkg_dir);
    if (pj.valid) {
      auto exports = pj.data.find("exports");
      if (exports != pj.data.end() && !exports->is_null()) {
        used_package_jsons_.push_back(join(pkg_dir, "package.json"));
        Target t = resolve_exports(pkg_dir, subpath, *exports, require_kind);
        if (t.state == Target::State::path && is_file(t.logical)) {
          return Resolved::found(t.logical);
        }
        std::string why =
            t.state == Target::State::path
                ? fmt::format("its exports map '{}' to {}, which does not exist", subpath,
                              display(t.logical))
                : fmt::format("'{}' is not exported for {} by {}/package.json", subpath,
                              require_kind ? "require" : "import", display(pkg_dir));
        return Resolved::failed(Resolved::Status::not_exported, why);
      }
    }
    std::string target = subpath == "." ? pkg_dir : join(pkg_dir, subpath.substr(2));
    auto found = load_as_file(target);
    if (!found) found = load_as_directory(target);
    if (!found) return std::nullopt;
    if (pj.present) used_package_jsons_.push_back(join(pkg_dir, "package.json"));
    return Resolved::found(*found);
  }

  Resolved resolve_bare(const std::string& spec, bool require_kind, const std::string& from) {
    // Package name: first segment, or two for @scope/name; the rest is the subpath.
    size_t end = spec.find('/');
    if (spec.starts_with('@')) end = end == std::string::npos ? end : spec.find('/', end + 1);
    std::string name = spec.substr(0, end);
    std::string subpath = end == std::string::npos ? "." : "./" + spec.substr(end + 1);
    if (name.empty() || (spec.starts_with('@') && name.find('/') == std::string::npos)) {
      return Resolved::failed(Resolved::Status::missing, "not a valid package name");
    }

    // A package may import itself by name through its own exports.
    if (auto scope = package_scope(from)) {
      const auto& pj = package_json(*scope);
      if (pj.valid && pj.data.value("name", Json()) == name && pj.data.contains("exports")) {
        if (auto r = resolve_in_package(*scope, subpath, require_kind)) return *r;
      }
    }

    if (options_.exclude_dev_dependencies && package_dir_of(from).empty() &&
        dev_only_.count(name)) {
      return Resolved::failed(Resolved::Status::dev_only);
    }

    for (std::string dir = dirname(from);; dir = dirname(dir)) {
      if (basename(dir) != "node_modules") {
        std::string pkg_dir = join(dir, "node_modules/" + name);
        if (is_dir(pkg_dir)) {
          if (auto r = resolve_in_package(pkg_dir, subpath, require_kind)) return *r;
        } else if (subpath == ".") {
          if (auto f = load_as_file(pkg_dir)) return Resolved::found(*f);
        }
      }
      if (dir.empty()) break;
    }

    if (auto r = resolve_beside_real_path(name, subpath, require_kind, from)) return *r;

    if (runtimes::provides_module(options_.runtime, name)) {
      return Resolved::failed(Resolved::Status::provided);
    }
    return Resolved::failed(Resolved::Status::missing);
  }

  // pnpm: a linked package's dependencies sit beside its real directory. Found there, the
  // dependency is mounted in a node_modules under the importing package, where Node's walk-up
  // from the bundled location finds it.
  std::optional<Resolved> resolve_beside_real_path(const std::string& name,
                                                   const std::string& subpath, bool require_kind,
                                                   const std::string& from) {
    std::error_code ec;
    std::string from_dir = dirname(from);
    fs::path real_dir = fs::canonical(to_real(from_dir), ec);
    // Without a link or mount on the way, the walk-up already saw everything.
    if (ec || real_dir == (from_dir.empty() ? root_ : root_ / from_dir)) return std::nullopt;
    for (fs::path d = real_dir; d.native().starts_with(root_prefix_) || d == root_;
         d = d.parent_path()) {
      if (d.filename() != "node_modules") {
        fs::path candidate = d / "node_modules" / name;
        if (fs::is_directory(candidate, ec)) {
          std::string owner = package_dir_of(from);
          std::string mount = join(owner, "node_modules/" + name);
          fs::path canon = fs::canonical(candidate, ec);
          if (ec) return std::nullopt;
          mounts_[mount] = canon;
          nested_.push_back(mount);
          return resolve_in_package(mount, subpath, require_kind);
        }
      }
      if (d == root_) break;
    }
    return std::nullopt;
  }

  Resolved resolve(const std::string& spec, ImportRef::Kind kind, const std::string& from) {
    bool require_kind = is_require_kind(kind);
    std::string key = dirname(from) + '\n' + spec + (require_kind ? "\nr" : "\ni");
    // Self-references and imports fields depend on the package scope, which is per directory,
    // so a cache per (directory, specifier, kind) is exact.
    auto cached = resolve_cache_.find(key);
    if (cached != resolve_cache_.end()) {
      if (cached->second.first.status == Resolved::Status::file) {
        for (const auto& pj : cached->second.second) keep_package_json(pj);
      }
      return cached->second.first;
    }
    used_package_jsons_.clear();
    saw_module_sync_ = false;
    Resolved r = resolve_uncached(spec, require_kind, from);
    if (saw_module_sync_) {
      // Node 20.19+ and 22.12+ match "module-sync"; older runtimes of the same Lambda family do
      // not, so the bundle keeps what either would load.
      without_module_sync_ = true;
      Resolved older = resolve_uncached(spec, require_kind, from);
      without_module_sync_ = false;
      if (r.status != Resolved::Status::file) {
        r = older;
      } else if (older.status == Resolved::Status::file && older.logical != r.logical) {
        r.alternative = older.logical;
      }
    }
    resolve_cache_.emplace(key, std::make_pair(r, used_package_jsons_));
    if (r.status == Resolved::Status::file) {
      for (const auto& pj : used_package_jsons_) keep_package_json(pj);
    }
    return r;
  }

  Resolved resolve_uncached(const std::string& spec, bool require_kind, const std::string& from) {
    if (spec.empty()) return Resolved::failed(Resolved::Status::missing, "empty specifier");
    if (is_builtin(spec)) return Resolved::failed(Resolved::Status::builtin);
    if (is_relative_specifier(spec)) {
      std::optional<std::string> target;
      if (spec.starts_with('/')) {
        fs::path abs = fs::path(spec).lexically_normal();
        if (abs.native().starts_with(root_prefix_))
          target = abs.native().substr(root_prefix_.size());
      } else {
        target = normalize(join(dirname(from), spec));
      }
      if (!target)
        return Resolved::failed(Resolved::Status::missing, "it is outside the service root");
      std::optional<std::string> found;
      if (!spec.ends_with('/')) found = load_as_file(*target);
      if (!found) found = load_as_directory(*target);
      if (!found) return Resolved::failed(Resolved::Status::missing);
      return Resolved::found(*found);
    }
    if (spec.starts_with('#')) {
      auto scope = package_scope(from);
      if (scope) {
        const auto& pj = package_json(*scope);
        auto imports = pj.valid ? pj.data.find("imports") : pj.data.end();
        if (pj.valid && imports != pj.data.end() && imports->is_object()) {
          used_package_jsons_.push_back(join(*scope, "package.json"));
          Target t = resolve_in_map(spec, *imports, *scope, true, require_kind);
          if (t.state == Target::State::path && is_file(t.logical)) {
            return Resolved::found(t.logical);
          }
        }
      }
      return Resolved::failed(Resolved::Status::missing, "not in the package.json imports field");
    }
    return resolve_bare(spec, require_kind, from);
  }

  // --- keeping files ---

  void note(std::string text) {
    if (note_set_.insert(text).second) notes_.push_back(std::move(text));
  }

  bool keep(const std::string& logical, const std::string& reason) {
    if (kept_.count(logical) || skipped(logical)) return false;
    checked_canonical(logical);
    kept_.emplace(logical, KeptFile{to_real(logical), logical, reason});
    return true;
  }

  void keep_package_json(const std::string& logical) {
    if (kept_.count(logical)) return;
    std::string dir = dirname(logical);
    keep(logical, dir.empty() ? "package.json of the service" : "package.json of " + display(dir));
  }

  // Keeps a reached file and the package.json that governs it.
  void keep_reached(const std::string& logical, const std::string& reason) {
    keep(logical, reason);
    if (auto scope = package_scope(logical)) keep_package_json(join(*scope, "package.json"));
  }

  void add_visit(const std::string& logical, int parent) {
    if (visit_index_.count(logical)) return;
    int index = static_cast<int>(visits_.size());
    visits_.push_back({logical, parent});
    visit_index_.emplace(logical, index);
    if (is_script(logical)) queue_.push_back(index);
  }

  // "import chain: handler.js → lib/db.js → pg" for a file reached from visit `parent`.
  std::string chain(int parent, const std::string& last) const {
    std::vector<std::string> parts = {last};
    for (int v = parent; v >= 0; v = visits_[v].parent)
      parts.push_back(display(visits_[v].logical));
    std::reverse(parts.begin(), parts.end());
    if (parts.size() > 6) {
      parts.erase(parts.begin() + 2, parts.end() - 3);
      parts.insert(parts.begin() + 2, "…");
    }
    std::string out = "import chain: ";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? " → " : "") + parts[i];
    return out;
  }

  // Keeps every file under dir (recursively, minus the strip list and nested node_modules),
  // and follows the imports of its scripts.
  void keep_tree(const std::string& dir, const std::string& reason, int parent,
                 std::vector<fs::path>& ancestors) {
    if (skipped(dir)) return;
    fs::path canon = checked_canonical(dir);
    if (std::find(ancestors.begin(), ancestors.end(), canon) != ancestors.end()) {
      throw loop_error(dir);
    }
    ancestors.push_back(canon);
    std::vector<std::pair<std::string, bool>> entries;  // name, is directory
    std::error_code ec;
    for (fs::directory_iterator it(to_real(dir), ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::error_code sec;
      bool directory = it->is_directory(sec);
      if (!directory && !it->is_regular_file(sec)) continue;
      entries.emplace_back(std::move(name), directory);
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, directory] : entries) {
      std::string logical = join(dir, name);
      if (directory) {
        if (name != "node_modules" && !is_stripped_dir(name)) {
          keep_tree(logical, reason, parent, ancestors);
        }
      } else if (!is_stripped_file(name)) {
        keep(logical, reason);
        if (is_js(name)) add_visit(logical, parent);
      }
    }
    ancestors.pop_back();
  }

  // Native addons: the files beside a package's build/Release/*.node (shared libraries they
  // link), and node-gyp-build's prebuilds/.
  void keep_native(const std::string& pkg_dir, const std::string& why) {
    if (!native_done_.insert(pkg_dir).second) return;
    std::string release = join(pkg_dir, "build/Release");
    if (is_dir(release)) {
      std::error_code ec;
      std::vector<std::string> names;
      for (fs::directory_iterator it(to_real(release), ec), end; !ec && it != end;
           it.increment(ec)) {
        std::error_code sec;
        if (it->is_regular_file(sec)) names.push_back(it->path().filename().string());
      }
      std::sort(names.begin(), names.end());
      for (const auto& n : names) keep(join(release, n), why);
    }
    std::string prebuilds = join(pkg_dir, "prebuilds");
    if (is_dir(prebuilds)) {
      std::vector<fs::path> ancestors;
      keep_tree(prebuilds, why, -1, ancestors);
    }
  }

  void computed(int index, const DynamicRef& ref) {
    const std::string& file = visits_[index].logical;
    std::string where = fmt::format("{}:{}", display(file), ref.line);
    std::string pkg = package_dir_of(file);
    if (pkg.empty()) {
      note(
          fmt::format("computed require in {} (`{}`): the files it loads cannot be found "
                      "statically; add them with package.patterns",
                      where, ref.text));
      return;
    }
    // A literal directory prefix ('./locale/' + name) bounds what the call can load.
    if (ref.prefix.starts_with("./") || ref.prefix.starts_with("../")) {
      std::string prefix_dir = ref.prefix.ends_with('/') ? ref.prefix : dirname(ref.prefix);
      auto dir = normalize(join(dirname(file), prefix_dir));
      if (dir && dir->starts_with(pkg + "/") && is_dir(*dir)) {
        if (!whole_done_.count(pkg) && tree_done_.insert(*dir).second) {
          note(fmt::format("computed require in {} (`{}`) keeps {}/", where, ref.text,
                           display(*dir)));
          std::vector<fs::path> ancestors;
          keep_tree(*dir,
                    fmt::format("files under {}/ (computed require in {})", display(*dir), where),
                    index, ancestors);
        }
        return;
      }
    }
    if (!whole_done_.insert(pkg).second) return;
    note(fmt::format("computed require in {} (`{}`) keeps the whole package '{}'", where, ref.text,
                     display(pkg)));
    std::vector<fs::path> ancestors;
    keep_tree(pkg, fmt::format("whole package {} (computed require in {})", display(pkg), where),
              index, ancestors);
  }

  const ScanResult& scanned(const std::string& logical) {
    fs::path real = to_real(logical);
    auto it = scans_.find(real.native());
    if (it != scans_.end()) return it->second;
    return scans_.emplace(real.native(), scan(util::read_file(real))).first->second;
  }

  void reached(int index, const std::string& specifier, const std::string& logical) {
    if (!kept_.count(logical)) keep_reached(logical, chain(index, specifier));
    if (logical.ends_with(".node")) {
      std::string pkg = package_dir_of(logical);
      keep_native(pkg, fmt::format("native addon of {}", display(pkg)));
    }
    add_visit(logical, index);
  }

  void process(int index) {
    std::string file = visits_[index].logical;
    const ScanResult& result = scanned(file);
    for (const auto& ref : result.imports) {
      Resolved r = resolve(ref.specifier, ref.kind, file);
      auto where = [&] { return fmt::format("{}:{}", display(file), ref.line); };
      switch (r.status) {
        case Resolved::Status::file:
          reached(index, ref.specifier, r.logical);
          if (!r.alternative.empty()) reached(index, ref.specifier, r.alternative);
          break;
        case Resolved::Status::builtin:
        case Resolved::Status::provided:
          unresolved_.insert(ref.specifier);
          break;
        case Resolved::Status::missing:
          if (is_relative_specifier(ref.specifier) || ref.specifier.starts_with('#')) {
            note(fmt::format("cannot resolve '{}' from {}{}", ref.specifier, where(),
                             r.detail.empty() ? "" : ": " + r.detail));
          } else {
            unresolved_.insert(ref.specifier);
            if (ref.specifier == "aws-sdk") {
              note(
                  fmt::format("'aws-sdk' (v2), required from {}, is not in node_modules; Lambda "
                              "provides it only on nodejs16.x and older",
                              where()));
            } else {
              note(fmt::format(
                  "cannot resolve '{}' from {}: not a builtin and not in "
                  "node_modules{}",
                  ref.specifier, where(), r.detail.empty() ? "" : " (" + r.detail + ")"));
            }
          }
          break;
        case Resolved::Status::not_exported:
          note(fmt::format("cannot resolve '{}' from {}: {}", ref.specifier, where(), r.detail));
          break;
        case Resolved::Status::dev_only:
          note(fmt::format("'{}' (required from {}) is only in devDependencies; not bundled",
                           ref.specifier, where()));
          break;
      }
      if (ref.specifier == "bindings" || ref.specifier == "node-gyp-build") {
        std::string pkg = package_dir_of(file);
        keep_native(pkg, fmt::format("native addon of {} (loaded through {})",
                                     pkg.empty() ? "the service" : display(pkg), ref.specifier));
      }
    }
    for (const auto& ref : result.dynamic) computed(index, ref);
  }

  fs::path root_;
  std::string root_prefix_;  // root_ + "/"
  const Options& options_;
  std::set<std::string> dev_only_;

  std::unordered_map<std::string, FileType> types_;                     // by real path
  std::unordered_map<std::string, PackageJson> package_jsons_;          // by real path
  std::unordered_map<std::string, std::optional<std::string>> scopes_;  // by logical dir
  std::unordered_map<std::string, ScanResult> scans_;                   // by real path
  std::unordered_map<std::string, fs::path> canonicals_;                // by logical path
  std::set<std::string> allowed_links_;         // links out of the root that may be followed
  std::vector<fs::path> allowed_targets_;       // where they lead
  std::map<std::string, OutsideLink> skipped_;  // links not followed, by path
  std::unordered_map<std::string, std::pair<Resolved, std::vector<std::string>>> resolve_cache_;
  std::map<std::string, fs::path> mounts_;       // logical dir → real dir (pnpm dependencies)
  std::vector<std::string> nested_;              // mounts, in the order they were made
  std::vector<std::string> used_package_jsons_;  // read while resolving the current specifier
  bool saw_module_sync_ = false;                 // the current resolution met "module-sync"
  bool without_module_sync_ = false;             // resolving as a runtime without it

  std::vector<Visit> visits_;
  std::unordered_map<std::string, int> visit_index_;
  std::deque<int> queue_;
  std::map<std::string, KeptFile> kept_;
  std::set<std::string> whole_done_, tree_done_, native_done_;
  std::vector<std::string> notes_;
  std::unordered_set<std::string> note_set_;
  std::set<std::string> unresolved_;
};

}  // namespace

Graph follow(const fs::path& service_root, const std::string& handler_module_path,
             const Options& options) {
  std::error_code ec;
  fs::path root = fs::canonical(service_root, ec);
  if (ec || !fs::is_directory(root, ec)) {
    throw Error(fmt::format("service folder {} not found", service_root.string()),
                "run fx from the service folder or pass the right path");
  }
  return Follower(root, options).run(handler_module_path);
}

}  // namespace fx::bundle::node
