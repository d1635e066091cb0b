#include "core/s3/api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

#include <fmt/format.h>

#include "core/s3/chunked.h"
#include "core/s3/xml.h"
#include "core/util/files.h"
#include "core/util/hash.h"
#include "core/util/text.h"
#include "core/util/time.h"

namespace fx::s3 {

namespace fs = std::filesystem;

OpenFile::~OpenFile() {
  if (fd >= 0) ::close(fd);
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (util::iequals(k, name)) return v;
  return {};
}

namespace {

// The query's pairs, decoded ("?uploads" is {"uploads", ""}).
Pairs query_pairs(std::string_view q) {
  Pairs out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    if (!pair.empty())
      out.emplace_back(
          util::url_decode(pair.substr(0, eq), true),
          eq == std::string_view::npos ? "" : util::url_decode(pair.substr(eq + 1), true));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

bool Request::has_param(std::string_view name) const {
  for (const auto& [k, v] : query_pairs(query))
    if (k == name) return true;
  return false;
}

std::string Request::param(std::string_view name) const {
  for (auto& [k, v] : query_pairs(query))
    if (k == name) return v;
  return {};
}

namespace {

constexpr std::string_view kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view kXmlHead = R"(<?xml version="1.0" encoding="UTF-8"?>)";
constexpr std::uint64_t kMinPartBytes = 5ull * 1024 * 1024;
constexpr int kMaxParts = 10000;
constexpr std::size_t kMaxKeyBytes = 1024;
constexpr std::size_t kMaxMetadataBytes = 2048;

std::string request_id() {
  static std::uint64_t counter = 0;
  return fmt::format("FX{:014X}", ++counter);
}

std::string iso_time(std::int64_t ms) {
  return util::iso8601_ms(ms);
}

std::string http_time(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// An HTTP date (RFC 1123, and the two obsolete forms HTTP/1.1 still accepts), in seconds.
std::optional<std::int64_t> parse_http_time(std::string_view text) {
  std::string s(text);
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), format, &tm);
    if (end && *end == '\0') return static_cast<std::int64_t>(::timegm(&tm));
  }
  return std::nullopt;
}

std::string hex_to_raw(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    unsigned v = 0;
    std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    out += static_cast<char>(v);
  }
  return out;
}

std::string unquote(std::string_view etag) {
  etag = util::trim_view(etag);
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

// The encoding S3's listings use with encoding-type=url (and the event records' keys).
std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }
  std::string raw() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }

 private:
  EVP_MD_CTX* ctx_;
};

S3Error no_such_bucket(const std::string& bucket) {
  return S3Error(404, "NoSuchBucket", "The specified bucket does not exist",
                 {{"BucketName", bucket}});
}
S3Error no_such_key(const std::string& key) {
  return S3Error(404, "NoSuchKey", "The specified key does not exist.", {{"Key", key}});
}
S3Error malformed_xml() {
  return S3Error(400, "MalformedXML",
                 "The XML you provided was not well-formed or did not validate against our "
                 "published schema");
}

struct Body {
  fs::path file;  // the payload, decoded
  std::uint64_t size = 0;
  std::string md5_raw;
};

class Handler {
 public:
  Handler(Store& store, Request& req) : store_(store), req_(req) {}

  Response run();

 private:
  // --- buckets
  Response list_buckets();
  Response create_bucket();
  Response delete_bucket();
  Response head_bucket();
  Response get_location();
  Response list_objects(bool v2);
  Response delete_objects();
  Response put_cors();
  Response get_cors();
  Response delete_cors();
  // --- objects
  Response put_object();
  Response copy_object();
  Response get_object(bool head);
  Response delete_object();
  Response put_tagging();
  Response get_tagging();
  Response delete_tagging();
  Response create_upload();
  Response upload_part();
  Response complete_upload();
  Response abort_upload();
  Response list_parts();
  Response preflight();

  const BucketInfo& need_bucket();
  std::string xml_body();
  Body received_body();
  void check_md5(const Body& body);
  void check_key();
  Pairs stored_headers() const;
  Pairs user_metadata() const;
  Pairs tagging_header() const;
  Upload need_upload();
  void add_cors_headers(Response& r);
  Response xml(int status, std::string body) const;

  Store& store_;
  Request& req_;
  std::string bucket_;
  std::string key_;
  std::optional<BucketInfo> bucket_info_;
};

Response Handler::xml(int status, std::string body) const {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/xml");
  r.body = std::string(kXmlHead) + std::move(body);
  return r;
}

const BucketInfo& Handler::need_bucket() {
  if (!bucket_info_) bucket_info_ = store_.bucket(bucket_);
  if (!bucket_info_) throw no_such_bucket(bucket_);
  return *bucket_info_;
}

void Handler::check_key() {
  if (key_.size() > kMaxKeyBytes)
    throw S3Error(
        400, "KeyTooLongError", "Your key is too long",
        {{"Size", std::to_string(key_.size())}, {"MaxSizeAllowed", std::to_string(kMaxKeyBytes)}});
}

std::string Handler::xml_body() {
  if (!req_.body_file.empty()) {
    // (Only PUTs are written to files, and a PUT with an XML body is small: read it back.)
    std::error_code ec;
    auto size = fs::file_size(req_.body_file, ec);
    if (ec || size > kMaxXmlBodyBytes) throw malformed_xml();
    req_.body = util::read_file(req_.body_file);
  }
  return req_.body;
}

