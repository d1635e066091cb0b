#include <sys/stat.h>
#include <zip.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "core/emulator/code_store.h"
#include "core/lambda/api_error.h"
#include "core/util/hash.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::emulator::CodeLimits;
using fx::emulator::CodeStore;

using fx::test::remove_tree;
using fx::test::TempDir;

namespace {

const std::string kUnzip =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A zip in memory written by libzip; entries ending in '/' are folders, mode 0755 entries are
// marked executable.
std::string make_zip(const fs::path& scratch,
                     std::vector<std::tuple<std::string, std::string, int>> entries,
                     zip_int32_t method = ZIP_CM_DEFAULT) {
  fs::path p = scratch / "in.zip";
  fs::remove(p);
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  REQUIRE(z);
  for (auto& [name, data, mode] : entries) {
    zip_int64_t idx;
    if (name.ends_with('/')) {
      idx = zip_dir_add(z, name.c_str(), ZIP_FL_ENC_UTF_8);
      REQUIRE(idx >= 0);
      zip_file_set_external_attributes(z, idx, 0, ZIP_OPSYS_UNIX, (040000u | mode) << 16);
      continue;
    }
    auto* src = zip_source_buffer(z, data.data(), data.size(), 0);
    idx = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    REQUIRE(idx >= 0);
    zip_set_file_compression(z, idx, method, 0);
    zip_file_set_external_attributes(z, idx, 0, ZIP_OPSYS_UNIX, (0100000u | mode) << 16);
  }
  REQUIRE(zip_close(z) == 0);
  return read_bytes(p);
}

std::uint32_t crc32(std::string_view data) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

// The CRC-32 of `n` zero bytes without reading them: one zero byte is a linear map of the CRC
// register over GF(2), raised to the n-th power by squaring.
std::uint32_t crc32_of_zeros(std::uint64_t n) {
  using Matrix = std::array<std::uint32_t, 32>;  // column i: the image of bit i
  auto apply = [](const Matrix& m, std::uint32_t v) {
    std::uint32_t out = 0;
    for (int i = 0; i < 32; ++i)
      if (v >> i & 1) out ^= m[i];
    return out;
  };
  auto times = [&](const Matrix& a, const Matrix& b) {
    Matrix c;
    for (int i = 0; i < 32; ++i) c[i] = apply(a, b[i]);
    return c;
  };
  Matrix step, result;
  for (int i = 0; i < 32; ++i) {
    std::uint32_t r = 1u << i;  // one zero byte: eight shifts with the polynomial
    for (int k = 0; k < 8; ++k) r = (r & 1) ? 0xedb88320u ^ (r >> 1) : r >> 1;
    step[i] = r;
    result[i] = 1u << i;
  }
  for (; n; n >>= 1, step = times(step, step))
    if (n & 1) result = times(step, result);
  return apply(result, 0xffffffffu) ^ 0xffffffffu;
}

// A zip entry as its headers will say, whatever the bytes are.
struct RawEntry {
  std::string name;
  std::string payload;  // as stored: raw deflate when method is 8
  std::uint16_t method = 0;
  std::uint32_t crc = 0;
  std::uint32_t size = 0;  // unpacked size claimed by both headers
  std::uint32_t mode = 0100644;
};

RawEntry stored(std::string name, std::string data, std::uint32_t mode = 0100644) {
  RawEntry e{std::move(name), std::move(data)};
  e.crc = crc32(e.payload);
  e.size = static_cast<std::uint32_t>(e.payload.size());
  e.mode = mode;
  return e;
}

// `v` in `bytes` little-endian bytes; past the 8th, zeros (several zero fields at once).
void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>(i < 8 ? (v >> (8 * i)) & 0xff : 0);
}

