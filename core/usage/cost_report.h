// The report behind `fx cost`: which records to price and how (the request an emulator
// receives on POST /_fx/v1/cost), and the report as JSON. The emulator computes it next to
// its store (a million records never cross the wire); for AWS the CLI computes it from
// CloudWatch's REPORT lines with the same code.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/usage/cost.h"
#include "core/usage/pricing.h"
#include "core/usage/report.h"

namespace fx::usage {

struct CostRequest {
  std::vector<std::string> functions;  // deployed names; empty: every function with records
  std::int64_t since_ms = 0;
  CostOptions options;
  bool suggest = false;  // add a memory-size suggestion per function
  int buckets = 16;      // bins of each function's duration histogram
};

// The body of POST /_fx/v1/cost: the request and the price table document (empty: built-in).
std::string cost_request_json(const CostRequest& request, std::string_view pricing_json);

// Reads that body back, parsing the price table into `prices`. Throws fx::Error.
CostRequest parse_cost_request(std::string_view body, PriceTable& prices);

// The one computation behind `fx cost`, wherever the records come from: the emulator's store
// or REPORT lines read from CloudWatch Logs. Returns the document `fx cost --json` prints.
// `records` is called once and hands every record (already limited to request.functions and
// request.since_ms) to the visitor; each function of the request appears in the report even
// without records. `notes` go with the report's.
using ReportVisitor = std::function<void(const ReportRecord&)>;
std::string cost_report(const CostRequest& request, const PriceTable& prices,
                        const std::function<void(const ReportVisitor&)>& records,
                        const std::vector<std::string>& notes = {});

}  // namespace fx::usage
