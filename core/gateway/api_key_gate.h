// The API keys of a service's private routes and the usage plans that meter them, as API
// Gateway enforces them on a REST API: an unknown or disabled key is 403 Forbidden; a key over
// its plan's throttle (a token bucket: rateLimit tokens a second, burstLimit at most) or its
// quota (limit requests per calendar period, in UTC) is 429. Pure logic: the caller gives the
// time.
//
// Counts are kept in memory, per service, plan and key: a restart of the emulator starts every
// quota afresh (a local emulator's restart is a developer's reset, not a billing period), but
// a redeploy that leaves a plan's settings alone keeps them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/manifest/api_keys.h"

namespace fx::gateway {

class TokenBucket {
 public:
  // `rate` tokens a second, at most `burst` kept; it starts full.
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  bool take(std::int64_t now_ms);  // one token, if there is one

 private:
  double rate_, burst_, tokens_;
  std::int64_t last_ms_ = -1;
};

// When the quota period holding `now_ms` began (UTC): DAY at midnight; WEEK on Sunday + offset
// days; MONTH on day 1 + offset.
std::int64_t quota_period_start(const manifest::UsagePlan::Quota& quota, std::int64_t now_ms);

class ApiKeyGate {
 public:
  enum class Verdict { allowed, missing, unknown, disabled, throttled, over_quota };
  struct Decision {
    Verdict verdict = Verdict::allowed;
    std::string key_name;  // the key's name (never its value), when it is one of the service's
  };

  // Replaces a service's keys; its plans' counts are kept when their settings did not change.
  void set(const std::string& service, const manifest::ApiKeys& keys);
  void drop(const std::string& service);
  bool has_keys(const std::string& service) const;

  // A request of `service` carrying `key_value` (its x-api-key; "" when none), counted against
  // the key's plan when it is let through.
  Decision admit(const std::string& service, std::string_view key_value, std::int64_t now_ms);

 private:
  struct Meter {
    std::string settings;  // the plan's settings, as text: a change starts the counts afresh
    std::unique_ptr<TokenBucket> bucket;
    std::int64_t period_start_ms = -1;
    std::int64_t used = 0;
  };
  struct Key {
    std::string name;
    bool enabled = true;
    const manifest::UsagePlan* plan = nullptr;  // into Service::keys.plans
  };
  struct Service {
    manifest::ApiKeys keys;
    std::unordered_map<std::string, Key> by_value;
    std::map<std::string, Meter> meters;  // by plan and key name
  };
  mutable std::mutex mutex_;
  std::map<std::string, Service> services_;
};

}  // namespace fx::gateway
