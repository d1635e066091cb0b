#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "core/runtimes/registry.h"
#include "core/util/embedded.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using fx::manifest::testing::TempService;
using fx::runtimes::Bundler;
using fx::runtimes::find_family;

TEST_CASE("runtimes: each runtime id belongs to one family", "[runtimes]") {
  for (const char* id : {"python3.8", "python3.9", "python3.10", "python3.11", "python3.12",
                         "python3.13", "python3.14"}) {
    REQUIRE(find_family(id) != nullptr);
    CHECK(find_family(id)->name == "python");
  }
  for (const char* id : {"nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"})
    CHECK(find_family(id)->name == "node");
  for (const char* id : {"ruby3.2", "ruby3.3", "ruby3.4"}) CHECK(find_family(id)->name == "ruby");
  for (const char* id : {"provided", "provided.al2", "provided.al2023"})
    CHECK(find_family(id)->name == "provided");
  // Lambda's deprecated or other spellings, and what only looks like a runtime.
  for (const char* id : {"python2.7", "python3.1", "python3.7", "python3.15", "python3", "nodejs20",
                         "nodejs", "nodejs14.x", "nodejs26.x", "ruby2.7", "ruby3.1", "ruby3.5",
                         "java21", "provided.al2024", "", "PYTHON3.11"})
    CHECK(find_family(id) == nullptr);
}

TEST_CASE("runtimes: versions, custom runtimes and the list messages show", "[runtimes]") {
  CHECK(find_family("python3.11")->version_of("python3.11") == "3.11");
  CHECK(find_family("python3.8")->version_of("python3.8") == "3.8");
  CHECK(find_family("nodejs20.x")->version_of("nodejs20.x") == "20");
  CHECK(find_family("ruby3.3")->version_of("ruby3.3") == "3.3");
  CHECK(find_family("provided.al2")->version_of("provided.al2").empty());
  CHECK(find_family("python3.11")->version_of("nodejs20.x").empty());  // not its own

  CHECK(find_family("provided.al2023")->custom());
  for (const char* id : {"python3.12", "nodejs22.x", "ruby3.2"})
    CHECK_FALSE(find_family(id)->custom());

  const auto ids = fx::runtimes::runtime_ids();
  CHECK(ids.front() == "python3.8");
  CHECK(ids.back() == "provided.al2023");
  CHECK(std::count(ids.begin(), ids.end(), "ruby3.3") == 1);
  std::size_t total = 0;
  for (const auto& f : fx::runtimes::families()) total += f.ids.size();
  CHECK(ids.size() == total);
}

TEST_CASE("runtimes: how each family bundles and what its runtime provides", "[runtimes]") {
  CHECK(find_family("python3.11")->bundler == Bundler::python_imports);
  CHECK(find_family("nodejs20.x")->bundler == Bundler::node_imports);
  CHECK(find_family("ruby3.3")->bundler == Bundler::whole_folder);
  CHECK(find_family("provided")->bundler == Bundler::whole_folder);
  using fx::runtimes::provided_sdk;
  using fx::runtimes::provides_module;
  using fx::runtimes::SdkSource;
  CHECK(provides_module("python3.12", "boto3"));
  CHECK(provides_module("python3.12", "botocore.session"));
  CHECK_FALSE(provides_module("python3.12", "boto3x"));
  CHECK_FALSE(provides_module("python3.12", "yaml"));  // the host's, never Lambda's
  CHECK(provides_module("nodejs20.x", "@aws-sdk/client-s3"));
  CHECK(provides_module("nodejs18.x", "@aws-sdk/lib-dynamodb"));
  // nodejs16.x has the v2 SDK, which fx installs for it.
  CHECK_FALSE(provides_module("nodejs16.x", "@aws-sdk/client-s3"));
  CHECK(provides_module("nodejs16.x", "aws-sdk"));
  REQUIRE(provided_sdk("nodejs16.x") != nullptr);
  CHECK(provided_sdk("nodejs16.x")->source == SdkSource::npm);
  CHECK_FALSE(provides_module("nodejs20.x", "aws-sdk"));
  CHECK(provides_module("ruby3.3", "aws-sdk-s3"));
  CHECK(provided_sdk("provided.al2023") == nullptr);
  CHECK(provided_sdk("nope") == nullptr);
  // What the emulator installs: boto3 from the host's Python, v3 from npm at one version.
  CHECK(provided_sdk("python3.11")->source == SdkSource::host_python);
  const auto* node = provided_sdk("nodejs22.x");
  REQUIRE(node != nullptr);
  CHECK(node->source == SdkSource::npm);
  CHECK_FALSE(node->version.empty());
  for (auto client : {"@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/client-sqs",
                      "@aws-sdk/client-lambda"})
    CHECK(std::find(node->packages.begin(), node->packages.end(), client) != node->packages.end());
  CHECK(provided_sdk("ruby3.3")->source == SdkSource::none);
}

