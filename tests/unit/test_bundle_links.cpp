// Symlinks and bundles: a link whose target lies outside the service folder never brings what
// it points at into a zip, unless a package.patterns line names the link itself. Real files and
// links in temporary folders; zips read back with libzip.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/bundle/bundle.h"
#include "core/util/error.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::bundle;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Strings = std::vector<std::string>;

using fx::test::TempDir;

namespace {

fx::manifest::Service service_in(const fs::path& dir, Strings patterns = {},
                                 const std::string& custom_fx = "{}") {
  fx::manifest::Service service;
  service.dir = dir;
  service.manifest_path = dir / "serverless.yml";
  service.name = "svc";
  service.package_patterns = std::move(patterns);
  service.custom_fx_json = custom_fx;
  return service;
}

fx::manifest::Function function(const std::string& runtime = "provided.al2023",
                                const std::string& handler = "bootstrap") {
  fx::manifest::Function fn;
  fn.key = "hello";
  fn.handler = handler;
  fn.runtime = runtime;
  return fn;
}

// Name → content of every entry of a zip, read back with libzip.
std::map<std::string, std::string> unzip(const fs::path& path) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_RDONLY, &code);
  REQUIRE(zip != nullptr);
  std::map<std::string, std::string> entries;
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i) {
    zip_stat_t st;
    REQUIRE(zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &st) == 0);
    std::string content(st.size, '\0');
    zip_file_t* file = zip_fopen_index(zip, static_cast<zip_uint64_t>(i), 0);
    REQUIRE(file != nullptr);
    REQUIRE(zip_fread(file, content.data(), st.size) == static_cast<zip_int64_t>(st.size));
    zip_fclose(file);
    entries[st.name] = content;
  }
  zip_discard(zip);
  return entries;
}

Strings names(const std::map<std::string, std::string>& entries) {
  Strings out;
  for (const auto& [name, content] : entries) out.push_back(name);
  return out;
}

std::string reason(const BundlePlan& plan, const std::string& path) {
  for (const auto& f : plan.files)
    if (f.archive_path == path) return f.reason;
  return "(not in the bundle)";
}

std::string skipped(const std::string& link, const fs::path& target) {
  return "functions.hello: skipped " + link + " -> " + target.string() +
         ": it points outside the service folder; add '" + link +
         "' to package.patterns to ship it";
}

}  // namespace

TEST_CASE("links out: a file link a glob matches is skipped, with one warning", "[bundle][links]") {
  TempDir outside, svc, out;
  outside.write("shadow", "root:$6$secret");
  svc.write("bootstrap", "#!/bin/sh\n");
  svc.write("notes.txt", "mine");
  svc.link("shadow.txt", outside.path / "shadow");
  svc.link("alias.txt", "notes.txt");  // inside: still followed

  const auto service = service_in(svc.path, {"*.txt"});
  const BundlePlan plan = plan_bundle(service, function());
  CHECK(plan.warnings == Strings{skipped("shadow.txt", outside.path / "shadow")});
  const auto zip = unzip(write_zip(plan, out.path / "a.zip").zip_path);
  CHECK(names(zip) == Strings{"alias.txt", "bootstrap", "notes.txt"});
  CHECK(zip.at("alias.txt") == "mine");

  SECTION("named exactly, it ships, and the reason says so") {
    const auto named = service_in(svc.path, {"*.txt", "./shadow.txt"});
    const BundlePlan p = plan_bundle(named, function());
    CHECK(p.warnings.empty());
    CHECK(unzip(write_zip(p, out.path / "b.zip").zip_path).at("shadow.txt") == "root:$6$secret");
    CHECK(reason(p, "shadow.txt") == "pattern 'shadow.txt' names the link shadow.txt -> " +
                                         (outside.path / "shadow").string());
  }
  SECTION("a later '!' line takes it out, so there is nothing to warn about") {
    CHECK(plan_bundle(service_in(svc.path, {"*.txt", "!shadow*"}), function()).warnings.empty());
  }
  SECTION("a function's own patterns may name it") {
    auto fn = function();
    fn.package_patterns = {"shadow.txt"};
    CHECK(reason(plan_bundle(service, fn), "shadow.txt")
              .starts_with("pattern 'shadow.txt' names the link"));
  }
}

