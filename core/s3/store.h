// S3's buckets and objects under FX_HOME/s3: each object version is a file of its own named by
// a random id (so no bucket name or key ever becomes a path), written whole to tmp/ first and
// renamed into objects/ before its row points at it, so a crash never shows half an object;
// names, metadata, tags and multipart uploads in s3.db. Used by one thread (the S3 service's
// worker); temp_path() alone is safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fx::s3 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct BucketInfo {
  std::string name;
  std::string region;
  std::int64_t created_ms = 0;
  std::string cors;  // the CORSConfiguration document as put, or ""
};

struct ObjectInfo {
  std::string key;
  std::filesystem::path file;  // where the bytes are
  std::uint64_t size = 0;
  std::string etag;  // quoted, as S3 sends it: "\"d41d8cd98f00b204e9800998ecf8427e\""
  std::int64_t modified_ms = 0;
  Pairs headers;  // Content-Type, Content-Encoding, Cache-Control... as they were put
  Pairs meta;     // user metadata: names lower-cased, without "x-amz-meta-"
  Pairs tags;
};

struct Upload {
  std::string id;
  std::string bucket;
  std::string key;
  std::int64_t created_ms = 0;
  Pairs headers;
  Pairs meta;
  Pairs tags;
};

struct Part {
  int number = 0;
  std::filesystem::path file;
  std::uint64_t size = 0;
  std::string etag;  // quoted
  std::int64_t modified_ms = 0;
};

class Store {
 public:
  // Opens (or makes) root/s3.db, root/objects/ and root/tmp/.
  explicit Store(const std::filesystem::path& root);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Removes root/tmp/: bodies being received when the emulator stopped (never an object). For
  // the emulator's start, before any request: the HTTP server writes bodies there.
  static void clear_temp(const std::filesystem::path& root);
  // A fresh path in root/tmp/ for a body being received.
  static std::filesystem::path temp_path(const std::filesystem::path& root);
  std::filesystem::path temp_path() const;

  bool create_bucket(const std::string& name, const std::string& region);  // false: it exists
  std::optional<BucketInfo> bucket(const std::string& name);
  std::vector<BucketInfo> buckets();
  enum class Deleted { deleted, missing, not_empty };
  Deleted delete_bucket(const std::string& name);
  void set_cors(const std::string& bucket, const std::string& document);
  // Objects and bytes in a bucket.
  std::pair<std::uint64_t, std::uint64_t> usage(const std::string& bucket);

  // Takes `temp` (renamed into objects/) as the object's bytes, replacing any version before.
  void put_object(const std::string& bucket, ObjectInfo info, const std::filesystem::path& temp);
  std::optional<ObjectInfo> object(const std::string& bucket, const std::string& key);
  bool delete_object(const std::string& bucket, const std::string& key);
  bool set_tags(const std::string& bucket, const std::string& key, const Pairs& tags);
  // Up to `limit` objects whose keys start with `prefix` and sort after `after` (bytewise, as
  // S3 sorts), in order.
  std::vector<ObjectInfo> list(const std::string& bucket, const std::string& prefix,
                               const std::string& after, std::size_t limit);

  std::string create_upload(const Upload& upload);  // returns its id
  std::optional<Upload> upload(const std::string& id);
  void put_part(const std::string& upload_id, Part part, const std::filesystem::path& temp);
  std::vector<Part> parts(const std::string& upload_id);
  // Removes the upload and its parts' files.
  void delete_upload(const std::string& id);
  std::vector<Upload> uploads(const std::string& bucket);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::s3
