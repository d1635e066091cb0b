#include <catch2/catch.hpp>

#include <stdlib.h>
#include <zip.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bundle/bundle.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::bundle;

using fx::test::TempDir;

namespace {

void write_file(const fs::path& path, const std::string& content, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  fs::permissions(path, executable ? fs::perms(0755) : fs::perms(0644), fs::perm_options::replace);
}

fx::manifest::Service make_service(const fs::path& dir) {
  fx::manifest::Service service;
  service.dir = dir;
  service.manifest_path = dir / "serverless.yml";
  service.name = "svc";
  return service;
}

fx::manifest::Function make_function(const std::string& key = "hello") {
  fx::manifest::Function function;
  function.key = key;
  function.handler = "src/handler.main";
  // A custom runtime is not traced: these tests cover the pattern rules on a full bundle
  // (the import graphs have their own tests, and test_bundles.py covers both end to end).
  function.runtime = "provided.al2023";
  return function;
}

std::vector<std::string> names(const BundlePlan& plan) {
  std::vector<std::string> out;
  for (const auto& f : plan.files) out.push_back(f.archive_path);
  return out;
}

const PlannedFile* find(const BundlePlan& plan, const std::string& name) {
  for (const auto& f : plan.files)
    if (f.archive_path == name) return &f;
  return nullptr;
}

// A small service: handler, library, an executable, and every kind of file the default
// excludes drop.
void write_service(const fs::path& dir) {
  write_file(dir / "serverless.yml", "service: svc\n");
  write_file(dir / "src/handler.py", "def main(event, context):\n    return 1\n");
  write_file(dir / "src/lib/util.py", "X = 1\n");
  write_file(dir / "src/test/test_util.py", "assert True\n");
  write_file(dir / "bin/tool", "#!/bin/sh\necho hi\n", true);
  write_file(dir / "README.md", "# svc\n");
  write_file(dir / ".git/HEAD", "ref: refs/heads/main\n");
  write_file(dir / "src/vendor/.git/config", "[core]\n");
  write_file(dir / ".gitignore", ".fx/\n");
  write_file(dir / ".DS_Store", "junk");
  write_file(dir / "src/.DS_Store", "junk");
  write_file(dir / "npm-debug.log", "log");
  write_file(dir / "yarn-error.log", "log");
  write_file(dir / ".serverless/state.json", "{}");
  write_file(dir / ".fx/build/hello.zip", "old zip");
  write_file(dir / ".env", "SECRET=1\n");
  write_file(dir / ".env.dev", "SECRET=2\n");
  write_file(dir / "src/__pycache__/handler.cpython-312.pyc", "bytecode");
  write_file(dir / "src/lib/old.pyc", "bytecode");
}

struct ZipEntry {
  std::string name;
  std::string content;
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
  time_t mtime = 0;
  zip_int16_t extra_fields = 0;
};

std::vector<ZipEntry> read_zip(const fs::path& path) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &code);
  REQUIRE(zip != nullptr);
  std::vector<ZipEntry> entries;
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i) {
    auto index = static_cast<zip_uint64_t>(i);
    zip_stat_t st;
    REQUIRE(zip_stat_index(zip, index, 0, &st) == 0);
    ZipEntry entry;
    entry.name = st.name;
    entry.mtime = st.mtime;
    entry.content.resize(st.size);
    zip_file_t* file = zip_fopen_index(zip, index, 0);
    REQUIRE(file != nullptr);
    REQUIRE(zip_fread(file, entry.content.data(), st.size) == static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    REQUIRE(zip_file_get_external_attributes(zip, index, 0, &entry.opsys, &entry.attributes) == 0);
    entry.extra_fields = zip_file_extra_fields_count(zip, index, ZIP_FL_CENTRAL | ZIP_FL_LOCAL);
    entries.push_back(entry);
  }
  zip_discard(zip);
  return entries;
}

// What libzip reports for DOS date 1980-01-01 00:00 (it converts through local time).
time_t dos_epoch() {
  std::tm tm{};
  tm.tm_year = 80;
  tm.tm_mon = 0;
  tm.tm_mday = 1;
  tm.tm_isdst = -1;
  return std::mktime(&tm);
}

