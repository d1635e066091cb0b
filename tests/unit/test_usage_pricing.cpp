#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/usage/pricing.h"
#include "core/util/embedded.h"
#include "core/util/error.h"
#include "temp_dir.h"

using Catch::Matchers::Contains;
using fx::usage::PriceTable;
using nlohmann::json;

namespace {

// The built-in file as JSON, for tests that break one field of it.
json builtin_json() {
  const auto* file = fx::util::find_embedded("pricing.json");
  REQUIRE(file != nullptr);
  return json::parse(file->data);
}

// The fx::Error that parsing the built-in file with `edit` applied throws.
fx::Error parse_error_after(const std::function<void(json&)>& edit) {
  json doc = builtin_json();
  edit(doc);
  try {
    fx::usage::parse_prices(doc.dump(2), "prices.json");
  } catch (const fx::Error& e) {
    return e;
  }
  FAIL("parse_prices accepted the edited file");
  return fx::Error("unreachable");
}

}  // namespace

TEST_CASE("the built-in price table holds PRICING.md's figures", "[pricing]") {
  const PriceTable& t = fx::usage::builtin_prices();
  CHECK(t.date == "2026-11-27");
  CHECK(t.origin == "built-in");
  CHECK(&t == &fx::usage::builtin_prices());  // parsed once

  CHECK(t.aws.request_per_million == 0.20);
  REQUIRE(t.aws.x86_64_gb_s.size() == 3);
  CHECK(t.aws.x86_64_gb_s[0].up_to == 6e9);
  CHECK(t.aws.x86_64_gb_s[0].price == 0.0000166667);
  CHECK(t.aws.x86_64_gb_s[1].up_to == 15e9);  // 6 billion + the next 9 billion
  CHECK(t.aws.x86_64_gb_s[1].price == 0.000015);
  CHECK(std::isinf(t.aws.x86_64_gb_s[2].up_to));
  CHECK(t.aws.x86_64_gb_s[2].price == 0.0000133334);
  REQUIRE(t.aws.arm64_gb_s.size() == 3);
  CHECK(t.aws.arm64_gb_s[0].up_to == 7.5e9);
  CHECK(t.aws.arm64_gb_s[0].price == 0.0000133334);
  CHECK(t.aws.arm64_gb_s[1].up_to == 18.75e9);  // 7.5 billion + the next 11.25 billion
  CHECK(t.aws.arm64_gb_s[1].price == 0.0000120001);
  CHECK(std::isinf(t.aws.arm64_gb_s[2].up_to));
  CHECK(t.aws.arm64_gb_s[2].price == 0.0000106667);
  CHECK(t.aws.free_requests == 1e6);
  CHECK(t.aws.free_gb_s == 400000);
  CHECK(t.aws.bill_init);
  CHECK(t.aws.ephemeral_storage_gb_s == 0.0000000309);
  CHECK(t.aws.provisioned_warm_gb_s == 0.0000041667);
  CHECK(t.aws.provisioned_duration_gb_s == 0.0000097222);

  CHECK(t.azure.gb_s == 0.000016);
  CHECK(t.azure.execution_per_million == 0.20);
  CHECK(t.azure.free_gb_s == 400000);
  CHECK(t.azure.free_executions == 1e6);
  CHECK(t.azure.memory_rounding_mb == 128);
  CHECK(t.azure.minimum_ms == 100);

  CHECK(t.gcp.vcpu_s == 0.000024);
  CHECK(t.gcp.gib_s == 0.0000025);
  CHECK(t.gcp.request_per_million == 0.40);
  CHECK(t.gcp.free_vcpu_s == 180000);
  CHECK(t.gcp.free_gib_s == 360000);
  CHECK(t.gcp.free_requests == 2e6);
  CHECK(t.gcp.rounding_ms == 100);
  REQUIRE(t.gcp.vcpu_by_memory_mb.size() == 9);
  CHECK(t.gcp.vcpu_by_memory_mb.front() == std::pair<int, double>{128, 0.083});
  CHECK(t.gcp.vcpu_by_memory_mb[4] == std::pair<int, double>{2048, 1.0});
  CHECK(t.gcp.vcpu_by_memory_mb.back() == std::pair<int, double>{32768, 8.0});

  CHECK(t.gcp_gen1.request_per_million == 0.40);
  CHECK(t.gcp_gen1.gb_s == 0.0000025);
  CHECK(t.gcp_gen1.ghz_s == 0.00001);

  CHECK(t.cloudflare.monthly_minimum == 5);
  CHECK(t.cloudflare.included_requests == 10e6);
  CHECK(t.cloudflare.request_per_million == 0.30);
  CHECK(t.cloudflare.included_cpu_ms == 30e6);
  CHECK(t.cloudflare.cpu_ms_per_million == 0.02);
}

TEST_CASE("the built-in file cites a source for every provider", "[pricing]") {
  json doc = builtin_json();
  for (const char* provider : {"aws", "azure", "gcp", "gcp_gen1", "cloudflare"}) {
    INFO(provider);
    CHECK(doc["sources"].contains(provider));
  }
  CHECK(doc["note"].get<std::string>().find("PRICING.md") != std::string::npos);
}

TEST_CASE("a pricing file's missing field is named by its path", "[pricing]") {
  fx::Error e = parse_error_after([](json& j) { j["azure"].erase("gb_s"); });
  CHECK(std::string(e.what()) == "pricing file prices.json: azure.gb_s is missing");

  e = parse_error_after([](json& j) { j.erase("cloudflare"); });
  CHECK(std::string(e.what()) == "pricing file prices.json: cloudflare is missing");

  e = parse_error_after([](json& j) { j["aws"]["arm64_gb_s"][0].erase("price"); });
  CHECK(std::string(e.what()) == "pricing file prices.json: aws.arm64_gb_s[0].price is missing");
}

