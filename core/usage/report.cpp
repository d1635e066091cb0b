#include "core/usage/report.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace fx::usage {

std::int64_t billed_duration_ms(double duration_ms) {
  auto billed = static_cast<std::int64_t>(std::ceil(duration_ms - 1e-9));
  return billed < 1 ? 1 : billed;
}

std::string format_report_line(const ReportRecord& r) {
  std::string line = fmt::format(
      "REPORT RequestId: {}\tDuration: {:.2f} ms\tBilled Duration: {} ms\tMemory Size: {} MB\t"
      "Max Memory Used: {} MB",
      r.request_id, r.duration_ms, r.billed_ms, r.memory_mb, r.max_memory_mb);
  if (r.init_ms) line += fmt::format("\tInit Duration: {:.2f} ms", *r.init_ms);
  if (r.outcome == "timeout") line += "\tStatus: timeout";
  if (r.outcome == "oom") line += "\tStatus: error\tError Type: Runtime.OutOfMemory";
  return line;
}

namespace {

// The number after "label" in line, or nullopt.
std::optional<double> number_after(std::string_view line, std::string_view label) {
  auto at = line.find(label);
  if (at == std::string_view::npos) return std::nullopt;
  std::string rest(line.substr(at + label.size()));
  char* end = nullptr;
  double v = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<ReportRecord> parse_report_line(std::string_view line) {
  constexpr std::string_view prefix = "REPORT RequestId: ";
  auto at = line.find(prefix);
  if (at == std::string_view::npos) return std::nullopt;
  ReportRecord r;
  auto id_start = at + prefix.size();
  auto id_end = line.find_first_of("\t ", id_start);
  r.request_id = std::string(line.substr(id_start, id_end - id_start));
  auto duration = number_after(line, "\tDuration: ");
  auto billed = number_after(line, "Billed Duration: ");
  auto memory = number_after(line, "Memory Size: ");
  auto max_memory = number_after(line, "Max Memory Used: ");
  if (!duration || !billed || !memory || !max_memory) return std::nullopt;
  r.duration_ms = *duration;
  r.billed_ms = static_cast<std::int64_t>(*billed);
  r.memory_mb = static_cast<int>(*memory);
  r.max_memory_mb = static_cast<int>(*max_memory);
  r.init_ms = number_after(line, "Init Duration: ");
  // Lambda adds a Status only when the platform ended the invocation; a function's own
  // error leaves no trace in REPORT.
  if (line.find("\tStatus: timeout") != std::string_view::npos)
    r.outcome = "timeout";
  else if (line.find("Error Type: Runtime.OutOfMemory") != std::string_view::npos)
    r.outcome = "oom";
  else if (line.find("\tStatus: error") != std::string_view::npos)
    r.outcome = "error";
  return r;
}

}  // namespace fx::usage