void set_all_mtimes(const fs::path& dir, fs::file_time_type when) {
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) fs::last_write_time(entry.path(), when);
}

}  // namespace

TEST_CASE("plan_bundle takes every service file minus the default excludes", "[bundle]") {
  TempDir dir;
  write_service(dir.path);
  BundlePlan plan = plan_bundle(make_service(dir.path), make_function());

  CHECK(plan.function == "hello");
  CHECK(names(plan) == std::vector<std::string>{"README.md", "bin/tool", "src/handler.py",
                                                "src/lib/util.py", "src/test/test_util.py"});
  CHECK(plan.files_in == 5);
  std::uint64_t bytes = 0;
  for (const auto& f : plan.files) {
    CHECK(f.reason == "service file");
    CHECK(f.size == fs::file_size(f.source));
    CHECK(fs::equivalent(f.source, dir.path / f.archive_path));
    bytes += f.size;
  }
  CHECK(plan.bytes_in == bytes);
  CHECK(find(plan, "bin/tool")->executable);
  CHECK_FALSE(find(plan, "src/handler.py")->executable);
}

TEST_CASE("plan_bundle applies patterns in order, later lines winning", "[bundle]") {
  TempDir dir;
  write_service(dir.path);
  auto service = make_service(dir.path);
  auto function = make_function();

  SECTION("exclude everything, re-include a folder, exclude part of it again") {
    service.package_patterns = {"!**", "src/**", "!src/test/**"};
    function.package_patterns = {"src/test/test_util.py"};
    BundlePlan plan = plan_bundle(service, function);
    CHECK(names(plan) ==
          std::vector<std::string>{"src/handler.py", "src/lib/util.py", "src/test/test_util.py"});
    CHECK(find(plan, "src/handler.py")->reason == "pattern 'src/**'");
    CHECK(find(plan, "src/test/test_util.py")->reason == "pattern 'src/test/test_util.py'");
    CHECK(plan.files_in == 5);  // what was considered, not what was kept
  }
  SECTION("an exclude after an include wins") {
    service.package_patterns = {"README.md", "!*.md", "!bin"};
    BundlePlan plan = plan_bundle(service, function);
    CHECK(names(plan) ==
          std::vector<std::string>{"src/handler.py", "src/lib/util.py", "src/test/test_util.py"});
  }
  SECTION("the function's patterns come after the service's") {
    service.package_patterns = {"!src/lib/**"};
    function.package_patterns = {"src/lib/**", "!src/test"};
    BundlePlan plan = plan_bundle(service, function);
    CHECK(names(plan) ==
          std::vector<std::string>{"README.md", "bin/tool", "src/handler.py", "src/lib/util.py"});
    CHECK(find(plan, "src/lib/util.py")->reason == "pattern 'src/lib/**'");
    CHECK(find(plan, "README.md")->reason == "service file");
  }
  SECTION("default excludes stay out whatever the patterns say") {
    service.package_patterns = {".env", ".git/**", ".fx/**", "serverless.yml", "**/*.pyc"};
    BundlePlan plan = plan_bundle(service, function);
    CHECK(plan.files.size() == 5);
  }
}

TEST_CASE("plan_bundle follows symlinks only inside the service folder", "[bundle]") {
  TempDir dir, outside;
  write_file(dir.path / "src/handler.py", "x");
  write_file(outside.path / "secret/key.pem", "private");
  write_file(outside.path / "shared.py", "shared");
  fs::create_directory_symlink(dir.path / "src", dir.path / "alias");
  fs::create_directory_symlink(outside.path / "secret", dir.path / "secret");
  fs::create_directory_symlink(dir.path, dir.path / "src/loop");
  fs::create_symlink(outside.path / "shared.py", dir.path / "shared.py");
  fs::create_symlink(dir.path / "missing", dir.path / "dangling");

  BundlePlan plan = plan_bundle(make_service(dir.path), make_function());
  // shared.py and secret/ lead outside: skipped, each named in a warning.
  CHECK(names(plan) == std::vector<std::string>{"alias/handler.py", "src/handler.py"});
  CHECK(plan.warnings.size() == 2);
}