// The payload as a file of its own (aws-chunked framing removed), with its size and MD5.
Body Handler::received_body() {
  Body b;
  b.file = store_.temp_path();
  int out = ::open(b.file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0)
    throw std::runtime_error(fmt::format("cannot write {}: {}", b.file.string(), strerror(errno)));
  OpenFile out_guard(out);
  Md5 md5;
  std::optional<ChunkDecoder> chunks;
  const bool streaming = is_streaming_payload(req_.header("x-amz-content-sha256"));
  if (streaming) chunks.emplace();
  std::string decoded;
  auto emit = [&](std::string_view data) {
    md5.update(data);
    b.size += data.size();
    if (b.size > kMaxPutBytes)
      throw S3Error(400, "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed object size.");
    for (std::size_t done = 0; done < data.size();) {
      auto w = ::write(out, data.data() + done, data.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        throw std::runtime_error(
            fmt::format("cannot write {}: {}", b.file.string(), strerror(errno)));
      done += static_cast<std::size_t>(w);
    }
  };
  auto feed = [&](std::string_view data) {
    if (!chunks) return emit(data);
    decoded.clear();
    try {
      chunks->feed(data, decoded);
    } catch (const ChunkError& e) {
      throw S3Error(400, "IncompleteBody",
                    fmt::format("The aws-chunked body is malformed: {}", e.what()));
    }
    emit(decoded);
  };
  if (req_.body_file.empty()) {
    feed(req_.body);
  } else {
    int in = ::open(req_.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
      throw std::runtime_error(
          fmt::format("cannot read {}: {}", req_.body_file.string(), strerror(errno)));
    OpenFile in_guard(in);
    std::string buf(1 << 20, '\0');
    while (true) {
      auto n = ::read(in, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        throw std::runtime_error(
            fmt::format("cannot read {}: {}", req_.body_file.string(), strerror(errno)));
      if (n == 0) break;
      feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
    }
  }
  if (chunks && !chunks->done())
    throw S3Error(400, "IncompleteBody",
                  "You did not provide the number of bytes specified by the Content-Length HTTP "
                  "header (the aws-chunked body ends before its last chunk)");
  if (auto declared = req_.header("x-amz-decoded-content-length");
      chunks && !declared.empty() && declared != std::to_string(b.size))
    throw S3Error(400, "IncompleteBody",
                  "You did not provide the number of bytes specified by the "
                  "x-amz-decoded-content-length HTTP header");
  b.md5_raw = md5.raw();
  return b;
}

void Handler::check_md5(const Body& body) {
  auto sent = req_.header("Content-MD5");
  if (sent.empty()) return;
  std::string raw;
  try {
    raw = util::base64_decode(util::trim_view(sent));
  } catch (...) {
  }
  if (raw.size() != 16)
    throw S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.",
                  {{"Content-MD5", std::string(sent)}});
  if (raw != body.md5_raw)
    throw S3Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.",
                  {{"ExpectedDigest", std::string(sent)},
                   {"CalculatedDigest", util::base64_encode(body.md5_raw)}});
}

// The representation headers S3 keeps with an object and sends back.
constexpr std::string_view kStoredHeaders[] = {"Content-Type",
                                               "Content-Encoding",
                                               "Content-Disposition",
                                               "Content-Language",
                                               "Cache-Control",
                                               "Expires",
                                               "x-amz-website-redirect-location",
                                               "x-amz-storage-class"};

Pairs Handler::stored_headers() const {
  Pairs out;
  for (auto name : kStoredHeaders) {
    auto v = req_.header(name);
    // aws-chunked is the transfer's framing, not the object's encoding.
    if (util::iequals(name, "Content-Encoding")) {
      std::string kept;
      for (auto part : std::vector<std::string>{std::string(v)}) {
        std::string_view rest = part;
        while (!rest.empty()) {
          auto comma = rest.find(',');
          auto token = util::trim_view(rest.substr(0, comma));
          if (!token.empty() && !util::iequals(token, "aws-chunked"))
            kept += (kept.empty() ? "" : ",") + std::string(token);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
      if (!kept.empty()) out.emplace_back(std::string(name), kept);
      continue;
    }
    if (!v.empty()) out.emplace_back(std::string(name), std::string(v));
  }
  return out;
}

Pairs Handler::user_metadata() const {
  Pairs out;
  std::size_t total = 0;
  for (const auto& [k, v] : req_.headers) {
    if (k.size() > 11 && util::iequals(std::string_view(k).substr(0, 11), "x-amz-meta-")) {
      out.emplace_back(util::ascii_lower(k.substr(11)), v);
      total += k.size() - 11 + v.size();
    }
  }
  if (total > kMaxMetadataBytes)
    throw S3Error(
        400, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
        {{"Size", std::to_string(total)}, {"MaxSizeAllowed", std::to_string(kMaxMetadataBytes)}});
  return out;
}

void check_tags(const Pairs& tags) {
  if (tags.size() > 10) throw S3Error(400, "BadRequest", "Object tags cannot be greater than 10");
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const auto& [k, v] = tags[i];
    if (k.empty() || k.size() > 128)
      throw S3Error(400, "InvalidTag", "The TagKey you have provided is invalid");
    if (v.size() > 256)
      throw S3Error(400, "InvalidTag", "The TagValue you have provided is invalid");
    for (std::size_t j = 0; j < i; ++j)
      if (tags[j].first == k)
        throw S3Error(400, "InvalidTag", "Cannot provide multiple Tags with the same key");
  }
}

Pairs Handler::tagging_header() const {
  auto header = req_.header("x-amz-tagging");
  if (header.empty()) return {};
  Pairs tags = query_pairs(header);
  check_tags(tags);
  return tags;
}

void put_object_headers(Response& r, const ObjectInfo& o) {
  r.headers.emplace_back("ETag", o.etag);
  r.headers.emplace_back("Last-Modified", http_time(o.modified_ms));
  r.headers.emplace_back("Accept-Ranges", "bytes");
  bool typed = false;
  for (const auto& [k, v] : o.headers) {
    typed = typed || util::iequals(k, "Content-Type");
    r.headers.emplace_back(k, v);
  }
  if (!typed) r.headers.emplace_back("Content-Type", "binary/octet-stream");
  for (const auto& [k, v] : o.meta) r.headers.emplace_back("x-amz-meta-" + k, v);
  if (!o.tags.empty()) r.headers.emplace_back("x-amz-tagging-count", std::to_string(o.tags.size()));
}

// --- buckets ----------------------------------------------------------------------------------

Response Handler::list_buckets() {
  std::string out = fmt::format(
      "<ListAllMyBucketsResult xmlns=\"{}\"><Owner><ID>{}</ID><DisplayName>fx</DisplayName>"
      "</Owner><Buckets>",
      kXmlns, "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a");
  for (const auto& b : store_.buckets())
    out += fmt::format("<Bucket><Name>{}</Name><CreationDate>{}</CreationDate></Bucket>",
                       xml_escape(b.name), iso_time(b.created_ms));
  out += "</Buckets></ListAllMyBucketsResult>";
  return xml(200, std::move(out));
}

Response Handler::create_bucket() {
  if (!valid_bucket_name(bucket_))
    throw S3Error(400, "InvalidBucketName", "The specified bucket is not valid.",
                  {{"BucketName", bucket_}});
  std::string region = req_.region;
  std::string body = xml_body();
  if (!util::trim_view(body).empty()) {
    XmlNode doc;
    try {
      doc = parse_xml(body);
    } catch (const XmlError&) {
      throw malformed_xml();
    }
    if (doc.name != "CreateBucketConfiguration") throw malformed_xml();
    if (const XmlNode* lc = doc.child("LocationConstraint")) {
      // AWS: a constraint that is not the endpoint's region is refused; us-east-1's is "".
      if (lc->text.empty() || lc->text == "us-east-1")
        throw S3Error(400, "InvalidLocationConstraint",
                      "The specified location-constraint is not valid",
                      {{"LocationConstraint", lc->text}});
      region = lc->text;
    }
  }
  // AWS: re-creating a bucket one owns is 200 in us-east-1 (legacy compatibility), else 409.
  if (!store_.create_bucket(bucket_, region) && region != "us-east-1")
    throw S3Error(409, "BucketAlreadyOwnedByYou",
                  "Your previous request to create the named bucket succeeded and you already "
                  "own it.",
                  {{"BucketName", bucket_}});
  Response r;
  r.headers.emplace_back("Location", "/" + bucket_);
  return r;
}

Response Handler::delete_bucket() {
  switch (store_.delete_bucket(bucket_)) {
    case Store::Deleted::missing:
      throw no_such_bucket(bucket_);
    case Store::Deleted::not_empty:
      throw S3Error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                    {{"BucketName", bucket_}});
    case Store::Deleted::deleted:
      break;
  }
  Response r;
  r.status = 204;
  return r;
}

Response Handler::head_bucket() {
  const auto& b = need_bucket();
  Response r;
  r.headers.emplace_back("x-amz-bucket-region", b.region);
  r.headers_only = true;
  return r;
}

Response Handler::get_location() {
  const auto& b = need_bucket();
  // us-east-1 is the empty constraint.
  return xml(200, fmt::format("<LocationConstraint xmlns=\"{}\">{}</LocationConstraint>", kXmlns,
                              b.region == "us-east-1" ? "" : xml_escape(b.region)));
}

std::int64_t max_keys_of(const Request& req) {
  if (!req.has_param("max-keys")) return 1000;
  std::string text = req.param("max-keys");
  std::int64_t v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > 2147483647)
    throw S3Error(400, "InvalidArgument",
                  "Argument maxKeys must be an integer between 0 and 2147483647",
                  {{"ArgumentName", "maxKeys"}, {"ArgumentValue", text}});
  return std::min<std::int64_t>(v, 1000);
}

