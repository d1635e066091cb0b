// Lambda authorizers as API Gateway runs them, without I/O: the event an authorizer function
// gets (TOKEN, REQUEST in payload 1.0 or 2.0), and what its answer means for the request (an
// IAM policy evaluated on the method ARN, or an HTTP API simple response), with the answers
// API Gateway gives when it refuses. The gateway server invokes the function and caches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/gateway/payload.h"
#include "core/manifest/authorizers.h"

namespace fx::gateway {

// The ARN the authorizer is asked about, API Gateway's method ARN (REST) or route ARN (HTTP
// API): arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH, the path as requested
// (without its stage prefix and leading slash).
std::string method_arn(const manifest::RouteAuthorizer& authorizer, const GatewayRequest& request,
                       const RouteTable::Match& match, const std::string& stage);

// The identity the request carries: its identity sources' values joined by ','. nullopt when
// one is missing or empty (API Gateway then answers 401 without calling the authorizer). A
// REQUEST authorizer with no identity sources gives "".
std::optional<std::string> identity_of(const manifest::RouteAuthorizer& authorizer,
                                       const GatewayRequest& request);

// Whether a TOKEN authorizer's token passes its identityValidationExpression (true without
// one). A token too long to test is refused.
bool token_matches(const manifest::RouteAuthorizer& authorizer, std::string_view token);

// The authorizer function's event (JSON text).
std::string authorizer_event(const manifest::RouteAuthorizer& authorizer,
                             const GatewayRequest& request, const RouteTable::Match& match,
                             const std::string& stage, const std::string& arn);

struct AuthorizerDecision {
  enum class Outcome { allow, deny, unauthorized, error };
  Outcome outcome = Outcome::error;
  // allow: the requestContext.authorizer object (JSON text), GatewayRequest::authorizer.
  std::string context;
  // Why, for the gateway's log line: "explicit Deny on ...", "the answer has no principalId".
  // Never the token.
  std::string reason;
  bool explicit_deny = false;  // deny: a Deny statement matched (not only no Allow)
};

// What the authorizer's answer (the function's result, JSON text) means for a request on
// `arn`. `latency_ms` is the authorizer's integrationLatency (0 from the cache).
AuthorizerDecision decide(const manifest::RouteAuthorizer& authorizer, ApiKind api,
                          std::string_view answer, const std::string& arn, long latency_ms);

// The authorizer function failed with this error (its result's JSON text): an error whose
// message is "Unauthorized" is API Gateway's 401, anything else its 500.
AuthorizerDecision failed_authorizer(std::string_view error_json);

// The response for a decision that is not allow, as API Gateway words it: REST 401
// {"message":"Unauthorized"}, 403 {"Message":"User is not authorized to access this resource
// with an explicit deny"}, 500 {"message":null}; HTTP API 401 Unauthorized, 403 Forbidden,
// 500 Internal Server Error.
GatewayResponse refusal_response(ApiKind api, const AuthorizerDecision& decision);

// IAM's wildcard match of a policy's Resource on an ARN: '*' any run of characters, '?' one.
bool arn_matches(std::string_view pattern, std::string_view arn);

}  // namespace fx::gateway
