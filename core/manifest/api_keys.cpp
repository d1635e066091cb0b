#include "core/manifest/api_keys.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace fx::manifest {
namespace {

using nlohmann::json;

constexpr std::string_view kKeyFields[] = {"name", "value", "description", "customerId", "enabled"};
constexpr std::string_view kPeriods[] = {"DAY", "WEEK", "MONTH"};
// API Gateway's bounds on a key's value (CreateApiKey).
constexpr std::size_t kMinValue = 20, kMaxValue = 128;

std::string shown(const json& v) {
  if (v.is_object()) return "a map";
  if (v.is_array()) return "a list";
  if (v.is_null()) return "nothing";
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

class Reader {
 public:
  Reader(std::string prefix, const MarkOf& mark_of)
      : prefix_(std::move(prefix)), mark_of_(mark_of) {}

  ApiKeys read(const json& keys, const json& plans) {
    if (!plans.is_null()) read_plans(plans);
    if (!keys.is_null()) read_keys(keys);
    check_plans();
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail(const std::string& key, const std::string& what,
                         std::string hint = {}) const {
    const SourceMark mark = mark_of_ ? mark_of_(key) : SourceMark{};
    throw Error(fmt::format("{}: {}: {}", mark.str(), key, what), std::move(hint));
  }
  [[noreturn]] void expected(const std::string& key, std::string_view what, const json& got,
                             std::string hint = {}) const {
    fail(key, fmt::format("expected {}, got {}", what, shown(got)), std::move(hint));
  }

  std::string text(const std::string& key, const json& v) const {
    if (!v.is_string()) expected(key, "a string", v);
    return v.get<std::string>();
  }

  void read_keys(const json& list) {
    const std::string where = prefix_ + ".apiKeys";
    const std::string hint =
        "give a list of key names, {name, value, description, customerId, enabled}, or usage "
        "plans' groups {PLAN: [keys]}";
    if (!list.is_array()) expected(where, "a list of API keys", list, hint);
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string at = fmt::format("{}[{}]", where, i);
      const json& item = list[i];
      // {PLAN: [keys]}: one entry whose value is a list.
      if (item.is_object() && item.size() == 1 && item.begin().value().is_array()) {
        const std::string plan = item.begin().key();
        const std::string group = at + "." + plan;
        if (plans_are_named_ && !plan_names_.count(plan))
          fail(group, fmt::format("no usage plan '{}' in {}.usagePlan", plan, prefix_),
               fmt::format("name one of: {}", fmt::join(plan_names_, ", ")));
        if (!plans_are_named_)
          fail(group,
               fmt::format("a group of keys for usage plan '{}', but {}.usagePlan is {}", plan,
                           prefix_, out_.plans.empty() ? "not set" : "one map"),
               fmt::format("make {}.usagePlan a list of named plans: - {}: {{quota: ..., "
                           "throttle: ...}}",
                           prefix_, plan));
        used_plans_.insert(plan);
        const json& members = item.begin().value();
        for (std::size_t j = 0; j < members.size(); ++j)
          read_key(fmt::format("{}[{}]", group, j), members[j], plan);
        continue;
      }
      if (plans_are_named_)
        fail(at, "a key outside the usage plans' groups, while usagePlan names its plans",
             fmt::format("put it in a group: - PLAN: [{}]",
                         item.is_string() ? item.get<std::string>() : "KEY"));
      read_key(at, item, "");
    }
  }

  void read_key(const std::string& at, const json& item, const std::string& plan) {
    ApiKey key;
    key.usage_plan = plan;
    key.mark = mark_of_ ? mark_of_(at) : SourceMark{};
    if (item.is_string()) {
      key.name = item.get<std::string>();
    } else if (item.is_object()) {
      for (const auto& [field, v] : item.items()) {
        const std::string k = at + "." + field;
        if (field == "name")
          key.name = text(k, v);
        else if (field == "value")
          key.value = text(k, v);
        else if (field == "description")
          key.description = text(k, v);
        else if (field == "customerId")
          key.customer_id = text(k, v);
        else if (field == "enabled") {
          if (!v.is_boolean()) expected(k, "true or false", v);
          key.enabled = v.get<bool>();
        } else {
          fail(k, fmt::format("unknown setting of an API key"),
               fmt::format("an API key takes {}", fmt::join(kKeyFields, ", ")));
        }
      }
      if (!item.contains("name")) fail(at, "an API key without a name", "add name: KEY_NAME");
    } else {
      expected(at, "a key's name, or {name, value, description, customerId, enabled}", item);
    }
    if (key.name.empty() || key.name.size() > 1024)
      fail(at, "a key's name has 1 to 1024 characters");
    if (!key.value.empty() && (key.value.size() < kMinValue || key.value.size() > kMaxValue))
      fail(at + ".value",
           fmt::format("{} characters; API Gateway takes a key's value of {} to {}",
                       key.value.size(), kMinValue, kMaxValue),
           "give a longer value, or none: fx then generates one");
    for (const auto& other : out_.keys)
      if (other.name == key.name)
        fail(
            at,
            fmt::format("API key '{}' is declared twice (first at {})", key.name, other.mark.str()),
            "give each key its own name");
    out_.keys.push_back(std::move(key));
  }

  // usagePlan: one map (every key's plan), or a list of {NAME: {quota, throttle}}.
  void read_plans(const json& v) {
    const std::string where = prefix_ + ".usagePlan";
    if (v.is_object()) {
      out_.plans.push_back(read_plan(where, "", v));
      return;
    }
    if (!v.is_array())
      expected(where, "a usage plan {quota, throttle} or a list of named plans", v);
    plans_are_named_ = true;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string at = fmt::format("{}[{}]", where, i);
      const json& item = v[i];
      if (!item.is_object() || item.size() != 1)
        expected(at, "a named plan {NAME: {quota, throttle}}", item);
      const std::string name = item.begin().key();
      if (!plan_names_.insert(name).second)
        fail(at, fmt::format("usage plan '{}' is declared twice", name));
      out_.plans.push_back(read_plan(at + "." + name, name, item.begin().value()));
    }
  }

  UsagePlan read_plan(const std::string& at, const std::string& name, const json& v) {
    UsagePlan plan;
    plan.name = name;
    plan.mark = mark_of_ ? mark_of_(at) : SourceMark{};
    if (v.is_null()) return plan;
    if (!v.is_object()) expected(at, "a usage plan {quota, throttle}", v);
    for (const auto& [field, s] : v.items()) {
      const std::string k = at + "." + field;
      if (field == "quota")
        plan.quota = read_quota(k, s);
      else if (field == "throttle")
        plan.throttle = read_throttle(k, s);
      else
        fail(k, "unknown setting of a usage plan", "a usage plan takes quota and throttle");
    }
    return plan;
  }

  std::int64_t whole(const std::string& k, const json& v, std::int64_t low, std::int64_t high) {
    if (!v.is_number_integer() || v.get<std::int64_t>() < low || v.get<std::int64_t>() > high)
      expected(k, fmt::format("an integer from {} to {}", low, high), v);
    return v.get<std::int64_t>();
  }

  UsagePlan::Quota read_quota(const std::string& at, const json& v) {
    if (!v.is_object()) expected(at, "{limit, offset, period}", v);
    UsagePlan::Quota q;
    bool limit = false;
    for (const auto& [field, s] : v.items()) {
      const std::string k = at + "." + field;
      if (field == "limit") {
        q.limit = whole(k, s, 0, std::numeric_limits<std::int32_t>::max());
        limit = true;
      } else if (field == "offset") {
        q.offset = static_cast<int>(whole(k, s, 0, 27));
      } else if (field == "period") {
        q.period = text(k, s);
        if (std::find(std::begin(kPeriods), std::end(kPeriods), q.period) == std::end(kPeriods))
          expected(k, "DAY, WEEK or MONTH", s);
      } else {
        fail(k, "unknown setting of a quota", "a quota takes limit, offset and period");
      }
    }
    if (!limit) fail(at, "a quota without a limit", "add limit: N (requests per period)");
    if (q.period.empty()) fail(at, "a quota without a period", "add period: DAY, WEEK or MONTH");
    // As API Gateway: the period's first day, counted from its usual start.
    const int most = q.period == "DAY" ? 0 : q.period == "WEEK" ? 6 : 27;
    if (q.offset > most)
      fail(at + ".offset",
           fmt::format("{} for a {} quota; it takes 0 to {}", q.offset, q.period, most));
    return q;
  }

  UsagePlan::Throttle read_throttle(const std::string& at, const json& v) {
    if (!v.is_object()) expected(at, "{burstLimit, rateLimit}", v);
    UsagePlan::Throttle t;
    for (const auto& [field, s] : v.items()) {
      const std::string k = at + "." + field;
      if (field == "burstLimit") {
        t.burst_limit = static_cast<int>(whole(k, s, 0, std::numeric_limits<std::int32_t>::max()));
      } else if (field == "rateLimit") {
        if (!s.is_number() || !std::isfinite(s.get<double>()) || s.get<double>() < 0)
          expected(k, "a number of requests per second, 0 or more", s);
        t.rate_limit = s.get<double>();
      } else {
        fail(k, "unknown setting of a throttle", "a throttle takes burstLimit and rateLimit");
      }
    }
    return t;
  }

  // Each named plan has keys: one without any would meter nothing (a misspelt group, most
  // likely). Ungrouped keys belong to the one unnamed plan, if there is one.
  void check_plans() {
    for (const auto& plan : out_.plans)
      if (!plan.name.empty() && !used_plans_.count(plan.name))
        fail(fmt::format("{}.usagePlan", prefix_),
             fmt::format("usage plan '{}' has no keys", plan.name),
             fmt::format("add a group to {}.apiKeys: - {}: [KEY_NAME]", prefix_, plan.name));
  }

  std::string prefix_;
  const MarkOf& mark_of_;
  ApiKeys out_;
  bool plans_are_named_ = false;
  std::set<std::string> plan_names_, used_plans_;
};

json plan_json(const UsagePlan& p) {
  json j = {{"name", p.name}};
  if (p.quota)
    j["quota"] = {
        {"limit", p.quota->limit}, {"offset", p.quota->offset}, {"period", p.quota->period}};
  if (p.throttle) {
    json t = json::object();
    if (p.throttle->rate_limit) t["rate_limit"] = *p.throttle->rate_limit;
    if (p.throttle->burst_limit) t["burst_limit"] = *p.throttle->burst_limit;
    j["throttle"] = t;
  }
  return j;
}

}  // namespace

