// Packaging: which files go into a function's bundle (plan), and the deterministic zip that
// holds them (artifact). Minimization (import graphs, stripping) replaces plan_bundle's
// "collect everything not excluded" step later; write_zip and the Artifact stay as they are.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/service.h"

namespace fx::bundle {

struct PlannedFile {
  std::string archive_path;             // path inside the zip, '/'-separated, relative
  std::filesystem::path source;         // file on disk
  std::uint64_t size = 0;
  bool executable = false;
  std::string reason;                   // why it is in: "service file", "pattern 'x/**'", ...
};

struct BundlePlan {
  std::string function;  // the function's manifest key
  std::vector<PlannedFile> files;  // sorted by archive_path
  std::uint64_t files_in = 0;      // files considered (the service folder minus default excludes)
  std::uint64_t bytes_in = 0;
};

struct Artifact {
  std::string function;            // manifest key
  std::filesystem::path zip_path;  // .fx/build/<key>.zip
  std::string sha256_hex;
  std::string code_sha256;         // base64 of the SHA-256, as Lambda's CodeSha256
  std::uint64_t files_in = 0, files_out = 0, bytes_in = 0, bytes_out = 0, zip_bytes = 0;
};

// The files a function's bundle holds: every file of the service folder not excluded by the
// default excludes, package.patterns / include / exclude (service then function level).
BundlePlan plan_bundle(const manifest::Service& service, const manifest::Function& function);

// Writes the planned files as a zip with sorted entries, a fixed timestamp (1980-01-01) and
// fixed permissions (0644, 0755 for executables), so equal inputs give equal bytes.
// Writes to a temporary file and renames, so a half-written zip is never seen.
Artifact write_zip(const BundlePlan& plan, const std::filesystem::path& zip_path);

// Hashes and counts an existing zip (a package.artifact) where it is, without rewriting it.
Artifact inspect_zip(const std::string& function, const std::filesystem::path& zip_path);

// plan_bundle + write_zip into SERVICE/.fx/build/<key>.zip (or the package.artifact as is).
Artifact package_function(const manifest::Service& service, const manifest::Function& function);

// Glob matching as the Serverless Framework's package.patterns: '*' within a segment,
// '**' across segments, '?' one character, "dir/" style prefixes.
bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace fx::bundle
