// One SQLite connection as fx's stores use it: WAL with NORMAL sync (a commit survives a
// killed process; only a power cut may lose the last ones), a busy timeout, and prepared
// statements cached for the connection's life. With Stmt (bind in order, reset when done)
// and Transaction (BEGIN IMMEDIATE, rolled back unless committed). Included only by the
// stores' .cpp files: it brings in sqlite3.h.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::store {

class Database {
 public:
  struct Options {
    std::string what = "state store";  // for messages: "the queue store ..."
    // Used by one thread at a time: SQLite need not lock around every call (over a million
    // rows those locks were a fifth of a cost report's time).
    bool single_thread = false;
    // Reads straight from the page cache instead of a pread and a copy per page.
    bool memory_mapped = false;
  };
  // Throws fx::Error (with a hint about FX_HOME) when the file cannot be opened.
  Database(const std::filesystem::path& path, Options options);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql);
  // `sql` must outlive the connection (a string literal): statements are cached by it.
  sqlite3_stmt* prepare(const char* sql);
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  std::string what_;
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;
};

// Binds in order; resets the statement when it goes out of scope.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : s_(stmt) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(const std::string& v) {
    sqlite3_bind_text(s_, next_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(std::int64_t v) {
    sqlite3_bind_int64(s_, next_++, v);
    return *this;
  }
  Stmt& bind(double v) {
    sqlite3_bind_double(s_, next_++, v);
    return *this;
  }
  // A BLOB, not TEXT: SQLite orders BLOBs by memcmp, which order-preserving keys rely on.
  Stmt& bind_blob(std::string_view v) {
    sqlite3_bind_blob(s_, next_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind_null() {
    sqlite3_bind_null(s_, next_++);
    return *this;
  }
  // True while there is a row; throws fx::Error on a failure.
  bool step();
  std::string text(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  std::string blob(int col) {
    auto p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(s_, col); }
  double real(int col) { return sqlite3_column_double(s_, col); }
  bool is_null(int col) { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
  int next_ = 1;
};

// BEGIN IMMEDIATE takes the write lock up front, so that two connections reading then writing
// cannot deadlock; anything thrown before commit() rolls back.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database* db_;
};

}  // namespace fx::store
