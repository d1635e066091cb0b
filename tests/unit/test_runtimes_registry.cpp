#include <catch2/catch.hpp>

#include <algorithm>
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
  for (const char* id :
       {"python3.8", "python3.9", "python3.10", "python3.11", "python3.12", "python3.13"}) {
    REQUIRE(find_family(id) != nullptr);
    CHECK(find_family(id)->name == "python");
  }
  for (const char* id : {"nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x"})
    CHECK(find_family(id)->name == "node");
  for (const char* id : {"ruby3.2", "ruby3.3"}) CHECK(find_family(id)->name == "ruby");
  for (const char* id : {"provided", "provided.al2", "provided.al2023"})
    CHECK(find_family(id)->name == "provided");
  // Lambda's deprecated or other spellings, and what only looks like a runtime.
  for (const char* id : {"python2.7", "python3.1", "python3", "nodejs20", "nodejs", "ruby2.7",
                         "ruby3.1", "java21", "provided.al2024", "", "PYTHON3.11"})
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
  // nodejs16.x had the v2 SDK, which fx does not install.
  CHECK_FALSE(provides_module("nodejs16.x", "@aws-sdk/client-s3"));
  CHECK(provided_sdk("nodejs16.x") == nullptr);
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
