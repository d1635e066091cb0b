#include "core/manifest/build_plugins.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace fx::manifest {

namespace {

// The build plugins most public projects use that fx does not emulate, with what fx does in
// their place. The function still runs when what fx does covers the plugin's job; where it
// cannot, the text says what to change.
constexpr std::pair<std::string_view, std::string_view> kUnbuilt[] = {
    {"serverless-bundle",
     "fx packages each function with its own import graph instead (TypeScript handlers with "
     "esbuild); its webpack/babel settings are not applied"},
    {"serverless-plugin-optimize",
     "fx ships the files the handler's imports reach instead of a browserified, minified bundle"},
    {"serverless-jetpack",
     "fx ships the files the handler's imports reach (node_modules traced the same way) instead"},
    {"serverless-plugin-include-dependencies",
     "fx ships the files the handler's imports reach, node_modules included, instead"},
    {"serverless-plugin-common-excludes", "fx applies its own default excludes instead"},
    {"serverless-package-external",
     "fx does not copy folders from outside the service; link them in and name the link in "
     "package.patterns"},
    {"serverless-plugin-monorepo",
     "fx does not link the workspace's hoisted node_modules; a package fx cannot find in the "
     "service folder's node_modules stops the packaging with its name"},
    {"serverless-rust",
     "fx does not build Rust: build the bootstrap yourself (cargo lambda build) and ship it with "
     "package.artifact or runtime provided.al2"},
    {"serverless-go-build",
     "fx does not build Go: build the bootstrap yourself (GOOS=linux go build -o bootstrap) and "
     "ship it with runtime provided.al2"},
    {"serverless-go-plugin",
     "fx does not build Go: build the bootstrap yourself (GOOS=linux go build -o bootstrap) and "
     "ship it with runtime provided.al2"},
    {"serverless-plugin-scripts",
     "fx runs no build hooks: run the scripts yourself before fx deploy"},
    {"serverless-scriptable-plugin",
     "fx runs no build hooks: run the scripts yourself before fx deploy"},
    {"serverless-plugin-ncc",
     "fx packages the handler's import graph instead of an ncc build (TypeScript with esbuild)"},
};

}  // namespace

std::optional<std::string> unbuilt_plugin(std::string_view name) {
  auto it = std::find_if(std::begin(kUnbuilt), std::end(kUnbuilt),
                         [&](const auto& entry) { return entry.first == name; });
  if (it == std::end(kUnbuilt)) return std::nullopt;
  return std::string(it->second);
}

}  // namespace fx::manifest
