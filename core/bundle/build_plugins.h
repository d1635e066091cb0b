// How a Node function's code is built before it is packaged, when the import graph alone
// cannot ship it: a TypeScript handler, or a build plugin the manifest names
// (serverless-esbuild, serverless-plugin-typescript, serverless-webpack) or
// custom.fx.bundler. fx runs the same tools the plugins run (the project's esbuild or
// webpack, or an esbuild it installs once into FX_HOME) with the plugins' documented settings.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/bundle/bundle.h"
#include "core/manifest/service.h"

namespace fx::bundle {

enum class NodeTool { none, esbuild, webpack };

// One esbuild run: the handler's source into one file for Node.
struct EsbuildRun {
  std::string entry;    // the handler's source, from the service folder: "src/handler.ts"
  std::string archive;  // the output's path in the bundle: "src/handler.js"
  bool bundle = true;   // false: node_modules stay outside the output (--packages=external)
  bool minify = false;
  std::string sourcemap;  // "" (none), "linked" (a .map beside the output), "inline"
  std::string target;     // "node20"
  std::string platform = "node";
  std::string format = "cjs";         // or "esm"
  std::vector<std::string> external;  // left out of the output (--external:NAME)
  std::string tsconfig;               // from the service folder; "" lets esbuild find one
};

struct NodeBuild {
  NodeTool tool = NodeTool::none;
  std::string why;  // what asked for the build: "plugin serverless-esbuild", ...
  EsbuildRun esbuild;
  // node_modules packages shipped beside the output (serverless-esbuild's `external`, which
  // its packager would install): each with the packages it depends on.
  std::vector<std::string> packaged;
  std::string webpack_config;  // serverless-webpack: from the service folder
  std::vector<std::string> notes;
};

// Which build a Node function needs (NodeTool::none: the import graph packages it as is).
// Reads the manifest's plugins and their custom settings, tsconfig.json and which handler
// source exists; throws an Error naming the setting for a value fx cannot honour.
// `module` is the handler's file without extension ("src/handler").
NodeBuild node_build_for(const manifest::Service& service, const manifest::Function& function,
                         const std::string& module, const std::filesystem::path& root,
                         const BundleSettings& settings);

// esbuild's command-line arguments for `run` writing `outfile` (argv[0] not included).
std::vector<std::string> esbuild_arguments(const EsbuildRun& run,
                                           const std::filesystem::path& outfile);

// webpack-cli's arguments building `entry` into `out_dir`/`archive` as CommonJS for Node.
std::vector<std::string> webpack_arguments(const std::string& config, const std::string& entry,
                                           const std::filesystem::path& out_dir,
                                           const std::string& archive);

// Runs the build; returns the files the bundle holds for it (the output, its source map, the
// packaged node_modules from `service_files`). Throws an Error with the tool's first error
// and its place (file:line:col) when the build fails.
std::vector<PlannedFile> run_node_build(const manifest::Function& function,
                                        const std::filesystem::path& root, const NodeBuild& build,
                                        const std::vector<PlannedFile>& service_files,
                                        std::vector<std::string>& notes);

// esbuild to run: the project's node_modules/.bin/esbuild, else the one fx installed into
// FX_HOME/tools (installing it from npm the first time). Throws an Error naming what to
// install when npm cannot; `why` says who needs it ("function 'hello' (src/handler.ts)").
std::filesystem::path find_esbuild(const std::filesystem::path& root, const std::string& why);

// The first error of esbuild's log as "file:line:col: message" (or its first line).
std::string esbuild_first_error(const std::string& log);

// tsconfig.json read as TypeScript does (comments and trailing commas allowed); throws an
// Error with file:line:col when it is not JSON.
std::string read_tsconfig(const std::filesystem::path& path);

}  // namespace fx::bundle
