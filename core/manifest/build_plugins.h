// Serverless Framework plugins that change how a function's code is built. Those fx honours
// itself (core/bundle/build_plugins.h) need no word; for the others, what fx does instead,
// so the manifest's warning says it once rather than letting a function fail to start.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fx::manifest {

// What fx does instead of a build plugin it does not run, or nullopt when `name` is not a
// build plugin fx knows of (or is one fx honours).
std::optional<std::string> unbuilt_plugin(std::string_view name);

}  // namespace fx::manifest
