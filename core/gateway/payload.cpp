#include "core/gateway/payload.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "core/util/encoding.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/text.h"

namespace fx::gateway {
namespace {

// Ordered, so that an event reads in the order AWS documents it.
using json = nlohmann::ordered_json;

constexpr const char* kAccountId = "000000000000";
constexpr const char* kApiId = "fxlocal";
constexpr const char* kProtocol = "HTTP/1.1";

using util::ascii_lower;
using util::trim_view;

// Request and query strings may hold any bytes; an event must still be valid JSON.
std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Name/value pairs grouped by name, in first-seen order. Header names compare
// case-insensitively and keep the case they were first seen in.
struct Group {
  std::string name;
  std::vector<std::string> values;
};

// An index by name, not a search of the groups so far: a request may carry thousands of
// headers or query parameters (64 KB of them), and a search per pair made that quadratic,
// seconds of the emulator's one thread for one request.
std::vector<Group> group_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<Group> groups;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& [name, value] : headers) {
    auto [it, added] = index.try_emplace(ascii_lower(name), groups.size());
    if (added) {
      groups.push_back({name, {value}});
    } else {
      groups[it->second].values.push_back(value);
    }
  }
  return groups;
}

// Adds a member the object cannot hold yet (its name comes from a group). ordered_json's
// operator[] looks for the name among the members one by one, which for thousands of
// headers or parameters made building an event quadratic too.
void add_member(json& object, const std::string& name, json value) {
  if (object.is_null()) object = json::object();
  static_cast<json::object_t::Container&>(object.get_ref<json::object_t&>())
      .emplace_back(name, std::move(value));
}

// "a=1&b=x+y&a=2&flag" -> a: [1, 2], b: ["x y"], flag: [""]; names and values decoded.
std::vector<Group> parse_query(std::string_view query) {
  std::vector<Group> groups;
  std::unordered_map<std::string, std::size_t> index;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string name = util::url_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? "" : util::url_decode(pair.substr(eq + 1), true);
    auto [it, added] = index.try_emplace(name, groups.size());
    if (added) {
      groups.push_back({std::move(name), {std::move(value)}});
    } else {
      groups[it->second].values.push_back(std::move(value));
    }
  }
  return groups;
}

std::string join(const std::vector<std::string>& values, std::string_view separator) {
  return fmt::format("{}", fmt::join(values, separator));
}

using util::valid_utf8;  // core/util/encoding.h

// As HTTP APIs decide: a text media type (or none) with a UTF-8 body goes as text, anything
// else base64-encoded. A text type with bytes that are not UTF-8 is encoded too, or the event
// would not be valid JSON.
bool is_text_media_type(std::string_view content_type) {
  const std::string type = ascii_lower(trim_view(content_type.substr(0, content_type.find(';'))));
  return type.starts_with("text/") || type == "application/json" || type == "application/xml" ||
         type == "application/javascript" || type == "application/x-www-form-urlencoded" ||
         type.ends_with("+json") || type.ends_with("+xml");
}

struct Body {
  json value;  // null when empty
  bool base64 = false;
};

Body encode_body(const GatewayRequest& request) {
  if (request.body.empty()) return {nullptr, false};
  const std::string_view content_type = header_value(request, "content-type");
  const bool text =
      (content_type.empty() || is_text_media_type(content_type)) && valid_utf8(request.body);
  if (text) return {request.body, false};
  return {util::base64_encode(request.body), true};
}

// "27/Nov/2026:10:00:00 +0000", the time in API Gateway's access-log format.
std::string clf_time(std::int64_t epoch_ms) {
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::int64_t seconds = epoch_ms / 1000;
  if (epoch_ms % 1000 < 0) --seconds;
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// "localhost:3000" -> "localhost"; "abc.example.com" -> "abc".
std::string domain_prefix(std::string_view host) {
  if (host.starts_with("[")) return std::string(host.substr(0, host.find(']') + 1));
  host = host.substr(0, host.find(':'));
  return std::string(host.substr(0, host.find('.')));
}

json params_json(const std::map<std::string, std::string>& params) {
  json out = json::object();
  for (const auto& [name, value] : params) out[name] = value;
  return out;
}

bool is_rest(const RouteTable::Match& match) {
  return match.route == nullptr || match.route->api == manifest::HttpApi::rest;
}

}  // namespace

std::string_view header_value(const GatewayRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (util::iequals(key, name)) return value;
  }
  return {};
}

