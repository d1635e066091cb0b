#include "core/usage/cost_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::usage {

using nlohmann::json;

std::string cost_request_json(const CostRequest& request, std::string_view pricing_json) {
  json j = {{"functions", request.functions},
            {"since_ms", request.since_ms},
            {"free_tier", request.options.free_tier},
            {"suggest", request.suggest},
            {"buckets", request.buckets}};
  j["monthly"] = request.options.monthly_invocations ? json(*request.options.monthly_invocations)
                                                     : json(nullptr);
  j["pricing"] = pricing_json.empty() ? json(nullptr) : json::parse(pricing_json);
  return j.dump();
}

CostRequest parse_cost_request(std::string_view body, PriceTable& prices) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_object()) throw Error("cost request: the body is not a JSON object");
  CostRequest r;
  try {
    r.functions = j.value("functions", std::vector<std::string>{});
    r.since_ms = j.value("since_ms", std::int64_t{0});
    r.options.free_tier = j.value("free_tier", false);
    r.suggest = j.value("suggest", false);
    r.buckets = std::clamp(j.value("buckets", 16), 1, 200);
    if (j.contains("monthly") && !j["monthly"].is_null())
      r.options.monthly_invocations = j["monthly"].get<double>();
  } catch (const json::exception& e) {
    throw Error(fmt::format("cost request: {}", e.what()));
  }
  if (j.contains("pricing") && !j["pricing"].is_null())
    prices = parse_prices(j["pricing"].dump(), "the pricing sent with the request");
  else
    prices = builtin_prices();
  return r;
}

namespace {

// Figures rounded for people and for JSON diffs: money to a tenth of a nano-dollar.
double round_to(double v, double unit) {
  return std::round(v / unit) * unit;
}

json line_json(const CostLine& line) {
  const auto& u = line.usage;
  json cost = json::object();
  for (auto p : kProviders)
    cost[std::string(provider_name(p))] = round_to(line.usd[static_cast<std::size_t>(p)], 1e-10);
  return {{"function", u.function},
          {"invocations", std::llround(static_cast<double>(u.invocations))},
          {"cold_starts", u.cold_starts},
          {"errors", u.errors},
          {"timeouts", u.timeouts},
          {"out_of_memory", u.out_of_memory},
          {"throttles", u.throttles},
          {"gb_s", round_to(u.gb_s, 1e-6)},
          {"billed_ms", u.billed_ms},
          {"duration_ms", round_to(u.duration_ms, 1e-3)},
          {"init_ms", round_to(u.init_ms, 1e-3)},
          {"cpu_ms", round_to(u.cpu_ms, 1e-3)},
          {"memory_mb", u.memory_mb},
          {"max_memory_used_mb", u.max_memory_used_mb},
          {"architecture", u.architecture},
          {"p50_ms", round_to(line.duration_ms.p50, 1e-3)},
          {"p95_ms", round_to(line.duration_ms.p95, 1e-3)},
          {"p99_ms", round_to(line.duration_ms.p99, 1e-3)},
          {"cost", cost}};
}

// Prices what the accumulator summed.
std::string cost_report_json(const CostRequest& request, const PriceTable& prices,
                             std::vector<FunctionUsage> usage,
                             const std::vector<std::string>& notes) {
  // Histograms and suggestions need each function's measured durations; price_usage keeps
  // them in its lines, unscaled.
  auto report = price_usage(std::move(usage), prices, request.options);
  json functions = json::array();
  for (const auto& line : report.functions) {
    json f = line_json(line);
    double lo = 0, hi = 0;
    auto counts = histogram(line.usage.durations_ms, request.buckets, lo, hi);
    f["histogram"] = {
        {"lo_ms", round_to(lo, 1e-3)}, {"hi_ms", round_to(hi, 1e-3)}, {"counts", counts}};
    if (request.suggest) {
      auto s = suggest_memory(line.usage, prices);
      f["suggestion"] =
          s ? json{{"memory_mb", s->current_mb},
                   {"suggested_mb", s->suggested_mb},
                   {"usd_per_million", round_to(s->current_usd_per_million, 1e-6)},
                   {"suggested_usd_per_million", round_to(s->suggested_usd_per_million, 1e-6)},
                   {"modeled_p50_ms", round_to(s->modeled_p50_ms, 1e-3)},
                   {"reason", s->reason}}
            : json(nullptr);
    }
    functions.push_back(std::move(f));
  }
  json total = line_json(report.total);
  total.erase("function");
  json out = {
      {"since", request.since_ms > 0 ? json(util::iso8601_ms(request.since_ms)) : json()},
      {"pricing_date", prices.date},
      {"pricing_origin", prices.origin},
      {"free_tier", request.options.free_tier},
      {"monthly",
       request.options.monthly_invocations ? json(*request.options.monthly_invocations) : json()},
      {"functions", functions},
      {"total", total},
      {"notes", report.notes}};
  for (const auto& n : notes) out["notes"].push_back(n);
  return out.dump();
}

}  // namespace

std::string cost_report(const CostRequest& request, const PriceTable& prices,
                        const std::function<void(const ReportVisitor&)>& records,
                        const std::vector<std::string>& notes) {
  UsageAccumulator totals(prices);
  for (const auto& f : request.functions) totals.ensure(f);
  records([&](const ReportRecord& r) { totals.add(r); });
  return cost_report_json(request, prices, totals.take(), notes);
}

}  // namespace fx::usage
