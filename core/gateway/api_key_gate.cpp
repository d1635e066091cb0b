#include "core/gateway/api_key_gate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace fx::gateway {

bool TokenBucket::take(std::int64_t now_ms) {
  if (last_ms_ >= 0 && now_ms > last_ms_)
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
  last_ms_ = std::max(last_ms_, now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

std::int64_t quota_period_start(const manifest::UsagePlan::Quota& quota, std::int64_t now_ms) {
  using namespace std::chrono;
  const sys_days today = floor<days>(sys_time<milliseconds>(milliseconds(now_ms)));
  sys_days start = today;
  if (quota.period == "WEEK") {
    const weekday first{static_cast<unsigned>(quota.offset % 7)};  // 0: Sunday
    start = today - (weekday(today) - first);
  } else if (quota.period == "MONTH") {
    const year_month_day ymd(today);
    const auto first_day = day(1 + static_cast<unsigned>(quota.offset));
    year_month_day begin(ymd.year(), ymd.month(), first_day);
    if (ymd.day() < first_day) begin = begin - months(1);
    start = sys_days(begin);
  }
  return duration_cast<milliseconds>(start.time_since_epoch()).count();
}

namespace {

std::string settings_of(const manifest::UsagePlan& plan) {
  std::string s;
  if (plan.quota)
    s += fmt::format("quota {} {} {};", plan.quota->limit, plan.quota->offset, plan.quota->period);
  if (plan.throttle)
    s += fmt::format("throttle {} {}", plan.throttle->rate_limit.value_or(-1),
                     plan.throttle->burst_limit.value_or(-1));
  return s;
}

}  // namespace

void ApiKeyGate::set(const std::string& service, const manifest::ApiKeys& keys) {
  std::lock_guard lock(mutex_);
  Service& s = services_[service];
  s.keys = keys;
  s.by_value.clear();
  for (const auto& k : s.keys.keys)
    if (!k.value.empty()) s.by_value[k.value] = Key{k.name, k.enabled, s.keys.plan_of(k)};
  // Meters of plans whose settings changed, or of keys gone, start afresh.
  std::map<std::string, Meter> kept;
  for (const auto& k : s.keys.keys) {
    const auto* plan = s.keys.plan_of(k);
    if (!plan) continue;
    const std::string id = plan->name + "\n" + k.name;
    auto it = s.meters.find(id);
    if (it != s.meters.end() && it->second.settings == settings_of(*plan))
      kept.emplace(id, std::move(it->second));
  }
  s.meters = std::move(kept);
}

void ApiKeyGate::drop(const std::string& service) {
  std::lock_guard lock(mutex_);
  services_.erase(service);
}

bool ApiKeyGate::has_keys(const std::string& service) const {
  std::lock_guard lock(mutex_);
  auto it = services_.find(service);
  return it != services_.end() && !it->second.keys.empty();
}

ApiKeyGate::Decision ApiKeyGate::admit(const std::string& service, std::string_view key_value,
                                       std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Decision d;
  if (key_value.empty()) {
    d.verdict = Verdict::missing;
    return d;
  }
  auto svc = services_.find(service);
  if (svc == services_.end()) {
    d.verdict = Verdict::unknown;
    return d;
  }
  Service& s = svc->second;
  auto it = s.by_value.find(std::string(key_value));
  if (it == s.by_value.end()) {
    d.verdict = Verdict::unknown;
    return d;
  }
  const Key& key = it->second;
  d.key_name = key.name;
  if (!key.enabled) {
    d.verdict = Verdict::disabled;
    return d;
  }
  if (!key.plan) return d;
  const manifest::UsagePlan& plan = *key.plan;
  Meter& m = s.meters[plan.name + "\n" + key.name];
  if (m.settings.empty()) m.settings = settings_of(plan);
  // Throttling comes first, as on API Gateway: a throttled request does not use the quota.
  if (plan.throttle && plan.throttle->rate_limit) {
    if (!m.bucket) {
      const double rate = *plan.throttle->rate_limit;
      const double burst =
          plan.throttle->burst_limit ? *plan.throttle->burst_limit : std::max(1.0, std::ceil(rate));
      m.bucket = std::make_unique<TokenBucket>(rate, burst);
    }
    if (!m.bucket->take(now_ms)) {
      d.verdict = Verdict::throttled;
      return d;
    }
  }
  if (plan.quota) {
    const std::int64_t start = quota_period_start(*plan.quota, now_ms);
    if (start != m.period_start_ms) {
      m.period_start_ms = start;
      m.used = 0;
    }
    if (m.used >= plan.quota->limit) {
      d.verdict = Verdict::over_quota;
      return d;
    }
    ++m.used;
  }
  return d;
}

}  // namespace fx::gateway
