#include "core/bundle/python_build.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "core/util/embedded.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fx::bundle {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool has_plugin(const manifest::Service& service, std::string_view name) {
  return std::find(service.plugins.begin(), service.plugins.end(), name) != service.plugins.end();
}

json custom_settings(const manifest::Service& service, const std::string& key) {
  auto it = service.custom_build_json.find(key);
  if (it == service.custom_build_json.end()) return json::object();
  return json::parse(it->second, nullptr, false);
}

[[noreturn]] void bad_setting(const manifest::Service& service, const std::string& key,
                              std::string_view expected, const json& got) {
  const std::string file = service.manifest_path.filename().string();
  throw Error(fmt::format("{}: {}: expected {}, got {}", file, key, expected, got.dump()),
              fmt::format("fix {} in {}", key, file));
}

std::vector<std::string> strings(const manifest::Service& service, const json& s,
                                 const std::string& key) {
  std::vector<std::string> out;
  if (!s.contains(key)) return out;
  if (!s[key].is_array())
    bad_setting(service, "custom.pythonRequirements." + key, "a list", s[key]);
  for (const auto& item : s[key]) {
    if (!item.is_string())
      bad_setting(service, "custom.pythonRequirements." + key, "a list of strings", s[key]);
    out.push_back(item.get<std::string>());
  }
  return out;
}

// "PyYAML" and "py_yaml" alike: as pip compares names.
std::string normalized(std::string name) {
  for (auto& c : name)
    c = c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// Writes `text` to `path` only when it differs, so an unchanged file keeps its time.
fs::path write_generated(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (!fs::exists(path, ec) || util::read_file(path) != text) {
    std::ofstream(path.string() + ".tmp", std::ios::trunc) << text;
    fs::rename(path.string() + ".tmp", path, ec);
  }
  return path;
}

PlannedFile generated(const fs::path& path, const std::string& archive, const std::string& text,
                      std::string reason) {
  write_generated(path, text);
  return {archive, path, text.size(), false, std::move(reason)};
}

}  // namespace

PythonRequirements python_requirements(const manifest::Service& service) {
  PythonRequirements out;
  if (!has_plugin(service, "serverless-python-requirements")) return out;
  const json s = custom_settings(service, "pythonRequirements");
  if (!s.is_object()) bad_setting(service, "custom.pythonRequirements", "a map of settings", s);
  const std::string p = "custom.pythonRequirements.";
  auto flag = [&](const char* key, bool fallback) {
    if (!s.contains(key)) return fallback;
    if (!s[key].is_boolean()) bad_setting(service, p + key, "true or false", s[key]);
    return s[key].get<bool>();
  };
  if (s.contains("fileName")) {
    if (!s["fileName"].is_string() || s["fileName"].get<std::string>().empty())
      bad_setting(service, p + "fileName", "a file name", s["fileName"]);
    out.file = s["fileName"].get<std::string>();
  }
  out.no_deploy = strings(service, s, "noDeploy");
  out.slim = flag("slim", false);
  out.slim_patterns = strings(service, s, "slimPatterns");
  if (out.slim && flag("slimPatternsAppendDefaults", true) == false)
    out.notes.push_back(
        "custom.pythonRequirements.slimPatternsAppendDefaults: false: only slimPatterns are "
        "left out");
  out.zip = flag("zip", false);
  out.pip_args = strings(service, s, "pipCmdExtraArgs");
  if (out.zip)
    out.notes.push_back(
        "custom.pythonRequirements.zip: fx ships the requirements unzipped; the bundle's "
        "unzip_requirements module does nothing");
  if (flag("layer", false) || (s.contains("layer") && s["layer"].is_object()))
    out.notes.push_back(
        "custom.pythonRequirements.layer: fx ships the requirements in each function's bundle "
        "rather than in a layer");
  if (s.contains("dockerizePip") &&
      !(s["dockerizePip"].is_boolean() && !s["dockerizePip"].get<bool>()))
    out.notes.push_back(
        "custom.pythonRequirements.dockerizePip is ignored: fx runs the host's pip, of the "
        "interpreter that runs the function's runtime (packages with C extensions are built "
        "for this machine)");
  if (out.slim && s.value("strip", true))
    out.notes.push_back("custom.pythonRequirements.slim: fx does not strip .so files");
  std::error_code ec;
  if (flag("usePipenv", true) && fs::is_regular_file(service.dir / "Pipfile", ec))
    throw Error(fmt::format("{}: serverless-python-requirements would install the Pipfile; fx "
                            "installs {} only",
                            (service.dir / "Pipfile").string(), out.file),
                "export it (pipenv requirements > requirements.txt) and set "
                "custom.pythonRequirements.usePipenv: false");
  if (flag("usePoetry", true) && fs::is_regular_file(service.dir / "pyproject.toml", ec) &&
      util::read_file(service.dir / "pyproject.toml").find("[tool.poetry]") != std::string::npos)
    throw Error(fmt::format("{}: serverless-python-requirements would install Poetry's "
                            "dependencies; fx installs {} only",
                            (service.dir / "pyproject.toml").string(), out.file),
                "export them (poetry export -f requirements.txt -o requirements.txt) and set "
                "custom.pythonRequirements.usePoetry: false");
  static const std::set<std::string> kRead = {"fileName",
                                              "noDeploy",
                                              "slim",
                                              "slimPatterns",
                                              "slimPatternsAppendDefaults",
                                              "zip",
                                              "layer",
                                              "dockerizePip",
                                              "usePipenv",
                                              "usePoetry",
                                              "pipCmdExtraArgs",
                                              "strip",
                                              "invalidateCaches",
                                              "useDownloadCache",
                                              "useStaticCache",
                                              "cacheLocation"};
  for (auto& [key, value] : s.items())
    if (!kRead.count(key))
      out.notes.push_back(fmt::format("custom.pythonRequirements.{} is not applied by fx", key));
  return out;
}

