// Uploaded function and layer code, stored by content: FX_HOME/code/<sha256>.zip and the
// unpacked task root FX_HOME/code/<sha256>/, shared by every function with the same bundle.
//
// Uploads are hostile until unpacked: sizes in zip headers are never trusted (entries are
// streamed in chunks and the bytes actually written are counted), every entry name is
// checked before anything is written, and a failed unpack leaves nothing behind.
//
// Thread safety: a CodeStore holds no mutable state, only the root path; put() and get() may
// run at once on any threads (and in other processes on the same FX_HOME). Each unpack fills
// a private temporary folder and renames it into place; a folder already complete is never
// removed or rewritten, so two puts of the same bytes at once both succeed and a get() for
// code being used stays valid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace fx::emulator {

// Lambda's cap on a zip uploaded directly (not through S3).
inline constexpr std::uint64_t kMaxZippedBytes = 52428800;
// Lambda's cap on the unzipped code of a function plus all its layers.
inline constexpr std::uint64_t kMaxUnzippedBytes = 262144000;
// Files and folders (named or implied by a path) in one bundle. Large Node bundles hold a few
// tens of thousands of files; at 100,000 libzip's directory costs about 25 MB of memory and
// unpacking takes a few seconds, and zips with more are refused before libzip reads them.
inline constexpr std::uint64_t kMaxEntries = 100000;
// Linux's PATH_MAX: an entry's path, under the task root's own path, with its NUL, must fit
// (on Lambda the root is /var/task; here it is longer, FX_HOME/code/<sha256>).
inline constexpr std::size_t kMaxPathBytes = 4096;
// Linux's NAME_MAX, for each name in a path.
inline constexpr std::size_t kMaxNameBytes = 255;
// Names in a path. std::filesystem's recursive walks (read-only marking, removal, layer
// merging) hold one open descriptor per level, so depth must stay far below the fd limit.
inline constexpr std::size_t kMaxDepth = 128;

// What one upload may cost. Errors name Lambda's totals, not what is left of them.
struct CodeLimits {
  std::uint64_t max_zipped = kMaxZippedBytes;
  std::uint64_t max_unzipped = kMaxUnzippedBytes;  // function code plus its layers
  std::uint64_t unzipped_used = 0;                 // by the function's layers, already counted
  // The API operation a too-large zip is answered for ("CreateFunction",
  // "UpdateFunctionCode", "PublishLayerVersion"), as Lambda names it in its 413.
  std::string operation = "CreateFunction";
};

struct StoredCode {
  std::string sha256_hex;
  std::string code_sha256;         // base64, as Lambda's CodeSha256
  std::int64_t size = 0;           // zipped bytes
  std::int64_t unzipped_size = 0;  // bytes of the unpacked files (Lambda's unzipped size)
  std::filesystem::path zip;
  std::filesystem::path dir;  // the task root
};

class CodeStore {
 public:
  explicit CodeStore(std::filesystem::path root);
  // Stores and unpacks a zip. Throws fx::lambda::ApiError with Lambda's status, type and
  // message: 413 RequestEntityTooLargeException over limits.max_zipped, 400
  // InvalidParameterValueException when it is empty, not a zip, over the unzipped budget, or
  // holds an entry that cannot be unpacked safely (the message says which and why).
  StoredCode put(std::string_view zip_bytes, const CodeLimits& limits = {}) const;
  // The stored code for a SHA-256 (hex), unpacking it again under `limits` if the folder went
  // missing. Throws ApiError: 400 for a malformed SHA-256, 404 for code not stored, and as
  // put() for code over the limits.
  StoredCode get(std::string_view sha256_hex, const CodeLimits& limits = {}) const;

 private:
  StoredCode finish(const std::string& hex, std::string_view zip_bytes,
                    const CodeLimits& limits) const;
  std::filesystem::path root_;
};

}  // namespace fx::emulator
