#include "core/emulator/function_urls.h"

#include <sys/random.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/request_fields.h"
#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::emulator {

using json = nlohmann::json;
using lambda::ApiError;

namespace {

using request_fields::field;
using request_fields::invalid_content;
using request_fields::kind_of;
using request_fields::opt_string;
using request_fields::shown;
using request_fields::validation;
using request_fields::wrong_type;

// A Cors list: at most `max_items` strings of `min_len` to `max_len` characters each.
std::optional<std::vector<std::string>> cors_list(const json& obj, std::string_view name,
                                                  std::string_view at, std::size_t max_items,
                                                  std::size_t min_len, std::size_t max_len) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_array()) throw wrong_type(fmt::format("Cors.{}", name), "List", *v);
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string())
      throw wrong_type(fmt::format("Cors.{}[{}]", name, out.size()), "String", item);
    const auto& s = item.get_ref<const std::string&>();
    if (s.size() < min_len || s.size() > max_len)
      throw validation(s, fmt::format("{}.{}.member", "cors", at),
                       fmt::format("Member must have length less than or equal to {}, Member "
                                   "must have length greater than or equal to {}",
                                   max_len, min_len));
    out.push_back(s);
  }
  if (out.size() > max_items)
    throw validation(v->dump(-1, ' ', false, json::error_handler_t::replace),
                     fmt::format("cors.{}", at),
                     fmt::format("Member must have length less than or equal to {}", max_items));
  return out;
}

FunctionUrlCors parse_cors(const json& c) {
  if (!c.is_object()) throw wrong_type("Cors", "Cors", c);
  FunctionUrlCors cors;
  if (const json* v = field(c, "AllowCredentials")) {
    if (!v->is_boolean()) throw wrong_type("Cors.AllowCredentials", "Boolean", *v);
    cors.allow_credentials = v->get<bool>();
  }
  cors.allow_headers = cors_list(c, "AllowHeaders", "allowHeaders", 100, 0, 1024);
  cors.allow_methods = cors_list(c, "AllowMethods", "allowMethods", 6, 0, 6);
  cors.allow_origins = cors_list(c, "AllowOrigins", "allowOrigins", 100, 1, 253);
  cors.expose_headers = cors_list(c, "ExposeHeaders", "exposeHeaders", 100, 0, 1024);
  if (const json* v = field(c, "MaxAge")) {
    if (!v->is_number_integer() && !v->is_number_unsigned())
      throw wrong_type("Cors.MaxAge", "Integer", *v);
    const long long n = v->is_number_unsigned()
                            ? static_cast<long long>(std::min<std::uint64_t>(
                                  v->get<std::uint64_t>(),
                                  static_cast<std::uint64_t>(std::numeric_limits<int>::max())))
                            : v->get<long long>();
    if (n < 0)
      throw validation(std::to_string(n), "cors.maxAge",
                       "Member must have value greater than or equal to 0");
    if (n > 86400)
      throw validation(std::to_string(n), "cors.maxAge",
                       "Member must have value less than or equal to 86400");
    cors.max_age = n;
  }
  // Lambda checks each method against HTTP's: an unknown one is refused at create, not at use.
  if (cors.allow_methods)
    for (auto& m : *cors.allow_methods) {
      for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      static const char* kMethods[] = {"GET",   "PUT",    "HEAD", "POST",
                                       "PATCH", "DELETE", "*",    "OPTIONS"};
      if (std::none_of(std::begin(kMethods), std::end(kMethods),
                       [&](const char* k) { return m == k; }))
        throw ApiError(400, "InvalidParameterValueException",
                       fmt::format("Invalid value for AllowMethods: {}; each must be an HTTP "
                                   "method (GET, PUT, HEAD, POST, PATCH, DELETE) or *",
                                   shown(m)));
    }
  return cors;
}

json cors_json(const FunctionUrlCors& c) {
  json j = json::object();
  if (c.allow_credentials) j["AllowCredentials"] = *c.allow_credentials;
  if (c.allow_headers) j["AllowHeaders"] = *c.allow_headers;
  if (c.allow_methods) j["AllowMethods"] = *c.allow_methods;
  if (c.allow_origins) j["AllowOrigins"] = *c.allow_origins;
  if (c.expose_headers) j["ExposeHeaders"] = *c.expose_headers;
  if (c.max_age) j["MaxAge"] = *c.max_age;
  return j;
}

bool listed(const std::optional<std::vector<std::string>>& list, std::string_view value) {
  if (!list) return false;
  return std::any_of(list->begin(), list->end(),
                     [&](const std::string& s) { return s == "*" || util::iequals(s, value); });
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

FunctionUrlFields parse_function_url_fields(std::string_view body, bool create) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    if (body.empty() && !create)
      doc = json::object();
    else if (body.empty())
      throw invalid_content("the body is empty; send a JSON object");
    else
      throw invalid_content("the body is not valid JSON (or not valid UTF-8)");
  }
  if (!doc.is_object())
    throw invalid_content(fmt::format("expected a JSON object, got {}", kind_of(doc)));
  FunctionUrlFields f;
  f.auth_type = opt_string(doc, "AuthType");
  if (create && !f.auth_type)
    throw ApiError(400, "ValidationException",
                   "1 validation error detected: Value null at 'authType' failed to satisfy "
                   "constraint: Member must not be null");
  if (f.auth_type && *f.auth_type != "NONE" && *f.auth_type != "AWS_IAM")
    throw validation(*f.auth_type, "authType",
                     "Member must satisfy enum value set: [NONE, AWS_IAM]");
  f.invoke_mode = opt_string(doc, "InvokeMode");
  if (f.invoke_mode && *f.invoke_mode != "BUFFERED" && *f.invoke_mode != "RESPONSE_STREAM")
    throw validation(*f.invoke_mode, "invokeMode",
                     "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]");
  if (const json* c = field(doc, "Cors")) f.cors = parse_cors(*c);
  return f;
}