Response Handler::list_objects(bool v2) {
  need_bucket();
  const std::string prefix = req_.param("prefix");
  const std::string delimiter = req_.param("delimiter");
  const std::string encoding = req_.param("encoding-type");
  if (req_.has_param("encoding-type") && encoding != "url")
    throw S3Error(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                  {{"ArgumentName", "encoding-type"}, {"ArgumentValue", encoding}});
  const bool url = encoding == "url";
  auto enc = [&](std::string_view s) { return xml_escape(url ? url_encode(s) : std::string(s)); };
  const std::int64_t max_keys = max_keys_of(req_);
  std::string marker;
  std::string token = req_.param("continuation-token");
  if (v2) {
    if (req_.has_param("continuation-token")) {
      try {
        marker = util::base64_decode(token);
      } catch (...) {
        marker.clear();
      }
      if (token.empty() || marker.empty() || !marker.starts_with("fx1:"))
        throw S3Error(400, "InvalidArgument", "The continuation token provided is incorrect",
                      {{"ArgumentName", "continuation-token"}});
      marker = marker.substr(4);
    } else {
      marker = req_.param("start-after");
    }
  } else {
    marker = req_.param("marker");
  }
  // Keys rolled up into a common prefix already listed (the marker's own) are skipped.
  auto common_prefix_of = [&](const std::string& key) -> std::string {
    if (delimiter.empty() || !key.starts_with(prefix)) return {};
    auto at = key.find(delimiter, prefix.size());
    return at == std::string::npos ? std::string() : key.substr(0, at + delimiter.size());
  };
  std::string skip = common_prefix_of(marker);
  std::string after = marker;
  std::vector<ObjectInfo> contents;
  std::vector<std::string> prefixes;
  std::string last;  // the last entry listed: key or common prefix
  bool truncated = false;
  std::int64_t count = 0;
  while (!truncated) {
    auto batch = store_.list(bucket_, prefix, after, 1000);
    for (auto& o : batch) {
      after = o.key;
      if (!skip.empty() && o.key.starts_with(skip)) continue;
      std::string cp = common_prefix_of(o.key);
      if (count == max_keys) {
        truncated = true;
        break;
      }
      ++count;
      if (!cp.empty()) {
        prefixes.push_back(cp);
        last = cp;
        skip = cp;
      } else {
        last = o.key;
        contents.push_back(std::move(o));
      }
    }
    if (batch.size() < 1000) break;
  }
  std::string out = fmt::format("<ListBucketResult xmlns=\"{}\"><Name>{}</Name><Prefix>{}</Prefix>",
                                kXmlns, xml_escape(bucket_), enc(prefix));
  if (v2) {
    if (req_.has_param("continuation-token"))
      out += fmt::format("<ContinuationToken>{}</ContinuationToken>", xml_escape(token));
    if (req_.has_param("start-after"))
      out += fmt::format("<StartAfter>{}</StartAfter>", enc(req_.param("start-after")));
    out += fmt::format("<KeyCount>{}</KeyCount>", count);
  } else {
    out += fmt::format("<Marker>{}</Marker>", enc(marker));
  }
  out += fmt::format("<MaxKeys>{}</MaxKeys>", max_keys);
  if (!delimiter.empty()) out += fmt::format("<Delimiter>{}</Delimiter>", enc(delimiter));
  if (url) out += "<EncodingType>url</EncodingType>";
  out += fmt::format("<IsTruncated>{}</IsTruncated>", truncated ? "true" : "false");
  if (truncated) {
    if (v2)
      out += fmt::format("<NextContinuationToken>{}</NextContinuationToken>",
                         util::base64_encode("fx1:" + last));
    else if (!delimiter.empty())
      out += fmt::format("<NextMarker>{}</NextMarker>", enc(last));
  }
  const bool fetch_owner = !v2 || req_.param("fetch-owner") == "true";
  for (const auto& o : contents) {
    out += fmt::format(
        "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size>",
        enc(o.key), iso_time(o.modified_ms), xml_escape(o.etag), o.size);
    if (fetch_owner)
      out +=
          "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
          "<DisplayName>fx</DisplayName></Owner>";
    out += "<StorageClass>STANDARD</StorageClass></Contents>";
  }
  for (const auto& p : prefixes)
    out += fmt::format("<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>", enc(p));
  out += "</ListBucketResult>";
  return xml(200, std::move(out));
}

Response Handler::delete_objects() {
  need_bucket();
  std::string body = xml_body();
  XmlNode doc;
  try {
    doc = parse_xml(body);
  } catch (const XmlError&) {
    throw malformed_xml();
  }
  if (doc.name != "Delete") throw malformed_xml();
  std::vector<std::string> keys;
  for (const auto& c : doc.children) {
    if (c.name == "Object") {
      const XmlNode* k = c.child("Key");
      if (!k) throw malformed_xml();
      keys.push_back(k->text);
    }
  }
  if (keys.empty() || keys.size() > 1000) throw malformed_xml();
  const bool quiet = doc.child_text("Quiet") == "true";
  std::string out = fmt::format("<DeleteResult xmlns=\"{}\">", kXmlns);
  for (const auto& k : keys) {
    if (k.size() > kMaxKeyBytes) {
      out += fmt::format(
          "<Error><Key>{}</Key><Code>KeyTooLongError</Code><Message>Your key is too long"
          "</Message></Error>",
          xml_escape(k));
      continue;
    }
    // Deleting what is not there succeeds, as S3 says.
    store_.delete_object(bucket_, k);
    if (!quiet) out += fmt::format("<Deleted><Key>{}</Key></Deleted>", xml_escape(k));
  }
  out += "</DeleteResult>";
  return xml(200, std::move(out));
}

