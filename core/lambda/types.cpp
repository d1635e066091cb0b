#include "core/lambda/types.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::lambda {

using json = nlohmann::json;

std::string to_json(const FunctionConfiguration& c) {
  json j = {
      {"FunctionName", c.function_name},
      {"FunctionArn", c.function_arn},
      {"Runtime", c.runtime},
      {"Role", c.role},
      {"Handler", c.handler},
      {"Description", c.description},
      {"CodeSize", c.code_size},
      {"CodeSha256", c.code_sha256},
      {"Timeout", c.timeout},
      {"MemorySize", c.memory_size},
      {"LastModified", c.last_modified},
      {"Version", c.version},
      {"Environment", {{"Variables", c.environment}}},
      {"State", c.state},
      {"LastUpdateStatus", c.last_update_status},
      {"PackageType", c.package_type},
      {"Architectures", c.architectures},
      {"RevisionId", c.revision_id},
      {"EphemeralStorage", {{"Size", c.ephemeral_storage_mb}}},
      {"TracingConfig", {{"Mode", "PassThrough"}}},
  };
  if (!c.warnings.empty()) j["FxWarnings"] = c.warnings;
  if (!c.layers.empty()) {
    j["Layers"] = json::array();
    for (const auto& arn : c.layers) j["Layers"].push_back({{"Arn", arn}});
  }
  return j.dump();
}

std::string to_json(const LayerVersion& l) {
  return json{{"LayerArn", l.layer_arn},
              {"LayerVersionArn", l.version_arn},
              {"Version", l.version},
              {"Description", l.description},
              {"CompatibleRuntimes", l.compatible_runtimes},
              {"Content", {{"CodeSha256", l.code_sha256}, {"CodeSize", l.code_size}}}}
      .dump();
}

LayerVersion layer_version_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("LayerVersionArn"))
    throw Error(fmt::format("unexpected layer version: {}", text.substr(0, 200)));
  LayerVersion l;
  l.layer_arn = j.value("LayerArn", "");
  l.version_arn = j.value("LayerVersionArn", "");
  l.version = j.value("Version", 0L);
  l.description = j.value("Description", "");
  if (j.contains("CompatibleRuntimes") && j["CompatibleRuntimes"].is_array())
    l.compatible_runtimes = j["CompatibleRuntimes"].get<std::vector<std::string>>();
  if (j.contains("Content") && j["Content"].is_object()) {
    l.code_sha256 = j["Content"].value("CodeSha256", "");
    l.code_size = j["Content"].value("CodeSize", std::int64_t{0});
  }
  return l;
}

FunctionConfiguration configuration_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("FunctionName"))
    throw Error(fmt::format("unexpected FunctionConfiguration: {}", text.substr(0, 200)));
  FunctionConfiguration c;
  auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  c.function_name = str("FunctionName");
  c.function_arn = str("FunctionArn");
  c.runtime = str("Runtime");
  c.role = str("Role");
  c.handler = str("Handler");
  c.description = str("Description");
  c.code_sha256 = str("CodeSha256");
  c.last_modified = str("LastModified");
  c.version = str("Version");
  c.state = str("State");
  c.last_update_status = str("LastUpdateStatus");
  c.package_type = str("PackageType");
  c.revision_id = str("RevisionId");
  c.code_size = j.value("CodeSize", std::int64_t{0});
  c.timeout = j.value("Timeout", 3);
  c.memory_size = j.value("MemorySize", 128);
  if (j.contains("EphemeralStorage") && j["EphemeralStorage"].is_object())
    c.ephemeral_storage_mb = j["EphemeralStorage"].value("Size", 512);
  if (j.contains("Architectures") && j["Architectures"].is_array())
    c.architectures = j["Architectures"].get<std::vector<std::string>>();
  if (j.contains("Environment") && j["Environment"].is_object() &&
      j["Environment"].contains("Variables") && j["Environment"]["Variables"].is_object())
    for (auto& [k, v] : j["Environment"]["Variables"].items())
      c.environment[k] = v.is_string() ? v.get<std::string>() : v.dump();
  if (j.contains("Layers") && j["Layers"].is_array())
    for (const auto& l : j["Layers"])
      if (l.is_object() && l.contains("Arn")) c.layers.push_back(l["Arn"].get<std::string>());
  if (j.contains("FxWarnings") && j["FxWarnings"].is_array())
    c.warnings = j["FxWarnings"].get<std::vector<std::string>>();
  return c;
}

std::string function_arn(std::string_view region, std::string_view account, std::string_view name) {
  return fmt::format("arn:aws:lambda:{}:{}:function:{}", region, account, name);
}

std::optional<FunctionRef> parse_function_ref(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  FunctionRef ref;
  if (parts.size() == 1 || parts.size() == 2) {  // name, name:qualifier
    ref.name = parts[0];
    if (parts.size() == 2) ref.qualifier = parts[1];
  } else if ((parts.size() == 3 || parts.size() == 4) && parts[1] == "function") {
    ref.name = parts[2];  // ACCOUNT:function:name[:qualifier]
    if (parts.size() == 4) ref.qualifier = parts[3];
  } else if ((parts.size() == 7 || parts.size() == 8) && parts[0] == "arn" &&
             parts[5] == "function") {
    ref.name = parts[6];
    if (parts.size() == 8) ref.qualifier = parts[7];
  } else {
    return std::nullopt;
  }
  if (ref.name.empty() || ref.name.size() > 140) return std::nullopt;
  for (char c : ref.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return std::nullopt;
  return ref;
}

}  // namespace fx::lambda
