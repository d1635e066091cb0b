// The EventBridge calls that run functions on a schedule on AWS: rules on the default event
// bus with a function as their target, over EventBridge's JSON 1.1 protocol (AWSEvents.*).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fx::aws {

struct AwsSettings;
class AwsService;

// A rule of the default event bus; fx only makes schedule rules.
struct EventRule {
  std::string name;
  std::string arn;
  std::string schedule_expression;  // "rate(5 minutes)", "cron(0 3 * * ? *)"
  std::string state = "ENABLED";    // or "DISABLED"
  std::string description;
};

// What a rule invokes: here a Lambda function, with a fixed event when input is set.
struct EventTarget {
  std::string id;
  std::string arn;
  std::string input;       // JSON text sent as the event; "" sends EventBridge's own event
  std::string input_path;  // InputPath, or ""
  std::map<std::string, std::string> input_paths_map;  // InputTransformer's, with...
  std::string input_template;                          // ...its InputTemplate ("": none)
  bool operator==(const EventTarget&) const = default;
};

class EventBridgeClient {
 public:
  // EventBridge's endpoint: AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL, else
  // events.REGION.amazonaws.com.
  explicit EventBridgeClient(const AwsSettings& settings);
  ~EventBridgeClient();
  EventBridgeClient(const EventBridgeClient&) = delete;
  EventBridgeClient& operator=(const EventBridgeClient&) = delete;

  // Every rule whose name starts with the prefix, every page.
  std::vector<EventRule> list_rules(const std::string& name_prefix);
  // Creates the rule or replaces its settings (PutRule is an upsert); returns its ARN.
  std::string put_rule(const EventRule& rule);
  // Empty when the rule has no targets or does not exist.
  std::vector<EventTarget> list_targets(const std::string& rule);
  // Adds the targets or replaces those with the same ids. Throws fx::Error when EventBridge
  // refuses one (PutTargets reports that in its answer, not with an error status).
  void put_targets(const std::string& rule, const std::vector<EventTarget>& targets);
  void remove_targets(const std::string& rule, const std::vector<std::string>& ids);
  // Does nothing when there is no such rule. A rule must have no targets left to be deleted.
  void delete_rule(const std::string& name);

 private:
  // One action ("PutRule"); returns the JSON answer's text.
  std::string call(const char* action, const std::string& body);

  std::unique_ptr<AwsService> service_;
};

// The JSON bodies of PutRule and PutTargets, as sent.
std::string put_rule_request(const EventRule& rule);
std::string put_targets_request(const std::string& rule, const std::vector<EventTarget>& targets);

}  // namespace fx::aws