// A zip written byte by byte, for what libzip refuses to write: duplicate names, sizes that
// lie, names with NUL, too many entries in a few milliseconds.
std::string raw_zip(const std::vector<RawEntry>& entries) {
  std::string out, central;
  for (const auto& e : entries) {
    std::uint64_t offset = out.size();
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 2);
    put_le(out, 0, 2);
    put_le(out, e.method, 2);
    put_le(out, 0, 2);
    put_le(out, 0x21, 2);
    put_le(out, e.crc, 4);
    put_le(out, e.payload.size(), 4);
    put_le(out, e.size, 4);
    put_le(out, e.name.size(), 2);
    put_le(out, 0, 2);
    out += e.name;
    out += e.payload;
    put_le(central, 0x02014b50, 4);
    put_le(central, 0x0314, 2);  // made by: Unix
    put_le(central, 20, 2);
    put_le(central, 0, 2);
    put_le(central, e.method, 2);
    put_le(central, 0, 2);
    put_le(central, 0x21, 2);
    put_le(central, e.crc, 4);
    put_le(central, e.payload.size(), 4);
    put_le(central, e.size, 4);
    put_le(central, e.name.size(), 2);
    put_le(central, 0, 2);
    put_le(central, 0, 2);
    put_le(central, 0, 2);
    put_le(central, 0, 2);
    put_le(central, static_cast<std::uint64_t>(e.mode) << 16, 4);
    put_le(central, offset, 4);
    central += e.name;
  }
  std::uint64_t cd_offset = out.size();
  out += central;
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 4);
  put_le(out, entries.size() & 0xffff, 2);  // InfoZIP's count past 65535: modulo
  put_le(out, entries.size() & 0xffff, 2);
  put_le(out, central.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

// `count` empty files named in hex, written faster than RawEntry would.
std::string empty_files_zip(int count) {
  std::string out, central;
  for (int i = 0; i < count; ++i) {
    char name[16];
    int length = std::snprintf(name, sizeof name, "%x", i);
    std::uint64_t offset = out.size();
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 4);  // version needed, no flags
    put_le(out, 0, 4);   // stored, time 0
    put_le(out, 0x21, 2);
    put_le(out, 0, 12);  // CRC and sizes of nothing
    put_le(out, length, 2);
    put_le(out, 0, 2);
    out.append(name, length);
    put_le(central, 0x02014b50, 4);
    put_le(central, 0x0314, 2);
    put_le(central, 20, 4);
    put_le(central, 0, 4);
    put_le(central, 0x21, 2);
    put_le(central, 0, 12);
    put_le(central, length, 2);
    put_le(central, 0, 8);  // extra, comment, disk, internal attributes
    put_le(central, 0100644u << 16, 4);
    put_le(central, offset, 4);
    central.append(name, length);
  }
  std::uint64_t cd_offset = out.size();
  out += central;
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 4);
  put_le(out, count & 0xffff, 2);
  put_le(out, count & 0xffff, 2);
  put_le(out, central.size(), 4);
  put_le(out, cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

// Deflate's bits: values least significant bit first, Huffman codes most significant first.
class BitWriter {
 public:
  void bits(std::uint32_t value, int count) {
    for (int i = 0; i < count; ++i) bit(value >> i & 1);
  }
  void code(std::uint32_t code, int length) {
    for (int i = length - 1; i >= 0; --i) bit(code >> i & 1);
  }
  std::string finish() {
    if (used_) out_ += static_cast<char>(acc_);
    return std::move(out_);
  }

 private:
  void bit(std::uint32_t b) {
    acc_ |= b << used_;
    if (++used_ == 8) {
      out_ += static_cast<char>(acc_);
      acc_ = used_ = 0;
    }
  }
  std::string out_;
  std::uint32_t acc_ = 0;
  int used_ = 0;
};

// A deflate stream of 1 + 258 * matches zero bytes, as a zip bomb has it: one dynamic
// Huffman block whose only codes are the literal 0, "258 bytes again at distance 1" (2 bits
// with its distance) and the end, about 1,030 times smaller than what it unpacks to.
std::string deflated_zeros(std::uint64_t matches) {
  BitWriter w;
  w.bits(1, 1);   // final block
  w.bits(2, 2);   // dynamic Huffman
  w.bits(29, 5);  // 286 literal/length codes
  w.bits(0, 5);   // 1 distance code
  w.bits(14, 4);  // 18 code length codes, in deflate's order:
  // 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1; only 18 (1 bit), 2 and 1 (2 bits) are used.
  for (int len : {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2}) w.bits(len, 3);
  // Their codes: 18 = 0, 1 = 10, 2 = 11. Lengths: literal 0 -> 2, 1..255 -> none,
  // 256 (end) -> 2, 257..284 -> none, 285 (length 258) -> 1; distance code 0 -> 1.
  w.code(3, 2);  // 2
  w.code(0, 1);
  w.bits(138 - 11, 7);  // 138 zeros
  w.code(0, 1);
  w.bits(117 - 11, 7);  // 117 zeros
  w.code(3, 2);         // 2
  w.code(0, 1);
  w.bits(28 - 11, 7);  // 28 zeros
  w.code(2, 2);        // 1
  w.code(2, 2);        // 1
  // Codes: 285 = 0, literal 0 = 10, end = 11; distance 0 = 0.
  w.code(2, 2);
  for (std::uint64_t i = 0; i < matches; ++i) w.code(0, 2);
  w.code(3, 2);
  return w.finish();
}

RawEntry zeros_entry(std::string name, std::uint64_t matches) {
  RawEntry e{std::move(name), deflated_zeros(matches), 8};
  std::uint64_t size = 1 + 258 * matches;
  e.crc = crc32_of_zeros(size);
  e.size = static_cast<std::uint32_t>(size);
  return e;
}

// `data` as one stored deflate block (what a lying header can wrap).
std::string deflate_stored(std::string_view data) {
  std::string out(1, '\x01');
  put_le(out, data.size(), 2);
  put_le(out, ~data.size() & 0xffff, 2);
  out += data;
  return out;
}

// Expects `f` to throw Lambda's answer: exactly this status, type and message.
void check_refused(const std::function<void()>& f, int status, const std::string& type,
                   const std::string& message) {
  try {
    f();
    FAIL("accepted; expected " << type << ": " << message);
  } catch (const fx::lambda::ApiError& e) {
    CHECK(e.status() == status);
    CHECK(e.type() == type);
    CHECK(std::string(e.what()) == message);
  }
}

std::string unzip_error(const std::string& why) {
  return kUnzip + " (" + why + ")";
}

long status_kb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + ":")) return std::stol(line.substr(key.size() + 1));
  return -1;
}

