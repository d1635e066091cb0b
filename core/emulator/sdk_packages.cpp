#include "core/emulator/sdk_packages.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <regex>

#include <fmt/format.h>

#include "core/emulator/runtime_sdk.h"
#include "core/runtimes/registry.h"
#include "core/util/error.h"
#include "core/util/files.h"

namespace fx::emulator {

namespace fs = std::filesystem;

namespace {

bool in_list(const runtimes::ProvidedSdk& sdk, const std::string& package) {
  for (auto p : sdk.packages)
    if (p == package) return true;
  return false;
}

// The package's folder of its own: "@aws-sdk/client-sts" → "aws-sdk+client-sts".
std::string folder_name(const std::string& package) {
  std::string out = package.substr(1);
  for (auto& c : out)
    if (c == '/') c = '+';
  return out;
}

}  // namespace

void install_sdk_packages(const fs::path& sdk_root, const std::vector<SdkPackageNeed>& needs) {
  // An import names what npm installs: only a package of the SDK's own scope, spelled as npm
  // names packages, reaches npm's command line.
  static const std::regex kName("@aws-sdk/[a-z0-9][a-z0-9._-]{0,100}");
  const std::atomic<bool> stop{false};
  for (const auto& need : needs) {
    const runtimes::ProvidedSdk* sdk = runtimes::provided_sdk(need.runtime);
    if (!sdk || in_list(*sdk, need.package)) continue;
    const fs::path extra_folder = runtime_sdk_extra_folder(*sdk);
    if (extra_folder.empty() || !std::regex_match(need.package, kName)) continue;
    std::error_code ec;
    // A dependency of a listed package (@aws-sdk/util-dynamodb of lib-dynamodb) is there too.
    const fs::path listed = sdk_root / runtime_sdk_folder(*sdk, "") / "node_modules";
    if (fs::exists(listed / need.package / "package.json", ec)) continue;
    const fs::path extra = sdk_root / extra_folder;
    const fs::path link = extra / "node_modules" / need.package;
    if (fs::exists(link / "package.json", ec)) continue;

    const fs::path dir = extra / "pkg" / folder_name(need.package);
    fmt::print(stderr,
               "fx: installing {} into {} from npm (once): function '{}' imports it, and "
               "Lambda's {} runtime has it\n",
               need.package, dir.string(), need.function, need.runtime);
    std::fflush(stderr);
    runtimes::ProvidedSdk one = *sdk;
    one.name = need.package;
    one.packages = {need.package};
    RuntimeSdk got = install_runtime_sdk(one, dir, {}, stop);
    const fs::path log = dir.string() + ".log";
    if (got.status != RuntimeSdk::Status::ready &&
        util::read_file(log).find("notarget") != std::string::npos) {
      // Not every package of the SDK is published at the version of its clients.
      one.version = "latest";
      got = install_runtime_sdk(one, dir, {}, stop);
    }
    std::error_code log_ec;
    if (got.status != RuntimeSdk::Status::ready)
      throw Error(fmt::format("cannot install {}, which function '{}' imports, from npm: {}",
                              need.package, need.function,
                              fs::exists(log, log_ec)
                                  ? fmt::format("{} (log: {})", npm_log_failure(log), log.string())
                                  : got.problem),
                  fmt::format("let npm reach its registry and deploy again, or ship the package "
                              "with the function (npm install {} in the service folder)",
                              need.package));
    // Linked where instances look (node_modules/@aws-sdk/NAME), relative so that a sandbox
    // showing the whole folder elsewhere still finds it; a link replaced in one rename.
    fs::create_directories(link.parent_path(), ec);
    const fs::path target =
        fs::path("..") / ".." / "pkg" / folder_name(need.package) / "node_modules" / need.package;
    const fs::path tmp = fmt::format("{}.tmp-{}", link.string(), ::getpid());
    fs::remove(tmp, ec);
    fs::create_symlink(target, tmp, ec);
    if (!ec) fs::rename(tmp, link, ec);
    if (ec)
      throw Error(fmt::format("cannot link {} into {}: {}", need.package,
                              (extra / "node_modules").string(), ec.message()),
                  fmt::format("check that {} is writable", extra.string()));
  }
}

}  // namespace fx::emulator
