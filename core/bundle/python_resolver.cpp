// Following a Python handler's imports through the search roots, without Python.
//
// The resolver mirrors importlib's PathFinder/FileFinder over cached directory listings: for
// each name the first root (or parent __path__ entry) holding a package, extension module or
// source file wins, and directories without __init__ only become a namespace package when no
// root has anything better. Everything reached is kept together with the data files of its
// package folders, and the dist-info metadata importlib.metadata reads for it.
//
// Some imports leave no import statement. Lazy loaders name their target in a string
// (boto3 registers 'boto3.s3.inject.inject_s3_transfer_methods'), so strings shaped like a
// module path below a package in the roots are followed too. Native code imports from C:
// cffi's modules load _cffi_backend (kept when a reached distribution requires cffi), and
// mypyc's runtime library sits at the top level (kept when a reached wheel's RECORD lists it).
// Checked against CPython: bundles of boto3, requests, flask, pydantic and others import with
// site-packages switched off.
#include "core/bundle/python_resolver.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/bundle/python_lexer.h"
#include "core/util/error.h"

namespace fx::bundle::python {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t npos = std::string_view::npos;

// A character of a distribution's name in Requires-Dist, read as the scanner reads identifiers
// (bytes >= 0x80 count, as parts of UTF-8 letters).
constexpr bool is_ident_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 ||
         (c >= '0' && c <= '9');
}

// ---------------------------------------------------------------------------------------------
// File system: cached listings

// `outside`: a symlink out of every root that no package.patterns line names; never followed.
enum class EntryType : std::uint8_t { file, dir, other, loop, outside };

struct Entry {
  std::string name;
  EntryType type = EntryType::other;
  bool symlink = false;
  std::string target;  // where an `outside` link leads
};

bool ends_with_native(std::string_view name) {
  return name.ends_with(".so") || name.ends_with(".pyd");
}

// One directory as seen from a root. Symlinked directories are listed where the link is, so
// archive paths stay those of the link; `real` is where they lead.
struct Listing {
  std::string dir;  // absolute; strings, not fs::path, as paths here are only ever joined
  std::string real;
  std::string rel;  // '/'-separated path from the root, "" for the root itself
  int root = 0;
  std::string problem;  // set when reaching this folder crossed a bad symlink; using it throws
  std::vector<Entry> entries;  // sorted by name
  bool has_init = false;       // __init__.py (or a compiled __init__): a regular package
  bool has_py = false;         // any .py file directly inside

  const Entry* find(std::string_view name) const {
    auto it = std::lower_bound(entries.begin(), entries.end(), name,
                               [](const Entry& e, std::string_view n) { return e.name < n; });
    return it != entries.end() && it->name == name ? &*it : nullptr;
  }

  std::string archive(std::string_view name) const { return join(rel, name); }
  std::string path(std::string_view name) const { return join(dir, name); }

  static std::string join(const std::string& dir, std::string_view name) {
    std::string out;
    out.reserve(dir.size() + name.size() + 1);
    out += dir;
    if (!out.empty() && out.back() != '/') out += '/';
    out += name;
    return out;
  }
};

