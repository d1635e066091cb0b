#include "core/actions/cost.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lambda/aws_logs.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/time.h"

namespace fx::actions {

namespace fs = std::filesystem;
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

CostRequest parse_cost_request(std::string_view body, usage::PriceTable& prices) {
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
    prices = usage::parse_prices(j["pricing"].dump(), "the pricing sent with the request");
  else
    prices = usage::builtin_prices();
  return r;
}

namespace {

// Figures rounded for people and for JSON diffs: money to a tenth of a nano-dollar.
double round_to(double v, double unit) {
  return std::round(v / unit) * unit;
}

json line_json(const usage::CostLine& line) {
  const auto& u = line.usage;
  json cost = json::object();
  for (auto p : usage::kProviders)
    cost[std::string(usage::provider_name(p))] =
        round_to(line.usd[static_cast<std::size_t>(p)], 1e-10);
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
std::string cost_report_json(const CostRequest& request, const usage::PriceTable& prices,
                             std::vector<usage::FunctionUsage> usage,
                             const std::vector<std::string>& notes) {
  // Histograms and suggestions need each function's measured durations; price_usage keeps
  // them in its lines, unscaled.
  auto report = usage::price_usage(std::move(usage), prices, request.options);
  json functions = json::array();
  for (const auto& line : report.functions) {
    json f = line_json(line);
    double lo = 0, hi = 0;
    auto counts = usage::histogram(line.usage.durations_ms, request.buckets, lo, hi);
    f["histogram"] = {
        {"lo_ms", round_to(lo, 1e-3)}, {"hi_ms", round_to(hi, 1e-3)}, {"counts", counts}};
    if (request.suggest) {
      auto s = usage::suggest_memory(line.usage, prices);
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

std::string cost_report(const CostRequest& request, const usage::PriceTable& prices,
                        const std::function<void(const ReportVisitor&)>& records,
                        const std::vector<std::string>& notes) {
  usage::UsageAccumulator totals(prices);
  for (const auto& f : request.functions) totals.ensure(f);
  records([&](const usage::ReportRecord& r) { totals.add(r); });
  return cost_report_json(request, prices, totals.take(), notes);
}

std::string cost_report_from_cloudwatch(const CostRequest& request, const usage::PriceTable& prices,
                                        const lambda::AwsSettings& aws,
                                        const std::map<std::string, std::string>& architectures) {
  lambda::CloudWatchLogs logs(aws);
  std::vector<std::string> notes;
  std::vector<std::string> without_log_group;
  // cost_report reads the notes after the records, so the ones learnt while reading count.
  auto report = cost_report(
      request, prices,
      [&](const ReportVisitor& visit) {
        for (const auto& function : request.functions) {
          auto arch = architectures.find(function);
          lambda::LogEventsQuery q{lambda::lambda_log_group(function), request.since_ms,
                                   "REPORT RequestId: "};
          bool found = logs.filter_log_events(q, [&](const lambda::CloudWatchEvent& e) {
            auto record = usage::parse_report_line(e.message);
            if (!record) return;
            record->function = function;
            record->start_ms = e.time_ms;
            if (arch != architectures.end()) record->architecture = arch->second;
            visit(*record);
          });
          if (!found) without_log_group.push_back(function);
        }
        if (!without_log_group.empty())
          notes.push_back(fmt::format(
              "no CloudWatch log group in {} for {}: not invoked yet, or not deployed there",
              logs.region(), fmt::join(without_log_group, ", ")));
        notes.push_back(
            "read from CloudWatch REPORT lines, which carry no CPU time: the Cloudflare figures "
            "count requests only, and a function's own errors are not counted (timeouts and "
            "out-of-memory are)");
      },
      notes);
  return report;
}

usage::PriceTable select_prices(const std::string& pricing_file, const manifest::Service* service,
                                std::string& document) {
  document.clear();
  auto from_file = [&](const fs::path& path) {
    auto prices = usage::load_prices(path);
    document = util::read_file(path);
    return prices;
  };
  if (!pricing_file.empty()) return from_file(pricing_file);
  if (service) {
    auto fx = json::parse(service->custom_fx_json, nullptr, false);
    if (fx.is_object() && fx.contains("pricing")) {
      const auto& p = fx["pricing"];
      std::string where =
          fmt::format("{}: custom.fx.pricing", service->manifest_path.filename().string());
      if (p.is_string()) {
        fs::path path = p.get<std::string>();
        if (path.is_relative()) path = service->dir / path;
        return from_file(path);
      }
      if (p.is_object()) {
        document = p.dump();
        return usage::parse_prices(document, where);
      }
      throw Error(
          fmt::format("{}: expected a file name or a map of prices, got {}", where, p.dump()),
          "see templates/pricing.json in the fx repository for the shape");
    }
  }
  return usage::builtin_prices();
}

}  // namespace fx::actions
