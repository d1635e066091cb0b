// Where a command's calls go: the local emulator (started on demand), a remote fx emulator
// by URL, or AWS.
#pragma once

#include <filesystem>
#include <string>

#include "core/lambda/client.h"

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

struct ResolvedTarget {
  lambda::Endpoint endpoint;
  bool local = false;
  bool aws = false;      // AWS itself: endpoint.aws holds the credentials and region
  bool started = false;  // this call started the local emulator
};

// Throws fx::Error when the target is unknown, or local and not running (and not to be
// started), or not yet supported.
ResolvedTarget resolve_target(const TargetOptions& options);

}  // namespace fx::actions
