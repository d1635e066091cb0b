// Which target a command's calls go to, from --target, custom.fx.target and the region: the
// local emulator, a remote fx emulator by URL, or AWS. core/targets/target.h opens it (and
// finds or starts the local emulator).
#pragma once

#include <string>

#include "core/lambda/client.h"

namespace fx::manifest {
struct Service;
}

namespace fx::actions {

struct TargetOptions {
  TargetOptions(std::string target_, std::string region_, bool start_local_ = false,
                std::string profile_ = {}, bool region_explicit_ = true)
      : target(std::move(target_)),
        region(std::move(region_)),
        start_local(start_local_),
        profile(std::move(profile_)),
        region_explicit(region_explicit_) {}
  std::string target;  // "", "local", "aws" or "http(s)://HOST:PORT"
  std::string region;
  bool start_local = false;  // start the local emulator when none is running
  // --profile, for aws. "{}" keeps the older 3-field initializers -Wextra clean.
  std::string profile{};
  // For aws: whether `region` was chosen (--region, provider.region); when not, AWS_REGION
  // and the profile's region come first.
  bool region_explicit = true;
};

// The options every command resolves its target with: --target, else the manifest's
// custom.fx.target; --region, else the manifest's region (`service` may be null: no manifest).
TargetOptions target_options(const std::string& target_flag, const std::string& region_flag,
                             const std::string& profile, const manifest::Service* service,
                             bool start_local = false);

struct ResolvedTarget {
  // For the local emulator, url is empty (it is found, or started, when the target is
  // opened) and token holds FX_TOKEN when that is set.
  lambda::Endpoint endpoint;
  bool local = false;
  bool aws = false;  // AWS itself: endpoint.aws holds the credentials and region
};

// Throws fx::Error when the target is unknown, or AWS without credentials or a region.
ResolvedTarget resolve_target(const TargetOptions& options);

}  // namespace fx::actions
