#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/bundle/build_plugins.h"
#include "core/bundle/python_build.h"
#include "core/util/error.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace fx::bundle;
using fx::test::TempDir;

namespace {

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

fx::manifest::Service make_service(const fs::path& dir) {
  fx::manifest::Service service;
  service.dir = dir;
  service.manifest_path = dir / "serverless.yml";
  service.name = "svc";
  return service;
}

fx::manifest::Function node_function(const std::string& handler = "src/handler.hello") {
  fx::manifest::Function function;
  function.key = "hello";
  function.handler = handler;
  function.runtime = "nodejs20.x";
  return function;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fx::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a TypeScript handler is built with esbuild as CommonJS with a source map", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "src/handler.ts", "export const hello = async () => 1;\n");
  auto service = make_service(dir.path);
  BundleSettings settings;
  auto build = node_build_for(service, node_function(), "src/handler", dir.path, settings);
  CHECK(build.tool == NodeTool::esbuild);
  CHECK(build.esbuild.entry == "src/handler.ts");
  CHECK(build.esbuild.archive == "src/handler.js");
  CHECK(build.esbuild.format == "cjs");
  CHECK(build.esbuild.sourcemap == "linked");
  CHECK(build.esbuild.target == "node20");
  CHECK(build.why == "the TypeScript handler src/handler.ts");

  // A .js beside it wins: the import graph ships JavaScript as it is.
  write_file(dir.path / "src/handler.js", "exports.hello = async () => 1;\n");
  CHECK(node_build_for(service, node_function(), "src/handler", dir.path, settings).tool ==
        NodeTool::none);
}

TEST_CASE("an .mts handler becomes an ES module .mjs", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "h.mts", "export const hello = 1;\n");
  auto build = node_build_for(make_service(dir.path), node_function("h.hello"), "h", dir.path,
                              BundleSettings{});
  CHECK(build.esbuild.format == "esm");
  CHECK(build.esbuild.archive == "h.mjs");
}

TEST_CASE("serverless-esbuild's settings become esbuild's arguments", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "src/handler.js", "exports.hello = 1;\n");
  auto service = make_service(dir.path);
  service.plugins = {"serverless-esbuild"};
  service.custom_build_json["esbuild"] =
      R"({"minify": true, "sourcemap": true, "external": ["pg"], "exclude": ["aws-sdk"],
          "target": "node18", "format": "cjs", "packager": "yarn", "keepNames": true})";
  auto build = node_build_for(service, node_function(), "src/handler", dir.path, BundleSettings{});
  REQUIRE(build.tool == NodeTool::esbuild);
  CHECK(build.packaged == std::vector<std::string>{"pg"});
  auto args = esbuild_arguments(build.esbuild, "/out/src/handler.js");
  CHECK(args == std::vector<std::string>{
                    "src/handler.js", "--bundle", "--minify", "--sourcemap", "--platform=node",
                    "--target=node18", "--format=cjs", "--external:pg", "--external:aws-sdk",
                    "--outfile=/out/src/handler.js", "--log-level=warning", "--color=false"});
  REQUIRE(build.notes.size() == 2);
  CHECK(build.notes[0].find("packager \"yarn\" is not run") != std::string::npos);
  CHECK(build.notes[1].find("custom.esbuild.keepNames is not applied") != std::string::npos);

  // exclude '*': nothing of node_modules in the output, nor shipped.
  service.custom_build_json["esbuild"] = R"({"exclude": "*", "external": ["pg"]})";
  build = node_build_for(service, node_function(), "src/handler", dir.path, BundleSettings{});
  CHECK(build.packaged.empty());
  CHECK(esbuild_arguments(build.esbuild, "o.js")[2] == "--packages=external");

  service.custom_build_json["esbuild"] = R"({"format": "amd"})";
  CHECK(error_of([&] {
          node_build_for(service, node_function(), "src/handler", dir.path, BundleSettings{});
        }) == "serverless.yml: custom.esbuild.format: expected cjs, esm, iife, got \"amd\"");
  service.custom_build_json["esbuild"] = R"({"external": "pg", "minify": "yes"})";
  CHECK(error_of([&] {
          node_build_for(service, node_function(), "src/handler", dir.path, BundleSettings{});
        }).find("custom.esbuild.minify: expected true or false") != std::string::npos);
}

TEST_CASE("the SDK Lambda's runtime provides stays out of every esbuild build", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "src/handler.ts", "export const hello = 1;\n");
  auto service = make_service(dir.path);
  auto function = node_function();
  auto externals = [&] {
    return node_build_for(service, function, "src/handler", dir.path, BundleSettings{})
        .esbuild.external;
  };
  // A TypeScript handler (the framework's built-in esbuild): v3 on nodejs18.x and later, v2
  // on nodejs16.x.
  CHECK(externals() == std::vector<std::string>{"@aws-sdk/*"});
  function.runtime = "nodejs16.x";
  CHECK(externals() == std::vector<std::string>{"aws-sdk"});
  service.plugins = {"serverless-plugin-typescript"};
  CHECK(externals() == std::vector<std::string>{"aws-sdk"});
  function.runtime = "nodejs22.x";
  CHECK(externals() == std::vector<std::string>{"@aws-sdk/*"});

  // serverless-esbuild: its default exclude (aws-sdk) and the runtime's v3; an `exclude` of the
  // project's replaces both, as the plugin's does.
  service.plugins = {"serverless-esbuild"};
  service.custom_build_json["esbuild"] = R"({"external": ["pg"]})";
  CHECK(externals() == std::vector<std::string>{"pg", "aws-sdk", "@aws-sdk/*"});
  function.runtime = "nodejs16.x";
  CHECK(externals() == std::vector<std::string>{"pg", "aws-sdk"});
  service.custom_build_json["esbuild"] = R"({"exclude": ["left-pad"]})";
  CHECK(externals() == std::vector<std::string>{"left-pad"});
  service.custom_build_json["esbuild"] = R"({"exclude": []})";
  CHECK(externals().empty());

  BundleSettings minify;
  minify.bundler = "esbuild";
  minify.minify = true;
  service.plugins.clear();
  function.runtime = "nodejs20.x";
  CHECK(node_build_for(service, function, "src/handler", dir.path, minify).esbuild.external ==
        std::vector<std::string>{"@aws-sdk/*"});
}

