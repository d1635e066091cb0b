// Lambda function URLs: the control plane's Create/Get/Update/Delete/ListFunctionUrlConfig(s),
// and each URL served on the gateway's port at http://URLID.lambda-url.REGION.localhost:PORT/
// (any name under .localhost resolves to loopback) as Lambda serves
// https://URLID.lambda-url.REGION.on.aws/: the HTTP API payload 2.0 event, the 2.0 response
// mapping, CORS answered from the URL's configuration, AWS_IAM checked as SigV4.
//
// Each URL is kept as a document named kUrlService + FUNCTION + "/" + QUALIFIER in the state
// store (as resource policies are), so a URL and its id survive a restart.
#include "core/aws/api_error.h"
#include "core/emulator/control_requests.h"
#include "core/emulator/emulator_front.h"
#include "core/gateway/payload.h"

namespace fx::emulator::front {

namespace {

constexpr std::string_view kUrlService = "lambda-api-url/";

lambda::ApiError no_url() {
  return lambda::ApiError(404, "ResourceNotFoundException",
                          "The resource you requested does not exist.");
}

std::string url_timestamp() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", fmt::gmtime(secs), us % 1000000);
}

std::string url_service(const std::string& function, const std::string& qualifier) {
  return fmt::format("{}{}/{}", kUrlService, function, qualifier);
}

// Lambda's URLs answer their own refusals as {"Message": ...}.
HttpResponse url_message(int status, std::string_view message) {
  auto res = HttpResponse::json(
      status, json{{"Message", message}}.dump(-1, ' ', false, json::error_handler_t::replace));
  return res;
}

}  // namespace

bool Emulator::is_function_url(const std::string& service) {
  return service.starts_with(kUrlService);
}

void Emulator::restore_function_url(const std::string& text) {
  FunctionUrl url = function_url_from_stored(text);
  function_urls_[url.url_id] = std::move(url);
}

