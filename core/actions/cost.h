// `fx cost`: which records to price and how, the price table a service uses, and the report
// as JSON. The emulator computes the report next to its store (a million records never cross
// the wire); for AWS the CLI computes it from CloudWatch REPORT lines with the same code
// (cost_report below is that code).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/service.h"
#include "core/usage/cost.h"
#include "core/usage/pricing.h"

namespace fx::lambda {
struct AwsSettings;
}

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

// The one computation behind `fx cost`, wherever the records come from: the emulator's store
// or REPORT lines read from CloudWatch Logs. Returns the document `fx cost --json` prints.
// `records` is called once and hands every record (already limited to request.functions and
// request.since_ms) to the visitor; each function of the request appears in the report even without
// records. `notes` go with the report's.
using ReportVisitor = std::function<void(const usage::ReportRecord&)>;
std::string cost_report(const CostRequest& request, const usage::PriceTable& prices,
                        const std::function<void(const ReportVisitor&)>& records,
                        const std::vector<std::string>& notes = {});

// `fx cost --target aws`: the same report from the REPORT lines in each function's CloudWatch
// log group (/aws/lambda/NAME) since request.since_ms; request.functions names the functions
// (deployed names). REPORT lines do not say the architecture: `architectures` gives it by
// deployed name (x86_64 otherwise). A function without a log group has no invocations, and
// a note says so. Throws fx::Error / lambda::ApiError when CloudWatch cannot be read.
std::string cost_report_from_cloudwatch(const CostRequest& request, const usage::PriceTable& prices,
                                        const lambda::AwsSettings& aws,
                                        const std::map<std::string, std::string>& architectures);

// The price table a command uses: `--pricing FILE`, else the service's custom.fx.pricing (a
// file relative to the service folder, or the table inline), else the built-in one.
// `document` receives the JSON text to send on to an emulator (empty for the built-in).
// Throws fx::Error naming the file and field.
usage::PriceTable select_prices(const std::string& pricing_file, const manifest::Service* service,
                                std::string& document);

}  // namespace fx::actions
