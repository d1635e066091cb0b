#include "core/events/target_input.h"

#include <cctype>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace fx::events {

using nlohmann::json;

namespace {

struct Step {
  std::string key;  // empty: an index step
  std::size_t index = 0;
};

// The steps of a path, or the reason it is not one.
std::vector<Step> parse_path(std::string_view path) {
  auto bad = [&](std::string_view why) {
    throw Error(fmt::format("'{}' is not a JSONPath EventBridge takes: {}", path, why),
                "write it as $ or $.field.field[0], e.g. $.detail");
  };
  if (!path.starts_with("$")) bad("it must start with $");
  std::vector<Step> steps;
  std::size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      std::size_t end = i + 1;
      while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
      if (end == i + 1) bad("a '.' with no field name after it");
      steps.push_back({std::string(path.substr(i + 1, end - i - 1)), 0});
      i = end;
    } else if (path[i] == '[') {
      std::size_t end = path.find(']', i);
      if (end == std::string_view::npos || end == i + 1) bad("an unclosed or empty [");
      std::size_t n = 0;
      for (char c : path.substr(i + 1, end - i - 1)) {
        if (!std::isdigit(static_cast<unsigned char>(c))) bad("only [N] indexes are supported");
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      steps.push_back({"", n});
      i = end + 1;
    } else {
      bad(fmt::format("unexpected '{}'", path[i]));
    }
  }
  return steps;
}

std::optional<json> value_at(const json& root, std::string_view path) {
  const json* at = &root;
  for (const auto& step : parse_path(path)) {
    if (!step.key.empty()) {
      if (!at->is_object() || !at->contains(step.key)) return std::nullopt;
      at = &(*at)[step.key];
    } else {
      if (!at->is_array() || step.index >= at->size()) return std::nullopt;
      at = &(*at)[step.index];
    }
  }
  return *at;
}

std::string fill_template(const std::string& text, const std::map<std::string, json>& values) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' && (i == 0 || text[i - 1] != '\\')) in_string = !in_string;
    if (c == '<') {
      auto end = text.find('>', i);
      if (end != std::string::npos) {
        auto it = values.find(text.substr(i + 1, end - i - 1));
        if (it != values.end()) {
          const json& v = it->second;
          if (in_string && v.is_string()) {
            const std::string quoted = v.dump();  // escaped as JSON, without its quotes
            out += quoted.substr(1, quoted.size() - 2);
          } else {
            out += v.dump();
          }
          i = end;
          continue;
        }
      }
    }
    out += c;
  }
  return out;
}

}  // namespace

void check_json_path(std::string_view path) {
  parse_path(path);
}

std::string target_payload(const TargetInput& target, std::string_view event_json) {
  if (!target.input.empty()) return target.input;
  if (target.input_path.empty() && !target.transforms()) return std::string(event_json);
  const json event = json::parse(event_json, nullptr, false);
  if (!target.input_path.empty()) {
    auto v = value_at(event, target.input_path);
    return v ? v->dump() : "null";
  }
  std::map<std::string, json> values;
  for (const auto& [name, path] : target.paths_map)
    values[name] = value_at(event, path).value_or(json());
  return fill_template(target.input_template, values);
}

}  // namespace fx::events
