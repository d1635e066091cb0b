#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "core/manifest/variables.h"
#include "core/util/redact.h"

namespace fx::manifest {

namespace {

std::string trimmed(std::string s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  auto last = s.find_last_not_of(" \t");
  s = s.substr(first, last - first + 1);
  if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return s;
}

YAML::Node yaml_of(const nlohmann::json& j) {
  if (j.is_object()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& [k, v] : j.items()) out[k] = yaml_of(v);
    return out;
  }
  if (j.is_array()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& v : j) out.push_back(yaml_of(v));
    return out;
  }
  if (j.is_string()) {
    util::add_secret(j.get<std::string>());
    YAML::Node n(j.get<std::string>());
    n.SetTag("!");  // quoted: a string, whatever it looks like
    return n;
  }
  if (j.is_null()) return YAML::Node(YAML::NodeType::Null);
  std::string text = j.dump();
  util::add_secret(text);
  YAML::Node n(text);
  n.SetTag("?");
  return n;
}

}  // namespace

SsmRead ssm_read(const std::string& argument, const std::string& address,
                 const std::string& default_region) {
  SsmRead r;
  r.region = default_region;
  std::size_t start = 0;
  while (start <= argument.size() && !argument.empty()) {
    auto comma = argument.find(',', start);
    if (comma == std::string::npos) comma = argument.size();
    std::string arg = trimmed(argument.substr(start, comma - start));
    if (arg == "raw")
      r.raw = true;
    else if (arg == "noDecrypt")
      r.decrypt = false;
    else if (!arg.empty())
      r.region = arg;
    start = comma + 1;
  }
  r.name = address;
  if (auto tilde = r.name.rfind('~'); tilde != std::string::npos) {
    const std::string suffix = r.name.substr(tilde + 1);
    if (suffix == "true" || suffix == "false" || suffix == "split") {
      r.name.resize(tilde);
      r.decrypt = suffix != "false";
      r.split = suffix == "split";
    }
  }
  return r;
}

YAML::Node ssm_value(const SsmRead& read, const std::string& type, const std::string& value) {
  auto text = [](const std::string& s) {
    YAML::Node n(s);
    n.SetTag("!");
    return n;
  };
  if (type == "SecureString" && read.decrypt) util::add_secret(value);
  if ((type == "StringList" || read.split) && !read.raw) {
    YAML::Node out(YAML::NodeType::Sequence);
    std::size_t start = 0;
    for (;;) {
      auto comma = value.find(',', start);
      out.push_back(text(value.substr(start, comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return out;
  }
  if (type == "SecureString" && !read.raw &&
      read.name.starts_with("/aws/reference/secretsmanager/")) {
    auto parsed = nlohmann::json::parse(value, nullptr, false);
    if (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) return yaml_of(parsed);
  }
  return text(value);
}

}  // namespace fx::manifest
