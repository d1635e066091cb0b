// provider.apiGateway.apiKeys and provider.apiGateway.usagePlan, as the Serverless Framework
// (v3, "Setting API keys for your Rest API") declares them for a REST API's private routes:
//
//   provider:
//     apiGateway:
//       apiKeys:
//         - myFirstKey                          # a name: the target generates its value
//         - name: mySecondKey                   # or a map
//           value: 0123456789abcdefghij01       # at least 20 characters, as API Gateway asks
//           enabled: false
//         - free:                               # or a usage plan's group of keys
//             - freeKey
//       usagePlan:                              # one plan for every key, or named plans:
//         - free:
//             quota: {limit: 5000, offset: 2, period: MONTH}
//             throttle: {burstLimit: 200, rateLimit: 100}
//
// The older provider.apiKeys / provider.usagePlan are read the same way. Plain data, read
// from the manifest by read_api_keys and carried to a target in the JSON of to_json: the local
// gateway checks keys and meters plans with it; a deploy to AWS can create the same keys.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/mark.h"

namespace fx::manifest {

struct ApiKey {
  std::string name;
  std::string value;  // "" in the manifest: the target generates one (the same across deploys)
  std::string description;
  std::string customer_id;  // customerId
  bool enabled = true;      // a disabled key is refused (403), as API Gateway refuses it
  std::string usage_plan;   // the plan it belongs to: a plan's name, "" for the one unnamed plan
  bool generated = false;   // the emulator made its value (it keeps it at later deploys)
  SourceMark mark;
};

struct UsagePlan {
  std::string name;  // "" for usagePlan given as one map (every key's plan)
  struct Quota {
    std::int64_t limit = 0;
    int offset = 0;      // when the period starts: WEEK 0 Sunday .. 6; MONTH day 1 + offset
    std::string period;  // DAY, WEEK or MONTH
  };
  struct Throttle {
    std::optional<double> rate_limit;  // requests per second; unset: not limited
    std::optional<int> burst_limit;    // the bucket's size; unset: max(1, ceil(rate))
  };
  std::optional<Quota> quota;
  std::optional<Throttle> throttle;
  SourceMark mark;
};

struct ApiKeys {
  std::vector<ApiKey> keys;  // in manifest order
  std::vector<UsagePlan> plans;
  bool empty() const { return keys.empty(); }
  const UsagePlan* plan_of(const ApiKey& key) const;  // null when the key is in no plan
};

// Where a value of the manifest is, by its dotted key ("provider.apiGateway.apiKeys[1].value");
// the reader asks it for the marks of its error messages.
using MarkOf = std::function<SourceMark(const std::string& key)>;

// Reads apiKeys and usagePlan, given as JSON text ("" when absent) found under `prefix`
// ("provider.apiGateway"). Throws fx::Error `file:line:col: KEY: what is wrong` with a hint
// for an entry of the wrong shape, an unknown setting, a value under 20 characters, a key
// named twice, a negative or non-integer limit, an unknown period, a group naming a plan that
// usagePlan does not have, or a named plan no group of keys uses.
ApiKeys read_api_keys(std::string_view api_keys_json, std::string_view usage_plan_json,
                      const std::string& prefix, const MarkOf& mark_of);

// The keys and plans as the emulator's service document carries them, and back. parse
// throws fx::Error on a document fx did not write.
std::string to_json(const ApiKeys& keys);
ApiKeys parse_api_keys(std::string_view json_text);

}  // namespace fx::manifest
