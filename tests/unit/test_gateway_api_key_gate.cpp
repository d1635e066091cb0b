#include <catch2/catch.hpp>

#include "core/gateway/api_key_gate.h"

using fx::gateway::ApiKeyGate;
using fx::gateway::quota_period_start;
using fx::gateway::TokenBucket;
using fx::manifest::ApiKey;
using fx::manifest::ApiKeys;
using fx::manifest::UsagePlan;
using Verdict = ApiKeyGate::Verdict;

namespace {

// 2026-12-08T13:14:15Z, a Tuesday.
constexpr std::int64_t kTuesday = 1796735655000;
constexpr std::int64_t kDay = 86'400'000;

ApiKeys keys_with(const UsagePlan& plan) {
  ApiKeys k;
  ApiKey on;
  on.name = "on";
  on.value = "value-of-on-0123456789";
  ApiKey off = on;
  off.name = "off";
  off.value = "value-of-off-0123456789";
  off.enabled = false;
  k.keys = {on, off};
  k.plans = {plan};
  return k;
}

}  // namespace

TEST_CASE("token bucket: a full bucket, then its rate", "[gateway][api_keys]") {
  TokenBucket b(2.0, 3.0);  // 2 a second, at most 3
  CHECK(b.take(1000));
  CHECK(b.take(1000));
  CHECK(b.take(1000));
  CHECK_FALSE(b.take(1000));
  CHECK_FALSE(b.take(1400));  // 0.8 of a token
  CHECK(b.take(1500));        // 1 token
  CHECK_FALSE(b.take(1500));
  CHECK(b.take(100'000));  // refilled, but only to 3
  CHECK(b.take(100'000));
  CHECK(b.take(100'000));
  CHECK_FALSE(b.take(100'000));
  CHECK_FALSE(b.take(99'000));  // a clock going back adds nothing
}

TEST_CASE("quota periods start on calendar days in UTC", "[gateway][api_keys]") {
  const std::int64_t midnight = kTuesday - kTuesday % kDay;
  CHECK(quota_period_start({5, 0, "DAY"}, kTuesday) == midnight);
  CHECK(quota_period_start({5, 0, "WEEK"}, kTuesday) == midnight - 2 * kDay);   // Sunday
  CHECK(quota_period_start({5, 1, "WEEK"}, kTuesday) == midnight - kDay);       // Monday
  CHECK(quota_period_start({5, 3, "WEEK"}, kTuesday) == midnight - 6 * kDay);   // last Wednesday
  CHECK(quota_period_start({5, 0, "MONTH"}, kTuesday) == midnight - 7 * kDay);  // December 1
  // From the 10th: the period began on November 10.
  CHECK(quota_period_start({5, 9, "MONTH"}, kTuesday) == midnight - 28 * kDay);
}

TEST_CASE("api key gate: keys, disabled keys, throttle and quota", "[gateway][api_keys]") {
  ApiKeyGate gate;
  UsagePlan plan;
  plan.quota = UsagePlan::Quota{3, 0, "DAY"};
  plan.throttle = UsagePlan::Throttle{1.0, 2};
  gate.set("svc", keys_with(plan));
  CHECK(gate.has_keys("svc"));
  CHECK_FALSE(gate.has_keys("other"));
  CHECK(gate.admit("svc", "", kTuesday).verdict == Verdict::missing);
  CHECK(gate.admit("svc", "nope", kTuesday).verdict == Verdict::unknown);
  CHECK(gate.admit("other", "value-of-on-0123456789", kTuesday).verdict == Verdict::unknown);
  auto d = gate.admit("svc", "value-of-off-0123456789", kTuesday);
  CHECK(d.verdict == Verdict::disabled);
  CHECK(d.key_name == "off");
  const std::string on = "value-of-on-0123456789";
  CHECK(gate.admit("svc", on, kTuesday).verdict == Verdict::allowed);
  CHECK(gate.admit("svc", on, kTuesday).verdict == Verdict::allowed);
  CHECK(gate.admit("svc", on, kTuesday).verdict == Verdict::throttled);       // burst of 2 used
  CHECK(gate.admit("svc", on, kTuesday + 1000).verdict == Verdict::allowed);  // 3 of 3
  CHECK(gate.admit("svc", on, kTuesday + 5000).verdict == Verdict::over_quota);
  // A redeploy with the same plan keeps the count; the next day starts afresh.
  gate.set("svc", keys_with(plan));
  CHECK(gate.admit("svc", on, kTuesday + 9000).verdict == Verdict::over_quota);
  CHECK(gate.admit("svc", on, kTuesday + kDay).verdict == Verdict::allowed);
  // A changed plan starts afresh too.
  plan.quota->limit = 10;
  gate.set("svc", keys_with(plan));
  CHECK(gate.admit("svc", on, kTuesday + 9000).verdict == Verdict::allowed);
  gate.drop("svc");
  CHECK(gate.admit("svc", on, kTuesday).verdict == Verdict::unknown);
}
