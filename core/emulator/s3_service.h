// S3 on the emulator's endpoint (core/s3/api.h), run on a worker thread of its own. Requests are
// S3's by their signature's scope (service "s3", in Authorization or a presigned URL's
// X-Amz-Credential), by a BUCKET.s3.localhost host, or as a browser's CORS preflight. Uploads
// are written to files by the HTTP server as they arrive (spool_path) and objects are sent from
// their files, so the emulator's memory does not grow with an object's size. The store in
// FX_HOME/s3 is opened by the first request.
#pragma once

#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>

#include "core/emulator/emulator.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

class Responder;
struct HttpRequest;
struct HttpResponse;

class S3Service {
 public:
  S3Service(boost::asio::io_context& io, std::filesystem::path home, std::string region);
  ~S3Service();

  static bool serves(const HttpRequest& req);
  // A browser's CORS preflight (OPTIONS with Origin and Access-Control-Request-Method): sent
  // without credentials, answered from the bucket's CORS configuration alone.
  static bool is_preflight(const HttpRequest& req);
  // The body limit of an S3 request (5 GiB for an object's or a part's bytes).
  static std::size_t body_limit(const HttpRequest& head);
  // Where the HTTP server writes the body of an upload (PutObject, UploadPart) as it arrives;
  // "" for requests whose body stays in memory.
  std::string spool_path(const HttpRequest& head) const;
  void handle(HttpRequest& req, std::shared_ptr<Responder> r);

  // An error of the emulator's front door (authorization, size) in S3's XML form.
  static HttpResponse shaped(const HttpResponse& lambda_shaped, bool head);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class Presigned {
  none,        // not a presigned URL
  valid,       // signed with the instances' credentials, verified, not expired
  unverified,  // signed with some other key id (the emulator cannot know its secret)
};

// Checks a presigned URL's query (X-Amz-Algorithm, -Credential, -Date, -Expires,
// -SignedHeaders, -Signature). Throws aws::ApiError: AccessDenied "Request has expired",
// AuthorizationQueryParametersError for a malformed one, SignatureDoesNotMatch for a forged one.
Presigned check_presigned(const HttpRequest& req, const InstanceCredentials& credentials,
                          std::chrono::system_clock::time_point now);

}  // namespace fx::emulator
