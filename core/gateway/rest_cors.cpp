#include "core/gateway/rest_cors.h"

#include <nlohmann/json.hpp>

namespace fx::gateway {
namespace {

using nlohmann::json;

// The framework's Access-Control-Allow-Headers for `cors: true`.
const std::vector<std::string> kDefaultHeaders = {
    "Content-Type",         "X-Amz-Date",       "Authorization",  "X-Api-Key",
    "X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"};

std::vector<std::string> strings(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& v : list)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

// `pattern` with each "*" standing for any characters (none included). The usual two-pointer
// walk, back to the last star on a mismatch: linear in practice, never exponential, whatever
// Origin a request sends.
bool matches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::optional<RestCors> rest_cors_of(std::string_view event_config_json) {
  const json config = json::parse(event_config_json, nullptr, false);
  if (!config.is_object() || !config.contains("cors")) return std::nullopt;
  const json& c = config["cors"];
  if (c.is_boolean()) {
    if (!c.get<bool>()) return std::nullopt;
    RestCors out;
    out.headers = kDefaultHeaders;
    return out;
  }
  if (!c.is_object()) return std::nullopt;
  RestCors out;
  // `origin` may list several, comma-separated; `origins` is the list form.
  std::vector<std::string> origins;
  if (c.contains("origin") && c["origin"].is_string()) {
    const std::string all = c["origin"].get<std::string>();
    for (std::size_t start = 0; start <= all.size();) {
      std::size_t comma = all.find(',', start);
      if (comma == std::string::npos) comma = all.size();
      std::string one = all.substr(start, comma - start);
      one.erase(0, one.find_first_not_of(' '));
      one.erase(one.find_last_not_of(' ') + 1);
      if (!one.empty()) origins.push_back(one);
      start = comma + 1;
    }
  }
  for (auto& o : strings(c.value("origins", json()))) origins.push_back(o);
  if (!origins.empty()) out.origins = origins;
  out.headers = c.contains("headers") ? strings(c["headers"]) : kDefaultHeaders;
  out.methods = strings(c.value("methods", json()));
  out.allow_credentials = c.value("allowCredentials", false);
  if (c.contains("maxAge") && c["maxAge"].is_number_integer()) out.max_age_s = c["maxAge"];
  if (c.contains("cacheControl") && c["cacheControl"].is_string())
    out.cache_control = c["cacheControl"].get<std::string>();
  return out;
}

std::string rest_allowed_origin(const RestCors& cors, std::string_view origin) {
  if (cors.origins.size() == 1) return cors.origins.front();
  for (const auto& o : cors.origins)
    if (!origin.empty() && matches(o, origin)) return std::string(origin);
  return cors.origins.front();
}

GatewayResponse rest_preflight_response(const RestCors& cors,
                                        const std::vector<std::string>& path_methods,
                                        std::string_view origin) {
  GatewayResponse response;
  response.status = 200;
  response.headers = {
      {"Content-Type", "application/json"},
      {"Access-Control-Allow-Origin", rest_allowed_origin(cors, origin)},
      {"Access-Control-Allow-Headers", joined(cors.headers)},
      {"Access-Control-Allow-Methods", joined(cors.methods.empty() ? path_methods : cors.methods)}};
  if (cors.allow_credentials)
    response.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  if (cors.max_age_s >= 0)
    response.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors.max_age_s));
  if (!cors.cache_control.empty())
    response.headers.emplace_back("Cache-Control", cors.cache_control);
  return response;
}

}  // namespace fx::gateway