struct CorsRule {
  std::vector<std::string> origins, methods, headers, expose;
  std::string id;
  std::string max_age;
};

std::vector<CorsRule> cors_rules(const std::string& document) {
  std::vector<CorsRule> rules;
  XmlNode doc = parse_xml(document);
  for (const auto& rule : doc.children) {
    if (rule.name != "CORSRule") continue;
    CorsRule r;
    for (const auto& c : rule.children) {
      if (c.name == "AllowedOrigin") r.origins.push_back(c.text);
      if (c.name == "AllowedMethod") r.methods.push_back(c.text);
      if (c.name == "AllowedHeader") r.headers.push_back(c.text);
      if (c.name == "ExposeHeader") r.expose.push_back(c.text);
      if (c.name == "MaxAgeSeconds") r.max_age = c.text;
      if (c.name == "ID") r.id = c.text;
    }
    rules.push_back(std::move(r));
  }
  return rules;
}

// S3's wildcard: at most one '*', matching any run of characters.
bool wildcard_match(std::string_view pattern, std::string_view text, bool fold_case) {
  std::string p(pattern), t(text);
  if (fold_case) {
    p = util::ascii_lower(p);
    t = util::ascii_lower(t);
  }
  auto star = p.find('*');
  if (star == std::string::npos) return p == t;
  std::string_view head = std::string_view(p).substr(0, star);
  std::string_view tail = std::string_view(p).substr(star + 1);
  return t.size() >= head.size() + tail.size() && t.starts_with(head) && t.ends_with(tail);
}

std::string cors_document(const std::vector<CorsRule>& rules) {
  std::string out = fmt::format("<CORSConfiguration xmlns=\"{}\">", kXmlns);
  for (const auto& r : rules) {
    out += "<CORSRule>";
    if (!r.id.empty()) out += fmt::format("<ID>{}</ID>", xml_escape(r.id));
    for (const auto& h : r.headers)
      out += fmt::format("<AllowedHeader>{}</AllowedHeader>", xml_escape(h));
    for (const auto& m : r.methods)
      out += fmt::format("<AllowedMethod>{}</AllowedMethod>", xml_escape(m));
    for (const auto& o : r.origins)
      out += fmt::format("<AllowedOrigin>{}</AllowedOrigin>", xml_escape(o));
    for (const auto& e : r.expose)
      out += fmt::format("<ExposeHeader>{}</ExposeHeader>", xml_escape(e));
    if (!r.max_age.empty())
      out += fmt::format("<MaxAgeSeconds>{}</MaxAgeSeconds>", xml_escape(r.max_age));
    out += "</CORSRule>";
  }
  return out + "</CORSConfiguration>";
}

Response Handler::put_cors() {
  need_bucket();
  std::string body = xml_body();
  std::vector<CorsRule> rules;
  try {
    XmlNode doc = parse_xml(body);
    if (doc.name != "CORSConfiguration") throw malformed_xml();
    rules = cors_rules(body);
  } catch (const XmlError&) {
    throw malformed_xml();
  }
  if (rules.empty() || rules.size() > 100) throw malformed_xml();
  for (const auto& r : rules) {
    if (r.origins.empty() || r.methods.empty()) throw malformed_xml();
    for (const auto& m : r.methods)
      if (m != "GET" && m != "PUT" && m != "HEAD" && m != "POST" && m != "DELETE")
        throw S3Error(400, "InvalidRequest",
                      fmt::format("Found unsupported HTTP method in CORS config. Unsupported "
                                  "method is {}",
                                  m));
    for (const auto& o : r.origins)
      if (std::count(o.begin(), o.end(), '*') > 1)
        throw S3Error(400, "InvalidRequest",
                      fmt::format("AllowedOrigin \"{}\" can not have more than one wildcard.", o));
  }
  store_.set_cors(bucket_, cors_document(rules));
  return Response{};
}

Response Handler::get_cors() {
  const auto& b = need_bucket();
  if (b.cors.empty())
    throw S3Error(404, "NoSuchCORSConfiguration", "The CORS configuration does not exist",
                  {{"BucketName", bucket_}});
  return xml(200, b.cors);
}

Response Handler::delete_cors() {
  need_bucket();
  store_.set_cors(bucket_, "");
  Response r;
  r.status = 204;
  return r;
}

// The rule that lets `origin` make a `method` request with those headers, if any.
const CorsRule* matching_rule(const std::vector<CorsRule>& rules, std::string_view origin,
                              std::string_view method, const std::vector<std::string>& headers) {
  for (const auto& r : rules) {
    bool origin_ok = std::any_of(r.origins.begin(), r.origins.end(),
                                 [&](const auto& o) { return wildcard_match(o, origin, false); });
    bool method_ok = std::find(r.methods.begin(), r.methods.end(), method) != r.methods.end();
    bool headers_ok = std::all_of(headers.begin(), headers.end(), [&](const auto& h) {
      return std::any_of(r.headers.begin(), r.headers.end(),
                         [&](const auto& a) { return wildcard_match(a, h, true); });
    });
    if (origin_ok && method_ok && headers_ok) return &r;
  }
  return nullptr;
}

