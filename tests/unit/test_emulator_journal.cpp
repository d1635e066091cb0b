#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "core/emulator/journal.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::emulator::Journal;
using fx::emulator::JournaledReport;
using fx::emulator::JournalRecord;

using fx::test::TempDir;

namespace {

fx::store::LogLine line(std::int64_t id, std::string message) {
  return {id, 1000 + id, "fn", "req-" + std::to_string(id), std::move(message)};
}

std::uintmax_t journal_bytes(const fs::path& dir) {
  return fs::file_size(dir / "journal-0") + fs::file_size(dir / "journal-1");
}

}  // namespace

TEST_CASE("journal: what was written is recovered, in order, by the next process", "[journal]") {
  TempDir tmp("journal");
  const fs::path& dir = tmp.path;
  {
    Journal j(dir);
    j.append(line(1, "START"), 1);
    fx::usage::ReportRecord rec;
    rec.request_id = "req-1";
    rec.function = "fn";
    rec.duration_ms = 1.5;
    rec.init_ms = 20.25;
    rec.max_memory_mb = 41;
    j.append(rec, 3, 2);
    j.append(line(3, "with\ttabs\nand newlines \xff"), 3);
    REQUIRE(j.pending());
    REQUIRE(j.write_pending());
    REQUIRE_FALSE(j.pending());
    j.append(line(4, "never written"), 4);  // appended, not written: never answered
  }                                         // as a kill -9 would leave it
  Journal again(dir);
  auto records = again.recover();
  REQUIRE(records.size() == 3);
  CHECK(std::get<fx::store::LogLine>(records[0]).message == "START");
  const auto& report = std::get<JournaledReport>(records[1]);
  CHECK(report.record.request_id == "req-1");
  CHECK(report.record.duration_ms == 1.5);
  CHECK(report.record.init_ms == 20.25);
  CHECK(report.record.max_memory_mb == 41);
  CHECK(report.report_line == 3);
  CHECK(std::get<fx::store::LogLine>(records[2]).message == "with\ttabs\nand newlines \xff");
  // Recovered once: the files are empty now.
  CHECK(journal_bytes(dir) == 0);
  CHECK(again.recover().empty());
}

TEST_CASE("journal: a record cut short by a crash is dropped, the ones before it kept",
          "[journal]") {
  TempDir tmp("journal");
  const fs::path& dir = tmp.path;
  {
    Journal j(dir);
    j.append(line(1, "whole"), 1);
    j.append(line(2, "cut short"), 2);
    REQUIRE(j.write_pending());
  }
  // Take the last bytes off, as a write() interrupted by the process's death would leave it.
  auto size = fs::file_size(dir / "journal-0");
  fs::resize_file(dir / "journal-0", size - 3);
  Journal again(dir);
  auto records = again.recover();
  REQUIRE(records.size() == 1);
  CHECK(std::get<fx::store::LogLine>(records[0]).message == "whole");
}

TEST_CASE("journal: a file is emptied once the store has all it holds, not before", "[journal]") {
  TempDir tmp("journal");
  const fs::path& dir = tmp.path;
  Journal j(dir);
  j.append(line(1, "a"), 1);
  j.append(line(2, "b"), 2);
  REQUIRE(j.write_pending());
  REQUIRE(journal_bytes(dir) > 0);
  j.committed(1);  // record 2 is not in the store yet
  CHECK(journal_bytes(dir) > 0);
  j.committed(2);
  CHECK(journal_bytes(dir) == 0);
  // And it takes new records after it was emptied.
  j.append(line(3, "c"), 3);
  REQUIRE(j.write_pending());
  CHECK(journal_bytes(dir) > 0);
}

TEST_CASE("journal: under a load the store never catches up with, the two files take turns",
          "[journal]") {
  TempDir tmp("journal");
  const fs::path& dir = tmp.path;
  Journal j(dir);
  const std::string big(64 * 1024, 'x');
  std::uint64_t seq = 0;
  // 12 MB while the store lags 1000 records behind: the first file passes 8 MB, the second
  // takes over, and the first is emptied once the store has caught up with it.
  for (int i = 0; i < 192; ++i) {
    ++seq;
    j.append(line(static_cast<std::int64_t>(seq), big), seq);
    REQUIRE(j.write_pending());
    j.committed(seq > 64 ? seq - 64 : 0);
  }
  CHECK(fs::file_size(dir / "journal-1") > 0);
  CHECK(journal_bytes(dir) < 16u * 1024 * 1024);
}

TEST_CASE("journal: its files are the owner's only", "[journal]") {
  TempDir tmp("journal");
  const fs::path& dir = tmp.path;
  Journal j(dir);
  for (const char* name : {"journal-0", "journal-1"})
    CHECK((fs::status(dir / name).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
}
