#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/target.h"
#include "core/lambda/fx_api.h"
#include "core/manifest/manifest.h"
#include "core/util/error.h"
#include "core/util/time.h"

namespace fx::cli {

int run_logs(const GlobalOptions& g, const LogsOptions& o) {
  lambda::LogRequest q;
  if (!o.since.empty()) q.since_ms = util::parse_since(o.since, util::now_ms());
  q.filter = o.filter;
  q.tail = o.tail;
  auto fn = resolve_function(g, o.function);
  q.function = fn.name;
  auto target = actions::resolve_target({fn.target, fn.region, false});
  lambda::FxApi api(target.endpoint);
  auto s = style_for(g, 1);
  auto print = [&](const lambda::LogEvent& l) {
    if (g.json) {
      fmt::print("{}\n", nlohmann::json{{"time", util::iso8601_ms(l.time_ms)},
                                        {"request_id", l.request_id},
                                        {"function", l.function},
                                        {"message", l.message}}
                             .dump());
      return;
    }
    bool platform = l.message.starts_with("START ") || l.message.starts_with("END ") ||
                    l.message.starts_with("REPORT ");
    fmt::print("{} {}\n", s.dim(util::iso8601_ms(l.time_ms)),
               platform ? s.cyan(l.message) : l.message);
  };
  // Print what is stored (page by page), then, with -f, wait for each new line.
  auto page = api.logs(q);
  for (const auto& l : page.lines) print(l);
  q.tail = 0;
  while (q.tail == 0 && !o.follow && page.lines.size() >= 10'000) {
    q.after_id = page.lines.back().id;
    page = api.logs(q);
    for (const auto& l : page.lines) print(l);
  }
  std::fflush(stdout);
  if (!o.follow) return 0;
  q.after_id = page.last_id;
  q.wait_s = 25;
  while (true) {
    page = api.logs(q);
    for (const auto& l : page.lines) print(l);
    std::fflush(stdout);
    if (!page.lines.empty()) q.after_id = page.lines.back().id;
  }
}

}  // namespace fx::cli
