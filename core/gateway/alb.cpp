#include "core/gateway/alb.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "core/util/encoding.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/text.h"

namespace fx::gateway {
namespace {

using json = nlohmann::ordered_json;

// ALB passes at most 1 MB of a request body to a Lambda target, and takes at most 1 MB back.
constexpr std::size_t kResponseLimit = 1024 * 1024;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

[[noreturn]] void refuse(const std::string& where, const std::string& what,
                         const std::string& hint) {
  throw Error(fmt::format("{}: alb {}", where, what), hint);
}

// A string or a list of strings, as the framework takes each condition.
std::vector<std::string> strings(const std::string& where, const std::string& key,
                                 const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array() && !value.empty()) {
    for (const auto& v : value) {
      if (!v.is_string())
        refuse(where, fmt::format("{} holds {}, not a string", key, v.dump()),
               "give strings, e.g. [/users, /users/*]");
      out.push_back(v.get<std::string>());
    }
  } else {
    refuse(where, fmt::format("{} is not a string or a list of strings", key),
           "e.g. path: /users/*  or  method: [GET, POST]");
  }
  for (const auto& s : out)
    if (s.empty() || s.size() > 128)
      refuse(where, fmt::format("{} has a value of {} characters", key, s.size()),
             "ALB takes 1 to 128 characters per value");
  return out;
}

// "10.0.0.0/8" -> network and prefix length, IPv4 or IPv6.
struct Cidr {
  int family = 0;
  unsigned char bytes[16] = {};
  int prefix = 0;
};

std::optional<Cidr> parse_cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string address(text.substr(0, slash));
  const std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return std::isdigit(c); }))
    return std::nullopt;
  Cidr c;
  c.prefix = std::stoi(std::string(bits));
  if (inet_pton(AF_INET, address.c_str(), c.bytes) == 1) {
    c.family = AF_INET;
    if (c.prefix > 32) return std::nullopt;
  } else if (inet_pton(AF_INET6, address.c_str(), c.bytes) == 1) {
    c.family = AF_INET6;
    if (c.prefix > 128) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return c;
}

