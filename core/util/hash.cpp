#include "core/util/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fstream>
#include <memory>

#include "core/util/error.h"

namespace fx::util {

namespace {

// EVP_EncodeBlock/EVP_DecodeBlock take int lengths; chunks keep large payloads (zips sent
// as base64 in JSON) within range. Both sizes are whole base64 quanta.
constexpr std::size_t kEncodeChunk = 3 * (1 << 20);
constexpr std::size_t kDecodeChunk = 4 * (1 << 20);

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

}  // namespace

std::string md5_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) != 1)
    throw Error("MD5 failed (OpenSSL)");
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string sha256_raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 failed (OpenSSL)");
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256_raw(data));
}

std::string sha256_file_raw(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error("cannot read " + path.string(), "check that the file exists and is readable");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 failed (OpenSSL)");
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0 &&
        EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount())) != 1)
      throw Error("SHA-256 failed (OpenSSL)");
  }
  if (in.bad()) throw Error("cannot read " + path.string());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) throw Error("SHA-256 failed (OpenSSL)");
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string hmac_sha256_raw(std::string_view key, std::string_view data) {
  // OpenSSL rejects a null key pointer even with length 0; an empty key is a valid HMAC key.
  static const unsigned char kEmpty = 0;
  const unsigned char* key_ptr = key.empty() ? &kEmpty : bytes_of(key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), bytes_of(data), data.size(), md,
            &len))
    throw Error("HMAC-SHA256 failed (OpenSSL)");
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  // Sized by the input: a fixed chunk-sized buffer would zero-fill megabytes for a few bytes.
  std::string block(std::min(bytes.size(), kEncodeChunk) / 3 * 4 + 5,
                    '\0');  // +NUL, partial quantum
  for (std::size_t pos = 0; pos < bytes.size(); pos += kEncodeChunk) {
    std::string_view chunk = bytes.substr(pos, kEncodeChunk);
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(block.data()), bytes_of(chunk),
                            static_cast<int>(chunk.size()));
    out.append(block.data(), static_cast<std::size_t>(n));
  }
  return out;
}

std::string base64_decode(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  text = text.substr(first, text.find_last_not_of(kSpace) - first + 1);

  // EVP_DecodeBlock is lenient (inner whitespace, '=' anywhere), so validate first.
  auto invalid = [] {
    return Error("invalid base64 data", "expected standard base64 (A-Z a-z 0-9 + /, '=' padding)");
  };
  if (text.size() % 4 != 0) throw invalid();
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  if (!std::all_of(text.begin(), text.end() - static_cast<std::ptrdiff_t>(padding), is_base64_char))
    throw invalid();

  std::string out;
  std::string block(std::min(text.size(), kDecodeChunk) / 4 * 3 + 3, '\0');
  for (std::size_t pos = 0; pos < text.size(); pos += kDecodeChunk) {
    std::string_view chunk = text.substr(pos, kDecodeChunk);
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(block.data()), bytes_of(chunk),
                            static_cast<int>(chunk.size()));
    if (n < 0) throw invalid();
    out.append(block.data(), static_cast<std::size_t>(n));
  }
  // EVP_DecodeBlock decodes padding as zero bytes.
  out.resize(out.size() - padding);
  return out;
}

}  // namespace fx::util
