#include "core/manifest/http_api_config.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/manifest/service.h"
#include "core/util/error.h"

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

std::string http_api_document(const Service& service) {
  const json http_api = json::parse(service.http_api_json, nullptr, false);
  if (!http_api.is_object() || (!http_api.contains("authorizers") && !http_api.contains("cors")))
    return "";
  json doc = {{"authorizers", http_api.value("authorizers", json::object())},
              {"jwks", json::object()}};
  if (http_api.contains("cors")) doc["cors"] = http_api["cors"];
  const json fx = json::parse(service.custom_fx_json, nullptr, false);
  if (!fx.is_object() || !fx.contains("jwks") || !fx["jwks"].is_object()) return doc.dump();
  const auto authorizers = parse_http_api_authorizers(service.http_api_json);
  for (const auto& [key, path_json] : fx["jwks"].items()) {
    const std::string where = "custom.fx.jwks." + key;
    if (!path_json.is_string())
      throw Error(fmt::format("{}: expected the path of a JWK set file, got {}", where,
                              path_json.dump()),
                  "e.g. jwks: {users: keys/jwks.json}");
    std::filesystem::path path = path_json.get<std::string>();
    if (path.is_relative()) path = service.dir / path;
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in)
      throw Error(fmt::format("{}: cannot read {}", where, path.string()),
                  "give the path of a JSON file {\"keys\": [...]}, relative to the service's folder");
    const json jwks = json::parse(text.str(), nullptr, false);
    if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array())
      throw Error(fmt::format("{}: {} is not a JWK set", where, path.string()),
                  "a JWK set is a JSON object {\"keys\": [{\"kty\": \"RSA\", \"kid\": ...}]}");
    bool used = false;
    for (const auto& a : authorizers)
      if (a.type == "jwt" && (a.name == key || a.issuer_url == key)) {
        doc["jwks"][a.name] = jwks;
        used = true;
      }
    if (!used)
      throw Error(fmt::format("{}: names no JWT authorizer of provider.httpApi.authorizers", where),
                  "use an authorizer's name or its issuerUrl as the key");
  }
  return doc.dump();
}

}  // namespace fx::manifest
