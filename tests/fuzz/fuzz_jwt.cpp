// The JWT authorizer's parsers of untrusted bytes (core/gateway/jwt.h): a client's token and
// an issuer's JWK set. Each input is read as both: a compact JWS (parsed, then verified
// against a fixed RSA and P-256 key) and a JWK set (each of its keys then tried on a fixed
// token). Invariants: nothing throws or crashes; a parsed token's payload is a JSON object;
// base64url round-trips; a fuzzed token never verifies under the fixed keys unless it is
// one of the seeds signed by them (seeds/rsok, esok, ...: signing input unchanged).
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/gateway/jwt.h"
#include "tests/fuzz/fuzz_common.h"

using fx::fuzz::fail;
using namespace fx::gateway;

namespace {

// The public halves of the keys that signed the seed tokens.
constexpr const char* kJwks =
    R"({"keys": [{"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": "4MJIbAPP94p1H7LYDfLb1r8PxvgPTvthuvGluNBFx-8OOYwSQ_ti_q03go2eilL7OBEnpxhHHX6FGGY6OkjetXfn0cELfr_JpGvtUKXR4pgy9p9nh6amPHuftMLQgqpc5kG9NNq_3fKBgvqstbL3qszk_Z9qm6BiM_YeI0gDv5lm60W-N136l2SOHJksoQBT4Z1FXNkgGzyy3U_qXmhmOTvhPgYDWVjEMlZ5oS8k_qlyG0C3cxKztkuV8em_uZlwGs0buzMthpY9jtfe38HRDO5TvVg3DhqneRuf1WQsuR_-qjUIY7YI6vYk5nSEKWSjYvcoUe8rmJrtzvZqNq0pfw", "e": "AQAB"}, {"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256", "x": "e8DoXDAW6KZ8dmIUrN_YGqtx8nAH4vns7LOwViCibr0", "y": "-Kv69gb1wejKWUGkZUzbQ6JWnIvpw99LkmIrdzF75yA"}]})";

const std::vector<jwt::Key>& fixed_keys() {
  static const std::vector<jwt::Key> keys = [] {
    std::string why;
    auto k = jwt::parse_jwks(kJwks, why);
    if (!k || k->size() != 2) fail("the fixed JWK set does not parse", why);
    return *k;
  }();
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto& keys = fixed_keys();

  const std::string encoded = jwt::base64url_encode(input);
  auto decoded = jwt::base64url_decode(encoded);
  if (!decoded || *decoded != input) fail("base64url does not round-trip");

  std::string why;
  if (auto token = jwt::parse(input, why)) {
    auto payload = nlohmann::json::parse(token->payload_json, nullptr, false);
    if (!payload.is_object()) fail("a parsed token's payload is not a JSON object");
    if (token->signing_input.size() >= input.size()) fail("the signing input is all the token");
    for (const auto& key : keys) jwt::verify(*token, key, why);
  } else if (why.empty()) {
    fail("a refused token has no reason");
  }

  if (auto set = jwt::parse_jwks(input, why)) {
    for (const auto& key : *set) {
      if (!key.pkey) fail("a JWK set's key has no public key");
      jwt::Token probe;
      probe.alg = "RS256";
      probe.signing_input = "e30.e30";
      probe.signature = std::string(256, '\x01');
      if (jwt::verify(probe, key, why)) fail("a constant signature verified");
      probe.alg = "ES256";
      probe.signature = std::string(64, '\x01');
      if (jwt::verify(probe, key, why)) fail("a constant signature verified");
    }
  }
  return 0;
}
