#include "core/s3/store.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/store/sqlite.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/time.h"

namespace fx::s3 {

namespace fs = std::filesystem;

namespace {

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  for (std::size_t got = 0; got < bytes;) {
    auto n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  return util::to_hex(raw);
}

// Pairs as one BLOB: names and values end with NUL (which no header, metadata or tag holds).
std::string pack(const Pairs& pairs) {
  std::string out;
  for (const auto& [k, v] : pairs) {
    out += k;
    out += '\0';
    out += v;
    out += '\0';
  }
  return out;
}

Pairs unpack(const std::string& blob) {
  Pairs out;
  std::size_t at = 0;
  while (at < blob.size()) {
    auto k_end = blob.find('\0', at);
    if (k_end == std::string::npos) break;
    auto v_end = blob.find('\0', k_end + 1);
    if (v_end == std::string::npos) break;
    out.emplace_back(blob.substr(at, k_end - at), blob.substr(k_end + 1, v_end - k_end - 1));
    at = v_end + 1;
  }
  return out;
}

void remove_file(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

}  // namespace

struct Store::Impl {
  fs::path root;
  store::Database db;
  explicit Impl(const fs::path& r)
      : root(r), db(prepare(r) / "s3.db", {"S3 store", true, false, 0}) {
    db.exec(R"(
      CREATE TABLE IF NOT EXISTS buckets (
        name TEXT PRIMARY KEY, region TEXT NOT NULL, created_ms INTEGER NOT NULL,
        cors TEXT NOT NULL DEFAULT '');
      CREATE TABLE IF NOT EXISTS objects (
        bucket TEXT NOT NULL, key BLOB NOT NULL, file TEXT NOT NULL, size INTEGER NOT NULL,
        etag TEXT NOT NULL, modified_ms INTEGER NOT NULL, headers BLOB NOT NULL,
        meta BLOB NOT NULL, tags BLOB NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS uploads (
        id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL,
        created_ms INTEGER NOT NULL, headers BLOB NOT NULL, meta BLOB NOT NULL,
        tags BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS parts (
        upload TEXT NOT NULL, number INTEGER NOT NULL, file TEXT NOT NULL,
        size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ms INTEGER NOT NULL,
        PRIMARY KEY (upload, number));
    )");
  }
  static fs::path prepare(const fs::path& r) {
    fs::create_directories(r / "objects");
    fs::create_directories(r / "parts");
    fs::create_directories(r / "tmp");
    return r;
  }
  // Moves a received body to its home; the relative name is what rows keep.
  std::string adopt(const fs::path& temp, const char* folder) {
    std::string id = random_hex(16);
    fs::path dir = root / folder / id.substr(0, 2);
    fs::create_directories(dir);
    // Whole before its row points at it, so a killed emulator never shows half an object. Not
    // fsynced, as fx's SQLite stores are not (synchronous=NORMAL): a power cut may lose the
    // last writes, a killed process does not; an fsync per object made a 1 KiB PUT 10 ms.
    fs::rename(temp, dir / id);
    return fmt::format("{}/{}/{}", folder, id.substr(0, 2), id);
  }
  ObjectInfo object_of(store::Stmt& q) {
    ObjectInfo o;
    o.key = q.blob(0);
    o.file = root / q.text(1);
    o.size = static_cast<std::uint64_t>(q.integer(2));
    o.etag = q.text(3);
    o.modified_ms = q.integer(4);
    o.headers = unpack(q.blob(5));
    o.meta = unpack(q.blob(6));
    o.tags = unpack(q.blob(7));
    return o;
  }
};

Store::Store(const fs::path& root) : impl_(std::make_unique<Impl>(root)) {}
Store::~Store() = default;

void Store::clear_temp(const fs::path& root) {
  std::error_code ec;
  fs::remove_all(root / "tmp", ec);
}

fs::path Store::temp_path(const fs::path& root) {
  return root / "tmp" / random_hex(16);
}

fs::path Store::temp_path() const {
  return temp_path(impl_->root);
}

bool Store::create_bucket(const std::string& name, const std::string& region) {
  store::Stmt q(impl_->db.prepare(
      "INSERT OR IGNORE INTO buckets (name, region, created_ms) VALUES (?, ?, ?)"));
  q.bind(name).bind(region).bind(util::now_ms());
  q.step();
  return sqlite3_changes(impl_->db.handle()) > 0;
}

std::optional<BucketInfo> Store::bucket(const std::string& name) {
  store::Stmt q(
      impl_->db.prepare("SELECT name, region, created_ms, cors FROM buckets WHERE name = ?"));
  q.bind(name);
  if (!q.step()) return std::nullopt;
  return BucketInfo{q.text(0), q.text(1), q.integer(2), q.text(3)};
}

std::vector<BucketInfo> Store::buckets() {
  store::Stmt q(
      impl_->db.prepare("SELECT name, region, created_ms, cors FROM buckets ORDER BY name"));
  std::vector<BucketInfo> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2), q.text(3)});
  return out;
}

Store::Deleted Store::delete_bucket(const std::string& name) {
  store::Transaction t(impl_->db);
  if (!bucket(name)) return Deleted::missing;
  {
    store::Stmt q(impl_->db.prepare("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1"));
    q.bind(name);
    if (q.step()) return Deleted::not_empty;
  }
  std::vector<std::string> open_uploads;
  for (const auto& u : uploads(name)) open_uploads.push_back(u.id);
  store::Stmt d(impl_->db.prepare("DELETE FROM buckets WHERE name = ?"));
  d.bind(name);
  d.step();
  t.commit();
  // (S3 drops a deleted bucket's unfinished uploads with it.)
  for (const auto& id : open_uploads) delete_upload(id);
  return Deleted::deleted;
}

void Store::set_cors(const std::string& bucket, const std::string& document) {
  store::Stmt q(impl_->db.prepare("UPDATE buckets SET cors = ? WHERE name = ?"));
  q.bind(document).bind(bucket);
  q.step();
}

std::pair<std::uint64_t, std::uint64_t> Store::usage(const std::string& bucket) {
  store::Stmt q(
      impl_->db.prepare("SELECT count(*), coalesce(sum(size), 0) FROM objects WHERE bucket = ?"));
  q.bind(bucket);
  q.step();
  return {static_cast<std::uint64_t>(q.integer(0)), static_cast<std::uint64_t>(q.integer(1))};
}

void Store::put_object(const std::string& bucket, ObjectInfo info, const fs::path& temp) {
  std::string file = impl_->adopt(temp, "objects");
  std::string old;
  {
    store::Transaction t(impl_->db);
    {
      store::Stmt q(impl_->db.prepare("SELECT file FROM objects WHERE bucket = ? AND key = ?"));
      q.bind(bucket).bind_blob(info.key);
      if (q.step()) old = q.text(0);
    }
    store::Stmt q(impl_->db.prepare(
        "INSERT OR REPLACE INTO objects (bucket, key, file, size, etag, modified_ms, headers, "
        "meta, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(bucket)
        .bind_blob(info.key)
        .bind(file)
        .bind(static_cast<std::int64_t>(info.size))
        .bind(info.etag)
        .bind(info.modified_ms)
        .bind_blob(pack(info.headers))
        .bind_blob(pack(info.meta))
        .bind_blob(pack(info.tags));
    q.step();
    t.commit();
  }
  // A GET streaming the old version keeps its open descriptor; the name goes now.
  if (!old.empty()) remove_file(impl_->root / old);
}

std::optional<ObjectInfo> Store::object(const std::string& bucket, const std::string& key) {
  store::Stmt q(impl_->db.prepare(
      "SELECT key, file, size, etag, modified_ms, headers, meta, tags FROM objects "
      "WHERE bucket = ? AND key = ?"));
  q.bind(bucket).bind_blob(key);
  if (!q.step()) return std::nullopt;
  return impl_->object_of(q);
}

bool Store::delete_object(const std::string& bucket, const std::string& key) {
  std::string file;
  {
    store::Transaction t(impl_->db);
    {
      store::Stmt q(impl_->db.prepare("SELECT file FROM objects WHERE bucket = ? AND key = ?"));
      q.bind(bucket).bind_blob(key);
      if (!q.step()) return false;
      file = q.text(0);
    }
    store::Stmt d(impl_->db.prepare("DELETE FROM objects WHERE bucket = ? AND key = ?"));
    d.bind(bucket).bind_blob(key);
    d.step();
    t.commit();
  }
  remove_file(impl_->root / file);
  return true;
}

bool Store::set_tags(const std::string& bucket, const std::string& key, const Pairs& tags) {
  store::Stmt q(impl_->db.prepare("UPDATE objects SET tags = ? WHERE bucket = ? AND key = ?"));
  q.bind_blob(pack(tags)).bind(bucket).bind_blob(key);
  q.step();
  return sqlite3_changes(impl_->db.handle()) > 0;
}

std::vector<ObjectInfo> Store::list(const std::string& bucket, const std::string& prefix,
                                    const std::string& after, std::size_t limit) {
  std::vector<ObjectInfo> out;
  if (limit == 0) return out;
  // Keys are BLOBs: SQLite compares them with memcmp, S3's (UTF-8 byte) order.
  const std::string& from = after > prefix ? after : prefix;
  store::Stmt q(impl_->db.prepare(
      "SELECT key, file, size, etag, modified_ms, headers, meta, tags FROM objects "
      "WHERE bucket = ? AND key >= ? AND key > ? ORDER BY key LIMIT ?"));
  q.bind(bucket).bind_blob(from).bind_blob(after).bind(static_cast<std::int64_t>(limit));
  while (q.step()) {
    ObjectInfo o = impl_->object_of(q);
    if (!o.key.starts_with(prefix)) break;
    out.push_back(std::move(o));
  }
  return out;
}

std::string Store::create_upload(const Upload& upload) {
  std::string id = random_hex(24);
  store::Stmt q(
      impl_->db.prepare("INSERT INTO uploads (id, bucket, key, created_ms, headers, meta, tags) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  q.bind(id)
      .bind(upload.bucket)
      .bind_blob(upload.key)
      .bind(util::now_ms())
      .bind_blob(pack(upload.headers))
      .bind_blob(pack(upload.meta))
      .bind_blob(pack(upload.tags));
  q.step();
  return id;
}

std::optional<Upload> Store::upload(const std::string& id) {
  store::Stmt q(impl_->db.prepare(
      "SELECT id, bucket, key, created_ms, headers, meta, tags FROM uploads WHERE id = ?"));
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return Upload{q.text(0),         q.text(1),         q.blob(2),        q.integer(3),
                unpack(q.blob(4)), unpack(q.blob(5)), unpack(q.blob(6))};
}

void Store::put_part(const std::string& upload_id, Part part, const fs::path& temp) {
  std::string file = impl_->adopt(temp, "parts");
  std::string old;
  {
    store::Transaction t(impl_->db);
    {
      store::Stmt q(impl_->db.prepare("SELECT file FROM parts WHERE upload = ? AND number = ?"));
      q.bind(upload_id).bind(static_cast<std::int64_t>(part.number));
      if (q.step()) old = q.text(0);
    }
    store::Stmt q(impl_->db.prepare(
        "INSERT OR REPLACE INTO parts (upload, number, file, size, etag, modified_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)"));
    q.bind(upload_id)
        .bind(static_cast<std::int64_t>(part.number))
        .bind(file)
        .bind(static_cast<std::int64_t>(part.size))
        .bind(part.etag)
        .bind(util::now_ms());
    q.step();
    t.commit();
  }
  if (!old.empty()) remove_file(impl_->root / old);
}

std::vector<Part> Store::parts(const std::string& upload_id) {
  store::Stmt q(impl_->db.prepare(
      "SELECT number, file, size, etag, modified_ms FROM parts WHERE upload = ? ORDER BY number"));
  q.bind(upload_id);
  std::vector<Part> out;
  while (q.step())
    out.push_back({static_cast<int>(q.integer(0)), impl_->root / q.text(1),
                   static_cast<std::uint64_t>(q.integer(2)), q.text(3), q.integer(4)});
  return out;
}

void Store::delete_upload(const std::string& id) {
  auto files = parts(id);
  {
    store::Transaction t(impl_->db);
    store::Stmt d(impl_->db.prepare("DELETE FROM parts WHERE upload = ?"));
    d.bind(id);
    d.step();
    store::Stmt u(impl_->db.prepare("DELETE FROM uploads WHERE id = ?"));
    u.bind(id);
    u.step();
    t.commit();
  }
  for (const auto& p : files) remove_file(p.file);
}

std::vector<Upload> Store::uploads(const std::string& bucket) {
  store::Stmt q(impl_->db.prepare(
      "SELECT id, bucket, key, created_ms, headers, meta, tags FROM uploads WHERE bucket = ? "
      "ORDER BY key, created_ms"));
  q.bind(bucket);
  std::vector<Upload> out;
  while (q.step())
    out.push_back({q.text(0), q.text(1), q.blob(2), q.integer(3), unpack(q.blob(4)),
                   unpack(q.blob(5)), unpack(q.blob(6))});
  return out;
}

}  // namespace fx::s3