// Peak RSS (kB) added while `f` runs: the peak is reset first (/proc/self/clear_refs).
long peak_rss_growth(const std::function<void()>& f) {
  std::ofstream("/proc/self/clear_refs") << "5";
  long before = status_kb("VmHWM");
  f();
  return status_kb("VmHWM") - before;
}

std::size_t open_fds() {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

int mode_of(const fs::path& p) {
  struct stat st;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sanitizers keep freed memory in quarantine and shadow every byte: peak RSS means little.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasureRss = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMeasureRss = false;
#else
constexpr bool kMeasureRss = true;
#endif
#else
constexpr bool kMeasureRss = true;
#endif

}  // namespace

TEST_CASE("uploaded code is stored by content and unpacked with its modes", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  auto zip = make_zip(dir, {{"app.py", "print(1)\n", 0644}, {"bin/tool", "#!/bin/sh\n", 0755}});
  auto code = store.put(zip);
  CHECK(code.sha256_hex == fx::util::sha256_hex(zip));
  CHECK(code.size == static_cast<std::int64_t>(zip.size()));
  CHECK(code.unzipped_size == 9 + 10);
  CHECK(read_bytes(code.zip) == zip);
  CHECK(read_bytes(code.dir / "app.py") == "print(1)\n");
  CHECK(mode_of(code.dir / "bin/tool") == 0555);
  CHECK(mode_of(code.dir / "app.py") == 0444);
  // The same bytes again: the same folder, nothing new.
  CHECK(store.put(zip).dir == code.dir);
  CHECK(listing(dir / "code") ==
        std::vector<std::string>{code.sha256_hex, code.sha256_hex + ".zip"});
  // A lost folder is unpacked again from the kept zip, with the same size.
  remove_tree(code.dir);
  auto again = store.get(code.sha256_hex);
  CHECK(read_bytes(again.dir / "app.py") == "print(1)\n");
  CHECK(again.unzipped_size == code.unzipped_size);
  CHECK(again.code_sha256 == code.code_sha256);
}

TEST_CASE("Python and Node bundles unpack exactly: contents, modes, folders", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  mode_t old_mask = ::umask(022);
  std::vector<std::tuple<std::string, std::string, int>> python = {
      {"handler.py", "import pkg.mod\ndef handler(e, c):\n    return pkg.mod.f()\n", 0644},
      {"pkg/", "", 0755},
      {"pkg/__init__.py", "", 0644},
      {"pkg/mod.py", "def f():\n    return 42\n", 0644},
      {"bin/tool", "#!/bin/sh\necho hi\n", 0755},
      {"pkg/data/table.bin", std::string("\0\1\2\3\xff", 5), 0644}};
  std::vector<std::tuple<std::string, std::string, int>> node = {
      {"index.js", "exports.handler = async () => require('left-pad')('x', 3);\n", 0644},
      {"node_modules/left-pad/package.json", "{\"name\":\"left-pad\",\"main\":\"index.js\"}", 0644},
      {"node_modules/left-pad/index.js", "module.exports = (s, n) => s.padStart(n);\n", 0644},
      {"node_modules/.bin/left-pad", "#!/usr/bin/env node\n", 0755}};
  for (const auto& bundle : {python, node}) {
    auto zip = make_zip(dir, bundle);
    auto code = store.put(zip);
    std::int64_t total = 0;
    std::set<std::string> expected = {".fx-complete"};
    for (const auto& [name, data, mode] : bundle) {
      INFO(name);
      if (name.ends_with('/')) {
        CHECK(mode_of(code.dir / name) == 0555);
        continue;
      }
      CHECK(read_bytes(code.dir / name) == data);
      CHECK(mode_of(code.dir / name) == (mode == 0755 ? 0555 : 0444));
      total += static_cast<std::int64_t>(data.size());
      for (fs::path p = name; !p.empty(); p = p.parent_path()) expected.insert(p.string());
    }
    CHECK(code.unzipped_size == total);
    std::set<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(code.dir)) {
      auto rel = fs::relative(e.path(), code.dir).string();
      found.insert(rel);
      if (e.is_directory()) CHECK(mode_of(e.path()) == 0555);
    }
    CHECK(found == expected);
    CHECK(mode_of(code.dir) == 0555);
  }
  ::umask(old_mask);
}

