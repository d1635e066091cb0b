// Python functions built the way serverless-python-requirements and serverless-wsgi build
// them: the first's settings applied to fx's own pip step (core/bundle/deps.h) and to what of
// the installed requirements a bundle ships; the second's WSGI adapter (templates/plugins/
// wsgi_handler.py) added to the bundle with the application custom.wsgi.app names.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/bundle/bundle.h"
#include "core/manifest/service.h"

namespace fx::bundle {

// custom.pythonRequirements, read when the manifest names serverless-python-requirements
// (defaults otherwise). Throws an Error for a setting fx cannot honour (usePipenv or
// usePoetry with a Pipfile or a Poetry pyproject.toml).
struct PythonRequirements {
  std::string file = "requirements.txt";   // fileName, from the service folder
  std::vector<std::string> no_deploy;      // noDeploy: packages left out of every bundle
  bool slim = false;                       // slim: no bytecode, caches or .dist-info shipped
  std::vector<std::string> slim_patterns;  // slimPatterns: more globs left out when slim
  bool zip = false;                        // zip: ships a no-op unzip_requirements module
  std::vector<std::string> pip_args;       // pipCmdExtraArgs
  std::vector<std::string> notes;          // settings fx reads differently
};
PythonRequirements python_requirements(const manifest::Service& service);

// Removes from `kept` what of the installed requirements (files under `deps`) the settings
// leave out: noDeploy's packages, and with slim the bytecode, caches and metadata.
void trim_requirements(const PythonRequirements& settings, const std::filesystem::path& deps,
                       std::map<std::string, PlannedFile>& kept);

// serverless-wsgi for a function whose handler is wsgi_handler.handler: the application's
// module (the import graph starts there) and the files fx adds (the adapter and its settings).
struct WsgiApp {
  bool active = false;
  std::string app_module;  // "src/app" for custom.wsgi.app "src/app.app"
  std::vector<PlannedFile> files;
};
WsgiApp wsgi_app_for(const manifest::Service& service, const manifest::Function& function,
                     const std::filesystem::path& root);

// The no-op unzip_requirements.py shipped with zip: true (requirements are never zipped).
PlannedFile unzip_requirements_module(const std::filesystem::path& root);

}  // namespace fx::bundle
