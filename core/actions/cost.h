// `fx cost`: which records to price and how, the price table a service uses, and the report
// as JSON. The emulator computes the report next to its store (a million records never cross
// the wire); for AWS the CLI computes it from CloudWatch REPORT lines with the same code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/service.h"
#include "core/usage/cost.h"
#include "core/usage/pricing.h"

namespace fx::actions {

struct CostRequest {
  std::vector<std::string> functions;  // deployed names; empty: every function with records
  std::int64_t since_ms = 0;
  usage::CostOptions options;
  bool suggest = false;  // add a memory-size suggestion per function
  int buckets = 16;      // bins of each function's duration histogram
};

// The body of POST /_fx/v1/cost: the request and the price table document (empty: built-in).
std::string cost_request_json(const CostRequest& request, std::string_view pricing_json);

// Reads that body back, parsing the price table into `prices`. Throws fx::Error.
CostRequest parse_cost_request(std::string_view body, usage::PriceTable& prices);

// Prices what the accumulator summed: the document `fx cost --json` prints.
std::string cost_report_json(const CostRequest& request, const usage::PriceTable& prices,
                             std::vector<usage::FunctionUsage> usage);

// The price table a command uses: `--pricing FILE`, else the service's custom.fx.pricing (a
// file relative to the service folder, or the table inline), else the built-in one.
// `document` receives the JSON text to send on to an emulator (empty for the built-in).
// Throws fx::Error naming the file and field.
usage::PriceTable select_prices(const std::string& pricing_file, const manifest::Service* service,
                                std::string& document);

}  // namespace fx::actions
