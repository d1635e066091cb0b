// How an instance of each runtime is started: the interpreter (found by the registry's
// discovery rule and resolved once to its real executable, so a pyenv or nvm shim's 60-90 ms
// is not paid at every cold start) and the runtime shim from templates/runtimes/, or the
// bundle's own `bootstrap`.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/runtimes/discovery.h"

namespace fx::runtimes {

struct ResolvedRuntime {
  std::filesystem::path interpreter;  // empty for custom runtimes
  std::string version;                // "3.11", "20": as the runtime id names it
  std::string full_version;           // "3.11.7", "20.11.0": as the interpreter reports it
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

  // The interpreter for `runtime`: `interpreter` when one is named (custom.fx.interpreters,
  // checked: it must answer as the runtime's version), else discovery's. Asked once per
  // resolver and answer: later calls (every cold start) read the cache. An answer that found
  // no interpreter is asked again a few seconds later, never kept for good: a probe can fail
  // on a machine too busy to start the interpreter in time, or while it is being installed.
  const ResolvedRuntime& resolve(const std::string& runtime, const std::string& interpreter = {});
  InstanceCommand command(const std::string& runtime, const std::filesystem::path& task_root,
                          const std::string& interpreter = {});
  // How long an answer that found no interpreter is kept (tests shorten it).
  void retry_failed_after(std::chrono::milliseconds wait) { retry_failed_after_ = wait; }
  // LAMBDA_RUNTIME_DIR for this runtime.
  std::filesystem::path runtime_dir(const std::string& runtime) const;

 private:
  std::filesystem::path shim_dir_;
  SearchEnvironment env_;
  std::map<std::pair<std::string, std::string>, ResolvedRuntime> cache_;
  // When an answer that found nothing was cached: it is asked again after retry_failed_after_.
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> failed_at_;
  std::chrono::milliseconds retry_failed_after_{3000};

  ResolvedRuntime discover(const std::string& runtime);
  ResolvedRuntime named(const std::string& runtime, const std::string& interpreter);
  // What `executable` says it is, or nothing when it does not answer the family's probe.
  std::optional<ResolvedRuntime> probe(const std::string& runtime,
                                       const std::filesystem::path& executable);
};

// What a function on `runtime` is told at each deploy (CreateFunction, the updates: FxWarnings,
// which `fx deploy`, `fx info` and GetFunction show): the interpreter it runs on when not the
// runtime's version, none found, Lambda's deprecation of the runtime. Throws
// InvalidInterpreter when `interpreter` (custom.fx.interpreters) cannot run it.
struct InvalidInterpreter : std::runtime_error {
  using std::runtime_error::runtime_error;
};
std::vector<std::string> deploy_warnings(RuntimeResolver& resolver, const std::string& runtime,
                                         const std::string& interpreter, const std::string& today);

}  // namespace fx::runtimes
