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

TEST_CASE("REPORT lines as CloudWatch stores Lambda's are read", "[usage]") {
  auto rec = fx::usage::parse_report_line(
      "REPORT RequestId: 3f1c7a8e-2b1d-4c55-9a0e-5d2f0c1b7e44\tDuration: 102.25 ms\tBilled "
      "Duration: 416 ms\tMemory Size: 512 MB\tMax Memory Used: 68 MB\tInit Duration: 313.17 "
      "ms\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5f7d9a4c3e5b2a1d\tSegmentId: 6d2f\tSampled: "
      "true\t\n");
  REQUIRE(rec);
  CHECK(rec->request_id == "3f1c7a8e-2b1d-4c55-9a0e-5d2f0c1b7e44");
  CHECK(rec->duration_ms == Approx(102.25));
  CHECK(rec->billed_ms == 416);
  CHECK(rec->memory_mb == 512);
  CHECK(rec->max_memory_mb == 68);
  REQUIRE(rec->init_ms);
  CHECK(*rec->init_ms == Approx(313.17));
  CHECK(rec->outcome == "success");
}

TEST_CASE("the outcome comes from Status and Error Type", "[usage]") {
  const std::string base =
      "REPORT RequestId: x\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 "
      "MB\tMax Memory Used: 128 MB\t";
  CHECK(fx::usage::parse_report_line(base + "Status: timeout\t\n")->outcome == "timeout");
  CHECK(fx::usage::parse_report_line(base + "Status: error\tError Type: Runtime.OutOfMemory\t\n")
            ->outcome == "oom");
  CHECK(fx::usage::parse_report_line(base + "Status: error\tError Type: Runtime.ExitError\t\n")
            ->outcome == "error");

  ReportRecord r;
  r.request_id = "y";
  r.outcome = "oom";
  CHECK(fx::usage::parse_report_line(fx::usage::format_report_line(r))->outcome == "oom");
}
