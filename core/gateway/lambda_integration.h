// REST `http` events with `integration: lambda` (API Gateway's non-proxy AWS integration), as
// the Serverless Framework sets them up: its default request templates build the event, the
// function's return value is the response body as is, and `response.statusCodes` patterns
// matched against a failed function's errorMessage pick the status. fx runs only those default
// templates: a custom `request.template` or `response.template` (VTL) is refused when the
// manifest is read, as is a setting whose behaviour fx does not reproduce.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/gateway/payload.h"

namespace fx::gateway {

struct LambdaIntegration {
  // A method response header's value: a static 'literal', or a field of the function's result
  // (integration.response.body, integration.response.body.a.b).
  struct Header {
    std::string name;
    std::string literal;
    bool from_body = false;
    std::vector<std::string> body_path;  // when from_body: the keys to follow
  };
  struct StatusCode {
    int status = 200;
    std::string pattern;  // a regular expression; "" marks the default response
    std::vector<Header> headers;
  };
  std::vector<StatusCode> status_codes;  // by ascending status
  std::vector<Header> headers;           // response.headers: on every status
  bool json_template = true;             // application/json requests have a template
  bool form_template = true;             // application/x-www-form-urlencoded ones too
};

// The integration an http event's settings ask for (`event_json`, the event's value as JSON
// text): nullopt for the proxy integration (none given, lambda-proxy, aws_proxy...). `where`
// starts each message ("serverless.yaml:12:9: function 'hello'"). Throws fx::Error for an
// integration fx does not serve (http, http-proxy, mock), a custom request or response
// template, a passThrough other than NEVER, contentHandling, a status code or pattern that is
// not one, or a header value that is neither 'literal' nor integration.response.body[.path].
std::optional<LambdaIntegration> lambda_integration_of(std::string_view event_json,
                                                       const std::string& where);

// The event the framework's default request template makes of a request: body (JSON parsed,
// or a form's fields), method, principalId, stage, cognitoPoolClaims, enhancedAuthContext,
// headers, query, path, identity, stageVariables, requestPath. When the request cannot reach
// the function, `refusal` is API Gateway's answer instead: 415 for a content type with no
// template (passThrough NEVER), 400 for a JSON body that does not parse.
struct LambdaEvent {
  std::string event;
  std::optional<GatewayResponse> refusal;
};
LambdaEvent build_lambda_event(const LambdaIntegration& integration, const GatewayRequest& request,
                               const RouteTable::Match& match, const std::string& stage);

// The HTTP response for the function's result (`function_error` false: its return value, the
// body as is with the default status) or its error (`function_error` true: Lambda's error
// JSON, whose errorMessage picks the status by pattern, else the default status).
GatewayResponse map_lambda_result(const LambdaIntegration& integration,
                                  std::string_view result_json, bool function_error);

}  // namespace fx::gateway
