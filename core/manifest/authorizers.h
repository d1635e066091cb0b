// Who may call a route: the `authorizer:` of `http` and `httpApi` events, resolved against
// the service (its functions, provider.httpApi.authorizers) into what the local gateway runs.
// An authorizer fx cannot honour is not dropped: it becomes a `closed` one, which refuses
// every request (fail closed), and deploy names it once (authorizer_notes).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/events.h"
#include "core/manifest/service.h"

namespace fx::manifest {

struct RouteAuthorizer {
  // token, request: a Lambda authorizer. jwt: an httpApi JWT authorizer (checked elsewhere).
  // closed: one fx cannot honour; every request is refused.
  enum class Type { token, request, aws_iam, jwt, closed };
  Type type = Type::closed;
  std::string name;      // for messages: the authorizer's name or its function's key
  std::string function;  // token, request: the deployed name of the authorizer function
  // Where the identity is, each "header:NAME" or "query:NAME"; a request missing one is
  // refused with 401 without calling the authorizer.
  std::vector<std::string> identity_sources;
  int ttl_s = 300;                   // resultTtlInSeconds; 0: every request calls the authorizer
  std::string validation;            // identityValidationExpression (token), an ECMAScript regex
  bool simple = false;               // enableSimpleResponses: {isAuthorized, context} (httpApi)
  std::string payload = "1.0";       // the authorizer's event format; httpApi: payloadVersion
  std::string region = "us-east-1";  // of the method ARN
  std::string reason;                // closed: why fx cannot honour it
};

// The key of an http/httpApi event's JSON (in the emulator's document) under which fx deploy
// puts the route's resolved authorizer (to_json), for the gateway.
inline constexpr std::string_view kResolvedAuthorizerKey = "fx:authorizer";

std::string_view authorizer_type_name(RouteAuthorizer::Type type);

// What the gateway reads back (JSON text). parse throws fx::Error on a malformed document.
std::string to_json(const RouteAuthorizer& authorizer);
RouteAuthorizer parse_route_authorizer(std::string_view json_text);

// The authorizer of one http/httpApi event of the service, or none. Throws fx::Error with
// the event's file:line:col when it names a function or an httpApi authorizer the service
// does not have, or is malformed (an identity source fx cannot read, a bad regex).
std::optional<RouteAuthorizer> route_authorizer(const Service& service, const HttpEvent& event);

// Every event's authorizer checked (route_authorizer's errors).
void validate_authorizers(const Service& service);

// One line per authorizer that closes its routes, for deploy's warnings.
std::vector<std::string> authorizer_notes(const Service& service);

}  // namespace fx::manifest
