#include "core/secrets/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/secrets/key_file.h"
#include "core/store/sqlite.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::secrets {

namespace {

std::string join_stages(const std::vector<std::string>& stages) {
  std::string out;
  for (const auto& s : stages) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> split_stages(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Tags as one text column: key and value separated by \x1f, pairs by \x1e (neither may appear
// in a tag: AWS allows letters, digits, spaces and +-=._:/@ only).
std::string tags_text(const Tags& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += k + '\x1f' + v + '\x1e';
  return out;
}

Tags tags_of(const std::string& text) {
  Tags out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\x1e', start);
    if (end == std::string::npos) break;
    auto mid = text.find('\x1f', start);
    if (mid != std::string::npos && mid < end)
      out.emplace_back(text.substr(start, mid - start), text.substr(mid + 1, end - mid - 1));
    start = end + 1;
  }
  return out;
}

}  // namespace

// The database file, made 0600 before SQLite opens it (its -wal and -shm files take the same
// mode): names and String values are the user's business too.
static std::filesystem::path private_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  return path;
}

struct Store::Impl {
  KeyFile key;
  store::Database db;

  explicit Impl(const std::filesystem::path& dir)
      : key(dir / "secrets.key"), db(private_file(dir / "secrets.db"), options()) {
    db.exec(R"(
      CREATE TABLE IF NOT EXISTS parameter_versions (
        name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, value BLOB NOT NULL,
        description TEXT NOT NULL, allowed_pattern TEXT NOT NULL, tier TEXT NOT NULL,
        data_type TEXT NOT NULL, key_id TEXT NOT NULL, modified_ms INTEGER NOT NULL,
        PRIMARY KEY (name, version));
      CREATE TABLE IF NOT EXISTS parameter_tags (name TEXT PRIMARY KEY, tags TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS secrets (
        name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
        kms_key_id TEXT NOT NULL, created_ms INTEGER NOT NULL, changed_ms INTEGER NOT NULL,
        accessed_ms INTEGER NOT NULL, deletion_ms INTEGER NOT NULL, tags TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS secret_versions (
        name TEXT NOT NULL, id TEXT NOT NULL, value BLOB NOT NULL, binary INTEGER NOT NULL,
        stages TEXT NOT NULL, created_ms INTEGER NOT NULL, request_token TEXT NOT NULL,
        PRIMARY KEY (name, id));
    )");
  }

  static store::Database::Options options() {
    store::Database::Options o;
    o.what = "secrets store";
    return o;
  }

  Parameter read_parameter(store::Stmt& s) {
    Parameter p;
    p.name = s.text(0);
    p.version = s.integer(1);
    p.type = s.text(2);
    std::string stored = s.blob(3);
    if (p.type == "SecureString") {
      p.value = key.open(stored);
      p.sealed = std::move(stored);
    } else {
      p.value = std::move(stored);
    }
    p.description = s.text(4);
    p.allowed_pattern = s.text(5);
    p.tier = s.text(6);
    p.data_type = s.text(7);
    p.key_id = s.text(8);
    p.modified_ms = s.integer(9);
    return p;
  }

  Secret read_secret(store::Stmt& s) {
    Secret x;
    x.name = s.text(0);
    x.arn = s.text(1);
    x.description = s.text(2);
    x.kms_key_id = s.text(3);
    x.created_ms = s.integer(4);
    x.changed_ms = s.integer(5);
    x.accessed_ms = s.integer(6);
    x.deletion_ms = s.integer(7);
    x.tags = tags_of(s.text(8));
    return x;
  }
};

#define FX_PARAMETER_COLUMNS                                                            \
  "name, version, type, value, description, allowed_pattern, tier, data_type, key_id, " \
  "modified_ms"
#define FX_SECRET_COLUMNS \
  "name, arn, description, kms_key_id, created_ms, changed_ms, accessed_ms, deletion_ms, tags"

Store::Store(const std::filesystem::path& dir) : impl_(std::make_unique<Impl>(dir)) {}
Store::~Store() = default;

const KeyFile& Store::key() const {
  return impl_->key;
}

std::optional<Parameter> Store::parameter(const std::string& name,
                                          std::optional<std::int64_t> version) {
  if (version) {
    store::Stmt s(impl_->db.prepare("SELECT " FX_PARAMETER_COLUMNS
                                    " FROM parameter_versions WHERE name = ? AND version = ?"));
    s.bind(name).bind(*version);
    if (s.step()) return impl_->read_parameter(s);
    return std::nullopt;
  }
  store::Stmt s(impl_->db.prepare("SELECT " FX_PARAMETER_COLUMNS
                                  " FROM parameter_versions WHERE name = ? "
                                  "ORDER BY version DESC LIMIT 1"));
  s.bind(name);
  if (s.step()) return impl_->read_parameter(s);
  return std::nullopt;
}

std::vector<Parameter> Store::history(const std::string& name) {
  store::Stmt s(impl_->db.prepare("SELECT " FX_PARAMETER_COLUMNS
                                  " FROM parameter_versions WHERE name = ? ORDER BY version"));
  s.bind(name);
  std::vector<Parameter> out;
  while (s.step()) out.push_back(impl_->read_parameter(s));
  return out;
}

std::vector<Parameter> Store::parameters() {
  store::Stmt s(impl_->db.prepare(
      "SELECT " FX_PARAMETER_COLUMNS
      " FROM parameter_versions AS p WHERE version = "
      "(SELECT MAX(version) FROM parameter_versions WHERE name = p.name) ORDER BY name"));
  std::vector<Parameter> out;
  while (s.step()) out.push_back(impl_->read_parameter(s));
  return out;
}

std::int64_t Store::put_parameter(Parameter& p, const Tags* tags) {
  store::Transaction tx(impl_->db);
  {
    store::Stmt s(impl_->db.prepare("SELECT MAX(version) FROM parameter_versions WHERE name = ?"));
    s.bind(p.name);
    p.version = s.step() && !s.is_null(0) ? s.integer(0) + 1 : 1;
  }
  p.modified_ms = util::now_ms();
  p.sealed = p.type == "SecureString" ? impl_->key.seal(p.value) : std::string();
  {
    store::Stmt s(impl_->db.prepare("INSERT INTO parameter_versions (" FX_PARAMETER_COLUMNS
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s.bind(p.name)
        .bind(p.version)
        .bind(p.type)
        .bind_blob(p.type == "SecureString" ? p.sealed : p.value)
        .bind(p.description)
        .bind(p.allowed_pattern)
        .bind(p.tier)
        .bind(p.data_type)
        .bind(p.key_id)
        .bind(p.modified_ms);
    s.step();
  }
  if (tags) {
    store::Stmt s(impl_->db.prepare("INSERT OR REPLACE INTO parameter_tags VALUES (?, ?)"));
    s.bind(p.name).bind(tags_text(*tags));
    s.step();
  }
  tx.commit();
  return p.version;
}

Tags Store::parameter_tags(const std::string& name) {
  store::Stmt s(impl_->db.prepare("SELECT tags FROM parameter_tags WHERE name = ?"));
  s.bind(name);
  return s.step() ? tags_of(s.text(0)) : Tags{};
}

bool Store::delete_parameter(const std::string& name) {
  store::Transaction tx(impl_->db);
  {
    store::Stmt s(impl_->db.prepare("DELETE FROM parameter_versions WHERE name = ?"));
    s.bind(name);
    s.step();
  }
  const bool deleted = sqlite3_changes(impl_->db.handle()) > 0;
  {
    store::Stmt s(impl_->db.prepare("DELETE FROM parameter_tags WHERE name = ?"));
    s.bind(name);
    s.step();
  }
  tx.commit();
  return deleted;
}

std::optional<Secret> Store::secret(const std::string& id) {
  {
    store::Stmt s(
        impl_->db.prepare("SELECT " FX_SECRET_COLUMNS " FROM secrets WHERE name = ? OR arn = ?"));
    s.bind(id).bind(id);
    if (s.step()) return impl_->read_secret(s);
  }
  // A partial ARN: the full one less "-" and its 6 random characters.
  if (id.starts_with("arn:")) {
    store::Stmt s(impl_->db.prepare("SELECT " FX_SECRET_COLUMNS
                                    " FROM secrets WHERE substr(arn, 1, length(arn) - 7) = ?"));
    s.bind(id);
    if (s.step()) return impl_->read_secret(s);
  }
  return std::nullopt;
}

std::vector<Secret> Store::secrets() {
  store::Stmt s(impl_->db.prepare("SELECT " FX_SECRET_COLUMNS " FROM secrets ORDER BY name"));
  std::vector<Secret> out;
  while (s.step()) out.push_back(impl_->read_secret(s));
  return out;
}

void Store::create_secret(const Secret& x) {
  store::Stmt s(impl_->db.prepare("INSERT INTO secrets (" FX_SECRET_COLUMNS
                                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s.bind(x.name)
      .bind(x.arn)
      .bind(x.description)
      .bind(x.kms_key_id)
      .bind(x.created_ms)
      .bind(x.changed_ms)
      .bind(x.accessed_ms)
      .bind(x.deletion_ms)
      .bind(tags_text(x.tags));
  s.step();
}

void Store::update_secret(const Secret& x) {
  store::Stmt s(impl_->db.prepare(
      "UPDATE secrets SET description = ?, kms_key_id = ?, changed_ms = ?, accessed_ms = ?, "
      "deletion_ms = ?, tags = ? WHERE name = ?"));
  s.bind(x.description)
      .bind(x.kms_key_id)
      .bind(x.changed_ms)
      .bind(x.accessed_ms)
      .bind(x.deletion_ms)
      .bind(tags_text(x.tags))
      .bind(x.name);
  s.step();
}

void Store::delete_secret(const std::string& name) {
  store::Transaction tx(impl_->db);
  for (const char* sql :
       {"DELETE FROM secrets WHERE name = ?", "DELETE FROM secret_versions WHERE name = ?"}) {
    store::Stmt s(impl_->db.prepare(sql));
    s.bind(name);
    s.step();
  }
  tx.commit();
}

std::vector<SecretVersion> Store::versions(const std::string& name) {
  store::Stmt s(impl_->db.prepare(
      "SELECT id, value, binary, stages, created_ms, request_token FROM secret_versions "
      "WHERE name = ? ORDER BY created_ms, rowid"));
  s.bind(name);
  std::vector<SecretVersion> out;
  while (s.step()) {
    SecretVersion v;
    v.id = s.text(0);
    v.value = impl_->key.open(s.blob(1));
    v.binary = s.integer(2) != 0;
    v.stages = split_stages(s.text(3));
    v.created_ms = s.integer(4);
    v.request_token = s.text(5);
    out.push_back(std::move(v));
  }
  return out;
}

void Store::put_version(const std::string& name, const SecretVersion& v) {
  store::Transaction tx(impl_->db);
  auto existing = versions(name);
  const bool to_current =
      std::find(v.stages.begin(), v.stages.end(), "AWSCURRENT") != v.stages.end();
  for (auto& old : existing) {
    std::vector<std::string> kept;
    const bool was_current =
        std::find(old.stages.begin(), old.stages.end(), "AWSCURRENT") != old.stages.end();
    for (const auto& st : old.stages) {
      if (std::find(v.stages.begin(), v.stages.end(), st) != v.stages.end()) continue;
      if (to_current && st == "AWSPREVIOUS") continue;
      kept.push_back(st);
    }
    if (to_current && was_current) kept.push_back("AWSPREVIOUS");
    if (kept == old.stages) continue;
    store::Stmt s(
        impl_->db.prepare("UPDATE secret_versions SET stages = ? WHERE name = ? AND id = ?"));
    s.bind(join_stages(kept)).bind(name).bind(old.id);
    s.step();
  }
  {
    store::Stmt s(impl_->db.prepare(
        "INSERT INTO secret_versions (name, id, value, binary, stages, created_ms, "
        "request_token) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    s.bind(name)
        .bind(v.id)
        .bind_blob(impl_->key.seal(v.value))
        .bind(static_cast<std::int64_t>(v.binary))
        .bind(join_stages(v.stages))
        .bind(v.created_ms)
        .bind(v.request_token);
    s.step();
  }
  tx.commit();
}

}  // namespace fx::secrets
