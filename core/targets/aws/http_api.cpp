// The service's httpApi routes as an API Gateway HTTP API (apigatewayv2): the API with
// provider.httpApi.cors, one AWS_PROXY integration per function with the payload version of
// provider.httpApi.payload, the JWT and Lambda (REQUEST) authorizers the routes name, the routes
// ("METHOD /path", "$default" for '*'), and the $default stage deploying every change.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/actions/deploy.h"
#include "core/manifest/http_api_config.h"
#include "core/targets/aws/api_gateway.h"
#include "core/util/error.h"

namespace fx::targets::aws {

namespace {

using json = nlohmann::json;
using Type = manifest::RouteAuthorizer::Type;

constexpr const char* kPermissionSid = "fx-apigateway-http-api";
// The headers the framework allows by default with `cors: true`.
constexpr const char* kDefaultCorsHeaders[] = {
    "Content-Type",         "X-Amz-Date",       "Authorization",  "X-Api-Key",
    "X-Amz-Security-Token", "X-Amz-User-Agent", "X-Amzn-Trace-Id"};

std::string route_key(const ApiRoute& r) {
  return r.path == "*" ? "$default" : r.method + " " + r.path;
}

std::string http_api_payload(const manifest::Service& service) {
  return service.http_api_payload.empty() ? "2.0" : service.http_api_payload;
}

// provider.httpApi.cors as API Gateway's CorsConfiguration; null without one. The framework's
// keys map one to one; `true` and missing lists take its defaults.
json cors_configuration(const std::vector<ApiRoute>& routes) {
  json cors;
  for (const auto& r : routes) {
    auto config = json::parse(r.event->config_json, nullptr, false);
    if (config.is_object() && config.contains("fx_http_api") && config["fx_http_api"].is_object() &&
        config["fx_http_api"].contains("cors")) {
      cors = config["fx_http_api"]["cors"];
      break;
    }
  }
  if (cors.is_null() || cors == false) return nullptr;
  if (!cors.is_object()) cors = json::object();
  std::set<std::string> methods{"OPTIONS"};
  for (const auto& r : routes) methods.insert(r.method == "ANY" ? "*" : r.method);
  if (methods.contains("*")) methods = {"*"};
  json out = {{"allowOrigins", cors.value("allowedOrigins", json::array({"*"}))},
              {"allowHeaders", cors.value("allowedHeaders", json(kDefaultCorsHeaders))},
              {"allowMethods", cors.value("allowedMethods", json(methods))}};
  if (cors.contains("allowCredentials")) out["allowCredentials"] = cors["allowCredentials"];
  if (cors.contains("exposedResponseHeaders"))
    out["exposeHeaders"] = cors["exposedResponseHeaders"];
  if (cors.contains("maxAge")) out["maxAge"] = cors["maxAge"];
  for (const char* list : {"allowOrigins", "allowHeaders", "allowMethods", "exposeHeaders"})
    if (out.contains(list) && out[list].is_string()) out[list] = json::array({out[list]});
  return out;
}

// Lists compare as sets: API Gateway may give them back in another order.
bool same_value(const json& a, const json& b) {
  if (a.is_array() && b.is_array()) {
    auto x = a, y = b;
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    return x == y;
  }
  return a == b;
}

// Whether `current` has every field of `desired` with the same value; a field desired null
// must be absent (or empty).
bool has_fields(const json& current, const json& desired) {
  for (const auto& [key, value] : desired.items()) {
    const bool present = current.contains(key) && !current[key].is_null() &&
                         !(current[key].is_array() && current[key].empty()) &&
                         !(current[key].is_string() && current[key].get<std::string>().empty());
    if (value.is_null()) {
      if (present) return false;
    } else if (!present || !same_value(current[key], value)) {
      return false;
    }
  }
  return true;
}

// The CreateAuthorizer body of the authorizer a route names.
json authorizer_body(const ApiContext& context, const manifest::RouteAuthorizer& a) {
  const auto defs = manifest::parse_http_api_authorizers(
      R"({"authorizers":)" + context.service.http_api_authorizers_json + "}");
  auto def =
      std::find_if(defs.begin(), defs.end(), [&](const auto& d) { return d.name == a.name; });
  if (def == defs.end())
    throw Error(
        fmt::format("httpApi authorizer '{}': not in provider.httpApi.authorizers", a.name));
  json identity = def->identity_source;
  if (a.type == Type::jwt) {
    if (identity.empty()) identity = json::array({"$request.header.Authorization"});
    json audience = def->audience;
    return {{"name", a.name},
            {"authorizerType", "JWT"},
            {"identitySource", identity},
            {"jwtConfiguration", {{"issuer", def->issuer_url}, {"audience", audience}}}};
  }
  const std::string arn =
      def->function_arn.empty() ? function_arn(context, a.function) : def->function_arn;
  json body = {{"name", a.name},
               {"authorizerType", "REQUEST"},
               {"authorizerUri", invocation_uri(context.region, arn)},
               {"authorizerPayloadFormatVersion", a.payload},
               {"enableSimpleResponses", a.simple},
               {"authorizerResultTtlInSeconds", a.ttl_s}};
  // API Gateway refuses identity sources on an uncached authorizer... and needs them on a
  // cached one.
  body["identitySource"] = identity.empty() ? json(nullptr) : identity;
  return body;
}

std::string authorization_type(const ApiRoute& r) {
  if (!r.authorizer) return "NONE";
  switch (r.authorizer->type) {
    case Type::jwt:
      return "JWT";
    case Type::aws_iam:
      return "AWS_IAM";
    default:
      return "CUSTOM";
  }
}

std::string text(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string api_url(const ApiContext& context, const std::string& id, const json& api) {
  std::string url = text(api, "apiEndpoint");
  if (url.empty()) url = fmt::format("https://{}.execute-api.{}.amazonaws.com", id, context.region);
  return url;
}

std::string route_line(const std::string& url, const std::string& key) {
  if (key == "$default") return fmt::format("{:<6} {}/*  ($default: any other route)", "ANY", url);
  auto space = key.find(' ');
  return fmt::format("{:<6} {}{}", key.substr(0, space), url, key.substr(space + 1));
}

}  // namespace

std::optional<FoundApi> find_http_api(fx::aws::ApiGatewayClient& gateway,
                                      const manifest::Service& service) {
  return find_tagged_api(gateway, service, "/v2/apis", "apiId");
}

ApiSync sync_http_api(fx::aws::ApiGatewayClient& gateway, lambda::LambdaClient& lambda,
                      const ApiContext& context) {
  const auto& service = context.service;
  const auto routes = api_routes(service, manifest::HttpApi::http);
  ApiSync out;
  auto found = find_http_api(gateway, service);
  if (routes.empty()) {
    if (found) {
      gateway.remove("/v2/apis/" + found->id);
      out.id = found->id;
      out.status = "deleted";
    }
    return out;
  }
  bool changed = false;
  const json cors = cors_configuration(routes);
  json api;
  if (!found) {
    json body = {{"name", api_name(service)},
                 {"protocolType", "HTTP"},
                 {"tags", actions::service_tags(service)}};
    if (!cors.is_null()) body["corsConfiguration"] = cors;
    api = json::parse(gateway.call("POST", "/v2/apis", body.dump()));
    out.status = "created";
  } else {
    api = json::parse(found->json);
    const json current = api.value("corsConfiguration", json());
    if (cors.is_null() && !current.is_null()) {
      gateway.remove("/v2/apis/" + found->id + "/cors");
      changed = true;
    } else if (!cors.is_null() && (current.is_null() || !has_fields(current, cors))) {
      gateway.call("PATCH", "/v2/apis/" + found->id, json{{"corsConfiguration", cors}}.dump());
      changed = true;
    }
  }
  const std::string id = text(api, "apiId");
  const std::string base = "/v2/apis/" + id;
  out.id = id;
  out.url = api_url(context, id, api);

  // Integrations: one per function (by the ARN invoked).
  std::map<std::string, std::string> integration_of;  // invoked ARN → integration id
  std::set<std::string> unused_integrations;
  const std::string payload = http_api_payload(service);
  if (found)
    for (const auto& item : gateway.list(base + "/integrations")) {
      auto i = json::parse(item);
      const std::string iid = text(i, "integrationId");
      const std::string uri = text(i, "integrationUri");
      if (integration_of.contains(uri)) {
        unused_integrations.insert(iid);
        continue;
      }
      if (text(i, "payloadFormatVersion") != payload || text(i, "integrationType") != "AWS_PROXY") {
        gateway.call(
            "PATCH", base + "/integrations/" + iid,
            json{{"integrationType", "AWS_PROXY"}, {"payloadFormatVersion", payload}}.dump());
        changed = true;
      }
      integration_of[uri] = iid;
      unused_integrations.insert(iid);
    }
  for (const auto& r : routes) {
    const std::string arn = invoked_arn(context, *r.function);
    if (integration_of.contains(arn)) {
      unused_integrations.erase(integration_of[arn]);
      continue;
    }
    auto made = json::parse(gateway.call("POST", base + "/integrations",
                                         json{{"integrationType", "AWS_PROXY"},
                                              {"integrationUri", arn},
                                              {"integrationMethod", "POST"},
                                              {"payloadFormatVersion", payload}}
                                             .dump()));
    integration_of[arn] = text(made, "integrationId");
    changed = true;
  }

  // The routes there, and the authorizers they use (read one by one: moto has no
  // GetAuthorizers, and fx makes an authorizer only for the routes that name it).
  std::map<std::string, json> current_routes;  // route key → route
  std::map<std::string, json> authorizers;     // name → authorizer
  std::set<std::string> unused_authorizers;    // ids
  if (found) {
    std::set<std::string> authorizer_ids;
    for (const auto& item : gateway.list(base + "/routes")) {
      auto r = json::parse(item);
      current_routes[text(r, "routeKey")] = r;
      if (!text(r, "authorizerId").empty()) authorizer_ids.insert(text(r, "authorizerId"));
    }
    for (const auto& aid : authorizer_ids)
      if (auto a = gateway.get(base + "/authorizers/" + aid)) {
        auto authorizer = json::parse(*a);
        authorizers[text(authorizer, "name")] = authorizer;
        unused_authorizers.insert(aid);
      }
  }
  std::map<std::string, std::string> authorizer_ids;  // name → id
  for (const auto& r : routes) {
    if (!r.authorizer || r.authorizer->type == Type::aws_iam) continue;
    const auto& name = r.authorizer->name;
    if (authorizer_ids.contains(name)) continue;
    json body = authorizer_body(context, *r.authorizer);
    auto current = authorizers.find(name);
    if (current == authorizers.end()) {
      if (body["identitySource"].is_null()) body.erase("identitySource");
      auto made = json::parse(gateway.call("POST", base + "/authorizers", body.dump()));
      authorizer_ids[name] = text(made, "authorizerId");
      changed = true;
      continue;
    }
    const std::string aid = text(current->second, "authorizerId");
    authorizer_ids[name] = aid;
    unused_authorizers.erase(aid);
    if (!has_fields(current->second, body)) {
      if (body["identitySource"].is_null()) body["identitySource"] = json::array();
      gateway.call("PATCH", base + "/authorizers/" + aid, body.dump());
      changed = true;
    }
  }

  std::set<std::string> wanted_keys;
  for (const auto& r : routes) {
    const std::string key = route_key(r);
    wanted_keys.insert(key);
    const std::string auth = authorization_type(r);
    json body = {{"routeKey", key},
                 {"target", "integrations/" + integration_of[invoked_arn(context, *r.function)]},
                 {"authorizationType", auth}};
    body["authorizerId"] =
        auth == "JWT" || auth == "CUSTOM" ? json(authorizer_ids[r.authorizer->name]) : json();
    body["authorizationScopes"] = r.scopes.empty() ? json() : json(r.scopes);
    auto current = current_routes.find(key);
    if (current != current_routes.end() && has_fields(current->second, body)) {
      out.routes[r.function->key].push_back(route_line(out.url, key));
      continue;
    }
    // An authorizer or its scopes dropped: API Gateway keeps the old ones through an update
    // that omits them, so the route is made again.
    const bool dropped =
        current != current_routes.end() &&
        ((body["authorizerId"].is_null() && !text(current->second, "authorizerId").empty()) ||
         (body["authorizationScopes"].is_null() &&
          !current->second.value("authorizationScopes", json::array()).empty()));
    for (auto it = body.begin(); it != body.end();)
      it = it->is_null() ? body.erase(it) : std::next(it);
    if (current != current_routes.end() && !dropped) {
      gateway.call("PATCH", base + "/routes/" + text(current->second, "routeId"), body.dump());
    } else {
      if (dropped) gateway.remove(base + "/routes/" + text(current->second, "routeId"));
      gateway.call("POST", base + "/routes", body.dump());
    }
    changed = true;
    out.routes[r.function->key].push_back(route_line(out.url, key));
  }
  for (const auto& [key, r] : current_routes)
    if (!wanted_keys.contains(key)) {
      gateway.remove(base + "/routes/" + text(r, "routeId"));
      changed = true;
    }
  // After the routes that used them: API Gateway refuses to delete what a route points at.
  for (const auto& iid : unused_integrations) {
    gateway.remove(base + "/integrations/" + iid);
    changed = true;
  }
  for (const auto& aid : unused_authorizers) {
    gateway.remove(base + "/authorizers/" + aid);
    changed = true;
  }

  bool has_stage = false;
  if (found)
    for (const auto& item : gateway.list(base + "/stages")) {
      auto s = json::parse(item);
      if (text(s, "stageName") != "$default") continue;
      has_stage = true;
      if (!s.value("autoDeploy", false)) {
        gateway.call("PATCH", base + "/stages/$default", json{{"autoDeploy", true}}.dump());
        changed = true;
      }
    }
  if (!has_stage) {
    gateway.call("POST", base + "/stages",
                 json{{"stageName", "$default"}, {"autoDeploy", true}}.dump());
    changed = true;
  }
  changed |= sync_api_permissions(lambda, context, routes, id, kPermissionSid, out.warnings);
  if (out.status.empty()) out.status = changed ? "updated" : "unchanged";
  return out;
}

ApiSync describe_http_api(fx::aws::ApiGatewayClient& gateway, const ApiContext& context) {
  ApiSync out;
  auto found = find_http_api(gateway, context.service);
  if (!found) return out;
  auto api = json::parse(found->json);
  out.id = found->id;
  out.url = api_url(context, found->id, api);
  const std::string base = "/v2/apis/" + found->id;
  std::map<std::string, std::string> function_of;  // integration id → function key
  for (const auto& item : gateway.list(base + "/integrations")) {
    auto i = json::parse(item);
    function_of[text(i, "integrationId")] =
        function_key_of(context.service, text(i, "integrationUri"));
  }
  for (const auto& item : gateway.list(base + "/routes")) {
    auto r = json::parse(item);
    std::string target = text(r, "target");
    if (target.starts_with("integrations/")) target = target.substr(13);
    auto key = function_of.find(target);
    out.routes[key == function_of.end() ? std::string("?") : key->second].push_back(
        route_line(out.url, text(r, "routeKey")));
  }
  return out;
}

}  // namespace fx::targets::aws