// What one registry entry promises must be in the binary: its shim, its template (listed by
// `fx init --list`, with a runtime of its own family) and a probe for its interpreter.
TEST_CASE("runtimes: every family's shim and template are embedded", "[runtimes]") {
  const auto* index = fx::util::find_embedded("index.json");
  REQUIRE(index != nullptr);
  const auto templates = nlohmann::json::parse(index->data);
  for (const auto& family : fx::runtimes::families()) {
    INFO(family.name);
    if (family.custom()) {
      CHECK(family.program.empty());
      continue;
    }
    CHECK_FALSE(family.program.empty());
    CHECK_FALSE(family.probe.empty());
    CHECK(fx::util::find_embedded(std::string("runtimes/") + std::string(family.name) + "/" +
                                  std::string(family.shim)) != nullptr);
    REQUIRE_FALSE(family.template_name.empty());
    CHECK(std::any_of(templates.begin(), templates.end(), [&](const nlohmann::json& t) {
      return t.value("name", "") == family.template_name;
    }));
    const auto* manifest =
        fx::util::find_embedded(std::string(family.template_name) + "/serverless.yaml");
    REQUIRE(manifest != nullptr);
    const auto runtime =
        YAML::Load(std::string(manifest->data))["provider"]["runtime"].as<std::string>();
    CHECK(find_family(runtime) == &family);
  }
}

TEST_CASE("runtimes: the manifest takes the registry's runtimes and names them all",
          "[runtimes][manifest]") {
  TempService t;
  const auto s = t.load(
      "service: shop\n"
      "provider:\n  name: aws\n  runtime: ruby3.3\n"
      "functions:\n"
      "  hello:\n    handler: handler.hello\n"
      "  nested:\n    handler: lib/orders.Shop::Orders.process\n    runtime: ruby3.2\n");
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[0].runtime == "ruby3.3");
  CHECK(s.functions[1].runtime == "ruby3.2");
  CHECK(s.functions[1].handler == "lib/orders.Shop::Orders.process");

  const auto e = t.error("service: shop\nprovider:\n  name: aws\n  runtime: ruby3.1\n");
  CHECK_THAT(e.what(), EndsWith("provider.runtime: expected a supported runtime, got \"ruby3.1\""));
  for (const auto id : fx::runtimes::runtime_ids()) CHECK_THAT(e.hint(), Contains(std::string(id)));

  // A Ruby function needs its handler as every runtime but a custom one does.
  const auto missing = t.error(
      "service: shop\nprovider:\n  name: aws\n  runtime: ruby3.3\nfunctions:\n  hello: {}\n");
  CHECK_THAT(missing.what(), Contains("hello.handler: missing"));
}

