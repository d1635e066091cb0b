// JSON Web Tokens as an HTTP API's JWT authorizer reads them: the compact JWS form
// (header.payload.signature, each base64url), JWK sets, and RS256 / ES256 signature checks
// with OpenSSL. Pure functions of bytes: the authorizer (jwt_authorizer.h) decides what a
// token may do. Every input here is untrusted (a client's header, an issuer's answer); a
// malformed one is a refusal with a reason, never an exception.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace fx::gateway::jwt {

// base64url without padding (RFC 7515 section 2); nullopt for a character outside the
// alphabet, padding, or a length no encoding has (4n+1).
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

struct Token {
  std::string alg;            // the header's "alg"
  std::string kid;            // the header's "kid"; "" when absent
  std::string payload_json;   // the decoded claims, a JSON object's text
  std::string signing_input;  // "header.payload" as received: what the signature covers
  std::string signature;      // decoded bytes
};

// Splits and decodes a compact JWS. nullopt with `why` set ("the token has 2 parts, not 3",
// "the header is not a JSON object") when it is not one; the signature is not checked here.
std::optional<Token> parse(std::string_view compact, std::string& why);

// A verification key of a JWK set.
struct Key {
  std::string kid;
  std::string kty;  // "RSA" or "EC"
  std::string alg;  // the JWK's "alg" when it gives one: the only algorithm it then verifies
  std::shared_ptr<evp_pkey_st> pkey;
};

// The usable keys of a JWK set ({"keys": [...]}): RSA (n, e) and EC P-256 (x, y) keys whose
// "use", if given, is "sig". Others are skipped (an issuer may publish encryption keys); a
// document that is not a JWK set at all is nullopt with `why` set.
std::optional<std::vector<Key>> parse_jwks(std::string_view json_text, std::string& why);

// Whether `token`'s signature is valid under `key` for the token's alg: RS256 with an RSA
// key, ES256 (raw r||s, 64 bytes) with a P-256 key. Anything else (none, HS*, a key of the
// wrong type or of another JWK alg) is false with `why` set.
bool verify(const Token& token, const Key& key, std::string& why);

}  // namespace fx::gateway::jwt