bool in_cidr(const Cidr& c, const std::string& ip) {
  unsigned char bytes[16] = {};
  if (inet_pton(c.family, ip.c_str(), bytes) != 1) return false;
  for (int bit = 0; bit < c.prefix; ++bit) {
    const unsigned char mask = static_cast<unsigned char>(0x80 >> (bit % 8));
    if ((bytes[bit / 8] & mask) != (c.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

void read_conditions(const std::string& where, const json& conditions, AlbRule& rule) {
  if (!conditions.is_object() || conditions.empty())
    refuse(where, "conditions is not a map of conditions",
           "e.g. conditions: {path: /users/*, method: [GET]}");
  for (const auto& [key, value] : conditions.items()) {
    const std::string name = "conditions." + key;
    if (key == "path") {
      rule.paths = strings(where, name, value);
    } else if (key == "host") {
      rule.hosts = strings(where, name, value);
    } else if (key == "method") {
      for (auto m : strings(where, name, value)) {
        std::transform(m.begin(), m.end(), m.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (!std::all_of(m.begin(), m.end(),
                         [](char c) { return (c >= 'A' && c <= 'Z') || c == '_' || c == '-'; }))
          refuse(where, fmt::format("{} '{}' is not a method", name, m), "e.g. [GET, POST]");
        rule.methods.push_back(m);
      }
    } else if (key == "header") {
      const json list = value.is_array() ? value : json::array({value});
      for (const auto& h : list) {
        if (!h.is_object() || !h.contains("name") || !h["name"].is_string() ||
            !h.contains("values"))
          refuse(where, fmt::format("{} is not {{name, values}}", name),
                 "e.g. header: {name: X-Tenant, values: [a, b*]}");
        AlbRule::Header header;
        header.name = h["name"].get<std::string>();
        if (header.name.empty() || header.name.size() > 40)
          refuse(where, fmt::format("{}.name is not a header name", name),
                 "ALB takes 1 to 40 characters");
        header.values = strings(where, name + ".values", h["values"]);
        rule.headers.push_back(std::move(header));
      }
    } else if (key == "query") {
      if (!value.is_object() || value.empty())
        refuse(where, fmt::format("{} is not a map of names to values", name),
               "e.g. query: {version: v2}");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string() && !v.is_number() && !v.is_boolean())
          refuse(where, fmt::format("{}.{} is not a string", name, k), "e.g. query: {version: v2}");
        rule.query.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
      }
    } else if (key == "ip") {
      rule.source_ips = strings(where, name, value);
      for (const auto& ip : rule.source_ips)
        if (!parse_cidr(ip))
          refuse(where, fmt::format("{} '{}' is not a CIDR block", name, ip),
                 "e.g. ip: [10.0.0.0/8, 127.0.0.1/32]");
    } else {
      refuse(where, fmt::format("has the condition '{}'", key),
             "ALB's conditions are path, method, host, header, query and ip");
    }
  }
}

AlbRule read_rule(const std::string& service, const std::string& function,
                  const std::string& function_key, const manifest::OtherEvent& event) {
  const std::string where = fmt::format("{}: function '{}'", event.mark.str(), function_key);
  const json config = json::parse(event.config_json, nullptr, false);
  if (!config.is_object())
    refuse(where, "is not a map", "give listenerArn, priority and conditions");
  AlbRule rule;
  rule.function = function;
  rule.function_key = function_key;
  rule.mark = event.mark;
  std::string target_group;
  bool have_conditions = false;
  for (const auto& [key, value] : config.items()) {
    if (key == "listenerArn") {
      if (value.is_null() || (value.is_string() && value.get<std::string>().empty()))
        refuse(where, "listenerArn is empty", "give the listener's ARN, or a Ref to it");
      rule.listener = value.is_string() ? value.get<std::string>() : value.dump();
    } else if (key == "priority") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
          value.get<std::int64_t>() > 50000)
        refuse(where, fmt::format("priority {} is not an integer from 1 to 50000", value.dump()),
               "each rule of a listener has its own priority; the lowest is tried first");
      rule.priority = value.get<int>();
    } else if (key == "conditions") {
      read_conditions(where, value, rule);
      have_conditions = true;
    } else if (key == "multiValueHeaders") {
      if (!value.is_boolean()) refuse(where, "multiValueHeaders is not true or false", "");
      rule.multi_value_headers = value.get<bool>();
    } else if (key == "targetGroupName") {
      if (!value.is_string()) refuse(where, "targetGroupName is not a string", "");
      target_group = value.get<std::string>();
    } else if (key == "healthCheck") {
      // Health checks decide whether AWS sends traffic; locally the function is always there.
    } else if (key == "authorizer") {
      refuse(where, "authorizer is set; fx does not run ALB's Cognito or OIDC authentication",
             "drop the authorizer to run the function locally, or deploy with --target aws");
    } else {
      refuse(where, fmt::format("has the key '{}'", key),
             "an alb event takes listenerArn, priority, conditions, multiValueHeaders, "
             "healthCheck, targetGroupName");
    }
  }
  if (rule.listener.empty())
    refuse(where, "has no listenerArn", "give the listener's ARN, or a Ref to it");
  if (rule.priority == 0) refuse(where, "has no priority", "e.g. priority: 1");
  if (!have_conditions) refuse(where, "has no conditions", "e.g. conditions: {path: /users}");
  if (target_group.empty()) {
    // Target group names are at most 32 characters.
    target_group = fmt::format("{}-{}", service, function_key);
    if (target_group.size() > 32) target_group.resize(32);
  }
  rule.target_group_arn = fmt::format(
      "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/{}/{}", target_group,
      util::sha256_hex(function + "\n" + std::to_string(rule.priority)).substr(0, 16));
  return rule;
}

void check_priorities(const std::vector<AlbRule>& rules) {
  std::map<std::pair<std::string, int>, const AlbRule*> taken;
  for (const auto& rule : rules) {
    auto [it, added] = taken.emplace(std::pair{rule.listener, rule.priority}, &rule);
    if (!added)
      throw Error(fmt::format("{}: function '{}': alb priority {} is already taken on listener "
                              "{} by function '{}' ({})",
                              rule.mark.str(), rule.function_key, rule.priority, rule.listener,
                              it->second->function_key, it->second->mark.str()),
                  "each rule of a listener needs a priority of its own");
  }
}

template <class Functions>
std::vector<AlbRule> rules_of(const Functions& functions, const std::string& service) {
  std::vector<AlbRule> rules;
  for (const auto& fn : functions)
    for (const auto* e : manifest::events_of<manifest::OtherEvent>(fn.events))
      if (e->type == "alb") rules.push_back(read_rule(service, fn.name, fn.key, *e));
  check_priorities(rules);
  return rules;
}

std::string_view host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.find(':'));
}