TEST_CASE("a negative price is an error naming the field", "[pricing]") {
  fx::Error e = parse_error_after([](json& j) { j["aws"]["x86_64_gb_s"][1]["price"] = -1; });
  CHECK(std::string(e.what()) ==
        "pricing file prices.json: aws.x86_64_gb_s[1].price is negative (-1)");
  CHECK(e.hint() == "every price must be a number >= 0");
}

TEST_CASE("a price that is not a number is an error naming the field", "[pricing]") {
  fx::Error e = parse_error_after([](json& j) { j["gcp"]["vcpu_s"] = "0.000024"; });
  CHECK(std::string(e.what()) ==
        "pricing file prices.json: gcp.vcpu_s is not a number (\"0.000024\")");

  e = parse_error_after([](json& j) { j["aws"]["bill_init"] = 1; });
  CHECK_THAT(e.what(), Contains("aws.bill_init is not true or false (1)"));

  e = parse_error_after([](json& j) { j["azure"]["memory_rounding_mb"] = 128.5; });
  CHECK_THAT(e.what(), Contains("azure.memory_rounding_mb is not an integer (128.5)"));

  // A rounding step of 0 would divide by zero.
  e = parse_error_after([](json& j) { j["gcp"]["rounding_ms"] = 0; });
  CHECK_THAT(e.what(), Contains("gcp.rounding_ms is out of range (0)"));
}

TEST_CASE("tiers must ascend and end unbounded", "[pricing]") {
  fx::Error e = parse_error_after([](json& j) { j["aws"]["arm64_gb_s"][1]["up_to"] = 1e9; });
  CHECK_THAT(e.what(), Contains("pricing file prices.json: aws.arm64_gb_s[1].up_to is not above "
                                "the previous tier's (1000000000 <= 7500000000)"));

  e = parse_error_after([](json& j) { j["aws"]["x86_64_gb_s"][2]["up_to"] = 1e12; });
  CHECK_THAT(e.what(), Contains("aws.x86_64_gb_s[2].up_to is not null"));

  e = parse_error_after([](json& j) { j["aws"]["x86_64_gb_s"][0]["up_to"] = nullptr; });
  CHECK_THAT(e.what(), Contains("aws.x86_64_gb_s[0].up_to is null before the last tier"));

  e = parse_error_after([](json& j) { j["aws"]["x86_64_gb_s"] = json::array(); });
  CHECK_THAT(e.what(), Contains("aws.x86_64_gb_s is not a non-empty array"));
}

TEST_CASE("the vCPU table must ascend by memory", "[pricing]") {
  fx::Error e = parse_error_after([](json& j) { j["gcp"]["vcpu_by_memory_mb"][2][0] = 200; });
  CHECK_THAT(e.what(), Contains("gcp.vcpu_by_memory_mb[2][0] is not above the previous row's "
                                "(200 <= 256)"));

  e = parse_error_after([](json& j) { j["gcp"]["vcpu_by_memory_mb"][1] = json::array({256}); });
  CHECK_THAT(e.what(), Contains("gcp.vcpu_by_memory_mb[1] is not a [memory MB, vCPU] pair"));
}

TEST_CASE("malformed pricing JSON says where", "[pricing]") {
  std::string text = "{\n  \"date\": \"2026-11-27\",\n  oops\n}\n";
  try {
    fx::usage::parse_prices(text, "bad.json");
    FAIL("accepted malformed JSON");
  } catch (const fx::Error& e) {
    std::string what = e.what();
    CHECK_THAT(what, Contains("pricing file bad.json: is not valid JSON (byte "));
    CHECK_THAT(what, Contains("line 3"));
    CHECK(what.find('\n') == std::string::npos);  // one line under `fx: error:`
  }
}

TEST_CASE("fields beyond the table's are ignored", "[pricing]") {
  json doc = builtin_json();
  doc["aws"]["comment"] = "checked by hand";
  doc["extra"] = json::array({1, 2});
  PriceTable t = fx::usage::parse_prices(doc.dump(), "extra.json");
  CHECK(t.origin == "extra.json");
  CHECK(t.aws.request_per_million == 0.20);
}

TEST_CASE("load_prices reads a file and names it as the origin", "[pricing]") {
  fx::test::TempDir tmp("pricing");
  const std::filesystem::path& dir = tmp.path;
  std::filesystem::path file = dir / "prices.json";
  json doc = builtin_json();
  doc["date"] = "2030-01-01";
  doc["aws"]["request_per_million"] = 0.25;
  std::ofstream(file) << doc.dump(2);

  PriceTable t = fx::usage::load_prices(file);
  CHECK(t.origin == file.string());
  CHECK(t.date == "2030-01-01");
  CHECK(t.aws.request_per_million == 0.25);

  CHECK_THROWS_WITH(fx::usage::load_prices(dir / "missing.json"),
                    Contains("cannot read pricing file") && Contains("missing.json"));
  CHECK_THROWS_WITH(fx::usage::load_prices(dir), Contains("it is a directory"));

  std::ofstream(file) << "{\"date\": \"2030-01-01\"}";
  CHECK_THROWS_WITH(fx::usage::load_prices(file),
                    "pricing file " + file.string() + ": aws is missing");
}