void allow_headers(Response& r, const CorsRule& rule, std::string_view origin) {
  bool any = std::find(rule.origins.begin(), rule.origins.end(), "*") != rule.origins.end();
  r.headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : std::string(origin));
  std::string methods;
  for (const auto& m : rule.methods) methods += (methods.empty() ? "" : ", ") + m;
  r.headers.emplace_back("Access-Control-Allow-Methods", methods);
  if (!rule.expose.empty()) {
    std::string expose;
    for (const auto& e : rule.expose) expose += (expose.empty() ? "" : ", ") + e;
    r.headers.emplace_back("Access-Control-Expose-Headers", expose);
  }
  if (!rule.max_age.empty()) r.headers.emplace_back("Access-Control-Max-Age", rule.max_age);
  if (!any)
    r.headers.emplace_back("Vary",
                           "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

Response Handler::preflight() {
  auto origin = req_.header("Origin");
  auto method = req_.header("Access-Control-Request-Method");
  if (origin.empty() || method.empty())
    throw S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.");
  auto info = store_.bucket(bucket_);
  if (!info || info->cors.empty())
    throw S3Error(403, "AccessForbidden",
                  "CORSResponse: This CORS request is not allowed. "
                  "This is usually because the evalution of Origin, request method / "
                  "Access-Control-Request-Method or Access-Control-Request-Headers are not "
                  "whitelisted by the resource's CORS spec.",
                  {{"Method", std::string(method)}, {"ResourceType", "OBJECT"}});
  std::vector<std::string> headers;
  std::string_view list = req_.header("Access-Control-Request-Headers");
  while (!list.empty()) {
    auto comma = list.find(',');
    auto h = util::trim_view(list.substr(0, comma));
    if (!h.empty()) headers.emplace_back(h);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  auto rules = cors_rules(info->cors);
  const CorsRule* rule = matching_rule(rules, origin, method, headers);
  if (!rule)
    throw S3Error(403, "AccessForbidden",
                  "CORSResponse: This CORS request is not allowed. This is usually because the "
                  "evalution of Origin, request method / Access-Control-Request-Method or "
                  "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
                  {{"Method", std::string(method)}, {"ResourceType", "OBJECT"}});
  Response r;
  allow_headers(r, *rule, origin);
  if (!headers.empty())
    r.headers.emplace_back("Access-Control-Allow-Headers",
                           std::string(req_.header("Access-Control-Request-Headers")));
  return r;
}

// An actual (not preflight) request from a page: the rule's headers, so the browser lets the
// page read the answer.
void Handler::add_cors_headers(Response& r) {
  auto origin = req_.header("Origin");
  if (origin.empty() || !bucket_info_ || bucket_info_->cors.empty()) return;
  try {
    auto rules = cors_rules(bucket_info_->cors);
    if (const CorsRule* rule = matching_rule(rules, origin, req_.method, {}))
      allow_headers(r, *rule, origin);
  } catch (const XmlError&) {
  }
}

// --- objects ----------------------------------------------------------------------------------

Response Handler::put_object() {
  need_bucket();
  check_key();
  Pairs headers = stored_headers();
  Pairs meta = user_metadata();
  Pairs tags = tagging_header();
  Body body = received_body();
  check_md5(body);
  ObjectInfo o;
  o.key = key_;
  o.size = body.size;
  o.etag = "\"" + util::to_hex(body.md5_raw) + "\"";
  o.modified_ms = util::now_ms();
  o.headers = std::move(headers);
  o.meta = std::move(meta);
  o.tags = std::move(tags);
  std::string etag = o.etag;
  store_.put_object(bucket_, std::move(o), body.file);
  Response r;
  r.headers.emplace_back("ETag", etag);
  return r;
}

Response Handler::copy_object() {
  need_bucket();
  check_key();
  std::string source = util::url_decode(req_.header("x-amz-copy-source"));
  if (auto q = source.find("?versionId="); q != std::string::npos) source.resize(q);
  if (source.starts_with("/")) source.erase(0, 1);
  auto slash = source.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == source.size())
    throw S3Error(400, "InvalidArgument",
                  "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
                  {{"ArgumentName", "x-amz-copy-source"}});
  std::string src_bucket = source.substr(0, slash), src_key = source.substr(slash + 1);
  if (!store_.bucket(src_bucket)) throw no_such_bucket(src_bucket);
  auto src = store_.object(src_bucket, src_key);
  if (!src) throw no_such_key(src_key);
  // The copy-source conditions.
  if (auto m = req_.header("x-amz-copy-source-if-match");
      !m.empty() && unquote(m) != unquote(src->etag) && m != "*")
    throw S3Error(412, "PreconditionFailed",
                  "At least one of the pre-conditions you specified did not hold",
                  {{"Condition", "x-amz-copy-source-If-Match"}});
  if (auto m = req_.header("x-amz-copy-source-if-none-match");
      !m.empty() && (unquote(m) == unquote(src->etag) || m == "*"))
    throw S3Error(412, "PreconditionFailed",
                  "At least one of the pre-conditions you specified did not hold",
                  {{"Condition", "x-amz-copy-source-If-None-Match"}});
  std::string directive(req_.header("x-amz-metadata-directive"));
  if (directive.empty()) directive = "COPY";
  if (directive != "COPY" && directive != "REPLACE")
    throw S3Error(400, "InvalidArgument", "Unknown metadata directive.",
                  {{"ArgumentName", "x-amz-metadata-directive"}, {"ArgumentValue", directive}});
  std::string tagging_directive(req_.header("x-amz-tagging-directive"));
  if (src_bucket == bucket_ && src_key == key_ && directive == "COPY")
    throw S3Error(400, "InvalidRequest",
                  "This copy request is illegal because it is trying to copy an object to itself "
                  "without changing the object's metadata, storage class, website redirect "
                  "location or encryption attributes.");
  ObjectInfo o;
  o.key = key_;
  o.size = src->size;
  o.etag = src->etag;
  o.modified_ms = util::now_ms();
  if (directive == "REPLACE") {
    o.headers = stored_headers();
    o.meta = user_metadata();
  } else {
    o.headers = src->headers;
    o.meta = src->meta;
  }
  o.tags = tagging_directive == "REPLACE" ? tagging_header() : src->tags;
  fs::path temp = store_.temp_path();
  // The kernel copies (copy_file_range): no byte of it passes through here.
  fs::copy_file(src->file, temp, fs::copy_options::overwrite_existing);
  std::string etag = o.etag;
  std::int64_t modified = o.modified_ms;
  store_.put_object(bucket_, std::move(o), temp);
  return xml(200, fmt::format("<CopyObjectResult xmlns=\"{}\"><LastModified>{}</LastModified>"
                              "<ETag>{}</ETag></CopyObjectResult>",
                              kXmlns, iso_time(modified), xml_escape(etag)));
}

// "bytes=0-9", "bytes=10-", "bytes=-5" against an object of `size` bytes: [first, last], or
// nullopt when the header is not one range S3 honours (then the whole object is sent).
// Throws InvalidRange when it is one but lies beyond the object.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(std::string_view header,
                                                                   std::uint64_t size) {
  header = util::trim_view(header);
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    s = util::trim_view(s);
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto unsatisfiable = [&]() {
    return S3Error(
        416, "InvalidRange", "The requested range is not satisfiable",
        {{"RangeRequested", std::string(header)}, {"ActualObjectSize", std::to_string(size)}});
  };
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (util::trim_view(a).empty()) {
    auto n = number(b);
    if (!n) return std::nullopt;
    if (*n == 0 || size == 0) throw unsatisfiable();
    return std::pair{size - std::min(*n, size), size - 1};
  }
  auto first = number(a);
  if (!first) return std::nullopt;
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!util::trim_view(b).empty()) {
    auto l = number(b);
    if (!l || *l < *first) return std::nullopt;
    last = std::min(*l, last);
  }
  if (*first >= size) throw unsatisfiable();
  return std::pair{*first, last};
}

