#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "core/store/store.h"

namespace fs = std::filesystem;

namespace {
fs::path temp_db() {
  auto dir = fs::temp_directory_path() / ("fx-store-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir / "state.db";
}
}  // namespace

TEST_CASE("log lines are kept in order and filtered", "[store]") {
  auto path = temp_db();
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
  fs::remove_all(path.parent_path());
}

TEST_CASE("functions are upserted and deleted", "[store]") {
  auto path = temp_db();
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
  fs::remove_all(path.parent_path());
}

TEST_CASE("REPORT records round-trip, cold and warm", "[store]") {
  auto path = temp_db();
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
  fs::remove_all(path.parent_path());
}
