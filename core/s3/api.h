// S3's REST API (path-style and virtual-hosted) over the Store: one request in, one answer
// out, errors in S3's XML form. Bodies of uploads come as files (the HTTP server writes them
// as they arrive) and objects go out as open files, so no object is ever whole in memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/s3/store.h"

namespace fx::s3 {

// S3's single PUT limit, and so the largest body the emulator accepts for one.
constexpr std::uint64_t kMaxPutBytes = 5ull * 1024 * 1024 * 1024;
// Bodies S3 reads whole (DeleteObjects of 1,000 keys, CORS, tagging, CompleteMultipartUpload
// of 10,000 parts): far below this.
constexpr std::size_t kMaxXmlBodyBytes = 2 * 1024 * 1024;

struct Request {
  std::string method;
  std::string host;   // the Host header
  std::string path;   // still percent-encoded
  std::string query;  // raw
  Pairs headers;
  std::string body;                 // when small
  std::filesystem::path body_file;  // the body, when the server wrote it to a file
  std::string region = "us-east-1";

  std::string_view header(std::string_view name) const;
  bool has_param(std::string_view name) const;
  std::string param(std::string_view name) const;
};

// An open file sent as the answer's body, closed when dropped.
struct OpenFile {
  int fd = -1;
  explicit OpenFile(int f) : fd(f) {}
  ~OpenFile();
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  int release() { return std::exchange(fd, -1); }
};

struct Response {
  int status = 200;
  Pairs headers;
  std::string body;
  std::shared_ptr<OpenFile> file;  // when set: `length` bytes from `offset` are the body
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  bool headers_only = false;  // HEAD: the length a GET would have, no body
};

class S3Error : public std::runtime_error {
 public:
  S3Error(int status, std::string code, const std::string& message, Pairs fields = {})
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        fields_(std::move(fields)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const Pairs& fields() const { return fields_; }  // <Key>, <BucketName>... in the answer

 private:
  int status_;
  std::string code_;
  Pairs fields_;
};

// The XML error document, with x-amz-request-id (no body for a HEAD, as S3).
Response error_response(const S3Error& e, bool head = false);

// Whether `name` may be a bucket's name (S3's rules for new buckets).
bool valid_bucket_name(std::string_view name);

// The bucket a virtual-hosted request names in its Host (BUCKET.s3.localhost[:PORT], or
// BUCKET.localhost[:PORT] when `is_bucket` says such a bucket exists), or "".
std::string bucket_from_host(std::string_view host, bool (*is_bucket)(void*, const std::string&),
                             void* context);

// MD5 as S3's ETag of a multipart upload: the MD5 of the parts' binary MD5s, then "-N".
std::string multipart_etag(const std::vector<std::string>& part_md5_hex);

// Answers one request. `root` is the store's folder (for temporary files). Throws only what
// cannot be answered in S3's form (the store failing).
Response handle(Store& store, Request& req);

}  // namespace fx::s3