bool etag_matches(std::string_view list, const std::string& etag) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = util::trim_view(list.substr(0, comma));
    if (item == "*" || unquote(item) == unquote(etag)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Response Handler::get_object(bool head) {
  need_bucket();
  check_key();
  auto o = store_.object(bucket_, key_);
  if (!o) throw no_such_key(key_);
  const std::int64_t modified_s = o->modified_ms / 1000;
  // RFC 7232's order, as S3 applies it: If-Match, else If-Unmodified-Since; If-None-Match,
  // else If-Modified-Since.
  auto if_match = req_.header("If-Match");
  auto if_none = req_.header("If-None-Match");
  auto precondition_failed = [](const char* condition) {
    return S3Error(412, "PreconditionFailed",
                   "At least one of the pre-conditions you specified did not hold",
                   {{"Condition", condition}});
  };
  if (!if_match.empty()) {
    if (!etag_matches(if_match, o->etag)) throw precondition_failed("If-Match");
  } else if (auto since = parse_http_time(req_.header("If-Unmodified-Since"))) {
    if (modified_s > *since) throw precondition_failed("If-Unmodified-Since");
  }
  auto not_modified = [&] {
    Response r;
    r.status = 304;
    r.headers.emplace_back("ETag", o->etag);
    r.headers.emplace_back("Last-Modified", http_time(o->modified_ms));
    return r;
  };
  if (!if_none.empty()) {
    if (etag_matches(if_none, o->etag)) return not_modified();
  } else if (auto since = parse_http_time(req_.header("If-Modified-Since"))) {
    if (modified_s <= *since) return not_modified();
  }
  Response r;
  put_object_headers(r, *o);
  // A presigned GET may rename what the browser receives.
  for (auto [param, header] : {std::pair{"response-content-type", "Content-Type"},
                               std::pair{"response-content-disposition", "Content-Disposition"},
                               std::pair{"response-content-encoding", "Content-Encoding"},
                               std::pair{"response-content-language", "Content-Language"},
                               std::pair{"response-cache-control", "Cache-Control"},
                               std::pair{"response-expires", "Expires"}}) {
    if (!req_.has_param(param)) continue;
    std::erase_if(r.headers, [&](const auto& h) { return util::iequals(h.first, header); });
    r.headers.emplace_back(header, req_.param(param));
  }
  std::uint64_t first = 0, length = o->size;
  if (auto range = parse_range(req_.header("Range"), o->size)) {
    first = range->first;
    length = range->second - range->first + 1;
    r.status = 206;
    r.headers.emplace_back("Content-Range",
                           fmt::format("bytes {}-{}/{}", range->first, range->second, o->size));
  }
  int fd = ::open(o->file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(fmt::format("cannot read {}: {}", o->file.string(), strerror(errno)));
  r.file = std::make_shared<OpenFile>(fd);
  r.offset = first;
  r.length = length;
  r.headers_only = head;
  return r;
}

Response Handler::delete_object() {
  need_bucket();
  check_key();
  store_.delete_object(bucket_, key_);
  Response r;
  r.status = 204;
  return r;
}

Response Handler::put_tagging() {
  need_bucket();
  if (!store_.object(bucket_, key_)) throw no_such_key(key_);
  XmlNode doc;
  try {
    doc = parse_xml(xml_body());
  } catch (const XmlError&) {
    throw malformed_xml();
  }
  const XmlNode* set = doc.child("TagSet");
  if (doc.name != "Tagging" || !set) throw malformed_xml();
  Pairs tags;
  for (const auto& t : set->children) {
    if (t.name != "Tag" || !t.child("Key")) throw malformed_xml();
    tags.emplace_back(t.child_text("Key"), t.child_text("Value"));
  }
  check_tags(tags);
  store_.set_tags(bucket_, key_, tags);
  return Response{};
}

Response Handler::get_tagging() {
  need_bucket();
  auto o = store_.object(bucket_, key_);
  if (!o) throw no_such_key(key_);
  std::string out = fmt::format("<Tagging xmlns=\"{}\"><TagSet>", kXmlns);
  for (const auto& [k, v] : o->tags)
    out += fmt::format("<Tag><Key>{}</Key><Value>{}</Value></Tag>", xml_escape(k), xml_escape(v));
  return xml(200, out + "</TagSet></Tagging>");
}

Response Handler::delete_tagging() {
  need_bucket();
  if (!store_.set_tags(bucket_, key_, {})) throw no_such_key(key_);
  Response r;
  r.status = 204;
  return r;
}

Response Handler::create_upload() {
  need_bucket();
  check_key();
  Upload u;
  u.bucket = bucket_;
  u.key = key_;
  u.headers = stored_headers();
  u.meta = user_metadata();
  u.tags = tagging_header();
  std::string id = store_.create_upload(u);
  return xml(200, fmt::format("<InitiateMultipartUploadResult xmlns=\"{}\"><Bucket>{}</Bucket>"
                              "<Key>{}</Key><UploadId>{}</UploadId>"
                              "</InitiateMultipartUploadResult>",
                              kXmlns, xml_escape(bucket_), xml_escape(key_), id));
}

Upload Handler::need_upload() {
  auto u = store_.upload(req_.param("uploadId"));
  if (!u || u->bucket != bucket_ || u->key != key_)
    throw S3Error(404, "NoSuchUpload",
                  "The specified upload does not exist. The upload ID may be invalid, or the "
                  "upload may have been aborted or completed.",
                  {{"UploadId", req_.param("uploadId")}});
  return *u;
}

Response Handler::upload_part() {
  need_bucket();
  std::string number_text = req_.param("partNumber");
  int number = 0;
  auto [end, ec] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (ec != std::errc() || end != number_text.data() + number_text.size() || number < 1 ||
      number > kMaxParts)
    throw S3Error(400, "InvalidArgument",
                  "Part number must be an integer between 1 and 10000, inclusive",
                  {{"ArgumentName", "partNumber"}, {"ArgumentValue", number_text}});
  need_upload();
  if (!req_.header("x-amz-copy-source").empty())
    throw S3Error(501, "NotImplemented",
                  "UploadPartCopy is not implemented by the fx emulator; upload the part's bytes");
  Body body = received_body();
  check_md5(body);
  Part p;
  p.number = number;
  p.size = body.size;
  p.etag = "\"" + util::to_hex(body.md5_raw) + "\"";
  std::string etag = p.etag;
  store_.put_part(req_.param("uploadId"), std::move(p), body.file);
  Response r;
  r.headers.emplace_back("ETag", etag);
  return r;
}

Response Handler::complete_upload() {
  need_bucket();
  Upload u = need_upload();
  XmlNode doc;
  try {
    doc = parse_xml(xml_body());
  } catch (const XmlError&) {
    throw malformed_xml();
  }
  if (doc.name != "CompleteMultipartUpload") throw malformed_xml();
  std::vector<std::pair<int, std::string>> wanted;
  for (const auto& c : doc.children) {
    if (c.name != "Part") continue;
    std::string n = c.child_text("PartNumber");
    int number = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), number);
    if (ec != std::errc() || end != n.data() + n.size() || !c.child("ETag")) throw malformed_xml();
    wanted.emplace_back(number, c.child_text("ETag"));
  }
  if (wanted.empty())
    throw S3Error(400, "MalformedXML",
                  "The XML you provided was not well-formed or did not validate against our "
                  "published schema");
  auto stored = store_.parts(u.id);
  std::vector<const Part*> chosen;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (i > 0 && wanted[i].first <= wanted[i - 1].first)
      throw S3Error(400, "InvalidPartOrder",
                    "The list of parts was not in ascending order. The parts list must be "
                    "specified in order by part number.",
                    {{"UploadId", u.id}});
    auto it = std::find_if(stored.begin(), stored.end(),
                           [&](const Part& p) { return p.number == wanted[i].first; });
    if (it == stored.end() || unquote(it->etag) != unquote(wanted[i].second))
      throw S3Error(400, "InvalidPart",
                    "One or more of the specified parts could not be found.  The part may not "
                    "have been uploaded, or the specified entity tag may not match the part's "
                    "entity tag.",
                    {{"UploadId", u.id},
                     {"PartNumber", std::to_string(wanted[i].first)},
                     {"ETag", wanted[i].second}});
    chosen.push_back(&*it);
  }
  for (std::size_t i = 0; i + 1 < chosen.size(); ++i)
    if (chosen[i]->size < kMinPartBytes)
      throw S3Error(400, "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    {{"ProposedSize", std::to_string(chosen[i]->size)},
                     {"MinSizeAllowed", std::to_string(kMinPartBytes)},
                     {"PartNumber", std::to_string(chosen[i]->number)},
                     {"ETag", chosen[i]->etag}});
  // The parts, one after the other, into the object's file (the kernel copies).
  fs::path temp = store_.temp_path();
  int out = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0)
    throw std::runtime_error(fmt::format("cannot write {}: {}", temp.string(), strerror(errno)));
  std::uint64_t total = 0;
  std::vector<std::string> md5s;
  {
    OpenFile guard(out);
    for (const Part* p : chosen) {
      int in = ::open(p->file.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0)
        throw std::runtime_error(
            fmt::format("cannot read {}: {}", p->file.string(), strerror(errno)));
      OpenFile in_guard(in);
      std::uint64_t left = p->size;
      while (left > 0) {
        auto n =
            ::copy_file_range(in, nullptr, out, nullptr,
                              static_cast<std::size_t>(std::min<std::uint64_t>(left, 1 << 30)), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
          throw std::runtime_error(
              fmt::format("cannot copy part {}: {}", p->number, strerror(errno)));
        left -= static_cast<std::uint64_t>(n);
      }
      total += p->size;
      md5s.push_back(unquote(p->etag));
    }
  }
  ObjectInfo o;
  o.key = key_;
  o.size = total;
  o.etag = "\"" + multipart_etag(md5s) + "\"";
  o.modified_ms = util::now_ms();
  o.headers = u.headers;
  o.meta = u.meta;
  o.tags = u.tags;
  std::string etag = o.etag;
  store_.put_object(bucket_, std::move(o), temp);
  store_.delete_upload(u.id);
  return xml(200, fmt::format("<CompleteMultipartUploadResult xmlns=\"{}\"><Location>/{}/{}"
                              "</Location><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag>"
                              "</CompleteMultipartUploadResult>",
                              kXmlns, xml_escape(bucket_), xml_escape(url_encode(key_)),
                              xml_escape(bucket_), xml_escape(key_), xml_escape(etag)));
}

