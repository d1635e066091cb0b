#include "core/gateway/routes.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>
#include "core/gateway/jwt_authorizer.h"

#include "core/gateway/lambda_integration.h"
#include "core/manifest/authorizers.h"
#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::gateway {
namespace {

using Segment = RouteTable::Segment;
using Compiled = RouteTable::Compiled;

// In the order messages list them; allowed_methods spells "ANY" out as the seven before it.
constexpr std::array<std::string_view, 8> kMethods = {"GET",    "POST", "PUT",     "PATCH",
                                                      "DELETE", "HEAD", "OPTIONS", "ANY"};
constexpr std::string_view kPathHint =
    "a path is '/' then segments: literals, {name} or a last {name+}; e.g. /users/{id}";

bool is_catch_all(const RouteSpec& route) {
  return route.api == manifest::HttpApi::http && route.path == "*";
}

// API Gateway takes letters, digits, '_' and '-' in parameter names; a name that starts like
// an identifier keeps `event.pathParameters.name` usable from every runtime.
bool is_param_name(std::string_view name) {
  if (name.empty()) return false;
  const auto c0 = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(c0) && c0 != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

// Splits a template into segments, or says what is wrong with it (the text after "path 'P' ").
// A trailing slash is dropped: API Gateway treats "/a/" as "/a".
std::optional<std::string> parse_template(std::string_view path, std::vector<Segment>& out) {
  out.clear();
  if (path.empty()) return "is empty";
  if (path.front() != '/') return "does not start with '/'";
  for (char c : path) {
    if (c == '?' || c == '#') {
      return fmt::format("has a '{}'; a route's path has no query or fragment", c);
    }
    if (std::isspace(static_cast<unsigned char>(c))) return std::string("has a space in it");
    if (c == '*') return std::string("has a '*'; only httpApi: '*' alone is a catch-all");
  }
  std::string_view rest = path.substr(1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) return std::nullopt;  // "/": the root, no segments

  std::set<std::string, std::less<>> names;
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view segment = rest.substr(start, end - start);
    const bool last = end == rest.size();
    start = end + 1;

    if (segment.empty()) return std::string("has an empty segment ('//')");
    const std::size_t open = segment.find('{');
    const std::size_t close = segment.find('}');
    if (open == std::string_view::npos && close == std::string_view::npos) {
      out.push_back({Segment::Kind::literal, std::string(segment)});
      continue;
    }
    if (open != std::string_view::npos && close == std::string_view::npos) {
      return std::string("has an unclosed '{'");
    }
    if (close < open) return std::string("has a '}' with no '{' before it");
    if (open != 0 || close != segment.size() - 1 || segment.find_first_of("{}", 1) != close) {
      return fmt::format("has '{}': a parameter must be a whole segment, e.g. /a/{{id}}/b",
                         segment);
    }
    std::string_view name = segment.substr(1, segment.size() - 2);
    const bool greedy = !name.empty() && name.back() == '+';
    if (greedy) name.remove_suffix(1);
    if (!is_param_name(name)) {
      return fmt::format(
          "has the parameter '{}', whose name is not a letter or '_' then letters, digits, '_' "
          "or '-'",
          segment);
    }
    if (greedy && !last) {
      return fmt::format("has '{}' before its end; a greedy parameter must be the last segment",
                         segment);
    }
    if (!names.insert(std::string(name)).second) {
      return fmt::format("names the parameter '{}' twice", name);
    }
    out.push_back({greedy ? Segment::Kind::greedy : Segment::Kind::param, std::string(name)});
  }
  return std::nullopt;
}

std::string segment_text(const Segment& s) {
  switch (s.kind) {
    case Segment::Kind::literal:
      return s.text;
    case Segment::Kind::param:
      return "{" + s.text + "}";
    case Segment::Kind::greedy:
      return "{" + s.text + "+}";
  }
  return s.text;
}

// The template as matched and reported: no trailing slash.
std::string template_path(const std::vector<Segment>& segments) {
  if (segments.empty()) return "/";
  std::string path;
  for (const auto& s : segments) path += "/" + segment_text(s);
  return path;
}

// "/a/{id}" and "/a/{name}" route the same requests: one key for both.
std::string shape_of(const std::vector<Segment>& segments) {
  if (segments.empty()) return "/";
  std::string shape;
  for (const auto& s : segments) {
    shape += '/';
    shape += s.kind == Segment::Kind::literal ? s.text
             : s.kind == Segment::Kind::param ? "{}"
                                              : "{+}";
  }
  return shape;
}

std::string where(const RouteSpec& route) {
  return fmt::format("{}: function '{}'", route.mark.str(), route.function_key);
}

std::string route_text(const RouteSpec& route) {
  return is_catch_all(route) ? std::string("*") : route.method + " " + route.path;
}

// REST APIs build a resource tree: siblings may not hold two different variables ("/a/{id}"
// next to "/a/{name}/b" fails the deploy on AWS), so that is caught here first.
void check_rest_siblings(const std::vector<const RouteSpec*>& rest,
                         const std::vector<std::vector<Segment>>& segments) {
  for (std::size_t i = 0; i < rest.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = segments[j];
      const auto& b = segments[i];
      for (std::size_t k = 0; k < a.size() && k < b.size(); ++k) {
        const bool a_var = a[k].kind != Segment::Kind::literal;
        const bool b_var = b[k].kind != Segment::Kind::literal;
        if (a_var && b_var) {
          if (a[k].kind != b[k].kind || a[k].text != b[k].text) {
            throw Error(fmt::format("{}: http path '{}' has '{}' where function '{}' ({}) has '{}' "
                                    "in '{}'; a REST API allows one parameter per position",
                                    where(*rest[i]), rest[i]->path, segment_text(b[k]),
                                    rest[j]->function_key, rest[j]->mark.str(), segment_text(a[k]),
                                    rest[j]->path),
                        "use the same parameter name in both paths");
          }
          continue;
        }
        if (a_var != b_var || a[k].text != b[k].text) break;  // different subtrees from here
      }
    }
  }
}