void check_function_url_qualifier(std::string_view q) {
  if (q.empty()) return;
  bool valid = q.size() <= 128;
  bool all_digits = true;
  for (char c : q) {
    valid &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    all_digits &= c >= '0' && c <= '9';
  }
  if (!valid || all_digits)
    throw validation(q, "qualifier",
                     "Member must satisfy regular expression pattern: "
                     "((?!^\\d+$)^[0-9a-zA-Z-_]+$)");
}

std::string new_function_url_id() {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[32];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n <= 0) throw Error("cannot read random bytes for a function URL's id");
    got += static_cast<std::size_t>(n);
  }
  std::string id;
  // 256 is not a multiple of 36: the slight bias does not matter for a name.
  for (unsigned char b : bytes) id += kAlphabet[b % kAlphabet.size()];
  return id;
}

std::string function_url_json(const FunctionUrl& url, const std::string& function_arn,
                              const std::string& public_url, bool with_last_modified) {
  json j = {{"FunctionUrl", public_url},
            {"FunctionArn", function_arn},
            {"AuthType", url.auth_type},
            {"CreationTime", url.creation_time},
            {"InvokeMode", url.invoke_mode}};
  if (url.cors) j["Cors"] = cors_json(*url.cors);
  if (with_last_modified) j["LastModifiedTime"] = url.last_modified_time;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string function_url_to_stored(const FunctionUrl& url) {
  json j = {{"function", url.function},     {"qualifier", url.qualifier},
            {"url_id", url.url_id},         {"region", url.region},
            {"auth_type", url.auth_type},   {"invoke_mode", url.invoke_mode},
            {"created", url.creation_time}, {"modified", url.last_modified_time}};
  if (url.cors) j["cors"] = cors_json(*url.cors);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

FunctionUrl function_url_from_stored(std::string_view text) {
  try {
    json j = json::parse(text);
    FunctionUrl u;
    u.function = j.at("function").get<std::string>();
    u.qualifier = j.at("qualifier").get<std::string>();
    u.url_id = j.at("url_id").get<std::string>();
    u.region = j.at("region").get<std::string>();
    u.auth_type = j.at("auth_type").get<std::string>();
    u.invoke_mode = j.at("invoke_mode").get<std::string>();
    u.creation_time = j.at("created").get<std::string>();
    u.last_modified_time = j.at("modified").get<std::string>();
    if (j.contains("cors")) u.cors = parse_cors(j["cors"]);
    return u;
  } catch (const std::exception& e) {
    throw Error(fmt::format("a stored function URL is damaged: {}", e.what()));
  }
}

std::string function_url_host(const FunctionUrl& url) {
  return fmt::format("{}.lambda-url.{}.localhost", url.url_id, url.region);
}

std::optional<UrlHost> parse_function_url_host(std::string_view header) {
  std::string host(header.substr(
      0, header.rfind(':') == std::string_view::npos ? header.size() : header.rfind(':')));
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!host.empty() && host.back() == '.') host.pop_back();  // a fully qualified name
  constexpr std::string_view kMark = ".lambda-url.", kTail = ".localhost";
  const auto mark = host.find(kMark);
  if (mark == std::string::npos || mark == 0 || !host.ends_with(kTail)) return std::nullopt;
  const auto region_at = mark + kMark.size();
  if (region_at + kTail.size() > host.size()) return std::nullopt;
  UrlHost out;
  out.url_id = host.substr(0, mark);
  out.region = host.substr(region_at, host.size() - kTail.size() - region_at);
  out.host = host;
  // "a.b.lambda-url..." is still a URL host, whose id no URL has: refused, not routed.
  if (out.region.empty() || out.region.find('.') != std::string::npos) return std::nullopt;
  return out;
}

HeaderList function_url_cors_headers(const FunctionUrlCors& cors, std::string_view origin) {
  HeaderList out;
  if (origin.empty() || !listed(cors.allow_origins, origin)) return out;
  const bool any = std::find(cors.allow_origins->begin(), cors.allow_origins->end(), "*") !=
                   cors.allow_origins->end();
  // A credentialed response may not say '*': browsers refuse it, so the origin is echoed.
  out.emplace_back("Access-Control-Allow-Origin",
                   any && !cors.allow_credentials.value_or(false) ? "*" : std::string(origin));
  if (cors.allow_credentials.value_or(false))
    out.emplace_back("Access-Control-Allow-Credentials", "true");
  if (cors.expose_headers && !cors.expose_headers->empty())
    out.emplace_back("Access-Control-Expose-Headers", joined(*cors.expose_headers));
  out.emplace_back("Vary", "Origin");
  return out;
}

HeaderList function_url_preflight_headers(const FunctionUrlCors& cors, std::string_view origin,
                                          std::string_view method,
                                          std::string_view request_headers) {
  HeaderList out = function_url_cors_headers(cors, origin);
  if (out.empty() || !listed(cors.allow_methods, method)) return {};
  std::string_view rest = request_headers;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty() && !listed(cors.allow_headers, name)) return {};
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  out.emplace_back("Access-Control-Allow-Methods", joined(*cors.allow_methods));
  if (cors.allow_headers && !cors.allow_headers->empty())
    out.emplace_back("Access-Control-Allow-Headers", joined(*cors.allow_headers));
  if (cors.max_age) out.emplace_back("Access-Control-Max-Age", std::to_string(*cors.max_age));
  return out;
}

}  // namespace fx::emulator
