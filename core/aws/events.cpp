#include "core/aws/events.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

using json = nlohmann::json;

namespace {

std::string string_field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : std::string();
}

json parse_answer(const std::string& action, const std::string& body) {
  if (body.empty()) return json::object();  // DeleteRule, RemoveTargets: nothing to say
  json j = json::parse(body, nullptr, false);
  if (!j.is_object())
    throw Error(fmt::format("EventBridge answered {} with: {}", action, body.substr(0, 200)),
                "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EVENTBRIDGE: it should be an "
                "EventBridge endpoint");
  return j;
}

}  // namespace

std::string put_rule_request(const EventRule& rule) {
  json body = {
      {"Name", rule.name}, {"ScheduleExpression", rule.schedule_expression}, {"State", rule.state}};
  if (!rule.description.empty()) body["Description"] = rule.description;
  return body.dump();
}

std::string put_targets_request(const std::string& rule, const std::vector<EventTarget>& targets) {
  json list = json::array();
  for (const auto& t : targets) {
    json target = {{"Id", t.id}, {"Arn", t.arn}};
    if (!t.input.empty()) target["Input"] = t.input;
    if (!t.input_path.empty()) target["InputPath"] = t.input_path;
    if (!t.input_template.empty()) {
      target["InputTransformer"] = {{"InputTemplate", t.input_template}};
      if (!t.input_paths_map.empty())
        target["InputTransformer"]["InputPathsMap"] = t.input_paths_map;
    }
    list.push_back(std::move(target));
  }
  return json{{"Rule", rule}, {"Targets", list}}.dump();
}

EventBridgeClient::EventBridgeClient(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "events")) {}

EventBridgeClient::~EventBridgeClient() = default;

std::string EventBridgeClient::call(const char* action, const std::string& body) {
  return service_
      ->request("POST", "/",
                {{"X-Amz-Target", fmt::format("AWSEvents.{}", action)},
                 {"Content-Type", "application/x-amz-json-1.1"}},
                body)
      .body;
}

std::vector<EventRule> EventBridgeClient::list_rules(const std::string& name_prefix) {
  std::vector<EventRule> out;
  std::string token;
  do {
    json body = {{"NamePrefix", name_prefix}};
    if (!token.empty()) body["NextToken"] = token;
    json page = parse_answer("ListRules", call("ListRules", body.dump()));
    for (const auto& r : page.value("Rules", json::array()))
      out.push_back({string_field(r, "Name"), string_field(r, "Arn"),
                     string_field(r, "ScheduleExpression"), string_field(r, "State"),
                     string_field(r, "Description")});
    token = string_field(page, "NextToken");
  } while (!token.empty());
  return out;
}

std::string EventBridgeClient::put_rule(const EventRule& rule) {
  return string_field(parse_answer("PutRule", call("PutRule", put_rule_request(rule))), "RuleArn");
}

std::vector<EventTarget> EventBridgeClient::list_targets(const std::string& rule) {
  std::vector<EventTarget> out;
  std::string token;
  do {
    json body = {{"Rule", rule}};
    if (!token.empty()) body["NextToken"] = token;
    json page;
    try {
      page = parse_answer("ListTargetsByRule", call("ListTargetsByRule", body.dump()));
    } catch (const ApiError& e) {
      if (e.type() == "ResourceNotFoundException") return out;
      throw;
    }
    for (const auto& t : page.value("Targets", json::array())) {
      EventTarget target{string_field(t, "Id"),
                         string_field(t, "Arn"),
                         string_field(t, "Input"),
                         string_field(t, "InputPath"),
                         {},
                         ""};
      if (t.contains("InputTransformer") && t["InputTransformer"].is_object()) {
        const json& transformer = t["InputTransformer"];
        target.input_template = string_field(transformer, "InputTemplate");
        if (transformer.contains("InputPathsMap") && transformer["InputPathsMap"].is_object())
          for (const auto& [k, v] : transformer["InputPathsMap"].items())
            if (v.is_string()) target.input_paths_map[k] = v.get<std::string>();
      }
      out.push_back(std::move(target));
    }
    token = string_field(page, "NextToken");
  } while (!token.empty());
  return out;
}

void EventBridgeClient::put_targets(const std::string& rule,
                                    const std::vector<EventTarget>& targets) {
  json answer = parse_answer("PutTargets", call("PutTargets", put_targets_request(rule, targets)));
  for (const auto& failed : answer.value("FailedEntries", json::array()))
    throw Error(fmt::format(
        "EventBridge refused target {} of rule {}: {}: {}", string_field(failed, "TargetId"), rule,
        string_field(failed, "ErrorCode"), string_field(failed, "ErrorMessage")));
}

void EventBridgeClient::remove_targets(const std::string& rule,
                                       const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  call("RemoveTargets", json{{"Rule", rule}, {"Ids", ids}}.dump());
}

void EventBridgeClient::delete_rule(const std::string& name) {
  try {
    call("DeleteRule", json{{"Name", name}}.dump());
  } catch (const ApiError& e) {
    if (e.type() != "ResourceNotFoundException") throw;
  }
}

}  // namespace fx::aws
