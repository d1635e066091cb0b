#include "core/secrets/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/util/error.h"

namespace fx::secrets {

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw Error("the system's random number generator failed");
  return out;
}

std::string read_key(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string key(kKeyBytes + 1, '\0');
  ssize_t n = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(kKeyBytes))
    throw Error(fmt::format("{} is not a key fx wrote ({} bytes instead of {})", path.string(),
                            n < 0 ? 0 : n, kKeyBytes),
                "restore it from a backup; without it the stored SecureString parameters and "
                "secrets cannot be read (delete it and secrets.db to start afresh)");
  key.resize(kKeyBytes);
  return key;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

KeyFile::KeyFile(const std::filesystem::path& path) : path_(path) {
  key_ = read_key(path);
  if (!key_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  // O_EXCL: when two fx processes start at once, one writes the key and the other reads it.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      for (int i = 0; i < 50 && key_.empty(); ++i) {
        try {
          key_ = read_key(path);
        } catch (const Error&) {  // the other process is still writing it
          ::usleep(10000);
        }
      }
      if (!key_.empty()) return;
      key_ = read_key(path);
      return;
    }
    throw Error(fmt::format("cannot create the secrets' key file {}: {}", path.string(),
                            std::strerror(errno)),
                "check that FX_HOME is writable");
  }
  std::string key = random_bytes(kKeyBytes);
  const bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  ::fchmod(fd, 0600);
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    throw Error(fmt::format("cannot write the secrets' key file {}", path.string()),
                "check the free space and permissions of FX_HOME");
  }
  key_ = std::move(key);
}

std::string KeyFile::seal(std::string_view plaintext) const {
  std::string nonce = random_bytes(kNonceBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out = nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes;
  int len = 0, total = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), dst, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1)
    throw Error("AES-256-GCM encryption failed");
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), dst + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          dst + total + len) != 1)
    throw Error("AES-256-GCM encryption failed");
  return out;
}

std::string KeyFile::open(std::string_view sealed) const {
  if (sealed.size() < kNonceBytes + kTagBytes)
    throw Error("a stored secret is damaged (too short to be one fx sealed)");
  const std::size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()),
                         reinterpret_cast<const unsigned char*>(sealed.data())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), dst, &len,
                        reinterpret_cast<const unsigned char*>(sealed.data()) + kNonceBytes,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), dst + len, &len) != 1)
    throw Error(
        fmt::format("a stored secret cannot be decrypted with the key in {}", path_.string()),
        "the key file was replaced or the store changed on disk; restore the key");
  return out;
}

}  // namespace fx::secrets