TEST_CASE("a zip over 50 MB is refused as Lambda refuses it", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  auto zip = make_zip(dir, {{"big.bin", std::string(55u << 20, 'x'), 0644}}, ZIP_CM_STORE);
  REQUIRE(zip.size() > fx::emulator::kMaxZippedBytes);
  check_refused([&] { store.put(zip); }, 413, "RequestEntityTooLargeException",
                "Request must be smaller than 69905067 bytes for the CreateFunction operation");
  CodeLimits update;
  update.operation = "UpdateFunctionCode";
  check_refused([&] { store.put(zip, update); }, 413, "RequestEntityTooLargeException",
                "Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation");
  // The cap is inclusive.
  auto small = make_zip(dir, {{"a.py", "x", 0644}});
  CodeLimits exact;
  exact.max_zipped = small.size();
  CHECK_NOTHROW(store.put(small, exact));
  exact.max_zipped = small.size() - 1;
  CHECK_THROWS_AS(store.put(small, exact), fx::lambda::ApiError);
  CHECK(listing(dir / "code").size() == 2);
}

TEST_CASE("a zip bomb stops at 250 MB unzipped, in bounded memory", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  // 1 MB that unpacks to 1 GB.
  auto bomb = raw_zip({zeros_entry("zeros.bin", 4161814)});
  REQUIRE(bomb.size() < 1100000);
  long growth = peak_rss_growth([&] {
    check_refused([&] { store.put(bomb); }, 400, "InvalidParameterValueException",
                  "Unzipped size must be smaller than 262144000 bytes");
  });
  if (kMeasureRss) CHECK(growth < 64 * 1024);
  CHECK(listing(dir / "code").empty());
}

