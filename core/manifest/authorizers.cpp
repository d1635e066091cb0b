#include "core/manifest/authorizers.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/regex.h"

namespace fx::manifest {

namespace {

using nlohmann::json;
using Type = RouteAuthorizer::Type;

constexpr std::pair<Type, std::string_view> kTypeNames[] = {{Type::token, "token"},
                                                            {Type::request, "request"},
                                                            {Type::aws_iam, "aws_iam"},
                                                            {Type::jwt, "jwt"},
                                                            {Type::closed, "closed"}};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// The function name in a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME),
// or "" when it is not one.
std::string function_of_arn(const std::string& arn) {
  const std::string_view marker = ":function:";
  if (!arn.starts_with("arn:aws:lambda:")) return "";
  auto at = arn.find(marker);
  if (at == std::string::npos) return "";
  std::string name = arn.substr(at + marker.size());
  // A qualified ARN's version or alias: the emulator's gateway calls the function itself.
  if (auto colon = name.find(':'); colon != std::string::npos) name.resize(colon);
  return name;
}

RouteAuthorizer closed(std::string name, std::string reason) {
  RouteAuthorizer a;
  a.type = Type::closed;
  a.name = std::move(name);
  a.reason = std::move(reason);
  return a;
}

// What an event's problem looks like: "serverless.yml:12:9: functions.hello http authorizer:".
[[noreturn]] void fail(const HttpEvent& event, const std::string& what, std::string hint) {
  throw Error(fmt::format("{}: {} authorizer: {}", event.mark.str(), event_key(event.api), what),
              std::move(hint));
}

// identitySource, as a comma-separated string or a list, in the API's own spelling: REST's
// method.request.header.X / method.request.querystring.X, HTTP API's $request.header.X /
// $request.querystring.X. Returns false (and the source in `bad`) for anything else
// (stage variables, $context): fx has no value for those.
bool identity_sources(const json& value, std::vector<std::string>& out, std::string& bad) {
  std::vector<std::string> items;
  if (value.is_string()) {
    std::string_view rest = value.get_ref<const std::string&>();
    while (!rest.empty()) {
      auto comma = rest.find(',');
      items.push_back(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  } else if (value.is_array()) {
    for (const auto& v : value) {
      if (!v.is_string()) {
        bad = v.dump();
        return false;
      }
      items.push_back(trim(v.get<std::string>()));
    }
  } else {
    bad = value.dump();
    return false;
  }
  static constexpr std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"method.request.header.", "header:"},
      {"method.request.querystring.", "query:"},
      {"$request.header.", "header:"},
      {"$request.querystring.", "query:"}};
  for (const auto& item : items) {
    if (item.empty()) continue;
    bool known = false;
    for (const auto& [prefix, kind] : kPrefixes)
      if (item.starts_with(prefix) && item.size() > prefix.size()) {
        out.push_back(std::string(kind) + item.substr(prefix.size()));
        known = true;
        break;
      }
    if (!known) {
      bad = item;
      return false;
    }
  }
  return true;
}

int ttl_of(const HttpEvent& event, const json& value) {
  if (!value.is_number_integer() || value.get<long long>() < 0 || value.get<long long>() > 3600)
    fail(event, fmt::format("resultTtlInSeconds must be 0 to 3600, got {}", value.dump()),
         "0 turns caching off; API Gateway's default is 300");
  return value.get<int>();
}

// An `http` event's authorizer: a function's key, a function ARN, aws_iam, a Cognito user
// pool ARN, or {name, arn, type, identitySource, resultTtlInSeconds,
// identityValidationExpression, ...}.
std::optional<RouteAuthorizer> rest_authorizer(const Service& service, const HttpEvent& event,
                                               const json& config) {
  RouteAuthorizer a;
  a.region = service.region;
  a.identity_sources = {"header:Authorization"};
  std::string name, arn, type;
  json object = json::object();
  if (config.is_string()) {
    const std::string& s = config.get_ref<const std::string&>();
    (s.starts_with("arn:") ? arn : name) = s;
  } else if (config.is_object()) {
    object = config;
    if (config.contains("name") && config["name"].is_string()) name = config["name"];
    if (config.contains("arn") && config["arn"].is_string()) arn = config["arn"];
    if (config.contains("type") && config["type"].is_string()) type = lower(config["type"]);
    if (config.contains("authorizerId"))
      return closed(name.empty() ? "authorizerId" : name,
                    "it names an API Gateway authorizer by authorizerId, which only AWS has");
  } else {
    fail(event, fmt::format("expected a function's name, an ARN or a map, got {}", config.dump()),
         "e.g. authorizer: auth, or authorizer: {name: auth, type: request}");
  }
  if (lower(name) == "aws_iam" || type == "aws_iam") {
    a.type = Type::aws_iam;
    a.name = "aws_iam";
    a.identity_sources.clear();
    return a;
  }
  if (arn.starts_with("arn:aws:cognito-idp:") || type == "cognito_user_pools")
    return closed(name.empty() ? arn : name,
                  "Cognito user pool authorizers are not run locally (fx has no user pools)");
  if (!type.empty() && type != "token" && type != "request")
    return closed(name, fmt::format("authorizer type '{}' is not one fx knows", type));
  a.type = type == "request" ? Type::request : Type::token;
  if (!arn.empty()) {
    a.function = function_of_arn(arn);
    if (a.function.empty())
      return closed(name.empty() ? arn : name,
                    fmt::format("'{}' is not a Lambda function's ARN", arn));
    a.name = name.empty() ? a.function : name;
  } else {
    const auto* fn = service.find_function(name);
    if (name.empty() || !fn)
      fail(event,
           fmt::format("no function '{}' in service {} to authorize {} {}", name, service.name,
                       event.method, event.path),
           "name one of the service's functions, or a function's ARN");
    a.function = fn->name;
    a.name = fn->key;
  }
  if (object.contains("resultTtlInSeconds")) a.ttl_s = ttl_of(event, object["resultTtlInSeconds"]);
  if (object.contains("identitySource")) {
    a.identity_sources.clear();
    std::string bad;
    if (!identity_sources(object["identitySource"], a.identity_sources, bad))
      return closed(a.name, fmt::format("identity source {} is not a header or query string "
                                        "parameter, the only ones fx reads",
                                        bad));
  } else if (a.type == Type::request && a.ttl_s == 0) {
    a.identity_sources.clear();  // uncached REQUEST authorizers need none
  }
  if (a.type == Type::token && a.identity_sources.size() != 1)
    fail(event, "a TOKEN authorizer reads one header", "e.g. method.request.header.Authorization");
  if (a.type == Type::token && a.identity_sources.front().starts_with("query:"))
    fail(event, "a TOKEN authorizer's identitySource is a header",
         "use type: request to read a query string parameter");
  if (object.contains("identityValidationExpression")) {
    const auto& v = object["identityValidationExpression"];
    if (!v.is_string()) fail(event, "identityValidationExpression must be a string", "");
    a.validation = v.get<std::string>();
    if (auto why = util::regex_problem(a.validation))
      fail(event,
           fmt::format("identityValidationExpression '{}' is not a regular expression fx can "
                       "match: {}",
                       a.validation, *why),
           "e.g. ^Bearer [-0-9a-zA-Z._]+$");
  }
  return a;
}

// An `httpApi` event's authorizer: the name of one in provider.httpApi.authorizers, {name},
// {type: aws_iam}, or {id} (an authorizer that only exists on AWS).
std::optional<RouteAuthorizer> http_api_authorizer(const Service& service, const HttpEvent& event,
                                                   const json& config) {
  std::string name;
  if (config.is_string()) {
    name = config.get<std::string>();
  } else if (config.is_object()) {
    if (config.contains("type") && config["type"].is_string() &&
        lower(config["type"]) == "aws_iam") {
      RouteAuthorizer a;
      a.type = Type::aws_iam;
      a.name = "aws_iam";
      a.region = service.region;
      return a;
    }
    if (config.contains("id"))
      return closed("id", "it names an API Gateway authorizer by id, which only AWS has");
    if (config.contains("name") && config["name"].is_string()) name = config["name"];
  }
  if (name.empty())
    fail(event,
         fmt::format("expected the name of one of provider.httpApi.authorizers, got {}",
                     config.dump()),
         "e.g. authorizer: {name: myAuthorizer}");
  const auto all = json::parse(service.http_api_authorizers_json, nullptr, false);
  if (!all.is_object() || !all.contains(name) || !all[name].is_object())
    fail(event,
         fmt::format("no authorizer '{}' in provider.httpApi.authorizers{}", name,
                     service.http_api_authorizers_mark.line
                         ? " (" + service.http_api_authorizers_mark.str() + ")"
                         : std::string()),
         "define it there: {type: request, functionName: ...} or a JWT authorizer");
  const json& def = all[name];
  const std::string type =
      def.contains("type") && def["type"].is_string() ? lower(def["type"]) : std::string("jwt");
  RouteAuthorizer a;
  a.name = name;
  a.region = service.region;
  if (type == "jwt") {
    a.type = Type::jwt;
    return a;
  }
  if (type != "request")
    return closed(name, fmt::format("httpApi authorizer type '{}' is not one fx knows", type));
  a.type = Type::request;
  if (def.contains("functionName") && def["functionName"].is_string()) {
    const std::string fn_name = def["functionName"];
    const auto* fn = service.find_function(fn_name);
    if (!fn)
      fail(event,
           fmt::format("provider.httpApi.authorizers.{}.functionName: no function '{}' in service "
                       "{}",
                       name, fn_name, service.name),
           "name one of the service's functions, or give functionArn");
    a.function = fn->name;
  } else if (def.contains("functionArn") && def["functionArn"].is_string()) {
    a.function = function_of_arn(def["functionArn"]);
    if (a.function.empty())
      return closed(name, fmt::format("'{}' is not a Lambda function's ARN",
                                      def["functionArn"].get<std::string>()));
  } else {
    fail(event,
         fmt::format("provider.httpApi.authorizers.{} needs functionName or functionArn", name),
         "");
  }
  a.payload = "2.0";
  if (def.contains("payloadVersion")) {
    const auto& v = def["payloadVersion"];
    a.payload = v.is_string() ? v.get<std::string>() : v.dump();
    if (a.payload == "1") a.payload = "1.0";
    if (a.payload == "2") a.payload = "2.0";
    if (a.payload != "1.0" && a.payload != "2.0")
      fail(event,
           fmt::format("provider.httpApi.authorizers.{}.payloadVersion must be '1.0' or "
                       "'2.0', got {}",
                       name, v.dump()),
           "");
  }
  if (def.contains("enableSimpleResponses")) {
    if (!def["enableSimpleResponses"].is_boolean())
      fail(event,
           fmt::format("provider.httpApi.authorizers.{}.enableSimpleResponses must be "
                       "true or false",
                       name),
           "");
    a.simple = def["enableSimpleResponses"].get<bool>();
    if (a.simple && a.payload != "2.0")
      fail(event, "simple responses need payloadVersion '2.0'", "as API Gateway requires");
  }
  if (def.contains("resultTtlInSeconds")) a.ttl_s = ttl_of(event, def["resultTtlInSeconds"]);
  if (def.contains("identitySource")) {
    std::string bad;
    if (!identity_sources(def["identitySource"], a.identity_sources, bad))
      return closed(name, fmt::format("identity source {} is not a header or query string "
                                      "parameter, the only ones fx reads",
                                      bad));
  }
  if (a.ttl_s > 0 && a.identity_sources.empty())
    fail(event,
         fmt::format("provider.httpApi.authorizers.{} caches its answers "
                     "(resultTtlInSeconds {}) but has no identitySource to key them on",
                     name, a.ttl_s),
         "add identitySource: $request.header.Authorization, or resultTtlInSeconds: 0");
  return a;
}

}  // namespace

std::string_view authorizer_type_name(RouteAuthorizer::Type type) {
  for (const auto& [t, n] : kTypeNames)
    if (t == type) return n;
  return "closed";
}

std::string to_json(const RouteAuthorizer& a) {
  return json{{"type", authorizer_type_name(a.type)},
              {"name", a.name},
              {"function", a.function},
              {"identitySource", a.identity_sources},
              {"ttl", a.ttl_s},
              {"validation", a.validation},
              {"simple", a.simple},
              {"payload", a.payload},
              {"region", a.region},
              {"reason", a.reason}}
      .dump();
}

RouteAuthorizer parse_route_authorizer(std::string_view json_text) {
  const auto j = json::parse(json_text, nullptr, false);
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw Error("a route's authorizer is not one fx deploy writes: " +
                std::string(json_text.substr(0, 200)));
  RouteAuthorizer a;
  a.type = Type::closed;
  const std::string type = j["type"];
  for (const auto& [t, n] : kTypeNames)
    if (n == type) a.type = t;
  a.name = j.value("name", "");
  a.function = j.value("function", "");
  a.identity_sources = j.value("identitySource", std::vector<std::string>{});
  a.ttl_s = j.value("ttl", 300);
  a.validation = j.value("validation", "");
  a.simple = j.value("simple", false);
  a.payload = j.value("payload", "1.0");
  a.region = j.value("region", "us-east-1");
  a.reason = j.value("reason", "");
  if (a.type == Type::closed && a.reason.empty()) a.reason = "authorizer type '" + type + "'";
  if ((a.type == Type::token || a.type == Type::request) && a.function.empty())
    throw Error("a route's Lambda authorizer names no function");
  return a;
}

std::optional<RouteAuthorizer> route_authorizer(const Service& service, const HttpEvent& event) {
  const auto config = json::parse(event.config_json, nullptr, false);
  if (!config.is_object() || !config.contains("authorizer") || config["authorizer"].is_null())
    return std::nullopt;
  return event.api == HttpApi::rest ? rest_authorizer(service, event, config["authorizer"])
                                    : http_api_authorizer(service, event, config["authorizer"]);
}

void validate_authorizers(const Service& service) {
  for (const auto& f : service.functions)
    for (const auto* e : events_of<HttpEvent>(f.events)) route_authorizer(service, *e);
}

std::vector<std::string> authorizer_notes(const Service& service) {
  std::vector<std::string> notes;
  for (const auto& f : service.functions)
    for (const auto* e : events_of<HttpEvent>(f.events)) {
      const auto a = route_authorizer(service, *e);
      if (!a || a->type != Type::closed) continue;
      notes.push_back(fmt::format(
          "{}: {} {} {} of function '{}' is closed (every request gets "
          "403): its authorizer '{}' cannot run locally: {}",
          e->mark.str(), event_key(e->api), e->method, e->path, f.key, a->name, a->reason));
    }
  return notes;
}

}  // namespace fx::manifest