void trim_requirements(const PythonRequirements& settings, const fs::path& deps,
                       std::map<std::string, PlannedFile>& kept) {
  if (settings.no_deploy.empty() && !settings.slim) return;
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(deps, ec);
  // The import names a distribution installs (its top_level.txt), by normalized name.
  std::set<std::string> left_out;
  for (const auto& name : settings.no_deploy) left_out.insert(normalized(name));
  for (fs::directory_iterator it(real, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string dir = it->path().filename().string();
    if (!dir.ends_with(".dist-info")) continue;
    const std::string dist = normalized(dir.substr(0, dir.find('-')));
    if (!left_out.count(dist)) continue;
    std::string top = util::read_file(it->path() / "top_level.txt");
    std::size_t at = 0;
    while (at < top.size()) {
      std::size_t nl = top.find('\n', at);
      std::string line = top.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      if (!line.empty()) left_out.insert(normalized(line));
      at = nl == std::string::npos ? top.size() : nl + 1;
    }
  }
  std::vector<std::string> slim = {"**/*.py[co]", "**/__pycache__/**", "**/*.dist-info/**"};
  slim.insert(slim.end(), settings.slim_patterns.begin(), settings.slim_patterns.end());
  std::erase_if(kept, [&](const auto& entry) {
    const PlannedFile& f = entry.second;
    if (!path_within(fs::weakly_canonical(f.source, ec), real)) return false;  // not installed
    std::string top = entry.first.substr(0, entry.first.find('/'));
    std::string name = top;
    if (name.ends_with(".dist-info")) name = name.substr(0, name.find('-'));
    if (name.ends_with(".py")) name.resize(name.size() - 3);
    if (left_out.count(normalized(name))) return true;
    if (!settings.slim) return false;
    return std::any_of(slim.begin(), slim.end(), [&](const std::string& pattern) {
      return glob_match(pattern, entry.first) ||
             (pattern.find('[') != std::string::npos &&
              (entry.first.ends_with(".pyc") || entry.first.ends_with(".pyo")));
    });
  });
}

WsgiApp wsgi_app_for(const manifest::Service& service, const manifest::Function& function,
                     const fs::path& root) {
  WsgiApp out;
  if (!has_plugin(service, "serverless-wsgi") || function.handler != "wsgi_handler.handler")
    return out;
  const json s = custom_settings(service, "wsgi");
  const std::string file = service.manifest_path.filename().string();
  if (!s.is_object() || !s.contains("app") || !s["app"].is_string() ||
      s["app"].get<std::string>().find('.') == std::string::npos)
    throw Error(fmt::format("{}: function '{}' runs serverless-wsgi's wsgi_handler.handler, but "
                            "custom.wsgi.app {}",
                            file, function.key,
                            s.is_object() && s.contains("app")
                                ? "is not 'module.attribute': " + s["app"].dump()
                                : "is not set"),
                "set custom.wsgi.app to the WSGI application, e.g. app.app for `app = "
                "Flask(__name__)` in app.py");
  const std::string app = s["app"].get<std::string>();
  // "src/api.app" → module src/api (the plugin's form: a path, then the attribute).
  std::string module = app.substr(0, app.rfind('.'));
  const auto last_slash = module.rfind('/');
  std::replace(module.begin() + (last_slash == std::string::npos ? 0 : last_slash + 1),
               module.end(), '.', '/');
  out.active = true;
  out.app_module = module;
  json settings = {
      {"app", app.substr(app.rfind('/') == std::string::npos ? 0 : app.rfind('/') + 1)},
      {"textMimeTypes", json::array()}};
  if (s.contains("textMimeTypes")) {
    if (!s["textMimeTypes"].is_array())
      bad_setting(service, "custom.wsgi.textMimeTypes", "a list of content types",
                  s["textMimeTypes"]);
    settings["textMimeTypes"] = s["textMimeTypes"];
  }
  // The application's folder goes on sys.path, as the plugin's handler puts it there.
  const auto slash = app.rfind('/');
  settings["path"] = slash == std::string::npos ? "" : app.substr(0, slash);
  const auto* adapter = util::find_embedded("plugins/wsgi_handler.py");
  if (!adapter) throw Error("fx was built without templates/plugins/wsgi_handler.py");
  const fs::path dir = root / ".fx" / "python-build" / function.key;
  out.files.push_back(generated(dir / "wsgi_handler.py", "wsgi_handler.py",
                                std::string(adapter->data),
                                "serverless-wsgi's handler (fx's WSGI adapter)"));
  out.files.push_back(generated(dir / ".serverless-wsgi", ".serverless-wsgi",
                                settings.dump() + "\n", "custom.wsgi's settings"));
  return out;
}

PlannedFile unzip_requirements_module(const fs::path& root) {
  return generated(root / ".fx" / "python-build" / "unzip_requirements.py", "unzip_requirements.py",
                   "# serverless-python-requirements' zip: true; fx ships requirements unzipped, "
                   "so there is nothing to do.\n",
                   "custom.pythonRequirements.zip");
}

}  // namespace fx::bundle
