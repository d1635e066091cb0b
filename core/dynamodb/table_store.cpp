#include "core/dynamodb/table_store.h"

#include <chrono>
#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dynamodb/errors.h"
#include "core/store/sqlite.h"
#include "core/util/error.h"

namespace fx::dynamodb {

using nlohmann::json;
using store::Stmt;

namespace {

constexpr std::int64_t kFiveYearsS = 5LL * 365 * 24 * 3600;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tables (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  service TEXT NOT NULL DEFAULT '',
  schema TEXT NOT NULL,
  item_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
  table_id INTEGER NOT NULL,
  pk BLOB NOT NULL,
  sk BLOB NOT NULL,
  item TEXT NOT NULL,
  size INTEGER NOT NULL,
  expires INTEGER,
  PRIMARY KEY (table_id, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_expiry ON items (expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS index_items (
  index_id INTEGER NOT NULL,
  ipk BLOB NOT NULL,
  isk BLOB NOT NULL,
  pk BLOB NOT NULL,
  sk BLOB NOT NULL,
  item TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (index_id, ipk, isk, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY,
  table_name TEXT NOT NULL,
  arn TEXT NOT NULL,
  label TEXT NOT NULL,
  view_type TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  key_schema TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS stream_records (
  seq INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  keys BLOB NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stream_records_by_stream ON stream_records (stream_id, seq);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql";

std::string random_hex(std::size_t digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  while (out.size() < digits) out += fmt::format("{:016x}", rng());
  out.resize(digits);
  return out;
}

// A stream's label: its creation time, as DynamoDB labels them.
std::string stream_label(std::int64_t ms) {
  auto secs = static_cast<std::time_t>(ms / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}", fmt::gmtime(secs), ms % 1000);
}

const AttributeValue* attribute(const Item& item, const std::string& name) {
  auto it = item.find(name);
  return it == item.end() ? nullptr : &it->second;
}

Item keys_of(const TableSchema& table, const Item& item) {
  Item keys;
  for (const auto& name : table.key_names())
    if (const auto* v = attribute(item, name)) keys.emplace(name, *v);
  return keys;
}

}  // namespace

EncodedKey encoded_key(const TableSchema& table, const Item& item) {
  EncodedKey k;
  const auto* h = attribute(item, table.hash.name);
  if (!h || h->type != table.hash.type)
    throw ValidationError("The provided key element does not match the schema");
  k.pk = encode_key(*h);
  if (table.range) {
    const auto* r = attribute(item, table.range->name);
    if (!r || r->type != table.range->type)
      throw ValidationError("The provided key element does not match the schema");
    k.sk = encode_key(*r);
  }
  return k;
}

std::optional<EncodedKey> encoded_index_key(const IndexSchema& index, const Item& item) {
  const auto* h = attribute(item, index.hash.name);
  if (!h || h->type != index.hash.type) return std::nullopt;
  EncodedKey k{encode_key(*h), ""};
  if (index.range) {
    const auto* r = attribute(item, index.range->name);
    if (!r || r->type != index.range->type) return std::nullopt;
    k.sk = encode_key(*r);
  }
  return k;
}

Item project_for_index(const TableSchema& table, const IndexSchema& index, const Item& item) {
  if (index.projection_type == "ALL") return item;
  Item out = keys_of(table, item);
  for (const auto* name : {&index.hash.name, index.range ? &index.range->name : nullptr})
    if (name)
      if (const auto* v = attribute(item, *name)) out.emplace(*name, *v);
  for (const auto& name : index.non_key_attributes)
    if (const auto* v = attribute(item, name)) out.emplace(name, *v);
  return out;
}

TableStore::TableStore(const std::filesystem::path& path, std::string region, Clock now_ms)
    : now_(now_ms ? std::move(now_ms) : Clock([] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      })),
      region_(std::move(region)) {
  store::Database::Options options;
  options.what = "DynamoDB table store";
  options.memory_mapped = true;
  db_ = std::make_unique<store::Database>(path, options);
  db_->exec(kSchema);
  {
    Stmt s(
        db_->prepare("SELECT MAX(COALESCE((SELECT MAX(seq) FROM stream_records), 0),"
                     " COALESCE((SELECT value FROM meta WHERE key = 'trimmed_seq'), 0))"));
    if (s.step()) next_seq_ = s.integer(0) + 1;
  }
  {
    // Index ids are never reused: a deleted index's entries may still be going away.
    Stmt s(db_->prepare("SELECT COALESCE((SELECT value FROM meta WHERE key = 'index_id'), 0)"));
    if (s.step()) next_index_id_ = s.integer(0) + 1;
  }
}

TableStore::~TableStore() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

sqlite3_stmt* TableStore::prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_->handle(), sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
    throw Error(fmt::format("DynamoDB table store: {}", sqlite3_errmsg(db_->handle())));
  statements_.emplace(sql, stmt);
  return stmt;
}

// --- Tables ------------------------------------------------------------------------------

TableSchema TableStore::load(const std::string& name, bool required) {
  Stmt s(db_->prepare("SELECT id, schema FROM tables WHERE name = ?"));
  s.bind(name);
  if (!s.step()) {
    if (required) throw table_not_found();
    return {};
  }
  TableSchema t = schema_from_stored(s.text(1));
  t.store_id = s.integer(0);
  return t;
}

void TableStore::save_schema(const TableSchema& table) {
  Stmt s(db_->prepare("UPDATE tables SET schema = ? WHERE id = ?"));
  s.bind(schema_to_stored(table)).bind(table.store_id);
  s.step();
}

TableSchema TableStore::create_table(TableSchema schema, const std::string& service) {
  std::lock_guard lock(mutex_);
  store::Transaction tx(*db_);
  if (load(schema.name, false).store_id)
    throw DynamoError("ResourceInUseException", "Table already exists: " + schema.name);
  schema.created_ms = now_();
  if (schema.table_id.empty()) {
    std::string h = random_hex(32);
    schema.table_id = fmt::format("{}-{}-4{}-a{}-{}", h.substr(0, 8), h.substr(8, 4),
                                  h.substr(12, 3), h.substr(15, 3), h.substr(18, 12));
  }
  for (auto* list : {&schema.global_indexes, &schema.local_indexes})
    for (auto& i : *list) i.id = next_index_id_++;
  {
    Stmt s(db_->prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_id', ?)"));
    s.bind(next_index_id_ - 1);
    s.step();
  }
  if (schema.stream_enabled) schema.stream_label = new_stream_label(schema.name);
  {
    Stmt s(db_->prepare("INSERT INTO tables (name, service, schema) VALUES (?, ?, ?)"));
    s.bind(schema.name).bind(service).bind(schema_to_stored(schema));
    s.step();
  }
  schema = load(schema.name, true);
  if (schema.stream_enabled) stream_id(schema);
  tx.commit();
  return schema;
}

std::optional<TableSchema> TableStore::find_table(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto t = load(name, false);
  if (!t.store_id) return std::nullopt;
  return t;
}

TableSchema TableStore::require_table(const std::string& name) {
  std::lock_guard lock(mutex_);
  return load(name, true);
}

TableCounts TableStore::counts(const TableSchema& table) {
  std::lock_guard lock(mutex_);
  TableCounts c;
  {
    Stmt s(db_->prepare("SELECT item_count, size_bytes FROM tables WHERE id = ?"));
    s.bind(table.store_id);
    if (s.step()) {
      c.item_count = s.integer(0);
      c.size_bytes = s.integer(1);
    }
  }
  for (const auto* list : {&table.global_indexes, &table.local_indexes})
    for (const auto& i : *list) {
      Stmt s(db_->prepare(
          "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM index_items WHERE index_id = ?"));
      s.bind(i.id);
      if (s.step()) c.indexes[i.name] = {s.integer(0), s.integer(1)};
    }
  return c;
}

std::vector<std::string> TableStore::list_tables() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  Stmt s(db_->prepare("SELECT name FROM tables ORDER BY name"));
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::string TableStore::owner(const std::string& name) {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare("SELECT service FROM tables WHERE name = ?"));
  s.bind(name);
  return s.step() ? s.text(0) : "";
}

std::vector<std::string> TableStore::tables_of(const std::string& service) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  Stmt s(db_->prepare("SELECT name FROM tables WHERE service = ? ORDER BY name"));
  s.bind(service);
  while (s.step()) out.push_back(s.text(0));
  return out;
}

TableSchema TableStore::update_table(const std::string& name, const TableUpdate& u) {
  std::lock_guard lock(mutex_);
  store::Transaction tx(*db_);
  TableSchema t = load(name, true);
  if (u.pay_per_request) t.pay_per_request = *u.pay_per_request;
  if (t.pay_per_request) {
    t.read_capacity = t.write_capacity = 0;
    for (auto& i : t.global_indexes) i.read_capacity = i.write_capacity = 0;
  }
  if (u.throughput) std::tie(t.read_capacity, t.write_capacity) = *u.throughput;
  for (const auto& [index, tp] : u.update_indexes)
    for (auto& i : t.global_indexes)
      if (i.name == index) std::tie(i.read_capacity, i.write_capacity) = tp;
  if (u.deletion_protection) t.deletion_protection = *u.deletion_protection;
  for (const auto& name : u.delete_indexes) {
    for (auto it = t.global_indexes.begin(); it != t.global_indexes.end(); ++it)
      if (it->name == name) {
        Stmt s(db_->prepare("DELETE FROM index_items WHERE index_id = ?"));
        s.bind(it->id);
        s.step();
        t.global_indexes.erase(it);
        break;
      }
  }
  for (const auto& d : u.attribute_definitions) {
    bool found = false;
    for (const auto& [n, _] : t.attribute_definitions) found |= n == d.first;
    if (!found) t.attribute_definitions.push_back(d);
  }
  for (auto index : u.create_indexes) {
    index.id = next_index_id_++;
    {
      Stmt s(db_->prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('index_id', ?)"));
      s.bind(next_index_id_ - 1);
      s.step();
    }
    // Filled from the items now: the index is ACTIVE at once.
    Stmt s(db_->prepare("SELECT pk, sk, item FROM items WHERE table_id = ?"));
    s.bind(t.store_id);
    while (s.step()) {
      EncodedKey key{s.blob(0), s.blob(1)};
      Item item = item_from_json(json::parse(s.text(2)));
      index_item(t, index, key, item, +1);
    }
    t.global_indexes.push_back(std::move(index));
  }
  // Attribute definitions no key uses any more go, as DynamoDB drops them.
  std::erase_if(t.attribute_definitions, [&](const auto& d) {
    if (d.first == t.hash.name || (t.range && d.first == t.range->name)) return false;
    for (const auto* list : {&t.global_indexes, &t.local_indexes})
      for (const auto& i : *list)
        if (i.hash.name == d.first || (i.range && i.range->name == d.first)) return false;
    return true;
  });
  if (u.stream) {
    if (t.stream_enabled && !u.stream->first) {
      Stmt s(db_->prepare(
          "UPDATE streams SET ended_ms = ? WHERE table_name = ? AND ended_ms IS NULL"));
      s.bind(now_()).bind(t.name);
      s.step();
    }
    t.stream_enabled = u.stream->first;
    if (t.stream_enabled) {
      t.stream_view_type = u.stream->second;
      t.stream_label = new_stream_label(t.name);
      save_schema(t);
      stream_id(t);
    }
  }
  save_schema(t);
  tx.commit();
  return t;
}

std::pair<TableSchema, TableCounts> TableStore::delete_table(const std::string& name) {
  TableSchema t = require_table(name);
  TableCounts c = counts(t);
  std::lock_guard lock(mutex_);
  if (t.deletion_protection)
    throw ValidationError(
        "Resource cannot be deleted as it is currently protected against "
        "deletion. Disable deletion protection first.");
  store::Transaction tx(*db_);
  for (const auto* list : {&t.global_indexes, &t.local_indexes})
    for (const auto& i : *list) {
      Stmt s(db_->prepare("DELETE FROM index_items WHERE index_id = ?"));
      s.bind(i.id);
      s.step();
    }
  {
    Stmt s(db_->prepare("DELETE FROM items WHERE table_id = ?"));
    s.bind(t.store_id);
    s.step();
  }
  {
    Stmt s(
        db_->prepare("UPDATE streams SET ended_ms = ? WHERE table_name = ? AND ended_ms IS NULL"));
    s.bind(now_()).bind(t.name);
    s.step();
  }
  {
    Stmt s(db_->prepare("DELETE FROM tables WHERE id = ?"));
    s.bind(t.store_id);
    s.step();
  }
  tx.commit();
  return {t, c};
}

void TableStore::set_ttl(const std::string& name, const std::string& attribute) {
  std::lock_guard lock(mutex_);
  store::Transaction tx(*db_);
  TableSchema t = load(name, true);
  t.ttl_attribute = attribute;
  save_schema(t);
  std::vector<std::pair<EncodedKey, std::optional<std::int64_t>>> updates;
  {
    Stmt s(db_->prepare("SELECT pk, sk, item, expires FROM items WHERE table_id = ?"));
    s.bind(t.store_id);
    while (s.step()) {
      std::optional<std::int64_t> expires;
      if (!attribute.empty()) expires = expiry_of(t, item_from_json(json::parse(s.text(2))));
      bool had = !s.is_null(3);
      if (expires || had) updates.push_back({{s.blob(0), s.blob(1)}, expires});
    }
  }
  for (const auto& [key, expires] : updates) {
    Stmt s(db_->prepare("UPDATE items SET expires = ? WHERE table_id = ? AND pk = ? AND sk = ?"));
    if (expires)
      s.bind(*expires);
    else
      s.bind_null();
    s.bind(t.store_id).bind_blob(key.pk).bind_blob(key.sk);
    s.step();
  }
  tx.commit();
}

void TableStore::set_tags(const std::string& name, const std::map<std::string, std::string>& tags) {
  std::lock_guard lock(mutex_);
  store::Transaction tx(*db_);
  TableSchema t = load(name, true);
  t.tags = tags;
  save_schema(t);
  tx.commit();
}

std::string TableStore::new_stream_label(const std::string& table) {
  // A stream turned off and on (or a table remade) within one millisecond still gets a stream
  // of its own: its label moves on to the next free millisecond.
  for (std::int64_t ms = now_();; ++ms) {
    std::string label = stream_label(ms);
    Stmt s(db_->prepare("SELECT 1 FROM streams WHERE arn = ?"));
    s.bind(stream_arn(region_, table, label));
    if (!s.step()) return label;
  }
}

std::int64_t TableStore::stream_id(const TableSchema& table) {
  std::string arn = stream_arn(region_, table.name, table.stream_label);
  {
    Stmt s(db_->prepare("SELECT id FROM streams WHERE arn = ?"));
    s.bind(arn);
    if (s.step()) return s.integer(0);
  }
  Stmt s(
      db_->prepare("INSERT INTO streams (table_name, arn, label, view_type, created_ms, key_schema)"
                   " VALUES (?, ?, ?, ?, ?, ?)"));
  s.bind(table.name).bind(arn).bind(table.stream_label).bind(table.stream_view_type).bind(now_());
  // DescribeStream's KeySchema, kept with the stream: its table may be gone or remade.
  s.bind(table.hash.name + (table.range ? "\n" + table.range->name : ""));
  s.step();
  return sqlite3_last_insert_rowid(db_->handle());
}

// --- Items -------------------------------------------------------------------------------

std::optional<std::int64_t> TableStore::expiry_of(const TableSchema& table,
                                                  const Item& item) const {
  if (table.ttl_attribute.empty()) return std::nullopt;
  const auto* v = attribute(item, table.ttl_attribute);
  if (!v || v->type != Type::N) return std::nullopt;
  // Epoch seconds; a fraction is dropped, a number beyond int64 never expires.
  Decimal d = parse_number(v->text);
  if (d.negative || d.is_zero() || d.exponent > 18) return std::nullopt;
  std::int64_t secs = 0;
  for (int i = 0; i < d.exponent; ++i)
    secs = secs * 10 + (i < static_cast<int>(d.digits.size()) ? d.digits[i] - '0' : 0);
  return secs;
}

void TableStore::index_item(const TableSchema& table, const IndexSchema& index,
                            const EncodedKey& key, const Item& item, int sign) {
  auto ikey = encoded_index_key(index, item);
  if (!ikey) return;
  if (sign < 0) {
    Stmt s(
        db_->prepare("DELETE FROM index_items WHERE index_id = ? AND ipk = ? AND isk = ? AND pk = "
                     "? AND sk = ?"));
    s.bind(index.id).bind_blob(ikey->pk).bind_blob(ikey->sk).bind_blob(key.pk).bind_blob(key.sk);
    s.step();
    return;
  }
  Item projected = project_for_index(table, index, item);
  Stmt s(
      db_->prepare("INSERT OR REPLACE INTO index_items (index_id, ipk, isk, pk, sk, item, size)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s.bind(index.id).bind_blob(ikey->pk).bind_blob(ikey->sk).bind_blob(key.pk).bind_blob(key.sk);
  s.bind(to_json(projected).dump()).bind(static_cast<std::int64_t>(item_size(projected)));
  s.step();
}

void TableStore::add_record(const TableSchema& table, const std::optional<Item>& old,
                            const std::optional<Item>& now, bool by_ttl) {
  if (!table.stream_enabled) return;
  const Item& any = now ? *now : *old;
  Item keys = keys_of(table, any);
  const std::string& view = table.stream_view_type;
  std::int64_t ms = now_();
  std::int64_t seq = next_seq_++;
  std::size_t size = item_size(keys);
  json d = {{"ApproximateCreationDateTime", ms / 1000},
            {"Keys", to_json(keys)},
            {"SequenceNumber", fmt::format("{:021}", seq)},
            {"StreamViewType", view}};
  if (now && (view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES")) {
    d["NewImage"] = to_json(*now);
    size += item_size(*now);
  }
  if (old && (view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES")) {
    d["OldImage"] = to_json(*old);
    size += item_size(*old);
  }
  d["SizeBytes"] = size;
  json record = {
      {"eventID", random_hex(32)}, {"eventName", !old ? "INSERT" : !now ? "REMOVE" : "MODIFY"},
      {"eventVersion", "1.1"},     {"eventSource", "aws:dynamodb"},
      {"awsRegion", region_},      {"dynamodb", d}};
  if (by_ttl)
    record["userIdentity"] = {{"type", "Service"}, {"principalId", "dynamodb.amazonaws.com"}};
  Stmt s(
      db_->prepare("INSERT INTO stream_records (seq, stream_id, created_ms, keys, record) VALUES "
                   "(?, ?, ?, ?, ?)"));
  s.bind(seq).bind(stream_id(table)).bind(ms).bind_blob(encode_key(keys.at(table.hash.name)));
  s.bind(record.dump());
  s.step();
}

std::optional<Item> TableStore::Writer::get(const TableSchema& table, const EncodedKey& key) {
  Stmt s(store_.db_->prepare("SELECT item FROM items WHERE table_id = ? AND pk = ? AND sk = ?"));
  s.bind(table.store_id).bind_blob(key.pk).bind_blob(key.sk);
  if (!s.step()) return std::nullopt;
  return item_from_json(json::parse(s.text(0)));
}

void TableStore::Writer::put(const TableSchema& table, const std::optional<Item>& old,
                             const Item& item) {
  if (old && *old == item) return;
  auto& db = *store_.db_;
  EncodedKey key = encoded_key(table, item);
  auto size = static_cast<std::int64_t>(item_size(item));
  auto expires = store_.expiry_of(table, item);
  {
    Stmt s(
        db.prepare("INSERT OR REPLACE INTO items (table_id, pk, sk, item, size, expires) VALUES "
                   "(?, ?, ?, ?, ?, ?)"));
    s.bind(table.store_id)
        .bind_blob(key.pk)
        .bind_blob(key.sk)
        .bind(to_json(item).dump())
        .bind(size);
    if (expires)
      s.bind(*expires);
    else
      s.bind_null();
    s.step();
  }
  {
    Stmt s(db.prepare(
        "UPDATE tables SET item_count = item_count + ?, size_bytes = size_bytes + ? WHERE id = ?"));
    s.bind(std::int64_t{old ? 0 : 1})
        .bind(size - (old ? static_cast<std::int64_t>(item_size(*old)) : 0))
        .bind(table.store_id);
    s.step();
  }
  for (const auto* list : {&table.global_indexes, &table.local_indexes})
    for (const auto& index : *list) {
      if (old) store_.index_item(table, index, key, *old, -1);
      store_.index_item(table, index, key, item, +1);
    }
  store_.add_record(table, old, item, false);
}

void TableStore::Writer::remove(const TableSchema& table, const Item& old, bool by_ttl) {
  auto& db = *store_.db_;
  EncodedKey key = encoded_key(table, old);
  {
    Stmt s(db.prepare("DELETE FROM items WHERE table_id = ? AND pk = ? AND sk = ?"));
    s.bind(table.store_id).bind_blob(key.pk).bind_blob(key.sk);
    s.step();
  }
  {
    Stmt s(db.prepare(
        "UPDATE tables SET item_count = item_count - 1, size_bytes = size_bytes - ? WHERE id = ?"));
    s.bind(static_cast<std::int64_t>(item_size(old))).bind(table.store_id);
    s.step();
  }
  for (const auto* list : {&table.global_indexes, &table.local_indexes})
    for (const auto& index : *list) store_.index_item(table, index, key, old, -1);
  store_.add_record(table, old, std::nullopt, by_ttl);
}

void TableStore::write(const std::function<void(Writer&)>& change) {
  std::lock_guard lock(mutex_);
  std::int64_t seq = next_seq_;
  try {
    store::Transaction tx(*db_);
    Writer w(*this);
    change(w);
    tx.commit();
  } catch (...) {
    next_seq_ = seq;  // the rolled-back records' numbers are free again
    throw;
  }
}

std::optional<Item> TableStore::get_item(const TableSchema& table, const EncodedKey& key) {
  std::lock_guard lock(mutex_);
  Writer w(*this);
  return w.get(table, key);
}

std::optional<std::string> TableStore::item_json(const TableSchema& table, const EncodedKey& key) {
  std::lock_guard lock(mutex_);
  Stmt s(db_->prepare("SELECT item FROM items WHERE table_id = ? AND pk = ? AND sk = ?"));
  s.bind(table.store_id).bind_blob(key.pk).bind_blob(key.sk);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

namespace {

std::uint32_t segment_hash(const std::string& bytes) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : bytes) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

Page TableStore::read_page(const TableSchema& table, const PageRequest& r) {
  std::lock_guard lock(mutex_);
  const bool on_index = r.index != nullptr;
  // The SQL for this shape of request; values are bound in the same order below.
  std::string sql = on_index
                        ? "SELECT ipk, isk, pk, sk, item, size FROM index_items WHERE index_id = ?"
                        : "SELECT pk, sk, item, size FROM items WHERE table_id = ?";
  const char* p = on_index ? "ipk" : "pk";
  const char* s = on_index ? "isk" : "sk";
  if (r.partition) sql += fmt::format(" AND {} = ?", p);
  if (r.lower) sql += fmt::format(" AND {} {} ?", s, r.lower->inclusive ? ">=" : ">");
  if (r.upper) sql += fmt::format(" AND {} {} ?", s, r.upper->inclusive ? "<=" : "<");
  const char* cmp = r.forward ? ">" : "<";
  if (r.after) {
    if (on_index && r.partition)
      sql += fmt::format(" AND (isk, pk, sk) {} (?, ?, ?)", cmp);
    else if (on_index)
      sql += fmt::format(" AND (ipk, isk, pk, sk) {} (?, ?, ?, ?)", cmp);
    else if (r.partition)
      sql += fmt::format(" AND sk {} ?", cmp);
    else
      sql += fmt::format(" AND (pk, sk) {} (?, ?)", cmp);
  }
  const char* dir = r.forward ? "" : " DESC";
  if (on_index)
    sql += fmt::format(" ORDER BY ipk{0}, isk{0}, pk{0}, sk{0}", dir);
  else
    sql += fmt::format(" ORDER BY pk{0}, sk{0}", dir);
  Stmt st(prepare(sql));
  st.bind(on_index ? r.index->id : table.store_id);
  if (r.partition) st.bind_blob(*r.partition);
  if (r.lower) st.bind_blob(r.lower->key);
  if (r.upper) st.bind_blob(r.upper->key);
  if (r.after) {
    if (on_index && !r.partition) st.bind_blob(r.after->ipk);
    if (on_index) st.bind_blob(r.after->isk);
    if (!(r.partition && !on_index)) st.bind_blob(r.after->pk);
    st.bind_blob(r.after->sk);
  }
  Page page;
  std::int64_t bytes = 0;
  while (st.step()) {
    Row row;
    int c = 0;
    if (on_index) {
      row.ipk = st.blob(c++);
      row.isk = st.blob(c++);
    }
    row.pk = st.blob(c++);
    row.sk = st.blob(c++);
    if (r.total_segments > 1 &&
        static_cast<int>(segment_hash(row.pk) % static_cast<std::uint32_t>(r.total_segments)) !=
            r.segment)
      continue;
    row.item_json = st.text(c++);
    row.size = st.integer(c++);
    if (!page.rows.empty() && bytes + row.size > r.byte_limit) {
      page.more = true;
      break;
    }
    bytes += row.size;
    page.rows.push_back(std::move(row));
    if (r.limit > 0 && static_cast<std::int64_t>(page.rows.size()) >= r.limit) {
      page.more = true;
      break;
    }
  }
  return page;
}

// --- Background work ---------------------------------------------------------------------

int TableStore::sweep_expired(std::int64_t now_s, int max) {
  std::lock_guard lock(mutex_);
  struct Due {
    std::int64_t table_id;
    std::string item;
  };
  std::vector<Due> due;
  {
    Stmt s(
        db_->prepare("SELECT table_id, item FROM items WHERE expires IS NOT NULL AND expires <= ? "
                     "AND expires >= ? LIMIT ?"));
    s.bind(now_s).bind(now_s - kFiveYearsS).bind(static_cast<std::int64_t>(max));
    while (s.step()) due.push_back({s.integer(0), s.text(1)});
  }
  if (due.empty()) return 0;
  std::map<std::int64_t, TableSchema> tables;
  {
    Stmt s(db_->prepare("SELECT id, schema FROM tables"));
    while (s.step()) {
      TableSchema t = schema_from_stored(s.text(1));
      t.store_id = s.integer(0);
      tables.emplace(t.store_id, std::move(t));
    }
  }
  store::Transaction tx(*db_);
  Writer w(*this);
  int n = 0;
  for (const auto& d : due) {
    auto it = tables.find(d.table_id);
    if (it == tables.end()) continue;
    w.remove(it->second, item_from_json(json::parse(d.item)), true);
    ++n;
  }
  tx.commit();
  return n;
}

void TableStore::trim_streams() {
  std::lock_guard lock(mutex_);
  std::int64_t cutoff = now_() - kStreamRetentionMs;
  store::Transaction tx(*db_);
  {
    Stmt s(
        db_->prepare("INSERT OR REPLACE INTO meta (key, value) SELECT 'trimmed_seq', MAX(seq) FROM "
                     "stream_records"
                     " WHERE created_ms < ? HAVING MAX(seq) IS NOT NULL"));
    s.bind(cutoff);
    s.step();
  }
  {
    Stmt s(db_->prepare("DELETE FROM stream_records WHERE created_ms < ?"));
    s.bind(cutoff);
    s.step();
  }
  {
    Stmt s(db_->prepare("DELETE FROM streams WHERE ended_ms IS NOT NULL AND ended_ms < ?"));
    s.bind(cutoff);
    s.step();
  }
  tx.commit();
}

}  // namespace fx::dynamodb