TEST_CASE("the unzipped budget counts the layers already used", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  auto zip = raw_zip({zeros_entry("a.bin", 3)});  // 775 bytes
  CodeLimits limits;
  limits.unzipped_used = fx::emulator::kMaxUnzippedBytes - 774;
  check_refused([&] { store.put(zip, limits); }, 400, "InvalidParameterValueException",
                "Unzipped size must be smaller than 262144000 bytes");
  CHECK(listing(dir / "code").empty());
  limits.unzipped_used = fx::emulator::kMaxUnzippedBytes - 775;
  auto code = store.put(zip, limits);
  CHECK(code.unzipped_size == 775);
  CHECK(read_bytes(code.dir / "a.bin") == std::string(775, '\0'));
  // Stored already: the same answer without unpacking again.
  limits.unzipped_used += 1;
  check_refused([&] { store.put(zip, limits); }, 400, "InvalidParameterValueException",
                "Unzipped size must be smaller than 262144000 bytes");
  check_refused([&] { store.get(code.sha256_hex, limits); }, 400, "InvalidParameterValueException",
                "Unzipped size must be smaller than 262144000 bytes");
  // Layers over the cap on their own leave nothing for the function.
  limits.unzipped_used = fx::emulator::kMaxUnzippedBytes + 1;
  check_refused([&] { store.put(zip, limits); }, 400, "InvalidParameterValueException",
                "Unzipped size must be smaller than 262144000 bytes");
}

TEST_CASE("sizes in zip headers are not trusted, in either direction", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  // Claims 3.9 GB, holds 100 bytes.
  std::string data(100, 'a');
  RawEntry liar{"big.bin", deflate_stored(data), 8, crc32(data), 3900000000u};
  auto zip = raw_zip({liar});
  REQUIRE(zip.size() < 300);
  long growth = peak_rss_growth([&] {
    check_refused([&] { store.put(zip); }, 400, "InvalidParameterValueException",
                  unzip_error("entry 'big.bin' holds 100 bytes, not the 3900000000 its header "
                              "says"));
  });
  if (kMeasureRss) CHECK(growth < 64 * 1024);
  // Claims 10 bytes, holds 300 MB.
  RawEntry modest = zeros_entry("small.bin", 1200000);
  modest.size = 10;
  check_refused([&] { store.put(raw_zip({modest})); }, 400, "InvalidParameterValueException",
                unzip_error("entry 'small.bin' holds more than the 10 bytes its header says"));
  CHECK(listing(dir / "code").empty());
}

TEST_CASE("entries that would land outside the task root are refused", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  auto refused = [&](const std::string& name, const std::string& why) {
    INFO(name);
    check_refused([&] { store.put(raw_zip({stored(name, "x")})); }, 400,
                  "InvalidParameterValueException", unzip_error(why));
  };
  refused("../evil.py", "entry '../evil.py' points outside the task root");
  refused("a/../../evil.py", "entry 'a/../../evil.py' points outside the task root");
  refused("a/../b.py", "entry 'a/../b.py' points outside the task root");
  refused("/tmp/evil.py", "entry '/tmp/evil.py' is an absolute path");
  refused("..\\evil.py",
          "entry '..\\evil.py' has a backslash in its name; zip it with '/' between folders");
  refused("a\\..\\..\\evil.py",
          "entry 'a\\..\\..\\evil.py' has a backslash in its name; zip it with '/' between "
          "folders");
  refused(".fx-complete",
          "entry '.fx-complete' is under a name the fx emulator keeps for itself (.fx-complete)");
  // Found by fuzz_code_store: a folder of that name made writing the marker fail (a 500).
  refused(".fx-complete/left-pad/package.json",
          "entry '.fx-complete/left-pad/package.json' is under a name the fx emulator keeps for "
          "itself (.fx-complete)");
  // A link out, and a file written through it: the link is refused before anything is written.
  check_refused(
      [&] {
        store.put(
            raw_zip({stored("escape", dir.string(), 0120777), stored("escape/evil.py", "x")}));
      },
      400, "InvalidParameterValueException",
      unzip_error("entry 'escape' is a symbolic link; the fx emulator unpacks files and folders "
                  "only"));
  check_refused([&] { store.put(raw_zip({stored("lib64", "lib", 0120777)})); }, 400,
                "InvalidParameterValueException",
                unzip_error("entry 'lib64' is a symbolic link; the fx emulator unpacks files and "
                            "folders only"));
  CHECK_FALSE(fs::exists(dir / "evil.py"));
  CHECK_FALSE(fs::exists(dir / "code" / "evil.py"));
  CHECK_FALSE(fs::exists("/tmp/evil.py"));
  CHECK(listing(dir / "code").empty());
  // libzip reads a NUL in a name as a space: it cannot cut a name short, and lands inside.
  auto nul = raw_zip({stored("evil.py?.txt", "x"), stored("..?/x.txt", "y")});
  for (std::size_t at = nul.find('?'); at != std::string::npos; at = nul.find('?', at))
    nul[at] = '\0';
  auto code = store.put(nul);
  CHECK(read_bytes(code.dir / "evil.py .txt") == "x");
  CHECK(read_bytes(code.dir / ".. /x.txt") == "y");
  CHECK_FALSE(fs::exists(code.dir / "evil.py"));
  // "./a" and "a//b" are plain relative paths (Python's shutil.make_archive writes "./").
  auto dotted =
      store.put(raw_zip({stored("./", ""), stored("./a.py", "a"), stored("d//b.py", "b")}));
  CHECK(read_bytes(dotted.dir / "a.py") == "a");
  CHECK(read_bytes(dotted.dir / "d/b.py") == "b");
}

