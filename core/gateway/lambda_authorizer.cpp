#include "core/gateway/lambda_authorizer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/regex.h"
#include "core/util/text.h"

namespace fx::gateway {

namespace {

using json = nlohmann::ordered_json;
using Outcome = AuthorizerDecision::Outcome;
using Type = manifest::RouteAuthorizer::Type;

constexpr const char* kAccountId = "000000000000";  // as payload.cpp's requestContext
constexpr const char* kApiId = "fxlocal";
// libstdc++'s regex recurses per character; a header-sized token is far below what that
// takes, but a bound keeps a pathological expression from taking the gateway down.
constexpr std::size_t kMaxValidatedToken = 4096;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

AuthorizerDecision decision(Outcome outcome, std::string reason) {
  AuthorizerDecision d;
  d.outcome = outcome;
  d.reason = std::move(reason);
  return d;
}

std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (util::url_decode(pair.substr(0, eq), true) != name) continue;
    return eq == std::string_view::npos ? std::string()
                                        : util::url_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

// The request's values of the identity sources, each one, in order; nullopt when one is
// missing or empty.
std::optional<std::vector<std::string>> identity_values(const manifest::RouteAuthorizer& a,
                                                        const GatewayRequest& request) {
  std::vector<std::string> values;
  for (const auto& source : a.identity_sources) {
    std::optional<std::string> value;
    if (source.starts_with("header:")) {
      std::string_view name = std::string_view(source).substr(7);
      for (const auto& [key, v] : request.headers)
        if (util::iequals(key, name)) {
          value = v;
          break;
        }
    } else if (source.starts_with("query:")) {
      value = query_value(request.raw_query, std::string_view(source).substr(6));
    }
    if (!value || value->empty()) return std::nullopt;
    values.push_back(std::move(*value));
  }
  return values;
}

bool action_matches(const json& action) {
  auto one = [](const json& a) {
    return a.is_string() &&
           arn_matches(util::ascii_lower(a.get<std::string>()), "execute-api:invoke");
  };
  if (action.is_array()) {
    for (const auto& a : action)
      if (one(a)) return true;
    return false;
  }
  return one(action);
}

bool resource_matches(const json& resource, const std::string& arn) {
  auto one = [&](const json& r) {
    return r.is_string() && arn_matches(r.get_ref<const std::string&>(), arn);
  };
  if (resource.is_array()) {
    for (const auto& r : resource)
      if (one(r)) return true;
    return false;
  }
  return one(resource);
}

bool strings_or_list(const json& v) {
  if (v.is_string()) return true;
  if (!v.is_array() || v.empty()) return false;
  for (const auto& item : v)
    if (!item.is_string()) return false;
  return true;
}

// An IAM policy answer's verdict on `arn`: Deny beats Allow; neither is a deny. Malformed
// statements are an error (API Gateway: AuthorizerConfigurationException).
AuthorizerDecision evaluate_policy(const json& policy, const std::string& arn) {
  if (!policy.is_object())
    return decision(Outcome::error, "the answer's policyDocument is not an object");
  if (!policy.contains("Statement"))
    return decision(Outcome::error, "the answer's policyDocument has no Statement");
  json statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array())
    return decision(Outcome::error, "the answer's policyDocument.Statement is not a list");
  bool allowed = false;
  for (const auto& s : statements) {
    if (!s.is_object() || !s.contains("Effect") || !s["Effect"].is_string() ||
        !s.contains("Action") || !strings_or_list(s["Action"]) || !s.contains("Resource") ||
        !strings_or_list(s["Resource"]))
      return decision(Outcome::error,
                      "a policy statement lacks a string Effect, Action or Resource");
    const std::string& effect = s["Effect"].get_ref<const std::string&>();
    if (effect != "Allow" && effect != "Deny")
      return decision(Outcome::error, fmt::format("a policy statement's Effect is '{}', not "
                                                  "Allow or Deny",
                                                  effect.substr(0, 40)));
    if (!action_matches(s["Action"]) || !resource_matches(s["Resource"], arn)) continue;
    if (effect == "Deny") {
      auto d = decision(Outcome::deny, "the policy denies " + arn + " explicitly");
      d.explicit_deny = true;
      return d;
    }
    allowed = true;
  }
  if (!allowed) return decision(Outcome::deny, "the policy allows nothing on " + arn);
  return decision(Outcome::allow, "");
}

}  // namespace

