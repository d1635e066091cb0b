#include "core/gateway/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <array>

#include <nlohmann/json.hpp>

namespace fx::gateway::jwt {
namespace {

using nlohmann::json;

// 0-63 for the base64url alphabet, -1 otherwise.
constexpr std::array<signed char, 256> kDecode = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  return t;
}();

// A JSON object's text, or nullopt when the bytes are not one.
std::optional<json> object_of(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::shared_ptr<EVP_PKEY> make_key(const char* type, OSSL_PARAM_BLD* bld) {
  std::shared_ptr<EVP_PKEY> out;
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1)
    out.reset(pkey, PkeyFree{});
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return out;
}

std::shared_ptr<EVP_PKEY> rsa_key(const std::string& n_bytes, const std::string& e_bytes) {
  // A modulus under 2048 bits is refused, as identity providers no longer issue them.
  if (n_bytes.size() < 256 || n_bytes.size() > 1024 || e_bytes.empty() || e_bytes.size() > 8)
    return nullptr;
  BIGNUM* n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()),
                        static_cast<int>(n_bytes.size()), nullptr);
  BIGNUM* e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()),
                        static_cast<int>(e_bytes.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (n && e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
    key = make_key("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  BN_free(n);
  BN_free(e);
  return key;
}

std::shared_ptr<EVP_PKEY> p256_key(const std::string& x, const std::string& y) {
  if (x.size() != 32 || y.size() != 32) return nullptr;
  // The uncompressed point: 0x04 || X || Y. EVP_PKEY_fromdata checks it is on the curve.
  std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  std::shared_ptr<EVP_PKEY> key;
  if (bld &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) ==
          1)
    key = make_key("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  if (key) {
    // fromdata does not validate the point in every OpenSSL 3 release: ask explicitly.
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr);
    const bool ok = ctx && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) key.reset();
  }
  return key;
}

std::string str(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// JWS's ES256 signature is r||s, 32 bytes each; OpenSSL verifies the DER form.
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + 32), 32, nullptr);
  std::optional<std::string> out;
  if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
    r = s = nullptr;  // owned by sig now
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &der);
    if (len > 0) out = std::string(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
  }
  BN_free(r);
  BN_free(s);
  ECDSA_SIG_free(sig);
  return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // The leftover bits of the last character must be zero (RFC 4648 section 3.5): otherwise
  // two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<Token> parse(std::string_view compact, std::string& why) {
  const std::size_t first = compact.find('.');
  const std::size_t second = first == std::string_view::npos ? first : compact.find('.', first + 1);
  if (second == std::string_view::npos || compact.find('.', second + 1) != std::string_view::npos) {
    why = "the token is not three base64url parts joined by '.'";
    return std::nullopt;
  }
  auto header_text = base64url_decode(compact.substr(0, first));
  auto payload_text = base64url_decode(compact.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(compact.substr(second + 1));
  if (!header_text || !payload_text || !signature) {
    why = "a part of the token is not base64url";
    return std::nullopt;
  }
  auto header = object_of(*header_text);
  if (!header) {
    why = "the token's header is not a JSON object";
    return std::nullopt;
  }
  if (!object_of(*payload_text)) {
    why = "the token's payload is not a JSON object";
    return std::nullopt;
  }
  Token t;
  if (!header->contains("alg") || !(*header)["alg"].is_string()) {
    why = "the token's header has no alg";
    return std::nullopt;
  }
  t.alg = (*header)["alg"].get<std::string>();
  t.kid = str(*header, "kid");
  t.payload_json = std::move(*payload_text);
  t.signing_input = std::string(compact.substr(0, second));
  t.signature = std::move(*signature);
  return t;
}

std::optional<std::vector<Key>> parse_jwks(std::string_view json_text, std::string& why) {
  auto doc = object_of(json_text);
  if (!doc || !doc->contains("keys") || !(*doc)["keys"].is_array()) {
    why = "not a JWK set (a JSON object with a \"keys\" list)";
    return std::nullopt;
  }
  std::vector<Key> keys;
  for (const auto& jwk : (*doc)["keys"]) {
    if (!jwk.is_object()) continue;
    const std::string use = str(jwk, "use");
    if (!use.empty() && use != "sig") continue;
    Key key;
    key.kid = str(jwk, "kid");
    key.kty = str(jwk, "kty");
    key.alg = str(jwk, "alg");
    if (key.kty == "RSA") {
      auto n = base64url_decode(str(jwk, "n"));
      auto e = base64url_decode(str(jwk, "e"));
      if (n && e) key.pkey = rsa_key(*n, *e);
    } else if (key.kty == "EC" && str(jwk, "crv") == "P-256") {
      auto x = base64url_decode(str(jwk, "x"));
      auto y = base64url_decode(str(jwk, "y"));
      if (x && y) key.pkey = p256_key(*x, *y);
    }
    if (key.pkey) keys.push_back(std::move(key));
  }
  // A refused key leaves OpenSSL's reasons in the thread's error queue: not ours to keep.
  ERR_clear_error();
  return keys;
}

bool verify(const Token& token, const Key& key, std::string& why) {
  const bool rs256 = token.alg == "RS256";
  const bool es256 = token.alg == "ES256";
  if (!rs256 && !es256) {
    why = "the token's alg '" + token.alg.substr(0, 20) + "' is not RS256 or ES256";
    return false;
  }
  if ((rs256 && key.kty != "RSA") || (es256 && key.kty != "EC") ||
      (!key.alg.empty() && key.alg != token.alg)) {
    why = "the token's alg " + token.alg + " does not fit its key (" + key.kty +
          (key.alg.empty() ? "" : ", " + key.alg) + ")";
    return false;
  }
  std::string der;
  std::string_view signature = token.signature;
  if (es256) {
    auto converted = ecdsa_der(token.signature);
    if (!converted) {
      why = "the ES256 signature is not 64 bytes";
      return false;
    }
    der = std::move(*converted);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(token.signing_input.data()),
                       token.signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    why = "the signature does not verify";
  }
  return ok;
}

}  // namespace fx::gateway::jwt
