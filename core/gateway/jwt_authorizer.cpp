#include "core/gateway/jwt_authorizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/manifest/authorizers.h"
#include "core/manifest/http_api_config.h"
#include "core/util/error.h"
#include "core/util/http_client.h"

namespace fx::gateway {
namespace {

using nlohmann::json;

constexpr long kFetchTimeoutMs = 3000;
constexpr std::size_t kMaxJwksBytes = 1024 * 1024;

// HTTP APIs answer a refused token with these bodies and a www-authenticate challenge in
// RFC 6750's form.
GatewayResponse unauthorized(std::string_view description) {
  GatewayResponse r;
  r.status = 401;
  r.headers = {{"Content-Type", "application/json"}};
  if (!description.empty())
    r.headers.emplace_back(
        "www-authenticate",
        fmt::format("Bearer scope=\"\" error=\"invalid_token\" error_description=\"{}\"",
                    description));
  else
    r.headers.emplace_back("www-authenticate", "Bearer");
  r.body = R"({"message":"Unauthorized"})";
  return r;
}

GatewayResponse forbidden(const std::vector<std::string>& scopes) {
  GatewayResponse r;
  r.status = 403;
  const std::string list = fmt::format("{}", fmt::join(scopes, " "));
  r.headers = {{"Content-Type", "application/json"},
               {"www-authenticate", fmt::format("Bearer scope=\"{}\" error=\"insufficient_scope\" "
                                                "error_description=\"expected scopes: [{}]\"",
                                                list, list)}};
  r.body = R"({"message":"Forbidden"})";
  return r;
}

JwtAuthorizer::Decision refuse(GatewayResponse response, std::string reason) {
  JwtAuthorizer::Decision d;
  d.refusal = std::move(response);
  d.reason = std::move(reason);
  return d;
}

// HTTP APIs hand claims to the function as strings: numbers and booleans as their text,
// lists as "[a b c]".
std::string claim_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) out += ' ';
      out += claim_text(v[i]);
    }
    return out + "]";
  }
  return v.dump();
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The identity source's value: "$request.header.NAME" or "$request.querystring.NAME".
std::string identity_of(const GatewayRequest& request, const std::string& source) {
  constexpr std::string_view header = "$request.header.";
  constexpr std::string_view query = "$request.querystring.";
  if (source.starts_with(header))
    return std::string(header_value(request, std::string_view(source).substr(header.size())));
  if (source.starts_with(query)) {
    const std::string name = source.substr(query.size());
    std::string_view rest = request.raw_query;
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const std::size_t eq = pair.find('=');
      if (percent_decode(pair.substr(0, eq)) == name)
        return eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    }
  }
  return "";
}

