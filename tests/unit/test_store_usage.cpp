// The store's usage records: has_report (what the journal replay asks before adding a record)
// and the streaming read `fx cost` makes, on a real SQLite file.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/store/store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::store::Store;
using fx::usage::ReportRecord;

using fx::test::TempDir;

namespace {

ReportRecord record(const std::string& request_id, const std::string& function,
                    std::int64_t start_ms) {
  ReportRecord r;
  r.request_id = request_id;
  r.function = function;
  r.start_ms = start_ms;
  r.duration_ms = 10.5;
  r.billed_ms = 11;
  r.memory_mb = 256;
  r.max_memory_mb = 40;
  r.cpu_ms = 3.25;
  return r;
}

// "function@start_ms" of each record for_each_report visits, and whether it was cold.
std::vector<std::string> visited(Store& db, const std::vector<std::string>& functions,
                                 std::int64_t since_ms) {
  std::vector<std::string> out;
  db.for_each_report(functions, since_ms, [&](const ReportRecord& r) {
    out.push_back(r.function + "@" + std::to_string(r.start_ms) + (r.cold() ? " cold" : ""));
  });
  std::sort(out.begin(), out.end());
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("store: has_report finds a record by its REPORT line, a throttle by its request",
          "[store][usage]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  auto first = record("req-1", "f", 10);
  db.add_report(first, 7);
  // An async retry: the same request id, another REPORT line.
  CHECK(db.has_report("req-1", 7));
  CHECK_FALSE(db.has_report("req-1", 8));
  db.add_report(first, 8);
  CHECK(db.has_report("req-1", 8));
  // A record with a line is not a throttle's: asked without a line id, it is not found.
  CHECK_FALSE(db.has_report("req-1", std::nullopt));
  auto throttle = record("req-2", "f", 20);
  throttle.outcome = "throttled";
  CHECK_FALSE(db.has_report("req-2", std::nullopt));
  db.add_report(throttle);
  CHECK(db.has_report("req-2", std::nullopt));
  CHECK_FALSE(db.has_report("req-3", std::nullopt));
}

TEST_CASE("store: for_each_report streams the records of the functions named", "[store][usage]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  db.begin();
  auto cold = record("a", "f", 100);
  cold.init_ms = 250.0;
  db.add_report(cold, 1);
  db.add_report(record("b", "f", 200), 2);
  db.add_report(record("c", "g", 150), 3);
  auto h_cold = record("d", "h", 300);
  h_cold.init_ms = 90.0;
  db.add_report(h_cold, 4);
  db.add_report(record("e", "h", 400), 5);
  db.commit();

  CHECK(visited(db, {}, 0) == Strings{"f@100 cold", "f@200", "g@150", "h@300 cold", "h@400"});
  CHECK(visited(db, {"f"}, 0) == Strings{"f@100 cold", "f@200"});
  CHECK(visited(db, {"f", "h"}, 0) == Strings{"f@100 cold", "f@200", "h@300 cold", "h@400"});
  CHECK(visited(db, {"f", "h"}, 200) == Strings{"f@200", "h@300 cold", "h@400"});
  CHECK(visited(db, {"nobody"}, 0).empty());
  CHECK(visited(db, {"nobody", "else"}, 0).empty());
  CHECK(visited(db, {}, 1000).empty());

  // Every field comes through; the request id is left out (a cost report never needs it).
  std::vector<ReportRecord> seen;
  db.for_each_report({"g"}, 0, [&](const ReportRecord& r) { seen.push_back(r); });
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].request_id.empty());
  CHECK(seen[0].duration_ms == Approx(10.5));
  CHECK(seen[0].billed_ms == 11);
  CHECK(seen[0].memory_mb == 256);
  CHECK(seen[0].max_memory_mb == 40);
  CHECK(seen[0].cpu_ms == Approx(3.25));
  CHECK(seen[0].architecture == cold.architecture);
  CHECK(seen[0].outcome == cold.outcome);
  CHECK(seen[0].version == cold.version);
}

TEST_CASE("store: usage records and lines survive reopening the file", "[store][usage]") {
  TempDir dir;
  {
    Store db(dir.path / "state.db");
    db.begin();
    db.add_log({1, 5, "f", "a", "REPORT RequestId: a"});
    db.add_report(record("a", "f", 5), 1);
    db.commit();
  }
  Store db(dir.path / "state.db");
  CHECK(db.has_report("a", 1));
  REQUIRE(db.report_of_log_line(1));
  CHECK(db.report_of_log_line(1)->memory_mb == 256);
  CHECK(db.max_log_id() == 1);
}
