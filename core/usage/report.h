// REPORT records: what one invocation used, as measured by the emulator or read back from a
// REPORT log line (CloudWatch, an Invoke API log tail).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fx::usage {

struct ReportRecord {
  std::string request_id;
  std::string function;  // deployed name
  std::string version = "$LATEST";
  std::int64_t start_ms = 0;  // epoch ms when the invocation was handed to the instance
  double duration_ms = 0;
  std::int64_t billed_ms = 0;
  int memory_mb = 0;
  int max_memory_mb = 0;
  std::optional<double> init_ms;  // cold starts only
  std::string architecture = "x86_64";
  std::string outcome = "success";  // success, error, timeout, oom, throttled
  double cpu_ms = 0;                // the instance's user+system CPU during the invocation
  bool cold() const { return init_ms.has_value(); }
};

// Lambda bills whole milliseconds, rounding up.
std::int64_t billed_duration_ms(double duration_ms);

// "REPORT RequestId: <id>\tDuration: 5.67 ms\tBilled Duration: 6 ms\tMemory Size: 128 MB\t
// Max Memory Used: 41 MB\tInit Duration: 87.12 ms" (Init Duration on cold starts only).
std::string format_report_line(const ReportRecord& r);

// Reads a REPORT line back (fx's, or Lambda's as CloudWatch stores it, with its trailing tab
// and newline); nullopt when the line is not one. The outcome comes from Status (timeout,
// error) and Error Type (Runtime.OutOfMemory is oom); the rest is left at its default.
std::optional<ReportRecord> parse_report_line(std::string_view line);

}  // namespace fx::usage
