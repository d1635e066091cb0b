// What an EventBridge target (a schedule's function) is sent instead of the event itself:
// `input` (constant JSON), `inputPath` (one value of the event, by JSONPath) or
// `inputTransformer` (values of the event put into a template).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace fx::events {

struct TargetInput {
  std::string input;                             // JSON text; "" when unset
  std::string input_path;                        // "$.detail"; "" when unset
  std::map<std::string, std::string> paths_map;  // inputTransformer.inputPathsMap
  std::string input_template;                    // inputTransformer.inputTemplate
  bool transforms() const { return !input_template.empty(); }
};

// Checks a path as EventBridge takes it here: "$", or "$" followed by ".name" and "[N]"
// steps. Throws fx::Error saying what is wrong.
void check_json_path(std::string_view path);

// The payload the target receives for `event_json`: input when set, else the value at
// input_path, else the template with each <name> replaced by the value at its path (inside
// a JSON string a string value goes in as its text; elsewhere as JSON; a missing value is
// null), else the event unchanged.
std::string target_payload(const TargetInput& target, std::string_view event_json);

}  // namespace fx::events
