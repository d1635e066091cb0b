// What http_api.cpp and rest_api.cpp share: the routes as the manifest gives them, the ARNs
// API Gateway invokes, and the function policy statements that let it.
#include "core/targets/aws/api_gateway.h"

#include <algorithm>
#include <exception>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/actions/deploy.h"
#include "core/aws/service.h"
#include "core/targets/aws/steps.h"
#include "core/util/error.h"

namespace fx::targets::aws {

namespace {

using Type = manifest::RouteAuthorizer::Type;

// Alias the framework points a provisioned function's events at (core/actions/versions.h
// keeps it on the version each deploy publishes).
constexpr const char* kProvisionedAlias = "provisioned";

std::vector<std::string> scopes_of(const manifest::HttpEvent& e) {
  std::vector<std::string> out;
  const auto config = nlohmann::json::parse(e.config_json, nullptr, false);
  if (!config.is_object() || !config.contains("authorizer")) return out;
  const auto& a = config["authorizer"];
  if (!a.is_object() || !a.contains("scopes")) return out;
  if (a["scopes"].is_array()) {
    for (const auto& s : a["scopes"])
      if (s.is_string()) out.push_back(s.get<std::string>());
  } else if (a["scopes"].is_string()) {
    out.push_back(a["scopes"].get<std::string>());
  }
  return out;
}

}  // namespace

std::vector<ApiRoute> api_routes(const manifest::Service& service, manifest::HttpApi api) {
  std::vector<ApiRoute> out;
  for (const auto& f : service.functions)
    for (const auto* e : manifest::events_of<manifest::HttpEvent>(f.events)) {
      if (e->api != api) continue;
      ApiRoute r{&f, e, e->method, e->path, manifest::route_authorizer(service, *e), {}};
      // API Gateway treats "/hello/" as "/hello"; its resources and route keys have no
      // trailing slash.
      if (r.path.size() > 1 && r.path.back() == '/') r.path.pop_back();
      if (r.authorizer && r.authorizer->type == Type::closed)
        throw Error(fmt::format("{}: function '{}': {} {} {}: fx cannot deploy its authorizer "
                                "'{}' to AWS: {}",
                                e->mark.str(), f.key, manifest::event_key(e->api), r.method, r.path,
                                r.authorizer->name, r.authorizer->reason),
                    "give it a Lambda function of the service (or its ARN), aws_iam, or a JWT "
                    "authorizer of provider.httpApi.authorizers");
      if (r.authorizer && r.authorizer->type == Type::jwt) r.scopes = scopes_of(*e);
      out.push_back(std::move(r));
    }
  return out;
}

std::string function_key_of(const manifest::Service& service, const std::string& uri) {
  const std::string_view marker = ":function:";
  auto at = uri.find(marker);
  if (at == std::string::npos) return "?";
  std::string name = uri.substr(at + marker.size());
  name = name.substr(0, name.find_first_of(":/"));
  for (const auto& f : service.functions)
    if (f.name == name) return f.key;
  return "?";
}

std::string function_arn(const ApiContext& context, const std::string& name) {
  return fmt::format("arn:aws:lambda:{}:{}:function:{}", context.region, context.account, name);
}

std::string invoked_arn(const ApiContext& context, const manifest::Function& f) {
  std::string arn = function_arn(context, f.name);
  if (f.provisioned_concurrency.value_or(0) > 0) arn += std::string(":") + kProvisionedAlias;
  return arn;
}

std::string invocation_uri(const std::string& region, const std::string& arn) {
  return fmt::format("arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
                     region, arn);
}

std::string api_name(const manifest::Service& service) {
  return service.stage + "-" + service.name;
}

std::optional<FoundApi> find_tagged_api(fx::aws::ApiGatewayClient& gateway,
                                        const manifest::Service& service,
                                        const std::string& list_path, const char* id_field) {
  using nlohmann::json;
  const std::string name = api_name(service);
  for (const auto& item : gateway.list(list_path)) {
    auto api = json::parse(item);
    if (!api.is_object() || api.value("name", json()) != name) continue;
    std::map<std::string, std::string> tags;
    if (api.contains("tags") && api["tags"].is_object())
      for (const auto& [k, v] : api["tags"].items())
        if (v.is_string()) tags[k] = v.get<std::string>();
    const auto id = api.value(id_field, json());
    if (actions::made_for(tags, service))
      return FoundApi{id.is_string() ? id.get<std::string>() : std::string(), item};
  }
  return std::nullopt;
}

bool sync_api_permissions(lambda::LambdaClient& lambda, const ApiContext& context,
                          const std::vector<ApiRoute>& routes, const std::string& api_id,
                          const std::string& sid, std::vector<std::string>& warnings) {
  // Any stage, method and path of this API, as the framework's permissions allow.
  const std::string source =
      fmt::format("arn:aws:execute-api:{}:{}:{}/*", context.region, context.account, api_id);
  // function (qualified when invoked through an alias) → statement id
  std::map<std::string, std::string> wanted;
  for (const auto& r : routes) {
    std::string target = r.function->name;
    if (r.function->provisioned_concurrency.value_or(0) > 0)
      target += std::string(":") + kProvisionedAlias;
    wanted.emplace(target, sid);
    if (r.authorizer && (r.authorizer->type == Type::token || r.authorizer->type == Type::request))
      wanted.emplace(r.authorizer->function, sid + "-authorizer");
  }
  bool changed = false;
  for (const auto& [target, id] : wanted) {
    const auto colon = target.find(':');
    const std::string name = target.substr(0, colon);
    const std::string qualifier = colon == std::string::npos ? "" : target.substr(colon + 1);
    try {
      const auto policy = lambda.get_policy(name, qualifier);
      auto found =
          std::find_if(policy.begin(), policy.end(), [&](const auto& st) { return st.sid == id; });
      if (found != policy.end() && found->principal == "apigateway.amazonaws.com" &&
          found->source_arn == source)
        continue;
      if (found != policy.end()) lambda.remove_permission(name, id, qualifier);
      lambda.add_permission(
          name, {id, "lambda:InvokeFunction", "apigateway.amazonaws.com", "", false, source},
          qualifier);
      changed = true;
    } catch (const lambda::ApiError& e) {
      if (e.status() != 404) throw;
      warnings.push_back(fmt::format(
          "function {} is not deployed{}: API Gateway cannot invoke it, its routes answer 500 "
          "until it is (deploy the whole service)",
          name, qualifier.empty() ? "" : " with its alias " + qualifier));
    }
  }
  return changed;
}

void sync_api_gateway(const manifest::Service& service, const lambda::Endpoint& endpoint,
                      AwsDeploy& out) {
  // The account the functions are in: the role's (arn:aws:iam::ACCOUNT:role/NAME).
  std::string account;
  if (out.role.arn.starts_with("arn:")) {
    std::size_t at = 0;
    for (int colon = 0; colon < 4 && at != std::string::npos; ++colon)
      at = out.role.arn.find(':', at + 1);
    if (at != std::string::npos)
      account = out.role.arn.substr(at + 1, out.role.arn.find(':', at + 1) - at - 1);
  }
  if (account.empty())
    throw Error(fmt::format("cannot tell the AWS account from the role's ARN '{}'", out.role.arn),
                "name the role by its ARN in provider.iam.role");
  const ApiContext context{service, endpoint.aws->region, account};
  // The two APIs are independent: synced at once, each with its own clients (connections),
  // as every call waits on the network.
  const std::pair<const char*,
                  ApiSync (*)(fx::aws::ApiGatewayClient&, lambda::LambdaClient&, const ApiContext&)>
      kinds[] = {{"HTTP API", &sync_http_api}, {"REST API", &sync_rest_api}};
  ApiSync synced[2];
  std::exception_ptr failed[2];
  auto run = [&](int i) {
    try {
      fx::aws::ApiGatewayClient gateway(*endpoint.aws);
      lambda::LambdaClient lambda(endpoint);
      synced[i] = kinds[i].second(gateway, lambda, context);
    } catch (...) {
      failed[i] = std::current_exception();
    }
  };
  {
    std::thread rest(run, 1);
    run(0);
    rest.join();
  }
  for (auto& e : failed)
    if (e) std::rethrow_exception(e);
  for (int i = 0; i < 2; ++i) {
    const char* kind = kinds[i].first;
    auto& api = synced[i];
    for (auto& w : api.warnings) out.warnings.push_back(std::move(w));
    if (api.status.empty()) continue;
    for (auto& f : out.functions) {
      auto lines = api.routes.find(f.function);
      if (lines != api.routes.end())
        f.routes.insert(f.routes.begin(), lines->second.begin(), lines->second.end());
    }
    out.apis.push_back({kind, api.id, api.url, api.status});
  }
}

std::vector<AwsApi> describe_apis(const manifest::Service& service,
                                  const fx::aws::AwsSettings& settings,
                                  std::map<std::string, std::vector<std::string>>& routes) {
  // No account is needed to read: integrations are matched to functions by name.
  const ApiContext context{service, settings.region, ""};
  fx::aws::ApiGatewayClient gateway(settings);
  std::vector<AwsApi> out;
  for (auto [kind, describe] :
       {std::pair{"HTTP API", &describe_http_api}, std::pair{"REST API", &describe_rest_api}}) {
    auto api = describe(gateway, context);
    if (api.id.empty()) continue;
    for (auto& [key, lines] : api.routes)
      routes[key].insert(routes[key].end(), lines.begin(), lines.end());
    out.push_back({kind, api.id, api.url, "deployed"});
  }
  return out;
}

std::vector<std::string> remove_apis(const manifest::Service& service,
                                     const fx::aws::AwsSettings& settings) {
  fx::aws::ApiGatewayClient gateway(settings);
  std::vector<std::string> out;
  if (auto api = find_http_api(gateway, service)) {
    gateway.remove("/v2/apis/" + api->id);
    out.push_back("HTTP API " + api->id);
  }
  if (auto api = find_rest_api(gateway, service)) {
    gateway.remove("/restapis/" + api->id);
    out.push_back("REST API " + api->id);
  }
  return out;
}

}  // namespace fx::targets::aws
