#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/target.h"
#include "core/targets/target.h"

namespace fx::cli {

namespace {

nlohmann::json results_json(const std::vector<actions::DeployResult>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : results)
    out.push_back({{"function", r.function},
                   {"name", r.name},
                   {"status", r.status},
                   {"zip_bytes", r.zip_bytes},
                   {"sha256", r.sha256},
                   // null when the function publishes no versions (versionFunctions: false)
                   {"version", r.version.empty() ? nlohmann::json() : nlohmann::json(r.version)},
                   {"routes", r.routes}});
  return out;
}

void print_functions(const Style& s, const std::vector<actions::DeployResult>& results) {
  for (const auto& r : results) {
    if (r.status == "removed") {
      fmt::print("  {:<18} {:<34} {}\n", r.function, r.name,
                 s.yellow("removed (no longer in the manifest)"));
      continue;
    }
    std::string status = r.status == "unchanged" ? s.dim(r.status) : s.green(r.status);
    fmt::print("  {:<18} {:<34} {:<10} {}{}\n", r.function, r.name, status,
               human_bytes(r.zip_bytes),
               r.version.empty() ? "" : fmt::format("  version {}", r.version));
  }
}

void print_layers(const Style& s, const std::vector<actions::LayerResult>& layers) {
  for (const auto& l : layers)
    fmt::print("  layer {:<12} {:<34} {:<10} {}\n", l.layer,
               l.version_arn.substr(l.version_arn.rfind(':', l.version_arn.rfind(':') - 1) + 1),
               l.status == "published" ? s.green(l.status) : s.dim(l.status),
               human_bytes(l.zip_bytes));
}

}  // namespace

int run_deploy(const GlobalOptions& g, const DeployOptions& o) {
  auto service = load_service(g);
  auto target = targets::open_target(
      actions::target_options(g.target, g.region, g.profile, &service, /*start_local=*/true));
  auto s = style_for(g, 1);
  if (target->started_emulator() && !g.json && !g.quiet)
    fmt::print("{}\n",
               s.dim(fmt::format("started the local emulator at {}", target->endpoint().url)));
  actions::DeployOptions options;
  options.functions = o.functions;
  options.force = o.force;
  auto deployed = target->deploy(service, options);
  if (!g.json && !g.quiet) print_layers(s, deployed.layers);
  for (const auto& w : deployed.warnings) warn(g, w);
  const auto& results = deployed.functions;
  for (const auto& line : actions::function_warning_lines(results)) warn(g, line);
  const std::string& api_key = deployed.api_key;
  if (g.json) {
    auto out = results_json(results);
    if (!deployed.api_keys.empty()) {
      fmt::print("{}\n", nlohmann::json{{"functions", out},
                                        {"api_keys", api_keys_json(g, deployed.api_keys)}}
                             .dump());
      return 0;
    }
    if (!api_key.empty()) {
      fmt::print("{}\n",
                 nlohmann::json{{"functions", out}, {"api_key", shown_secret(g, api_key)}}.dump());
      return 0;
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  if (g.quiet) return 0;
  fmt::print("Deployed {} (stage {}, region {}) to {}\n", s.bold(service.name), service.stage,
             target->endpoint().region, target->description());
  if (deployed.role)
    fmt::print(
        "  role {}  {}\n", deployed.role->arn,
        deployed.role->status == "created" ? s.green("created") : s.dim(deployed.role->status));
  for (const auto& q : deployed.queues)
    fmt::print(
        "  queue {:<46} {}\n", q.name,
        q.status == "created" || q.status == "updated" ? s.green(q.status) : s.dim(q.status));
  for (const auto& t : deployed.tables)
    fmt::print(
        "  table {:<46} {}\n", t.name,
        t.status == "created" || t.status == "updated" ? s.green(t.status) : s.dim(t.status));
  for (const auto& a : deployed.apis)
    fmt::print("  {} {:<41} {}\n", a.kind == "HTTP API" ? "http api" : "rest api",
               a.url.empty() ? a.id : a.url,
               a.status == "unchanged" ? s.dim(a.status) : s.green(a.status));
  print_functions(s, results);
  bool any_route = false;
  for (const auto& r : results) any_route |= !r.routes.empty();
  if (any_route) fmt::print("{}\n", deployed.function_urls ? "function URLs" : "routes");
  for (const auto& r : results)
    for (const auto& line : r.routes) fmt::print("  {}  {}\n", line, s.dim("→ " + r.function));
  if (!api_key.empty())
    fmt::print("api key for private routes (send it as x-api-key): {}{}\n",
               s.bold(shown_secret(g, api_key)),
               g.show_secrets ? "" : s.dim("  (--show-secrets prints it whole)"));
  print_api_keys(g, s, deployed.api_keys);
  return 0;
}

}  // namespace fx::cli
