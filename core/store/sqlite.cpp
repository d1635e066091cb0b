#include "core/store/sqlite.h"

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::store {

Database::Database(const std::filesystem::path& path, Options options)
    : path_(path), what_(std::move(options.what)) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (options.single_thread) flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(fmt::format("cannot open the {} {}: {}", what_, path.string(), msg),
                "check that FX_HOME is writable");
  }
  sqlite3_busy_timeout(db_, 5000);
  // Before WAL mode, which fixes the page size of a new database for good.
  if (options.page_size > 0) exec(fmt::format("PRAGMA page_size={}", options.page_size).c_str());
  // WAL lets readers (`fx logs`) go on while the emulator writes.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  // A burst (a function logging megabytes) grows the WAL; once checkpointed it shrinks back
  // to this instead of keeping its largest size on disk for good.
  exec("PRAGMA journal_size_limit=16777216");
  if (options.memory_mapped) exec("PRAGMA mmap_size=1073741824");
}

Database::~Database() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void Database::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw Error(fmt::format("{} {}: {}", what_, path_.string(), msg));
  }
}

sqlite3_stmt* Database::prepare(const char* sql) {
  for (auto& [text, stmt] : statements_)
    if (text == sql) return stmt;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK)
    throw Error(fmt::format("{}: {}", what_, sqlite3_errmsg(db_)));
  statements_.emplace_back(sql, stmt);
  return stmt;
}

bool Stmt::step() {
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(s_);
  const char* file = sqlite3_db_filename(db, "main");
  throw Error(fmt::format("{}: {}", file && *file ? file : "SQLite", sqlite3_errmsg(db)));
}

Transaction::Transaction(Database& db) : db_(&db) {
  db.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (db_) sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_->exec("COMMIT");
  db_ = nullptr;
}

}  // namespace fx::store
