#include "core/emulator/instance_sandbox.h"

#include <unistd.h>

#include <fmt/format.h>

#include "core/emulator/pool.h"

namespace fx::emulator {

namespace {

// The services the emulator serves, one line each: an instance gets an
// AWS_ENDPOINT_URL_<SERVICE> for these only, so a call to any other service goes where the SDK
// would send it on Lambda, and fails there as it would.
constexpr std::string_view kServedServices[] = {
    "LAMBDA", "SQS", "DYNAMODB", "DYNAMODB_STREAMS", "SSM", "SECRETS_MANAGER", "SNS", "S3",
};

}  // namespace

std::span<const std::string_view> served_services() {
  return kServedServices;
}

InstanceLaunch plan_instance(const InstanceSetup& setup) {
  const FunctionSpec& spec = *setup.spec;
  const auto& cfg = spec.config;
  auto cmd = setup.command;
  const bool fx_shim = setup.fx_shim;
  const bool provisioned = setup.provisioned;
  InstanceLaunch launch;
  // In a sandbox the instance sees Lambda's own layout: its code at /var/task, its layers at
  // /opt, the runtime at /var/runtime. Without one, the host's folders themselves.
  const bool sandboxed = !setup.sandbox_root.empty();
  const std::filesystem::path& host_runtime_dir = setup.host_runtime_dir;
  const std::filesystem::path task_root = sandboxed ? "/var/task" : spec.code_dir;
  const std::filesystem::path runtime_dir = sandboxed ? "/var/runtime" : host_runtime_dir;
  const std::filesystem::path opt_dir = spec.opt_dir.empty() ? std::filesystem::path()
                                        : sandboxed          ? "/opt"
                                                             : spec.opt_dir;
  if (sandboxed) {
    // The command names host paths: the same files, where the sandbox shows them.
    auto inside = [&](std::string& arg) {
      for (const auto& [host, in] :
           {std::pair{spec.code_dir, task_root}, std::pair{host_runtime_dir, runtime_dir}}) {
        const std::string prefix = host.string() + "/";
        if (arg.starts_with(prefix)) arg = (in / arg.substr(prefix.size())).string();
      }
    };
    for (auto& arg : cmd.argv) inside(arg);
  }
  std::vector<std::string> env = {
      "_HANDLER=" + cfg.handler,
      fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", setup.runtime_api_port),
      "LAMBDA_TASK_ROOT=" + task_root.string(),
      "LAMBDA_RUNTIME_DIR=" + runtime_dir.string(),
      "AWS_LAMBDA_FUNCTION_NAME=" + cfg.function_name,
      fmt::format("AWS_LAMBDA_FUNCTION_MEMORY_SIZE={}", cfg.memory_size),
      "AWS_LAMBDA_FUNCTION_VERSION=" + cfg.version,
      provisioned ? "AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency"
                  : "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
      "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + cfg.function_name,
      "AWS_LAMBDA_LOG_STREAM_NAME=" + setup.log_stream,
      "AWS_REGION=" + spec.region,
      "AWS_DEFAULT_REGION=" + spec.region,
      "AWS_EXECUTION_ENV=AWS_Lambda_" + cfg.runtime,
      "TZ=:UTC",
      "LANG=en_US.UTF-8",
      "PATH=" + (cmd.path_dirs.empty() ? "" : cmd.path_dirs + ":") +
          "/usr/local/bin:/usr/bin:/bin" +
          (opt_dir.empty() ? "" : ":" + (opt_dir / "bin").string()),
      "LD_LIBRARY_PATH=" + (task_root / "lib").string() +
          (opt_dir.empty() ? "" : ":" + (opt_dir / "lib").string()),
  };
  if (const auto* services = setup.services) {
    // As Lambda gives its functions the credentials of their role, and as SDKs take them.
    env.push_back("AWS_ACCESS_KEY_ID=" + services->credentials.access_key_id);
    env.push_back("AWS_SECRET_ACCESS_KEY=" + services->credentials.secret_access_key);
    env.push_back("AWS_SESSION_TOKEN=" + services->credentials.session_token);
    for (auto service : served_services())
      env.push_back(fmt::format("AWS_ENDPOINT_URL_{}={}", service, services->endpoint_url));
    // A sandboxed instance sees no home of the user's (its own is /tmp); one without a sandbox
    // runs as the user, and its SDK would read ~/.aws: profiles, endpoints, credential
    // processes of the user's real accounts.
    if (!sandboxed)
      for (const char* file : {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"})
        env.push_back(fmt::format("{}=/dev/null", file));
  }
  for (const auto& [k, v] : cfg.environment) {
    // The function's own variables win over ours except for the Runtime API's plumbing.
    std::string prefix = k + "=";
    std::erase_if(env, [&](const std::string& e) {
      return e.starts_with(prefix) && k != "AWS_LAMBDA_RUNTIME_API" && k != "_HANDLER";
    });
    if (k != "AWS_LAMBDA_RUNTIME_API" && k != "_HANDLER") env.push_back(prefix + v);
  }

  util::SpawnOptions& opts = launch.options;
  opts.argv = cmd.argv;
  // The runtime shims add the layers' python/, nodejs/node_modules/ and ruby/lib/ folders to
  // their import paths, as Lambda's runtimes do for /opt (argv, because the environment must
  // stay exactly Lambda's).
  if (!opt_dir.empty() && fx_shim) {
    opts.argv.push_back("--opt");
    opts.argv.push_back(opt_dir.string());
  }
  // The SDK the runtime provides: after the code and the layers, as Lambda's runtimes have it
  // (a bundle's own copy wins). Where the sandbox shows it, as /var/runtime/node_modules is.
  const runtimes::ProvidedSdk* sdk = runtimes::provided_sdk(cfg.runtime);
  const std::filesystem::path sdk_dir = setup.sdk_dir.empty() || !sdk || !fx_shim
                                            ? std::filesystem::path()
                                        : sandboxed ? runtime_dir / sdk->runtime_folder
                                                    : setup.sdk_dir;
  if (!sdk_dir.empty()) {
    opts.argv.push_back("--sdk");
    opts.argv.push_back(sdk_dir.string());
  }
  const std::filesystem::path sdk_extra_dir =
      sdk_dir.empty() || setup.sdk_extra_dir.empty() ? std::filesystem::path()
      : sandboxed                                    ? runtime_dir / "sdk-extra" / "node_modules"
                                                     : setup.sdk_extra_dir;
  if (!sdk_extra_dir.empty()) {
    opts.argv.push_back("--sdk-extra");
    opts.argv.push_back(sdk_extra_dir.string());
  }
  util::SandboxSpec& sandbox = launch.sandbox;
  if (sandboxed) {
    sandbox.staging = setup.sandbox_root;
    sandbox.cwd = task_root;
    sandbox.tmp_mb = cfg.ephemeral_storage_mb;
    sandbox.read_only = util::system_mounts();
    auto covered = [&](const std::filesystem::path& p) {
      for (const auto& [src, dst] : sandbox.read_only) {
        auto rel = p.lexically_relative(dst);
        if (!rel.empty() && *rel.begin() != "..") return true;
      }
      return false;
    };
    if (fx_shim)
      for (const auto& prefix : setup.prefixes)
        if (!covered(prefix)) sandbox.read_only.emplace_back(prefix, prefix);
    // /etc/passwd and /etc/group with the sandbox's user and group (see pool_options).
    for (const char* file : {"passwd", "group"})
      if (std::filesystem::exists(setup.sandbox_root.parent_path() / file))
        sandbox.read_only.emplace_back(setup.sandbox_root.parent_path() / file,
                                       std::filesystem::path("/etc") / file);
    sandbox.read_only.emplace_back(host_runtime_dir, runtime_dir);
    if (!sdk_dir.empty()) sandbox.read_only.emplace_back(setup.sdk_dir, sdk_dir);
    if (!sdk_extra_dir.empty())
      sandbox.read_only.emplace_back(setup.sdk_extra_dir.parent_path(),
                                     sdk_extra_dir.parent_path());
    sandbox.read_only.emplace_back(spec.code_dir, task_root);
    if (!opt_dir.empty()) sandbox.read_only.emplace_back(spec.opt_dir, opt_dir);
  } else {
    // Where the emulator may (root), the layers are also at /opt itself, as on Lambda, in the
    // instance's own mount namespace.
    if (!spec.opt_dir.empty() && ::geteuid() == 0 && std::filesystem::is_directory("/opt"))
      opts.bind_mounts.emplace_back(spec.opt_dir, "/opt");
    // The task root is read-only on Lambda. The code store takes the write bits off, which
    // binds everyone but root; for root, a read-only bind mount of the folder onto itself.
    if (::geteuid() == 0) {
      opts.bind_mounts.emplace_back(spec.code_dir, spec.code_dir);
      // Its own /tmp, as every Lambda instance has: ephemeralStorageSize (512 MB by default,
      // as on Lambda), invisible to other instances, gone with the instance. Not when the
      // instance's own files live under /tmp (an FX_HOME there): the tmpfs would hide them.
      auto under_tmp = [](const std::string& p) { return p.starts_with("/tmp/"); };
      bool needs_tmp = under_tmp(spec.code_dir.string()) || under_tmp(spec.opt_dir.string());
      for (const auto& a : opts.argv) needs_tmp |= under_tmp(a);
      if (!needs_tmp) opts.private_tmp_mb = cfg.ephemeral_storage_mb;
    }
  }
  opts.env = std::move(env);
  opts.cwd = spec.code_dir;
  opts.new_process_group = true;
  opts.capture_output = true;
  launch.sandboxed = sandboxed;
  return launch;
}

}  // namespace fx::emulator
