// Cloud prices as data: templates/pricing.json (every figure of shared/PRICING.md with its
// date and source) compiled into the binary, overridable by `custom.fx.pricing` or
// `--pricing FILE`. Parsing validates every field, so a typo in an override is an error
// naming the field rather than a silently free (or negative) bill.
#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::usage {

// One band of a monthly tiered price: `price` per unit for usage up to `up_to` units in the
// month (cumulative; the last tier's up_to is infinity).
struct Tier {
  double up_to = std::numeric_limits<double>::infinity();
  double price = 0;
};

struct AwsPrices {
  double request_per_million = 0;
  std::vector<Tier> x86_64_gb_s;  // tiers over the month's GB-s of x86_64 functions
  std::vector<Tier> arm64_gb_s;   // ... and of arm64 functions
  double free_requests = 0;       // a month, shared by both architectures
  double free_gb_s = 0;
  bool bill_init = true;              // INIT is billed (on-demand zip functions since 1 Aug 2025)
  double ephemeral_storage_gb_s = 0;  // above the free 512 MB
  double provisioned_warm_gb_s = 0;
  double provisioned_duration_gb_s = 0;
};

struct AzurePrices {
  double gb_s = 0;
  double execution_per_million = 0;
  double free_gb_s = 0;
  double free_executions = 0;
  int memory_rounding_mb = 128;  // observed memory rounded up to a multiple of this
  int minimum_ms = 100;          // each execution bills at least this long
};

struct GcpPrices {
  double vcpu_s = 0;
  double gib_s = 0;
  double request_per_million = 0;
  double free_vcpu_s = 0;
  double free_gib_s = 0;
  double free_requests = 0;
  int rounding_ms = 100;  // billed time rounded up to a multiple of this
  // The vCPU a function gets for its memory: (memory MB at most, vCPU), ascending.
  std::vector<std::pair<int, double>> vcpu_by_memory_mb;
};

struct GcpGen1Prices {  // kept as data; not one of the priced providers
  double request_per_million = 0;
  double gb_s = 0;
  double ghz_s = 0;
};

struct CloudflarePrices {
  double monthly_minimum = 0;  // the Standard plan's subscription
  double included_requests = 0;
  double request_per_million = 0;
  double included_cpu_ms = 0;
  double cpu_ms_per_million = 0;
};

struct PriceTable {
  std::string date;    // when the figures were checked, YYYY-MM-DD
  std::string origin;  // "built-in", or the override file's path
  AwsPrices aws;
  AzurePrices azure;
  GcpPrices gcp;
  GcpGen1Prices gcp_gen1;
  CloudflarePrices cloudflare;
};

// The built-in table (templates/pricing.json).
const PriceTable& builtin_prices();

// Parses a whole pricing JSON document (the shape of templates/pricing.json): every field
// must be present and a non-negative number, tiers ascending and ending with an unbounded
// one (`"up_to": null`). Throws fx::Error naming `origin` and the field, as a JSON path
// (`aws.x86_64_gb_s[1].price`). Fields the file holds beyond these (sources, notes) are
// ignored.
PriceTable parse_prices(std::string_view json_text, const std::string& origin);

// Reads and parses a pricing file. Throws fx::Error.
PriceTable load_prices(const std::filesystem::path& file);

}  // namespace fx::usage