std::string build_event_v1(const GatewayRequest& request, const RouteTable::Match& match,
                           const std::string& stage) {
  const bool rest = is_rest(match);
  json event = json::object();
  event["resource"] = match.resource;
  event["path"] = match.stage_path_stripped.empty() ? request.raw_path : match.stage_path_stripped;
  event["httpMethod"] = request.method;

  json headers = json::object();
  json multi_headers = json::object();
  for (const auto& group : group_headers(request.headers)) {
    add_member(headers, group.name, group.values.back());
    add_member(multi_headers, group.name, group.values);
  }
  event["headers"] = std::move(headers);
  event["multiValueHeaders"] = std::move(multi_headers);

  json query = nullptr;
  json multi_query = nullptr;
  for (const auto& group : parse_query(request.raw_query)) {
    add_member(query, group.name, group.values.back());
    add_member(multi_query, group.name, group.values);
  }
  event["queryStringParameters"] = std::move(query);
  event["multiValueQueryStringParameters"] = std::move(multi_query);
  event["pathParameters"] =
      match.path_parameters.empty() ? json(nullptr) : params_json(match.path_parameters);
  event["stageVariables"] = nullptr;

  const std::string event_path = event["path"].get<std::string>();
  const std::string_view user_agent = header_value(request, "user-agent");
  json context = json::object();
  context["accountId"] = kAccountId;
  context["apiId"] = kApiId;
  // API Gateway reports the path as the client called it, stage prefix included; a request
  // that used fx's unprefixed form is reported as if it had the prefix.
  context["stage"] = rest ? stage : "$default";
  context["path"] = rest && !stage.empty() ? "/" + stage + event_path : event_path;
  context["resourcePath"] = match.resource;
  context["httpMethod"] = request.method;
  context["requestId"] = request.request_id;
  context["requestTimeEpoch"] = request.time_ms;
  context["protocol"] = kProtocol;
  context["identity"] = {
      {"sourceIp", request.source_ip},
      {"userAgent", user_agent.empty() ? json(nullptr) : json(std::string(user_agent))}};
  if (!request.identity.empty()) {
    const json caller = json::parse(request.identity, nullptr, false);
    if (caller.is_object())
      for (const auto& [key, value] : caller.items()) context["identity"][key] = value;
  }
  if (!request.authorizer.empty())
    context["authorizer"] = json::parse(request.authorizer, nullptr, false);
  event["requestContext"] = std::move(context);

  Body body = encode_body(request);
  event["body"] = std::move(body.value);
  event["isBase64Encoded"] = body.base64;
  return dump(event);
}

std::string build_event_v2(const GatewayRequest& request, const RouteTable::Match& match) {
  json event = json::object();
  event["version"] = "2.0";
  event["routeKey"] = match.route_key;
  event["rawPath"] = request.raw_path;
  event["rawQueryString"] = request.raw_query;

  // Cookies travel in their own list; HTTP APIs leave the cookie header out of `headers`.
  json cookies = json::array();
  json headers = json::object();
  for (const auto& group : group_headers(request.headers)) {
    const std::string name = ascii_lower(group.name);
    if (name == "cookie") {
      for (const auto& value : group.values) {
        std::string_view rest = value;
        while (!rest.empty()) {
          const std::size_t semi = rest.find(';');
          const std::string_view cookie = trim_view(rest.substr(0, semi));
          if (!cookie.empty()) cookies.push_back(std::string(cookie));
          rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        }
      }
      continue;
    }
    add_member(headers, name, join(group.values, ","));
  }
  if (!cookies.empty()) event["cookies"] = std::move(cookies);
  event["headers"] = std::move(headers);

  json query = json::object();
  for (const auto& group : parse_query(request.raw_query)) {
    add_member(query, group.name, join(group.values, ","));
  }
  if (!query.empty()) event["queryStringParameters"] = std::move(query);
  if (!match.path_parameters.empty()) event["pathParameters"] = params_json(match.path_parameters);

  const std::string host(header_value(request, "host"));
  json context = json::object();
  context["accountId"] = kAccountId;
  context["apiId"] = kApiId;
  if (!request.authorizer.empty())
    context["authorizer"] = json::parse(request.authorizer, nullptr, false);
  context["domainName"] = host;
  context["domainPrefix"] = domain_prefix(host);
  context["http"] = {{"method", request.method},
                     {"path", request.raw_path},
                     {"protocol", kProtocol},
                     {"sourceIp", request.source_ip},
                     {"userAgent", std::string(header_value(request, "user-agent"))}};
  context["requestId"] = request.request_id;
  context["routeKey"] = match.route_key;
  context["stage"] = "$default";
  context["time"] = clf_time(request.time_ms);
  context["timeEpoch"] = request.time_ms;
  if (!request.authorizer.empty()) context["authorizer"] = json::parse(request.authorizer);
  event["requestContext"] = std::move(context);

  // AWS leaves `body` out when the request has none.
  Body body = encode_body(request);
  if (!body.value.is_null()) event["body"] = std::move(body.value);
  event["isBase64Encoded"] = body.base64;
  return dump(event);
}

