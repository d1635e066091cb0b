// `fx logs`: a function's log lines from the target (the emulator's own endpoint, long-polled
// with -f, or CloudWatch Logs), printed the same way, with each REPORT line's cost.
#include <unistd.h>

#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/cost.h"
#include "core/actions/target.h"
#include "core/targets/target.h"
#include "core/usage/cost.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::cli {

namespace {

// Money at a size that shows the difference between two invocations ($0.0000021).
std::string usd_text(double usd) {
  if (usd <= 0) return "$0";
  if (usd >= 0.01) return fmt::format("${:.2f}", usd);
  auto text = fmt::format("${:.10f}", usd);
  text.erase(text.find_last_not_of('0') + 1);
  return text;
}

}  // namespace

int run_logs(const GlobalOptions& g, const LogsOptions& o) {
  targets::LogQuery q;
  if (!o.since.empty()) q.since_ms = util::parse_since(o.since, util::now_ms());
  q.filter = o.filter;
  q.tail = o.tail;
  q.follow = o.follow;
  auto service = load_service_if_present(g);
  auto fn = resolve_function(o.function, service ? &*service : nullptr);
  q.function = fn.name;
  q.known = fn.known;
  // REPORT lines read back from a cloud's logs do not say the architecture; the manifest does.
  if (service)
    for (const auto& f : service->functions)
      if (f.name == fn.name) q.architecture = f.architecture;
  std::string pricing_document;
  auto prices = actions::select_prices(o.pricing, service ? &*service : nullptr, pricing_document);
  auto provider = usage::parse_provider(o.provider).value_or(usage::Provider::aws);
  auto target = targets::open_target(
      actions::target_options(g.target, g.region, g.profile, service ? &*service : nullptr));
  auto s = style_for(g, 1);

  // The session's running total (--cost): following on a terminal, one status line kept at
  // the bottom and rewritten in place; into a pipe, a line after each REPORT; without -f,
  // one line at the end.
  bool running_total = o.cost && o.follow && !g.json;
  bool status_line = running_total && ::isatty(1);
  std::int64_t session_calls = 0;
  double session_usd = 0;
  auto total_text = [&] {
    return fmt::format("── session total: {} invocation{}, {} on {} (prices of {})", session_calls,
                       session_calls == 1 ? "" : "s", usd_text(session_usd),
                       usage::provider_name(provider), prices.date);
  };

  auto print = [&](const lambda::LogEvent& l) {
    std::optional<double> cost;
    if (l.message.starts_with("REPORT ")) {
      if (auto rec = usage::parse_report_line(l.message)) {
        if (!l.architecture.empty()) rec->architecture = l.architecture;
        if (l.cpu_ms) rec->cpu_ms = *l.cpu_ms;
        cost = usage::invocation_cost(*rec, provider, prices);
        ++session_calls;
        session_usd += *cost;
      }
    }
    if (g.json) {
      nlohmann::json j{{"time", util::iso8601_ms(l.time_ms)},
                       {"request_id", l.request_id},
                       {"function", l.function},
                       {"message", l.message}};
      if (cost) {
        j["cost_usd"] = *cost;
        j["provider"] = usage::provider_name(provider);
      }
      fmt::print("{}\n", j.dump());
      return;
    }
    bool platform = l.message.starts_with("START ") || l.message.starts_with("END ") ||
                    l.message.starts_with("REPORT ");
    std::string text = platform ? s.cyan(l.message) : l.message;
    if (cost)
      text +=
          s.dim(fmt::format("\tCost: {} ({})", usd_text(*cost), usage::provider_name(provider)));
    if (status_line) fmt::print("\r\x1b[K");
    fmt::print("{} {}\n", s.dim(util::iso8601_ms(l.time_ms)), text);
    if (running_total && cost && !status_line) fmt::print("{}\n", total_text());
  };
  auto end_batch = [&] {
    if (status_line) fmt::print("{}", s.bold(total_text()));
    std::fflush(stdout);
  };
  target->logs(q, print, end_batch);
  // Only without -f does it return.
  if (o.cost && !g.json) fmt::print("{}\n", total_text());
  return 0;
}

}  // namespace fx::cli
