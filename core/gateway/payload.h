// Translation between HTTP and Lambda for the local API gateway: the event a function gets
// for a request (REST/HTTP API payload 1.0, HTTP API payload 2.0) and the HTTP response made
// of what it returns, with the fixed answers API Gateway gives itself (404, 405, 413,
// errors, CORS preflights). JSON crosses this header as text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/gateway/routes.h"

namespace fx::gateway {

struct GatewayRequest {
  std::string method;     // "GET"
  std::string raw_path;   // percent-encoded as received, no query: "/dev/hello/a%20b"
  std::string raw_query;  // after '?', as received: "a=1&a=2"; "" when none
  std::vector<std::pair<std::string, std::string>> headers;  // original case, repeats kept
  std::string body;
  std::string source_ip;
  std::int64_t time_ms = 0;  // when the request arrived, ms since the epoch
  std::string request_id;
  std::string authorizer;  // JSON object for requestContext.authorizer; empty: none
  // JSON object of members added to payload 1.0's requestContext.identity (an aws_iam
  // caller's accessKey, user, userArn, ...); empty: none.
  std::string identity;
};

// The first value of a header (case-insensitive), or "" when absent: Origin, x-api-key, ...
std::string_view header_value(const GatewayRequest& request, std::string_view name);

// Payload 1.0 (`http` routes, and `httpApi` with provider.httpApi.payload '1.0'). `stage` is
// the service's stage: requestContext.stage and the prefix of requestContext.path for `http`
// routes; `httpApi` routes are on the "$default" stage with no prefix.
std::string build_event_v1(const GatewayRequest& request, const RouteTable::Match& match,
                           const std::string& stage);
// Payload 2.0 (`httpApi`). The stage is always "$default".
std::string build_event_v2(const GatewayRequest& request, const RouteTable::Match& match);
// The one of the two that match.route->payload_version asks for.
std::string build_event(const GatewayRequest& request, const RouteTable::Match& match,
                        const std::string& stage);

struct GatewayResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Why this is an error response the function did not ask for ("the handler returned a body
  // that is not a string"), for the emulator's log; never sent. Empty otherwise.
  std::string reason;
};

// REST APIs and HTTP APIs fail differently: a REST API answers a bad function result with
// 502 {"message": "Internal server error"}, an HTTP API (either payload) with 500
// {"message":"Internal Server Error"}; they also default a missing Content-Type differently.
using ApiKind = manifest::HttpApi;
ApiKind api_kind(const RouteSpec& route);  // "http" -> rest, "httpApi" -> http

// A payload 1.0 result: an object with an integer statusCode (100-599) and optional headers,
// multiValueHeaders (its values win for a name both give), body (a string or null) and
// isBase64Encoded (the body is then decoded). Anything else is the error response, with
// `reason` saying what was wrong.
GatewayResponse map_result_v1(std::string_view function_result_json, ApiKind api = ApiKind::rest);
// A payload 2.0 result: an object with statusCode is read as in 1.0 plus `cookies` (each a
// Set-Cookie header; multiValueHeaders does not exist in 2.0); any other JSON value is a 200
// application/json response of that value (a JSON string's text as is, anything else as
// JSON). Invalid JSON is the HTTP API error response.
GatewayResponse map_result_v2(std::string_view function_result_json);
// The one of the two that route.payload_version asks for.
GatewayResponse map_result(const RouteSpec& route, std::string_view function_result_json);

// The function failed (an unhandled error, a timeout, a crash): what API Gateway answers.
GatewayResponse function_error_response(ApiKind api = ApiKind::rest);
GatewayResponse not_found_response();           // 404 {"message":"Not Found"}
GatewayResponse method_not_allowed_response();  // 405 {"message":"Method Not Allowed"}
GatewayResponse payload_too_large_response();   // 413 {"message":"Request Entity Too Large"}
GatewayResponse forbidden_response();           // 403 {"message":"Forbidden"}: no valid x-api-key

// The answer to a CORS preflight on a `cors: true` route, as the Serverless Framework sets
// `cors: true` up: any origin, `allowed_methods` (RouteTable::allowed_methods) and the
// framework's default request headers.
GatewayResponse cors_preflight_response(const std::vector<std::string>& allowed_methods);
// Adds Access-Control-Allow-Origin: * to a response on a `cors: true` route, unless the
// function set it itself.
void add_cors_headers(GatewayResponse& response);

}  // namespace fx::gateway
