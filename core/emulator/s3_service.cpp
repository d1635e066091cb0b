#include "core/emulator/s3_service.h"

#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <optional>

#include "core/aws/api_error.h"
#include "core/aws/sigv4.h"
#include "core/emulator/emulator_front.h"
#include "core/emulator/http_server.h"
#include "core/s3/api.h"
#include "core/s3/store.h"
#include "core/util/text.h"
#include "core/util/worker.h"

namespace fx::emulator {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// "AKID/20260101/us-east-1/s3/aws4_request" -> its five fields, or fewer when it is not one.
std::vector<std::string_view> scope_fields(std::string_view credential) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    auto end = credential.find('/', start);
    out.push_back(credential.substr(start, end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::string_view authorization_credential(std::string_view auth) {
  auto at = auth.find("Credential=");
  if (at == std::string_view::npos) return {};
  std::string_view cred = auth.substr(at + 11);
  return cred.substr(0, cred.find_first_of(", "));
}

std::optional<std::chrono::system_clock::time_point> amz_date(const std::string& s) {
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (s.size() != 16 || !end || *end) return std::nullopt;
  return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

bool has_query_param(const HttpRequest& req, std::string_view name) {
  return !req.query_params(name, true).empty();
}

// S3's code for an error the front door words as Lambda does.
std::string s3_code(std::string_view type) {
  if (type == "AccessDeniedException" || type == "MissingAuthenticationTokenException")
    return "AccessDenied";
  if (type == "InvalidSignatureException") return "SignatureDoesNotMatch";
  if (type == "UnrecognizedClientException") return "InvalidAccessKeyId";
  if (type == "RequestTooLargeException" || type == "RequestEntityTooLargeException")
    return "EntityTooLarge";
  if (type.ends_with("Exception")) return std::string(type.substr(0, type.size() - 9));
  return std::string(type);
}

HttpResponse to_http(s3::Response s) {
  HttpResponse h;
  h.status = s.status;
  h.headers = std::move(s.headers);
  h.body = std::move(s.body);
  h.headers_only = s.headers_only;
  if (s.file) {
    if (s.headers_only) {
      // (The length a GET would have; the server sends none of it.)
      h.file = std::make_shared<HttpResponse::FileBody>(-1, 0, s.length);
    } else {
      h.file = std::make_shared<HttpResponse::FileBody>(s.file->release(), s.offset, s.length);
    }
  }
  bool has_id = false;
  for (const auto& [k, v] : h.headers) has_id = has_id || util::iequals(k, "x-amz-request-id");
  if (!has_id) h.set("x-amz-request-id", "FX0000000000000");
  h.set("Server", "AmazonS3");
  return h;
}

}  // namespace

struct S3Service::Impl {
  Impl(asio::io_context& io, fs::path home, std::string region)
      : io(io), root(std::move(home) / "s3"), region(std::move(region)) {}
  asio::io_context& io;
  fs::path root;
  std::string region;
  std::unique_ptr<s3::Store> store;  // opened by the first request, on the worker
  util::Worker worker;               // last: joined before the store goes
};

S3Service::S3Service(asio::io_context& io, fs::path home, std::string region)
    : impl_(std::make_unique<Impl>(io, std::move(home), std::move(region))) {
  s3::Store::clear_temp(impl_->root);
}

S3Service::~S3Service() = default;

bool S3Service::is_preflight(const HttpRequest& req) {
  return req.method == "OPTIONS" && !req.header("Origin").empty() &&
         !req.header("Access-Control-Request-Method").empty();
}

bool S3Service::serves(const HttpRequest& req) {
  // A presigned URL of signature version 2 (what boto3 makes unless told s3v4).
  if (req.query.find("AWSAccessKeyId=") != std::string::npos &&
      req.query.find("Signature=") != std::string::npos)
    return true;
  std::string_view credential = authorization_credential(req.header("Authorization"));
  std::string presigned;
  if (credential.empty() && req.query.find("X-Amz-Credential=") != std::string::npos) {
    presigned = req.query_param("X-Amz-Credential");
    credential = presigned;
  }
  if (!credential.empty()) {
    auto scope = scope_fields(credential);
    return scope.size() == 5 && scope[3] == "s3";
  }
  std::string host = util::ascii_lower(req.header("Host"));
  if (auto colon = host.rfind(':'); colon != std::string::npos && !host.starts_with('['))
    host.resize(colon);
  return host.ends_with(".s3.localhost") || is_preflight(req);
}

static bool is_upload(const HttpRequest& head) {
  // PutObject and UploadPart: a PUT to a key without a subresource other than the part's.
  if (head.method != "PUT") return false;
  for (auto sub : {"tagging", "cors", "acl", "policy", "versioning", "notification", "lifecycle"})
    if (has_query_param(head, sub)) return false;
  return true;
}

std::size_t S3Service::body_limit(const HttpRequest& head) {
  // aws-chunked framing adds a little to the object's own 5 GiB.
  if (is_upload(head)) return static_cast<std::size_t>(s3::kMaxPutBytes + 64 * 1024 * 1024);
  return s3::kMaxXmlBodyBytes;
}

std::string S3Service::spool_path(const HttpRequest& head) const {
  if (!serves(head) || !is_upload(head)) return {};
  std::error_code ec;
  fs::create_directories(impl_->root / "tmp", ec);
  return s3::Store::temp_path(impl_->root).string();
}

HttpResponse S3Service::shaped(const HttpResponse& lambda_shaped, bool head) {
  std::string type = "InternalError";
  for (const auto& [name, value] : lambda_shaped.headers)
    if (util::iequals(name, "x-amzn-ErrorType")) type = value;
  auto body = nlohmann::json::parse(lambda_shaped.body, nullptr, false);
  std::string message = body.is_object() && body.contains("message") && body["message"].is_string()
                            ? body["message"].get<std::string>()
                            : std::string("The fx emulator refused the request");
  int status = lambda_shaped.status;
  std::string code = s3_code(type);
  if (code == "EntityTooLarge") status = 400;  // S3's status for it
  return to_http(s3::error_response(s3::S3Error(status, code, message), head));
}

void S3Service::handle(HttpRequest& req, std::shared_ptr<Responder> r) {
  s3::Request s;
  s.method = std::move(req.method);
  s.host = std::string(req.header("Host"));
  s.path = std::move(req.path);
  s.query = std::move(req.query);
  s.headers = std::move(req.headers);
  s.body = std::move(req.body);
  s.body_file = std::move(req.body_file);
  s.region = front::request_region(req, impl_->region);
  if (s.query.find("X-Amz-Credential=") != std::string::npos) {
    // A presigned URL's region is in its query.
    HttpRequest q;
    q.query = s.query;
    // scope_fields gives views into its argument: the credential must outlive them.
    const std::string credential = q.query_param("X-Amz-Credential");
    auto scope = scope_fields(credential);
    if (scope.size() == 5) s.region = std::string(scope[2]);
  }
  auto job = [impl = impl_.get(), r = std::move(r), s = std::move(s)]() mutable {
    HttpResponse answer;
    try {
      if (!impl->store) impl->store = std::make_unique<s3::Store>(impl->root);
      answer = to_http(s3::handle(*impl->store, s));
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: S3: internal error: {}\n", e.what());
      answer = to_http(s3::error_response(
          s3::S3Error(500, "InternalError",
                      fmt::format("The fx emulator failed on this request: {}", e.what())),
          s.method == "HEAD"));
    }
    // What the API did not keep of an upload.
    if (!s.body_file.empty()) {
      std::error_code ec;
      fs::remove(s.body_file, ec);
    }
    asio::post(impl->io, [r = std::move(r), answer = std::move(answer)]() mutable {
      r->send(std::move(answer));
    });
  };
  impl_->worker.post(std::move(job));
}

Presigned check_presigned(const HttpRequest& req, const InstanceCredentials& credentials,
                          std::chrono::system_clock::time_point now) {
  if (req.query.find("X-Amz-Signature=") == std::string::npos &&
      req.query.find("X-Amz-Credential=") == std::string::npos) {
    // Signature version 2 (AWSAccessKeyId, Expires as epoch seconds, Signature): its expiry is
    // checked; its HMAC-SHA1 signature is not verified, so it counts as another key's.
    if (req.query.find("AWSAccessKeyId=") == std::string::npos) return Presigned::none;
    std::string expires_text = req.query_param("Expires");
    long long expires = -1;
    try {
      std::size_t used = 0;
      expires = std::stoll(expires_text, &used);
      if (used != expires_text.size()) expires = -1;
    } catch (...) {
      expires = -1;
    }
    if (expires < 0)
      throw aws::ApiError(403, "AccessDenied",
                          "Query-string authentication requires the "
                          "Signature, Expires and AWSAccessKeyId parameters");
    if (std::chrono::system_clock::to_time_t(now) > expires)
      throw aws::ApiError(403, "AccessDenied", "Request has expired");
    return Presigned::unverified;
  }
  auto malformed = [](std::string message) {
    return aws::ApiError(400, "AuthorizationQueryParametersError", std::move(message));
  };
  if (req.query_param("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
    throw malformed("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  std::string credential = req.query_param("X-Amz-Credential");
  auto scope = scope_fields(credential);
  if (scope.size() != 5 || scope[4] != "aws4_request")
    throw malformed(
        "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  std::string date = req.query_param("X-Amz-Date");
  auto signed_at = amz_date(date);
  if (!signed_at)
    throw malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  std::string expires_text = req.query_param("X-Amz-Expires");
  long long expires = -1;
  try {
    std::size_t used = 0;
    expires = std::stoll(expires_text, &used);
    if (used != expires_text.size()) expires = -1;
  } catch (...) {
    expires = -1;
  }
  if (expires < 0) throw malformed("X-Amz-Expires should be a number");
  if (expires > 604800)
    throw malformed("X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds");
  if (req.query_param("X-Amz-SignedHeaders").empty() || req.query_param("X-Amz-Signature").empty())
    throw malformed(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, "
        "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
        "X-Amz-Expires parameters.");
  if (now > *signed_at + std::chrono::seconds(expires))
    throw aws::ApiError(403, "AccessDenied", "Request has expired");
  if (*signed_at > now + std::chrono::minutes(15))
    throw aws::ApiError(403, "AccessDenied", "Request is not valid yet");
  if (credentials.access_key_id.empty() || scope[0] != credentials.access_key_id)
    return Presigned::unverified;
  if (req.query_param("X-Amz-Security-Token") != credentials.session_token)
    throw aws::ApiError(403, "InvalidToken",
                        "The provided token is malformed or otherwise invalid.");

  // The request as it was signed: the URL without its signature, the signed headers as they came.
  std::string query;
  std::string_view q = req.query;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    if (!pair.starts_with("X-Amz-Signature="))
      query += (query.empty() ? "" : "&") + std::string(pair);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  aws::SigningInput input;
  input.method = req.method;
  input.url =
      fmt::format("http://{}{}{}{}", req.header("Host"), req.path, query.empty() ? "" : "?", query);
  input.region = std::string(scope[2]);
  input.service = std::string(scope[3]);
  input.now = *signed_at;
  aws::SigningExtras extras;
  extras.payload_hash = "UNSIGNED-PAYLOAD";
  extras.query_auth = true;
  std::string signed_headers = req.query_param("X-Amz-SignedHeaders");
  std::string_view names = signed_headers;
  while (!names.empty()) {
    auto semi = names.find(';');
    std::string_view name = names.substr(0, semi);
    for (const auto& [key, value] : req.headers)
      if (util::iequals(key, name)) input.headers.emplace_back(key, value);
    if (semi == std::string_view::npos) break;
    names.remove_prefix(semi + 1);
  }
  aws::AwsCredentials key{credentials.access_key_id, credentials.secret_access_key,
                          credentials.session_token, ""};
  const aws::Signature expected = aws::sigv4_signature(input, key, extras);
  auto at = expected.authorization.rfind("Signature=");
  std::string want = expected.authorization.substr(at + 10);
  std::string got = req.query_param("X-Amz-Signature");
  unsigned char diff = want.size() == got.size() ? 0 : 1;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i)
    diff |= static_cast<unsigned char>(want[i] ^ got[i]);
  if (diff != 0)
    throw aws::ApiError(403, "SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your key and signing method.");
  return Presigned::valid;
}

}  // namespace fx::emulator