void read_listing(Listing& l) {
  DIR* d = opendir(l.dir.c_str());
  if (!d) return;
  while (dirent* de = readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    Entry e;
    e.name = name;
    unsigned char type = de->d_type;
    struct stat st;
    std::string path;
    if (type == DT_UNKNOWN || type == DT_LNK) {
      path = l.path(e.name);
      if (lstat(path.c_str(), &st) != 0) continue;
      e.symlink = S_ISLNK(st.st_mode);
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (e.symlink) {
      if (stat(path.c_str(), &st) != 0) {
        if (errno != ELOOP) continue;  // a dangling link has nothing to package
        e.type = EntryType::loop;
      } else {
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
    }
    if (e.type != EntryType::loop)
      e.type = type == DT_DIR   ? EntryType::dir
               : type == DT_REG ? EntryType::file
                                : EntryType::other;
    if (e.type == EntryType::file) {
      if (name.ends_with(".py")) l.has_py = true;
      if (name == "__init__.py" || (name.starts_with("__init__.") && ends_with_native(name)))
        l.has_init = true;
    }
    l.entries.push_back(std::move(e));
  }
  closedir(d);
  std::sort(l.entries.begin(), l.entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
}

bool is_within(const std::string& path, const std::string& root) {
  return path.starts_with(root) &&
         (path.size() == root.size() || path[root.size()] == '/' || root.ends_with('/'));
}

// Never source for a bundle: the runtime reads none of them (fx compiles bytecode itself).
bool is_data_file(std::string_view name) {
  static constexpr std::string_view kStripped[] = {".py",  ".pyc", ".pyo", ".pyi", ".c",  ".h",
                                                   ".cpp", ".cc",  ".cxx", ".hpp", ".hh", ".pyx",
                                                   ".pxd", ".pxi", ".md",  ".rst"};
  for (std::string_view suffix : kStripped)
    if (name.ends_with(suffix)) return false;
  return name != "py.typed" && name != ".DS_Store" && name != ".gitignore";
}

// Folders never packaged as data; tests and docs only in dependencies, where nobody asked for
// them (a test module the graph reaches is kept as a module all the same).
bool is_data_dir(std::string_view name, bool dependency) {
  if (name == "__pycache__" || name.starts_with('.') || name.ends_with(".dist-info") ||
      name.ends_with(".egg-info"))
    return false;
  return !dependency || (name != "tests" && name != "test" && name != "docs");
}

// Distribution names compare as PEP 503 says: case-insensitive, runs of -_. equal.
std::string normalize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '_') out += '_';
    } else {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  }
  return out;
}

std::optional<std::string> read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string out;
  char buf[65536];
  std::size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, got);
  bool ok = !std::ferror(f);
  std::fclose(f);
  if (!ok) return std::nullopt;
  return out;
}

template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty()) f(line);
    if (nl == npos) break;
    text.remove_prefix(nl + 1);
  }
}

