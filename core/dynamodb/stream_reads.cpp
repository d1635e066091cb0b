// TableStore's reads of its `streams` and `stream_records` tables, for the Streams API.
#include <random>

#include <sqlite3.h>

#include "core/dynamodb/table_store.h"
#include "core/store/sqlite.h"

namespace fx::dynamodb {

using store::Stmt;

namespace {

TableStore::StreamRow stream_row(Stmt& s) {
  TableStore::StreamRow r;
  r.id = s.integer(0);
  r.table_name = s.text(1);
  r.arn = s.text(2);
  r.label = s.text(3);
  r.view_type = s.text(4);
  r.created_ms = s.integer(5);
  if (!s.is_null(6)) r.ended_ms = s.integer(6);
  std::string keys = s.text(7);
  auto nl = keys.find('\n');
  r.hash_key = keys.substr(0, nl);
  if (nl != std::string::npos) r.range_key = keys.substr(nl + 1);
  return r;
}

}  // namespace

std::vector<TableStore::StreamRow> TableStore::list_streams() {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare(
      "SELECT id, table_name, arn, label, view_type, created_ms, ended_ms, key_schema FROM streams"
      " ORDER BY id"));
  std::vector<StreamRow> out;
  while (s.step()) out.push_back(stream_row(s));
  return out;
}

std::optional<TableStore::StreamRow> TableStore::find_stream(const std::string& arn) {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare(
      "SELECT id, table_name, arn, label, view_type, created_ms, ended_ms, key_schema FROM streams"
      " WHERE arn = ?"));
  s.bind(arn);
  if (!s.step()) return std::nullopt;
  return stream_row(s);
}

std::optional<TableStore::StreamRow> TableStore::find_stream(std::int64_t id) {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare(
      "SELECT id, table_name, arn, label, view_type, created_ms, ended_ms, key_schema FROM streams"
      " WHERE id = ?"));
  s.bind(id);
  if (!s.step()) return std::nullopt;
  return stream_row(s);
}

std::pair<std::int64_t, std::int64_t> TableStore::stream_range(std::int64_t stream_id) {
  std::lock_guard lock(mutex_);
  Stmt s(
      db_->prepare("SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM stream_records WHERE "
                   "stream_id = ?"));
  s.bind(stream_id);
  if (!s.step()) return {0, 0};
  return {s.integer(0), s.integer(1)};
}

std::int64_t TableStore::last_seq() {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

std::int64_t TableStore::trimmed_seq() {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare("SELECT COALESCE((SELECT value FROM meta WHERE key = 'trimmed_seq'), 0)"));
  return s.step() ? s.integer(0) : 0;
}

std::vector<std::pair<std::int64_t, std::string>> TableStore::stream_records(std::int64_t stream_id,
                                                                             std::int64_t after,
                                                                             int limit) {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare(
      "SELECT seq, record FROM stream_records WHERE stream_id = ? AND seq > ? ORDER BY seq "
      "LIMIT ?"));
  s.bind(stream_id).bind(after).bind(static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::int64_t, std::string>> out;
  while (s.step()) out.emplace_back(s.integer(0), s.text(1));
  return out;
}

std::string TableStore::iterator_key() {
  std::lock_guard lock(mutex_);
  std::string key;
  for (int part = 0; part < 4; ++part) {
    std::string name = "iterator_key_" + std::to_string(part);
    std::int64_t v = 0;
    Stmt get(db_->prepare("SELECT value FROM meta WHERE key = ?"));
    get.bind(name);
    if (get.step()) {
      v = get.integer(0);
    } else {
      std::random_device rd;
      v = static_cast<std::int64_t>((static_cast<std::uint64_t>(rd()) << 32) | rd());
      Stmt put(db_->prepare("INSERT INTO meta (key, value) VALUES (?, ?)"));
      put.bind(name).bind(v);
      put.step();
    }
    key.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return key;
}

}  // namespace fx::dynamodb
