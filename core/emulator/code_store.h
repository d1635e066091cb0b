// Uploaded function code, stored by content: FX_HOME/code/<sha256>.zip and the unpacked
// task root FX_HOME/code/<sha256>/, shared by every function with the same bundle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace fx::emulator {

struct StoredCode {
  std::string sha256_hex;
  std::string code_sha256;  // base64, as Lambda's CodeSha256
  std::int64_t size = 0;
  std::filesystem::path zip;
  std::filesystem::path dir;  // the task root
};

class CodeStore {
 public:
  explicit CodeStore(std::filesystem::path root);
  // Stores and unpacks a zip. Throws fx::Error when it is not a valid zip, or an entry
  // would land outside the task root.
  StoredCode put(std::string_view zip_bytes);
  // The stored code for a SHA-256 (hex), unpacking again if the folder went missing.
  StoredCode get(const std::string& sha256_hex);

 private:
  void unpack(const std::filesystem::path& zip, const std::filesystem::path& dir);
  std::filesystem::path root_;
};

}  // namespace fx::emulator
