// Hashes and encodings (OpenSSL underneath).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fx::util {

std::string md5_hex(std::string_view data);  // SQS's MD5OfMessageBody and the like
std::string sha256_hex(std::string_view data);
std::string sha256_raw(std::string_view data);  // 32 bytes
std::string sha256_file_raw(const std::filesystem::path& path);
std::string hmac_sha256_raw(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Throws fx::Error on malformed input.
std::string base64_decode(std::string_view text);

}  // namespace fx::util
