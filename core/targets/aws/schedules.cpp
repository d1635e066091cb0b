// The EventBridge rules that run a function on its schedule events: one rule per event, its
// target the function, named under the function's prefix and marked as fx's in its
// description, so a redeploy finds its own rules and leaves others alone.
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/actions/versions.h"
#include "core/targets/aws/steps.h"
#include "core/util/hash.h"

namespace fx::targets::aws {

namespace {

// EventBridge's limit on a rule's name.
constexpr std::size_t kRuleNameLimit = 64;
// The one target fx gives a schedule rule: the function.
constexpr const char* kScheduleTargetId = "fx-function";
// Ends the description of every rule fx makes: a rule under a function's prefix without it
// is someone else's and never changed or deleted.
constexpr std::string_view kRuleMark = "; created by fx";
constexpr const char* kEventsPrincipal = "events.amazonaws.com";

bool made_by_fx(const fx::aws::EventRule& rule) {
  return rule.description.ends_with(kRuleMark);
}

std::string rule_prefix(const manifest::Service& service, const manifest::Function& f) {
  return schedule_rule_prefix(service.name, service.stage, f.key);
}

void delete_rule_and_targets(fx::aws::EventBridgeClient& events, const std::string& rule) {
  std::vector<std::string> ids;
  for (const auto& t : events.list_targets(rule)) ids.push_back(t.id);
  events.remove_targets(rule, ids);
  events.delete_rule(rule);
}

struct DesiredSchedule {
  fx::aws::EventRule rule;
  fx::aws::EventTarget target;  // without its ARN, which is the function's
};

std::vector<DesiredSchedule> desired_schedules(const manifest::Service& service,
                                               const manifest::Function& f) {
  std::vector<DesiredSchedule> out;
  const std::string prefix = rule_prefix(service, f);
  int n = 0;
  for (const auto* schedule : manifest::events_of<manifest::ScheduleEvent>(f.events)) {
    const auto& e = *schedule;
    ++n;
    fx::aws::EventRule rule;
    rule.name = prefix + std::to_string(n);
    rule.schedule_expression = e.expression;
    rule.state = e.enabled ? "ENABLED" : "DISABLED";
    // The event's own description, else one that says where the rule comes from; either way
    // ending with the mark that tells fx's rules from others under the same prefix.
    auto config = nlohmann::json::parse(e.config_json, nullptr, false);
    std::string description;
    if (config.is_object() && config.contains("description") && config["description"].is_string())
      // EventBridge takes 512 characters, the mark included.
      description = config["description"].get<std::string>().substr(0, 512 - kRuleMark.size());
    if (description.empty())
      description =
          fmt::format("schedule {} of function {} of {}-{}", n, f.key, service.name, service.stage);
    rule.description = description + std::string(kRuleMark);
    fx::aws::EventTarget target{
        kScheduleTargetId, "", schedule_input(e.config_json), e.input_path, e.input_paths_map,
        e.input_template};
    out.push_back({std::move(rule), std::move(target)});
  }
  return out;
}

}  // namespace

std::map<std::string, fx::aws::EventRule> rules_of(fx::aws::EventBridgeClient& events,
                                                   const manifest::Service& service,
                                                   const manifest::Function& f) {
  std::map<std::string, fx::aws::EventRule> out;
  for (auto& rule : events.list_rules(rule_prefix(service, f)))
    if (made_by_fx(rule)) out.emplace(rule.name, std::move(rule));
  return out;
}

bool sync_schedules(lambda::LambdaClient& client, fx::aws::EventBridgeClient& events,
                    const manifest::Service& service, const manifest::Function& f,
                    const std::string& function_arn, bool function_existed,
                    const std::string& qualifier) {
  auto desired = desired_schedules(service, f);
  if (desired.empty() && !function_existed) return false;
  auto existing = rules_of(events, service, f);
  if (desired.empty() && existing.empty()) return false;
  bool changed = false;
  auto policy = desired.empty() ? std::vector<lambda::PolicyStatement>{}
                                : client.get_policy(f.name, qualifier);
  // The rules' statements sit in the policy of what they invoke; the other one's go when a
  // rule moves between the function and its alias.
  const std::string other = qualifier.empty() ? std::string(actions::kProvisionedAlias) : "";
  for (const auto& d : desired) {
    const auto& name = d.rule.name;
    auto found = existing.find(name);
    std::string rule_arn;
    if (found != existing.end() &&
        found->second.schedule_expression == d.rule.schedule_expression &&
        found->second.state == d.rule.state && found->second.description == d.rule.description) {
      rule_arn = found->second.arn;
    } else {
      rule_arn = events.put_rule(d.rule);
      changed = true;
    }
    fx::aws::EventTarget target = d.target;
    target.arn = qualifier.empty() ? function_arn : function_arn + ":" + qualifier;
    auto targets =
        found != existing.end() ? events.list_targets(name) : std::vector<fx::aws::EventTarget>{};
    bool target_ok = targets.size() == 1 && targets[0] == target;
    if (!target_ok) {
      std::vector<std::string> others;
      for (const auto& t : targets)
        if (t.id != target.id) others.push_back(t.id);
      events.remove_targets(name, others);
      events.put_targets(name, {target});
      if (found != existing.end() && !targets.empty() && targets[0].arn != target.arn)
        client.remove_permission(f.name, name, other);
      changed = true;
    }
    // The statement is named after its rule, so each rule has its own.
    auto statement =
        std::find_if(policy.begin(), policy.end(), [&](const auto& st) { return st.sid == name; });
    if (statement == policy.end() || statement->principal != kEventsPrincipal ||
        statement->source_arn != rule_arn) {
      if (statement != policy.end()) client.remove_permission(f.name, name, qualifier);
      client.add_permission(f.name,
                            {name, "lambda:InvokeFunction", kEventsPrincipal, "", false, rule_arn},
                            qualifier);
      changed = true;
    }
    if (found != existing.end()) existing.erase(found);
  }
  for (const auto& [name, rule] : existing) {
    delete_rule_and_targets(events, name);
    client.remove_permission(f.name, name, qualifier);
    changed = true;
  }
  return changed;
}

std::vector<std::string> remove_schedules(fx::aws::EventBridgeClient& events,
                                          const manifest::Service& service,
                                          const manifest::Function& f) {
  std::vector<std::string> out;
  for (const auto& [name, rule] : rules_of(events, service, f)) {
    delete_rule_and_targets(events, name);
    out.push_back(name);
  }
  return out;
}

std::string schedule_rule_prefix(std::string_view service, std::string_view stage,
                                 std::string_view function_key) {
  std::string stem = fmt::format("{}-{}-{}", service, stage, function_key);
  for (auto& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  constexpr std::string_view kind = "-schedule-";
  // Room for three digits of rule number: a function has far fewer schedules.
  const std::size_t room = kRuleNameLimit - kind.size() - 3;
  if (stem.size() > room) {
    // The hash is of the full stem, so two long names that share their front stay apart.
    std::string hash = util::sha256_hex(stem).substr(0, 8);
    stem = stem.substr(0, room - hash.size() - 1) + "-" + hash;
  }
  return stem + std::string(kind);
}

std::string schedule_input(std::string_view event_config_json) {
  using nlohmann::json;
  json config = json::parse(event_config_json, nullptr, false);
  if (!config.is_object() || !config.contains("input") || config["input"].is_null()) return "";
  const json& input = config["input"];
  if (input.is_string()) {
    json inner = json::parse(input.get<std::string>(), nullptr, false);
    if (!inner.is_discarded()) return inner.dump();
  }
  return input.dump();
}

}  // namespace fx::targets::aws
