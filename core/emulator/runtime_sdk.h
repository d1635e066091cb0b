// The SDK each Lambda runtime provides its functions (the registry's `provides`: boto3 for
// Python, the AWS SDK for JavaScript v3 for nodejs18.x and later), installed once into
// FX_HOME/sdk: Python's copied from the host interpreter's own boto3 and what it requires,
// Node's from npm at the version the registry names. Installing runs on a thread of its own,
// never the emulator's I/O thread; instances of a runtime whose SDK is being installed wait for
// it, and when it cannot be installed they start without it, and the emulator says once why.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/runtimes/registry.h"
#include "core/util/worker.h"

namespace fx::emulator {

struct RuntimeSdk {
  enum class Status { none, installing, ready, failed };
  Status status = Status::none;
  // ready: the folder an instance finds it in (Python: a folder for sys.path; Node: a
  // node_modules folder).
  std::filesystem::path dir;
  std::string problem;  // failed: what went wrong and what to do, in one line
};

// Installs `sdk` into `dir` (a folder of its own, made here) with `interpreter` (a Python that
// has boto3; unused for npm), waiting for it: the installer thread's job, and what unit tests
// call. `stop` ends an install in progress (the emulator is stopping). Another process
// installing the same folder (emulators sharing FX_HOME/sdk) is waited for, not repeated.
RuntimeSdk install_runtime_sdk(const runtimes::ProvidedSdk& sdk, const std::filesystem::path& dir,
                               const std::filesystem::path& interpreter,
                               const std::atomic<bool>& stop);

// The folder an installed SDK is kept in under FX_HOME/sdk: "python/3.11" (one per interpreter
// version, as its bytecode is), "node/3.1178.0-<hash of the package list>" (one per SDK version and
// list); empty when fx does not install this runtime's SDK.
std::filesystem::path runtime_sdk_folder(const runtimes::ProvidedSdk& sdk,
                                         const std::string& interpreter_version);

// What npm's log at `log` says failed, in one line ("ENOTFOUND: request to ... failed").
std::string npm_log_failure(const std::filesystem::path& log);

// The folder, under FX_HOME/sdk, that holds the packages of `sdk` installed one by one beyond
// its list (sdk_packages.h): "node/3.1178.0-extra"; empty for an SDK that has none.
std::filesystem::path runtime_sdk_extra_folder(const runtimes::ProvidedSdk& sdk);

class RuntimeSdks {
 public:
  // `root` is FX_HOME/sdk; `post` runs a job on the I/O thread.
  RuntimeSdks(std::filesystem::path root, std::function<void(std::function<void()>)> post);
  ~RuntimeSdks();
  RuntimeSdks(const RuntimeSdks&) = delete;
  RuntimeSdks& operator=(const RuntimeSdks&) = delete;

  // The SDK of `runtime`, whose instances `interpreter` (of `version`) runs. The first call
  // starts its installation (`installing`); the settled callbacks then run on the I/O thread.
  // Called on the I/O thread only.
  const RuntimeSdk& find(const std::string& runtime, const std::filesystem::path& interpreter,
                         const std::string& version);
  // The node_modules folder of the packages of `runtime`'s SDK installed beyond its list at
  // deploy (sdk_packages.h); empty when there is none yet.
  std::filesystem::path extra_dir(const std::string& runtime) const;
  // Called on the I/O thread each time an installation ends, ready or failed.
  void on_settled(std::function<void()> callback) { settled_.push_back(std::move(callback)); }

 private:
  std::filesystem::path root_;
  std::function<void(std::function<void()>)> post_;
  std::map<std::filesystem::path, RuntimeSdk> sdks_;  // by folder under root_
  std::vector<std::function<void()>> settled_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::atomic<bool> stop_{false};
  util::Worker worker_;  // last: joined before the members its job uses go
};

}  // namespace fx::emulator
