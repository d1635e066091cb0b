// An `http` event's `cors` (a REST API's), as the Serverless Framework (v3, "Enabling CORS")
// sets it up: an OPTIONS method on the path answered by a MOCK integration, with
// Access-Control-Allow-Origin, -Headers, -Methods (the path's methods and OPTIONS), and, when
// asked, -Credentials, -Max-Age and Cache-Control. With several origins the answer names the
// request's Origin when it is one of them ("*" in an origin matches any characters), else the
// first. The framework adds nothing to the answers of lambda-proxy routes: their function
// sends its own CORS headers, as on AWS.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/payload.h"

namespace fx::gateway {

struct RestCors {
  std::vector<std::string> origins{"*"};
  std::vector<std::string> headers;  // the framework's defaults unless given
  std::vector<std::string> methods;  // empty: the path's methods and OPTIONS
  bool allow_credentials = false;
  int max_age_s = -1;  // -1: not sent
  std::string cache_control;
};

// The `cors` of an http event's JSON text (its value in the manifest): nullopt when it is
// absent or false; `true` and an object's missing settings take the framework's defaults.
std::optional<RestCors> rest_cors_of(std::string_view event_config_json);

// The Access-Control-Allow-Origin a request from `origin` gets ("" when it sends none).
std::string rest_allowed_origin(const RestCors& cors, std::string_view origin);

// The preflight's answer (200, empty body), `path_methods` being RouteTable::allowed_methods.
GatewayResponse rest_preflight_response(const RestCors& cors,
                                        const std::vector<std::string>& path_methods,
                                        std::string_view origin);

}  // namespace fx::gateway