std::vector<std::string> token_scopes(const json& claims) {
  std::vector<std::string> out;
  if (auto it = claims.find("scope"); it != claims.end() && it->is_string()) {
    const std::string s = it->get<std::string>();
    std::size_t start = 0;
    while (start < s.size()) {
      std::size_t end = s.find(' ', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  } else if (auto scp = claims.find("scp"); scp != claims.end()) {
    if (scp->is_string()) out.push_back(scp->get<std::string>());
    if (scp->is_array())
      for (const auto& v : *scp)
        if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// A NumericDate claim in seconds, if present and a number.
std::optional<double> date_claim(const json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string http_api_document_of(const manifest::ServiceEvents& events) {
  for (const auto& f : events.functions)
    for (const auto* e : manifest::events_of<manifest::HttpEvent>(f.events)) {
      if (e->api != manifest::HttpApi::http || e->config_json.empty()) continue;
      const json config = json::parse(e->config_json, nullptr, false);
      if (config.is_object() && config.contains("fx_http_api")) return config["fx_http_api"].dump();
    }
  return "";
}

std::string authorizer_of(std::string_view event_json) {
  const json config = json::parse(event_json, nullptr, false);
  if (!config.is_object() || !config.contains("authorizer")) return "";
  return config["authorizer"].dump();
}

JwtAuthorizer::JwtAuthorizer(Config config) : config_(std::move(config)) {
  if (!config_.jwks_json.empty()) {
    std::string why;
    auto keys = jwt::parse_jwks(config_.jwks_json, why);
    if (!keys) {
      fetch_error_ = "its JWK set (custom.fx.jwks) is " + why;
    } else {
      for (auto& k : *keys) keys_.push_back(std::make_shared<const jwt::Key>(std::move(k)));
    }
  }
}

void JwtAuthorizer::fetch_keys(std::int64_t now_ms) const {
  fetched_ms_ = now_ms;
  try {
    util::HttpClientOptions options;
    options.max_body = kMaxJwksBytes;
    options.connect_timeout_ms = kFetchTimeoutMs;
    util::HttpClient client(options);
    const std::string discovery =
        trim_slash(config_.issuer_url) + "/.well-known/openid-configuration";
    auto answer = client.request("GET", discovery, {}, "", kFetchTimeoutMs);
    if (answer.status != 200) throw Error(fmt::format("{} answered {}", discovery, answer.status));
    const json config = json::parse(answer.body, nullptr, false);
    if (!config.is_object() || !config.contains("jwks_uri") || !config["jwks_uri"].is_string())
      throw Error(fmt::format("{} has no jwks_uri", discovery));
    const std::string jwks_uri = config["jwks_uri"].get<std::string>();
    util::HttpClient keys_client(options);  // jwks_uri may be another host
    auto jwks = keys_client.request("GET", jwks_uri, {}, "", kFetchTimeoutMs);
    if (jwks.status != 200) throw Error(fmt::format("{} answered {}", jwks_uri, jwks.status));
    std::string why;
    auto keys = jwt::parse_jwks(jwks.body, why);
    if (!keys) throw Error(fmt::format("{} is {}", jwks_uri, why));
    keys_.clear();
    for (auto& k : *keys) keys_.push_back(std::make_shared<const jwt::Key>(std::move(k)));
    verified_.clear();  // a key may be gone
    fetch_error_.clear();
  } catch (const std::exception& e) {
    // The keys fetched before, if any, stay: an issuer's outage does not lock everyone out.
    fetch_error_ = fmt::format("its keys could not be fetched: {}", e.what());
  }
}

std::shared_ptr<const jwt::Key> JwtAuthorizer::key_for(const std::string& kid, std::int64_t now_ms,
                                                       std::string& why) const {
  std::lock_guard lock(mutex_);
  auto find = [&]() -> std::shared_ptr<const jwt::Key> {
    for (const auto& k : keys_)
      if (k->kid == kid) return k;
    return nullptr;
  };
  const bool offline = !config_.jwks_json.empty();
  if (!offline) {
    const bool stale = fetched_ms_ == 0 || now_ms - fetched_ms_ >= kKeysTtlMs;
    if (stale || (!find() && now_ms - fetched_ms_ >= kRefetchMs)) fetch_keys(now_ms);
  }
  if (auto k = find()) return k;
  why = !fetch_error_.empty() ? fetch_error_
                              : fmt::format("no key of the issuer's JWK set has the token's kid");
  return nullptr;
}

JwtAuthorizer::Decision JwtAuthorizer::check(const GatewayRequest& request,
                                             const std::vector<std::string>& scopes,
                                             const std::string& payload_version,
                                             std::int64_t now_ms) const {
  std::string token = identity_of(request, config_.identity_source);
  if (token.starts_with("Bearer ")) token.erase(0, 7);
  if (token.empty())
    return refuse(unauthorized(""), fmt::format("no token in {}", config_.identity_source));
  {
    std::shared_ptr<const Verified> known;
    {
      std::lock_guard lock(mutex_);
      auto it = verified_.find(token);
      if (it != verified_.end()) known = it->second;
    }
    if (known) return finish(*known, scopes, payload_version, now_ms);
  }
  std::string why;
  auto parsed = jwt::parse(token, why);
  if (!parsed) return refuse(unauthorized("the token is malformed"), why);
  if (parsed->alg != "RS256" && parsed->alg != "ES256")
    return refuse(
        unauthorized("the token's algorithm is not supported"),
        fmt::format("the token's alg '{}' is not RS256 or ES256", parsed->alg.substr(0, 20)));
  if (parsed->kid.empty())
    return refuse(unauthorized("the token has no kid"), "the token's header has no kid");
  auto key = key_for(parsed->kid, now_ms, why);
  if (!key) return refuse(unauthorized("no key for the token's kid"), why);
  if (!jwt::verify(*parsed, *key, why))
    return refuse(unauthorized("the token's signature is invalid"), why);

  const json claims = json::parse(parsed->payload_json);
  const std::string iss =
      claims.value("iss", json()).is_string() ? claims["iss"].get<std::string>() : "";
  if (iss != config_.issuer_url)
    return refuse(
        unauthorized("the token's issuer is not accepted"),
        fmt::format("the token's iss is not the authorizer's issuerUrl {}", config_.issuer_url));
  std::vector<std::string> audiences;
  if (auto it = claims.find("aud"); it != claims.end()) {
    if (it->is_string()) audiences.push_back(it->get<std::string>());
    if (it->is_array())
      for (const auto& a : *it)
        if (a.is_string()) audiences.push_back(a.get<std::string>());
  } else if (auto id = claims.find("client_id"); id != claims.end() && id->is_string()) {
    audiences.push_back(id->get<std::string>());
  }
  const bool audience_ok = std::any_of(audiences.begin(), audiences.end(), [&](const auto& a) {
    return std::find(config_.audience.begin(), config_.audience.end(), a) != config_.audience.end();
  });
  if (!audience_ok)
    return refuse(unauthorized("the token's audience is not accepted"),
                  "neither the token's aud nor its client_id is one of the authorizer's audience");
  auto verified = std::make_shared<Verified>();
  verified->exp = date_claim(claims, "exp");
  verified->nbf = date_claim(claims, "nbf");
  verified->iat = date_claim(claims, "iat");
  verified->granted = token_scopes(claims);
  json claims_out = json::object();
  for (const auto& [name, v] : claims.items()) claims_out[name] = claim_text(v);
  const json scopes_out = verified->granted.empty() ? json(nullptr) : json(verified->granted);
  verified->v1 = json{{"claims", claims_out}, {"scopes", scopes_out}}.dump();
  verified->v2 = json{{"jwt", {{"claims", claims_out}, {"scopes", scopes_out}}}}.dump();
  {
    std::lock_guard lock(mutex_);
    if (verified_.size() >= kMaxVerified) verified_.clear();
    verified_.emplace(token, verified);
  }
  return finish(*verified, scopes, payload_version, now_ms);
}

JwtAuthorizer::Decision JwtAuthorizer::finish(const Verified& token,
                                              const std::vector<std::string>& scopes,
                                              const std::string& payload_version,
                                              std::int64_t now_ms) const {
  const double now_s = static_cast<double>(now_ms) / 1000.0;
  if (!token.exp) return refuse(unauthorized("the token has no expiry"), "the token has no exp");
  if (*token.exp <= now_s)
    return refuse(unauthorized("the token has expired"), "the token has expired (exp)");
  if (token.nbf && *token.nbf > now_s)
    return refuse(unauthorized("the token is not valid yet"), "the token is not valid yet (nbf)");
  if (token.iat && *token.iat > now_s)
    return refuse(unauthorized("the token was issued in the future"),
                  "the token's iat is in the future");
  const auto& granted = token.granted;
  if (!scopes.empty() && std::none_of(scopes.begin(), scopes.end(), [&](const auto& s) {
        return std::find(granted.begin(), granted.end(), s) != granted.end();
      }))
    return refuse(forbidden(scopes), fmt::format("the token has none of the route's scopes ({})",
                                                 fmt::join(scopes, ", ")));
  Decision d;
  d.allowed = true;
  d.authorizer_json = payload_version == "1.0" ? token.v1 : token.v2;
  return d;
}

void attach_authorizers(std::vector<RouteSpec>& routes, const std::string& http_api_json) {
  const json doc =
      http_api_json.empty() ? json::object() : json::parse(http_api_json, nullptr, false);
  std::map<std::string, manifest::HttpApiAuthorizer> declared;
  for (auto& a : manifest::parse_http_api_authorizers(doc.is_object() ? doc.dump() : "{}"))
    declared.emplace(a.name, std::move(a));
  std::map<std::string, std::shared_ptr<const JwtAuthorizer>> made;
  for (auto& route : routes) {
    if (route.authorizer_json.empty() || route.jwt) continue;
    // Lambda (request) and aws_iam authorizers, and those closed at deploy, are the gateway's
    // other check (core/manifest/authorizers.h): only JWT ones are this file's.
    if (route.authorizer && route.authorizer->type != manifest::RouteAuthorizer::Type::jwt)
      continue;
    const json ref = json::parse(route.authorizer_json, nullptr, false);
    std::string name;
    std::vector<std::string> scopes;
    if (ref.is_string()) name = ref.get<std::string>();
    if (ref.is_object()) {
      name = ref.value("name", json()).is_string() ? ref["name"].get<std::string>() : "";
      if (ref.contains("scopes") && ref["scopes"].is_array())
        for (const auto& s : ref["scopes"])
          if (s.is_string()) scopes.push_back(s.get<std::string>());
      if (name.empty()) {
        route.unhonoured_authorizer =
            ref.contains("type")
                ? fmt::format("authorizer type {} is not run locally", ref["type"].dump())
                : "an authorizer by id (made outside the service) is not run locally";
        continue;
      }
    }
    auto it = declared.find(name);
    if (it == declared.end()) {
      route.unhonoured_authorizer =
          fmt::format("no authorizer '{}' in provider.httpApi.authorizers", name);
      continue;
    }
    const auto& a = it->second;
    if (a.type != "jwt") {
      route.unhonoured_authorizer =
          fmt::format("authorizer '{}' of type {} is not run locally", name, a.type);
      continue;
    }
    auto& authorizer = made[name];
    if (!authorizer) {
      JwtAuthorizer::Config config;
      config.name = name;
      if (!a.identity_source.empty()) config.identity_source = a.identity_source.front();
      config.issuer_url = a.issuer_url;
      config.audience = a.audience;
      if (doc.contains("jwks") && doc["jwks"].is_object() && doc["jwks"].contains(name))
        config.jwks_json = doc["jwks"][name].dump();
      authorizer = std::make_shared<const JwtAuthorizer>(std::move(config));
    }
    route.jwt = std::make_shared<const JwtRouteCheck>(JwtRouteCheck{authorizer, std::move(scopes)});
  }
}

}  // namespace fx::gateway
