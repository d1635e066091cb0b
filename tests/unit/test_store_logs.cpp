// The store's log lines: the journal replay's add_log_if_missing, the queries `fx logs` makes,
// and retention (prune), on a real SQLite file in a directory of each test's own.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/store/store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::store::LogLine;
using fx::store::LogQuery;
using fx::store::Store;

using fx::test::TempDir;

namespace {

std::vector<std::string> messages(const std::vector<LogLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.message);
  return out;
}

fx::usage::ReportRecord record(const std::string& function, std::int64_t start_ms) {
  fx::usage::ReportRecord r;
  r.request_id = "req-" + std::to_string(start_ms);
  r.function = function;
  r.start_ms = start_ms;
  return r;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("store: add_log_if_missing keeps the line already there", "[store][logs]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  db.add_log({1, 100, "f", "a", "first"});
  // The journal replays what the store may already have: same id, kept as it was.
  db.add_log_if_missing({1, 999, "f", "a", "replayed"});
  db.add_log_if_missing({2, 101, "f", "a", "second"});
  db.add_log_if_missing({2, 101, "f", "a", "second again"});
  auto lines = db.logs({});
  CHECK(messages(lines) == Strings{"first", "second"});
  CHECK(lines[0].time_ms == 100);
  CHECK(db.max_log_id() == 2);
  // add_log itself refuses a duplicate id: only the replay may meet one.
  CHECK_THROWS(db.add_log({2, 102, "f", "a", "duplicate"}));
}

TEST_CASE("store: an empty store has no lines and a max id of 0", "[store][logs]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  CHECK(db.max_log_id() == 0);
  CHECK(db.logs({}).empty());
  LogQuery tail;
  tail.tail = 5;
  CHECK(db.logs(tail).empty());
}

TEST_CASE("store: log queries combine function, id, time, text, tail and limit", "[store][logs]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  db.begin();
  for (int i = 1; i <= 20; ++i)
    db.add_log({i, 1000 + i, i % 2 ? "odd" : "even", "req-" + std::to_string(i),
                (i % 5 ? "line " : "ERROR line ") + std::to_string(i)});
  db.commit();

  LogQuery q;
  q.function = "odd";
  q.filter = "ERROR";
  CHECK(messages(db.logs(q)) == Strings{"ERROR line 5", "ERROR line 15"});
  q.after_id = 5;
  CHECK(messages(db.logs(q)) == Strings{"ERROR line 15"});

  LogQuery since;
  since.since_ms = 1018;
  since.function = "even";
  CHECK(messages(db.logs(since)) == Strings{"line 18", "ERROR line 20"});

  // limit takes the oldest lines, tail the newest; both come out oldest first.
  LogQuery limit;
  limit.limit = 3;
  CHECK(messages(db.logs(limit)) == Strings{"line 1", "line 2", "line 3"});
  LogQuery tail;
  tail.tail = 3;
  tail.function = "even";
  CHECK(messages(db.logs(tail)) == Strings{"line 16", "line 18", "ERROR line 20"});
  // `fx logs -f` asks for what came after the last line it printed.
  LogQuery follow;
  follow.after_id = db.max_log_id();
  CHECK(db.logs(follow).empty());
  // The filter is plain text: no LIKE wildcards.
  LogQuery wildcard;
  wildcard.filter = "line %";
  CHECK(db.logs(wildcard).empty());
  // A line keeps its request id and function.
  LogQuery one;
  one.after_id = 6;
  one.limit = 1;
  auto line = db.logs(one);
  REQUIRE(line.size() == 1);
  CHECK(line[0].id == 7);
  CHECK(line[0].function == "odd");
  CHECK(line[0].request_id == "req-7");
}

TEST_CASE("store: prune deletes one function's old lines and records, oldest first, in steps",
          "[store][logs][prune]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  db.begin();
  for (int i = 1; i <= 6; ++i) {
    db.add_log({i, 100 * i, "f", "r", "f line " + std::to_string(i)});
    db.add_report(record("f", 100 * i));
  }
  db.add_log({7, 100, "g", "r", "g line"});
  db.add_report(record("g", 100));
  db.commit();

  // Before 450: lines and records 1-4 of f. Two of each at a time, oldest first.
  CHECK(db.prune("f", 450, 2) == 4);
  LogQuery f;
  f.function = "f";
  CHECK(messages(db.logs(f)) == Strings{"f line 3", "f line 4", "f line 5", "f line 6"});
  CHECK(db.reports("f", 0).size() == 4);
  CHECK(db.reports("f", 0).front().start_ms == 300);
  CHECK(db.prune("f", 450, 2) == 4);
  CHECK(db.prune("f", 450, 2) == 0);  // nothing left to prune: the caller stops
  CHECK(messages(db.logs(f)) == Strings{"f line 5", "f line 6"});
  CHECK(db.reports("f", 0).size() == 2);
  // The cut is strict, and other functions keep everything.
  CHECK(db.prune("f", 500) == 0);
  LogQuery g;
  g.function = "g";
  CHECK(db.logs(g).size() == 1);
  CHECK(db.reports("g", 0).size() == 1);
}