bool arn_matches(std::string_view pattern, std::string_view text) {
  // Iterative glob matching with one backtrack point: linear in practice, no recursion.
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string method_arn(const manifest::RouteAuthorizer& a, const GatewayRequest& request,
                       const RouteTable::Match& match, const std::string& stage) {
  const bool rest = match.route && match.route->api == manifest::HttpApi::rest;
  std::string path =
      match.stage_path_stripped.empty() ? request.raw_path : match.stage_path_stripped;
  if (path.starts_with('/')) path.erase(0, 1);
  return fmt::format("arn:aws:execute-api:{}:{}:{}/{}/{}/{}", a.region, kAccountId, kApiId,
                     rest ? stage : "$default", request.method, path);
}

std::optional<std::string> identity_of(const manifest::RouteAuthorizer& a,
                                       const GatewayRequest& request) {
  auto values = identity_values(a, request);
  if (!values) return std::nullopt;
  std::string joined;
  for (const auto& v : *values) {
    if (!joined.empty()) joined += ',';
    joined += v;
  }
  return joined;
}

bool token_matches(const manifest::RouteAuthorizer& a, std::string_view token) {
  if (a.validation.empty()) return true;
  if (token.size() > kMaxValidatedToken) return false;
  // Compiled per call: expressions are short, and a cached std::regex would need a lock or a
  // copy per route; the gateway asks only on a cache miss.
  return util::regex_full_match(token, a.validation);
}

std::string authorizer_event(const manifest::RouteAuthorizer& a, const GatewayRequest& request,
                             const RouteTable::Match& match, const std::string& stage,
                             const std::string& arn) {
  json event = json::object();
  if (a.type == Type::token) {
    event["type"] = "TOKEN";
    event["methodArn"] = arn;
    event["authorizationToken"] = identity_of(a, request).value_or("");
    return dump(event);
  }
  const bool rest = match.route && match.route->api == manifest::HttpApi::rest;
  const auto values = identity_values(a, request).value_or(std::vector<std::string>{});
  std::string joined;
  for (const auto& v : values) joined += (joined.empty() ? "" : ",") + v;
  json request_event;
  if (a.payload == "2.0" && !rest) {
    request_event = json::parse(build_event_v2(request, match));
    event["version"] = "2.0";
    event["type"] = "REQUEST";
    event["routeArn"] = arn;
    event["identitySource"] = values;
  } else {
    request_event = json::parse(build_event_v1(request, match, stage));
    if (!rest) event["version"] = "1.0";
    event["type"] = "REQUEST";
    event["methodArn"] = arn;
    if (!rest) {
      event["identitySource"] = joined;
      event["authorizationToken"] = joined;
    }
  }
  // An authorizer sees the request but not its body.
  for (auto& [key, value] : request_event.items())
    if (key != "body" && key != "isBase64Encoded") event[key] = std::move(value);
  return dump(event);
}

AuthorizerDecision decide(const manifest::RouteAuthorizer& a, ApiKind api, std::string_view answer,
                          const std::string& arn, long latency_ms) {
  const auto j = json::parse(answer, nullptr, false);
  if (!j.is_object())
    return decision(Outcome::error, "the authorizer's answer is not a JSON object");
  json context = json::object();
  if (j.contains("context") && !j["context"].is_null()) {
    if (!j["context"].is_object())
      return decision(Outcome::error, "the answer's context is not an object");
    context = j["context"];
  }
  const bool rest = api == ApiKind::rest;
  if (a.simple) {
    if (!j.contains("isAuthorized") || !j["isAuthorized"].is_boolean())
      return decision(Outcome::error, "the simple response has no boolean isAuthorized");
    if (!j["isAuthorized"].get<bool>())
      return decision(Outcome::deny, "the authorizer answered isAuthorized: false");
  } else {
    if (!j.contains("principalId") || !j["principalId"].is_string())
      return decision(Outcome::error, "the answer has no string principalId");
    if (!j.contains("policyDocument"))
      return decision(Outcome::error, "the answer has no policyDocument");
    auto verdict = evaluate_policy(j["policyDocument"], arn);
    if (verdict.outcome != Outcome::allow) return verdict;
  }
  AuthorizerDecision d = decision(Outcome::allow, "");
  if (rest) {
    // A REST API passes the context on as $context.authorizer.KEY: flat values, as strings.
    json out = json::object();
    out["principalId"] = j["principalId"];
    for (auto& [key, value] : context.items()) {
      if (value.is_object() || value.is_array())
        return decision(Outcome::error,
                        fmt::format("the answer's context.{} is not a string, number or boolean",
                                    key.substr(0, 60)));
      out[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    out["integrationLatency"] = latency_ms;
    d.context = dump(out);
  } else {
    d.context = dump(json{{"lambda", context}});
  }
  return d;
}

AuthorizerDecision failed_authorizer(std::string_view error_json) {
  const auto j = json::parse(error_json, nullptr, false);
  std::string message;
  if (j.is_object() && j.contains("errorMessage") && j["errorMessage"].is_string())
    message = j["errorMessage"];
  else if (j.is_string())
    message = j.get<std::string>();
  if (message == "Unauthorized")
    return decision(Outcome::unauthorized, "the authorizer raised Unauthorized");
  std::string type = j.is_object() ? j.value("errorType", std::string()) : std::string();
  return decision(Outcome::error, type.empty()
                                      ? "the authorizer failed"
                                      : "the authorizer failed with " + type.substr(0, 80));
}

GatewayResponse refusal_response(ApiKind api, const AuthorizerDecision& d) {
  GatewayResponse r;
  r.headers = {{"Content-Type", "application/json"}};
  const bool rest = api == ApiKind::rest;
  switch (d.outcome) {
    case Outcome::unauthorized:
      r.status = 401;
      r.body = R"({"message":"Unauthorized"})";
      if (rest) r.headers.emplace_back("x-amzn-ErrorType", "UnauthorizedException");
      break;
    case Outcome::deny:
      r.status = 403;
      if (rest) {
        r.body =
            d.explicit_deny
                ? R"({"Message":"User is not authorized to access this resource with an explicit deny"})"
                : R"({"Message":"User is not authorized to access this resource"})";
        r.headers.emplace_back("x-amzn-ErrorType", "AccessDeniedException");
      } else {
        r.body = R"({"message":"Forbidden"})";
      }
      break;
    case Outcome::error:
    case Outcome::allow:  // not a refusal; never asked
      r.status = 500;
      if (rest) {
        r.body = R"({"message":null})";
        r.headers.emplace_back("x-amzn-ErrorType", "AuthorizerConfigurationException");
      } else {
        r.body = R"({"message":"Internal Server Error"})";
      }
      break;
  }
  return r;
}

}  // namespace fx::gateway