// Splits a request path (percent-encoded) into raw segments. Lenient as API Gateway: "" is
// "/", and one trailing slash is dropped.
std::vector<std::string_view> split_request(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = path.find('/', start);
    segments.push_back(path.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

bool matches(const Compiled& route, const std::vector<std::string_view>& segments,
             std::map<std::string, std::string>* params) {
  const auto& t = route.segments;
  std::size_t i = 0;
  for (; i < t.size(); ++i) {
    if (t[i].kind == Segment::Kind::greedy) {
      if (i >= segments.size()) return false;  // greedy takes one segment or more
      if (params) {
        std::string joined;
        for (std::size_t k = i; k < segments.size(); ++k) {
          if (k > i) joined += '/';
          joined += segments[k];
        }
        (*params)[t[i].text] = util::url_decode(joined);
      }
      return true;
    }
    if (i >= segments.size()) return false;
    if (t[i].kind == Segment::Kind::literal) {
      if (segments[i] != t[i].text && util::url_decode(segments[i]) != t[i].text) return false;
    } else {
      if (segments[i].empty()) return false;
      if (params) (*params)[t[i].text] = util::url_decode(segments[i]);
    }
  }
  return i == segments.size();
}

// Negative when `a` is the more specific template: position by position a literal beats a
// parameter, which beats a greedy one.
int compare_specificity(const Compiled& a, const Compiled& b) {
  const std::size_t n = std::min(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int ka = static_cast<int>(a.segments[i].kind);
    const int kb = static_cast<int>(b.segments[i].kind);
    if (ka != kb) return ka - kb;
  }
  // Both matched the same path, so a longer template can only differ by a greedy tail; the
  // one with more fixed segments before it is the more specific.
  return static_cast<int>(b.segments.size()) - static_cast<int>(a.segments.size());
}

}  // namespace

namespace {

// The authorizer fx deploy resolved into the event's JSON (manifest::kResolvedAuthorizerKey).
std::optional<manifest::RouteAuthorizer> resolved_authorizer(const std::string& config_json) {
  if (config_json.find(manifest::kResolvedAuthorizerKey) == std::string::npos) return std::nullopt;
  const auto config = nlohmann::json::parse(config_json, nullptr, false);
  const std::string key(manifest::kResolvedAuthorizerKey);
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  return manifest::parse_route_authorizer(config[key].dump());
}

void add_routes(std::vector<RouteSpec>& routes, const std::string& function,
                const std::string& function_key, const std::vector<manifest::Event>& events,
                const std::string& http_api_payload) {
  for (const auto* event : manifest::events_of<manifest::HttpEvent>(events)) {
    RouteSpec route;
    route.function = function;
    route.function_key = function_key;
    route.api = event->api;
    route.method = event->method;
    route.path = event->path;
    route.cors = event->cors;
    route.is_private = event->is_private;
    route.payload_version = event->api == manifest::HttpApi::rest ? "1.0" : http_api_payload;
    route.mark = event->mark;
    if (event->api == manifest::HttpApi::http && !event->config_json.empty()) {
      const auto authorizer = authorizer_of(event->config_json);
      if (!authorizer.empty()) route.authorizer_json = authorizer;
    }
    if (event->api == manifest::HttpApi::rest && !event->config_json.empty()) {
      if (auto integration = lambda_integration_of(event->config_json, where(route)))
        route.integration = std::make_shared<const LambdaIntegration>(std::move(*integration));
    }
    if (auto authorizer = resolved_authorizer(event->config_json))
      route.authorizer = std::make_shared<const manifest::RouteAuthorizer>(std::move(*authorizer));
    routes.push_back(std::move(route));
  }
}

}  // namespace

std::vector<RouteSpec> routes_from_service(const manifest::Service& service) {
  std::vector<RouteSpec> routes;
  const std::string http_api_payload =
      service.http_api_payload.empty() ? "2.0" : service.http_api_payload;
  for (const auto& fn : service.functions)
    add_routes(routes, fn.name, fn.key, fn.events, http_api_payload);
  return routes;
}

std::vector<RouteSpec> routes_from_events(const manifest::ServiceEvents& events) {
  std::vector<RouteSpec> routes;
  for (const auto& fn : events.functions)
    add_routes(routes, fn.name, fn.key, fn.events, events.http_api_payload);
  return routes;
}

void validate_routes(const std::vector<RouteSpec>& routes) {
  std::vector<std::vector<Segment>> segments(routes.size());
  // "TYPE METHOD SHAPE" -> the first route that claimed it.
  std::map<std::string, const RouteSpec*> taken;
  std::vector<const RouteSpec*> rest;
  std::vector<std::vector<Segment>> rest_segments;

  for (std::size_t i = 0; i < routes.size(); ++i) {
    const RouteSpec& route = routes[i];
    const std::string_view type = manifest::event_key(route.api);
    if (std::find(kMethods.begin(), kMethods.end(), route.method) == kMethods.end()) {
      throw Error(fmt::format("{}: {} method '{}' is not one of {}", where(route), type,
                              route.method, fmt::join(kMethods, ", ")),
                  "use one of those, or ANY for every method");
    }
    std::string key;
    if (is_catch_all(route)) {
      if (route.method != "ANY") {
        throw Error(fmt::format("{}: httpApi path '*' (the catch-all) takes every method, not only "
                                "{}",
                                where(route), route.method),
                    "drop the method, or give a path such as /{proxy+}");
      }
      key = "httpApi $default";
    } else {
      if (const auto problem = parse_template(route.path, segments[i])) {
        throw Error(fmt::format("{}: {} path '{}' {}", where(route), type, route.path, *problem),
                    std::string(kPathHint));
      }
      key = fmt::format("{} {} {}", type, route.method, shape_of(segments[i]));
      if (route.api == manifest::HttpApi::rest) {
        rest.push_back(&route);
        rest_segments.push_back(segments[i]);
      }
    }
    const auto [it, inserted] = taken.emplace(key, &route);
    if (!inserted) {
      const RouteSpec& first = *it->second;
      throw Error(
          fmt::format("{}: {} '{}' is already routed to function '{}' by its event at {} ('{}')",
                      where(route), type, route_text(route), first.function_key, first.mark.str(),
                      route_text(first)),
          "API Gateway sends each method and path to one function: change one of the two");
    }
  }
  check_rest_siblings(rest, rest_segments);
}

RouteTable::RouteTable(std::vector<RouteSpec> routes, std::string stage)
    : routes_(std::move(routes)), stage_(std::move(stage)) {
  validate_routes(routes_);
  compiled_.resize(routes_.size());
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (is_catch_all(routes_[i])) {
      compiled_[i].catch_all = true;
    } else {
      parse_template(routes_[i].path, compiled_[i].segments);
    }
  }
}

