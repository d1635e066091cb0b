#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/util/error.h"
#include "core/util/hash.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::util;

using fx::test::TempDir;

TEST_CASE("sha256 of known vectors", "[util][hash]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_raw("abc").size() == 32);
  CHECK(to_hex(sha256_raw("abc")) == sha256_hex("abc"));
}

TEST_CASE("sha256_file_raw streams a file larger than its buffer", "[util][hash]") {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 200000; ++i) content.push_back(static_cast<char>(i * 7));
  fs::path file = dir.path / "blob";
  std::ofstream(file, std::ios::binary) << content;
  CHECK(sha256_file_raw(file) == sha256_raw(content));

  std::ofstream(dir.path / "empty", std::ios::binary).close();
  CHECK(to_hex(sha256_file_raw(dir.path / "empty")) == sha256_hex(""));
  CHECK_THROWS_AS(sha256_file_raw(dir.path / "missing"), fx::Error);
}

TEST_CASE("hmac_sha256 matches RFC 4231", "[util][hash]") {
  // Test case 2: a short key.
  CHECK(to_hex(hmac_sha256_raw("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  CHECK(to_hex(hmac_sha256_raw(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(to_hex(hmac_sha256_raw("", "")) ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("to_hex is lower-case, two digits a byte", "[util][hash]") {
  CHECK(to_hex(std::string("\x00\x0f\xf0\xff", 4)) == "000ff0ff");
  CHECK(to_hex("") == "");
}

TEST_CASE("base64 matches RFC 4648 and round-trips", "[util][base64]") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }

  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all_bytes.size(); n += 17) {
    std::string part = all_bytes.substr(0, n);
    CHECK(base64_decode(base64_encode(part)) == part);
  }
  CHECK(base64_decode(base64_encode(std::string_view("\xff\xfe\x00", 3))) ==
        std::string("\xff\xfe\x00", 3));
}

TEST_CASE("base64 handles inputs larger than one OpenSSL chunk", "[util][base64]") {
  std::string big(3 * (1 << 20) + 5, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
  std::string encoded = base64_encode(big);
  CHECK(encoded.size() == (big.size() + 2) / 3 * 4);
  CHECK(base64_decode(encoded) == big);
}

TEST_CASE("base64_decode strips surrounding whitespace", "[util][base64]") {
  CHECK(base64_decode("  Zm9v\n") == "foo");
  CHECK(base64_decode("\tZm8=\r\n") == "fo");
  CHECK(base64_decode(" \n ") == "");
}

TEST_CASE("base64_decode rejects malformed input", "[util][base64]") {
  for (const char* bad : {"Zm9", "Zm=v", "Zm9v!", "====", "Z===", "Zm 9v", "Zm9v\nZm9v", "Zg=a",
                          "Zm9v-_==", "=Zm9"}) {
    INFO(bad);
    CHECK_THROWS_AS(base64_decode(bad), fx::Error);
  }
}

TEST_CASE("md5_hex is MD5 as SQS's MD5OfMessageBody gives it", "[util][hash]") {
  CHECK(fx::util::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(fx::util::md5_hex("hello") == "5d41402abc4b2a76b9719d911017c592");
}
