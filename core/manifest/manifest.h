// Loading serverless.yaml: YAML → variables → validation → Service.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/manifest/service.h"

namespace fx::manifest {

struct LoadOptions {
  std::filesystem::path dir = ".";          // where to look for serverless.yaml / .yml
  std::filesystem::path config;             // --config: an explicit manifest path (wins over dir)
  std::map<std::string, std::string> opts;  // ${opt:...}: "stage", "region", and any --param
  // ${env:...}; defaults to the process environment. Tests replace it.
  std::function<std::optional<std::string>(const std::string&)> getenv;
};

// Finds, parses, resolves and validates the manifest. Throws fx::Error naming
// file:line:col, the key, what was expected and what was found.
Service load_service(const LoadOptions& options);

// Parses, resolves and validates manifest text as if it were the file `name` in options.dir
// (where ${file(...)} and .env files are read; options.config is not used). For any text it
// returns a Service or throws fx::Error, never another exception.
Service load_service_text(std::string_view text, const LoadOptions& options,
                          const std::string& name = "serverless.yaml");

// The manifest path load_service would read, or throws fx::Error when there is none.
std::filesystem::path find_manifest(const LoadOptions& options);

}  // namespace fx::manifest