TEST_CASE("plan_bundle reports a missing service folder", "[bundle]") {
  TempDir dir;
  CHECK_THROWS_AS(plan_bundle(make_service(dir.path / "nope"), make_function()), fx::Error);
}

TEST_CASE("write_zip is deterministic", "[bundle][zip]") {
  TempDir dir, out;
  write_service(dir.path);
  auto service = make_service(dir.path);

  set_all_mtimes(dir.path, fs::file_time_type::clock::now() - std::chrono::hours(24 * 400));
  Artifact first = write_zip(plan_bundle(service, make_function()), out.path / "a.zip");
  set_all_mtimes(dir.path, fs::file_time_type::clock::now() + std::chrono::hours(3));
  Artifact second = write_zip(plan_bundle(service, make_function()), out.path / "b.zip");

  CHECK(first.sha256_hex == second.sha256_hex);
  CHECK(first.sha256_hex.size() == 64);
  std::string raw = fx::util::sha256_file_raw(out.path / "a.zip");
  CHECK(first.sha256_hex == fx::util::to_hex(raw));
  CHECK(first.code_sha256 == fx::util::base64_encode(raw));
  CHECK(first.zip_bytes == fs::file_size(out.path / "a.zip"));
  CHECK(first.files_out == 5);
  CHECK(first.files_in == 5);
  CHECK_FALSE(fs::exists(out.path / "a.zip.tmp"));

  write_file(dir.path / "src/handler.py", "def main(event, context):\n    return 2\n");
  Artifact changed = write_zip(plan_bundle(service, make_function()), out.path / "a.zip");
  CHECK(changed.sha256_hex != first.sha256_hex);

  fs::permissions(dir.path / "src/handler.py", fs::perms::owner_exec, fs::perm_options::add);
  Artifact now_executable = write_zip(plan_bundle(service, make_function()), out.path / "a.zip");
  CHECK(now_executable.sha256_hex != changed.sha256_hex);
}

TEST_CASE("write_zip entries read back sorted, intact, with fixed metadata", "[bundle][zip]") {
  TempDir dir;
  write_file(dir.path / "zeta.py", "z = 26\n");
  write_file(dir.path / "Alpha.py", "a = 1\n");
  write_file(dir.path / "bootstrap", "#!/bin/sh\nexec python3 zeta.py\n", true);
  std::string large;
  for (int i = 0; i < 100000; ++i) large += std::to_string(i) + "\n";
  write_file(dir.path / "lib/data.txt", large);

  BundlePlan plan = plan_bundle(make_service(dir.path), make_function());
  Artifact artifact = write_zip(plan, dir.path / "out/bundle.zip");
  CHECK(artifact.bytes_out == plan.bytes_in);
  CHECK(artifact.zip_bytes < artifact.bytes_out);  // deflated

  std::vector<ZipEntry> entries = read_zip(artifact.zip_path);
  REQUIRE(entries.size() == 4);
  std::vector<std::string> entry_names;
  for (const auto& e : entries) entry_names.push_back(e.name);
  CHECK(entry_names ==
        std::vector<std::string>{"Alpha.py", "bootstrap", "lib/data.txt", "zeta.py"});
  for (const auto& e : entries) {
    INFO(e.name);
    std::ifstream in(dir.path / e.name, std::ios::binary);
    CHECK(e.content == std::string(std::istreambuf_iterator<char>(in), {}));
    CHECK(e.opsys == ZIP_OPSYS_UNIX);
    CHECK((e.attributes >> 16) == (e.name == "bootstrap" ? 0100755u : 0100644u));
    CHECK(e.mtime == dos_epoch());
    CHECK(e.extra_fields == 0);
  }
}

