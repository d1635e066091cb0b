// provider.httpApi's authorizers as the Serverless Framework declares them. The manifest's
// loader checks them and hands them, with provider.httpApi.cors and the JWK sets of
// custom.fx.jwks, to the emulator's gateway in each httpApi event ("fx_http_api":
// {"authorizers", "jwks", "cors"}), which reads them with this.
//
//   provider:
//     httpApi:
//       authorizers:
//         users:                        # a JWT authorizer (type: jwt, or no type)
//           identitySource: $request.header.Authorization
//           issuerUrl: https://cognito-idp.us-east-1.amazonaws.com/POOL
//           audience: [CLIENT_ID]
//         custom:                       # a Lambda authorizer (type: request)
//           type: request
//           functionName: auth
//   custom:
//     fx:
//       jwks:                           # offline: the keys of an authorizer (by its name or
//         users: keys/jwks.json         # its issuerUrl), instead of fetching the issuer's
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fx::manifest {

struct HttpApiAuthorizer {
  std::string name;
  std::string type;                          // "jwt" or "request"
  std::vector<std::string> identity_source;  // "$request.header.Authorization", ...
  std::string issuer_url;                    // jwt
  std::vector<std::string> audience;         // jwt
  std::string function_name;                 // request: a function of the service (its key)
  std::string function_arn;                  // request: a deployed function
  bool enable_simple_responses = false;      // request
  std::string payload_version;               // request: "1.0" or "2.0"; "" when unset
  int result_ttl_s = 0;                      // resultTtlInSeconds
};

// The authorizers of a JSON object's "authorizers" map (the "fx_http_api" document), in the
// map's order. Entries that are not objects are
// skipped: the manifest's loader has refused them already.
std::vector<HttpApiAuthorizer> parse_http_api_authorizers(std::string_view http_api_json);

}  // namespace fx::manifest
