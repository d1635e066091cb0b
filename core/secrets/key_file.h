// Encryption at rest for parameters and secrets: AES-256-GCM (OpenSSL) with a random 256-bit key
// kept in a file of FX_HOME's, created with mode 0600 on first use. A sealed value is
// nonce (12 bytes) | ciphertext | tag (16 bytes); opening checks the tag, so a value changed on
// disk, or sealed with another FX_HOME's key, is refused rather than returned as garbage.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fx::secrets {

class KeyFile {
 public:
  // Reads the key at `path`, or creates it (and its folder) when there is none. Throws
  // fx::Error when it cannot, or when the file is not a key fx wrote.
  explicit KeyFile(const std::filesystem::path& path);

  std::string seal(std::string_view plaintext) const;
  // Throws fx::Error when `sealed` was not sealed with this key or has been changed.
  std::string open(std::string_view sealed) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string key_;  // 32 bytes
};

}  // namespace fx::secrets
