// Usage summed per function in the units each cloud bills, and priced: what `fx cost` and
// `fx logs` print. The same code prices records read from the emulator's store and REPORT
// lines read back from CloudWatch, so local and AWS figures mean the same thing.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/usage/pricing.h"
#include "core/usage/report.h"

namespace fx::usage {

enum class Provider { aws = 0, azure = 1, gcp = 2, cloudflare = 3 };
inline constexpr std::array<Provider, 4> kProviders{Provider::aws, Provider::azure, Provider::gcp,
                                                    Provider::cloudflare};
std::string_view provider_name(Provider p);  // "aws", "azure", "gcp", "cloudflare"
std::optional<Provider> parse_provider(std::string_view name);

// What one function's invocations used, summed in the units each provider bills.
struct FunctionUsage {
  std::string function;
  std::int64_t invocations = 0;  // every record but throttled ones (Lambda bills no throttle)
  std::int64_t cold_starts = 0;
  std::int64_t errors = 0;  // outcome error, timeout or oom
  std::int64_t timeouts = 0;
  std::int64_t out_of_memory = 0;
  std::int64_t throttles = 0;
  double duration_ms = 0;      // sum of Duration
  double init_ms = 0;          // sum of Init Duration
  std::int64_t billed_ms = 0;  // sum of AWS billed ms (Duration, plus Init when billed)
  double cpu_ms = 0;           // sum of CPU time (user + system)
  int memory_mb = 0;           // configured memory of the latest invocation
  std::string architecture;    // of the latest invocation
  int max_memory_used_mb = 0;  // the peak over all invocations
  double gb_s = 0;             // AWS GB-s: memory GB (MB / 1024) x billed seconds
  double aws_x86_64_gb_s = 0;  // the part of gb_s on each architecture (tiers differ)
  double aws_arm64_gb_s = 0;
  double azure_gb_s = 0;  // observed memory rounded up, duration with Azure's minimum
  double gcp_vcpu_s = 0;  // vCPU for the memory size x time rounded up
  double gcp_gib_s = 0;
  std::vector<float> durations_ms;  // each invocation's Duration, for percentiles
};

// Sums records into FunctionUsage; the price table supplies the billing rules (rounding,
// vCPU per memory size, whether INIT is billed).
class UsageAccumulator {
 public:
  explicit UsageAccumulator(const PriceTable& prices);
  void add(const ReportRecord& r);
  // Makes `function` appear in the result even with no records (its figures all zero).
  void ensure(const std::string& function);
  // One entry per function, sorted by name.
  std::vector<FunctionUsage> take();

 private:
  const PriceTable& prices_;
  std::map<std::string, FunctionUsage> by_function_;
};

struct CostOptions {
  bool free_tier = false;  // subtract each provider's monthly free tier from the total
  // Price N invocations a month with the measured profile (every quantity scaled by
  // N / measured invocations; tiers and free tiers then apply to the projected month).
  std::optional<double> monthly_invocations;
};

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0;
};

struct CostLine {
  FunctionUsage usage;  // scaled when projecting a month (durations_ms is not)
  Percentiles duration_ms;
  std::array<double, 4> usd{};  // indexed by Provider
};

struct CostReport {
  std::vector<CostLine> functions;
  CostLine total;                  // sums; the account-wide tiers and free tiers apply here,
                                   // and each function's share of them is in its line
  std::vector<std::string> notes;  // the assumptions behind the figures, to print with them
};

CostReport price_usage(std::vector<FunctionUsage> usage, const PriceTable& prices,
                       const CostOptions& options);

// Nearest-rank percentiles (0 for an empty set).
Percentiles percentiles(std::vector<float> values);

// Counts of `values` in `buckets` bins spaced logarithmically between the smallest and the
// largest value (linearly when they are within a factor of 2); lo and hi receive the bounds.
std::vector<std::int64_t> histogram(const std::vector<float>& values, int buckets, double& lo,
                                    double& hi);

// One invocation's cost on one provider at first-tier prices without free tier: the
// figure `fx logs` appends to a REPORT line.
double invocation_cost(const ReportRecord& r, Provider p, const PriceTable& prices);

// The AWS memory size that would be cheapest without running out of memory, from the
// measured peak memory and the split of duration into CPU time and waiting.
struct MemorySuggestion {
  int current_mb = 0;
  int suggested_mb = 0;
  double current_usd_per_million = 0;    // AWS cost of a million invocations as measured
  double suggested_usd_per_million = 0;  // ... modeled at the suggested size
  double modeled_p50_ms = 0;             // the modeled median duration at that size
  std::string reason;                    // one sentence: why this size
};
std::optional<MemorySuggestion> suggest_memory(const FunctionUsage& usage,
                                               const PriceTable& prices);

}  // namespace fx::usage