void Emulator::drop_function_urls(const std::string& function) {
  for (auto it = function_urls_.begin(); it != function_urls_.end();) {
    if (it->second.function == function) {
      sink_.reader().delete_service(url_service(function, it->second.qualifier));
      it = function_urls_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string Emulator::function_url_public(const FunctionUrl& url) const {
  return fmt::format("http://{}{}/", function_url_host(url),
                     gateway_url_.substr(gateway_url_.rfind(':')));
}

void Emulator::function_url_config(HttpRequest& req, Responder& r, std::string_view rest) {
  // rest: "NAME/url" or "NAME/urls"
  const auto slash = rest.rfind('/');
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (slash == std::string_view::npos || (action != "url" && action != "urls"))
    throw lambda::ApiError(404, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  const auto ref = checked_function_ref(url_decode(rest.substr(0, slash)));
  const auto& fn = existing(ref.name, req);
  const std::string& base_arn = fn.spec.config.function_arn;

  if (action == "urls") {
    if (req.method != "GET")
      throw lambda::ApiError(405, "UnknownOperationException",
                             fmt::format("Unknown operation {} {}", req.method, req.path));
    auto param = [&](std::string_view key) -> std::optional<std::string> {
      auto values = req.query_params(key, true);
      if (values.empty()) return std::nullopt;
      return std::move(values.front());
    };
    if (auto max = param("MaxItems")) {
      bool numeric = !max->empty() && max->size() <= 9;
      for (char c : *max) numeric &= c >= '0' && c <= '9';
      const long n = numeric ? std::stol(*max) : 0;
      if (n < 1 || n > 50)
        throw lambda::ApiError(
            400, "ValidationException",
            fmt::format("1 validation error detected: Value '{}' at 'maxItems' failed to "
                        "satisfy constraint: Member must have value less than or equal to 50",
                        max->substr(0, 64)));
    }
    std::vector<std::string> keys;  // qualifiers, "" (the function itself) first
    for (const auto& [id, u] : function_urls_)
      if (u.function == ref.name) keys.push_back(u.qualifier);
    std::sort(keys.begin(), keys.end());
    const auto page = page_of(keys, param("Marker"), param("MaxItems"));
    json list = json::array();
    for (std::size_t i = page.begin; i < page.end; ++i)
      for (const auto& [id, u] : function_urls_)
        if (u.function == ref.name && u.qualifier == keys[i])
          list.push_back(json::parse(
              function_url_json(u, u.qualifier.empty() ? base_arn : base_arn + ":" + u.qualifier,
                                function_url_public(u), true)));
    json out = {{"FunctionUrlConfigs", list}};
    if (page.next_marker) out["NextMarker"] = *page.next_marker;
    return r.send(HttpResponse::json(200, out.dump()));
  }

  if (req.method != "POST" && req.method != "GET" && req.method != "PUT" && req.method != "DELETE")
    throw lambda::ApiError(405, "UnknownOperationException",
                           fmt::format("Unknown operation {} {}", req.method, req.path));
  const std::string qualifier = qualifier_of(ref, req);
  check_function_url_qualifier(qualifier);
  // An alias that does not exist is Lambda's 404, as for every qualified call.
  if (!qualifier.empty()) resolve(ref.name, qualifier, req, false);
  const std::string arn = qualifier.empty() ? base_arn : base_arn + ":" + qualifier;
  FunctionUrl* current = nullptr;
  for (auto& [id, u] : function_urls_)
    if (u.function == ref.name && u.qualifier == qualifier) current = &u;
  auto save = [&](const FunctionUrl& u) {
    sink_.reader().put_service(url_service(u.function, u.qualifier), function_url_to_stored(u));
  };
  auto note_streaming = [&](const FunctionUrl& u) {
    if (u.invoke_mode == "RESPONSE_STREAM")
      fmt::print(stderr,
                 "fx emulator: function URL of {}: InvokeMode RESPONSE_STREAM is kept, but the "
                 "local URL answers buffered (the whole response once the function returns)\n",
                 arn);
  };

  if (req.method == "POST") {
    const auto f = parse_function_url_fields(req.body, true);
    if (current)
      throw lambda::ApiError(
          409, "ResourceConflictException",
          fmt::format("Failed to create function url config for [functionArn = {}]. Error "
                      "message:  FunctionUrlConfig exists for this Lambda function",
                      arn));
    FunctionUrl u;
    u.function = ref.name;
    u.qualifier = qualifier;
    u.region = request_region(req, options_.region);
    do {
      u.url_id = new_function_url_id();
    } while (function_urls_.contains(u.url_id));
    u.auth_type = *f.auth_type;
    if (f.invoke_mode) u.invoke_mode = *f.invoke_mode;
    u.cors = f.cors;
    u.creation_time = u.last_modified_time = url_timestamp();
    save(u);
    note_streaming(u);
    std::string out = function_url_json(u, arn, function_url_public(u), false);
    function_urls_[u.url_id] = std::move(u);
    return r.send(HttpResponse::json(201, std::move(out)));
  }
  if (!current) throw no_url();
  if (req.method == "GET")
    return r.send(HttpResponse::json(
        200, function_url_json(*current, arn, function_url_public(*current), true)));
  if (req.method == "PUT") {
    const auto f = parse_function_url_fields(req.body, false);
    FunctionUrl u = *current;
    if (f.auth_type) u.auth_type = *f.auth_type;
    if (f.invoke_mode) u.invoke_mode = *f.invoke_mode;
    if (f.cors) u.cors = f.cors;
    u.last_modified_time = url_timestamp();
    save(u);
    note_streaming(u);
    *current = u;
    return r.send(HttpResponse::json(200, function_url_json(u, arn, function_url_public(u), true)));
  }
  // DELETE
  sink_.reader().delete_service(url_service(ref.name, qualifier));
  function_urls_.erase(current->url_id);
  HttpResponse res;
  res.status = 204;
  r.send(std::move(res));
}

bool Emulator::serve_function_url(HttpRequest& req, const std::shared_ptr<Responder>& r) {
  const auto host = parse_function_url_host(req.header("Host"));
  if (!host) return false;
  // An id no URL has, or another region's: Lambda's front answers 403 without saying which.
  auto it = function_urls_.find(host->url_id);
  if (it == function_urls_.end() || it->second.region != host->region) {
    r->send(url_message(403, "Forbidden"));
    return true;
  }
  const FunctionUrl url = it->second;
  const std::string origin(req.header("Origin"));
  // A browser's preflight, answered from the configuration without invoking the function.
  if (url.cors && req.method == "OPTIONS" && !origin.empty() &&
      !req.header("Access-Control-Request-Method").empty()) {
    HttpResponse res;
    res.status = 200;
    for (auto& [name, value] : function_url_preflight_headers(
             *url.cors, origin, req.header("Access-Control-Request-Method"),
             req.header("Access-Control-Request-Headers")))
      res.set(name, value);
    r->send(std::move(res));
    return true;
  }
  json iam;
  if (url.auth_type == "AWS_IAM") {
    // Signed for Lambda with the emulator's credentials (those its instances get), or refused.
    std::string_view auth = req.header("Authorization");
    const auto cred_at = auth.find("Credential=");
    std::string_view scope =
        cred_at == std::string_view::npos ? std::string_view() : auth.substr(cred_at + 11);
    scope = scope.substr(0, scope.find_first_of(", "));
    if (!scope.empty() && scope.find("/lambda/aws4_request") == std::string_view::npos) {
      r->send(url_message(403, "Credential should be scoped to correct service: 'lambda'. "));
      return true;
    }
    try {
      if (check_instance_signature(req, credentials_, std::chrono::system_clock::now()) !=
          InstanceSignature::valid) {
        r->send(url_message(403, "Forbidden"));
        return true;
      }
    } catch (const aws::ApiError& e) {
      r->send(url_message(403, e.what()));
      return true;
    }
    const std::string role =
        fmt::format("arn:aws:sts::{}:assumed-role/fx-local/fx-emulator", lambda::kLocalAccount);
    iam = {{"accessKey", credentials_.access_key_id},
           {"accountId", lambda::kLocalAccount},
           {"callerId", "AROAFXLOCAL:fx-emulator"},
           {"cognitoIdentity", nullptr},
           {"principalOrgId", nullptr},
           {"userArn", role},
           {"userId", "AROAFXLOCAL:fx-emulator"}};
  }
  if (req.body.size() > kSyncPayloadLimit) {
    r->send(url_message(413,
                        "Request must be smaller than 6291456 bytes for the "
                        "InvokeFunction operation"));
    return true;
  }

  Target target;
  try {
    target = resolve(url.function, url.qualifier, req, true);
  } catch (const lambda::ApiError&) {
    // The alias went away under the URL.
    r->send(url_message(404, "Not Found"));
    return true;
  }
  gateway::GatewayRequest g;
  g.method = req.method;
  g.raw_path = req.path;
  g.raw_query = req.query;
  g.headers = req.headers;
  g.body = std::move(req.body);
  g.source_ip = "127.0.0.1";
  g.time_ms = util::now_ms();
  g.request_id = new_request_id();
  gateway::RouteTable::Match match;
  match.resource = match.route_key = "$default";
  json event = json::parse(gateway::build_event_v2(g, match));
  auto& context = event["requestContext"];
  context["apiId"] = url.url_id;
  context["domainName"] = host->host;
  context["domainPrefix"] = url.url_id;
  if (!iam.is_null()) context["authorizer"] = {{"iam", iam}};

  auto inv = std::make_shared<Invocation>();
  inv->request_id = g.request_id;
  inv->payload = event.dump(-1, ' ', false, json::error_handler_t::replace);
  if (!url.qualifier.empty()) inv->invoked_arn = target.arn;
  inv->done = [this, r, url, origin, function = target.key](InvocationResult result) {
    HttpResponse res;
    if (result.status == 429) {
      res = url_message(429, "Rate Exceeded.");
    } else if (result.status != 200 || !result.function_error.empty()) {
      // The function's error is in its log; the client gets Lambda's bare 502.
      res.status = 502;
      res.set("Content-Type", "text/plain");
      res.body = "Internal Server Error";
    } else {
      auto out = gateway::map_result_v2(result.body);
      if (!out.reason.empty()) {
        sink_.emit(function, result.request_id,
                   fmt::format("fx function URL {}: {} (502 to the client)", function_url_host(url),
                               out.reason));
        res.status = 502;
        res.set("Content-Type", "text/plain");
        res.body = "Internal Server Error";
      } else {
        res.status = out.status;
        res.headers = std::move(out.headers);
        res.body = std::move(out.body);
      }
    }
    // The URL's CORS configuration decides these headers, whatever the function set.
    if (url.cors && !origin.empty()) {
      std::erase_if(res.headers, [](const auto& h) {
        return util::iequals(h.first, "Access-Control-Allow-Origin") ||
               util::iequals(h.first, "Access-Control-Allow-Credentials") ||
               util::iequals(h.first, "Access-Control-Expose-Headers");
      });
      for (auto& [name, value] : function_url_cors_headers(*url.cors, origin))
        res.headers.emplace_back(name, value);
    }
    res.set("x-amzn-RequestId", result.request_id);
    r->send(std::move(res));
  };
  pool_.invoke(target.key, std::move(inv));
  return true;
}

}  // namespace fx::emulator::front
