#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/deploy.h"
#include "core/actions/target.h"
#include "core/lambda/fx_api.h"

namespace fx::cli {

int run_deploy(const GlobalOptions& g, const DeployOptions& o) {
  auto service = load_service(g);
  auto target =
      actions::resolve_target({g.target.empty() ? service.target : g.target, service.region, true});
  auto s = style_for(g, 1);
  if (target.started && !g.json && !g.quiet)
    fmt::print("{}\n", s.dim(fmt::format("started the local emulator at {}", target.endpoint.url)));
  lambda::LambdaClient client(target.endpoint);
  actions::DeployOptions options{o.functions, o.force, {}};
  for (const auto& l : actions::deploy_layers(service, client)) {
    options.layer_arns[l.layer] = l.version_arn;
    if (!g.json && !g.quiet)
      fmt::print("  layer {:<12} {:<34} {:<10} {}\n", l.layer,
                 l.version_arn.substr(l.version_arn.rfind(':', l.version_arn.rfind(':') - 1) + 1),
                 l.status == "published" ? s.green(l.status) : s.dim(l.status),
                 human_bytes(l.zip_bytes));
  }
  auto results = actions::deploy_service(service, client, options);
  // The whole service's event sources, also when -f deployed only some functions.
  auto answer = nlohmann::json::parse(
      lambda::FxApi(target.endpoint)
          .put_service(service.name + "-" + service.stage, actions::service_events_json(service)),
      nullptr, false);
  std::string gateway_url = answer.is_object() ? answer.value("gateway_url", "") : "";
  std::string api_key = answer.is_object() ? answer.value("api_key", "") : "";
  auto routes = route_urls(service, gateway_url);
  for (auto& r : results)
    for (const auto& [fn, line] : routes)
      if (fn == r.function) r.routes.push_back(line);
  for (const auto& r : results)
    for (const auto& w : r.warnings) warn(g, fmt::format("{}: {}", r.function, w));
  if (g.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results)
      out.push_back({{"function", r.function},
                     {"name", r.name},
                     {"status", r.status},
                     {"zip_bytes", r.zip_bytes},
                     {"sha256", r.sha256},
                     {"routes", r.routes}});
    if (!api_key.empty()) {
      fmt::print("{}\n", nlohmann::json{{"functions", out}, {"api_key", api_key}}.dump());
      return 0;
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  if (g.quiet) return 0;
  fmt::print("Deployed {} (stage {}, region {}) to {}\n", s.bold(service.name), service.stage,
             service.region, target.endpoint.url);
  for (const auto& r : results) {
    std::string status = r.status == "unchanged" ? s.dim(r.status) : s.green(r.status);
    fmt::print("  {:<18} {:<34} {:<10} {}\n", r.function, r.name, status, human_bytes(r.zip_bytes));
  }
  if (!routes.empty()) {
    fmt::print("routes\n");
    for (const auto& [fn, line] : routes) fmt::print("  {}  {}\n", line, s.dim("→ " + fn));
  }
  if (!api_key.empty())
    fmt::print("api key for private routes (send it as x-api-key): {}\n", s.bold(api_key));
  return 0;
}

}  // namespace fx::cli
