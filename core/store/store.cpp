#include "core/store/store.h"

#include <set>
#include <string_view>

#include <fmt/format.h>

#include "core/store/sqlite.h"
#include "core/util/error.h"

namespace fx::store {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS functions (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS layers (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  json TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS function_versions (
  function TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  function TEXT NOT NULL,
  request_id TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_function ON logs(function, id);
CREATE TABLE IF NOT EXISTS usage_records (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  function TEXT NOT NULL,
  version TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  billed_ms INTEGER NOT NULL,
  memory_mb INTEGER NOT NULL,
  max_memory_mb INTEGER NOT NULL,
  init_ms REAL,
  architecture TEXT NOT NULL,
  outcome TEXT NOT NULL,
  cpu_ms REAL NOT NULL,
  log_id INTEGER
);
CREATE TABLE IF NOT EXISTS services (
  name TEXT PRIMARY KEY,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS async_invocations (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  function TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql";

// Binds a log line to an INSERT INTO logs(id, time_ms, function, request_id, message) and
// runs it.
void insert_log(Stmt&& insert, const LogLine& l) {
  insert.bind(l.id).bind(l.time_ms).bind(l.function).bind(l.request_id).bind(l.message).step();
}

}  // namespace

Store::Store(const std::filesystem::path& path)
    : db_(std::make_unique<Database>(
          path, Database::Options{"state store", /*single_thread=*/true, /*memory_mapped=*/true})),
      path_(path) {
  // single_thread: a connection is used by one thread at a time (see store.h); memory_mapped:
  // a cost report reads every usage record.
  exec(kSchema);
  migrate();
}

Store::~Store() = default;

// Session-1 stores kept usage in `reports`, keyed by request id: a retried asynchronous
// invocation (same request id) replaced its earlier attempt's record. Records move to
// usage_records, one row per attempt, in one transaction.
void Store::migrate() {
  auto count = [&](const char* sql) {
    Stmt st(prepare(sql));
    return st.step() ? st.integer(0) : 0;
  };
  if (count("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'reports'") > 0) {
    exec("BEGIN IMMEDIATE");
    exec(
        "INSERT INTO usage_records(request_id, function, version, start_ms, duration_ms, "
        "billed_ms, memory_mb, max_memory_mb, init_ms, architecture, outcome, cpu_ms) SELECT "
        "request_id, function, version, start_ms, duration_ms, billed_ms, memory_mb, "
        "max_memory_mb, init_ms, architecture, outcome, cpu_ms FROM reports ORDER BY start_ms");
    exec("DROP TABLE reports");
    exec("COMMIT");
  }
  // Session-3 stores found a record by its request id through an index on it. Request ids
  // are random, so every insert dirtied a page somewhere in that index: under load that was
  // a 4 KB WAL frame per invocation, and the largest part of the log writer's CPU. Records
  // are now found by their REPORT line's id, which only grows; old records get theirs here,
  // through the old index, before it goes.
  if (count("SELECT count(*) FROM pragma_table_info('usage_records') WHERE name = 'log_id'") == 0) {
    exec("BEGIN IMMEDIATE");
    exec("ALTER TABLE usage_records ADD COLUMN log_id INTEGER");
    // One pass over the log (grouped, then joined): a correlated subquery per record would
    // scan the whole log for each.
    exec(
        "UPDATE usage_records SET log_id = r.id FROM (SELECT request_id, max(id) AS id FROM logs "
        "WHERE message LIKE 'REPORT %' GROUP BY request_id) AS r WHERE usage_records.request_id "
        "= r.request_id AND usage_records.outcome != 'throttled'");
    exec("COMMIT");
  }
  exec("DROP INDEX IF EXISTS usage_by_request");
  exec("CREATE INDEX IF NOT EXISTS usage_by_log ON usage_records(log_id)");
}

void Store::exec(const char* sql) {
  db_->exec(sql);
}

sqlite3_stmt* Store::prepare(const char* sql) {
  return db_->prepare(sql);
}

void Store::begin() {
  exec("BEGIN");
}
void Store::commit() {
  exec("COMMIT");
}

void Store::put_function(const StoredFunction& f) {
  static const char* sql =
      "INSERT INTO functions(name, config, code_sha256, updated_ms) VALUES(?,?,?,?) "
      "ON CONFLICT(name) DO UPDATE SET config=excluded.config, "
      "code_sha256=excluded.code_sha256, updated_ms=excluded.updated_ms";
  Stmt(prepare(sql))
      .bind(f.name)
      .bind(f.config_json)
      .bind(f.code_sha256_hex)
      .bind(f.updated_ms)
      .step();
}

void Store::delete_function(const std::string& name) {
  static const char* sql = "DELETE FROM functions WHERE name=?";
  Stmt(prepare(sql)).bind(name).step();
  // A function's versions and aliases go with it, as on Lambda.
  static const char* versions_sql = "DELETE FROM function_versions WHERE function=?";
  Stmt(prepare(versions_sql)).bind(name).step();
}

void Store::put_function_versions(const std::string& function, const std::string& json) {
  static const char* sql = "INSERT OR REPLACE INTO function_versions(function, json) VALUES(?,?)";
  Stmt(prepare(sql)).bind(function).bind(json).step();
}

std::vector<std::pair<std::string, std::string>> Store::function_versions() {
  static const char* sql = "SELECT function, json FROM function_versions ORDER BY function";
  Stmt st(prepare(sql));
  std::vector<std::pair<std::string, std::string>> out;
  while (st.step()) out.emplace_back(st.text(0), st.text(1));
  return out;
}

std::vector<StoredFunction> Store::functions() {
  static const char* sql =
      "SELECT name, config, code_sha256, updated_ms FROM functions ORDER BY name";
  Stmt st(prepare(sql));
  std::vector<StoredFunction> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.integer(3)});
  return out;
}

void Store::put_layer(const StoredLayer& l) {
  static const char* sql =
      "INSERT OR REPLACE INTO layers(name, version, json, code_sha256) VALUES(?,?,?,?)";
  Stmt(prepare(sql)).bind(l.name).bind(l.version).bind(l.json).bind(l.code_sha256_hex).step();
}

std::vector<StoredLayer> Store::layers() {
  static const char* sql =
      "SELECT name, version, json, code_sha256 FROM layers ORDER BY name, version";
  Stmt st(prepare(sql));
  std::vector<StoredLayer> out;
  while (st.step()) out.push_back({st.text(0), st.integer(1), st.text(2), st.text(3)});
  return out;
}

void Store::add_log(const LogLine& l) {
  static const char* sql =
      "INSERT INTO logs(id, time_ms, function, request_id, message) VALUES(?,?,?,?,?)";
  insert_log(Stmt(prepare(sql)), l);
}

void Store::add_log_if_missing(const LogLine& l) {
  static const char* sql =
      "INSERT OR IGNORE INTO logs(id, time_ms, function, request_id, message) VALUES(?,?,?,?,?)";
  insert_log(Stmt(prepare(sql)), l);
}

bool Store::has_report(const std::string& request_id, std::optional<std::int64_t> log_id) {
  if (log_id) {
    static const char* sql = "SELECT 1 FROM usage_records WHERE log_id=? LIMIT 1";
    return Stmt(prepare(sql)).bind(*log_id).step();
  }
  static const char* sql =
      "SELECT 1 FROM usage_records WHERE request_id=? AND log_id IS NULL LIMIT 1";
  return Stmt(prepare(sql)).bind(request_id).step();
}

int Store::prune(const std::string& function, std::int64_t before_ms, int limit) {
  static const char* logs_sql =
      "DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE function=? AND time_ms<? "
      "ORDER BY id LIMIT ?)";
  static const char* usage_sql =
      "DELETE FROM usage_records WHERE id IN (SELECT id FROM usage_records WHERE function=? AND "
      "start_ms<? ORDER BY id LIMIT ?)";
  int deleted = 0;
  for (const char* sql : {logs_sql, usage_sql}) {
    Stmt(prepare(sql)).bind(function).bind(before_ms).bind(std::int64_t{limit}).step();
    deleted += sqlite3_changes(db_->handle());
  }
  return deleted;
}

std::vector<LogLine> Store::logs(const LogQuery& q) {
  // One statement covers every combination: an empty function or filter matches all.
  static const char* sql_head =
      "SELECT id, time_ms, function, request_id, message FROM logs "
      "WHERE (?1 = '' OR function = ?1) AND id > ?2 AND time_ms >= ?3 "
      "AND (?4 = '' OR instr(message, ?4) > 0) ORDER BY id ASC LIMIT ?5";
  static const char* sql_tail =
      "SELECT * FROM (SELECT id, time_ms, function, request_id, message FROM logs "
      "WHERE (?1 = '' OR function = ?1) AND id > ?2 AND time_ms >= ?3 "
      "AND (?4 = '' OR instr(message, ?4) > 0) ORDER BY id DESC LIMIT ?5) ORDER BY id ASC";
  bool tail = q.tail > 0;
  Stmt st(prepare(tail ? sql_tail : sql_head));
  st.bind(q.function)
      .bind(q.after_id)
      .bind(q.since_ms)
      .bind(q.filter)
      .bind(tail ? q.tail : q.limit);
  std::vector<LogLine> out;
  while (st.step())
    out.push_back({st.integer(0), st.integer(1), st.text(2), st.text(3), st.text(4)});
  return out;
}

std::int64_t Store::max_log_id() {
  Stmt st(prepare("SELECT COALESCE(MAX(id), 0) FROM logs"));
  return st.step() ? st.integer(0) : 0;
}

void Store::put_service(const std::string& name, const std::string& json) {
  Stmt st(prepare("INSERT OR REPLACE INTO services(name, json) VALUES (?, ?)"));
  st.bind(name).bind(json).step();
}

void Store::delete_service(const std::string& name) {
  Stmt st(prepare("DELETE FROM services WHERE name = ?"));
  st.bind(name).step();
}

std::vector<std::pair<std::string, std::string>> Store::services() {
  Stmt st(prepare("SELECT name, json FROM services ORDER BY name"));
  std::vector<std::pair<std::string, std::string>> out;
  while (st.step()) out.emplace_back(st.text(0), st.text(1));
  return out;
}

std::int64_t Store::add_async(const AsyncInvocation& a) {
  Stmt st(prepare(
      "INSERT INTO async_invocations(request_id, function, payload, attempts, next_attempt_ms, "
      "created_ms) VALUES (?,?,?,?,?,?)"));
  st.bind(a.request_id).bind(a.function).bind(a.payload).bind(std::int64_t{a.attempts});
  st.bind(a.next_attempt_ms).bind(a.created_ms).step();
  return sqlite3_last_insert_rowid(db_->handle());
}

void Store::update_async(std::int64_t id, int attempts, std::int64_t next_attempt_ms) {
  Stmt st(prepare("UPDATE async_invocations SET attempts = ?, next_attempt_ms = ? WHERE id = ?"));
  st.bind(std::int64_t{attempts}).bind(next_attempt_ms).bind(id).step();
}

void Store::delete_async(std::int64_t id) {
  Stmt st(prepare("DELETE FROM async_invocations WHERE id = ?"));
  st.bind(id).step();
}

std::vector<AsyncInvocation> Store::async_invocations() {
  Stmt st(prepare(
      "SELECT id, request_id, function, payload, attempts, next_attempt_ms, created_ms FROM "
      "async_invocations ORDER BY id"));
  std::vector<AsyncInvocation> out;
  while (st.step())
    out.push_back({st.integer(0), st.text(1), st.text(2), st.text(3),
                   static_cast<int>(st.integer(4)), st.integer(5), st.integer(6)});
  return out;
}

void Store::add_report(const usage::ReportRecord& r, std::optional<std::int64_t> log_id) {
  static const char* sql =
      "INSERT INTO usage_records(request_id, function, version, start_ms, duration_ms, "
      "billed_ms, memory_mb, max_memory_mb, init_ms, architecture, outcome, cpu_ms, log_id) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt st(prepare(sql));
  st.bind(r.request_id).bind(r.function).bind(r.version).bind(r.start_ms).bind(r.duration_ms);
  st.bind(r.billed_ms).bind(std::int64_t{r.memory_mb}).bind(std::int64_t{r.max_memory_mb});
  if (r.init_ms)
    st.bind(*r.init_ms);
  else
    st.bind_null();
  st.bind(r.architecture).bind(r.outcome).bind(r.cpu_ms);
  if (log_id)
    st.bind(*log_id);
  else
    st.bind_null();
  st.step();
}

std::vector<usage::ReportRecord> Store::reports(const std::string& function,
                                                std::int64_t since_ms) {
  static const char* sql =
      "SELECT request_id, function, version, start_ms, duration_ms, billed_ms, memory_mb, "
      "max_memory_mb, init_ms, architecture, outcome, cpu_ms FROM usage_records "
      "WHERE (?1 = '' OR function = ?1) AND start_ms >= ?2 ORDER BY start_ms";
  Stmt st(prepare(sql));
  st.bind(function).bind(since_ms);
  std::vector<usage::ReportRecord> out;
  while (st.step()) {
    usage::ReportRecord r;
    r.request_id = st.text(0);
    r.function = st.text(1);
    r.version = st.text(2);
    r.start_ms = st.integer(3);
    r.duration_ms = st.real(4);
    r.billed_ms = st.integer(5);
    r.memory_mb = static_cast<int>(st.integer(6));
    r.max_memory_mb = static_cast<int>(st.integer(7));
    if (!st.is_null(8)) r.init_ms = st.real(8);
    r.architecture = st.text(9);
    r.outcome = st.text(10);
    r.cpu_ms = st.real(11);
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<usage::ReportRecord> Store::report_of_log_line(std::int64_t log_id) {
  static const char* sql =
      "SELECT function, version, start_ms, duration_ms, billed_ms, memory_mb, max_memory_mb, "
      "init_ms, architecture, outcome, cpu_ms, request_id FROM usage_records WHERE log_id = ?1 "
      "LIMIT 1";
  Stmt st(prepare(sql));
  st.bind(log_id);
  if (!st.step()) return std::nullopt;
  usage::ReportRecord r;
  r.request_id = st.text(11);
  r.function = st.text(0);
  r.version = st.text(1);
  r.start_ms = st.integer(2);
  r.duration_ms = st.real(3);
  r.billed_ms = st.integer(4);
  r.memory_mb = static_cast<int>(st.integer(5));
  r.max_memory_mb = static_cast<int>(st.integer(6));
  if (!st.is_null(7)) r.init_ms = st.real(7);
  r.architecture = st.text(8);
  r.outcome = st.text(9);
  r.cpu_ms = st.real(10);
  return r;
}

void Store::for_each_report(const std::vector<std::string>& functions, std::int64_t since_ms,
                            const std::function<void(const usage::ReportRecord&)>& visit) {
  // One sequential pass over the table, never the indexes ('+' keeps SQLite off them): an
  // index range visits the table row by row in index order, a random read each, which over
  // a million records is ten times slower than reading the table straight through.
  static const char* all_sql =
      "SELECT function, version, start_ms, duration_ms, billed_ms, memory_mb, max_memory_mb, "
      "init_ms, architecture, outcome, cpu_ms FROM usage_records WHERE +start_ms >= ?1";
  static const char* one_sql =
      "SELECT function, version, start_ms, duration_ms, billed_ms, memory_mb, max_memory_mb, "
      "init_ms, architecture, outcome, cpu_ms FROM usage_records WHERE +function = ?2 AND "
      "+start_ms >= ?1";
  usage::ReportRecord r;
  auto assign = [](std::string& to, sqlite3_stmt* s, int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    to.assign(p ? p : "", p ? static_cast<std::size_t>(sqlite3_column_bytes(s, col)) : 0);
  };
  auto scan = [&](Stmt& st, const std::set<std::string, std::less<>>* wanted) {
    while (st.step()) {
      if (wanted) {
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), 0));
        std::string_view name(p ? p : "", p ? sqlite3_column_bytes(st.get(), 0) : 0);
        if (!wanted->contains(name)) continue;
      }
      assign(r.function, st.get(), 0);
      assign(r.version, st.get(), 1);
      r.start_ms = st.integer(2);
      r.duration_ms = st.real(3);
      r.billed_ms = st.integer(4);
      r.memory_mb = static_cast<int>(st.integer(5));
      r.max_memory_mb = static_cast<int>(st.integer(6));
      if (st.is_null(7))
        r.init_ms.reset();
      else
        r.init_ms = st.real(7);
      assign(r.architecture, st.get(), 8);
      assign(r.outcome, st.get(), 9);
      r.cpu_ms = st.real(10);
      visit(r);
    }
  };
  if (functions.size() == 1) {
    Stmt st(prepare(one_sql));
    st.bind(since_ms).bind(functions[0]);
    scan(st, nullptr);
    return;
  }
  // Several functions: still one pass, keeping the rows of those named.
  std::set<std::string, std::less<>> wanted(functions.begin(), functions.end());
  Stmt st(prepare(all_sql));
  st.bind(since_ms);
  scan(st, functions.empty() ? nullptr : &wanted);
}

}  // namespace fx::store
