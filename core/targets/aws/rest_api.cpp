// The service's http routes as an API Gateway REST API (apigateway): a resource per path
// segment ({param} and {proxy+} included), a method per route with its authorization (NONE,
// CUSTOM for a Lambda authorizer, AWS_IAM) and ApiKeyRequired for `private: true`, a Lambda
// proxy integration to its function, the TOKEN and REQUEST authorizers the routes name, and a
// deployment to the stage named after the fx stage whenever something changed.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/actions/deploy.h"
#include "core/targets/aws/api_gateway.h"
#include "core/util/error.h"

namespace fx::targets::aws {

namespace {

using json = nlohmann::json;
using Type = manifest::RouteAuthorizer::Type;

constexpr const char* kPermissionSid = "fx-apigateway-rest-api";

std::string text(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// "header:Authorization" → "method.request.header.Authorization", comma-separated.
std::string identity_source(const manifest::RouteAuthorizer& a) {
  std::string out;
  for (const auto& s : a.identity_sources) {
    if (!out.empty()) out += ",";
    out += s.starts_with("query:") ? "method.request.querystring." + s.substr(6)
                                   : "method.request.header." + s.substr(s.find(':') + 1);
  }
  return out;
}

json authorizer_body(const ApiContext& context, const manifest::RouteAuthorizer& a) {
  json body = {{"name", a.name},
               {"type", a.type == Type::token ? "TOKEN" : "REQUEST"},
               {"authorizerUri", invocation_uri(context.region, function_arn(context, a.function))},
               {"authorizerResultTtlInSeconds", a.ttl_s}};
  if (auto source = identity_source(a); !source.empty()) body["identitySource"] = source;
  if (!a.validation.empty()) body["identityValidationExpression"] = a.validation;
  return body;
}

std::string authorization_type(const ApiRoute& r) {
  if (!r.authorizer) return "NONE";
  return r.authorizer->type == Type::aws_iam ? "AWS_IAM" : "CUSTOM";
}

std::string stage_url(const ApiContext& context, const std::string& id) {
  return fmt::format("https://{}.execute-api.{}.amazonaws.com/{}", id, context.region,
                     context.service.stage);
}

std::string route_line(const std::string& url, const std::string& method, const std::string& path) {
  return fmt::format("{:<6} {}{}", method, url, path == "/" ? "/" : path);
}

// "/a/{id}" → {"/a", "/a/{id}"}
std::vector<std::string> prefixes(const std::string& path) {
  std::vector<std::string> out;
  for (std::size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    out.push_back(path.substr(0, at));
    if (at == std::string::npos) break;
  }
  return out;
}

}  // namespace

std::optional<FoundApi> find_rest_api(fx::aws::ApiGatewayClient& gateway,
                                      const manifest::Service& service) {
  return find_tagged_api(gateway, service, "/restapis", "id");
}

ApiSync sync_rest_api(fx::aws::ApiGatewayClient& gateway, lambda::LambdaClient& lambda,
                      const ApiContext& context) {
  const auto& service = context.service;
  const auto routes = api_routes(service, manifest::HttpApi::rest);
  ApiSync out;
  auto found = find_rest_api(gateway, service);
  if (routes.empty()) {
    if (found) {
      gateway.remove("/restapis/" + found->id);
      out.id = found->id;
      out.status = "deleted";
    }
    return out;
  }
  bool changed = false;
  json api;
  if (!found) {
    api = json::parse(gateway.call("POST", "/restapis",
                                   json{{"name", api_name(service)},
                                        {"tags", actions::service_tags(service)},
                                        {"endpointConfiguration", {{"types", {"EDGE"}}}}}
                                       .dump()));
    out.status = "created";
  } else {
    api = json::parse(found->json);
  }
  const std::string id = text(api, "id");
  const std::string base = "/restapis/" + id;
  out.id = id;
  out.url = stage_url(context, id);

  // Authorizers, by name.
  std::map<std::string, json> authorizers;
  std::set<std::string> unused_authorizers;
  if (found)
    for (const auto& item : gateway.list(base + "/authorizers")) {
      auto a = json::parse(item);
      authorizers[text(a, "name")] = a;
      unused_authorizers.insert(text(a, "id"));
    }
  std::map<std::string, std::string> authorizer_ids;
  for (const auto& r : routes) {
    if (!r.authorizer || r.authorizer->type == Type::aws_iam) continue;
    const auto& name = r.authorizer->name;
    if (authorizer_ids.contains(name)) continue;
    const json body = authorizer_body(context, *r.authorizer);
    auto current = authorizers.find(name);
    if (current == authorizers.end()) {
      auto made = json::parse(gateway.call("POST", base + "/authorizers", body.dump()));
      authorizer_ids[name] = text(made, "id");
      changed = true;
      continue;
    }
    const std::string aid = text(current->second, "id");
    authorizer_ids[name] = aid;
    unused_authorizers.erase(aid);
    json patch = json::array();
    for (const auto& [key, value] : body.items())
      if (!current->second.contains(key) || current->second[key] != value)
        patch.push_back({{"op", "replace"},
                         {"path", "/" + key},
                         {"value", value.is_string() ? value.get<std::string>() : value.dump()}});
    if (!patch.empty()) {
      gateway.call("PATCH", base + "/authorizers/" + aid, json{{"patchOperations", patch}}.dump());
      changed = true;
    }
  }

  // Resources, by path, with their methods.
  std::map<std::string, json> resources;
  for (const auto& item : gateway.list(base + "/resources?embed=methods")) {
    auto r = json::parse(item);
    resources[text(r, "path")] = r;
  }
  std::set<std::string> needed{"/"};
  for (const auto& r : routes)
    if (r.path != "/")
      for (const auto& p : prefixes(r.path)) needed.insert(p);
  // Parents first: std::set orders "/a" before "/a/b".
  for (const auto& path : needed) {
    if (resources.contains(path)) continue;
    const auto slash = path.rfind('/');
    const std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    auto made =
        json::parse(gateway.call("POST", base + "/resources/" + text(resources.at(parent), "id"),
                                 json{{"pathPart", path.substr(slash + 1)}}.dump()));
    resources[path] = made;
    changed = true;
  }

  std::set<std::pair<std::string, std::string>> wanted;  // (path, method)
  for (const auto& r : routes) {
    wanted.insert({r.path, r.method});
    const std::string auth = authorization_type(r);
    const std::string authorizer_id = auth == "CUSTOM" ? authorizer_ids[r.authorizer->name] : "";
    const std::string uri = invocation_uri(context.region, invoked_arn(context, *r.function));
    const json& resource = resources.at(r.path);
    const std::string method_path =
        base + "/resources/" + text(resource, "id") + "/methods/" + r.method;
    out.routes[r.function->key].push_back(route_line(out.url, r.method, r.path));
    const json methods = resource.value("resourceMethods", json::object());
    if (methods.contains(r.method)) {
      const json& m = methods[r.method];
      const json integration = m.value("methodIntegration", json::object());
      if (text(m, "authorizationType") == auth && text(m, "authorizerId") == authorizer_id &&
          m.value("apiKeyRequired", false) == r.event->is_private &&
          text(integration, "type") == "AWS_PROXY" && text(integration, "uri") == uri)
        continue;
      // Replaced rather than patched: what fx sets is the whole method, and moto answers
      // UpdateMethod with a 500.
      gateway.remove(method_path);
    }
    json method = {{"authorizationType", auth}, {"apiKeyRequired", r.event->is_private}};
    if (!authorizer_id.empty()) method["authorizerId"] = authorizer_id;
    gateway.call("PUT", method_path, method.dump());
    gateway.call("PUT", method_path + "/integration",
                 json{{"type", "AWS_PROXY"}, {"httpMethod", "POST"}, {"uri", uri}}.dump());
    changed = true;
  }
  // What the manifest no longer has: methods, then resources deepest first (a resource goes
  // with its children on AWS; a child already gone is a 404, which remove() ignores).
  for (const auto& [path, resource] : resources) {
    const json methods = resource.value("resourceMethods", json::object());
    for (const auto& [method, unused] : methods.items())
      if (!wanted.contains({path, method}) && needed.contains(path)) {
        gateway.remove(base + "/resources/" + text(resource, "id") + "/methods/" + method);
        changed = true;
      }
  }
  for (auto it = resources.rbegin(); it != resources.rend(); ++it)
    if (!needed.contains(it->first)) {
      gateway.remove(base + "/resources/" + text(it->second, "id"));
      changed = true;
    }
  for (const auto& aid : unused_authorizers) {
    gateway.remove(base + "/authorizers/" + aid);
    changed = true;
  }

  bool has_stage = false;
  if (found)
    for (const auto& item : gateway.list(base + "/stages"))
      if (text(json::parse(item), "stageName") == service.stage) has_stage = true;
  // A REST API serves what was last deployed to the stage: every change needs a deployment.
  if (changed || !has_stage) {
    gateway.call("POST", base + "/deployments",
                 json{{"stageName", service.stage}, {"description", "fx deploy"}}.dump());
    changed = true;
  }
  changed |= sync_api_permissions(lambda, context, routes, id, kPermissionSid, out.warnings);
  if (out.status.empty()) out.status = changed ? "updated" : "unchanged";
  return out;
}

ApiSync describe_rest_api(fx::aws::ApiGatewayClient& gateway, const ApiContext& context) {
  ApiSync out;
  auto found = find_rest_api(gateway, context.service);
  if (!found) return out;
  out.id = found->id;
  out.url = stage_url(context, found->id);
  for (const auto& item : gateway.list("/restapis/" + found->id + "/resources?embed=methods")) {
    auto r = json::parse(item);
    const json methods = r.value("resourceMethods", json::object());
    for (const auto& [method, m] : methods.items()) {
      const std::string uri = text(m.value("methodIntegration", json::object()), "uri");
      out.routes[function_key_of(context.service, uri)].push_back(
          route_line(out.url, method, text(r, "path")));
    }
  }
  return out;
}

}  // namespace fx::targets::aws