Response Handler::abort_upload() {
  need_bucket();
  Upload u = need_upload();
  store_.delete_upload(u.id);
  Response r;
  r.status = 204;
  return r;
}

Response Handler::list_parts() {
  need_bucket();
  Upload u = need_upload();
  auto parts = store_.parts(u.id);
  std::int64_t max_parts = 1000;
  if (req_.has_param("max-parts")) {
    std::string t = req_.param("max-parts");
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), max_parts);
    if (ec != std::errc() || end != t.data() + t.size() || max_parts < 0)
      throw S3Error(400, "InvalidArgument",
                    "Argument max-parts must be an integer between 0 and 2147483647",
                    {{"ArgumentName", "max-parts"}, {"ArgumentValue", t}});
    max_parts = std::min<std::int64_t>(max_parts, 1000);
  }
  int marker = 0;
  if (req_.has_param("part-number-marker")) {
    std::string t = req_.param("part-number-marker");
    std::from_chars(t.data(), t.data() + t.size(), marker);
  }
  std::string out = fmt::format(
      "<ListPartsResult xmlns=\"{}\"><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId>"
      "<PartNumberMarker>{}</PartNumberMarker>",
      kXmlns, xml_escape(bucket_), xml_escape(key_), u.id, marker);
  std::int64_t n = 0;
  int last = marker;
  bool truncated = false;
  std::string items;
  for (const auto& p : parts) {
    if (p.number <= marker) continue;
    if (n == max_parts) {
      truncated = true;
      break;
    }
    ++n;
    last = p.number;
    items += fmt::format(
        "<Part><PartNumber>{}</PartNumber><LastModified>{}</LastModified><ETag>{}</ETag>"
        "<Size>{}</Size></Part>",
        p.number, iso_time(p.modified_ms), xml_escape(p.etag), p.size);
  }
  out += fmt::format(
      "<NextPartNumberMarker>{}</NextPartNumberMarker><MaxParts>{}</MaxParts>"
      "<IsTruncated>{}</IsTruncated><StorageClass>STANDARD</StorageClass>",
      last, max_parts, truncated ? "true" : "false");
  return xml(200, out + items + "</ListPartsResult>");
}

// --- routing ----------------------------------------------------------------------------------

// Whether the query names no subresource: only the SDKs' operation hint (?x-id=PutObject) and a
// presigned URL's X-Amz-* parameters.
bool plain_query(const Request& req) {
  for (const auto& [k, v] : query_pairs(req.query))
    if (k != "x-id" && !k.starts_with("X-Amz-") && !k.starts_with("x-amz-")) return false;
  return true;
}

S3Error not_implemented(std::string_view what) {
  return S3Error(501, "NotImplemented",
                 fmt::format("{} is not implemented by the fx emulator", what));
}

