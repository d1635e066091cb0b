#include <catch2/catch.hpp>

#include <filesystem>

#include "core/store/sqlite.h"
#include "core/store/store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

using fx::test::TempDir;

TEST_CASE("log lines are kept in order and filtered", "[store]") {
  TempDir tmp("store");
  const fs::path path = tmp / "state.db";
  {
    fx::store::Store db(path);
    db.begin();
    for (int i = 1; i <= 10; ++i)
      db.add_log({i, 1000 + i, i % 2 ? "odd" : "even", "req", "line " + std::to_string(i)});
    db.commit();
  }
  fx::store::Store db(path);  // reopened: everything committed is still there
  CHECK(db.max_log_id() == 10);
  fx::store::LogQuery q;
  q.function = "odd";
  auto odd = db.logs(q);
  REQUIRE(odd.size() == 5);
  CHECK(odd.front().message == "line 1");
  CHECK(odd.back().message == "line 9");
  q.tail = 2;
  auto tail = db.logs(q);
  REQUIRE(tail.size() == 2);
  CHECK(tail[0].message == "line 7");
  CHECK(tail[1].message == "line 9");
  fx::store::LogQuery after;
  after.after_id = 8;
  CHECK(db.logs(after).size() == 2);
  fx::store::LogQuery since;
  since.since_ms = 1009;
  CHECK(db.logs(since).size() == 2);
  fx::store::LogQuery filter;
  filter.filter = "line 1";
  CHECK(db.logs(filter).size() == 2);  // "line 1" and "line 10"
}

TEST_CASE("functions are upserted and deleted", "[store]") {
  TempDir tmp("store");
  const fs::path path = tmp / "state.db";
  fx::store::Store db(path);
  db.put_function({"f", "{}", "aa", 1});
  db.put_function({"f", R"({"x":1})", "bb", 2});
  db.put_function({"g", "{}", "cc", 3});
  auto all = db.functions();
  REQUIRE(all.size() == 2);
  CHECK(all[0].config_json == R"({"x":1})");
  CHECK(all[0].code_sha256_hex == "bb");
  db.delete_function("f");
  CHECK(db.functions().size() == 1);
}

TEST_CASE("REPORT records round-trip, cold and warm", "[store]") {
  TempDir tmp("store");
  const fs::path path = tmp / "state.db";
  fx::store::Store db(path);
  fx::usage::ReportRecord cold;
  cold.request_id = "a";
  cold.function = "f";
  cold.start_ms = 10;
  cold.duration_ms = 1.5;
  cold.billed_ms = 2;
  cold.memory_mb = 128;
  cold.max_memory_mb = 30;
  cold.init_ms = 80.5;
  fx::usage::ReportRecord warm = cold;
  warm.request_id = "b";
  warm.start_ms = 20;
  warm.init_ms.reset();
  db.add_report(cold);
  db.add_report(warm);
  auto rs = db.reports("f", 0);
  REQUIRE(rs.size() == 2);
  CHECK(rs[0].cold());
  CHECK(*rs[0].init_ms == Approx(80.5));
  CHECK_FALSE(rs[1].cold());
  CHECK(db.reports("f", 15).size() == 1);
  CHECK(db.reports("other", 0).empty());
}

TEST_CASE("a REPORT line finds its usage record", "[store]") {
  TempDir tmp("store");
  const fs::path path = tmp / "state.db";
  fx::store::Store db(path);
  fx::usage::ReportRecord first;
  first.request_id = "req-1";
  first.function = "f";
  first.architecture = "arm64";
  first.cpu_ms = 1.25;
  fx::usage::ReportRecord retry = first;  // an async retry: same request id, its own REPORT
  retry.cpu_ms = 2.5;
  fx::usage::ReportRecord throttle = first;
  throttle.request_id = "req-2";
  throttle.outcome = "throttled";
  db.add_report(first, 7);
  db.add_report(retry, 12);
  db.add_report(throttle);
  REQUIRE(db.report_of_log_line(7));
  CHECK(db.report_of_log_line(7)->cpu_ms == Approx(1.25));
  CHECK(db.report_of_log_line(7)->request_id == "req-1");
  CHECK(db.report_of_log_line(7)->architecture == "arm64");
  CHECK(db.report_of_log_line(12)->cpu_ms == Approx(2.5));
  CHECK_FALSE(db.report_of_log_line(8));
  CHECK(db.reports("f", 0).size() == 3);
}

TEST_CASE("a session-3 store: records get their REPORT line, the request-id index goes",
          "[store]") {
  TempDir tmp("store");
  const fs::path path = tmp / "state.db";
  {
    // The schema as session 3 left it, written with SQLite directly.
    fx::store::Database raw(path, {"test store"});
    raw.exec(R"sql(
      CREATE TABLE logs (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,
        function TEXT NOT NULL, request_id TEXT NOT NULL, message TEXT NOT NULL);
      CREATE TABLE usage_records (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL,
        function TEXT NOT NULL, version TEXT NOT NULL, start_ms INTEGER NOT NULL,
        duration_ms REAL NOT NULL, billed_ms INTEGER NOT NULL, memory_mb INTEGER NOT NULL,
        max_memory_mb INTEGER NOT NULL, init_ms REAL, architecture TEXT NOT NULL,
        outcome TEXT NOT NULL, cpu_ms REAL NOT NULL);
      CREATE INDEX usage_by_request ON usage_records(request_id);
      INSERT INTO logs VALUES (1, 0, 'f', 'a', 'START RequestId: a Version: $LATEST'),
        (2, 0, 'f', 'a', 'END RequestId: a'),
        (3, 0, 'f', 'a', 'REPORT RequestId: a	Duration: 1.00 ms'),
        (4, 0, 'f', 'b', 'REPORT RequestId: b	Duration: 2.00 ms');
      INSERT INTO usage_records VALUES
        (1, 'a', 'f', '$LATEST', 0, 1, 1, 128, 30, NULL, 'x86_64', 'success', 0.5),
        (2, 'b', 'f', '$LATEST', 0, 2, 2, 128, 30, NULL, 'arm64', 'success', 0.75),
        (3, 'c', 'f', '$LATEST', 0, 0, 0, 128, 0, NULL, 'x86_64', 'throttled', 0);
    )sql");
  }
  fx::store::Store db(path);
  REQUIRE(db.report_of_log_line(3));
  CHECK(db.report_of_log_line(3)->request_id == "a");
  CHECK(db.report_of_log_line(4)->architecture == "arm64");
  CHECK_FALSE(db.report_of_log_line(1));
  CHECK(db.reports("f", 0).size() == 3);  // the throttle is kept, without a line
  fx::store::Database check(path, {"test store"});
  auto st = check.prepare(
      "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' "
      "AND tbl_name = 'usage_records'");
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "usage_by_log");
}
