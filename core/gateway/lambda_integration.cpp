#include "core/gateway/lambda_integration.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/regex.h"
#include "core/util/text.h"

namespace fx::gateway {
namespace {

using json = nlohmann::ordered_json;

// What the Serverless Framework answers when `response` (or its statusCodes) is not given:
// 200 by default, and the status named in brackets anywhere in a failed function's
// errorMessage ("[404] no such user"), a crash as 500, a timeout as 504.
const std::pair<int, const char*> kDefaultStatusCodes[] = {
    {200, ""},
    {400, R"([\s\S]*\[400\][\s\S]*)"},
    {401, R"([\s\S]*\[401\][\s\S]*)"},
    {403, R"([\s\S]*\[403\][\s\S]*)"},
    {404, R"([\s\S]*\[404\][\s\S]*)"},
    {422, R"([\s\S]*\[422\][\s\S]*)"},
    {500, R"([\s\S]*(Process\s?exited\s?before\s?completing\s?request|\[500\])[\s\S]*)"},
    {502, R"([\s\S]*\[502\][\s\S]*)"},
    {504, R"(([\s\S]*\[504\][\s\S]*)|(.*Task timed out after \d+\.\d+ seconds$))"},
};

// std::regex matches recursively, a stack frame or more per character: an error message of
// megabytes would overflow the emulator's stack. Lambda error messages that pick a status are
// short; the patterns see their first 2 KB.
constexpr std::size_t kMatchedMessageLimit = 2048;

// A JSON body nested deeper than this is refused before parsing, which recurses as deep.
constexpr int kMaxBodyDepth = 512;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// RFC 9110's token: what a header name may be made of.
bool is_token(std::string_view name) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

[[noreturn]] void refuse(const std::string& where, const std::string& what,
                         const std::string& hint) {
  throw Error(fmt::format("{}: http {}", where, what), hint);
}

constexpr std::string_view kTemplatesHint =
    "fx runs only the Serverless Framework's default request and response templates of "
    "integration: lambda; drop the template, or use the default lambda-proxy integration";

// "'text/html'" -> a literal; integration.response.body[.a.b] -> a field of the result.
LambdaIntegration::Header read_header(const std::string& where, const std::string& key,
                                      const std::string& name, const json& value) {
  LambdaIntegration::Header header;
  header.name = name;
  if (!is_token(name))
    refuse(where, fmt::format("{} '{}' is not a header name", key, name),
           "a header name is letters, digits and !#$%&'*+-.^_`|~");
  if (!value.is_string())
    refuse(where, fmt::format("{}.{} is not a string", key, name),
           "e.g. \"'text/html'\" (quoted: a static value) or integration.response.body.field");
  const std::string text = value.get<std::string>();
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    header.literal = text.substr(1, text.size() - 2);
    if (header.literal.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      refuse(where, fmt::format("{}.{} holds a line break", key, name), "give a one-line value");
    return header;
  }
  constexpr std::string_view kBody = "integration.response.body";
  if (text.starts_with(kBody) && (text.size() == kBody.size() || text[kBody.size()] == '.')) {
    header.from_body = true;
    std::string_view rest = std::string_view(text).substr(kBody.size());
    while (!rest.empty()) {
      rest.remove_prefix(1);
      const std::size_t dot = rest.find('.');
      const std::string_view field = rest.substr(0, dot);
      if (field.empty())
        refuse(where, fmt::format("{}.{} '{}' has an empty field name", key, name, text),
               "e.g. integration.response.body.user.id");
      header.body_path.emplace_back(field);
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot);
    }
    return header;
  }
  refuse(where, fmt::format("{}.{} is '{}', which fx cannot map", key, name, text),
         "fx maps a static value in single quotes (\"'text/html'\") or "
         "integration.response.body[.field]");
}

std::vector<LambdaIntegration::Header> read_headers(const std::string& where,
                                                    const std::string& key, const json& value) {
  std::vector<LambdaIntegration::Header> headers;
  if (value.is_null()) return headers;
  if (!value.is_object())
    refuse(where, fmt::format("{} is not a map", key),
           "e.g. headers: {Content-Type: \"'text/html'\"}");
  for (const auto& [name, v] : value.items()) headers.push_back(read_header(where, key, name, v));
  return headers;
}

void check_pattern(const std::string& where, const std::string& key, const std::string& pattern) {
  if (auto why = util::regex_problem(pattern))
    refuse(where,
           fmt::format("{} '{}' is not a regular expression fx can match ({})", key, pattern, *why),
           "e.g. pattern: '.*\\[404\\].*'");
}

void read_request(const std::string& where, const json& request, LambdaIntegration& out) {
  if (request.is_null()) return;
  if (!request.is_object())
    refuse(where, "request is not a map", "e.g. request: {parameters: ...}");
  for (const auto& [key, value] : request.items()) {
    if (key == "template") {
      // The framework's own templates may be dropped (null); any other is VTL fx cannot run.
      if (!value.is_object())
        refuse(where, "request.template is not a map of content types",
               std::string(kTemplatesHint));
      for (const auto& [type, tmpl] : value.items()) {
        if (!tmpl.is_null())
          refuse(where,
                 fmt::format("request.template '{}' is a custom mapping template, which fx "
                             "does not run",
                             type),
                 std::string(kTemplatesHint));
        if (type == "application/json") out.json_template = false;
        if (type == "application/x-www-form-urlencoded") out.form_template = false;
      }
    } else if (key == "passThrough") {
      if (!value.is_string() || value.get<std::string>() != "NEVER")
        refuse(where,
               fmt::format("request.passThrough is {}; fx runs integration: lambda with NEVER "
                           "only",
                           value.dump()),
               "drop passThrough (the framework's default for lambda is NEVER)");
    } else if (key == "contentHandling") {
      refuse(where, "request.contentHandling is set; fx does not convert request bodies",
             "drop contentHandling, or use the default lambda-proxy integration");
    }
    // parameters, schemas, uri: what they declare does not change the event.
  }
}

void read_response(const std::string& where, const json& response, LambdaIntegration& out) {
  bool have_codes = false;
  if (!response.is_null()) {
    if (!response.is_object())
      refuse(where, "response is not a map", "e.g. response: {statusCodes: {200: {pattern: ''}}}");
    for (const auto& [key, value] : response.items()) {
      if (key == "template") {
        refuse(where, "response.template is a custom mapping template, which fx does not run",
               std::string(kTemplatesHint));
      } else if (key == "contentHandling") {
        refuse(where, "response.contentHandling is set; fx does not convert response bodies",
               "drop contentHandling, or use the default lambda-proxy integration");
      } else if (key == "headers") {
        out.headers = read_headers(where, "response.headers", value);
      } else if (key == "statusCodes") {
        if (value.is_null()) continue;
        if (!value.is_object())
          refuse(where, "response.statusCodes is not a map",
                 "e.g. statusCodes: {200: {pattern: ''}, 404: {pattern: '.*\\[404\\].*'}}");
        have_codes = true;
        for (const auto& [code_text, config] : value.items()) {
          const std::string key_text = "response.statusCodes." + code_text;
          int code = 0;
          const bool digits = !code_text.empty() && code_text.size() <= 3 &&
                              std::all_of(code_text.begin(), code_text.end(), [](char c) {
                                return std::isdigit(static_cast<unsigned char>(c));
                              });
          if (digits) code = std::stoi(code_text);
          if (code < 100 || code > 599)
            refuse(where, fmt::format("response.statusCodes '{}' is not an HTTP status", code_text),
                   "use a status from 100 to 599, e.g. 404");
          LambdaIntegration::StatusCode sc;
          sc.status = code;
          if (!config.is_null() && !config.is_object())
            refuse(where, fmt::format("{} is not a map", key_text),
                   "e.g. {pattern: '.*\\[404\\].*'}");
          if (config.is_object()) {
            for (const auto& [k, v] : config.items()) {
              if (k == "pattern") {
                if (!v.is_string())
                  refuse(where, fmt::format("{}.pattern is not a string", key_text),
                         "e.g. pattern: '.*\\[404\\].*'");
                sc.pattern = v.get<std::string>();
                check_pattern(where, key_text + ".pattern", sc.pattern);
              } else if (k == "headers") {
                sc.headers = read_headers(where, key_text + ".headers", v);
              } else if (k == "template") {
                refuse(where,
                       fmt::format("{}.template is a custom mapping template, which fx does not "
                                   "run",
                                   key_text),
                       std::string(kTemplatesHint));
              } else {
                refuse(where, fmt::format("{} has the key '{}'", key_text, k),
                       "a status code takes pattern and headers");
              }
            }
          }
          out.status_codes.push_back(std::move(sc));
        }
      }
    }
  }
  if (!have_codes) {
    for (const auto& [code, pattern] : kDefaultStatusCodes)
      out.status_codes.push_back({code, pattern, {}});
  } else if (std::none_of(out.status_codes.begin(), out.status_codes.end(),
                          [](const auto& sc) { return sc.pattern.empty(); })) {
    // As the framework does: a default response is always there.
    out.status_codes.push_back({200, "", {}});
  }
  std::stable_sort(out.status_codes.begin(), out.status_codes.end(),
                   [](const auto& a, const auto& b) { return a.status < b.status; });
}

// The deepest nesting of a JSON text's arrays and objects, strings skipped.
int json_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

GatewayResponse message(int status, std::string_view text) {
  GatewayResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = dump(json{{"message", text}});
  return r;
}

// Members added in order; a name seen again keeps its first place and takes the new value, as
// a template's repeated key reads in a JSON parser.
void set_member(json& object, const std::string& name, const std::string& value) {
  object[name] = value;
}

}  // namespace

