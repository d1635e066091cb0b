#include "core/bundle/build_plugins.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/runtimes/registry.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/process.h"

namespace fx::bundle {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The esbuild fx installs when a project has none: one version, so every machine builds the
// same output from the same source.
constexpr std::string_view kEsbuildVersion = "0.24.2";

constexpr std::string_view kTypeScript[] = {".ts", ".mts", ".cts", ".tsx"};

bool has_plugin(const manifest::Service& service, std::string_view name) {
  return std::find(service.plugins.begin(), service.plugins.end(), name) != service.plugins.end();
}

json custom_settings(const manifest::Service& service, const std::string& key) {
  auto it = service.custom_build_json.find(key);
  if (it == service.custom_build_json.end()) return json::object();
  return json::parse(it->second, nullptr, false);
}

std::string manifest_name(const manifest::Service& service) {
  return service.manifest_path.filename().string();
}

[[noreturn]] void bad_setting(const manifest::Service& service, const std::string& key,
                              std::string_view expected, const json& got) {
  throw Error(
      fmt::format("{}: {}: expected {}, got {}", manifest_name(service), key, expected, got.dump()),
      fmt::format("fix {} in {}", key, manifest_name(service)));
}

bool flag(const manifest::Service& service, const json& settings, const std::string& prefix,
          const char* name, bool fallback) {
  if (!settings.contains(name)) return fallback;
  const json& v = settings[name];
  if (!v.is_boolean()) bad_setting(service, prefix + name, "true or false", v);
  return v.get<bool>();
}

std::string word(const manifest::Service& service, const json& settings, const std::string& prefix,
                 const char* name, std::initializer_list<std::string_view> allowed,
                 std::string fallback) {
  if (!settings.contains(name)) return fallback;
  const json& v = settings[name];
  std::string expected;
  for (auto a : allowed) expected += fmt::format("{}{}", expected.empty() ? "" : ", ", a);
  if (!v.is_string())
    bad_setting(service, prefix + name, expected.empty() ? "a string" : expected, v);
  std::string s = v.get<std::string>();
  if (allowed.size() && std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    bad_setting(service, prefix + name, expected, v);
  return s;
}

std::vector<std::string> names(const manifest::Service& service, const json& settings,
                               const std::string& prefix, const char* name) {
  std::vector<std::string> out;
  if (!settings.contains(name)) return out;
  const json& v = settings[name];
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) bad_setting(service, prefix + name, "a list of package names", v);
  for (const auto& item : v) {
    if (!item.is_string() || item.get<std::string>().empty())
      bad_setting(service, prefix + name, "a list of package names", v);
    out.push_back(item.get<std::string>());
  }
  return out;
}

// A package name from an import path: "@scope/pkg/x" → "@scope/pkg", "pkg/x" → "pkg".
std::string package_of(const std::string& spec) {
  auto slash = spec.find('/');
  if (spec.starts_with('@') && slash != std::string::npos) slash = spec.find('/', slash + 1);
  return spec.substr(0, slash);
}

fs::path fx_home() {
  if (const char* home = std::getenv("FX_HOME"); home && *home) return fs::absolute(home);
  const char* user_home = std::getenv("HOME");
  return fs::path(user_home && *user_home ? user_home : "/tmp") / ".fx";
}

// esbuild's npm package for this machine: its binary, which npm installs as an optional
// dependency (no install script needed to find it).
std::string esbuild_platform_package() {
  struct utsname u {};
  ::uname(&u);
  std::string machine = u.machine;
  std::string arch = machine == "x86_64" ? "x64" : machine == "aarch64" ? "arm64" : machine;
  return "@esbuild/linux-" + arch;
}

int run_logged(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  util::SpawnOptions opts;
  opts.argv = argv;
  opts.env = util::current_environment();
  opts.env.push_back("npm_config_update_notifier=false");
  opts.cwd = cwd;
  opts.output_file = log;
  std::error_code ec;
  fs::remove(log, ec);
  return util::run_and_wait(opts);
}

bool succeeded(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  auto nl = text.rfind('\n');
  std::string line = nl == std::string::npos ? text : text.substr(nl + 1);
  if (line.size() > 300) line = line.substr(0, 297) + "...";
  return line.empty() ? "it wrote nothing" : line;
}

// The reason npm gave: its "npm error code X" and the line naming the request that failed.
std::string npm_reason(const std::string& log) {
  std::istringstream in(log);
  std::string line, code, detail;
  while (std::getline(in, line)) {
    for (std::string_view prefix : {"npm error ", "npm ERR! "}) {
      if (!line.starts_with(prefix)) continue;
      std::string said = line.substr(prefix.size());
      if (code.empty() && said.starts_with("code ")) code = said.substr(5);
      if (detail.empty() && said.find("request to ") != std::string::npos) detail = said;
    }
  }
  if (!detail.empty()) return (code.empty() ? "" : code + ": ") + detail;
  return code.empty() ? last_line(log) : code;
}

// Holds an flock on `path` while alive: two fx processes sharing FX_HOME install once.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// The binary an install folder holds, or "" when it holds none.
fs::path installed_esbuild(const fs::path& dir) {
  std::error_code ec;
  fs::path native = dir / "node_modules" / esbuild_platform_package() / "bin" / "esbuild";
  if (fs::is_regular_file(native, ec) && fs::exists(dir / ".fx-installed", ec)) return native;
  return {};
}

// Replaces comments, then trailing commas, with spaces, so offsets (and line:col) stay.
std::string strip_jsonc(std::string text) {
  enum { code, string, line_comment, block_comment } state = code;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case code:
        if (c == '"') {
          state = string;
        } else if (c == '/' && next == '/') {
          state = line_comment;
          text[i] = ' ';
        } else if (c == '/' && next == '*') {
          state = block_comment;
          text[i] = text[i + 1] = ' ';
          ++i;
        }
        break;
      case string:
        if (c == '\\')
          ++i;
        else if (c == '"')
          state = code;
        break;
      case line_comment:
        if (c == '\n')
          state = code;
        else
          text[i] = ' ';
        break;
      case block_comment:
        if (c == '*' && next == '/') {
          text[i] = text[i + 1] = ' ';
          ++i;
          state = code;
        } else if (c != '\n') {
          text[i] = ' ';
        }
        break;
    }
  }
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (in_string) {
      if (text[i] == '\\')
        ++i;
      else if (text[i] == '"')
        in_string = false;
    } else if (text[i] == '"') {
      in_string = true;
    } else if (text[i] == ',') {
      std::size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) text[i] = ' ';
    }
  }
  return text;
}