// name=value pairs of a query string, as sent (no decoding).
std::vector<std::pair<std::string_view, std::string_view>> query_pairs(std::string_view query) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    out.emplace_back(pair.substr(0, eq),
                     eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
  }
  return out;
}

bool any_match(const std::vector<std::string>& patterns, std::string_view text, bool icase) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const auto& p) { return alb_wildcard_match(p, text, icase); });
}

bool meets(const AlbRule& rule, const GatewayRequest& request) {
  if (!rule.methods.empty() &&
      std::find(rule.methods.begin(), rule.methods.end(), request.method) == rule.methods.end())
    return false;
  if (!rule.paths.empty() && !any_match(rule.paths, request.raw_path, false)) return false;
  if (!rule.hosts.empty() &&
      !any_match(rule.hosts, host_without_port(header_value(request, "host")), true))
    return false;
  for (const auto& h : rule.headers) {
    bool found = false;
    for (const auto& [name, value] : request.headers)
      if (util::iequals(name, h.name) && any_match(h.values, value, true)) found = true;
    if (!found) return false;
  }
  if (!rule.query.empty()) {
    bool found = false;
    for (const auto& [name, value] : query_pairs(request.raw_query)) {
      const std::string n = util::url_decode(name, true), v = util::url_decode(value, true);
      for (const auto& [k, pattern] : rule.query)
        if (util::iequals(k, n) && alb_wildcard_match(pattern, v, true)) found = true;
      if (found) break;
    }
    if (!found) return false;
  }
  if (!rule.source_ips.empty()) {
    bool found = false;
    for (const auto& block : rule.source_ips)
      if (const auto c = parse_cidr(block); c && in_cidr(*c, request.source_ip)) found = true;
    if (!found) return false;
  }
  return true;
}

bool is_text_type(std::string_view content_type) {
  const std::string type =
      util::ascii_lower(util::trim_view(content_type.substr(0, content_type.find(';'))));
  return type.starts_with("text/") || type == "application/json" ||
         type == "application/javascript" || type == "application/xml" ||
         type == "application/x-www-form-urlencoded" || type.ends_with("+json") ||
         type.ends_with("+xml");
}

using util::valid_utf8;  // core/util/encoding.h

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Temporarily Unavailable";
    case 504:
      return "Gateway Time-out";
    default:
      return "Error";
  }
}

std::optional<std::string> header_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