std::optional<LambdaIntegration> lambda_integration_of(std::string_view event_json,
                                                       const std::string& where) {
  const json config = json::parse(event_json, nullptr, false);
  if (!config.is_object() || !config.contains("integration")) return std::nullopt;
  const json& integration = config["integration"];
  if (!integration.is_string())
    refuse(where, "integration is not a string", "use lambda or lambda-proxy");
  std::string kind = util::ascii_lower(integration.get<std::string>());
  std::replace(kind.begin(), kind.end(), '-', '_');
  if (kind == "lambda_proxy" || kind == "aws_proxy") return std::nullopt;
  if (kind != "lambda" && kind != "aws")
    refuse(where,
           fmt::format("integration '{}' sends requests elsewhere than to a function; fx serves "
                       "lambda and lambda-proxy integrations only",
                       integration.get<std::string>()),
           "use integration: lambda or lambda-proxy, or deploy it to AWS with --target aws");
  LambdaIntegration out;
  read_request(where, config.value("request", json()), out);
  read_response(where, config.value("response", json()), out);
  return out;
}

LambdaEvent build_lambda_event(const LambdaIntegration& integration, const GatewayRequest& request,
                               const RouteTable::Match& match, const std::string& stage) {
  LambdaEvent out;
  // API Gateway reads a request without a Content-Type as JSON.
  const std::string content_type = util::ascii_lower(
      util::trim_view(header_value(request, "content-type")
                          .substr(0, header_value(request, "content-type").find(';'))));
  const bool is_json = content_type.empty() || content_type == "application/json";
  const bool is_form = content_type == "application/x-www-form-urlencoded";
  if ((is_json && !integration.json_template) || (is_form && !integration.form_template) ||
      (!is_json && !is_form)) {
    out.refusal = message(415, "Unsupported Media Type");
    return out;
  }

  json body;
  if (is_json) {
    if (util::trim_view(request.body).empty()) {
      body = json::object();  // what $input.json('$') gives for no body
    } else {
      if (json_depth(request.body) > kMaxBodyDepth) {
        out.refusal = message(400, "Could not parse request body into json: nested too deep");
        return out;
      }
      body = json::parse(request.body, nullptr, false);
      if (body.is_discarded()) {
        out.refusal = message(400,
                              "Could not parse request body into json: Could not parse payload "
                              "into json");
        return out;
      }
    }
  } else {
    // The form template splits on '&' then '=', keeps the first value after the name.
    body = json::object();
    std::string_view rest = request.body;
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view token = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (token.empty()) continue;
      const std::size_t eq = token.find('=');
      std::string_view value;
      if (eq != std::string_view::npos) {
        value = token.substr(eq + 1);
        value = value.substr(0, value.find('='));
      }
      set_member(body, util::url_decode(token.substr(0, eq), true), util::url_decode(value, true));
    }
  }

  json headers = json::object();
  for (const auto& [name, value] : request.headers)
    if (!headers.contains(name)) headers[name] = value;
  json query = json::object();
  {
    std::string_view rest = request.raw_query;
    while (!rest.empty()) {
      const std::size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const std::size_t eq = pair.find('=');
      const std::string name = util::url_decode(pair.substr(0, eq), true);
      // $input.params().querystring holds a name's last value.
      set_member(query, name,
                 eq == std::string_view::npos ? "" : util::url_decode(pair.substr(eq + 1), true));
    }
  }
  json path = json::object();
  for (const auto& [name, value] : match.path_parameters) path[name] = value;

  const std::string user_agent(header_value(request, "user-agent"));
  json identity = json::object();
  for (const char* key : {"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller",
                          "sourceIp", "principalOrgId", "accessKey", "cognitoAuthenticationType",
                          "cognitoAuthenticationProvider", "userArn", "userAgent", "user"})
    identity[key] = "";
  identity["sourceIp"] = request.source_ip;
  identity["userAgent"] = user_agent;

  json event = json::object();
  event["body"] = std::move(body);
  event["method"] = request.method;
  event["principalId"] = "";  // no authorizer runs locally
  event["stage"] = stage;
  event["cognitoPoolClaims"] = {{"sub", ""}};
  event["enhancedAuthContext"] = json::object();
  event["headers"] = std::move(headers);
  event["query"] = std::move(query);
  event["path"] = std::move(path);
  event["identity"] = std::move(identity);
  event["stageVariables"] = json::object();
  event["requestPath"] = match.resource;
  out.event = dump(event);
  return out;
}