// The source map's paths made relative to where the output sits in the bundle, so a stack
// trace names "src/handler.ts" under the task root rather than a path through .fx/.
void rebase_source_map(const fs::path& map_path, const fs::path& root, const std::string& archive) {
  auto map = json::parse(util::read_file(map_path), nullptr, false);
  if (!map.is_object() || !map.contains("sources") || !map["sources"].is_array()) return;
  const fs::path archive_dir = fs::path(archive).parent_path();
  for (auto& s : map["sources"]) {
    if (!s.is_string()) continue;
    fs::path source = (map_path.parent_path() / s.get<std::string>()).lexically_normal();
    fs::path in_service = source.lexically_relative(root);
    if (in_service.empty() || in_service.string().starts_with("..")) continue;
    s = in_service.lexically_relative(archive_dir.empty() ? fs::path(".") : archive_dir)
            .generic_string();
  }
  std::ofstream(map_path, std::ios::trunc) << map.dump();
}

// Every file of node_modules/PKG, and of the packages it depends on, from the service files.
void add_package(const std::string& pkg, const std::vector<PlannedFile>& service_files,
                 const std::string& why, std::set<std::string>& seen,
                 std::vector<PlannedFile>& out) {
  if (!seen.insert(pkg).second) return;
  const std::string prefix = "node_modules/" + pkg + "/";
  std::size_t before = out.size();
  for (const auto& f : service_files) {
    if (!f.archive_path.starts_with(prefix)) continue;
    auto copy = f;
    copy.reason = why;
    out.push_back(std::move(copy));
  }
  if (out.size() == before)
    throw Error(fmt::format("{} names '{}', but node_modules/{} is not installed", why, pkg, pkg),
                "install the dependencies: npm install (or npm ci) in the service folder");
  for (std::size_t i = before; i < out.size(); ++i) {
    if (out[i].archive_path != prefix + "package.json") continue;
    auto manifest = json::parse(util::read_file(out[i].source), nullptr, false);
    if (!manifest.is_object() || !manifest.contains("dependencies") ||
        !manifest["dependencies"].is_object())
      break;
    for (auto& [dep, version] : manifest["dependencies"].items()) {
      // A dependency npm nested under the package is in its folder already.
      bool nested = std::any_of(service_files.begin(), service_files.end(), [&](const auto& f) {
        return f.archive_path.starts_with(prefix + "node_modules/" + dep + "/");
      });
      if (!nested) add_package(dep, service_files, why, seen, out);
    }
    break;
  }
}

}  // namespace