bool bad_header(std::string_view name, std::string_view value) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
  return !token || value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::optional<std::string> read_result(const AlbRule& rule, const json& result,
                                       GatewayResponse& out) {
  if (!result.is_object()) return std::string("the handler's result is not an object");
  const auto status = result.find("statusCode");
  if (status == result.end() || !status->is_number_integer())
    return std::string("the handler's result has no integer statusCode");
  const auto code = status->get<std::int64_t>();
  if (code < 100 || code > 599)
    return fmt::format("the handler's statusCode {} is not an HTTP status", code);
  out.status = static_cast<int>(code);
  if (rule.multi_value_headers) {
    // With multi-value headers on, ALB reads only multiValueHeaders.
    if (const auto m = result.find("multiValueHeaders"); m != result.end() && !m->is_null()) {
      if (!m->is_object()) return std::string("the handler's multiValueHeaders is not an object");
      for (const auto& [name, values] : m->items()) {
        if (!values.is_array())
          return fmt::format("the handler's multiValueHeaders '{}' is not a list", name);
        for (const auto& v : values) {
          const auto text = header_text(v);
          if (!text || bad_header(name, *text))
            return fmt::format("the handler's multiValueHeaders '{}' holds a bad value", name);
          out.headers.emplace_back(name, *text);
        }
      }
    }
  } else if (const auto h = result.find("headers"); h != result.end() && !h->is_null()) {
    if (!h->is_object()) return std::string("the handler's headers is not an object");
    for (const auto& [name, v] : h->items()) {
      const auto text = header_text(v);
      if (!text || bad_header(name, *text))
        return fmt::format("the handler's header '{}' is not a valid header", name);
      out.headers.emplace_back(name, *text);
    }
  }
  if (const auto body = result.find("body"); body != result.end() && !body->is_null()) {
    if (!body->is_string()) return std::string("the handler's body is not a string");
    out.body = body->get<std::string>();
  }
  if (const auto b64 = result.find("isBase64Encoded"); b64 != result.end() && !b64->is_null()) {
    if (!b64->is_boolean()) return std::string("the handler's isBase64Encoded is not a boolean");
    if (b64->get<bool>()) {
      try {
        out.body = util::base64_decode(out.body);
      } catch (const Error&) {
        return std::string("the handler set isBase64Encoded but its body is not base64");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<AlbRule> alb_rules_from_service(const manifest::Service& service) {
  return rules_of(service.functions, service.name + "-" + service.stage);
}

std::vector<AlbRule> alb_rules_from_events(const manifest::ServiceEvents& events,
                                           const std::string& service_name) {
  return rules_of(events.functions, service_name);
}

bool alb_wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Iterative, with one backtrack point (the last '*'): linear-ish, no recursion.
  auto same = [&](char a, char b) {
    return ignore_case ? std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b))
                       : a == b;
  };
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || (pattern[p] != '*' && same(pattern[p], text[t])))) {
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

AlbTable::AlbTable(std::vector<AlbRule> rules) : rules_(std::move(rules)) {
  check_priorities(rules_);
  std::stable_sort(rules_.begin(), rules_.end(),
                   [](const AlbRule& a, const AlbRule& b) { return a.priority < b.priority; });
}

const AlbRule* AlbTable::find(const GatewayRequest& request) const {
  for (const auto& rule : rules_)
    if (meets(rule, request)) return &rule;
  return nullptr;
}

std::string build_alb_event(const AlbRule& rule, const GatewayRequest& request) {
  json event = json::object();
  event["requestContext"] = {{"elb", {{"targetGroupArn", rule.target_group_arn}}}};
  event["httpMethod"] = request.method;
  event["path"] = request.raw_path;
  // Names and values as the client sent them: ALB does not decode them.
  const auto pairs = query_pairs(request.raw_query);
  if (rule.multi_value_headers) {
    json query = json::object();
    for (const auto& [name, value] : pairs) {
      json& list = query[std::string(name)];
      if (list.is_null()) list = json::array();
      list.push_back(std::string(value));
    }
    event["multiValueQueryStringParameters"] = std::move(query);
    json headers = json::object();
    for (const auto& [name, value] : request.headers) {
      json& list = headers[util::ascii_lower(name)];
      if (list.is_null()) list = json::array();
      list.push_back(value);
    }
    event["multiValueHeaders"] = std::move(headers);
  } else {
    // A repeated name's last value, as ALB passes it. (A map first: ordered_json's lookup is
    // linear, and a request may carry thousands of parameters.)
    std::unordered_map<std::string, std::size_t> index;
    std::vector<std::pair<std::string, std::string>> last;
    auto put = [&](std::string name, std::string value) {
      auto [it, added] = index.try_emplace(name, last.size());
      if (added)
        last.emplace_back(std::move(name), std::move(value));
      else
        last[it->second].second = std::move(value);
    };
    for (const auto& [name, value] : pairs) put(std::string(name), std::string(value));
    json query = json::object();
    for (auto& [n, v] : last) query[n] = v;  // names unique now
    event["queryStringParameters"] = std::move(query);
    index.clear();
    last.clear();
    for (const auto& [name, value] : request.headers) put(util::ascii_lower(name), value);
    json headers = json::object();
    for (auto& [n, v] : last) headers[n] = v;
    event["headers"] = std::move(headers);
  }
  const bool text = (request.body.empty() || is_text_type(header_value(request, "content-type"))) &&
                    header_value(request, "content-encoding").empty() && valid_utf8(request.body);
  event["body"] = text ? request.body : util::base64_encode(request.body);
  event["isBase64Encoded"] = !text;
  return dump(event);
}

GatewayResponse map_alb_result(const AlbRule& rule, std::string_view function_result_json) {
  GatewayResponse out;
  const json result = json::parse(function_result_json, nullptr, false);
  std::optional<std::string> problem;
  if (result.is_discarded()) {
    problem = "the function's result is not JSON";
  } else if (function_result_json.size() > kResponseLimit) {
    problem = "the function's result is over ALB's 1 MB limit";
  } else {
    problem = read_result(rule, result, out);
  }
  if (problem) {
    out = alb_error_response(502);
    out.reason = *problem;
  }
  return out;
}

GatewayResponse alb_error_response(int status) {
  GatewayResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/html"}};
  r.body = fmt::format(
      "<html>\r\n<head><title>{0} {1}</title></head>\r\n<body>\r\n<center><h1>{0} "
      "{1}</h1></center>\r\n</body>\r\n</html>\r\n",
      status, reason_phrase(status));
  return r;
}

GatewayResponse alb_not_found_response() {
  GatewayResponse r;
  r.status = 404;
  r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  r.body = "Not Found";
  return r;
}

}  // namespace fx::gateway