// Whether a METADATA file declares `Requires-Dist: <project>` (any version or marker). Only
// the header counts: the description after the first blank line is free text.
bool requires_dist(std::string_view metadata, std::string_view project) {
  metadata = metadata.substr(0, std::min(metadata.find("\n\n"), metadata.find("\r\n\r\n")));
  bool found = false;
  for_each_line(metadata, [&](std::string_view line) {
    constexpr std::string_view kKey = "Requires-Dist:";
    if (found || !line.starts_with(kKey)) return;
    line.remove_prefix(kKey.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    std::size_t end = 0;
    while (end < line.size() && (is_ident_char(line[end]) || line[end] == '-' || line[end] == '.'))
      ++end;
    found = normalize_name(line.substr(0, end)) == project;
  });
  return found;
}

constexpr const char* kLinkHint =
    "remove the link, or copy what it points at into the service folder";

// ---------------------------------------------------------------------------------------------
// Resolver

enum class ModKind : std::uint8_t { source, package, namespace_package, extension };

enum class Via : std::uint8_t { import_statement, string, native_code };

struct Module {
  std::string name;
  ModKind kind = ModKind::source;
  Listing* home = nullptr;     // the folder holding the module's file
  std::string file;            // its name there; empty for a namespace package
  std::vector<Listing*> path;  // a package's __path__
  int from = -1;               // the module whose import loaded this one; -1: the handler
  bool loaded = false;
  bool named = false;               // imported by its own name, not only as someone's parent
  Via via = Via::import_statement;  // how it was first reached
  std::vector<ImportRef> imports;
  std::vector<DynamicImport> dynamic;
  std::vector<std::string> all_names;
  std::vector<NameInString> strings;
};

// Why a file is kept, strongest first: a file both imported and lying in a package folder is
// reported as imported.
enum class Why : std::uint8_t { module, package_data, native_libs, metadata };

struct Keep {
  std::string source;
  int root = 0;
  Why why = Why::module;
  int module = -1;
  std::string subject;  // the package or top-level name the reason mentions
};

struct Dist {
  Listing* listing = nullptr;
  bool egg = false;
  std::string norm;  // normalized project name from the folder name
  bool has_top_level = false;
  std::vector<std::string> top_levels;
  bool record_read = false;
  std::unordered_set<std::string> record;       // paths RECORD lists
  std::unordered_set<std::string> record_tops;  // their first components, as module names
};

class Resolver {
 public:
  Resolver(const std::vector<SearchRoot>& roots, const std::vector<std::string>& allowed_links) {
    std::vector<fs::path> dirs, reals;
    for (std::size_t i = 0; i < roots.size(); ++i) {
      std::error_code ec;
      dirs.push_back(absolute_dir(roots[i].dir));
      fs::path real = fs::canonical(dirs.back(), ec);
      if (ec || !fs::is_directory(real, ec)) real.clear();
      if (!real.empty()) real_roots_.push_back(real.string());
      reals.push_back(std::move(real));
    }
    for (std::size_t i = 0; i < roots.size(); ++i) {
      root_names_.push_back(i == 0 || reals[i].empty() || reals[0].empty()
                                ? std::string()
                                : reals[i].lexically_relative(reals[0]).generic_string());
    }
    for (const std::string& link : allowed_links) {
      if (dirs.empty()) break;
      std::error_code ec;
      const fs::path path = dirs[0] / link;
      if (!fs::is_symlink(fs::symlink_status(path, ec))) continue;
      const fs::path target = fs::canonical(path, ec);
      if (ec) continue;
      allowed_links_.insert(link);
      real_roots_.push_back(target.string());  // what it leads to counts as inside
    }
    roots_.assign(roots.size(), nullptr);
    for (std::size_t i = 0; i < roots.size(); ++i) {
      if (reals[i].empty()) continue;
      Listing& l = listings_[key(static_cast<int>(i), dirs[i].string())];
      l.dir = dirs[i].string();
      l.real = reals[i].string();
      l.root = static_cast<int>(i);
      read_listing(l);
      classify_links(l);
      roots_[i] = &l;
    }
    dists_.resize(roots.size());
    dists_built_.resize(roots.size(), false);
    first_root_ = roots.empty() ? fs::path() : absolute_dir(roots[0].dir);
  }

  Graph run(const std::string& handler) {
    std::string spec = handler;
    if (spec.ends_with(".py")) spec.resize(spec.size() - 3);
    std::vector<std::string> parts;
    for (std::size_t pos = 0; pos <= spec.size();) {
      std::size_t slash = std::min(spec.find('/', pos), spec.size());
      std::string part = spec.substr(pos, slash - pos);
      if (!part.empty() && part != ".") parts.push_back(part);
      pos = slash + 1;
    }
    if (parts.empty())
      throw Error(fmt::format("handler module '{}' names no file", handler),
                  "the handler is FILE.FUNCTION, e.g. src/app.main for src/app.py");

    std::string name;
    for (const auto& p : parts) name += (name.empty() ? "" : ".") + p;
    Listing* dir = roots_.empty() ? nullptr : roots_[0];
    for (std::size_t i = 0; dir && i + 1 < parts.size(); ++i) {
      const Entry* e = dir->find(parts[i]);
      dir = e && e->type == EntryType::dir ? &child(*dir, *e) : nullptr;
    }
    std::optional<Module> found;
    if (dir) found = locate(parts.back(), {dir});
    if (!found || found->kind == ModKind::namespace_package) {
      fs::path base = first_root_;
      for (std::size_t i = 0; i + 1 < parts.size(); ++i) base /= parts[i];
      const std::string& last = parts.back();
      throw Error(fmt::format("handler module '{}' not found; searched {}, {}, {}.*.so", spec,
                              (base / (last + ".py")).string(),
                              (base / last / "__init__.py").string(), (base / last).string()),
                  "the handler is FILE.FUNCTION with FILE relative to the service folder, "
                  "e.g. src/app.main for src/app.py");
    }
    found->name = name;
    handler_ = add(std::move(*found));
    index_[name] = handler_;
    // Python imports the handler's parent packages first; their __init__ files run too.
    for (std::size_t dot = name.find('.'); dot != npos; dot = name.find('.', dot + 1))
      load_dotted(name.substr(0, dot), -1, false);
    load(handler_, -1, true);

    // Metadata can add a module (see keep_dist_of), whose imports then need following.
    for (std::size_t q = 0, modules = 0; modules != modules_.size();) {
      modules = modules_.size();
      follow_queue(q);
      keep_metadata();
    }
    return graph();
  }

 private:
  void follow_queue(std::size_t& q) {
    for (; q < queue_.size(); ++q) {
      int m = queue_[q];
      std::vector<ImportRef> imports = std::move(modules_[m].imports);
      for (const DynamicImport& d : modules_[m].dynamic)
        notes_.push_back(fmt::format("dynamic import in {}:{} ({}) cannot be followed",
                                     archive_of(m), d.line, d.expression));
      for (const ImportRef& ref : imports) follow_ref(m, ref);
      std::vector<NameInString> strings = std::move(modules_[m].strings);
      for (const NameInString& s : strings) follow_string(m, s.value);
    }
  }

  // Absolute, normalized, without a trailing separator ("a/b/" and "a/b" are one root).
  static fs::path absolute_dir(const fs::path& dir) {
    std::error_code ec;
    fs::path out = fs::absolute(dir, ec).lexically_normal();
    if (!out.has_filename() && out.has_relative_path()) out = out.parent_path();
    return out;
  }

  static std::string key(int root, const std::string& dir) {
    return std::to_string(root) + ":" + dir;
  }

  bool within_roots(const std::string& real) const {
    return std::any_of(real_roots_.begin(), real_roots_.end(),
                       [&](const std::string& r) { return is_within(real, r); });
  }

  // The path of an entry relative to the service folder (roots[0]), as package.patterns
  // names it.
  std::string service_path(const Listing& dir, std::string_view name) const {
    const std::string& root = root_names_[dir.root];
    return root.empty() ? dir.archive(name) : Listing::join(root, dir.archive(name));
  }

  // Marks the symlinks of a listing that lead out of every root, unless package.patterns
  // names them, as `outside`: they are seen but never followed.
  void classify_links(Listing& l) {
    bool changed = false;
    for (Entry& e : l.entries) {
      if (!e.symlink || e.type == EntryType::loop) continue;
      std::error_code ec;
      std::string real = fs::canonical(l.path(e.name), ec).string();
      if (ec || within_roots(real) || allowed_links_.count(service_path(l, e.name))) continue;
      e.type = EntryType::outside;
      e.target = std::move(real);
      changed = true;
    }
    if (!changed) return;
    l.has_py = l.has_init = false;
    for (const Entry& e : l.entries) {
      if (e.type != EntryType::file) continue;
      if (e.name.ends_with(".py")) l.has_py = true;
      if (e.name == "__init__.py" || (e.name.starts_with("__init__.") && ends_with_native(e.name)))
        l.has_init = true;
    }
  }

  // An outside link that would have gone in the bundle: recorded for its warning.
  void skip(const Listing& dir, const Entry& e) {
    std::string path = service_path(dir, e.name);
    if (skipped_.count(path)) return;
    std::error_code ec;
    const bool directory = fs::is_directory(e.target, ec);
    skipped_.emplace(path, OutsideLink{path, e.target, directory});
  }

  Listing& child(Listing& parent, const Entry& e) {
    std::string path = parent.path(e.name);
    auto [it, inserted] = listings_.try_emplace(key(parent.root, path));
    Listing& l = it->second;
    if (!inserted) return l;
    l.dir = path;
    l.rel = parent.archive(e.name);
    l.root = parent.root;
    l.problem = parent.problem;
    if (!e.symlink) {
      l.real = Listing::join(parent.real, e.name);
    } else {
      std::error_code ec;
      l.real = fs::canonical(path, ec).string();
      if (ec) {
        l.problem = fmt::format("symlink loop at {}", path);
      } else if (is_within(parent.real, l.real)) {
        l.problem =
            fmt::format("symlink loop at {}: it points at its own parent folder {}", path, l.real);
      } else if (!within_roots(l.real)) {
        l.problem = fmt::format("symlink {} points outside the search roots, at {}", path, l.real);
      }
    }
    read_listing(l);
    classify_links(l);
    return l;
  }

  void keep(const Listing& dir, const Entry& e, Why why, int module, std::string subject = {}) {
    if (!dir.problem.empty()) throw Error(dir.problem, kLinkHint);
    std::string archive = dir.archive(e.name);
    auto it = kept_.find(archive);
    if (it != kept_.end() && it->second.why <= why) return;
    std::string source = dir.path(e.name);
    if (e.type == EntryType::loop)
      throw Error(fmt::format("symlink loop at {}", source), kLinkHint);
    if (e.symlink) {
      std::error_code ec;
      std::string real = fs::canonical(source, ec).string();
      if (ec) throw Error(fmt::format("symlink loop at {}", source), kLinkHint);
      if (!within_roots(real))
        throw Error(fmt::format("symlink {} points outside the search roots, at {}", source, real),
                    kLinkHint);
      source = std::move(real);
    }
    kept_[archive] = Keep{std::move(source), dir.root, why, module, std::move(subject)};
  }

  // Data files of a package folder and of its data subfolders (no __init__, no .py).
  void keep_data(Listing& dir, int module, std::vector<const std::string*>& walking) {
    bool dependency = dir.root != 0;
    for (const Entry& e : dir.entries) {
      if (e.type == EntryType::loop) {
        if (is_data_file(e.name)) keep(dir, e, Why::package_data, module);  // throws
        continue;
      }
      if (e.type == EntryType::outside) {
        if (is_data_file(e.name) || is_data_dir(e.name, dependency)) skip(dir, e);
        continue;
      }
      if (e.type == EntryType::file) {
        if (is_data_file(e.name)) keep(dir, e, Why::package_data, module, modules_[module].name);
      } else if (e.type == EntryType::dir && is_data_dir(e.name, dependency)) {
        Listing& sub = child(dir, e);
        if (!sub.problem.empty()) throw Error(sub.problem, kLinkHint);
        if (sub.has_init || sub.has_py) continue;  // a subpackage: kept only if imported
        for (const std::string* w : walking)
          if (*w == sub.real) throw Error(fmt::format("symlink loop at {}", sub.dir), kLinkHint);
        walking.push_back(&sub.real);
        keep_data(sub, module, walking);
        walking.pop_back();
      }
    }
  }

  // Every file under a folder, for native library folders that hold nothing else.
  void keep_tree(Listing& dir, Why why, const std::string& subject, int depth = 0) {
    if (!dir.problem.empty()) throw Error(dir.problem, kLinkHint);
    if (depth > 32) throw Error(fmt::format("symlink loop at {}", dir.dir), kLinkHint);
    for (const Entry& e : dir.entries) {
      if (e.type == EntryType::outside) {
        skip(dir, e);
      } else if (e.type == EntryType::file || e.type == EntryType::loop) {
        keep(dir, e, why, -1, subject);
      } else if (e.type == EntryType::dir && e.name != "__pycache__") {
        keep_tree(child(dir, e), why, subject, depth + 1);
      }
    }
  }

  // FileFinder over each folder in turn: package, extension module, source file; folders
  // without __init__ make a namespace package only if no folder has the real thing.
  std::optional<Module> locate(std::string_view last, const std::vector<Listing*>& search) {
    std::vector<Listing*> portions;
    std::string prefix = std::string(last) + ".";
    for (Listing* d : search) {
      if (const Entry* e = d->find(last); e && e->type == EntryType::outside) skip(*d, *e);
      if (const Entry* e = d->find(last); e && e->type == EntryType::dir) {
        Listing& sub = child(*d, *e);
        if (sub.has_init) {
          Module m;
          m.kind = ModKind::package;
          m.home = &sub;
          m.file = "__init__.py";
          if (!sub.find(m.file)) {
            for (const Entry& i : sub.entries)
              if (i.name.starts_with("__init__.") && ends_with_native(i.name)) m.file = i.name;
          }
          m.path = {&sub};
          return m;
        }
        portions.push_back(&sub);
      }
      auto it = std::lower_bound(d->entries.begin(), d->entries.end(), prefix,
                                 [](const Entry& e, const std::string& n) { return e.name < n; });
      for (; it != d->entries.end() && it->name.starts_with(prefix); ++it) {
        if (it->type == EntryType::outside &&
            (ends_with_native(it->name) || it->name == prefix + "py")) {
          skip(*d, *it);
        }
        if (it->type == EntryType::file && ends_with_native(it->name)) {
          Module m;
          m.kind = ModKind::extension;
          m.home = d;
          m.file = it->name;
          return m;
        }
      }
      if (const Entry* e = d->find(prefix + "py")) {
        if (e->type == EntryType::loop)
          throw Error(fmt::format("symlink loop at {}", d->path(e->name)), kLinkHint);
        if (e->type == EntryType::file) {
          Module m;
          m.home = d;
          m.file = e->name;
          return m;
        }
      }
    }
    if (portions.empty()) return std::nullopt;
    Module m;
    m.kind = ModKind::namespace_package;
    m.path = std::move(portions);
    return m;
  }

  int add(Module m) {
    modules_.push_back(std::move(m));
    return static_cast<int>(modules_.size() - 1);
  }

  // The module called `name`, found (not yet loaded) or -1.
  int find(const std::string& name) {
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    std::optional<Module> m;
    if (std::size_t dot = name.rfind('.'); dot == npos) {
      std::vector<Listing*> search;
      for (Listing* r : roots_)
        if (r) search.push_back(r);
      m = locate(name, search);
    } else {
      int parent = find(name.substr(0, dot));
      if (parent >= 0 && !modules_[parent].path.empty()) {
        std::vector<Listing*> search = modules_[parent].path;
        m = locate(std::string_view(name).substr(dot + 1), search);
      }
    }
    int idx = -1;
    if (m) {
      m->name = name;
      idx = add(std::move(*m));
    }
    index_[name] = idx;
    return idx;
  }

  // Keeps a module's file and package data, and queues its source to be scanned.
  void load(int m, int from, bool named) {
    if (named) modules_[m].named = true;
    if (modules_[m].loaded) return;
    Module& mod = modules_[m];
    mod.loaded = true;
    mod.from = from;
    if (mod.kind != ModKind::namespace_package) {
      keep(*mod.home, *mod.home->find(mod.file), Why::module, m);
      if (mod.file.ends_with(".py")) {
        if (std::optional<std::string> text = read_text(mod.home->path(mod.file))) {
          ScanResult scan = scan_source(*text);
          mod.imports = std::move(scan.imports);
          mod.dynamic = std::move(scan.dynamic);
          mod.all_names = std::move(scan.all_names);
          mod.strings = std::move(scan.module_strings);
          queue_.push_back(m);
        } else {
          notes_.push_back(
              fmt::format("cannot read {}; its imports are not followed", archive_of(m)));
        }
      }
    }
    for (Listing* dir : modules_[m].path) {
      std::vector<const std::string*> walking = {&dir->real};
      keep_data(*dir, m, walking);
    }
  }

  // Imports `a.b.c` as Python does: a, then a.b, then a.b.c. Returns the last or -1.
  int load_dotted(const std::string& target, int from, bool named) {
    int idx = -1;
    for (std::size_t pos = 0;;) {
      std::size_t dot = target.find('.', pos);
      std::string prefix = target.substr(0, dot);
      idx = find(prefix);
      if (idx < 0) {
        not_found_.insert(prefix);
        return -1;
      }
      load(idx, from, named && dot == npos);
      if (dot == npos) return idx;
      pos = dot + 1;
    }
  }

  std::string package_of(int m) const {
    const Module& mod = modules_[m];
    if (!mod.path.empty()) return mod.name;
    std::size_t dot = mod.name.rfind('.');
    return dot == npos ? std::string() : mod.name.substr(0, dot);
  }

  std::string archive_of(int m) const {
    const Module& mod = modules_[m];
    return mod.home ? mod.home->archive(mod.file) : mod.name;
  }

  void follow_ref(int m, const ImportRef& ref) {
    if (ref.dormant) return;
    std::string target = ref.module;
    if (ref.level > 0) {
      std::string base = package_of(m);
      for (int up = 1; up < ref.level && !base.empty(); ++up) {
        std::size_t dot = base.rfind('.');
        base = dot == npos ? std::string() : base.substr(0, dot);
      }
      if (base.empty()) {
        notes_.push_back(fmt::format(
            "relative import in {}:{} (from {}{} import ...) reaches above the top-level package",
            archive_of(m), ref.line, std::string(static_cast<std::size_t>(ref.level), '.'),
            ref.module));
        return;
      }
      target = ref.module.empty() ? base : base + "." + ref.module;
    }
    if (target.empty()) return;
    int t = load_dotted(target, m, true);
    if (t < 0) return;
    for (const std::string& n : ref.names) {
      if (n == "*") {
        std::vector<std::string> all = modules_[t].all_names;
        for (const std::string& a : all) load_submodule(t, a, m);
      } else {
        load_submodule(t, n, m);
      }
    }
  }

  // "pkg.mod.func" in a string: the longest prefix that is a module below a top-level
  // package found in the roots, so "os.path" or "config.json" never count.
  void follow_string(int m, std::string_view value) {
    std::string name(value.substr(0, value.find(':')));
    if (find(name.substr(0, name.find('.'))) < 0) return;  // the common case, answered fast
    for (std::size_t dot = name.rfind('.'); dot != npos; dot = name.rfind('.')) {
      if (int idx = find(name); idx >= 0) {
        if (!modules_[idx].loaded) modules_[idx].via = Via::string;
        load_dotted(name, m, true);
        return;
      }
      name.resize(dot);
    }
  }

  // `from pkg import x`: x is a submodule when pkg has one by that name, else an attribute.
  void load_submodule(int package, const std::string& name, int from) {
    if (modules_[package].path.empty()) return;
    int s = find(modules_[package].name + "." + name);
    if (s >= 0) load(s, from, true);
  }

  std::vector<Dist>& dists(int root) {
    std::vector<Dist>& out = dists_[static_cast<std::size_t>(root)];
    if (dists_built_[static_cast<std::size_t>(root)]) return out;
    dists_built_[static_cast<std::size_t>(root)] = true;
    Listing* r = roots_[static_cast<std::size_t>(root)];
    for (const Entry& e : r->entries) {
      if (e.type != EntryType::dir) continue;
      bool egg = e.name.ends_with(".egg-info");
      if (!egg && !e.name.ends_with(".dist-info")) continue;
      Dist d;
      d.egg = egg;
      d.listing = &child(*r, e);
      std::string_view stem = e.name;
      stem.remove_suffix(egg ? 9 : 10);
      d.norm = normalize_name(stem.substr(0, stem.find('-')));
      if (d.listing->find("top_level.txt")) {
        d.has_top_level = true;
        if (auto text = read_text(d.listing->path("top_level.txt"))) {
          for_each_line(*text, [&](std::string_view line) {
            d.top_levels.emplace_back(line.substr(0, line.find('/')));
          });
        }
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  void read_record(Dist& d) {
    if (d.record_read) return;
    d.record_read = true;
    if (d.egg) return;  // installed-files.txt is relative to the egg-info; top_level.txt suffices
    std::optional<std::string> text = read_text(d.listing->path("RECORD"));
    if (!text) return;
    for_each_line(*text, [&](std::string_view line) {
      std::string_view path;
      if (line.starts_with('"')) {
        std::size_t close = line.find('"', 1);
        path = line.substr(1, close == npos ? npos : close - 1);
      } else {
        path = line.substr(0, line.find(','));
      }
      if (path.empty() || path.starts_with("..")) return;
      d.record.emplace(path);
      std::string_view top = path.substr(0, path.find('/'));
      d.record_tops.emplace(top.substr(0, top.find('.')));
    });
  }

  // importlib.metadata reads METADATA (version(), requires()) and entry_points.txt
  // (entry_points()); RECORD, WHEEL, LICENSE and the like only matter to pip.
  void keep_metadata() {
    for (std::size_t m = 0; m < modules_.size(); ++m) {
      const Module& mod = modules_[m];
      if (!mod.loaded || mod.name.find('.') != npos) continue;
      bool ns = mod.kind == ModKind::namespace_package;
      std::vector<int> roots;
      if (ns) {
        for (const Listing* l : mod.path) roots.push_back(l->root);
      } else {
        roots.push_back(mod.home->root);
      }
      std::string name = mod.name;
      for (int root : roots)
        if (metadata_done_.emplace(root, name).second)
          keep_dist_of(root, name, ns, static_cast<int>(m));
    }
  }

  void keep_dist_of(int root, const std::string& top, bool ns, int module) {
    std::vector<Dist>& all = dists(root);
    std::string norm = normalize_name(top);
    std::vector<Dist*> found;
    for (Dist& d : all) {
      bool hit = d.has_top_level ? std::find(d.top_levels.begin(), d.top_levels.end(), top) !=
                                       d.top_levels.end()
                                 : d.norm == norm;
      if (hit) found.push_back(&d);
    }
    if (found.empty()) {  // wheels built without top_level.txt: RECORD says what they hold
      for (Dist& d : all) {
        if (d.has_top_level) continue;
        read_record(d);
        if (d.record_tops.count(top)) found.push_back(&d);
      }
    }
    if (ns) {
      // Many distributions share a namespace (google, azure): keep those owning a kept file.
      std::erase_if(found, [&](Dist* d) {
        read_record(*d);
        std::string lo = top + "/", hi = top + "0";  // '0' follows '/'
        for (auto it = kept_.lower_bound(lo); it != kept_.end() && it->first < hi; ++it)
          if (it->second.root == root && d->record.count(it->first)) return false;
        return true;
      });
    }
    Listing* r = roots_[static_cast<std::size_t>(root)];
    for (Dist* d : found) {
      for (const char* file : {d->egg ? "PKG-INFO" : "METADATA", "entry_points.txt"})
        if (const Entry* e = d->listing->find(file); e && e->type == EntryType::file)
          keep(*d->listing, *e, Why::metadata, -1, top);
      // cffi's generated modules import _cffi_backend from C, where no scanner sees it; a
      // distribution depending on cffi is the sign (reading binaries for the name cost more).
      if (!d->egg) {
        if (auto metadata = read_text(d->listing->path("METADATA"));
            metadata && requires_dist(*metadata, "cffi")) {
          if (int cffi = find("_cffi_backend"); cffi >= 0 && !modules_[cffi].loaded) {
            modules_[cffi].via = Via::native_code;
            load(cffi, module, true);
          }
        }
      }
      // Shared libraries a wheel puts at the top level, such as mypyc's runtime
      // (<hash>__mypyc.*.so), load from its extension modules, never by an import.
      for (const Entry& e : r->entries) {
        if (e.type != EntryType::file || !ends_with_native(e.name) || d->egg) continue;
        read_record(*d);
        if (d->record.count(e.name)) keep(*r, e, Why::native_libs, -1, top);
      }
      // auditwheel puts a wheel's shared libraries beside the package in <project>.libs/.
      for (const Entry& e : r->entries) {
        if (e.type != EntryType::dir || !e.name.ends_with(".libs")) continue;
        std::string stem = normalize_name(std::string_view(e.name).substr(0, e.name.size() - 5));
        if (stem == d->norm || stem == norm) keep_tree(child(*r, e), Why::native_libs, top);
      }
    }
  }

  std::string chain(int m) const {
    std::vector<int> hops;
    for (int cur = m; cur >= 0 && cur != handler_; cur = modules_[cur].from) hops.push_back(cur);
    std::string out = "import chain: handler";
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
      out += " → " + modules_[*it].name;
      if (modules_[*it].via == Via::string) out += " (named in a string)";
      if (modules_[*it].via == Via::native_code) out += " (imported by native code)";
    }
    return out;
  }

  std::string reason(const Keep& k) const {
    switch (k.why) {
      case Why::module:
        if (k.module == handler_) return "handler";
        if (!modules_[k.module].named) return "__init__ of package " + modules_[k.module].name;
        return chain(k.module);
      case Why::package_data:
        return "package data of " + k.subject;
      case Why::native_libs:
        return "native libraries of " + k.subject;
      case Why::metadata:
        return "metadata of " + k.subject + " (importlib.metadata)";
    }
    return {};
  }

  Graph graph() {
    Graph g;
    g.files.reserve(kept_.size());
    for (auto& [archive, k] : kept_) g.files.push_back({k.source, archive, reason(k)});
    g.not_found.assign(not_found_.begin(), not_found_.end());
    g.notes = std::move(notes_);
    for (auto& [path, link] : skipped_) g.skipped_links.push_back(std::move(link));
    return g;
  }

  std::vector<Listing*> roots_;          // per SearchRoot; null when the folder does not exist
  std::vector<std::string> real_roots_;  // canonical, for symlink checks; allowed links' targets
  std::vector<std::string> root_names_;  // each root relative to roots[0] ("" for roots[0])
  std::set<std::string> allowed_links_;  // links out of the roots that package.patterns names
  std::map<std::string, OutsideLink> skipped_;  // links not followed, by service path
  fs::path first_root_;
  std::unordered_map<std::string, Listing> listings_;  // node-based: Listing* stay valid
  std::vector<Module> modules_;
  std::unordered_map<std::string, int> index_;  // module name → modules_ index, -1: none
  std::vector<int> queue_;                      // loaded modules whose imports to follow
  int handler_ = -1;
  std::map<std::string, Keep> kept_;  // by archive path, so the result comes out sorted
  std::set<std::string> not_found_;
  std::set<std::pair<int, std::string>> metadata_done_;  // (root, top-level name) looked up
  std::vector<std::string> notes_;
  std::vector<std::vector<Dist>> dists_;
  std::vector<bool> dists_built_;
};

}  // namespace

Graph follow(const std::string& handler_module_path, const std::vector<SearchRoot>& roots,
             const std::vector<std::string>& allowed_links) {
  return Resolver(roots, allowed_links).run(handler_module_path);
}

}  // namespace fx::bundle::python
