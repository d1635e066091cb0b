#include "core/usage/cost.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>

namespace fx::usage {

std::string_view provider_name(Provider p) {
  switch (p) {
    case Provider::aws:
      return "aws";
    case Provider::azure:
      return "azure";
    case Provider::gcp:
      return "gcp";
    case Provider::cloudflare:
      return "cloudflare";
  }
  return "aws";
}

std::optional<Provider> parse_provider(std::string_view name) {
  for (Provider p : kProviders) {
    if (provider_name(p) == name) return p;
  }
  return std::nullopt;
}

namespace {

constexpr std::size_t index_of(Provider p) {
  return static_cast<std::size_t>(p);
}

// What one invocation uses in each provider's billing units.
struct RecordUnits {
  std::int64_t aws_billed_ms = 0;
  double aws_gb_s = 0;
  double azure_gb_s = 0;
  double gcp_vcpu_s = 0;
  double gcp_gib_s = 0;
};

double vcpu_for_memory(const GcpPrices& gcp, int memory_mb) {
  const auto& table = gcp.vcpu_by_memory_mb;
  if (table.empty()) return 0;
  for (const auto& [max_mb, vcpu] : table) {
    if (max_mb >= memory_mb) return vcpu;
  }
  return table.back().second;  // larger than the table: the largest size it knows
}

RecordUnits units_of(const ReportRecord& r, const PriceTable& prices) {
  RecordUnits u;
  // A REPORT line's Billed Duration already holds INIT where Lambda bills it (Duration +
  // Init Duration, rounded up once): on-demand zip functions since 1 Aug 2025, and the
  // emulator writes it so. A table that says INIT is free bills Duration alone.
  u.aws_billed_ms = prices.aws.bill_init ? r.billed_ms : billed_duration_ms(r.duration_ms);
  const double memory_gb = r.memory_mb / 1024.0;
  u.aws_gb_s = memory_gb * static_cast<double>(u.aws_billed_ms) / 1000.0;

  // Azure bills the memory the invocation used (not what was configured), rounded up to the
  // next 128 MB, and at least 100 ms of time.
  const int step_mb = std::max(prices.azure.memory_rounding_mb, 1);
  const int observed_mb = std::max(r.max_memory_mb, 1);
  const int azure_mb = (observed_mb + step_mb - 1) / step_mb * step_mb;
  const double azure_ms =
      std::max(static_cast<double>(prices.azure.minimum_ms), std::ceil(r.duration_ms));
  u.azure_gb_s = azure_mb / 1024.0 * azure_ms / 1000.0;

  // GCP rounds time up to the next 100 ms; an invocation that ran at all bills one step.
  const double step_ms = std::max(prices.gcp.rounding_ms, 1);
  const double gcp_ms = std::max(1.0, std::ceil(r.duration_ms / step_ms)) * step_ms;
  u.gcp_vcpu_s = vcpu_for_memory(prices.gcp, r.memory_mb) * gcp_ms / 1000.0;
  u.gcp_gib_s = memory_gb * gcp_ms / 1000.0;
  return u;
}

double first_tier_price(const std::vector<Tier>& tiers) {
  return tiers.empty() ? 0 : tiers.front().price;
}

const std::vector<Tier>& aws_tiers(const PriceTable& prices, std::string_view architecture) {
  return architecture == "arm64" ? prices.aws.arm64_gb_s : prices.aws.x86_64_gb_s;
}

// The cost of `quantity` units a month priced band by band.
double tiered(double quantity, const std::vector<Tier>& tiers) {
  double cost = 0;
  double below = 0;
  for (const Tier& tier : tiers) {
    if (quantity <= below) return cost;
    cost += (std::min(quantity, tier.up_to) - below) * tier.price;
    below = tier.up_to;
  }
  // A hand-built table whose last tier is bounded: the excess pays the last price rather
  // than nothing.
  if (quantity > below && !tiers.empty()) cost += (quantity - below) * tiers.back().price;
  return cost;
}

double at_least_zero(double v) {
  return v > 0 ? v : 0;
}

// 1234567 -> "1,234,567", for notes.
std::string grouped(double v) {
  std::string digits = fmt::format("{:.0f}", v);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

// The billed quantities of one function, kept unrounded: a projection can make a count
// fractional (3 measured functions sharing 1,000,000 invocations) and rounding each one
// would move the bill.
struct Quantities {
  double requests = 0;
  double x86_64_gb_s = 0;
  double arm64_gb_s = 0;
  double azure_gb_s = 0;
  double gcp_vcpu_s = 0;
  double gcp_gib_s = 0;
  double cpu_ms = 0;

  Quantities& operator+=(const Quantities& o) {
    requests += o.requests;
    x86_64_gb_s += o.x86_64_gb_s;
    arm64_gb_s += o.arm64_gb_s;
    azure_gb_s += o.azure_gb_s;
    gcp_vcpu_s += o.gcp_vcpu_s;
    gcp_gib_s += o.gcp_gib_s;
    cpu_ms += o.cpu_ms;
    return *this;
  }
};

Quantities quantities_of(const FunctionUsage& u, double factor) {
  Quantities q;
  q.requests = static_cast<double>(u.invocations) * factor;
  q.x86_64_gb_s = u.aws_x86_64_gb_s * factor;
  q.arm64_gb_s = u.aws_arm64_gb_s * factor;
  q.azure_gb_s = u.azure_gb_s * factor;
  q.gcp_vcpu_s = u.gcp_vcpu_s * factor;
  q.gcp_gib_s = u.gcp_gib_s * factor;
  q.cpu_ms = u.cpu_ms * factor;
  return q;
}

void scale(FunctionUsage& u, double factor) {
  auto count = [factor](std::int64_t& n) { n = std::llround(static_cast<double>(n) * factor); };
  count(u.invocations);
  count(u.cold_starts);
  count(u.errors);
  count(u.timeouts);
  count(u.out_of_memory);
  count(u.throttles);
  count(u.billed_ms);
  u.duration_ms *= factor;
  u.init_ms *= factor;
  u.cpu_ms *= factor;
  u.gb_s *= factor;
  u.aws_x86_64_gb_s *= factor;
  u.aws_arm64_gb_s *= factor;
  u.azure_gb_s *= factor;
  u.gcp_vcpu_s *= factor;
  u.gcp_gib_s *= factor;
}

// Each provider's cost of `q` at first-tier prices with no free tier or included amounts:
// what a function adds to the bill, and the weight by which it shares the account's total.
std::array<double, 4> marginal_cost(const Quantities& q, const PriceTable& prices) {
  std::array<double, 4> usd{};
  usd[index_of(Provider::aws)] = q.requests * prices.aws.request_per_million / 1e6 +
                                 q.x86_64_gb_s * first_tier_price(prices.aws.x86_64_gb_s) +
                                 q.arm64_gb_s * first_tier_price(prices.aws.arm64_gb_s);
  usd[index_of(Provider::azure)] =
      q.requests * prices.azure.execution_per_million / 1e6 + q.azure_gb_s * prices.azure.gb_s;
  usd[index_of(Provider::gcp)] = q.requests * prices.gcp.request_per_million / 1e6 +
                                 q.gcp_vcpu_s * prices.gcp.vcpu_s + q.gcp_gib_s * prices.gcp.gib_s;
  usd[index_of(Provider::cloudflare)] = q.requests * prices.cloudflare.request_per_million / 1e6 +
                                        q.cpu_ms * prices.cloudflare.cpu_ms_per_million / 1e6;
  return usd;
}

// The account's month on each provider, with tiers and, when asked, free tiers.
std::array<double, 4> account_cost(const Quantities& q, const PriceTable& prices,
                                   const CostOptions& options) {
  const bool free = options.free_tier;
  std::array<double, 4> usd{};

  const AwsPrices& aws = prices.aws;
  double requests = free ? at_least_zero(q.requests - aws.free_requests) : q.requests;
  double x86_64 = q.x86_64_gb_s;
  double arm64 = q.arm64_gb_s;
  if (free) {
    // AWS shares one free GB-s allowance between the architectures without saying how it
    // splits. It is taken from x86_64 first: x86_64 GB-s cost more, so this is the split most
    // favourable to the user and the estimate errs low by at most 400,000 x the price gap
    // (about $1.33). The free GB-s come off before the volume tiers, which only matters
    // past 6 billion GB-s.
    const double from_x86_64 = std::min(x86_64, aws.free_gb_s);
    x86_64 -= from_x86_64;
    arm64 = at_least_zero(arm64 - (aws.free_gb_s - from_x86_64));
  }
  usd[index_of(Provider::aws)] = requests * aws.request_per_million / 1e6 +
                                 tiered(x86_64, aws.x86_64_gb_s) + tiered(arm64, aws.arm64_gb_s);

  const AzurePrices& azure = prices.azure;
  double executions = free ? at_least_zero(q.requests - azure.free_executions) : q.requests;
  double azure_gb_s = free ? at_least_zero(q.azure_gb_s - azure.free_gb_s) : q.azure_gb_s;
  usd[index_of(Provider::azure)] =
      executions * azure.execution_per_million / 1e6 + azure_gb_s * azure.gb_s;

  const GcpPrices& gcp = prices.gcp;
  double gcp_requests = free ? at_least_zero(q.requests - gcp.free_requests) : q.requests;
  double vcpu_s = free ? at_least_zero(q.gcp_vcpu_s - gcp.free_vcpu_s) : q.gcp_vcpu_s;
  double gib_s = free ? at_least_zero(q.gcp_gib_s - gcp.free_gib_s) : q.gcp_gib_s;
  usd[index_of(Provider::gcp)] =
      gcp_requests * gcp.request_per_million / 1e6 + vcpu_s * gcp.vcpu_s + gib_s * gcp.gib_s;

  // Cloudflare's included amounts come with the Standard plan's subscription: a month's
  // projection pays the subscription and so always gets them; otherwise they are a free
  // tier like the others.
  const CloudflarePrices& cf = prices.cloudflare;
  const bool plan = options.monthly_invocations.has_value();
  const bool included = plan || free;
  double cf_requests = included ? at_least_zero(q.requests - cf.included_requests) : q.requests;
  double cpu_ms = included ? at_least_zero(q.cpu_ms - cf.included_cpu_ms) : q.cpu_ms;
  usd[index_of(Provider::cloudflare)] = cf_requests * cf.request_per_million / 1e6 +
                                        cpu_ms * cf.cpu_ms_per_million / 1e6 +
                                        (plan ? cf.monthly_minimum : 0);
  return usd;
}

std::vector<std::string> cost_notes(const PriceTable& prices, const CostOptions& options,
                                    std::int64_t measured, std::size_t functions,
                                    const Quantities& month) {
  std::vector<std::string> notes;
  notes.push_back(fmt::format("prices of {} ({})", prices.date, prices.origin));

  if (options.monthly_invocations) {
    if (measured == 0) {
      notes.push_back(fmt::format(
          "no invocations were measured, so the projection to {} invocations a month is 0",
          grouped(*options.monthly_invocations)));
    } else {
      notes.push_back(fmt::format(
          "projected to {} invocations a month: every measured quantity (requests, errors, "
          "GB-s, CPU time) scaled by {:.6g} from the {} measured; duration percentiles are as "
          "measured",
          grouped(*options.monthly_invocations), *options.monthly_invocations / measured,
          grouped(static_cast<double>(measured))));
    }
  } else {
    notes.push_back(fmt::format("the {} measured invocations, not a month's projection",
                                grouped(static_cast<double>(measured))));
  }

  if (options.free_tier) {
    notes.push_back(fmt::format(
        "free tier subtracted once for the account: AWS {} requests and {} GB-s (from x86_64 "
        "GB-s first, then arm64), Azure {} executions and {} GB-s, GCP {} requests, {} vCPU-s "
        "and {} GiB-s",
        grouped(prices.aws.free_requests), grouped(prices.aws.free_gb_s),
        grouped(prices.azure.free_executions), grouped(prices.azure.free_gb_s),
        grouped(prices.gcp.free_requests), grouped(prices.gcp.free_vcpu_s),
        grouped(prices.gcp.free_gib_s)));
  } else {
    notes.push_back(
        "no free tier subtracted: the figures are what this usage adds once the month's free "
        "tier is used up");
  }

  const CloudflarePrices& cf = prices.cloudflare;
  if (options.monthly_invocations) {
    notes.push_back(fmt::format(
        "Cloudflare: the Standard plan's ${:.2f} monthly minimum is in the total, with its "
        "included {} requests and {} CPU-ms subtracted; function lines share only the usage "
        "beyond them, so they do not add up to the Cloudflare total",
        cf.monthly_minimum, grouped(cf.included_requests), grouped(cf.included_cpu_ms)));
  } else if (options.free_tier) {
    notes.push_back(fmt::format(
        "Cloudflare: the Standard plan's included {} requests and {} CPU-ms subtracted; its "
        "${:.2f} monthly minimum is not included (a month's projection adds it)",
        grouped(cf.included_requests), grouped(cf.included_cpu_ms), cf.monthly_minimum));
  } else {
    notes.push_back(fmt::format(
        "Cloudflare: requests and CPU time at the Standard plan's marginal rates, without its "
        "${:.2f} monthly minimum or included amounts; wall time is not billed",
        cf.monthly_minimum));
  }

  notes.push_back(prices.aws.bill_init
                      ? "cold-start INIT time is billed on AWS only (on-demand functions since "
                        "1 Aug 2025); Azure and GCP figures count invocation time alone"
                      : "cold-start INIT time is not billed (price table: aws.bill_init false)");

  auto crosses = [](double gb_s, const std::vector<Tier>& tiers) {
    return !tiers.empty() && gb_s > tiers.front().up_to;
  };
  if (crosses(month.x86_64_gb_s, prices.aws.x86_64_gb_s) ||
      crosses(month.arm64_gb_s, prices.aws.arm64_gb_s)) {
    notes.push_back("AWS GB-s beyond the first volume tier are priced at the lower tier rates");
  }
  if (functions > 1 && (options.free_tier || options.monthly_invocations)) {
    notes.push_back(
        "each function's line is its share of the provider's total, in proportion to its cost "
        "before free tier and volume tiers");
  }
  return notes;
}

}  // namespace

UsageAccumulator::UsageAccumulator(const PriceTable& prices) : prices_(prices) {}

void UsageAccumulator::add(const ReportRecord& r) {
  FunctionUsage& u = by_function_[r.function];
  u.function = r.function;
  // A throttled request never ran: no provider bills it, and it has no duration to count.
  if (r.outcome == "throttled") {
    ++u.throttles;
    return;
  }
  ++u.invocations;
  if (r.init_ms) {
    ++u.cold_starts;
    u.init_ms += *r.init_ms;
  }
  if (r.outcome == "error" || r.outcome == "timeout" || r.outcome == "oom") ++u.errors;
  if (r.outcome == "timeout") ++u.timeouts;
  if (r.outcome == "oom") ++u.out_of_memory;

  const RecordUnits units = units_of(r, prices_);
  u.duration_ms += r.duration_ms;
  u.billed_ms += units.aws_billed_ms;
  u.cpu_ms += static_cast<double>(r.cpu_ms);
  u.gb_s += units.aws_gb_s;
  (r.architecture == "arm64" ? u.aws_arm64_gb_s : u.aws_x86_64_gb_s) += units.aws_gb_s;
  u.azure_gb_s += units.azure_gb_s;
  u.gcp_vcpu_s += units.gcp_vcpu_s;
  u.gcp_gib_s += units.gcp_gib_s;
  u.durations_ms.push_back(static_cast<float>(r.duration_ms));
  u.memory_mb = r.memory_mb;
  u.architecture = r.architecture;
  u.max_memory_used_mb = std::max(u.max_memory_used_mb, r.max_memory_mb);
}

void UsageAccumulator::ensure(const std::string& function) {
  by_function_.try_emplace(function).first->second.function = function;
}

std::vector<FunctionUsage> UsageAccumulator::take() {
  std::vector<FunctionUsage> out;
  out.reserve(by_function_.size());
  for (auto& [name, usage] : by_function_) out.push_back(std::move(usage));
  by_function_.clear();
  return out;
}

CostReport price_usage(std::vector<FunctionUsage> usage, const PriceTable& prices,
                       const CostOptions& options) {
  std::int64_t measured = 0;
  for (const FunctionUsage& u : usage) measured += u.invocations;
  double factor = 1;
  if (options.monthly_invocations) {
    factor = measured > 0 ? *options.monthly_invocations / static_cast<double>(measured) : 0;
  }

  CostReport report;
  std::vector<Quantities> quantities;
  std::vector<std::array<double, 4>> weights;
  Quantities month;
  std::array<double, 4> weight_total{};
  for (FunctionUsage& u : usage) {
    quantities.push_back(quantities_of(u, factor));
    month += quantities.back();
    weights.push_back(marginal_cost(quantities.back(), prices));
    for (std::size_t p = 0; p < weight_total.size(); ++p) weight_total[p] += weights.back()[p];
    if (factor != 1) scale(u, factor);
  }

  CostLine& total = report.total;
  total.usd = account_cost(month, prices, options);
  std::array<double, 4> shared = total.usd;
  // The subscription is a flat fee of the account, not of any function.
  if (options.monthly_invocations) {
    shared[index_of(Provider::cloudflare)] =
        at_least_zero(shared[index_of(Provider::cloudflare)] - prices.cloudflare.monthly_minimum);
  }

  FunctionUsage& sum = total.usage;
  bool first = true;
  for (std::size_t i = 0; i < usage.size(); ++i) {
    FunctionUsage& u = usage[i];
    CostLine line;
    for (std::size_t p = 0; p < shared.size(); ++p) {
      line.usd[p] = weight_total[p] > 0 ? shared[p] * weights[i][p] / weight_total[p] : 0;
    }
    line.duration_ms = percentiles(u.durations_ms);

    sum.invocations += u.invocations;
    sum.cold_starts += u.cold_starts;
    sum.errors += u.errors;
    sum.timeouts += u.timeouts;
    sum.out_of_memory += u.out_of_memory;
    sum.throttles += u.throttles;
    sum.duration_ms += u.duration_ms;
    sum.init_ms += u.init_ms;
    sum.billed_ms += u.billed_ms;
    sum.cpu_ms += u.cpu_ms;
    sum.gb_s += u.gb_s;
    sum.aws_x86_64_gb_s += u.aws_x86_64_gb_s;
    sum.aws_arm64_gb_s += u.aws_arm64_gb_s;
    sum.azure_gb_s += u.azure_gb_s;
    sum.gcp_vcpu_s += u.gcp_vcpu_s;
    sum.gcp_gib_s += u.gcp_gib_s;
    sum.max_memory_used_mb = std::max(sum.max_memory_used_mb, u.max_memory_used_mb);
    sum.durations_ms.insert(sum.durations_ms.end(), u.durations_ms.begin(), u.durations_ms.end());
    // The total has one memory size and architecture only when every function that ran
    // shares them.
    if (u.invocations > 0) {
      if (first) {
        sum.memory_mb = u.memory_mb;
        sum.architecture = u.architecture;
        first = false;
      } else {
        if (sum.memory_mb != u.memory_mb) sum.memory_mb = 0;
        if (sum.architecture != u.architecture) sum.architecture.clear();
      }
    }

    line.usage = std::move(u);
    report.functions.push_back(std::move(line));
  }
  total.duration_ms = percentiles(sum.durations_ms);
  report.notes = cost_notes(prices, options, measured, report.functions.size(), month);
  return report;
}

Percentiles percentiles(std::vector<float> values) {
  Percentiles out;
  const std::size_t n = values.size();
  if (n == 0) return out;
  // Each selection leaves everything from its element on at or above it, so the next (higher)
  // percentile only has to search that tail: three partial passes instead of a sort.
  auto from = values.begin();
  auto select = [&](std::size_t percent) {
    const std::size_t rank = (percent * n + 99) / 100;  // ceil(q * n) without rounding error
    auto nth = values.begin() + static_cast<std::ptrdiff_t>(rank - 1);
    std::nth_element(from, nth, values.end());
    from = nth;
    return static_cast<double>(*nth);
  };
  out.p50 = select(50);
  out.p95 = select(95);
  out.p99 = select(99);
  return out;
}

std::vector<std::int64_t> histogram(const std::vector<float>& values, int buckets, double& lo,
                                    double& hi) {
  buckets = std::max(buckets, 1);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(buckets), 0);
  lo = hi = 0;
  if (values.empty()) return counts;
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  lo = *min;
  hi = *max;
  // Durations are skewed (a few slow cold starts): log spacing keeps the common case from
  // landing in one bin. It needs a positive lower bound.
  const bool logarithmic = lo > 0 && hi > 2 * lo;
  const double span = logarithmic ? std::log(hi / lo) : hi - lo;
  for (float v : values) {
    const double offset = logarithmic ? std::log(v / lo) : v - lo;
    const int bin = span > 0 ? static_cast<int>(offset / span * buckets) : 0;
    ++counts[static_cast<std::size_t>(std::clamp(bin, 0, buckets - 1))];
  }
  return counts;
}

double invocation_cost(const ReportRecord& r, Provider p, const PriceTable& prices) {
  if (r.outcome == "throttled") return 0;
  const RecordUnits u = units_of(r, prices);
  switch (p) {
    case Provider::aws:
      return prices.aws.request_per_million / 1e6 +
             u.aws_gb_s * first_tier_price(aws_tiers(prices, r.architecture));
    case Provider::azure:
      return prices.azure.execution_per_million / 1e6 + u.azure_gb_s * prices.azure.gb_s;
    case Provider::gcp:
      return prices.gcp.request_per_million / 1e6 + u.gcp_vcpu_s * prices.gcp.vcpu_s +
             u.gcp_gib_s * prices.gcp.gib_s;
    case Provider::cloudflare:
      return prices.cloudflare.request_per_million / 1e6 +
             static_cast<double>(r.cpu_ms) * prices.cloudflare.cpu_ms_per_million / 1e6;
  }
  return 0;
}

std::optional<MemorySuggestion> suggest_memory(const FunctionUsage& usage,
                                               const PriceTable& prices) {
  if (usage.invocations <= 0 || usage.memory_mb <= 0) return std::nullopt;
  // Lambda gives a function memory / 1,769 MB of a vCPU below 1,769 MB and at least one vCPU
  // above it; single-threaded code gets no faster past one.
  constexpr double kOneVcpuMb = 1769;
  constexpr int kSizes[] = {128,  192,  256,  320,  384,  448,  512,  640,  768,  1024,
                            1280, 1536, 1769, 2048, 3008, 4096, 5120, 6144, 8192, 10240};
  // The peak seen in a test run is not the peak in production (larger inputs, a warm
  // instance's growing caches), so a size must leave 20% above it.
  constexpr double kHeadroom = 1.2;

  const int current_mb = usage.memory_mb;
  const double n = static_cast<double>(usage.invocations);
  const double mean_ms = usage.duration_ms / n;
  // Without a CPU measurement (REPORT lines read back from CloudWatch carry none) the work
  // is assumed CPU-bound: assuming it waits would promise a smaller size at no slowdown.
  const bool cpu_measured = usage.cpu_ms > 0;
  const double cpu_ms = cpu_measured ? std::min(usage.cpu_ms / n, mean_ms) : mean_ms;
  const double wait_ms = mean_ms - cpu_ms;
  // Billed time beyond Duration (billed INIT spread over the invocations, rounding to the
  // ms) is kept as is at every size.
  const double overhead_ms = std::max(0.0, static_cast<double>(usage.billed_ms) / n - mean_ms);
  const double gb_s_price = first_tier_price(aws_tiers(prices, usage.architecture));

  auto cpu_slowdown = [&](double memory_mb) {
    return std::max(1.0, kOneVcpuMb / memory_mb) /
           std::max(1.0, kOneVcpuMb / static_cast<double>(current_mb));
  };
  auto modeled_ms = [&](int memory_mb) { return wait_ms + cpu_ms * cpu_slowdown(memory_mb); };
  auto usd_per_million = [&](int memory_mb) {
    return prices.aws.request_per_million +
           1e6 * memory_mb / 1024.0 * (modeled_ms(memory_mb) + overhead_ms) / 1000.0 * gb_s_price;
  };

  const double needed_mb = usage.max_memory_used_mb * kHeadroom;
  std::vector<int> candidates;
  for (int mb : kSizes) {
    if (mb >= needed_mb) candidates.push_back(mb);
  }
  if (current_mb >= kSizes[0] && current_mb <= 10240 && current_mb >= needed_mb &&
      std::find(std::begin(kSizes), std::end(kSizes), current_mb) == std::end(kSizes)) {
    candidates.push_back(current_mb);
    std::sort(candidates.begin(), candidates.end());
  }
  const bool fits = !candidates.empty();
  if (!fits) candidates.push_back(10240);  // Lambda's largest size

  int best = candidates.front();
  double best_usd = usd_per_million(best);
  for (int mb : candidates) {
    const double usd = usd_per_million(mb);
    // A relative margin so that rounding noise in an equal cost does not pick a larger size.
    if (usd < best_usd * (1 - 1e-9)) {
      best = mb;
      best_usd = usd;
    }
  }

  MemorySuggestion s;
  s.current_mb = current_mb;
  s.suggested_mb = best;
  s.current_usd_per_million = usd_per_million(current_mb);
  s.suggested_usd_per_million = best_usd;
  const double p50 = usage.durations_ms.empty() ? mean_ms : percentiles(usage.durations_ms).p50;
  s.modeled_p50_ms = mean_ms > 0 ? p50 * modeled_ms(best) / mean_ms : p50;

  const std::string cpu_rule =
      "because AWS gives CPU in proportion to memory (1,769 MB = 1 vCPU), which this estimate "
      "includes";
  const double slowdown = cpu_slowdown(best);
  std::string speed;
  if (slowdown > 1.005) {
    speed = fmt::format("CPU-bound work would run ~{:.1f}x slower at {} MB than at {} MB {}",
                        slowdown, best, current_mb, cpu_rule);
  } else if (slowdown < 0.995) {
    speed = fmt::format("CPU-bound work would run ~{:.1f}x faster at {} MB than at {} MB {}",
                        1 / slowdown, best, current_mb, cpu_rule);
  } else if (best == current_mb) {
    speed =
        "no other size is cheaper once CPU speed is counted, as AWS gives CPU in proportion "
        "to memory (1,769 MB = 1 vCPU)";
  } else {
    speed =
        "both sizes get the same CPU for single-threaded code (AWS gives CPU in proportion to "
        "memory up to 1,769 MB = 1 vCPU), so the duration should not change";
  }
  const double cpu_percent = mean_ms > 0 ? 100 * cpu_ms / mean_ms : 0.0;
  std::string cpu_share =
      cpu_measured
          // A sleep-bound function's share is well under 1%: "0%" would read as unmeasured.
          ? fmt::format(" ({}% of the measured time was CPU)",
                        cpu_percent < 1 ? fmt::format("{:.1f}", cpu_percent)
                                        : fmt::format("{:.0f}", cpu_percent))
          : " (no CPU time was measured, so all of the time is assumed to be CPU)";
  if (!fits) {
    s.reason = fmt::format(
        "peak memory {} MB (+20% headroom) needs more than Lambda's largest size, 10240 MB; {}{}",
        usage.max_memory_used_mb, speed, cpu_share);
  } else {
    s.reason = fmt::format("peak memory {} MB (+20% headroom) fits in {}{} MB; {}{}",
                           usage.max_memory_used_mb, best == current_mb ? "the current " : "", best,
                           speed, cpu_share);
  }
  return s;
}

}  // namespace fx::usage