TEST_CASE("write_zip refuses an empty bundle", "[bundle][zip]") {
  TempDir dir;
  write_file(dir.path / "a.py", "x");
  auto service = make_service(dir.path);
  service.package_patterns = {"!**"};
  BundlePlan plan = plan_bundle(service, make_function("empty"));
  CHECK(plan.files.empty());
  try {
    write_zip(plan, dir.path / "out.zip");
    FAIL("expected fx::Error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("'empty'"));
    CHECK_THAT(e.hint(), Catch::Contains("package.patterns"));
  }
  CHECK_FALSE(fs::exists(dir.path / "out.zip"));
}

TEST_CASE("write_zip reports a file that vanished after planning", "[bundle][zip]") {
  TempDir dir;
  write_file(dir.path / "a.py", "x");
  write_file(dir.path / "b.py", "y");
  BundlePlan plan = plan_bundle(make_service(dir.path), make_function());
  fs::remove(dir.path / "b.py");
  CHECK_THROWS_AS(write_zip(plan, dir.path / "out/x.zip"), fx::Error);
  CHECK_FALSE(fs::exists(dir.path / "out/x.zip"));
  CHECK_FALSE(fs::exists(dir.path / "out/x.zip.tmp"));
}

TEST_CASE("package_function writes .fx/build/<key>.zip and repeats itself", "[bundle]") {
  TempDir dir;
  write_service(dir.path);
  fs::remove_all(dir.path / ".fx");
  auto service = make_service(dir.path);

  Artifact first = package_function(service, make_function());
  CHECK(first.zip_path == dir.path / ".fx/build/hello.zip");
  CHECK(fs::is_regular_file(first.zip_path));
  // The first zip now sits in .fx/build; the default excludes keep it out of the second.
  Artifact second = package_function(service, make_function());
  CHECK(second.sha256_hex == first.sha256_hex);
  CHECK(second.files_in == first.files_in);
}

TEST_CASE("package_function uses package.artifact as is", "[bundle]") {
  TempDir dir;
  write_file(dir.path / "src/handler.py", "x = 1\n");
  write_file(dir.path / "src/lib.py", "y = 2\n");
  auto service = make_service(dir.path);
  Artifact built = write_zip(plan_bundle(service, make_function()), dir.path / "dist/prebuilt.zip");

  auto function = make_function();
  function.package_artifact = "dist/prebuilt.zip";
  Artifact artifact = package_function(service, function);
  CHECK(artifact.function == "hello");
  CHECK(artifact.zip_path == dir.path / "dist/prebuilt.zip");
  CHECK(artifact.sha256_hex == built.sha256_hex);
  CHECK(artifact.code_sha256 == built.code_sha256);
  CHECK(artifact.zip_bytes == built.zip_bytes);
  CHECK(artifact.files_out == 2);
  CHECK(artifact.bytes_out == built.bytes_out);
  CHECK_FALSE(fs::exists(dir.path / ".fx"));

  function.package_artifact = "dist/missing.zip";
  try {
    package_function(service, function);
    FAIL("expected fx::Error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("dist/missing.zip") && Catch::Contains("'hello'"));
  }

  write_file(dir.path / "dist/not-a.zip", "plain text");
  function.package_artifact = "dist/not-a.zip";
  CHECK_THROWS_AS(package_function(service, function), fx::Error);
}

// Found by the corpus of public projects: package.json lists @aws-sdk/* for local tooling,
// Lambda's nodejs18.x and later provide it, and the framework deploys without node_modules.
TEST_CASE("plan_bundle does not demand from node_modules what the runtime provides",
          "[bundle][corpus]") {
  TempDir dir;
  write_file(dir.path / "package.json",
             R"({"name": "svc", "dependencies": {"@aws-sdk/client-lambda": "^3.0.0",
                 "left-pad": "^1.3.0"}})");
  auto service = make_service(dir.path);
  auto function = make_function();
  function.handler = "handler.hello";
  function.runtime = "nodejs20.x";
  write_file(dir.path / "handler.js",
             "const { LambdaClient } = require('@aws-sdk/client-lambda');\n"
             "exports.hello = async () => ({ ok: typeof LambdaClient });\n");
  const BundlePlan plan = plan_bundle(service, function);
  CHECK(find(plan, "handler.js") != nullptr);

  // A dependency the runtime does not provide is still named with the install step.
  write_file(dir.path / "handler.js", "require('left-pad');\nexports.hello = async () => 1;\n");
  try {
    plan_bundle(service, function);
    FAIL("planned a bundle whose declared dependency is not installed");
  } catch (const fx::Error& e) {
    CHECK(std::string(e.what()).find("node_modules/left-pad") != std::string::npos);
  }
}
