// `fx logs`: a function's log lines from the emulator (fx's own endpoint, long-polled with -f)
// or from CloudWatch Logs (polled), printed the same way, with each REPORT line's cost.
#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/cost.h"
#include "core/actions/target.h"
#include "core/lambda/aws_logs.h"
#include "core/lambda/fx_api.h"
#include "core/manifest/manifest.h"
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
  lambda::LogRequest q;
  if (!o.since.empty()) q.since_ms = util::parse_since(o.since, util::now_ms());
  q.filter = o.filter;
  q.tail = o.tail;
  q.usage = true;
  auto service = load_service_if_present(g);
  auto fn = resolve_function(g, o.function, service ? &*service : nullptr);
  q.function = fn.name;
  std::string pricing_document;
  auto prices = actions::select_prices(o.pricing, service ? &*service : nullptr, pricing_document);
  auto provider = usage::parse_provider(o.provider).value_or(usage::Provider::aws);
  auto target =
      actions::resolve_target({fn.target, fn.region, false, g.profile,
                               !g.region.empty() || (service && service->region_explicit)});
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
  if (target.aws) {
    // REPORT lines do not say the architecture; the manifest does.
    std::string architecture;
    if (service)
      for (const auto& f : service->functions)
        if (f.name == fn.name) architecture = f.architecture;
    lambda::CloudWatchLogs cloudwatch(*target.endpoint.aws);
    std::string group = lambda::lambda_log_group(fn.name);
    lambda::LogGroupTail tail(cloudwatch, {group, q.since_ms, q.filter});
    auto event_of = [&](const lambda::CloudWatchEvent& e) {
      lambda::LogEvent l;
      l.time_ms = e.time_ms;
      l.function = fn.name;
      l.request_id = e.request_id;
      l.message = e.message;
      l.architecture = architecture;
      return l;
    };
    auto read_or_throw = [&](const lambda::CloudWatchVisitor& each) {
      if (!tail.read(each))
        throw Error(fmt::format("no CloudWatch logs for {} in {}: the log group {} does not exist",
                                fn.name, cloudwatch.region(), group),
                    "the function has not run yet, or is not deployed there: `fx deploy --target "
                    "aws`, invoke it, then try again (or check --region)");
    };
    std::deque<lambda::LogEvent> last;  // --tail N: CloudWatch reads forwards only
    read_or_throw([&](const lambda::CloudWatchEvent& e) {
      if (o.tail <= 0) return print(event_of(e));
      last.push_back(event_of(e));
      if (static_cast<std::int64_t>(last.size()) > o.tail) last.pop_front();
    });
    for (const auto& l : last) print(l);
    end_batch();
    if (!o.follow) {
      if (o.cost && !g.json) fmt::print("{}\n", total_text());
      return 0;
    }
    // CloudWatch has no long poll: ask again every second from the last event seen.
    while (true) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      read_or_throw([&](const lambda::CloudWatchEvent& e) { print(event_of(e)); });
      end_batch();
    }
  }

  // Print what is stored (page by page), then, with -f, wait for each new line.
  lambda::FxApi api(target.endpoint);
  lambda::LogPage page;
  try {
    page = api.logs(q);
  } catch (const lambda::ApiError& e) {
    // Deployed functions, and deleted ones that left lines, have logs: this is neither.
    if (e.status() != 404) throw;
    throw Error(fmt::format("function '{}' is not deployed to {} and has no logs there", fn.name,
                            target.endpoint.url),
                fn.known.empty() ? "check the name (`fx info` lists what is deployed)"
                                 : fmt::format("pass a function of the manifest ({}), and deploy "
                                               "it with `fx deploy`",
                                               fn.known));
  }
  for (const auto& l : page.lines) print(l);
  q.tail = 0;
  while (q.tail == 0 && !o.follow && page.lines.size() >= 10'000) {
    q.after_id = page.lines.back().id;
    page = api.logs(q);
    for (const auto& l : page.lines) print(l);
  }
  end_batch();
  if (!o.follow) {
    if (o.cost && !g.json) fmt::print("{}\n", total_text());
    return 0;
  }
  q.after_id = page.last_id;
  q.wait_s = 25;
  while (true) {
    page = api.logs(q);
    for (const auto& l : page.lines) print(l);
    end_batch();
    if (!page.lines.empty()) q.after_id = page.lines.back().id;
  }
}

}  // namespace fx::cli