TEST_CASE("links out: folder links at any depth; named, their files ship", "[bundle][links]") {
  TempDir outside, elsewhere, svc, out;
  outside.write("lib/a.py", "A");
  outside.write("lib/sub/b.py", "B");
  elsewhere.write("key.pem", "private");
  fs::create_symlink(elsewhere.path / "key.pem", outside.path / "lib/sub/key.pem");
  fs::create_directory_symlink(outside.path / "lib", outside.path / "lib/sub/again");  // a loop
  svc.write("bootstrap");
  svc.write("src/main.py");
  svc.link("src/vendor/deep/lib", outside.path / "lib");

  const BundlePlan plan = plan_bundle(service_in(svc.path), function());  // not minimized
  CHECK(plan.warnings == Strings{skipped("src/vendor/deep/lib", outside.path / "lib")});
  CHECK(names(unzip(write_zip(plan, out.path / "a.zip").zip_path)) ==
        Strings{"bootstrap", "src/main.py"});

  // Named, the folder's files ship under the link's path; the link inside it that leads
  // elsewhere is skipped all the same, and the loop back into it is not followed.
  const BundlePlan named = plan_bundle(service_in(svc.path, {"src/vendor/deep/lib"}), function());
  CHECK(named.warnings ==
        Strings{skipped("src/vendor/deep/lib/sub/key.pem", elsewhere.path / "key.pem")});
  const auto zip = unzip(write_zip(named, out.path / "b.zip").zip_path);
  CHECK(names(zip) == Strings{"bootstrap", "src/main.py", "src/vendor/deep/lib/a.py",
                              "src/vendor/deep/lib/sub/b.py"});
  CHECK(zip.at("src/vendor/deep/lib/sub/b.py") == "B");
  CHECK(reason(named, "src/vendor/deep/lib/a.py") ==
        "pattern 'src/vendor/deep/lib' names the link src/vendor/deep/lib -> " +
            (outside.path / "lib").string());
  // A glob over the folder is not a name.
  CHECK(plan_bundle(service_in(svc.path, {"src/**"}), function()).warnings.size() == 1);
}

TEST_CASE("links out: symlink loops never hang", "[bundle][links]") {
  TempDir outside, svc, out;
  outside.write("dir/x.txt", "x");
  fs::create_directory_symlink("..", outside.path / "dir/up");  // out of the named link
  fs::create_directory_symlink(".", outside.path / "dir/self");
  fs::create_symlink("b", outside.path / "dir/a");
  fs::create_symlink("a", outside.path / "dir/b");
  svc.write("bootstrap");
  svc.link("ext", outside.path / "dir");
  fs::create_symlink("me", svc.path / "me");
  fs::create_directory_symlink(svc.path, svc.path / "root");
  const BundlePlan plan = plan_bundle(service_in(svc.path, {"ext", "me"}), function());
  CHECK(plan.warnings == Strings{skipped("ext/up", outside.path)});
  CHECK(names(unzip(write_zip(plan, out.path / "a.zip").zip_path)) ==
        Strings{"bootstrap", "ext/x.txt"});
}