TEST_CASE("a file that another entry needs as a folder is refused, in either order",
          "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  const std::string why = "entry 'foo' is a file, and entry 'foo/bar' needs it to be a folder";
  check_refused(
      [&] {
        store.put(make_zip(dir, {{"foo", "1", 0644}, {"foo/bar", "2", 0644}}));
      },
      400, "InvalidParameterValueException", unzip_error(why));
  check_refused(
      [&] {
        store.put(make_zip(dir, {{"foo/bar", "2", 0644}, {"foo", "1", 0644}}));
      },
      400, "InvalidParameterValueException", unzip_error(why));
  check_refused(
      [&] {
        store.put(make_zip(dir, {{"foo", "1", 0644}, {"foo/", "", 0755}}));
      },
      400, "InvalidParameterValueException",
      unzip_error("entry 'foo' is a file, and entry 'foo/' needs it to be a folder"));
  check_refused(
      [&] {
        store.put(make_zip(dir, {{"a/foo", "1", 0644}, {"a/foo/b/c", "", 0644}}));
      },
      400, "InvalidParameterValueException",
      unzip_error("entry 'a/foo' is a file, and entry 'a/foo/b/c' needs it to be a "
                  "folder"));
  CHECK(listing(dir / "code").empty());
  // A folder named before or after its files is fine.
  CHECK_NOTHROW(store.put(make_zip(dir, {{"foo/bar", "2", 0644}, {"foo/", "", 0755}})));
}

TEST_CASE("duplicate entries are refused", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  check_refused(
      [&] {
        store.put(raw_zip({stored("a.py", "1"), stored("a.py", "2")}));
      },
      400, "InvalidParameterValueException", unzip_error("entry 'a.py' appears twice"));
  check_refused(
      [&] {
        store.put(raw_zip({stored("a.py", "1"), stored("./a.py", "2")}));
      },
      400, "InvalidParameterValueException",
      unzip_error("entries 'a.py' and './a.py' are the same path"));
  check_refused(
      [&] {
        store.put(raw_zip({stored("d/", "", 040755), stored("d/", "", 040755)}));
      },
      400, "InvalidParameterValueException", unzip_error("entry 'd/' appears twice"));
  CHECK(listing(dir / "code").empty());
}