GatewayResponse map_lambda_result(const LambdaIntegration& integration,
                                  std::string_view result_json, bool function_error) {
  const json result = json::parse(result_json, nullptr, false);
  const LambdaIntegration::StatusCode* chosen = nullptr;
  if (function_error && result.is_object() && result.contains("errorMessage") &&
      result["errorMessage"].is_string()) {
    std::string message = result["errorMessage"].get<std::string>();
    if (message.size() > kMatchedMessageLimit) message.resize(kMatchedMessageLimit);
    for (const auto& sc : integration.status_codes) {
      if (sc.pattern.empty()) continue;
      if (util::regex_full_match(message, sc.pattern)) {
        chosen = &sc;
        break;
      }
    }
  }
  if (!chosen) {
    for (const auto& sc : integration.status_codes)
      if (sc.pattern.empty()) chosen = &sc;
  }

  GatewayResponse out;
  out.status = chosen ? chosen->status : 200;
  // No response template: the result passes through as the body, JSON as Lambda returned it.
  out.body = std::string(util::trim_view(result_json));
  auto add = [&](const LambdaIntegration::Header& h) {
    std::string value = h.literal;
    if (h.from_body) {
      const json* at = &result;
      for (const auto& key : h.body_path) {
        if (!at->is_object() || !at->contains(key)) {
          at = nullptr;
          break;
        }
        at = &(*at)[key];
      }
      if (!at || at->is_null()) return;  // API Gateway leaves an unmapped header out
      value = at->is_string() ? at->get<std::string>() : dump(*at);
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) return;
    }
    for (auto& [name, v] : out.headers) {
      if (util::iequals(name, h.name)) {
        v = value;
        return;
      }
    }
    out.headers.emplace_back(h.name, value);
  };
  for (const auto& h : integration.headers) add(h);
  if (chosen)
    for (const auto& h : chosen->headers) add(h);
  if (std::none_of(out.headers.begin(), out.headers.end(),
                   [](const auto& h) { return util::iequals(h.first, "content-type"); }))
    out.headers.emplace_back("Content-Type", "application/json");
  return out;
}

}  // namespace fx::gateway
