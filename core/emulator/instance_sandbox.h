// How a function instance is started: the command and environment Lambda gives it, and the
// sandbox it runs in (Lambda's layout: its code at /var/task, its layers at /opt, the runtime at
// /var/runtime, a /tmp of its own), or, without a sandbox, the host's folders themselves.
// The pool (pool.cpp) decides when an instance starts; this file decides what it sees.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/emulator/emulator.h"
#include "core/runtimes/resolver.h"
#include "core/util/process.h"
#include "core/util/sandbox.h"

namespace fx::emulator {

struct FunctionSpec;

// The AWS services the emulator's port answers, as SDKs name them in AWS_ENDPOINT_URL_<NAME>:
// an instance's SDK sends their calls to the emulator, and every other service's where it
// would send them on Lambda.
std::span<const std::string_view> served_services();

// What the emulator gives every instance to reach it, as Lambda gives its functions
// credentials: its endpoint and the credentials it accepts (the emulator's own, never the
// user's).
struct InstanceServices {
  std::string endpoint_url;  // "http://127.0.0.1:4599", as an instance reaches the emulator
  InstanceCredentials credentials;
};

// What the pool knows about the instance it is about to start.
struct InstanceSetup {
  const FunctionSpec* spec = nullptr;
  runtimes::InstanceCommand command;            // its argv names host paths
  std::filesystem::path host_runtime_dir;       // the runtime's shim folder on the host
  std::vector<std::filesystem::path> prefixes;  // the interpreter's folders (fx's shims)
  std::filesystem::path sandbox_root;           // empty: no sandbox
  bool fx_shim = false;                         // started through one of fx's runtime shims
  bool provisioned = false;                     // provisionedConcurrency's
  std::uint16_t runtime_api_port = 0;
  std::string log_stream;                      // AWS_LAMBDA_LOG_STREAM_NAME
  const InstanceServices* services = nullptr;  // none: no credentials, no endpoints
  // The SDK the runtime provides (RuntimeSdks), on the host; empty: none. A sandbox shows it
  // under the runtime's folder (the registry's runtime_folder).
  std::filesystem::path sdk_dir;
  // Its packages installed beyond fx's list (sdk_packages.h): a node_modules folder whose
  // entries link into its parent folder, which a sandbox shows whole; empty: none.
  std::filesystem::path sdk_extra_dir;
};

struct InstanceLaunch {
  util::SpawnOptions options;  // argv, environment, cwd, mounts of an unsandboxed instance
  util::SandboxSpec sandbox;   // when sandboxed
  bool sandboxed = false;
};

// The instance's command, environment and sandbox. The caller adds the Runtime API's socket
// pair (options.pass_fd) and starts it with util::spawn_sandboxed or util::spawn_process.
InstanceLaunch plan_instance(const InstanceSetup& setup);

}  // namespace fx::emulator
