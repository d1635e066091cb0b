#include <catch2/catch.hpp>

#include "core/usage/report.h"

using fx::usage::ReportRecord;

TEST_CASE("billed duration rounds up to the next millisecond", "[usage]") {
  CHECK(fx::usage::billed_duration_ms(5.67) == 6);
  CHECK(fx::usage::billed_duration_ms(6.0) == 6);
  CHECK(fx::usage::billed_duration_ms(6.001) == 7);
  CHECK(fx::usage::billed_duration_ms(0.2) == 1);
}

TEST_CASE("REPORT lines are written as Lambda writes them and read back", "[usage]") {
  ReportRecord r;
  r.request_id = "8f5c3b2a-0000-4000-8000-000000000001";
  r.duration_ms = 5.67;
  r.billed_ms = 6;
  r.memory_mb = 128;
  r.max_memory_mb = 41;
  r.init_ms = 87.12;
  std::string line = fx::usage::format_report_line(r);
  CHECK(line ==
        "REPORT RequestId: 8f5c3b2a-0000-4000-8000-000000000001\tDuration: 5.67 ms\tBilled "
        "Duration: 6 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 87.12 ms");
  auto back = fx::usage::parse_report_line(line);
  REQUIRE(back);
  CHECK(back->request_id == r.request_id);
  CHECK(back->duration_ms == Approx(5.67));
  CHECK(back->billed_ms == 6);
  CHECK(back->memory_mb == 128);
  CHECK(back->max_memory_mb == 41);
  REQUIRE(back->init_ms);
  CHECK(*back->init_ms == Approx(87.12));

  r.init_ms.reset();
  auto warm = fx::usage::parse_report_line(fx::usage::format_report_line(r));
  REQUIRE(warm);
  CHECK_FALSE(warm->init_ms);
  CHECK_FALSE(warm->cold());
}

TEST_CASE("a timeout's REPORT says so", "[usage]") {
  ReportRecord r;
  r.request_id = "x";
  r.duration_ms = 3000;
  r.billed_ms = 3000;
  r.outcome = "timeout";
  auto line = fx::usage::format_report_line(r);
  CHECK(line.find("Status: timeout") != std::string::npos);
  CHECK(fx::usage::parse_report_line(line)->outcome == "timeout");
}

TEST_CASE("lines that are not REPORT lines are not read as one", "[usage]") {
  CHECK_FALSE(fx::usage::parse_report_line("START RequestId: x Version: $LATEST"));
  CHECK_FALSE(fx::usage::parse_report_line("REPORT RequestId: x\tDuration: fast"));
}
