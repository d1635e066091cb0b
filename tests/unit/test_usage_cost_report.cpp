// The cost request an emulator receives and the report it answers with: what `fx cost` and
// the emulator's POST /_fx/v1/cost share.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/usage/cost_report.h"
#include "core/util/error.h"

using nlohmann::json;

TEST_CASE("A cost request survives the trip to the emulator", "[cost]") {
  fx::usage::CostRequest request;
  request.functions = {"shop-dev-a", "shop-dev-b"};
  request.since_ms = 1700000000000;
  request.options.free_tier = true;
  request.options.monthly_invocations = 1e6;
  request.suggest = true;
  request.buckets = 8;

  fx::usage::PriceTable prices;
  auto back = fx::usage::parse_cost_request(fx::usage::cost_request_json(request, ""), prices);
  CHECK(back.functions == request.functions);
  CHECK(back.since_ms == request.since_ms);
  CHECK(back.options.free_tier);
  REQUIRE(back.options.monthly_invocations);
  CHECK(*back.options.monthly_invocations == 1e6);
  CHECK(back.suggest);
  CHECK(back.buckets == 8);
  CHECK(prices.date == fx::usage::builtin_prices().date);  // no table sent: the built-in one

  CHECK_THROWS_AS(fx::usage::parse_cost_request("[1, 2]", prices), fx::Error);
  CHECK_THROWS_AS(fx::usage::parse_cost_request(R"({"since_ms": "yesterday"})", prices), fx::Error);
  // Histograms have at least one bucket and at most 200.
  CHECK(fx::usage::parse_cost_request(R"({"buckets": 0})", prices).buckets == 1);
  CHECK(fx::usage::parse_cost_request(R"({"buckets": 5000})", prices).buckets == 200);
}

TEST_CASE("The cost report lists every requested function, with or without records", "[cost]") {
  fx::usage::CostRequest request;
  request.functions = {"busy", "never-called"};
  auto prices = fx::usage::builtin_prices();
  auto report = json::parse(fx::usage::cost_report(request, prices,
                                                   [](const fx::usage::ReportVisitor& visit) {
                                                     for (int i = 0; i < 3; ++i) {
                                                       fx::usage::ReportRecord r;
                                                       r.function = "busy";
                                                       r.duration_ms = 100;
                                                       r.billed_ms = 100;
                                                       r.memory_mb = 1024;
                                                       r.max_memory_mb = 60;
                                                       visit(r);
                                                     }
                                                   },
                                                   {"a note of the caller's"}));
  REQUIRE(report["functions"].size() == 2);
  CHECK(report["functions"][0]["function"] == "busy");
  CHECK(report["functions"][0]["invocations"] == 3);
  CHECK(report["functions"][0]["gb_s"].get<double>() == Approx(0.3));
  CHECK(report["functions"][0]["cost"]["aws"].get<double>() > 0);
  CHECK(report["functions"][1]["function"] == "never-called");
  CHECK(report["functions"][1]["invocations"] == 0);
  CHECK(report["total"]["invocations"] == 3);
  CHECK_FALSE(report["total"].contains("function"));
  CHECK(report["since"].is_null());
  CHECK(report["monthly"].is_null());
  CHECK(report["pricing_date"] == prices.date);
  CHECK(report["notes"].back() == "a note of the caller's");
}
