// `fx cost`: the target's report (the emulator sums and prices the usage records next to its
// store; for AWS, core/targets/ does the same from CloudWatch's REPORT lines), printed as a
// table a person can read at a glance, or as JSON.
#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/cost.h"
#include "core/actions/target.h"
#include "core/targets/target.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::cli {

using nlohmann::json;

namespace {

std::string ms_text(double ms) {
  if (ms <= 0) return "-";
  if (ms < 10) return fmt::format("{:.2f} ms", ms);
  if (ms < 1000) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.2f} s", ms / 1000);
}

// Two significant digits below a cent ($0.0000021), cents above: the size of a figure is
// what a reader compares first.
std::string usd_text(double usd) {
  if (usd <= 0) return "$0";
  if (usd >= 0.01) return fmt::format("${:.2f}", usd);
  int decimals = std::min(12, static_cast<int>(-std::floor(std::log10(usd))) + 1);
  return fmt::format("${:.{}f}", usd, decimals);
}

std::string count_text(double n) {
  auto digits = fmt::format("{}", std::llround(n));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && digits[i - 1] != '-' && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string gb_s_text(double v) {
  if (v >= 1000) return count_text(v);
  if (v <= 0) return "0";
  return fmt::format("{:.4g}", v);
}

// The duration distribution as a sparkline: a glance shows one hump, two, or a long tail.
std::string sparkline(const json& histogram) {
  static const char* kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  auto counts = histogram.value("counts", std::vector<std::int64_t>{});
  std::int64_t top = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  std::string out;
  for (auto c : counts) {
    if (top == 0 || c == 0) {
      out += " ";
      continue;
    }
    auto level = static_cast<std::size_t>((c * 7 + top - 1) / top);  // 1..7 for c > 0
    out += kBars[std::min<std::size_t>(level, 7)];
  }
  return out;
}

// Pads by display columns (the sparkline's bars are 3 bytes, 1 column each).
std::string pad(const std::string& s, std::size_t width, bool right = false) {
  std::size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  if (cols >= width) return s;
  std::string fill(width - cols, ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

int run_cost(const GlobalOptions& g, const CostOptions& o) {
  targets::CostQuery query;
  auto& request = query.request;
  if (!o.since.empty()) request.since_ms = util::parse_since(o.since, util::now_ms());
  request.options.free_tier = o.free_tier;
  if (o.monthly > 0) request.options.monthly_invocations = o.monthly;
  request.suggest = o.suggest;
  auto service = load_service_if_present(g);
  auto ref = resolve_function(o.function, service ? &*service : nullptr);
  if (!o.function.empty()) {
    bool in_service = !service;
    if (service)
      for (const auto& f : service->functions) in_service |= f.name == ref.name;
    if (!in_service)
      throw Error(fmt::format("function '{}' is not in {}", o.function,
                              service->manifest_path.filename().string()),
                  fmt::format("use one of: {}", ref.known));
    request.functions.push_back(ref.name);
  } else if (service) {
    for (const auto& f : service->functions) request.functions.push_back(f.name);
  }
  query.prices =
      actions::select_prices(o.pricing, service ? &*service : nullptr, query.pricing_document);
  // REPORT lines read back from a cloud's logs do not say the architecture; the manifest does.
  if (service)
    for (const auto& f : service->functions) query.architectures[f.name] = f.architecture;

  auto target = targets::open_target(
      actions::target_options(g.target, g.region, g.profile, service ? &*service : nullptr));
  json report = json::parse(target->cost(query));

  std::vector<std::string> providers;
  for (auto p : usage::kProviders)
    if (o.provider == "all" || o.provider == usage::provider_name(p))
      providers.emplace_back(usage::provider_name(p));
  auto keep_providers = [&](json& line) {
    json cost = json::object();
    for (const auto& p : providers) cost[p] = line["cost"][p];
    line["cost"] = cost;
  };
  for (auto& f : report["functions"]) keep_providers(f);
  keep_providers(report["total"]);

  if (g.json) {
    fmt::print("{}\n", report.dump());
    return 0;
  }

  auto s = style_for(g, 1);
  bool monthly = !report["monthly"].is_null();
  std::string since = report["since"].is_null() ? "all recorded invocations"
                                                : "since " + report["since"].get<std::string>();
  fmt::print("{}  {}  ·  prices of {} ({}){}\n", s.bold("fx cost"), since,
             report.value("pricing_date", ""), report.value("pricing_origin", ""),
             o.free_tier ? "  ·  free tier applied" : "");
  if (monthly)
    fmt::print("projected: {} invocations a month with the measured profile\n",
               count_text(report["monthly"].get<double>()));
  fmt::print("\n");

  std::size_t name_w = 8;
  for (const auto& f : report["functions"])
    name_w = std::max(name_w, f.value("function", "").size());
  std::string header = pad("function", name_w) + "  " +
                       pad(monthly ? "calls/mo" : "calls", 14, true) + pad("cold", 12, true) +
                       pad("errors", 8, true) + pad("GB-s", 12, true) + pad("p50", 10, true) +
                       pad("p95", 10, true) + pad("p99", 10, true) + "  " + pad("durations", 18);
  for (const auto& p : providers) header += pad(p, 13, true);
  fmt::print("{}\n", s.bold(header));
  auto row = [&](const json& f, const std::string& name, const std::string& spark) {
    std::string line = pad(name, name_w) + "  " +
                       pad(count_text(f["invocations"].get<double>()), 14, true) +
                       pad(count_text(f["cold_starts"].get<double>()), 12, true) +
                       pad(count_text(f["errors"].get<double>()), 8, true) +
                       pad(gb_s_text(f["gb_s"].get<double>()), 12, true) +
                       pad(ms_text(f["p50_ms"].get<double>()), 10, true) +
                       pad(ms_text(f["p95_ms"].get<double>()), 10, true) +
                       pad(ms_text(f["p99_ms"].get<double>()), 10, true) + "  " + pad(spark, 18);
    for (const auto& p : providers) line += pad(usd_text(f["cost"][p].get<double>()), 13, true);
    fmt::print("{}\n", line);
  };
  for (const auto& f : report["functions"]) {
    const auto& h = f["histogram"];
    std::string spark = f["invocations"].get<double>() > 0 ? sparkline(h) : "";
    row(f, f.value("function", ""), spark);
    if (f["invocations"].get<double>() > 0 && h["hi_ms"].get<double>() > 0)
      fmt::print("{}\n", s.dim(pad("", name_w + 2 + 14 + 12 + 8 + 12 + 30 + 2) +
                               fmt::format("{} … {}", ms_text(h["lo_ms"].get<double>()),
                                           ms_text(h["hi_ms"].get<double>()))));
  }
  // The total has its own line when it is not just the one function's: several functions,
  // or an account-wide charge (Cloudflare's monthly minimum) that no function carries.
  bool total_differs = report["functions"].size() > 1;
  if (report["functions"].size() == 1)
    for (const auto& p : providers)
      total_differs |= std::abs(report["total"]["cost"][p].get<double>() -
                                report["functions"][0]["cost"][p].get<double>()) > 1e-9;
  if (total_differs) row(report["total"], "total", "");

  const auto& total = report["total"];
  double calls = total["invocations"].get<double>();
  if (!monthly && calls > 0) {
    std::string per;
    for (const auto& p : providers)
      per += fmt::format("{}{} {}", per.empty() ? "" : "  ·  ", p,
                         usd_text(total["cost"][p].get<double>() / calls * 1e6));
    fmt::print("\nper million invocations like these: {}\n", per);
  }
  std::vector<std::string> extra;
  if (total["timeouts"].get<std::int64_t>() > 0)
    extra.push_back(fmt::format("{} timed out", total["timeouts"].get<std::int64_t>()));
  if (total["out_of_memory"].get<std::int64_t>() > 0)
    extra.push_back(
        fmt::format("{} ran out of memory", total["out_of_memory"].get<std::int64_t>()));
  if (total["throttles"].get<std::int64_t>() > 0)
    extra.push_back(
        fmt::format("{} throttled (not billed)", total["throttles"].get<std::int64_t>()));
  if (!extra.empty()) fmt::print("{}\n", fmt::join(extra, ", "));

  if (o.suggest) {
    fmt::print("\n{}\n", s.bold("right-sizing on AWS"));
    for (const auto& f : report["functions"]) {
      const auto& sg = f["suggestion"];
      if (sg.is_null()) {
        fmt::print("  {}  no invocations to measure yet\n", pad(f.value("function", ""), name_w));
        continue;
      }
      int now = sg["memory_mb"].get<int>(), best = sg["suggested_mb"].get<int>();
      std::string change = now == best ? fmt::format("{} MB is already the cheapest size", now)
                                       : fmt::format("{} MB → {} MB", now, best);
      fmt::print("  {}  {}: {} → {} per million invocations\n    {}\n",
                 pad(f.value("function", ""), name_w), s.green(change),
                 usd_text(sg["usd_per_million"].get<double>()),
                 usd_text(sg["suggested_usd_per_million"].get<double>()),
                 s.dim(sg.value("reason", "")));
    }
  }
  if (!report["notes"].empty()) {
    fmt::print("\n");
    for (const auto& n : report["notes"]) fmt::print("{}\n", s.dim("· " + n.get<std::string>()));
  }
  return 0;
}

}  // namespace fx::cli