std::string build_event(const GatewayRequest& request, const RouteTable::Match& match,
                        const std::string& stage) {
  if (match.route != nullptr && match.route->payload_version == "2.0") {
    return build_event_v2(request, match);
  }
  return build_event_v1(request, match, stage);
}

// ---------------------------------------------------------------------------------------------
// Responses

namespace {

GatewayResponse message_response(int status, std::string_view message) {
  GatewayResponse response;
  response.status = status;
  response.headers = {{"Content-Type", "application/json"}};
  response.body = dump(json{{"message", message}});
  return response;
}

GatewayResponse error_response(ApiKind api, std::string reason) {
  GatewayResponse response;
  if (api == ApiKind::rest) {
    response.status = 502;
    response.headers = {{"Content-Type", "application/json"},
                        {"x-amzn-ErrorType", "InternalServerErrorException"}};
    // Spelled exactly as a REST API sends it, space included.
    response.body = R"({"message": "Internal server error"})";
  } else {
    response.status = 500;
    response.headers = {{"Content-Type", "application/json"}};
    response.body = R"({"message":"Internal Server Error"})";
  }
  response.reason = std::move(reason);
  return response;
}

const char* kind_of(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "a list";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "a value of an unknown kind";
  }
}

// A header value as API Gateway takes it: strings, and numbers and booleans as their text.
std::optional<std::string> header_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::nullopt;
}

// RFC 9110's token: the only characters a header name may have.
bool is_token(std::string_view name) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

// A name as the function's log can show it: control characters spelled out, so that a name
// holding a line break stays on its log line.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

// A header the function returned, refused when it cannot be sent as one header: a name that
// is not a token, or a value with CR or LF (which would start another header, or the body:
// header injection) or NUL. `field` says where it came from, for the reason: "header",
// "multiValueHeaders" or "cookies" (whose name is Set-Cookie).
std::optional<std::string> bad_header(std::string_view field, std::string_view name,
                                      std::string_view value) {
  const std::string which =
      field == "cookies" ? "cookies" : fmt::format("{} '{}'", field, printable(name));
  if (!is_token(name)) return fmt::format("the handler's {} is not a valid header name", which);
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return fmt::format(
        "the handler's {} holds a CR, LF or NUL character, which a header value cannot hold",
        which);
  }
  return std::nullopt;
}

bool has_header(const GatewayResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [&](const auto& h) { return util::iequals(h.first, name); });
}

// Reads a proxy result ({statusCode, headers, ...}) into `out`; on a problem returns what it
// is, for GatewayResponse::reason.
std::optional<std::string> read_proxy_result(const json& result, bool v2, ApiKind api,
                                             GatewayResponse& out) {
  if (!result.is_object()) {
    return fmt::format("the handler returned {}, not an object with statusCode", kind_of(result));
  }
  const auto status = result.find("statusCode");
  if (status == result.end()) return std::string("the handler's result has no statusCode");
  if (!status->is_number_integer()) {
    return fmt::format("the handler's statusCode is {}, not an integer", kind_of(*status));
  }
  const auto code = status->get<std::int64_t>();
  if (code < 100 || code > 599) {
    return fmt::format("the handler's statusCode {} is not an HTTP status (100 to 599)", code);
  }
  out.status = static_cast<int>(code);

  // multiValueHeaders first: for a name both give, its values are the ones sent.
  std::vector<std::string> multi_names;
  if (!v2) {
    if (const auto multi = result.find("multiValueHeaders");
        multi != result.end() && !multi->is_null()) {
      if (!multi->is_object()) {
        return fmt::format("the handler's multiValueHeaders is {}, not an object", kind_of(*multi));
      }
      for (const auto& [name, values] : multi->items()) {
        if (values.is_null()) continue;
        if (!values.is_array()) {
          return fmt::format("the handler's multiValueHeaders '{}' is {}, not a list", name,
                             kind_of(values));
        }
        for (const auto& value : values) {
          const auto text = header_text(value);
          if (!text) {
            return fmt::format("the handler's multiValueHeaders '{}' holds {}, not a string", name,
                               kind_of(value));
          }
          if (auto bad = bad_header("multiValueHeaders", name, *text)) {
            return bad;
          }
          out.headers.emplace_back(name, *text);
        }
        multi_names.push_back(name);
      }
    }
  }
  if (const auto headers = result.find("headers"); headers != result.end() && !headers->is_null()) {
    if (!headers->is_object()) {
      return fmt::format("the handler's headers is {}, not an object", kind_of(*headers));
    }
    for (const auto& [name, value] : headers->items()) {
      if (value.is_null()) continue;
      const auto text = header_text(value);
      if (!text) {
        return fmt::format("the handler's header '{}' is {}, not a string", name, kind_of(value));
      }
      const bool overridden = std::any_of(multi_names.begin(), multi_names.end(),
                                          [&](const auto& m) { return util::iequals(m, name); });
      if (auto bad = bad_header("header", name, *text)) return bad;
      if (!overridden) out.headers.emplace_back(name, *text);
    }
  }
  if (v2) {
    if (const auto cookies = result.find("cookies");
        cookies != result.end() && !cookies->is_null()) {
      if (!cookies->is_array()) {
        return fmt::format("the handler's cookies is {}, not a list", kind_of(*cookies));
      }
      for (const auto& cookie : *cookies) {
        if (!cookie.is_string()) {
          return fmt::format("the handler's cookies holds {}, not a string", kind_of(cookie));
        }
        if (auto bad = bad_header("cookies", "Set-Cookie", cookie.get<std::string>())) return bad;
        out.headers.emplace_back("Set-Cookie", cookie.get<std::string>());
      }
    }
  }

  if (const auto body = result.find("body"); body != result.end() && !body->is_null()) {
    if (!body->is_string()) {
      return fmt::format(
          "the handler returned a body that is not a string ({}); serialize it first, e.g. "
          "JSON.stringify or json.dumps",
          kind_of(*body));
    }
    out.body = body->get<std::string>();
  }
  if (const auto base64 = result.find("isBase64Encoded");
      base64 != result.end() && !base64->is_null()) {
    if (!base64->is_boolean()) {
      return fmt::format("the handler's isBase64Encoded is {}, not a boolean", kind_of(*base64));
    }
    if (base64->get<bool>()) {
      try {
        out.body = util::base64_decode(out.body);
      } catch (const Error&) {
        return std::string("the handler set isBase64Encoded but its body is not valid base64");
      }
    }
  }

  if (!has_header(out, "content-type")) {
    out.headers.emplace_back(
        "Content-Type", api == ApiKind::rest ? "application/json" : "text/plain; charset=utf-8");
  }
  return std::nullopt;
}

