#include "core/gateway/cors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include <nlohmann/json.hpp>

#include "core/util/text.h"

namespace fx::gateway {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> strings(const json& j) {
  std::vector<std::string> out;
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

// "https://*.example.com" matches any one-or-more-character stand-in for the '*'.
bool origin_matches(std::string_view pattern, std::string_view origin) {
  if (pattern == "*") return true;
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return lower(pattern) == lower(origin);
  const std::string_view head = pattern.substr(0, star), tail = pattern.substr(star + 1);
  return origin.size() > head.size() + tail.size() &&
         lower(origin.substr(0, head.size())) == lower(head) &&
         lower(origin.substr(origin.size() - tail.size())) == lower(tail);
}

bool origin_allowed(const HttpApiCors& cors, std::string_view origin) {
  return !origin.empty() && std::any_of(cors.allow_origins.begin(), cors.allow_origins.end(),
                                        [&](const auto& p) { return origin_matches(p, origin); });
}

bool listed(const std::vector<std::string>& list, std::string_view item) {
  return std::any_of(list.begin(), list.end(),
                     [&](const auto& s) { return s == "*" || lower(s) == lower(item); });
}

std::string joined(const std::vector<std::string>& list) {
  return fmt::format("{}", fmt::join(list, ","));
}

void drop_cors_headers(GatewayResponse& response) {
  auto& h = response.headers;
  h.erase(
      std::remove_if(h.begin(), h.end(),
                     [](const auto& kv) { return lower(kv.first).starts_with("access-control-"); }),
      h.end());
}

}  // namespace

std::optional<HttpApiCors> http_api_cors_of(std::string_view http_api_json,
                                            const std::vector<RouteSpec>& routes) {
  const json doc = json::parse(http_api_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("cors")) return std::nullopt;
  const json& c = doc["cors"];
  if (!(c.is_boolean() && c.get<bool>()) && !c.is_object()) return std::nullopt;
  const json given = c.is_object() ? c : json::object();
  HttpApiCors cors;
  // The Serverless Framework's defaults for `cors: true` and for what an object leaves out.
  cors.allow_origins = given.contains("allowedOrigins") ? strings(given["allowedOrigins"])
                                                        : std::vector<std::string>{"*"};
  cors.allow_headers =
      given.contains("allowedHeaders")
          ? strings(given["allowedHeaders"])
          : std::vector<std::string>{"Content-Type",   "X-Amz-Date",           "Authorization",
                                     "X-Api-Key",      "X-Amz-Security-Token", "X-Amz-User-Agent",
                                     "X-Amzn-Trace-Id"};
  if (given.contains("allowedMethods")) {
    cors.allow_methods = strings(given["allowedMethods"]);
  } else {
    std::set<std::string> methods = {"OPTIONS"};
    for (const auto& r : routes) {
      if (r.api != manifest::HttpApi::http) continue;
      if (r.method == "ANY") {
        methods = {"*"};
        break;
      }
      methods.insert(r.method);
    }
    cors.allow_methods.assign(methods.begin(), methods.end());
  }
  cors.expose_headers = strings(given.value("exposedResponseHeaders", json()));
  cors.allow_credentials = given.value("allowCredentials", json(false)).is_boolean() &&
                           given.value("allowCredentials", false);
  if (given.contains("maxAge") && given["maxAge"].is_number_integer())
    cors.max_age_s = given["maxAge"].get<int>();
  return cors;
}

bool is_preflight(const GatewayRequest& request) {
  return request.method == "OPTIONS" && !header_value(request, "origin").empty() &&
         !header_value(request, "access-control-request-method").empty();
}

GatewayResponse http_api_preflight(const HttpApiCors& cors, const GatewayRequest& request) {
  GatewayResponse r;
  r.status = 204;
  const std::string_view origin = header_value(request, "origin");
  const std::string_view method = header_value(request, "access-control-request-method");
  std::vector<std::string> requested;
  std::string_view rest = header_value(request, "access-control-request-headers");
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string name = util::trim(rest.substr(0, comma));
    if (!name.empty()) requested.push_back(name);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  const bool ok = origin_allowed(cors, origin) && listed(cors.allow_methods, method) &&
                  std::all_of(requested.begin(), requested.end(),
                              [&](const auto& h) { return listed(cors.allow_headers, h); });
  if (!ok) return r;
  const bool any_origin = !cors.allow_credentials &&
                          std::find(cors.allow_origins.begin(), cors.allow_origins.end(), "*") !=
                              cors.allow_origins.end();
  r.headers.emplace_back("access-control-allow-origin", any_origin ? "*" : std::string(origin));
  r.headers.emplace_back("access-control-allow-methods",
                         listed(cors.allow_methods, "*") && cors.allow_methods.size() == 1
                             ? std::string(method)
                             : joined(cors.allow_methods));
  if (!requested.empty())
    r.headers.emplace_back("access-control-allow-headers", listed(cors.allow_headers, "*")
                                                               ? joined(requested)
                                                               : joined(cors.allow_headers));
  if (cors.allow_credentials) r.headers.emplace_back("access-control-allow-credentials", "true");
  if (cors.max_age_s >= 0)
    r.headers.emplace_back("access-control-max-age", std::to_string(cors.max_age_s));
  return r;
}

void add_http_api_cors(const HttpApiCors& cors, std::string_view origin,
                       GatewayResponse& response) {
  // API Gateway ignores the CORS headers of an integration on an API with CORS configured.
  drop_cors_headers(response);
  if (!origin_allowed(cors, origin)) return;
  const bool any_origin = !cors.allow_credentials &&
                          std::find(cors.allow_origins.begin(), cors.allow_origins.end(), "*") !=
                              cors.allow_origins.end();
  response.headers.emplace_back("access-control-allow-origin",
                                any_origin ? "*" : std::string(origin));
  if (!any_origin) response.headers.emplace_back("vary", "Origin");
  if (cors.allow_credentials)
    response.headers.emplace_back("access-control-allow-credentials", "true");
  if (!cors.expose_headers.empty())
    response.headers.emplace_back("access-control-expose-headers", joined(cors.expose_headers));
}

}  // namespace fx::gateway
