// JWS parsing and RS256 / ES256 verification (core/gateway/jwt.h), and the JWT authorizer's
// checks on claims (core/gateway/jwt_authorizer.h) with an offline JWK set. The tokens were
// signed once by tests/e2e/test_jwt_authorizer.py's helpers with throwaway keys whose public
// halves are kJwks; "now" in these tests is 2027-01-15 (1800000000 s), between the tokens'
// nbf (2023) and exp (2100).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/gateway/jwt.h"
#include "core/gateway/jwt_authorizer.h"

using namespace fx::gateway;

namespace {

constexpr const char* kJwks =
    R"({"keys": [{"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": "4MJIbAPP94p1H7LYDfLb1r8PxvgPTvthuvGluNBFx-8OOYwSQ_ti_q03go2eilL7OBEnpxhHHX6FGGY6OkjetXfn0cELfr_JpGvtUKXR4pgy9p9nh6amPHuftMLQgqpc5kG9NNq_3fKBgvqstbL3qszk_Z9qm6BiM_YeI0gDv5lm60W-N136l2SOHJksoQBT4Z1FXNkgGzyy3U_qXmhmOTvhPgYDWVjEMlZ5oS8k_qlyG0C3cxKztkuV8em_uZlwGs0buzMthpY9jtfe38HRDO5TvVg3DhqneRuf1WQsuR_-qjUIY7YI6vYk5nSEKWSjYvcoUe8rmJrtzvZqNq0pfw", "e": "AQAB"}, {"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256", "x": "e8DoXDAW6KZ8dmIUrN_YGqtx8nAH4vns7LOwViCibr0", "y": "-Kv69gb1wejKWUGkZUzbQ6JWnIvpw99LkmIrdzF75yA"}]})";
constexpr const char* kRsOk =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0."
    "aNy4xw5NLbgaHfLh6ag6fN91XxkrfGrl50GTehmEyE_mEPbyy8cl3-A54i9XZ1ICOZKJmeTxZULHRPA0SEJM2-"
    "2wVVPrHEQndLDc7Z4Ps47vsU4Oi9tkmCPCZKIqc7o9avnvFbwec87KEv4QyVuh75BKkhWqgABLvcL8DprugpMBYMaCgZyT"
    "wlp-FXhWNxhRHjtUfO5ONaNuzSVWd3CVQJEHi1a4ZpxJANuHd7D_"
    "wRLnCfw9XysRmP8VbsUYxmDvSzfLjVG6tNUXeSxMwX9T1n0qYaRhN8aCShnH-7g-csegeCoAno9nfp_"
    "WoyyAub3hq5hOYb28zYEYefn8hPyXRg";
constexpr const char* kEsOk =
    "eyJhbGciOiAiRVMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAiZWMtMSJ9."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0."
    "pnCjRfPb6sYmKwwIWxvlD8XdRRaidzRoQM8JIkICSvxmEcA6Hgw1ws2JRQxXQJM0amfjnrtQWmREKXJeMca36w";
constexpr const char* kExpired =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiAxNzAwMD"
    "AwMTAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0."
    "zjzo7Vv5vYFAv8gfZkcDqj8k5wWOrK32wrOUG6Uqb0Ett49L5F0AOiTo_ZvPGBv03guQbb_"
    "x6bj3q92f618mkMZYmObpdQO3h_s3Vf3C1UdyY7FM7aLVaNysCwylUcC2KrJMoTt72sV3XIoBWZyMVFR-m7m-bMG-"
    "sQNCe44jnA5Rbg5Y-foIOG-"
    "R247LyaElU3rXo2ACjOD1mVuMG5MDzlISOvqotilRdTSS6HdLvqa15tFQjOsW3TDom4zthp39Z0sczvjM1fCUrKPR0AenX"
    "tQNeRWHCAWYYT8CDBKpfCBP_yGIPRTcQNX6HhuKKTZZzs_-4goQOCyeo7vE_K3yKg";
constexpr const char* kNotYet =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTkwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0.T_iFU5hd6lRshK3HSJE3QcS15JlQeeibAYCpxu7E6-"
    "Cus-xt-OMik-CMzFFuW41DIpHbhnc4ExDXTwhdaNMdjnjkf8yF3z9VrDRrDOPwBQ-"
    "Xi6Gsy16KN2wdkB8ps5EQ5i1bT5fm0vSvh9kaJEPoO_lMiV9ZZrvui2HPHTeYs6jqwy9X3L3_"
    "trbvn5fQUbXIdRv2sRB9H2kdnzW5GVvP_CGFVfs0-jRUR-Gcw_AS_PrhDqeKsp1AXOGYwfdWcJ-"
    "NrT22JVgoFUNgowjYlf7xT1ZIXWPYj1vA7rv5-e-oabPUy8CzmgbrJKEp1sGzMe0VL9pvcws5xVCYsSy-g3oFNA";
constexpr const char* kWrongAud =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAib3RoZXIiLCAic3ViIjogInUxIiwgImV4cCI6IDQxMD"
    "I0NDQ4MDAsICJuYmYiOiAxNzAwMDAwMDAwLCAiaWF0IjogMTcwMDAwMDAwMCwgInNjb3BlIjogInJlYWQgd3JpdGUiLCAi"
    "Z3JvdXBzIjogWyJhIiwgImIiXSwgIm4iOiA1LCAib2siOiB0cnVlfQ."
    "svZE65TY01Wa6gmLxNxogaMZwJGGDVZBGY8k0SoSTe7ksj-"
    "jFE4a3NTgpw9SLoxxXpqBU13clzefb3wJSVLquJFSbhfpC6kuzoV1wmUmHFB1TzvF9Kp-kdKVucqCq4d-ub-"
    "fN2yQhpiO0IaLmq23iVFCAYWDEfsxoj4PPF6CFiX4wgHJmO_JUVoXxKD5_"
    "riNRwPTXbiCDwnzDnesrfl5946LpLk8nXqzsk33qNuS3hpwWMOvkMCRRv-6aBe6U-"
    "oevXGNEmDAC6D2ZFAM0qzEch3GnwMxasn1MvDvKoP9fFSoCFBvpW71AG_KFDtF4c767e18mYmoq8fZrF1LxjUaGw";
constexpr const char* kClientId =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJzdWIiOiAidTEiLCAiZXhwIjogNDEwMjQ0NDgwMCwgIm5iZiI6ID"
    "E3MDAwMDAwMDAsICJpYXQiOiAxNzAwMDAwMDAwLCAic2NvcGUiOiAicmVhZCB3cml0ZSIsICJncm91cHMiOiBbImEiLCAi"
    "YiJdLCAibiI6IDUsICJvayI6IHRydWUsICJjbGllbnRfaWQiOiAiYXBwIn0.2RBHRmI9_"
    "DqzwUwVcruzDK0PmryWGs6iGkFnfAyC8qL6HAVoeekJLowI8gIuL-xy0t_h3U0ofE4nSZZdI5N5f2DZMmaQuflg8R0Kg-"
    "zJBbsaAWyzEw14Ey2N-Mp6ODYiwPnqKDU5gtMXc9wtz_v0_wAgAspV6V_V-JhZmcEv1RN92-N0jbjlvi9dL0-"
    "S33TTK8Y4rFHwU_PcjKLV1eCEBZdtTotVST0Y8DpGRevfyd56hdVCQa-"
    "jggMZZ7vJe1IJUw03i3llVWB5f2V77Wme3Cf9XItrjyEgaayLeMUgHIr1K7SNSblATrLH6hQekORfg3touR0stqQxLrmPJ"
    "tBXRQ";
constexpr const char* kWrongIss =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdC8iLCAiYXVkIjogImFwcCIsICJzdWIiOiAidTEiLCAiZXhwIjogNDEwMj"
    "Q0NDgwMCwgIm5iZiI6IDE3MDAwMDAwMDAsICJpYXQiOiAxNzAwMDAwMDAwLCAic2NvcGUiOiAicmVhZCB3cml0ZSIsICJn"
    "cm91cHMiOiBbImEiLCAiYiJdLCAibiI6IDUsICJvayI6IHRydWV9.tCIff73ip3YT5hVcT9cJrg1eg1AoW6SjUjuR-"
    "G76w3cvhh2ZckKEji7f2nF8D-e-ffBrZpUgLFHdrc0EZO-c8ZHfPtzOWAxjr0pA8yRhApK5GczOfBMiVYjDCZRi-Wo_"
    "PnU2EGGAdf7vx6T75SxZQ3Ha0aFUW3AjGQrMe3EB3h_zO72bFsI1iSynJx8anuGwXW2X-2loOJz9R5TLMq3xR4iZ_"
    "WOd1HKe-nLZUSYGjyISEyQQufP9v-jyg-_pifiSDA5-"
    "m330f4ogC8WSIsqtkKEus9qSqdI1v0vWrh5naJ1lOJKUDHHKHTvKsw89Ye8UKQBLj25uADKbkFBtm7fiQA";
constexpr const char* kNone =
    "eyJhbGciOiAibm9uZSIsICJ0eXAiOiAiSldUIiwgImtpZCI6ICJyc2EtMSJ9."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0.";
constexpr const char* kHs256 =
    "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0.l5PN9jf2igD9FjHjOj-"
    "rzmEscvL0xlmBjKyEHDQRS0g";
constexpr const char* kNoKid =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJzY29wZSI6ICJyZWFkIHdyaXRlIiwgImdy"
    "b3VwcyI6IFsiYSIsICJiIl0sICJuIjogNSwgIm9rIjogdHJ1ZX0.NABymdk8GX8jqdLOxeb0CmOVeNad8PXmSa3qBA-"
    "WMjmP8dCyqPZE60kr48biinHqJG1VIe5pD0_dBMId4pTJD1IVYLJaXEWu3JtKYu6eo9hNYpn7CKrbG4_"
    "h5bAAQFndrb6ek0-W02FC2WwLkhYX8tsJx6Ogv7GRKK_ODWuz5WmQgy1C94lXiw-"
    "vta0x7V7dDn9V6gCo0AuC1gMBs8qhH93nfyTWVrx2cZI0gw__Hxw-"
    "3OcR8Ek1ui0xbOCfurUmaNozFLZisDTp8ISiKuWoR0C17nwuI6JYg_YtkTHDmbHDVBJkSirFrQdPw-"
    "tdkjx4zvZr3tkUMFadTFOTrYUvKA";
constexpr const char* kScp =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJ1MSIsICJleHAiOiA0MTAyND"
    "Q0ODAwLCAibmJmIjogMTcwMDAwMDAwMCwgImlhdCI6IDE3MDAwMDAwMDAsICJncm91cHMiOiBbImEiLCAiYiJdLCAibiI6"
    "IDUsICJvayI6IHRydWUsICJzY3AiOiBbImFkbWluIl19.SSZ-dSIJYZjczWU2XAPI3tu7Fc7Oc-"
    "UQLkkvw7B1d6ytoUaRXUCy88YIFjazFm2rxuSfYsZ3HB8rytyENo-"
    "GlcOHPVEv62aQnubOiALgSJvoqtT4r2SDasYyjuOQbYExDtY1Mw7LNlGvSWQeU5wGrSq7IwUIJzf0CJX-"
    "NCznfJ7xwqXqr-"
    "uohAqCGcgr3u9mr2nNUfzqCH4kpjo5jkUDQteEBhTbX9I3G8cmVWhCltJ3X49sbDraovDzEnGDGjgvVn7DBNU4y46f_"
    "e1NhKQN4BJ93RWmb8y5E41oPxPxYh61aD41x4S1nAsmsuMUnaiDUcbsOWNnjTFZgckzcuqq4w";
constexpr const char* kTampered =
    "eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJraWQiOiAicnNhLTEifQ."
    "eyJpc3MiOiAiaHR0cHM6Ly9pc3N1ZXIudGVzdCIsICJhdWQiOiAiYXBwIiwgInN1YiI6ICJyb290IiwgImV4cCI6IDQxMD"
    "I0NDQ4MDAsICJuYmYiOiAxNzAwMDAwMDAwLCAiaWF0IjogMTcwMDAwMDAwMCwgInNjb3BlIjogInJlYWQgd3JpdGUiLCAi"
    "Z3JvdXBzIjogWyJhIiwgImIiXSwgIm4iOiA1LCAib2siOiB0cnVlfQ."
    "aNy4xw5NLbgaHfLh6ag6fN91XxkrfGrl50GTehmEyE_mEPbyy8cl3-A54i9XZ1ICOZKJmeTxZULHRPA0SEJM2-"
    "2wVVPrHEQndLDc7Z4Ps47vsU4Oi9tkmCPCZKIqc7o9avnvFbwec87KEv4QyVuh75BKkhWqgABLvcL8DprugpMBYMaCgZyT"
    "wlp-FXhWNxhRHjtUfO5ONaNuzSVWd3CVQJEHi1a4ZpxJANuHd7D_"
    "wRLnCfw9XysRmP8VbsUYxmDvSzfLjVG6tNUXeSxMwX9T1n0qYaRhN8aCShnH-7g-csegeCoAno9nfp_"
    "WoyyAub3hq5hOYb28zYEYefn8hPyXRg";

constexpr std::int64_t kNowMs = 1800000000000;

JwtAuthorizer offline(std::string jwks = kJwks) {
  JwtAuthorizer::Config c;
  c.name = "users";
  c.issuer_url = "https://issuer.test";
  c.audience = {"other-app", "app"};
  c.jwks_json = std::move(jwks);
  return JwtAuthorizer(std::move(c));
}

GatewayRequest with_token(const std::string& value, const std::string& header = "Authorization") {
  GatewayRequest r;
  r.method = "GET";
  r.raw_path = "/me";
  r.headers = {{header, value}};
  return r;
}

JwtAuthorizer::Decision check(const std::string& token, std::vector<std::string> scopes = {},
                              const std::string& version = "2.0") {
  return offline().check(with_token("Bearer " + token), scopes, version, kNowMs);
}

}  // namespace

