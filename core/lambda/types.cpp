#include "core/lambda/types.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <limits>

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
  if (!c.interpreter.empty()) j["FxInterpreter"] = c.interpreter;
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

namespace {

// Readers of documents an emulator or AWS answered, which may be anything: a member of the
// wrong type reads as absent, never as an exception from the JSON library, and a number
// outside its C++ type's range is clamped (converting it would be undefined behaviour).
std::string string_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

template <class Int>
Int integer_of(const json& j, const char* key, Int fallback) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  const double v = it->get<double>();
  if (!(v == v)) return fallback;  // NaN
  constexpr double lo = static_cast<double>(std::numeric_limits<Int>::min());
  constexpr double hi = static_cast<double>(std::numeric_limits<Int>::max());
  if (v <= lo) return std::numeric_limits<Int>::min();
  if (v >= hi) return std::numeric_limits<Int>::max();
  if (it->is_number_integer()) return static_cast<Int>(it->get<std::int64_t>());
  if (it->is_number_unsigned()) return static_cast<Int>(it->get<std::uint64_t>());
  return static_cast<Int>(v);
}

std::vector<std::string> strings_of(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

const json* object_of(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

}  // namespace

LayerVersion layer_version_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("LayerVersionArn"))
    throw Error(fmt::format("unexpected layer version: {}", text.substr(0, 200)));
  LayerVersion l;
  l.layer_arn = string_of(j, "LayerArn");
  l.version_arn = string_of(j, "LayerVersionArn");
  l.version = integer_of<long>(j, "Version", 0);
  l.description = string_of(j, "Description");
  l.compatible_runtimes = strings_of(j, "CompatibleRuntimes");
  if (const json* content = object_of(j, "Content")) {
    l.code_sha256 = string_of(*content, "CodeSha256");
    l.code_size = integer_of<std::int64_t>(*content, "CodeSize", 0);
  }
  return l;
}

FunctionConfiguration configuration_from_json(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("FunctionName"))
    throw Error(fmt::format("unexpected FunctionConfiguration: {}", text.substr(0, 200)));
  FunctionConfiguration c;
  c.function_name = string_of(j, "FunctionName");
  c.function_arn = string_of(j, "FunctionArn");
  c.runtime = string_of(j, "Runtime");
  c.role = string_of(j, "Role");
  c.handler = string_of(j, "Handler");
  c.description = string_of(j, "Description");
  c.code_sha256 = string_of(j, "CodeSha256");
  c.last_modified = string_of(j, "LastModified");
  c.version = string_of(j, "Version");
  c.state = string_of(j, "State");
  c.last_update_status = string_of(j, "LastUpdateStatus");
  c.package_type = string_of(j, "PackageType");
  c.revision_id = string_of(j, "RevisionId");
  c.code_size = integer_of<std::int64_t>(j, "CodeSize", 0);
  c.timeout = integer_of<int>(j, "Timeout", 3);
  c.memory_size = integer_of<int>(j, "MemorySize", 128);
  if (const json* storage = object_of(j, "EphemeralStorage"))
    c.ephemeral_storage_mb = integer_of<int>(*storage, "Size", 512);
  if (j.contains("Architectures")) c.architectures = strings_of(j, "Architectures");
  if (const json* env = object_of(j, "Environment"))
    if (const json* vars = object_of(*env, "Variables"))
      for (const auto& [k, v] : vars->items())
        c.environment[k] = v.is_string() ? v.get<std::string>()
                                         : v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (auto it = j.find("Layers"); it != j.end() && it->is_array())
    for (const auto& l : *it)
      if (l.is_object()) {
        std::string arn = string_of(l, "Arn");
        if (!arn.empty()) c.layers.push_back(std::move(arn));
      }
  c.warnings = strings_of(j, "FxWarnings");
  c.interpreter = string_of(j, "FxInterpreter");
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
