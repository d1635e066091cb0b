// The emulator's state in SQLite (WAL): deployed functions, log lines, usage records.
// One Store is one connection and is used by one thread at a time; the emulator keeps a
// writer connection on its own thread and a reader on the I/O thread, which WAL allows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/usage/report.h"

struct sqlite3_stmt;

namespace fx::store {

class Database;

struct StoredFunction {
  std::string name;
  std::string config_json;  // the emulator's FunctionConfiguration, as JSON
  std::string code_sha256_hex;
  std::int64_t updated_ms = 0;
};

struct StoredLayer {
  std::string name;
  std::int64_t version = 0;
  std::string json;  // the LayerVersion as the API returns it
  std::string code_sha256_hex;
};

struct LogLine {
  std::int64_t id = 0;  // increasing in the order lines were written
  std::int64_t time_ms = 0;
  std::string function;    // deployed name
  std::string request_id;  // empty for lines written outside an invocation (init)
  std::string message;     // without the trailing newline
};

struct LogQuery {
  std::string function;         // empty: every function
  std::int64_t after_id = 0;    // only lines with a larger id
  std::int64_t since_ms = 0;    // only lines at or after this time
  std::string filter;           // only lines containing this text
  std::int64_t tail = 0;        // when > 0: only the last N matching lines
  std::int64_t limit = 10'000;  // at most this many lines, oldest first
};

// An asynchronous invocation waiting for its (next) attempt: the emulator answers 202 only
// once it is here, so a restart (even after kill -9) runs it.
struct AsyncInvocation {
  std::int64_t id = 0;
  std::string request_id;  // the same for every attempt, as on Lambda
  std::string function;
  std::string payload;
  int attempts = 0;  // attempts made so far
  std::int64_t next_attempt_ms = 0;
  std::int64_t created_ms = 0;
};

class Store {
 public:
  // Opens (creating when needed) the database and its schema. Throws fx::Error.
  explicit Store(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  void begin();
  void commit();

  void put_function(const StoredFunction& f);
  // Deletes the function's row and its versions' (function_versions).
  void delete_function(const std::string& name);
  std::vector<StoredFunction> functions();
  // A function's published versions and aliases, as one JSON document (the emulator's).
  void put_function_versions(const std::string& function, const std::string& json);
  std::vector<std::pair<std::string, std::string>> function_versions();

  void put_layer(const StoredLayer& layer);
  std::vector<StoredLayer> layers();

  void add_log(const LogLine& line);
  // The same, skipping a line whose id the store has (the emulator's journal replay).
  void add_log_if_missing(const LogLine& line);
  // Whether the store has the usage record of that REPORT line (or, without one, a throttle's
  // record of that request).
  bool has_report(const std::string& request_id, std::optional<std::int64_t> log_id);
  // Deletes up to `limit` of the oldest log lines and usage records of `function` from
  // before `before_ms` (log retention); returns how many rows went, so that a caller can
  // go on in small transactions.
  int prune(const std::string& function, std::int64_t before_ms, int limit = 5000);
  std::vector<LogLine> logs(const LogQuery& query);
  std::int64_t max_log_id();

  // A service's event sources (schedules, routes, queues, async settings) as JSON.
  void put_service(const std::string& name, const std::string& json);
  void delete_service(const std::string& name);
  std::vector<std::pair<std::string, std::string>> services();

  std::int64_t add_async(const AsyncInvocation& a);  // returns its id
  void update_async(std::int64_t id, int attempts, std::int64_t next_attempt_ms);
  void delete_async(std::int64_t id);
  std::vector<AsyncInvocation> async_invocations();  // oldest first

  // `log_id`: the id of the invocation's REPORT line (none for a throttle, which has none).
  void add_report(const usage::ReportRecord& r, std::optional<std::int64_t> log_id = {});
  // The record behind a REPORT line, if there is one.
  std::optional<usage::ReportRecord> report_of_log_line(std::int64_t log_id);
  // Streams the records of the named functions (every function when empty) that started at
  // or after since_ms, without their request ids, into one reused record: a million of them
  // are read in a fraction of a second, with no allocation per row.
  void for_each_report(const std::vector<std::string>& functions, std::int64_t since_ms,
                       const std::function<void(const usage::ReportRecord&)>& visit);
  // Records of one function (or all when empty) that started at or after since_ms.
  std::vector<usage::ReportRecord> reports(const std::string& function, std::int64_t since_ms);

 private:
  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql);
  void migrate();

  std::unique_ptr<Database> db_;
  std::filesystem::path path_;
};

}  // namespace fx::store
