#include <sys/stat.h>
#include <zip.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/emulator/code_store.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("fx-code-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir;
}

// A zip in memory with the given entries; mode 0755 entries are marked executable.
std::string make_zip(const fs::path& scratch,
                     std::vector<std::tuple<std::string, std::string, int>> entries) {
  fs::path p = scratch / "in.zip";
  fs::remove(p);
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  REQUIRE(z);
  for (auto& [name, data, mode] : entries) {
    auto* src = zip_source_buffer(z, data.data(), data.size(), 0);
    auto idx = zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8);
    REQUIRE(idx >= 0);
    zip_file_set_external_attributes(z, idx, 0, ZIP_OPSYS_UNIX, (0100000u | mode) << 16);
  }
  REQUIRE(zip_close(z) == 0);
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("uploaded code is stored by content and unpacked with its modes", "[emulator]") {
  auto dir = temp_dir();
  fx::emulator::CodeStore store(dir / "code");
  auto zip = make_zip(dir, {{"app.py", "print(1)\n", 0644}, {"bin/tool", "#!/bin/sh\n", 0755}});
  auto code = store.put(zip);
  CHECK(code.sha256_hex.size() == 64);
  CHECK(code.size == static_cast<std::int64_t>(zip.size()));
  CHECK(fs::exists(code.dir / "app.py"));
  struct stat st;
  REQUIRE(::stat((code.dir / "bin/tool").c_str(), &st) == 0);
  CHECK((st.st_mode & 0111) != 0);
  REQUIRE(::stat((code.dir / "app.py").c_str(), &st) == 0);
  CHECK((st.st_mode & 0111) == 0);
  // The same bytes again: the same folder, nothing new.
  CHECK(store.put(zip).dir == code.dir);
  // A lost folder is unpacked again from the kept zip.
  fs::remove_all(code.dir);
  CHECK(fs::exists(store.get(code.sha256_hex).dir / "app.py"));
  fs::remove_all(dir);
}

TEST_CASE("a zip entry that climbs out of the task root is refused", "[emulator]") {
  auto dir = temp_dir();
  fx::emulator::CodeStore store(dir / "code");
  auto zip = make_zip(dir, {{"../evil.py", "x", 0644}});
  CHECK_THROWS_AS(store.put(zip), fx::Error);
  CHECK_FALSE(fs::exists(dir / "evil.py"));
  CHECK_FALSE(fs::exists(dir / "code" / "evil.py"));
  CHECK_THROWS_AS(store.put("not a zip at all"), fx::Error);
  fs::remove_all(dir);
}