TEST_CASE("serverless-webpack runs the project's webpack with its config", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "src/handler.ts", "export const hello = 1;\n");
  auto service = make_service(dir.path);
  service.plugins = {"serverless-webpack"};
  service.custom_build_json["webpack"] = R"({"webpackConfig": "./build/webpack.js"})";
  auto build = node_build_for(service, node_function(), "src/handler", dir.path, BundleSettings{});
  REQUIRE(build.tool == NodeTool::webpack);
  CHECK(build.webpack_config == "./build/webpack.js");
  CHECK(webpack_arguments(build.webpack_config, build.esbuild.entry, "/w", build.esbuild.archive) ==
        std::vector<std::string>{"--config", "./build/webpack.js", "--entry-reset", "--entry",
                                 "./src/handler.ts", "--output-path", "/w", "--output-filename",
                                 "src/handler.js", "--output-library-type", "commonjs2", "--target",
                                 "node", "--no-color"});
  // Without the project's webpack: the error says what to install.
  std::vector<std::string> notes;
  CHECK(error_of([&] {
          run_node_build(node_function(), dir.path, build, {}, notes);
        }).find("has no node_modules/.bin/webpack") != std::string::npos);
}

TEST_CASE("tsconfig.json is read as TypeScript reads it", "[bundle]") {
  TempDir dir("build-plugins");
  write_file(dir.path / "tsconfig.json",
             "{\n  // comment\n  \"compilerOptions\": {\"outDir\": \"dist\", /* x */},\n}\n");
  CHECK(read_tsconfig(dir.path / "tsconfig.json") == R"({"compilerOptions":{"outDir":"dist"}})");
  write_file(dir.path / "tsconfig.json", "{\n  \"a\": 1,\n  b: 2\n}\n");
  CHECK(error_of([&] {
          read_tsconfig(dir.path / "tsconfig.json");
        }).starts_with((dir.path / "tsconfig.json").string() + ":3:3: not JSON"));
}

TEST_CASE("esbuild's first error with its place", "[bundle]") {
  const std::string log =
      "✘ [ERROR] Expected \";\" but found \"b\"\n\n    src/handler.ts:2:8:\n      2 │ const a b = "
      "1;\n        ╵         ^\n\n1 error\n";
  CHECK(esbuild_first_error(log) == "src/handler.ts:2:8: Expected \";\" but found \"b\"");
  CHECK(esbuild_first_error("✘ [ERROR] Could not resolve \"x\"\n") == "Could not resolve \"x\"");
  CHECK(esbuild_first_error("segfault\n") == "segfault");
}

TEST_CASE("serverless-python-requirements' settings", "[bundle]") {
  TempDir dir("build-plugins");
  auto service = make_service(dir.path);
  CHECK(python_requirements(service).file == "requirements.txt");  // no plugin: defaults
  service.plugins = {"serverless-python-requirements"};
  service.custom_build_json["pythonRequirements"] =
      R"({"fileName": "req/prod.txt", "noDeploy": ["PyYAML"], "slim": true, "zip": true,
          "dockerizePip": true, "pipCmdExtraArgs": ["--no-deps"], "useDownloadCache": true})";
  auto settings = python_requirements(service);
  CHECK(settings.file == "req/prod.txt");
  CHECK(settings.no_deploy == std::vector<std::string>{"PyYAML"});
  CHECK(settings.pip_args == std::vector<std::string>{"--no-deps"});
  CHECK(settings.slim);
  CHECK(settings.notes.size() == 3);  // zip, dockerizePip, strip

  // noDeploy by distribution name (its top_level.txt) and slim's leftovers.
  const fs::path deps = dir.path / ".fx/deps";
  write_file(deps / "PyYAML-6.0.dist-info/top_level.txt", "_yaml\nyaml\n");
  std::map<std::string, PlannedFile> kept;
  for (std::string name :
       {"yaml/__init__.py", "_yaml/__init__.py", "PyYAML-6.0.dist-info/RECORD", "keep/__init__.py",
        "keep/__pycache__/x.cpython-311.pyc", "keep-1.0.dist-info/METADATA"}) {
    write_file(deps / name, "x");
    kept[name] = PlannedFile{name, deps / name, 1, false, "import"};
  }
  write_file(dir.path / "handler.py", "x");
  kept["handler.py"] = PlannedFile{"handler.py", dir.path / "handler.py", 1, false, "handler"};
  trim_requirements(settings, deps, kept);
  std::vector<std::string> left;
  for (const auto& [name, f] : kept) left.push_back(name);
  CHECK(left == std::vector<std::string>{"handler.py", "keep/__init__.py"});

  write_file(dir.path / "Pipfile", "[packages]\n");
  CHECK(error_of([&] { python_requirements(service); }).find("would install the Pipfile") !=
        std::string::npos);
}