std::optional<json> parse_result(std::string_view text, std::string& problem) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    problem = fmt::format("the function's result is not JSON ({})", e.what());
    return std::nullopt;
  }
}

}  // namespace

ApiKind api_kind(const RouteSpec& route) {
  return route.api;
}

GatewayResponse map_result_v1(std::string_view function_result_json, ApiKind api) {
  std::string problem;
  const auto result = parse_result(function_result_json, problem);
  if (!result) return error_response(api, problem);
  GatewayResponse response;
  if (auto bad = read_proxy_result(*result, false, api, response)) {
    return error_response(api, std::move(*bad));
  }
  return response;
}

GatewayResponse map_result_v2(std::string_view function_result_json) {
  std::string problem;
  const auto result = parse_result(function_result_json, problem);
  if (!result) return error_response(ApiKind::http, problem);
  GatewayResponse response;
  if (result->is_object() && result->contains("statusCode")) {
    if (auto bad = read_proxy_result(*result, true, ApiKind::http, response)) {
      return error_response(ApiKind::http, std::move(*bad));
    }
    return response;
  }
  // No statusCode: the value is the body. The function's own text is sent rather than a
  // re-serialization, so numbers and key order come out exactly as it wrote them.
  response.headers = {{"Content-Type", "application/json"}};
  response.body = result->is_string() ? result->get<std::string>()
                                      : std::string(trim_view(function_result_json));
  return response;
}

GatewayResponse map_result(const RouteSpec& route, std::string_view function_result_json) {
  if (route.payload_version == "2.0") return map_result_v2(function_result_json);
  return map_result_v1(function_result_json, api_kind(route));
}

GatewayResponse function_error_response(ApiKind api) {
  return error_response(api, {});
}
GatewayResponse not_found_response() {
  return message_response(404, "Not Found");
}
GatewayResponse method_not_allowed_response() {
  return message_response(405, "Method Not Allowed");
}
GatewayResponse payload_too_large_response() {
  return message_response(413, "Request Entity Too Large");
}
GatewayResponse forbidden_response() {
  return message_response(403, "Forbidden");
}

GatewayResponse cors_preflight_response(const std::vector<std::string>& allowed_methods) {
  GatewayResponse response;
  response.status = 200;
  response.headers = {
      {"Access-Control-Allow-Origin", "*"},
      {"Access-Control-Allow-Methods", join(allowed_methods, ",")},
      // The Serverless Framework's default for `cors: true`.
      {"Access-Control-Allow-Headers",
       "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent,"
       "X-Amzn-Trace-Id"}};
  return response;
}

void add_cors_headers(GatewayResponse& response) {
  if (!has_header(response, "access-control-allow-origin")) {
    response.headers.emplace_back("Access-Control-Allow-Origin", "*");
  }
}

}  // namespace fx::gateway