namespace {

// Which routes one matching pass looks at, and against which segments.
struct Pass {
  manifest::HttpApi api;  // catch-alls are a pass of their own
  bool catch_all;
  bool stage_stripped;
};
constexpr Pass kPasses[] = {{manifest::HttpApi::rest, false, true},
                            {manifest::HttpApi::http, false, false},
                            {manifest::HttpApi::rest, false, false},
                            {manifest::HttpApi::http, true, false}};

}  // namespace

RouteTable::Outcome RouteTable::find(std::string_view method, std::string_view path,
                                     Match& out) const {
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (path.empty()) path = "/";

  const auto segments = split_request(path);
  // The path under "/STAGE", when it has that prefix.
  std::optional<std::string_view> stripped;
  std::vector<std::string_view> stripped_segments;
  if (!stage_.empty() && !segments.empty() && segments.front() == stage_) {
    // A target need not start with "/" (the HTTP parser passes "dev?x" on as it came), so
    // the stage segment starts where split_request found it, not at a fixed offset.
    const std::size_t stage_start = path.front() == '/' ? 1 : 0;
    stripped = path.substr(stage_start + stage_.size());
    if (stripped->empty()) stripped = "/";
    stripped_segments.assign(segments.begin() + 1, segments.end());
  }

  bool path_served = false;  // by some route, with another method
  for (const Pass& pass : kPasses) {
    if (pass.stage_stripped && !stripped) continue;
    const auto& segs = pass.stage_stripped ? stripped_segments : segments;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < routes_.size(); ++i) {
      const RouteSpec& route = routes_[i];
      if (route.api != pass.api || compiled_[i].catch_all != pass.catch_all) continue;
      if (!pass.catch_all && !matches(compiled_[i], segs, nullptr)) continue;
      if (route.method != upper && route.method != "ANY") {
        path_served = true;
        continue;
      }
      if (!best) {
        best = i;
        continue;
      }
      const int order = compare_specificity(compiled_[i], compiled_[*best]);
      // On equal templates a named method beats ANY (validation leaves no other tie).
      if (order < 0 || (order == 0 && routes_[*best].method == "ANY" && route.method != "ANY")) {
        best = i;
      }
    }
    if (!best) continue;

    const RouteSpec& route = routes_[*best];
    out = Match{};
    out.route = &route;
    if (pass.catch_all) {
      out.resource = "$default";
      out.route_key = "$default";
    } else {
      matches(compiled_[*best], segs, &out.path_parameters);
      out.resource = template_path(compiled_[*best].segments);
      out.route_key = route.method + " " + out.resource;
    }
    out.stage_path_stripped = std::string(pass.stage_stripped ? *stripped : path);
    return Outcome::matched;
  }
  return path_served ? Outcome::method_not_allowed : Outcome::not_found;
}