std::string read_tsconfig(const fs::path& path) {
  const std::string text = util::read_file(path);
  const std::string stripped = strip_jsonc(text);
  try {
    return json::parse(stripped).dump();
  } catch (const json::parse_error& e) {
    std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    std::size_t line = 1 + std::count(text.begin(), text.begin() + at, '\n');
    std::size_t start = text.rfind('\n', at == 0 ? 0 : at - 1);
    std::size_t col = start == std::string::npos || at == 0 ? at + 1 : at - start;
    std::string what = e.what();
    if (auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
    throw Error(fmt::format("{}:{}:{}: not JSON: {}", path.string(), line, col, what),
                "fix tsconfig.json (comments and trailing commas are allowed, as TypeScript "
                "allows them)");
  }
}

NodeBuild node_build_for(const manifest::Service& service, const manifest::Function& function,
                         const std::string& module, const fs::path& root,
                         const BundleSettings& settings) {
  NodeBuild build;
  std::error_code ec;
  std::string source;
  for (const char* ext : {".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx"}) {
    if (fs::is_regular_file(root / (module + ext), ec)) {
      source = module + ext;
      break;
    }
  }
  const std::string ext = source.empty() ? "" : fs::path(source).extension().string();
  const bool typescript =
      std::find(std::begin(kTypeScript), std::end(kTypeScript), ext) != std::end(kTypeScript);
  const auto fail_missing = [&](std::string_view by) {
    throw Error(fmt::format("function '{}': {} needs the handler's source, but none of {}.js, "
                            ".mjs, .cjs, .ts, .mts, .cts, .tsx is in {}",
                            function.key, by, module, root.string()),
                "fix functions." + function.key + ".handler in " + manifest_name(service));
  };
  const bool esm = ext == ".mjs" || ext == ".mts";
  EsbuildRun& run = build.esbuild;
  run.entry = source;
  run.format = esm ? "esm" : "cjs";
  run.archive = module + (esm ? ".mjs" : ext == ".cjs" || ext == ".cts" ? ".cjs" : ".js");
  const auto* family = runtimes::find_family(function.runtime);
  const std::string major = family ? family->version_of(function.runtime) : "";
  run.target = major.empty() ? "node20" : "node" + major;
  // The SDK Lambda's runtime provides stays out of every build, as serverless-esbuild and the
  // framework's own esbuild build leave it (their `exclude` default): @aws-sdk/* on nodejs18.x
  // and later, aws-sdk (v2) on nodejs16.x and older. Bundling it would need it installed in
  // the project, which a Lambda project need not do.
  const runtimes::ProvidedSdk* sdk = runtimes::provided_sdk(function.runtime);
  const std::vector<std::string> runtime_sdk = {
      sdk && !sdk->modules.empty() ? std::string(sdk->modules.front()) : "aws-sdk"};
  run.external = runtime_sdk;
  // A tsconfig.json in the service folder is esbuild's too (paths, JSX, decorators): read it
  // first, so one that is not JSON stops here with its place.
  if (fs::is_regular_file(root / "tsconfig.json", ec) &&
      (typescript || has_plugin(service, "serverless-plugin-typescript")))
    read_tsconfig(root / "tsconfig.json");

  if (has_plugin(service, "serverless-webpack")) {
    const json s = custom_settings(service, "webpack");
    if (!s.is_object()) bad_setting(service, "custom.webpack", "a map of settings", s);
    build.tool = NodeTool::webpack;
    build.why = "plugin serverless-webpack";
    build.webpack_config =
        word(service, s, "custom.webpack.", "webpackConfig", {}, "webpack.config.js");
    if (source.empty()) fail_missing(build.why);
    if (s.contains("packager"))
      build.notes.push_back(
          "custom.webpack.packager is not used: fx ships what webpack's output needs, with no "
          "install step");
    if (s.contains("includeModules"))
      build.notes.push_back(
          "custom.webpack.includeModules: fx ships the output only; bundle the modules (or "
          "list them in package.patterns)");
    run.archive = module + ".js";
    return build;
  }
  if (has_plugin(service, "serverless-esbuild")) {
    const json s = custom_settings(service, "esbuild");
    if (!s.is_object()) bad_setting(service, "custom.esbuild", "a map of settings", s);
    const std::string p = "custom.esbuild.";
    build.tool = NodeTool::esbuild;
    build.why = "plugin serverless-esbuild";
    if (source.empty()) fail_missing(build.why);
    run.bundle = flag(service, s, p, "bundle", true);
    run.minify = flag(service, s, p, "minify", false);
    if (s.contains("sourcemap") && s["sourcemap"].is_boolean())
      run.sourcemap = s["sourcemap"].get<bool>() ? "linked" : "";
    else
      run.sourcemap =
          word(service, s, p, "sourcemap", {"linked", "inline", "external", "both"}, "");
    run.target = word(service, s, p, "target", {}, run.target);
    run.platform = word(service, s, p, "platform", {"node", "neutral", "browser"}, "node");
    run.format = word(service, s, p, "format", {"cjs", "esm", "iife"}, run.format);
    if (run.format == "esm") run.archive = module + ".mjs";
    run.tsconfig = word(service, s, p, "tsconfig", {}, "");
    if (!run.tsconfig.empty()) {
      if (!fs::is_regular_file(root / run.tsconfig, ec))
        throw Error(fmt::format("{}: custom.esbuild.tsconfig: {} not found in {}",
                                manifest_name(service), run.tsconfig, root.string()),
                    "fix custom.esbuild.tsconfig");
      read_tsconfig(root / run.tsconfig);
    }
    // `external`: kept out of the output and shipped from node_modules (the plugin's packager
    // installs them); `exclude`: kept out and not shipped (the runtime has them, as aws-sdk).
    build.packaged = names(service, s, p, "external");
    // The plugin's own default is aws-sdk; on nodejs18.x and later fx leaves @aws-sdk/* out
    // too, as the framework's built-in esbuild does, since Lambda's runtime has it.
    std::vector<std::string> excluded = {"aws-sdk"};
    if (runtime_sdk.front() != "aws-sdk") excluded.push_back(runtime_sdk.front());
    if (s.contains("exclude")) excluded = names(service, s, p, "exclude");
    if (std::find(excluded.begin(), excluded.end(), "*") != excluded.end()) {
      run.bundle = false;  // every package outside, none shipped
      excluded.clear();
      build.packaged.clear();
      build.notes.push_back(
          "custom.esbuild.exclude '*': every node_modules package is left out of the bundle");
    } else if (!run.bundle) {
      build.notes.push_back(
          "custom.esbuild.bundle: false: fx joins the project's own files into one output and "
          "leaves node_modules packages out of it (esbuild --packages=external)");
    }
    run.external = build.packaged;
    run.external.insert(run.external.end(), excluded.begin(), excluded.end());
    if (s.contains("packager"))
      build.notes.push_back(fmt::format(
          "custom.esbuild.packager {} is not run: fx ships custom.esbuild.external's packages "
          "from node_modules as they are installed",
          s["packager"].dump()));
    static const std::set<std::string> kHonoured = {
        "bundle",   "minify", "sourcemap", "external", "exclude",     "target",
        "platform", "format", "packager",  "tsconfig", "concurrency", "zipConcurrency"};
    for (auto& [key, value] : s.items()) {
      if (!kHonoured.count(key))
        build.notes.push_back(
            fmt::format("custom.esbuild.{} is not applied: fx runs esbuild with bundle, minify, "
                        "sourcemap, external, exclude, target, platform, format and tsconfig",
                        key));
    }
    return build;
  }
  if (has_plugin(service, "serverless-plugin-typescript")) {
    build.tool = NodeTool::esbuild;
    build.why = "plugin serverless-plugin-typescript";
    if (source.empty()) fail_missing(build.why);
    run.sourcemap = "linked";
    if (fs::is_regular_file(root / "tsconfig.json", ec)) {
      run.tsconfig = "tsconfig.json";
      auto config = json::parse(read_tsconfig(root / "tsconfig.json"));
      auto options = config.value("compilerOptions", json::object());
      std::string out_dir = options.is_object() ? options.value("outDir", "") : "";
      std::string root_dir = options.is_object() ? options.value("rootDir", "") : "";
      if (!out_dir.empty() || !root_dir.empty())
        build.notes.push_back(fmt::format(
            "tsconfig.json's{}{} do not move the output: fx writes {} at the handler's path, as "
            "the plugin's .build folder keeps it",
            out_dir.empty() ? "" : " outDir '" + out_dir + "'",
            root_dir.empty() ? ""
                             : (out_dir.empty() ? " rootDir '" : " and rootDir '") + root_dir + "'",
            run.archive));
    }
    build.notes.push_back(
        "serverless-plugin-typescript: fx builds with esbuild and type-checks nothing (run tsc "
        "--noEmit for that; the plugin does not stop a deploy on type errors either)");
    return build;
  }
  if (settings.bundler == "esbuild" && settings.minify) {
    build.tool = NodeTool::esbuild;
    build.why = "custom.fx.bundler esbuild";
    if (source.empty()) fail_missing(build.why);
    run.minify = true;
    if (typescript) run.sourcemap = "linked";
    return build;
  }
  if (typescript) {
    build.tool = NodeTool::esbuild;
    build.why = "the TypeScript handler " + source;
    run.minify = settings.minify;
    run.sourcemap = "linked";
    return build;
  }
  return build;
}

std::vector<std::string> esbuild_arguments(const EsbuildRun& run, const fs::path& outfile) {
  std::vector<std::string> args = {run.entry};
  args.push_back("--bundle");
  if (!run.bundle) args.push_back("--packages=external");
  if (run.minify) args.push_back("--minify");
  if (!run.sourcemap.empty())
    args.push_back(run.sourcemap == "linked" ? "--sourcemap" : "--sourcemap=" + run.sourcemap);
  args.push_back("--platform=" + run.platform);
  if (!run.target.empty()) args.push_back("--target=" + run.target);
  args.push_back("--format=" + run.format);
  for (const auto& e : run.external) args.push_back("--external:" + e);
  if (!run.tsconfig.empty()) args.push_back("--tsconfig=" + run.tsconfig);
  args.push_back("--outfile=" + outfile.string());
  args.push_back("--log-level=warning");
  args.push_back("--color=false");
  return args;
}

std::vector<std::string> webpack_arguments(const std::string& config, const std::string& entry,
                                           const fs::path& out_dir, const std::string& archive) {
  // The config's own `entry` (serverless-webpack's slsw.lib.entries, empty outside the
  // plugin) is replaced by the handler's source; its loaders, resolve and plugins stay.
  return {"--config",       config,
          "--entry-reset",  "--entry",
          "./" + entry,     "--output-path",
          out_dir.string(), "--output-filename",
          archive,          "--output-library-type",
          "commonjs2",      "--target",
          "node",           "--no-color"};
}

std::string esbuild_first_error(const std::string& log) {
  std::istringstream in(log);
  std::string line, message;
  static const std::regex place(R"(^\s+(\S+:\d+:\d+):\s*$)");
  while (std::getline(in, line)) {
    if (message.empty()) {
      auto at = line.find("[ERROR] ");
      if (at != std::string::npos) message = line.substr(at + 8);
      continue;
    }
    std::smatch m;
    if (std::regex_match(line, m, place)) return m[1].str() + ": " + message;
    if (!line.empty() && line.find_first_not_of(" ") != std::string::npos) break;
  }
  if (!message.empty()) return message;
  return last_line(log);
}

fs::path find_esbuild(const fs::path& root, const std::string& why) {
  std::error_code ec;
  fs::path project = root / "node_modules" / ".bin" / "esbuild";
  if (fs::exists(project, ec)) return project;
  const fs::path tools = fx_home() / "tools";
  const fs::path dir = tools / fmt::format("esbuild-{}", kEsbuildVersion);
  if (auto bin = installed_esbuild(dir); !bin.empty()) return bin;
  fs::create_directories(tools, ec);
  FileLock lock(tools / "esbuild.lock");
  if (auto bin = installed_esbuild(dir); !bin.empty()) return bin;  // another fx installed it

  const std::string hint = fmt::format(
      "install esbuild in the project (npm install --save-dev esbuild), or let fx reach the npm "
      "registry once to install esbuild@{} into {}",
      kEsbuildVersion, dir.string());
  fs::path npm = util::which("npm");
  if (npm.empty())
    throw Error(fmt::format("{} is built with esbuild; the project has none and npm is not on "
                            "PATH to install it",
                            why),
                hint);
  const fs::path tmp = fmt::format("{}.tmp-{}", dir.string(), ::getpid());
  const fs::path log = dir.string() + ".log";
  util::remove_tree(tmp);
  fs::create_directories(tmp, ec);
  // A package.json of its own, so npm never looks for one in the folders above.
  std::ofstream(tmp / "package.json") << R"({"name":"fx-esbuild","private":true})"
                                      << "\n";
  int status = run_logged(
      {npm.string(), "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock",
       "--loglevel=error", "--fetch-retries=1", "--fetch-retry-mintimeout=1000",
       "--fetch-retry-maxtimeout=5000", "--fetch-timeout=60000", "--prefix", tmp.string(),
       fmt::format("esbuild@{}", kEsbuildVersion)},
      tmp, log);
  if (!succeeded(status)) {
    util::remove_tree(tmp);
    throw Error(fmt::format("{} is built with esbuild; the project has none and npm could not "
                            "install esbuild@{} ({}; log: {})",
                            why, kEsbuildVersion, npm_reason(util::read_file(log)), log.string()),
                hint);
  }
  // npm may skip esbuild's install script; the binary is the platform package itself, an
  // optional dependency npm installs (or leaves out, on a platform esbuild has none for).
  const std::string platform = esbuild_platform_package();
  fs::path native = tmp / "node_modules" / platform / "bin" / "esbuild";
  if (!fs::is_regular_file(native, ec) ||
      !succeeded(run_logged({native.string(), "--version"}, tmp, log))) {
    util::remove_tree(tmp);
    throw Error(fmt::format("{} is built with esbuild, and npm installed esbuild@{} without a "
                            "working {} binary",
                            why, kEsbuildVersion, platform),
                fmt::format("install it in the project: npm install --save-dev esbuild {} "
                            "(npm must not omit optional dependencies)",
                            platform));
  }
  std::ofstream(tmp / ".fx-installed") << kEsbuildVersion << "\n";
  util::remove_tree(dir);
  fs::rename(tmp, dir, ec);
  if (ec) {
    util::remove_tree(tmp);
    throw Error(fmt::format("cannot move the esbuild fx installed into {}: {}", dir.string(),
                            ec.message()));
  }
  return installed_esbuild(dir);
}

std::vector<PlannedFile> run_node_build(const manifest::Function& function, const fs::path& root,
                                        const NodeBuild& build,
                                        const std::vector<PlannedFile>& service_files,
                                        std::vector<std::string>& notes) {
  const EsbuildRun& run = build.esbuild;
  std::error_code ec;
  const fs::path work = root / ".fx" / "node-build" / function.key;
  util::remove_tree(work);  // a map or chunk of an earlier build must not ship
  fs::create_directories(work, ec);
  const fs::path log = root / ".fx" / "node-build" / (function.key + ".log");
  const fs::path out = work / run.archive;
  fs::create_directories(out.parent_path(), ec);
  notes.insert(notes.end(), build.notes.begin(), build.notes.end());
  std::string reason;
  if (build.tool == NodeTool::webpack) {
    fs::path webpack = root / "node_modules" / ".bin" / "webpack";
    if (!fs::exists(webpack, ec))
      throw Error(fmt::format("function '{}': plugin serverless-webpack builds with the project's "
                              "webpack, and {} has no node_modules/.bin/webpack",
                              function.key, root.string()),
                  "install it: npm install --save-dev webpack webpack-cli (fx runs the "
                  "project's own webpack with its config)");
    if (!fs::is_regular_file(root / build.webpack_config, ec))
      throw Error(fmt::format("function '{}': custom.webpack.webpackConfig {} not found in {}",
                              function.key, build.webpack_config, root.string()),
                  "fix custom.webpack.webpackConfig, or add webpack.config.js");
    auto argv = webpack_arguments(build.webpack_config, run.entry, work, run.archive);
    argv.insert(argv.begin(), webpack.string());
    if (!succeeded(run_logged(argv, root, log))) {
      std::string text = util::read_file(log);
      std::string first;
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);) {
        if (line.find("Error") != std::string::npos || line.find("ERROR") != std::string::npos) {
          first = line;
          break;
        }
      }
      throw Error(
          fmt::format("function '{}': webpack with {} failed: {} (log: {})", function.key,
                      build.webpack_config, first.empty() ? last_line(text) : first, log.string()),
          "fix the error in the webpack config or the source; fx runs the project's "
          "webpack as `webpack " +
              build.webpack_config + "`");
    }
    if (!fs::is_regular_file(out, ec))
      throw Error(fmt::format("function '{}': webpack with {} wrote no {}", function.key,
                              build.webpack_config, out.string()),
                  "the config must not set output.filename to something else than one file");
    reason = fmt::format("built by webpack ({}) from {}", build.webpack_config, run.entry);
  } else {
    const fs::path esbuild = find_esbuild(
        root, fmt::format("function '{}' ({}, {})", function.key, run.entry, build.why));
    auto argv = esbuild_arguments(run, out);
    argv.insert(argv.begin(), esbuild.string());
    if (!succeeded(run_logged(argv, root, log)))
      throw Error(
          fmt::format("{} (esbuild, building function '{}')",
                      esbuild_first_error(util::read_file(log)), function.key),
          fmt::format("fix it in {}; fx builds it with esbuild for {}", run.entry, build.why));
    reason = fmt::format("built by esbuild from {} ({})", run.entry, build.why);
  }
  std::vector<PlannedFile> files;
  files.push_back({run.archive, out, fs::file_size(out, ec), false, reason});
  const fs::path map = out.string() + ".map";
  if (fs::is_regular_file(map, ec)) {
    rebase_source_map(map, root, run.archive);
    files.push_back(
        {run.archive + ".map", map, fs::file_size(map, ec), false, "source map of " + run.archive});
  }
  std::set<std::string> seen;
  for (const auto& pkg : build.packaged)
    add_package(package_of(pkg), service_files, "custom.esbuild.external", seen, files);
  return files;
}

}  // namespace fx::bundle