TEST_CASE("too many entries, too long paths and names, too deep folders are refused",
          "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  const std::string invalid = "InvalidParameterValueException";
  const std::string too_many = unzip_error("the zip holds more than 100000 files and folders");
  check_refused([&] { store.put(empty_files_zip(100001)); }, 400, invalid, too_many);
  // Folders count too: 50,001 files, each in its own folder.
  std::vector<RawEntry> entries;
  for (int i = 0; i <= 50000; ++i) entries.push_back(stored(std::to_string(i) + "/f", ""));
  check_refused([&] { store.put(raw_zip(entries)); }, 400, invalid, too_many);
  // A 47 MB directory of 550,000 entries is refused before libzip spends ~150 bytes on each.
  auto many = empty_files_zip(550000);
  REQUIRE(many.size() < fx::emulator::kMaxZippedBytes);
  long growth =
      peak_rss_growth([&] { check_refused([&] { store.put(many); }, 400, invalid, too_many); });
  if (kMeasureRss) CHECK(growth < 64 * 1024);

  std::string name256(256, 'n');
  check_refused(
      [&] { store.put(raw_zip({stored("a/" + name256 + "/b", "")})); }, 400, invalid,
      unzip_error("entry 'a/" + name256.substr(0, 198) + "...' has a name longer than 255 bytes"));
  CHECK_NOTHROW(store.put(raw_zip({stored(std::string(255, 'n'), "")})));
  // A path must fit in PATH_MAX under the task root, FX_HOME/code/<sha256>.
  std::string deep_ok, deep_bad;
  for (int i = 0; i < 128; ++i) deep_ok += "d/";
  deep_bad = deep_ok + "d/f";
  deep_ok += "f";
  CHECK_NOTHROW(store.put(raw_zip({stored(deep_ok.substr(2), "")})));
  check_refused([&] { store.put(raw_zip({stored(deep_bad.substr(2), "")})); }, 400, invalid,
                unzip_error("entry '" + deep_bad.substr(2, 200) +
                            "...' is nested more than 128 levels deep"));
  std::string long_path;
  while (long_path.size() < 4100) long_path += std::string(200, 'p') + "/";
  long_path += "f";
  auto long_zip = raw_zip({stored(long_path, "")});
  std::size_t root = (dir / "code" / fx::util::sha256_hex(long_zip)).string().size();
  check_refused([&] { store.put(long_zip); }, 400, invalid,
                unzip_error("entry '" + long_path.substr(0, 200) + "...' has a path longer than " +
                            std::to_string(4096 - root - 2) + " bytes"));
}

TEST_CASE("what is not a zip, or an empty one, is refused with Lambda's words",
          "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  const std::string invalid = "InvalidParameterValueException";
  check_refused([&] { store.put(""); }, 400, invalid, "Uploaded file must be a non-empty zip");
  check_refused([&] { store.put(raw_zip({})); }, 400, invalid,
                "Uploaded file must be a non-empty zip");
  check_refused([&] { store.put("not a zip at all"); }, 400, invalid,
                unzip_error("Not a zip archive"));
  auto zip = make_zip(dir, {{"a.py", std::string(5000, 'a'), 0644}, {"b.py", "b", 0644}});
  check_refused([&] { store.put(zip.substr(0, zip.size() / 2)); }, 400, invalid,
                unzip_error("Not a zip archive"));
  check_refused([&] { store.put(zip.substr(0, zip.size() - 1)); }, 400, invalid,
                unzip_error("Not a zip archive"));
  // The directory intact, a file's bytes cut: its CRC no longer matches.
  auto cut = raw_zip({stored("a.py", "hello")});
  cut[cut.find("hello") + 1] = 'a';
  check_refused([&] { store.put(cut); }, 400, invalid, unzip_error("entry 'a.py': CRC error"));
  CHECK(listing(dir / "code").empty());
}

TEST_CASE("failed uploads leave no descriptor and no file behind", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  store.put(make_zip(dir, {{"ok.py", "1", 0644}}));
  CodeLimits small;
  small.max_unzipped = 1000;
  std::vector<std::pair<std::string, CodeLimits>> hostile = {
      {"not a zip", {}},
      {raw_zip({stored("ok.py", "1"), stored("../evil.py", "x")}), {}},
      {raw_zip({stored("foo", "1"), stored("foo/bar", "2")}), {}},
      {raw_zip({stored("a/b", "1"), stored("a/c", "2"), stored("a/b", "3")}), {}},
      {raw_zip({stored("a.py", "1"), zeros_entry("zeros.bin", 100)}), small},
      {raw_zip({stored("a.py", "1"), stored("link", "/etc", 0120777)}), {}},
  };
  auto fds = open_fds();
  auto entries = listing(dir / "code");
  for (int i = 0; i < 200; ++i) {
    const auto& [zip, limits] = hostile[i % hostile.size()];
    CHECK_THROWS_AS(store.put(zip, limits), fx::lambda::ApiError);
  }
  CHECK(open_fds() == fds);
  CHECK(listing(dir / "code") == entries);
}

