// Packaging: which files go into a function's bundle (plan), and the deterministic zip that
// holds them (artifact). For Python and Node functions the plan is minimal: only what the
// handler's imports reach, plus what package.patterns force in (core/bundle/*_imports.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bundle/links.h"
#include "core/manifest/service.h"

namespace fx::bundle {

struct PlannedFile {
  std::string archive_path;      // path inside the zip, '/'-separated, relative
  std::filesystem::path source;  // file on disk
  std::uint64_t size = 0;
  bool executable = false;
  std::string reason;  // why it is in: "service file", "pattern 'x/**'", ...
};

struct BundlePlan {
  std::string function;            // the function's manifest key
  std::vector<PlannedFile> files;  // sorted by archive_path
  std::uint64_t files_in = 0;      // files considered: the service folder minus default
  std::uint64_t bytes_in = 0;      // excludes, plus installed dependencies
  bool minimized = false;          // by the import graph (else: every file the patterns leave)
  std::vector<std::string> notes;  // what the graph could not follow, and what it did instead
  // Symlinks out of the service folder that the bundle would have held, left out: one line
  // each, "functions.F: skipped LINK -> TARGET: ...", for `fx: warning:`.
  std::vector<std::string> warnings;
  // Packages the function imports that Lambda's runtime provides and the bundle does not
  // hold ("@aws-sdk/client-sts"): what the target's copy of the runtime SDK must have.
  std::vector<std::string> runtime_packages;
};

// fx's packaging settings from custom.fx.
struct BundleSettings {
  bool minify = true;  // custom.fx.minify
  // custom.fx.bytecode; unset: what minify says. `minify: false` ships the files exactly as
  // they are, so a read-only task root compiles every imported module at each cold start.
  std::optional<bool> bytecode;
  std::string bundler;                   // custom.fx.bundler: "" or "esbuild"
  std::vector<std::string> python_path;  // custom.fx.pythonPath: more import roots
};
BundleSettings bundle_settings(const manifest::Service& service);

// Every file of the service folder that the default excludes leave, walked once and shared
// by every function's plan; `fingerprint` changes when any of them (or an installed
// dependency) changes name, size or modification time.
// Symlinks whose target lies outside the service folder are not walked into: they are listed
// in outside_links, and what a package.patterns line names exactly is walked once into
// linked_files.
struct ServiceFiles {
  std::filesystem::path root;  // canonical service folder
  std::vector<PlannedFile> files;
  std::vector<std::filesystem::path> python_roots;          // import roots after the service folder
  std::vector<std::vector<PlannedFile>> python_root_files;  // each root's files, walked once
  std::vector<std::string> python_root_paths;  // each root's path from the service folder
  std::vector<OutsideLink> outside_links;      // in the service folder, sorted by path
  std::vector<OutsideLink>
      python_root_links;                  // in the import roots (paths from the service folder)
  std::vector<PlannedFile> linked_files;  // behind outside links that some patterns line names
  std::string fingerprint;
};
ServiceFiles collect_service_files(const manifest::Service& service);

struct Artifact {
  std::string function;            // manifest key
  std::filesystem::path zip_path;  // .fx/build/<key>.zip
  std::string sha256_hex;
  std::string code_sha256;  // base64 of the SHA-256, as Lambda's CodeSha256
  std::uint64_t files_in = 0, files_out = 0, bytes_in = 0, bytes_out = 0, zip_bytes = 0;
  bool cached = false;  // reused from the last packaging: nothing changed
  std::vector<std::string> notes;
  std::vector<std::string> warnings;  // BundlePlan::warnings (kept with a reused bundle too)
  std::vector<std::string> runtime_packages;  // BundlePlan::runtime_packages (kept too)
};

// The files a function's bundle holds: every file of the service folder not excluded by the
// default excludes, package.patterns / include / exclude (service then function level).
BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function);
BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function,
                       const ServiceFiles& files);

// Writes the planned files as a zip with sorted entries, a fixed timestamp (1980-01-01) and
// fixed permissions (0644, 0755 for executables), so equal inputs give equal bytes.
// Writes to a temporary file and renames, so a half-written zip is never seen.
Artifact write_zip(const BundlePlan& plan, const std::filesystem::path& zip_path);

// Hashes and counts an existing zip (a package.artifact) where it is, without rewriting it.
Artifact inspect_zip(const std::string& function, const std::filesystem::path& zip_path);

// plan_bundle + write_zip into SERVICE/.fx/build/<key>.zip (or the package.artifact as is).
// A bundle whose inputs did not change since the last packaging is reused without reading
// a file (the inputs' fingerprint is kept next to the zip).
Artifact package_function(const manifest::Service& service, const manifest::Function& function);
Artifact package_function(const manifest::Service& service, const manifest::Function& function,
                          const ServiceFiles& files);

// A top-level layer's zip: every file of its folder, as is, into .fx/build/layer-<key>.zip.
Artifact package_layer(const manifest::Service& service, const manifest::Layer& layer);

// Packages several functions in parallel (one walk of the service folder for all), after
// installing Python requirements when they changed.
struct PackageResult {
  std::vector<Artifact> artifacts;    // in the order of `functions`
  std::vector<std::string> warnings;  // pip could not reach an index; each artifact's warnings
};
PackageResult package_functions(const manifest::Service& service,
                                const std::vector<const manifest::Function*>& functions);

// Glob matching as the Serverless Framework's package.patterns: '*' within a segment,
// '**' across segments, '?' one character, "dir/" style prefixes.
bool glob_match(std::string_view pattern, std::string_view path);

// Whether `pattern` could match a path inside the folder `dir`, or the folder itself.
bool glob_match_below(std::string_view pattern, std::string_view dir);

}  // namespace fx::bundle