// Lambda's deprecation dates (its runtimes page): a function on a deprecated runtime is
// deployed and runs, with a warning naming the date and the newest runtime of its language.
TEST_CASE("runtimes: every runtime has Lambda's deprecation date, warned from that day",
          "[runtimes]") {
  using fx::runtimes::deprecation_warning;
  for (const auto id : fx::runtimes::runtime_ids()) {
    INFO(id);
    const auto all = fx::runtimes::lifecycles();
    CHECK(std::count_if(all.begin(), all.end(), [&](const auto& l) {
            return l.runtime == id && l.deprecated.size() == 10;
          }) == 1);
  }
  CHECK(deprecation_warning("python3.8", "2024-10-13").empty());
  CHECK(deprecation_warning("python3.8", "2024-10-14") ==
        "python3.8: deprecated by Lambda on 2024-10-14 (no more security patches; Lambda refuses "
        "to create or update functions on it some weeks later); use python3.14");
  CHECK_THAT(deprecation_warning("nodejs18.x", "2026-12-07"), Contains("use nodejs24.x"));
  CHECK_THAT(deprecation_warning("ruby3.2", "2026-12-07"), Contains("use ruby3.4"));
  CHECK_THAT(deprecation_warning("provided", "2026-12-07"), Contains("use provided.al2023"));
  for (const char* id : {"python3.13", "python3.14", "nodejs22.x", "nodejs24.x", "ruby3.3",
                         "ruby3.4", "provided.al2023"})
    CHECK(deprecation_warning(id, "2026-12-07").empty());
  CHECK(deprecation_warning("cobol85", "2099-01-01").empty());
  CHECK(fx::runtimes::today_utc().size() == 10);
}

TEST_CASE("runtimes: custom.fx.interpreters names an interpreter per runtime",
          "[runtimes][manifest]") {
  TempService t;
  t.write("py/bin/python3.9", "#!/bin/sh\n");
  std::filesystem::permissions(t.dir / "py/bin/python3.9", std::filesystem::perms::owner_all);
  t.write("home/n/bin/node", "#!/bin/sh\n");
  std::filesystem::permissions(t.dir / "home/n/bin/node", std::filesystem::perms::owner_all);
  t.write("plain.txt", "not a program\n");
  t.env["HOME"] = (t.dir / "home").string();
  const std::string head =
      "service: shop\nprovider:\n  name: aws\n  runtime: python3.9\n"
      "functions:\n  hello:\n    handler: handler.hello\n"
      "custom:\n  fx:\n    interpreters:\n";
  const auto s =
      t.load(head + "      python3.9: py/bin/python3.9\n      nodejs18.x: ~/n/bin/node\n");
  REQUIRE(s.interpreters.size() == 2);
  CHECK(s.interpreters.at("python3.9").path == (t.dir / "py/bin/python3.9").string());
  CHECK_THAT(s.interpreters.at("python3.9").where,
             EndsWith("serverless.yaml:11:18: custom.fx.interpreters.python3.9"));
  CHECK(s.interpreters.at("nodejs18.x").path == (t.dir / "home/n/bin/node").string());

  auto e = t.error(head + "      python2.7: py/bin/python3.9\n");
  CHECK_THAT(e.what(), EndsWith("serverless.yaml:11:7: custom.fx.interpreters.python2.7: "
                                "\"python2.7\" is not a runtime fx runs an interpreter for"));
  CHECK_THAT(e.hint(), Contains("python3.14"));
  e = t.error(head + "      provided.al2023: py/bin/python3.9\n");
  CHECK_THAT(e.what(), Contains("is not a runtime fx runs an interpreter for"));
  e = t.error(head + "      python3.9: py/bin/python9\n");
  CHECK_THAT(e.what(), EndsWith("custom.fx.interpreters.python3.9: " +
                                (t.dir / "py/bin/python9").string() + " does not exist"));
  CHECK_THAT(e.hint(), Contains("Python 3.9"));
  e = t.error(head + "      python3.9: plain.txt\n");
  CHECK_THAT(e.what(), EndsWith((t.dir / "plain.txt").string() + " is not an executable file"));
  e = t.error(head + "      python3.9: [a, b]\n");
  CHECK_THAT(e.what(),
             Contains("custom.fx.interpreters.python3.9: expected the path of an interpreter"));
  e = t.error(head + "      - python3.9\n");
  CHECK_THAT(e.what(), Contains("expected a map of runtime ids to interpreter paths"));
}