namespace {

template <typename F>
void for_each_serving(const std::vector<RouteSpec>& routes, const std::vector<Compiled>& compiled,
                      const std::string& stage, std::string_view path, F&& visit) {
  const auto segments = split_request(path);
  std::vector<std::string_view> stripped;
  const bool prefixed = !stage.empty() && !segments.empty() && segments.front() == stage;
  if (prefixed) stripped.assign(segments.begin() + 1, segments.end());
  for (std::size_t i = 0; i < routes.size(); ++i) {
    if (compiled[i].catch_all) continue;
    const bool served = matches(compiled[i], segments, nullptr) ||
                        (prefixed && routes[i].api == manifest::HttpApi::rest &&
                         matches(compiled[i], stripped, nullptr));
    if (served) visit(routes[i]);
  }
}

}  // namespace

std::vector<std::string> RouteTable::allowed_methods(std::string_view path) const {
  std::set<std::string> methods;
  for_each_serving(routes_, compiled_, stage_, path, [&](const RouteSpec& route) {
    if (route.method == "ANY") {
      for (auto m : kMethods) {
        if (m != "ANY") methods.emplace(m);
      }
    } else {
      methods.insert(route.method);
    }
    if (route.cors) methods.emplace("OPTIONS");
  });
  return {methods.begin(), methods.end()};
}

bool RouteTable::cors_preflight(std::string_view path) const {
  bool cors = false;
  bool declares_options = false;
  for_each_serving(routes_, compiled_, stage_, path, [&](const RouteSpec& route) {
    cors = cors || route.cors;
    declares_options = declares_options || route.method == "OPTIONS";
  });
  return cors && !declares_options;
}

}  // namespace fx::gateway