TEST_CASE("links out: an npm linked package in node_modules", "[bundle][links]") {
  TempDir outside, svc, out;
  outside.write("mylib/package.json", R"({"name": "mylib", "main": "main.js"})");
  outside.write("mylib/main.js", "require('shared'); module.exports = 1;");
  outside.write("mylib/.env", "SECRET=1");
  svc.write("package.json", R"({"dependencies": {"mylib": "file:../mylib", "shared": "1"}})");
  svc.write("handler.js", "require('mylib');\n");
  svc.write("node_modules/shared/index.js", "");
  svc.link("node_modules/mylib", outside.path / "mylib");
  const auto fn = function("nodejs20.x", "handler.main");

  // Not named: left out with a warning (not the error for an uninstalled dependency).
  const BundlePlan plan = plan_bundle(service_in(svc.path), fn);
  CHECK(plan.warnings == Strings{skipped("node_modules/mylib", outside.path / "mylib")});
  CHECK(names(unzip(write_zip(plan, out.path / "a.zip").zip_path)) ==
        Strings{"handler.js", "package.json"});

  // Named: the graph follows it and what it requires from the service's node_modules.
  const BundlePlan named = plan_bundle(service_in(svc.path, {"node_modules/mylib"}), fn);
  CHECK(named.warnings.empty());
  const auto zip = unzip(write_zip(named, out.path / "b.zip").zip_path);
  CHECK(names(zip) == Strings{"handler.js", "node_modules/mylib/main.js",
                              "node_modules/mylib/package.json", "node_modules/shared/index.js",
                              "package.json"});
  CHECK_THAT(reason(named, "node_modules/shared/index.js"), Contains("import chain"));
  CHECK_THAT(reason(named, "node_modules/mylib/main.js"),
             Equals("import chain: handler.js → mylib (through the link node_modules/mylib -> " +
                    (outside.path / "mylib").string() + ", which package.patterns names)"));
}

TEST_CASE("links out: Python modules and installed packages", "[bundle][links]") {
  TempDir outside, svc, out;
  outside.write("shared.py", "S = 1\n");
  outside.write("model.bin", "weights");
  svc.write("handler.py", "import shared\nimport dep\n");
  svc.link("shared.py", outside.path / "shared.py");
  svc.write(".fx/deps/dep/__init__.py");
  svc.link(".fx/deps/dep/model.bin", outside.path / "model.bin");
  const auto fn = function("python3.12", "handler.main");
  // No bytecode: the interpreter need not match for this test.
  const auto service = service_in(svc.path, {}, R"({"bytecode": false})");

  const BundlePlan plan = plan_bundle(service, fn);
  CHECK(plan.warnings == Strings{skipped(".fx/deps/dep/model.bin", outside.path / "model.bin"),
                                 skipped("shared.py", outside.path / "shared.py")});
  CHECK(names(unzip(write_zip(plan, out.path / "a.zip").zip_path)) ==
        Strings{"dep/__init__.py", "handler.py"});

  const BundlePlan named =
      plan_bundle(service_in(svc.path, {"shared.py", ".fx/deps/dep/model.bin"}), fn);
  CHECK(named.warnings.empty());
  const auto zip = unzip(write_zip(named, out.path / "b.zip").zip_path);
  CHECK(names(zip) == Strings{"dep/__init__.py", "dep/model.bin", "handler.py", "shared.py"});
  CHECK(zip.at("shared.py") == "S = 1\n");
}

TEST_CASE("links out: a reused bundle repeats its warnings; layers skip them too",
          "[bundle][links]") {
  TempDir outside, svc;
  outside.write("secret.txt", "s");
  svc.write("bootstrap");
  svc.link("secret.txt", outside.path / "secret.txt");
  svc.write("layers/common/lib/a.so", "elf");
  svc.link("layers/common/lib/b.so", outside.path / "secret.txt");
  auto service = service_in(svc.path, {"!layers/**"});
  service.functions.push_back(function());
  const Artifact first = package_function(service, function());
  const Artifact second = package_function(service, function());
  CHECK_FALSE(first.cached);
  CHECK(second.cached);
  CHECK(first.warnings == Strings{skipped("secret.txt", outside.path / "secret.txt")});
  CHECK(second.warnings == first.warnings);
  const auto result = package_functions(service, {&service.functions[0]});
  CHECK(result.warnings == first.warnings);

  fx::manifest::Layer layer;
  layer.key = "common";
  layer.path = "layers/common";
  const Artifact zipped = package_layer(service, layer);
  CHECK(names(unzip(zipped.zip_path)) == Strings{"lib/a.so"});
  CHECK(zipped.warnings ==
        Strings{"layers.common: skipped layers/common/lib/b.so -> " +
                (outside.path / "secret.txt").string() +
                ": it points outside the service folder; copy what it points at into the "
                "layer's folder to ship it"});
}
