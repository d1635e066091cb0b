// An HTTP API's JWT authorizer on the local gateway, as API Gateway runs one: the token from
// the identity source (alone or after "Bearer "), its signature checked against the issuer's
// JWK set (fetched from issuerUrl's OpenID configuration and cached, or given offline by
// custom.fx.jwks), then iss, aud / client_id, exp, nbf, iat and the route's scopes. A refusal
// is API Gateway's 401 or 403 with the reason for the emulator's log (never the token); an
// allowed request carries the claims for requestContext.authorizer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/gateway/jwt.h"
#include "core/gateway/payload.h"
#include "core/gateway/routes.h"

namespace fx::gateway {

// The `authorizer` of an httpApi event's JSON, as JSON text; "" when it has none.
std::string authorizer_of(std::string_view event_json);

class JwtAuthorizer {
 public:
  struct Config {
    std::string name;
    std::string identity_source = "$request.header.Authorization";
    std::string issuer_url;
    std::vector<std::string> audience;
    std::string jwks_json;  // a JWK set's text given offline; "" fetches the issuer's
  };
  // Keys are kept this long (API Gateway says it may cache them for two hours), and an
  // unknown kid fetches them again at most this often, so a stream of forged kids cannot
  // turn the gateway into a client of the issuer.
  static constexpr std::int64_t kKeysTtlMs = 2 * 3600 * 1000;
  static constexpr std::int64_t kRefetchMs = 10 * 1000;
  // Tokens whose signature, issuer and audience passed are kept (up to this many; then the
  // set starts again), so that a client sending the same token again pays only for the
  // checks that depend on the time and the route; the set is dropped when the keys change.
  static constexpr std::size_t kMaxVerified = 4096;

  explicit JwtAuthorizer(Config config);

  struct Decision {
    bool allowed = false;
    GatewayResponse refusal;      // when not allowed
    std::string reason;           // when not allowed, for the log
    std::string authorizer_json;  // when allowed: requestContext.authorizer
  };
  // `scopes`: the route's; `payload_version` shapes the claims ("2.0": {"jwt": {claims,
  // scopes}}, "1.0": {claims, scopes}). `now_ms`: the request's time.
  Decision check(const GatewayRequest& request, const std::vector<std::string>& scopes,
                 const std::string& payload_version, std::int64_t now_ms) const;

  const Config& config() const { return config_; }

 private:
  // The key of that kid, fetching the issuer's keys when needed; null with `why` set.
  std::shared_ptr<const jwt::Key> key_for(const std::string& kid, std::int64_t now_ms,
                                          std::string& why) const;
  void fetch_keys(std::int64_t now_ms) const;  // under mutex_

  // What a token's signature, iss and aud having passed leaves to check on each request.
  struct Verified {
    std::optional<double> exp, nbf, iat;  // seconds
    std::vector<std::string> granted;     // its scope / scp
    std::string v1, v2;                   // requestContext.authorizer for payload 1.0 / 2.0
  };
  Decision finish(const Verified& token, const std::vector<std::string>& scopes,
                  const std::string& payload_version, std::int64_t now_ms) const;

  Config config_;
  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<const jwt::Key>> keys_;
  mutable std::int64_t fetched_ms_ = 0;  // 0: never
  mutable std::string fetch_error_;      // why the last fetch failed; "" when it did not
  mutable std::unordered_map<std::string, std::shared_ptr<const Verified>> verified_;  // by token
};

// A route's JWT authorizer and the scopes it asks of a token.
struct JwtRouteCheck {
  std::shared_ptr<const JwtAuthorizer> authorizer;
  std::vector<std::string> scopes;
};

// What the gateway runs of the service's provider.httpApi ({"authorizers", "jwks", "cors"}),
// as JSON text, which the manifest's loader puts in each httpApi event; "" when none.
std::string http_api_document_of(const manifest::ServiceEvents& events);

// Resolves each httpApi route's authorizer_json against that document: a JWT authorizer sets
// route.jwt (one JwtAuthorizer, with one key cache, per authorizer name); an authorizer nothing
// here runs sets route.unhonoured_authorizer, so that the route answers 403 instead of running
// open. Routes that already have a check (route.jwt) are left alone.
void attach_authorizers(std::vector<RouteSpec>& routes, const std::string& http_api_json);

}  // namespace fx::gateway
