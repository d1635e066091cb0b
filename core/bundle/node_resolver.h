// Resolving a handler's imports with Node's algorithm (extensions, index files, node_modules
// walk-up, package.json main/exports/imports): every file a function can load, the
// package.json files Node reads at runtime, and whole packages (or directories) that load files
// by computed names.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/bundle/links.h"

namespace fx::bundle::node {

// A file the bundle keeps and why.
struct KeptFile {
  std::filesystem::path source;  // absolute file on disk
  std::string archive_path;      // relative to the service root, '/'-separated
  std::string reason;            // "handler", "import chain: handler.js → lib/db.js → pg", ...
};

// The result of following a handler's imports.
struct Graph {
  std::vector<KeptFile> files;     // unique, sorted by archive_path
  std::vector<std::string> notes;  // computed requires, unresolved imports, excluded packages
  // Specifiers not resolved to files: builtins ("fs", "node:path"), packages the Lambda
  // runtime provides (@aws-sdk/* on nodejs18.x and later) and missing ones; unique, sorted.
  std::vector<std::string> builtins_or_missing;
  // Symlinks out of the service folder that resolution or a copied package met and did not
  // follow (what they lead to is treated as absent), sorted by path.
  std::vector<OutsideLink> skipped_links;
};

// How `follow` resolves and what it leaves out.
struct Options {
  // Export-map conditions that may match; "import" is dropped for require and "require" for
  // import. "default" always matches. Where "module-sync" (Node 20.19+, 22.12+) picks a
  // different file than without it, both are kept: a Lambda runtime may be either side.
  std::vector<std::string> conditions = {"node", "require", "import", "module-sync", "default"};
  bool exclude_dev_dependencies = true;  // packages only in the root devDependencies
  // Links out of the service root that may be followed (paths relative to it, e.g.
  // "node_modules/mylib" for an `npm link`ed package that package.patterns names).
  std::vector<std::string> allowed_links;
  // The Lambda runtime the bundle is for: what it provides (core/runtimes/registry.h, the AWS
  // SDK v3 on nodejs18.x and later) resolves without a file and without a note.
  std::string runtime = "nodejs22.x";
};

// Follows imports from the handler module (e.g. "src/app" for handler "src/app.main": tries
// src/app.js, .mjs, .cjs, then src/app/index.js) inside service_root. A symlink that leaves the
// root (and is not in options.allowed_links) is not followed: it lands in skipped_links. Throws
// fx::Error naming the paths tried when the handler file is not found, and for a symlink loop.
Graph follow(const std::filesystem::path& service_root, const std::string& handler_module_path,
             const Options& options = {});

// True for a Node builtin module name ("fs", "fs/promises", any "node:..." specifier).
bool is_builtin(std::string_view specifier);

}  // namespace fx::bundle::node
