#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/usage/cost.h"
#include "core/usage/pricing.h"
#include "core/usage/report.h"

using Catch::Matchers::Contains;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;
using fx::usage::CostOptions;
using fx::usage::CostReport;
using fx::usage::FunctionUsage;
using fx::usage::Provider;
using fx::usage::ReportRecord;
using fx::usage::UsageAccumulator;

namespace {

const fx::usage::PriceTable& prices() {
  return fx::usage::builtin_prices();
}

constexpr auto kAws = static_cast<std::size_t>(Provider::aws);
constexpr auto kAzure = static_cast<std::size_t>(Provider::azure);
constexpr auto kGcp = static_cast<std::size_t>(Provider::gcp);
constexpr auto kCloudflare = static_cast<std::size_t>(Provider::cloudflare);

// A warm, successful x86_64 invocation as the emulator records it.
ReportRecord record(const std::string& function, double duration_ms, int memory_mb,
                    int max_memory_mb) {
  ReportRecord r;
  r.function = function;
  r.duration_ms = duration_ms;
  r.billed_ms = fx::usage::billed_duration_ms(duration_ms);
  r.memory_mb = memory_mb;
  r.max_memory_mb = max_memory_mb;
  return r;
}

std::vector<FunctionUsage> accumulate(const std::vector<ReportRecord>& records) {
  UsageAccumulator acc(prices());
  for (const ReportRecord& r : records) acc.add(r);
  return acc.take();
}

CostReport price(const std::vector<ReportRecord>& records, CostOptions options = {}) {
  return fx::usage::price_usage(accumulate(records), prices(), options);
}

bool mentions(const CostReport& report, const std::string& text) {
  return std::any_of(report.notes.begin(), report.notes.end(),
                     [&](const std::string& n) { return n.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("provider names round-trip", "[cost]") {
  for (Provider p : fx::usage::kProviders) {
    CHECK(fx::usage::parse_provider(fx::usage::provider_name(p)) == p);
  }
  CHECK(fx::usage::provider_name(Provider::cloudflare) == "cloudflare");
  CHECK_FALSE(fx::usage::parse_provider("lambda"));
}

TEST_CASE("one 100 ms invocation at 128 MB on AWS x86_64", "[cost]") {
  ReportRecord r = record("f", 100, 128, 41);
  // A request ($0.20 per million) plus 128/1024 GB for 0.1 s at the first x86_64 tier.
  const double expected = 0.2e-6 + 0.125 * 0.1 * 0.0000166667;
  CHECK_THAT(fx::usage::invocation_cost(r, Provider::aws, prices()), WithinRel(expected, 1e-9));

  CostReport report = price({r});
  REQUIRE(report.functions.size() == 1);
  const FunctionUsage& u = report.functions[0].usage;
  CHECK(u.invocations == 1);
  CHECK(u.billed_ms == 100);
  CHECK_THAT(u.gb_s, WithinRel(0.0125, 1e-12));
  CHECK_THAT(u.aws_x86_64_gb_s, WithinRel(0.0125, 1e-12));
  CHECK(u.aws_arm64_gb_s == 0);
  CHECK_THAT(report.functions[0].usd[kAws], WithinRel(expected, 1e-9));
  CHECK_THAT(report.total.usd[kAws], WithinRel(expected, 1e-9));
  CHECK(mentions(report, "prices of 2026-11-27 (built-in)"));
}

TEST_CASE("arm64 GB-s are priced at the arm64 rate", "[cost]") {
  ReportRecord x86 = record("f", 100, 128, 41);
  ReportRecord arm = x86;
  arm.architecture = "arm64";
  // 0.0125 GB-s at $0.0000133334 instead of $0.0000166667.
  CHECK_THAT(fx::usage::invocation_cost(arm, Provider::aws, prices()),
             WithinRel(0.2e-6 + 0.0125 * 0.0000133334, 1e-9));
  CHECK(fx::usage::invocation_cost(arm, Provider::aws, prices()) <
        fx::usage::invocation_cost(x86, Provider::aws, prices()));

  CostReport report = price({arm});
  CHECK_THAT(report.functions[0].usage.aws_arm64_gb_s, WithinRel(0.0125, 1e-12));
  CHECK(report.functions[0].usage.aws_x86_64_gb_s == 0);
  CHECK(report.functions[0].usage.architecture == "arm64");
  CHECK_THAT(report.total.usd[kAws], WithinRel(0.2e-6 + 0.0125 * 0.0000133334, 1e-9));
}

TEST_CASE("a cold start's INIT is billed on AWS only", "[cost]") {
  ReportRecord r = record("f", 100, 128, 64);
  r.init_ms = 87.12;
  // As a REPORT line says it since 1 Aug 2025: Billed Duration = ceil(Duration + Init).
  r.billed_ms = fx::usage::billed_duration_ms(100 + 87.12);
  CostReport report = price({r});
  const FunctionUsage& u = report.functions[0].usage;
  CHECK(u.cold_starts == 1);
  CHECK_THAT(u.init_ms, WithinRel(87.12, 1e-12));
  CHECK(u.billed_ms == 188);  // 187.12 ms rounded up once
  CHECK_THAT(u.gb_s, WithinRel(0.125 * 0.188, 1e-12));
  // Azure: 64 MB used, rounded up to 128 MB, for 100 ms; no INIT.
  CHECK_THAT(u.azure_gb_s, WithinRel(0.125 * 0.1, 1e-12));
  // GCP: 100 ms at 128 MB (0.083 vCPU); no INIT.
  CHECK_THAT(u.gcp_vcpu_s, WithinRel(0.083 * 0.1, 1e-12));
  CHECK_THAT(fx::usage::invocation_cost(r, Provider::aws, prices()),
             WithinRel(0.2e-6 + 0.125 * 0.188 * 0.0000166667, 1e-9));
  CHECK(mentions(report, "INIT"));
}

TEST_CASE("a month past 6 billion x86_64 GB-s is priced partly at the second tier", "[cost]") {
  // One 900 s invocation at 10,240 MB is 10 GB x 900 s = 9,000 GB-s; a million of them a
  // month is 9e9 GB-s: 6e9 at the first tier and 3e9 at the second.
  CostOptions monthly;
  monthly.monthly_invocations = 1e6;
  CostReport report = price({record("big", 900000, 10240, 5000)}, monthly);
  CHECK_THAT(report.total.usage.gb_s, WithinRel(9e9, 1e-12));
  const double expected = 1e6 * 0.2 / 1e6 + 6e9 * 0.0000166667 + 3e9 * 0.000015;
  CHECK_THAT(report.total.usd[kAws], WithinRel(expected, 1e-9));
  CHECK_THAT(report.functions[0].usd[kAws], WithinRel(expected, 1e-9));
  CHECK(mentions(report, "volume tier"));
}

TEST_CASE("usage within the free tier costs nothing on AWS, Azure and GCP", "[cost]") {
  std::vector<ReportRecord> records;
  for (int i = 0; i < 1000; ++i) {
    ReportRecord r = record("f", 100, 128, 64);
    r.cpu_ms = 5;
    records.push_back(r);
  }
  CostOptions free;
  free.free_tier = true;
  CostReport report = price(records, free);
  CHECK(report.total.usd[kAws] == 0);
  CHECK(report.total.usd[kAzure] == 0);
  CHECK(report.total.usd[kGcp] == 0);
  CHECK(report.total.usd[kCloudflare] == 0);  // 1,000 requests and 5,000 CPU-ms are included
  CHECK(report.functions[0].usd == std::array<double, 4>{});
  CHECK(mentions(report, "free tier subtracted"));

  CostReport paid = price(records);
  CHECK_THAT(paid.total.usd[kAws], WithinRel(1000 * (0.2e-6 + 0.0125 * 0.0000166667), 1e-9));
}

TEST_CASE("usage above the free tier pays only for the excess", "[cost]") {
  // 10 measured 1 s invocations at 1,024 MB using 1,000 MB, projected to 2 million a month.
  std::vector<ReportRecord> records(10, record("f", 1000, 1024, 1000));
  CostOptions options;
  options.free_tier = true;
  options.monthly_invocations = 2e6;
  CostReport report = price(records, options);
  // AWS: 2e6 - 1e6 requests; 2e6 x 1 GB-s - 400,000 free.
  CHECK_THAT(report.total.usd[kAws],
             WithinRel(1e6 * 0.2 / 1e6 + (2e6 - 400000) * 0.0000166667, 1e-9));
  // Azure: 1,000 MB rounds to 1,024 MB, so also 1 GB-s each.
  CHECK_THAT(report.total.usd[kAzure],
             WithinRel(1e6 * 0.2 / 1e6 + (2e6 - 400000) * 0.000016, 1e-9));
  // GCP: 2 million requests are free; 1,024 MB gets 0.583 vCPU.
  CHECK_THAT(report.total.usd[kGcp],
             WithinRel((0.583 * 2e6 - 180000) * 0.000024 + (2e6 - 360000) * 0.0000025, 1e-9));
}

TEST_CASE("the free GB-s are taken from x86_64 before arm64", "[cost]") {
  // 100,000 x86_64 GB-s and 400,000 arm64 GB-s a month: the 400,000 free GB-s cover all the
  // x86_64 ones and 300,000 of the arm64 ones.
  ReportRecord x86 = record("x86", 100000, 1024, 500);  // 1 GB x 100 s = 100 GB-s
  ReportRecord arm = record("arm", 400000, 1024, 500);  // 400 GB-s
  arm.architecture = "arm64";
  CostOptions options;
  options.free_tier = true;
  options.monthly_invocations = 2000;  // 1,000 of each
  CostReport report = price({x86, arm}, options);
  CHECK_THAT(report.total.usage.aws_x86_64_gb_s, WithinRel(100000, 1e-12));
  CHECK_THAT(report.total.usage.aws_arm64_gb_s, WithinRel(400000, 1e-12));
  CHECK_THAT(report.total.usd[kAws], WithinRel(100000 * 0.0000133334, 1e-9));
}

TEST_CASE("Azure bills at least 100 ms and observed memory rounded up to 128 MB", "[cost]") {
  ReportRecord r = record("f", 5, 1024, 129);
  // 129 MB used rounds up to 256 MB; 5 ms bills as 100 ms: 0.25 GB x 0.1 s.
  CHECK_THAT(fx::usage::invocation_cost(r, Provider::azure, prices()),
             WithinRel(0.2e-6 + 0.25 * 0.1 * 0.000016, 1e-9));
  CostReport report = price({r});
  CHECK_THAT(report.functions[0].usage.azure_gb_s, WithinRel(0.025, 1e-12));

  // Exactly 128 MB stays 128 MB; a long run is not rounded to 100 ms steps.
  ReportRecord exact = record("f", 250.5, 1024, 128);
  CHECK_THAT(price({exact}).functions[0].usage.azure_gb_s, WithinRel(0.125 * 0.251, 1e-12));
}

TEST_CASE("GCP rounds to 100 ms and looks up vCPU by memory", "[cost]") {
  ReportRecord r = record("f", 101, 256, 100);
  // 101 ms bills as 200 ms; 256 MB gets 0.167 vCPU.
  CostReport report = price({r});
  const FunctionUsage& u = report.functions[0].usage;
  CHECK_THAT(u.gcp_vcpu_s, WithinRel(0.167 * 0.2, 1e-12));
  CHECK_THAT(u.gcp_gib_s, WithinRel(0.25 * 0.2, 1e-12));
  CHECK_THAT(fx::usage::invocation_cost(r, Provider::gcp, prices()),
             WithinRel(0.4e-6 + 0.167 * 0.2 * 0.000024 + 0.25 * 0.2 * 0.0000025, 1e-9));

  // Between table rows the next larger row applies; above the table, its largest.
  CHECK_THAT(price({record("f", 100, 300, 100)}).functions[0].usage.gcp_vcpu_s,
             WithinRel(0.333 * 0.1, 1e-12));
  CHECK_THAT(price({record("f", 100, 65536, 100)}).functions[0].usage.gcp_vcpu_s,
             WithinRel(8 * 0.1, 1e-12));
}

TEST_CASE("Cloudflare bills requests and CPU time", "[cost]") {
  ReportRecord r = record("f", 500, 128, 40);  // wall time is free
  r.cpu_ms = 7;
  const double one = 0.3e-6 + 7 * 0.02 / 1e6;
  CHECK_THAT(fx::usage::invocation_cost(r, Provider::cloudflare, prices()), WithinRel(one, 1e-9));
  CostReport report = price({r});
  CHECK_THAT(report.total.usd[kCloudflare], WithinRel(one, 1e-9));
  CHECK(mentions(report, "marginal"));

  // With the free tier the plan's included amounts cover it.
  CostOptions free;
  free.free_tier = true;
  CHECK(price({r}, free).total.usd[kCloudflare] == 0);
}

TEST_CASE("a Cloudflare month adds the $5 minimum and subtracts what it includes", "[cost]") {
  // 10 measured requests of 2 CPU-ms projected to 20 million: 10 million requests and 10
  // million CPU-ms beyond the included 10 million and 30 million.
  std::vector<ReportRecord> records(10, record("f", 50, 128, 40));
  for (ReportRecord& r : records) r.cpu_ms = 2;
  CostOptions monthly;
  monthly.monthly_invocations = 20e6;
  CostReport report = price(records, monthly);
  const double usage = 10e6 * 0.3 / 1e6 + 10e6 * 0.02 / 1e6;
  CHECK_THAT(report.total.usd[kCloudflare], WithinRel(5 + usage, 1e-9));
  // The subscription belongs to the account: the function's line has the usage only.
  CHECK_THAT(report.functions[0].usd[kCloudflare], WithinRel(usage, 1e-9));
  CHECK(mentions(report, "monthly minimum"));

  // A month within the included amounts costs the minimum alone.
  monthly.monthly_invocations = 1000;
  CHECK_THAT(price(records, monthly).total.usd[kCloudflare], WithinRel(5.0, 1e-12));
}

TEST_CASE("throttled requests cost nothing and count as throttles", "[cost]") {
  ReportRecord ok = record("f", 100, 128, 41);
  ReportRecord throttled = record("f", 0, 128, 0);
  throttled.outcome = "throttled";
  for (Provider p : fx::usage::kProviders) {
    CHECK(fx::usage::invocation_cost(throttled, p, prices()) == 0);
  }
  CostReport report = price({ok, throttled, throttled});
  const FunctionUsage& u = report.functions[0].usage;
  CHECK(u.invocations == 1);
  CHECK(u.throttles == 2);
  CHECK(u.durations_ms.size() == 1);
  CHECK_THAT(report.total.usd[kAws], WithinRel(0.2e-6 + 0.0125 * 0.0000166667, 1e-9));
}

TEST_CASE("errors, timeouts and out-of-memory are counted", "[cost]") {
  ReportRecord error = record("f", 10, 128, 41);
  error.outcome = "error";
  ReportRecord timeout = error;
  timeout.outcome = "timeout";
  ReportRecord oom = error;
  oom.outcome = "oom";
  ReportRecord later = record("f", 10, 256, 200);  // the latest record's memory wins
  FunctionUsage u = accumulate({error, timeout, oom, later})[0];
  CHECK(u.invocations == 4);
  CHECK(u.errors == 3);
  CHECK(u.timeouts == 1);
  CHECK(u.out_of_memory == 1);
  CHECK(u.memory_mb == 256);
  CHECK(u.max_memory_used_mb == 200);
}

TEST_CASE("percentiles are nearest-rank", "[cost]") {
  std::vector<float> values(20);
  std::iota(values.begin(), values.end(), 1.0f);  // 1..20
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  auto p = fx::usage::percentiles(values);
  CHECK(p.p50 == 10);  // rank ceil(0.50 x 20) = 10
  CHECK(p.p95 == 19);  // rank ceil(0.95 x 20) = 19
  CHECK(p.p99 == 20);  // rank ceil(0.99 x 20) = 20

  auto one = fx::usage::percentiles({42});
  CHECK((one.p50 == 42 && one.p95 == 42 && one.p99 == 42));
  auto none = fx::usage::percentiles({});
  CHECK((none.p50 == 0 && none.p95 == 0 && none.p99 == 0));
}

TEST_CASE("percentiles of a million values take milliseconds", "[cost]") {
  std::vector<float> values(1000000);
  std::iota(values.begin(), values.end(), 1.0f);
  std::shuffle(values.begin(), values.end(), std::mt19937(11));
  auto start = std::chrono::steady_clock::now();
  auto p = fx::usage::percentiles(values);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(p.p50 == 500000);
  CHECK(p.p95 == 950000);
  CHECK(p.p99 == 990000);
  // Generous for a sanitizer build; a sort per percentile would still pass, three would not.
  CHECK(took < std::chrono::seconds(1));
}

TEST_CASE("histogram bins cover every value", "[cost]") {
  double lo = -1, hi = -1;
  // 1 to 1,000 spans more than a factor of 2: log bins of a factor of 10 each.
  auto counts = fx::usage::histogram({1, 5, 50, 1000}, 3, lo, hi);
  CHECK(lo == 1);
  CHECK(hi == 1000);
  CHECK(counts == std::vector<std::int64_t>{2, 1, 1});

  // Within a factor of 2: linear bins of (19 - 10) / 4 = 2.25.
  counts = fx::usage::histogram({10, 11, 12, 15, 19}, 4, lo, hi);
  CHECK(counts == std::vector<std::int64_t>{3, 0, 1, 1});

  std::vector<float> many(1000);
  std::mt19937 rng(3);
  std::lognormal_distribution<float> dist(3, 1);
  for (float& v : many) v = dist(rng);
  counts = fx::usage::histogram(many, 20, lo, hi);
  CHECK(counts.size() == 20);
  CHECK(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}) == 1000);

  counts = fx::usage::histogram({}, 5, lo, hi);
  CHECK(counts == std::vector<std::int64_t>(5, 0));
  CHECK((lo == 0 && hi == 0));
  counts = fx::usage::histogram({7, 7, 7}, 5, lo, hi);
  CHECK(counts[0] == 3);
}

TEST_CASE("a function with no records shows zeros", "[cost]") {
  UsageAccumulator acc(prices());
  acc.ensure("idle");
  acc.add(record("busy", 100, 128, 41));
  CostOptions options;
  options.free_tier = true;
  options.monthly_invocations = 1000;
  CostReport report = fx::usage::price_usage(acc.take(), prices(), options);
  REQUIRE(report.functions.size() == 2);
  const auto& idle = report.functions[1];  // sorted by name: busy, idle
  CHECK(idle.usage.function == "idle");
  CHECK(idle.usage.invocations == 0);
  CHECK(idle.usd == std::array<double, 4>{});
  CHECK(idle.duration_ms.p50 == 0);
  CHECK_FALSE(fx::usage::suggest_memory(idle.usage, prices()));

  // Nothing measured at all: a projection has nothing to scale.
  UsageAccumulator empty(prices());
  empty.ensure("idle");
  CostReport nothing = fx::usage::price_usage(empty.take(), prices(), options);
  CHECK(nothing.total.usd[kAws] == 0);
  CHECK(nothing.total.usd[kAzure] == 0);
  CHECK(nothing.total.usd[kGcp] == 0);
  CHECK(nothing.functions[0].usd == std::array<double, 4>{});
  CHECK(nothing.total.duration_ms.p99 == 0);
}

TEST_CASE("a monthly projection scales every measured quantity", "[cost]") {
  std::vector<ReportRecord> records(10, record("f", 100, 128, 41));
  records[0].init_ms = 200;
  records[0].billed_ms = 300;  // Duration + Init, as the REPORT line bills it
  records[1].outcome = "error";
  CostOptions monthly;
  monthly.monthly_invocations = 1e6;
  CostReport report = price(records, monthly);
  const FunctionUsage& u = report.functions[0].usage;
  CHECK(u.invocations == 1000000);  // 10 measured x 100,000
  CHECK(u.cold_starts == 100000);
  CHECK(u.errors == 100000);
  CHECK_THAT(u.duration_ms, WithinRel(100.0 * 1e6, 1e-12));
  CHECK(u.billed_ms == (10 * 100 + 200) * 100000);
  CHECK(u.durations_ms.size() == 10);  // not scaled: percentiles are per invocation
  // 1e6 requests and (1,000 + 200) ms x 100,000 at 0.125 GB.
  CHECK_THAT(report.total.usd[kAws],
             WithinRel(0.2 + 0.125 * 1200 * 100000 / 1000.0 * 0.0000166667, 1e-9));
  CHECK(mentions(report, "projected to 1,000,000 invocations a month"));
}

TEST_CASE("function lines share the total", "[cost]") {
  std::vector<ReportRecord> records;
  for (int i = 0; i < 30; ++i) {
    ReportRecord a = record("a", 120, 512, 300);
    a.cpu_ms = 30;
    ReportRecord b = record("b", 2000, 2048, 1500);
    b.architecture = "arm64";
    b.cpu_ms = 1500;
    records.push_back(a);
    records.push_back(b);
  }
  CostOptions options;
  options.free_tier = true;
  options.monthly_invocations = 5e6;
  CostReport report = price(records, options);
  REQUIRE(report.functions.size() == 2);
  for (std::size_t p : {kAws, kAzure, kGcp}) {
    INFO(fx::usage::provider_name(static_cast<Provider>(p)));
    CHECK(report.total.usd[p] > 0);
    CHECK_THAT(report.functions[0].usd[p] + report.functions[1].usd[p],
               WithinRel(report.total.usd[p], 1e-12));
  }
  // Cloudflare's lines sum to the total less the plan's $5.
  CHECK_THAT(report.functions[0].usd[kCloudflare] + report.functions[1].usd[kCloudflare],
             WithinRel(report.total.usd[kCloudflare] - 5, 1e-12));
  // The total's usage sums the lines; mixed sizes leave no single memory size.
  CHECK(report.total.usage.invocations == 5000000);
  CHECK(report.total.usage.memory_mb == 0);
  CHECK(report.total.usage.architecture.empty());
  CHECK(report.total.usage.durations_ms.size() == 60);
  CHECK(report.total.duration_ms.p50 == 120);  // rank 30 of 60: the last of the 120 ms
  CHECK(report.total.duration_ms.p95 == 2000);
  CHECK(mentions(report, "share"));
}

TEST_CASE("a sleep-bound function is moved to 128 MB", "[cost]") {
  // 200 ms a call, 1 ms of it CPU, peaking at 41 MB at 1,024 MB.
  std::vector<ReportRecord> records(10, record("f", 200, 1024, 41));
  for (ReportRecord& r : records) r.cpu_ms = 1;
  FunctionUsage u = accumulate(records)[0];
  auto s = fx::usage::suggest_memory(u, prices());
  REQUIRE(s);
  CHECK(s->current_mb == 1024);
  CHECK(s->suggested_mb == 128);
  // At 128 MB the CPU ms runs 1769/128 / (1769/1024) = 8 times longer: 199 + 8 ms.
  CHECK_THAT(s->modeled_p50_ms, WithinRel(207.0, 1e-9));
  CHECK_THAT(s->current_usd_per_million, WithinRel(0.2 + 1e6 * 1.0 * 0.2 * 0.0000166667, 1e-9));
  CHECK_THAT(s->suggested_usd_per_million,
             WithinRel(0.2 + 1e6 * 0.125 * 0.207 * 0.0000166667, 1e-9));
  CHECK_THAT(s->reason, Contains("peak memory 41 MB (+20% headroom) fits in 128 MB"));
  CHECK_THAT(s->reason, Contains("~8.0x slower"));
  CHECK_THAT(s->reason, Contains("1,769 MB = 1 vCPU"));
}

TEST_CASE("the suggestion leaves 20% above the peak memory", "[cost]") {
  // 120 MB x 1.2 = 144 MB: 128 MB is too small, 192 MB is the next size.
  std::vector<ReportRecord> records(5, record("f", 300, 512, 120));
  for (ReportRecord& r : records) r.cpu_ms = 2;
  auto s = fx::usage::suggest_memory(accumulate(records)[0], prices());
  REQUIRE(s);
  CHECK(s->suggested_mb == 192);
}

TEST_CASE("a CPU-bound function costs about the same at any size below 1,769 MB", "[cost]") {
  // All 800 ms of each call is CPU at 1,024 MB.
  std::vector<ReportRecord> records(10, record("f", 800, 1024, 100));
  for (ReportRecord& r : records) r.cpu_ms = 800;
  FunctionUsage u = accumulate(records)[0];
  auto s = fx::usage::suggest_memory(u, prices());
  REQUIRE(s);
  // GB-s stay constant below one vCPU (half the memory, twice the time), so the cost is flat
  // and the tie goes to the smallest size; above 1,769 MB more memory only costs more.
  CHECK(s->suggested_mb < 1769);
  CHECK_THAT(s->suggested_usd_per_million, WithinRel(s->current_usd_per_million, 1e-6));
  // Duration grows as 1769 / M relative to 1769 / 1024.
  CHECK_THAT(s->modeled_p50_ms, WithinRel(800.0 * 1024 / s->suggested_mb, 1e-9));
  CHECK_THAT(s->reason, Contains("slower"));

  // Without a CPU measurement the work is assumed CPU-bound rather than free to shrink.
  for (ReportRecord& r : records) r.cpu_ms = 0;
  auto unknown = fx::usage::suggest_memory(accumulate(records)[0], prices());
  REQUIRE(unknown);
  CHECK_THAT(unknown->suggested_usd_per_million, WithinRel(unknown->current_usd_per_million, 1e-6));
  CHECK_THAT(unknown->reason, Contains("no CPU time was measured"));
}

TEST_CASE("no suggestion without invocations", "[cost]") {
  FunctionUsage u;
  u.function = "idle";
  CHECK_FALSE(fx::usage::suggest_memory(u, prices()));
}