const UsagePlan* ApiKeys::plan_of(const ApiKey& key) const {
  for (const auto& p : plans)
    if (p.name == key.usage_plan) return &p;
  return nullptr;
}

ApiKeys read_api_keys(std::string_view api_keys_json, std::string_view usage_plan_json,
                      const std::string& prefix, const MarkOf& mark_of) {
  auto parse = [](std::string_view text) {
    return text.empty() ? json() : json::parse(text, nullptr, false);
  };
  return Reader(prefix, mark_of).read(parse(api_keys_json), parse(usage_plan_json));
}

std::string to_json(const ApiKeys& keys) {
  json list = json::array(), plans = json::array();
  for (const auto& k : keys.keys) {
    json j = {{"name", k.name}, {"value", k.value}, {"enabled", k.enabled}};
    if (!k.usage_plan.empty()) j["usage_plan"] = k.usage_plan;
    if (!k.description.empty()) j["description"] = k.description;
    if (!k.customer_id.empty()) j["customer_id"] = k.customer_id;
    if (k.generated) j["generated"] = true;
    list.push_back(std::move(j));
  }
  for (const auto& p : keys.plans) plans.push_back(plan_json(p));
  return json{{"keys", list}, {"plans", plans}}.dump();
}

ApiKeys parse_api_keys(std::string_view json_text) {
  const json j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) throw Error("the service's API keys must be a JSON object");
  ApiKeys out;
  try {
    for (const auto& k : j.value("keys", json::array())) {
      ApiKey key;
      key.name = k.at("name").get<std::string>();
      key.value = k.value("value", "");
      key.enabled = k.value("enabled", true);
      key.usage_plan = k.value("usage_plan", "");
      key.description = k.value("description", "");
      key.customer_id = k.value("customer_id", "");
      key.generated = k.value("generated", false);
      out.keys.push_back(std::move(key));
    }
    for (const auto& p : j.value("plans", json::array())) {
      UsagePlan plan;
      plan.name = p.value("name", "");
      if (p.contains("quota")) {
        const json& q = p["quota"];
        plan.quota = UsagePlan::Quota{q.at("limit").get<std::int64_t>(), q.value("offset", 0),
                                      q.at("period").get<std::string>()};
      }
      if (p.contains("throttle")) {
        const json& t = p["throttle"];
        plan.throttle.emplace();
        if (t.contains("rate_limit")) plan.throttle->rate_limit = t["rate_limit"].get<double>();
        if (t.contains("burst_limit")) plan.throttle->burst_limit = t["burst_limit"].get<int>();
      }
      out.plans.push_back(std::move(plan));
    }
  } catch (const json::exception& e) {
    throw Error(std::string("the service's API keys are not a document fx deploy writes: ") +
                e.what());
  }
  return out;
}

}  // namespace fx::manifest