TEST_CASE("base64url decoding refuses what no encoder writes", "[jwt]") {
  CHECK(jwt::base64url_decode("") == std::string());
  CHECK(jwt::base64url_decode("aGk") == std::string("hi"));
  CHECK(jwt::base64url_decode("_-8") == std::string("\xff\xef", 2));
  CHECK_FALSE(jwt::base64url_decode("aGk="));  // padding
  CHECK_FALSE(jwt::base64url_decode("aG+k"));  // the other alphabet
  CHECK_FALSE(jwt::base64url_decode("a"));     // 4n+1 characters
  CHECK_FALSE(jwt::base64url_decode("aGl"));   // non-zero leftover bits
  for (std::string s : {std::string(""), std::string("a"), std::string("\0\xff\x10", 3)})
    CHECK(jwt::base64url_decode(jwt::base64url_encode(s)) == s);
}

TEST_CASE("a compact JWS is three base64url parts with JSON objects", "[jwt]") {
  std::string why;
  auto t = jwt::parse(kRsOk, why);
  REQUIRE(t);
  CHECK(t->alg == "RS256");
  CHECK(t->kid == "rsa-1");
  CHECK(nlohmann::json::parse(t->payload_json)["sub"] == "u1");
  CHECK(t->signature.size() == 256);
  for (const char* bad : {"", "a.b", "a.b.c.d", "e30.e30", "!.e30.", "W10.e30.", "e30.W10.",
                          "e30.e30.", "eyJhbGciOjF9.e30."}) {
    INFO(bad);
    CHECK_FALSE(jwt::parse(bad, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("JWK sets keep RSA and P-256 signing keys, skip the rest", "[jwt]") {
  std::string why;
  auto keys = jwt::parse_jwks(kJwks, why);
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0].kty == "RSA");
  CHECK((*keys)[1].kty == "EC");
  auto skipped = jwt::parse_jwks(
      R"({"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
                   {"kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB"},
                   {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
                   {"kty": "EC", "crv": "P-256", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                   {"kty": "oct", "k": "c2VjcmV0"}, 7, null]})",
      why);
  REQUIRE(skipped);
  CHECK(skipped->empty());  // enc use, a 24-bit modulus, P-384, a point off the curve, HMAC
  CHECK_FALSE(jwt::parse_jwks("[]", why));
  CHECK_FALSE(jwt::parse_jwks(R"({"keys": {}})", why));
  CHECK_FALSE(jwt::parse_jwks("{", why));
}

TEST_CASE("RS256 and ES256 signatures verify; others do not", "[jwt]") {
  std::string why;
  auto keys = *jwt::parse_jwks(kJwks, why);
  const auto& rsa = keys[0];
  const auto& ec = keys[1];
  CHECK(jwt::verify(*jwt::parse(kRsOk, why), rsa, why));
  CHECK(jwt::verify(*jwt::parse(kEsOk, why), ec, why));
  CHECK_FALSE(jwt::verify(*jwt::parse(kRsOk, why), ec, why));  // RS256 with an EC key
  CHECK_FALSE(jwt::verify(*jwt::parse(kEsOk, why), rsa, why));
  CHECK_FALSE(jwt::verify(*jwt::parse(kTampered, why), rsa, why));
  CHECK(why == "the signature does not verify");
  CHECK_FALSE(jwt::verify(*jwt::parse(kNone, why), rsa, why));
  CHECK_FALSE(jwt::verify(*jwt::parse(kHs256, why), rsa, why));
  // A DER signature where JWS has raw r||s is refused, not converted.
  auto es = *jwt::parse(kEsOk, why);
  es.signature += "x";
  CHECK_FALSE(jwt::verify(es, ec, why));
}

TEST_CASE("the JWT authorizer passes claims as HTTP API strings", "[jwt]") {
  auto d = check(kRsOk);
  REQUIRE(d.allowed);
  auto j = nlohmann::json::parse(d.authorizer_json);
  CHECK(j["jwt"]["claims"]["sub"] == "u1");
  CHECK(j["jwt"]["claims"]["exp"] == "4102444800");
  CHECK(j["jwt"]["claims"]["groups"] == "[a b]");
  CHECK(j["jwt"]["claims"]["ok"] == "true");
  CHECK(j["jwt"]["scopes"] == nlohmann::json::array({"read", "write"}));
  // Payload 1.0 has them at requestContext.authorizer.claims.
  auto v1 = nlohmann::json::parse(check(kRsOk, {}, "1.0").authorizer_json);
  CHECK(v1["claims"]["sub"] == "u1");
  CHECK(check(kEsOk).allowed);
  CHECK(check(kClientId).allowed);
  // The token alone, without "Bearer ", as API Gateway accepts.
  CHECK(offline().check(with_token(kRsOk), {}, "2.0", kNowMs).allowed);
}

TEST_CASE("the JWT authorizer refuses with 401 and a reason", "[jwt]") {
  struct Case {
    const char* token;
    const char* reason;
  };
  for (const auto& [token, reason] :
       {Case{kExpired, "expired"}, Case{kNotYet, "not valid yet"}, Case{kWrongAud, "aud"},
        Case{kWrongIss, "iss"}, Case{kNone, "alg 'none'"}, Case{kHs256, "alg 'HS256'"},
        Case{kNoKid, "no kid"}, Case{kTampered, "does not verify"}, Case{"x.y.z", "base64url"},
        Case{"", "no token"}}) {
    INFO(reason);
    auto d = check(token);
    CHECK_FALSE(d.allowed);
    CHECK(d.refusal.status == 401);
    CHECK(d.refusal.body == R"({"message":"Unauthorized"})");
    CHECK_THAT(d.reason, Catch::Matchers::Contains(reason));
    CHECK(d.reason.find(token[0] ? token : "\x01") == std::string::npos);  // never the token
  }
  // An empty header is no token either.
  CHECK(offline().check(with_token(""), {}, "2.0", kNowMs).refusal.status == 401);
  // A kid of no key in the offline set.
  auto other = offline(R"({"keys": []})").check(with_token(kRsOk), {}, "2.0", kNowMs);
  CHECK_THAT(other.reason, Catch::Matchers::Contains("kid"));
  // The token is valid at exp - 1 and refused at exp.
  CHECK(offline().check(with_token(kRsOk), {}, "2.0", 4102444799000).allowed);
  CHECK_FALSE(offline().check(with_token(kRsOk), {}, "2.0", 4102444800000).allowed);
}

TEST_CASE("the JWT authorizer asks one of the route's scopes, from scope or scp", "[jwt]") {
  auto d = check(kRsOk, {"admin"});
  CHECK(d.refusal.status == 403);
  CHECK(d.refusal.body == R"({"message":"Forbidden"})");
  CHECK(check(kRsOk, {"admin", "write"}).allowed);
  CHECK(check(kScp, {"admin"}).allowed);
  CHECK_FALSE(check(kScp, {"read"}).allowed);
}

TEST_CASE("an httpApi event's authorizer reference is resolved against the document", "[jwt]") {
  std::vector<RouteSpec> routes(4);
  routes[0].authorizer_json = R"("users")";
  routes[1].authorizer_json = R"({"name": "users", "scopes": ["a"]})";
  routes[2].authorizer_json = R"({"name": "lambda"})";
  routes[3].authorizer_json = R"({"type": "aws_iam"})";
  const std::string doc = R"({"authorizers": {
      "users": {"issuerUrl": "https://issuer.test", "audience": ["app"]},
      "lambda": {"type": "request", "functionName": "auth"}},
    "jwks": {"users": )" + std::string(kJwks) +
                          "}}";
  attach_authorizers(routes, doc);
  REQUIRE(routes[0].jwt);
  CHECK(routes[0].jwt->scopes.empty());
  REQUIRE(routes[1].jwt);
  CHECK(routes[1].jwt->scopes == std::vector<std::string>{"a"});
  CHECK(routes[0].jwt->authorizer == routes[1].jwt->authorizer);  // one key cache
  CHECK(routes[0].jwt->authorizer->check(with_token(kRsOk), {}, "2.0", kNowMs).allowed);
  CHECK_FALSE(routes[2].jwt);
  CHECK_FALSE(routes[2].unhonoured_authorizer.empty());
  CHECK_FALSE(routes[3].unhonoured_authorizer.empty());
}

TEST_CASE("a token seen before is checked again for the time and the route's scopes", "[jwt]") {
  auto a = offline();
  const auto request = with_token("Bearer " + std::string(kRsOk));
  auto first = a.check(request, {}, "2.0", kNowMs);
  REQUIRE(first.allowed);
  // The second time is answered from the verified set: the same claims, either payload.
  CHECK(a.check(request, {}, "2.0", kNowMs).authorizer_json == first.authorizer_json);
  CHECK(nlohmann::json::parse(
            a.check(request, {}, "1.0", kNowMs).authorizer_json)["claims"]["sub"] == "u1");
  CHECK(a.check(request, {"admin"}, "2.0", kNowMs).refusal.status == 403);
  CHECK(a.check(request, {}, "2.0", 4102444800000).refusal.status == 401);  // at exp
  CHECK(a.check(request, {}, "2.0", 1600000000000).refusal.status == 401);  // before nbf
  // A token that failed is not remembered as passed.
  CHECK_FALSE(a.check(with_token(kTampered), {}, "2.0", kNowMs).allowed);
  CHECK_FALSE(a.check(with_token(kTampered), {}, "2.0", kNowMs).allowed);
}
