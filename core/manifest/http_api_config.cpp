#include "core/manifest/http_api_config.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace fx::manifest {
namespace {

using nlohmann::json;

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

std::vector<HttpApiAuthorizer> parse_http_api_authorizers(std::string_view http_api_json) {
  std::vector<HttpApiAuthorizer> out;
  const json doc = json::parse(http_api_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("authorizers") || !doc["authorizers"].is_object())
    return out;
  for (const auto& [name, a] : doc["authorizers"].items()) {
    if (!a.is_object()) continue;
    HttpApiAuthorizer z;
    z.name = name;
    // The framework's JWT authorizers are the ones with no type.
    z.type = a.value("type", "jwt");
    for (auto& c : z.type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    z.identity_source = strings(a.value("identitySource", json()));
    if (z.identity_source.empty() && z.type == "jwt")
      z.identity_source.push_back("$request.header.Authorization");
    z.issuer_url = a.value("issuerUrl", "");
    z.audience = strings(a.value("audience", json()));
    z.function_name = a.value("functionName", "");
    z.function_arn = a.value("functionArn", "");
    z.enable_simple_responses = a.value("enableSimpleResponses", false);
    z.payload_version = a.value("payloadVersion", "");
    if (a.contains("resultTtlInSeconds") && a["resultTtlInSeconds"].is_number_integer())
      z.result_ttl_s = a["resultTtlInSeconds"].get<int>();
    out.push_back(std::move(z));
  }
  return out;
}

}  // namespace fx::manifest
