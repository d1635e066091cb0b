// Packages of a runtime's SDK that a function imports beyond those fx installs for every
// function of the runtime (the registry's list): Lambda's nodejs18.x and later have every
// @aws-sdk/* package, fx installs a dozen at the emulator's first Node function, and installs
// any other one a deployed function imports, once, at the deploy that first needs it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fx::emulator {

struct SdkPackageNeed {
  std::string package;   // "@aws-sdk/client-sts"
  std::string function;  // the manifest key of a function that imports it, for messages
  std::string runtime;   // its runtime: "nodejs22.x"
};

// Installs, from npm and into `sdk_root` (FX_HOME/sdk), each needed package the runtime's SDK
// provides on Lambda that is neither in fx's list nor installed yet; each goes into a folder
// of its own under runtime_sdk_extra_folder() and is linked into its node_modules, which
// instances of the runtime find after the SDK's own folder. Says so on stderr for each
// package it installs. Throws fx::Error naming the package when npm cannot install it.
void install_sdk_packages(const std::filesystem::path& sdk_root,
                          const std::vector<SdkPackageNeed>& needs);

}  // namespace fx::emulator