TEST_CASE("get() refuses what is not a SHA-256 and says what is missing", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  const std::string invalid = "InvalidParameterValueException";
  check_refused([&] { store.get("xyz"); }, 400, invalid, "'xyz' is not a SHA-256 (64 hex digits)");
  std::string not_hex(64, 'z');
  check_refused([&] { store.get(not_hex); }, 400, invalid,
                "'" + not_hex + "' is not a SHA-256 (64 hex digits)");
  check_refused([&] { store.get(std::string(66, 'a')); }, 400, invalid,
                "'" + std::string(66, 'a') + "' is not a SHA-256 (64 hex digits)");
  std::string absent(64, 'a');
  check_refused([&] { store.get(absent); }, 404, "ResourceNotFoundException",
                "code " + absent + " is missing from " + (dir / "code").string());
  auto code = store.put(make_zip(dir, {{"a.py", "1", 0644}}));
  std::string upper = code.sha256_hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  CHECK(store.get(upper).dir == code.dir);
}

TEST_CASE("a folder unpacked again obeys the same limits", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  CodeStore store(dir / "code");
  auto zip = raw_zip({zeros_entry("zeros.bin", 1000)});  // 258,001 bytes
  auto code = store.put(zip);
  CHECK(code.unzipped_size == 258001);
  remove_tree(code.dir);
  CodeLimits small;
  small.max_unzipped = 258000;
  check_refused([&] { store.get(code.sha256_hex, small); }, 400, "InvalidParameterValueException",
                "Unzipped size must be smaller than 258000 bytes");
  CHECK(listing(dir / "code") == std::vector<std::string>{code.sha256_hex + ".zip"});
  CHECK(store.get(code.sha256_hex).unzipped_size == 258001);
  // A folder unpacked before its size was recorded is measured.
  fs::permissions(code.dir, fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(code.dir / ".fx-complete", fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(code.dir / ".fx-complete") << "\n";
  CHECK(store.get(code.sha256_hex).unzipped_size == 258001);
  // A folder left without its marker (an interrupted removal) is replaced.
  fs::remove(code.dir / ".fx-complete");
  std::ofstream(code.dir / "junk") << "left over";
  CHECK(read_bytes(store.get(code.sha256_hex).dir / "zeros.bin").size() == 258001);
  CHECK_FALSE(fs::exists(code.dir / "junk"));
  CHECK(listing(dir / "code") ==
        std::vector<std::string>{code.sha256_hex, code.sha256_hex + ".zip"});
}

TEST_CASE("puts of the same bytes at once all succeed, gets run meanwhile", "[emulator][code]") {
  TempDir tmp("code");
  const fs::path& dir = tmp.path;
  auto other = make_zip(dir, {{"other.py", "2", 0644}});
  std::vector<std::tuple<std::string, std::string, int>> files;
  for (int i = 0; i < 40; ++i) files.emplace_back("f" + std::to_string(i), std::to_string(i), 0644);
  auto zip = make_zip(dir, files);
  for (int round = 0; round < 6; ++round) {
    fs::path root = dir / ("code" + std::to_string(round));
    CodeStore store(root);
    auto other_code = store.put(other);
    std::atomic<int> puts = 0, gets = 0, failures = 0;
    std::atomic<bool> done = false;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        try {
          if (store.put(zip).unzipped_size == 70) ++puts;
        } catch (...) {
          ++failures;
        }
      });
    std::thread reader([&] {
      try {
        do
          if (store.get(other_code.sha256_hex).dir == other_code.dir) ++gets;
        while (!done);
      } catch (...) {
        ++failures;
      }
    });
    for (auto& t : threads) t.join();
    done = true;
    reader.join();
    CHECK(puts == 4);
    CHECK(gets > 0);
    CHECK(failures == 0);
    auto sha = fx::util::sha256_hex(zip);
    CHECK(read_bytes(root / sha / "f39") == "39");
    std::vector<std::string> expected = {other_code.sha256_hex, other_code.sha256_hex + ".zip", sha,
                                         sha + ".zip"};
    std::sort(expected.begin(), expected.end());
    CHECK(listing(root) == expected);
  }
}