Response Handler::run() {
  // Virtual-hosted (the bucket in Host) or path-style (/BUCKET/KEY).
  std::string_view path = req_.path;
  std::string host_bucket = bucket_from_host(
      req_.host,
      [](void* ctx, const std::string& name) {
        return static_cast<Store*>(ctx)->bucket(name).has_value();
      },
      &store_);
  std::string raw_key;
  if (!host_bucket.empty()) {
    bucket_ = host_bucket;
    raw_key = path.size() > 1 ? std::string(path.substr(1)) : std::string();
  } else {
    std::string_view rest = path.substr(path.starts_with('/') ? 1 : 0);
    auto slash = rest.find('/');
    bucket_ = util::url_decode(rest.substr(0, slash));
    if (slash != std::string_view::npos) raw_key = std::string(rest.substr(slash + 1));
  }
  key_ = util::url_decode(raw_key);
  if (!valid_utf8(key_) || !valid_utf8(bucket_))
    throw S3Error(400, "InvalidURI", "Couldn't parse the specified URI.",
                  {{"URI", std::string(req_.path.substr(0, 1024))}});
  const std::string& m = req_.method;
  if (m == "OPTIONS" && !bucket_.empty()) return preflight();
  Response r;
  if (bucket_.empty()) {
    if (m != "GET")
      throw S3Error(405, "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    {{"Method", m}, {"ResourceType", "SERVICE"}});
    return list_buckets();
  }
  if (raw_key.empty()) {
    if (m == "PUT") {
      if (req_.has_param("cors"))
        r = put_cors();
      else if (plain_query(req_))
        r = create_bucket();
      else
        throw not_implemented(fmt::format("PUT on a bucket with ?{}", req_.query.substr(0, 64)));
    } else if (m == "DELETE") {
      if (req_.has_param("cors"))
        r = delete_cors();
      else if (plain_query(req_))
        r = delete_bucket();
      else
        throw not_implemented(fmt::format("DELETE on a bucket with ?{}", req_.query.substr(0, 64)));
    } else if (m == "HEAD") {
      r = head_bucket();
    } else if (m == "GET") {
      if (req_.has_param("cors"))
        r = get_cors();
      else if (req_.has_param("location"))
        r = get_location();
      else if (req_.param("list-type") == "2")
        r = list_objects(true);
      else if (req_.has_param("list-type"))
        throw S3Error(400, "InvalidArgument", "Invalid List Type specified in Request",
                      {{"ArgumentName", "list-type"}});
      else {
        for (auto sub : {"acl",
                         "policy",
                         "versioning",
                         "tagging",
                         "notification",
                         "lifecycle",
                         "website",
                         "uploads",
                         "versions",
                         "encryption",
                         "logging",
                         "replication",
                         "object-lock",
                         "ownershipControls",
                         "publicAccessBlock",
                         "accelerate",
                         "requestPayment",
                         "analytics",
                         "inventory",
                         "metrics",
                         "intelligent-tiering",
                         "policyStatus"})
          if (req_.has_param(sub))
            throw not_implemented(fmt::format("GET on a bucket with ?{}", sub));
        r = list_objects(false);
      }
    } else if (m == "POST" && req_.has_param("delete")) {
      r = delete_objects();
    } else {
      throw S3Error(405, "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    {{"Method", m}, {"ResourceType", "BUCKET"}});
    }
  } else if (m == "PUT") {
    if (req_.has_param("tagging"))
      r = put_tagging();
    else if (req_.has_param("uploadId") || req_.has_param("partNumber"))
      r = upload_part();
    else if (!req_.header("x-amz-copy-source").empty())
      r = copy_object();
    else if (plain_query(req_))
      r = put_object();
    else
      throw not_implemented(fmt::format("PUT on an object with ?{}", req_.query.substr(0, 64)));
  } else if (m == "GET") {
    if (req_.has_param("tagging"))
      r = get_tagging();
    else if (req_.has_param("uploadId"))
      r = list_parts();
    else if (req_.has_param("acl") || req_.has_param("attributes") || req_.has_param("retention") ||
             req_.has_param("legal-hold") || req_.has_param("torrent"))
      throw not_implemented(fmt::format("GET on an object with ?{}", req_.query.substr(0, 64)));
    else
      r = get_object(false);
  } else if (m == "HEAD") {
    r = get_object(true);
  } else if (m == "DELETE") {
    if (req_.has_param("tagging"))
      r = delete_tagging();
    else if (req_.has_param("uploadId"))
      r = abort_upload();
    else
      r = delete_object();
  } else if (m == "POST") {
    if (req_.has_param("uploads"))
      r = create_upload();
    else if (req_.has_param("uploadId"))
      r = complete_upload();
    else
      throw S3Error(405, "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    {{"Method", m}, {"ResourceType", "OBJECT"}});
  } else {
    throw S3Error(405, "MethodNotAllowed",
                  "The specified method is not allowed against this resource.",
                  {{"Method", m}, {"ResourceType", "OBJECT"}});
  }
  add_cors_headers(r);
  return r;
}

}  // namespace

Response error_response(const S3Error& e, bool head) {
  Response r;
  r.status = e.status();
  std::string id = request_id();
  r.headers.emplace_back("x-amz-request-id", id);
  if (head) {
    r.headers_only = true;
    return r;
  }
  r.headers.emplace_back("Content-Type", "application/xml");
  std::string out = fmt::format("{}<Error><Code>{}</Code><Message>{}</Message>", kXmlHead, e.code(),
                                xml_escape(e.what()));
  for (const auto& [k, v] : e.fields()) out += fmt::format("<{}>{}</{}>", k, xml_escape(v), k);
  out += fmt::format("<RequestId>{}</RequestId><HostId>fx</HostId></Error>", id);
  r.body = std::move(out);
  return r;
}

bool valid_bucket_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  if (name.find("..") != std::string_view::npos || name.find(".-") != std::string_view::npos ||
      name.find("-.") != std::string_view::npos)
    return false;
  if (name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") ||
      name.ends_with("--ol-s3"))
    return false;
  // Not an IP address.
  int dots = 0;
  bool digits_only = true;
  for (char c : name) {
    if (c == '.')
      ++dots;
    else if (!(c >= '0' && c <= '9'))
      digits_only = false;
  }
  return !(dots == 3 && digits_only);
}

std::string bucket_from_host(std::string_view host, bool (*is_bucket)(void*, const std::string&),
                             void* context) {
  if (host.starts_with('[')) return {};
  if (auto colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  std::string lower = util::ascii_lower(host);
  if (lower.ends_with(".s3.localhost") && lower.size() > 13)
    return lower.substr(0, lower.size() - 13);
  if (lower.ends_with(".localhost") && lower.size() > 10) {
    std::string name = lower.substr(0, lower.size() - 10);
    if (is_bucket(context, name)) return name;
  }
  return {};
}

std::string multipart_etag(const std::vector<std::string>& part_md5_hex) {
  std::string joined;
  for (const auto& h : part_md5_hex) joined += hex_to_raw(h);
  return fmt::format("{}-{}", util::md5_hex(joined), part_md5_hex.size());
}

Response handle(Store& store, Request& req) {
  try {
    return Handler(store, req).run();
  } catch (const S3Error& e) {
    return error_response(e, req.method == "HEAD");
  }
}

}  // namespace fx::s3
