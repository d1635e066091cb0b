#include "core/emulator/instance_auth.h"

#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/aws/api_error.h"
#include "core/aws/sigv4.h"
#include "core/util/text.h"

namespace fx::emulator {

namespace {

// AWS refuses a signature dated more than 15 minutes from its own clock (replays).
constexpr auto kMaxSkew = std::chrono::minutes(15);

// "Credential=AKID/20260101/us-east-1/sqs/aws4_request" -> that field's value.
std::string_view auth_field(std::string_view auth, std::string_view name) {
  for (std::size_t at = auth.find(name); at != std::string_view::npos;
       at = auth.find(name, at + 1)) {
    if (at > 0 && auth[at - 1] != ' ' && auth[at - 1] != ',') continue;
    if (at + name.size() >= auth.size() || auth[at + name.size()] != '=') continue;
    std::string_view value = auth.substr(at + name.size() + 1);
    return value.substr(0, value.find_first_of(", "));
  }
  return {};
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    auto end = text.find(sep, start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// "20260101T120000Z" -> its time; nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> amz_date(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  const char* end = ::strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (s.size() != 16 || !end || *end) return std::nullopt;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

}  // namespace

InstanceSignature check_instance_signature(const HttpRequest& req,
                                           const InstanceCredentials& credentials,
                                           std::chrono::system_clock::time_point now) {
  std::string_view auth = req.header("Authorization");
  if (!auth.starts_with("AWS4-HMAC-SHA256 ") || credentials.access_key_id.empty())
    return InstanceSignature::other;
  auto scope = split(auth_field(auth, "Credential"), '/');
  if (scope.size() != 5 || scope[0] != credentials.access_key_id) return InstanceSignature::other;
  const std::string_view service = scope[3];
  // Each service words it its own way: SQS as the S3-era APIs, Lambda as Coral's.
  auto refuse = [&](std::string message) {
    throw aws::ApiError(
        403,
        service == "sqs" || service == "s3" ? "SignatureDoesNotMatch" : "InvalidSignatureException",
        std::move(message));
  };
  const std::string_view date_header = req.header("X-Amz-Date");
  auto signed_at = amz_date(date_header);
  if (!signed_at)
    refuse("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (*signed_at > now + kMaxSkew || *signed_at < now - kMaxSkew)
    refuse(
        fmt::format("Signature expired: {} is not within 15 minutes of the emulator's clock "
                    "({:%Y%m%dT%H%M%SZ})",
                    date_header, fmt::gmtime(std::chrono::system_clock::to_time_t(now))));
  if (req.header("X-Amz-Security-Token") != credentials.session_token)
    throw aws::ApiError(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.");

  // The request again, as the client signed it: its signed headers as they came (the session
  // token among them), its target as sent, its body.
  aws::SigningInput input;
  input.method = req.method;
  input.url = fmt::format("http://{}{}", req.header("Host"), req.target);
  input.body = req.body;
  input.region = std::string(scope[2]);
  input.service = std::string(service);
  input.now = *signed_at;
  // S3 signs the payload hash the client declares (its body may be on disk, or aws-chunked).
  aws::SigningExtras extras;
  if (service == "s3") extras.payload_hash = std::string(req.header("x-amz-content-sha256"));
  for (auto name : split(auth_field(auth, "SignedHeaders"), ';'))
    for (const auto& [key, value] : req.headers)
      if (util::iequals(key, name)) input.headers.emplace_back(key, value);
  // The signer adds X-Amz-Date and X-Amz-Security-Token itself, as the client's did.
  aws::AwsCredentials key{credentials.access_key_id, credentials.secret_access_key,
                          credentials.session_token, ""};
  const aws::Signature expected = aws::sigv4_signature(input, key, extras);
  const std::string_view want = auth_field(expected.authorization, "Signature");
  const std::string_view got = auth_field(auth, "Signature");
  unsigned char diff = want.size() == got.size() ? 0 : 1;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i)
    diff |= static_cast<unsigned char>(want[i] ^ got[i]);
  if (diff != 0 ||
      auth_field(expected.authorization, "SignedHeaders") != auth_field(auth, "SignedHeaders"))
    refuse(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.");
  return InstanceSignature::valid;
}

}  // namespace fx::emulator
