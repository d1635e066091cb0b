// An HTTP API's CORS configuration (provider.httpApi.cors) on the local gateway, as API
// Gateway applies one: it answers every preflight on the API itself (204, no function runs)
// and puts the CORS headers on every response to an allowed origin, replacing any the
// function set.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/payload.h"
#include "core/gateway/routes.h"

namespace fx::gateway {

struct HttpApiCors {
  std::vector<std::string> allow_origins;  // "*", "https://a.example", "https://*.example"
  std::vector<std::string> allow_headers;  // "*" for any
  std::vector<std::string> allow_methods;  // "*" for any
  std::vector<std::string> expose_headers;
  bool allow_credentials = false;
  int max_age_s = -1;  // -1: not sent
};

// provider.httpApi.cors from the service's http_api document ("cors": true or the object the
// Serverless Framework takes: allowedOrigins, allowedHeaders, allowedMethods,
// allowCredentials, exposedResponseHeaders, maxAge); nullopt when it is absent or false.
// `true`, and an object's missing lists, take the framework's defaults: any origin, its
// usual request headers, OPTIONS and the methods of the service's httpApi routes.
std::optional<HttpApiCors> http_api_cors_of(std::string_view http_api_json,
                                            const std::vector<RouteSpec>& routes);

// A browser's preflight: OPTIONS with Origin and Access-Control-Request-Method.
bool is_preflight(const GatewayRequest& request);

// The gateway's answer to a preflight: 204, with the CORS headers when the origin, the
// method and every requested header are allowed, without them otherwise (the browser then
// refuses the call).
GatewayResponse http_api_preflight(const HttpApiCors& cors, const GatewayRequest& request);

// Drops the function's own CORS headers from a response and, when `origin` (the request's
// Origin, "" when none) is allowed, puts the configured ones.
void add_http_api_cors(const HttpApiCors& cors, std::string_view origin, GatewayResponse& response);

}  // namespace fx::gateway
