// How an instance of each runtime is started: the interpreter (found by the registry's
// discovery rule and resolved once to its real executable, so a pyenv or nvm shim's 60-90 ms
// is not paid at every cold start) and the runtime shim from templates/runtimes/, or the
// bundle's own `bootstrap`.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/runtimes/discovery.h"

namespace fx::runtimes {

struct ResolvedRuntime {
  std::filesystem::path interpreter;  // empty for custom runtimes
  std::string version;                // "3.11", "20"
  // Folders the interpreter reads beside the system's (its installation prefix, e.g. a
  // pyenv version's): a sandboxed instance sees these read-only.
  std::vector<std::filesystem::path> prefixes;
  std::string warning;  // e.g. the local version differs from the runtime's
  std::string error;    // the interpreter cannot be found
};

struct InstanceCommand {
  std::vector<std::string> argv;
  std::string path_dirs;   // prepended to PATH: where the interpreter lives
  std::string error_type;  // set when the instance cannot be started at all
  std::string error_message;
};

class RuntimeResolver {
 public:
  // `shim_dir` is where the runtime shims are (LAMBDA_RUNTIME_DIR's parent); `env` is where
  // interpreters are looked for.
  explicit RuntimeResolver(std::filesystem::path shim_dir,
                           SearchEnvironment env = SearchEnvironment::current());

  const ResolvedRuntime& resolve(const std::string& runtime);
  InstanceCommand command(const std::string& runtime, const std::filesystem::path& task_root);
  // LAMBDA_RUNTIME_DIR for this runtime.
  std::filesystem::path runtime_dir(const std::string& runtime) const;

 private:
  std::filesystem::path shim_dir_;
  SearchEnvironment env_;
  std::map<std::string, ResolvedRuntime> cache_;
};

}  // namespace fx::runtimes
