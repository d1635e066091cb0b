// `fx info` and `fx remove`: what the manifest's functions are on the target, and taking
// them down.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/deploy.h"
#include "core/actions/deploy_aws.h"
#include "core/actions/target.h"
#include "core/lambda/client.h"
#include "core/lambda/fx_api.h"

namespace fx::cli {

using json = nlohmann::json;

namespace {

actions::ResolvedTarget target_of(const GlobalOptions& g, const manifest::Service& service) {
  return actions::resolve_target({g.target.empty() ? service.target : g.target, service.region,
                                  false, g.profile, service.region_explicit || !g.region.empty()});
}

int info_aws(const GlobalOptions& g, const manifest::Service& service,
             const actions::ResolvedTarget& target) {
  auto s = style_for(g, 1);
  // Asked before anything is printed: a failing call is then the command's only output.
  auto described = actions::describe_on_aws(service, target.endpoint);
  if (!g.json)
    fmt::print("service  {}\nstage    {}\nregion   {}\nendpoint {}\n\nfunctions\n",
               s.bold(service.name), service.stage, target.endpoint.region, target.endpoint.url);
  json functions = json::array(), routes = json::array();
  for (const auto& info : described) {
    json j = {
        {"function", info.function}, {"name", info.name}, {"deployed", info.config.has_value()}};
    if (!info.config) {
      if (!g.json) fmt::print("  {:<16} {}\n", info.function, s.yellow("not deployed"));
      functions.push_back(std::move(j));
      continue;
    }
    const auto& c = *info.config;
    j["runtime"] = c.runtime;
    j["handler"] = c.handler;
    j["memory_mb"] = c.memory_size;
    j["timeout_s"] = c.timeout;
    j["version"] = c.version;
    j["code_sha256"] = c.code_sha256;
    j["code_size"] = c.code_size;
    j["last_modified"] = c.last_modified;
    j["state"] = c.state;
    j["last_update_status"] = c.last_update_status;
    j["role"] = c.role;
    j["reserved_concurrency"] =
        c.reserved_concurrency ? json(*c.reserved_concurrency) : json(nullptr);
    j["url"] = info.url ? json(info.url->url) : json(nullptr);
    j["url_auth_type"] = info.url ? json(info.url->auth_type) : json(nullptr);
    if (info.url) routes.push_back({{"function", info.function}, {"route", info.url->url}});
    json schedules = json::array(), queues = json::array();
    for (const auto& r : info.schedules)
      schedules.push_back({{"rule", r.name},
                           {"arn", r.arn},
                           {"expression", r.schedule_expression},
                           {"enabled", r.state == "ENABLED"}});
    for (const auto& m : info.queues)
      queues.push_back({{"uuid", m.uuid},
                        {"queue_arn", m.event_source_arn},
                        {"batch_size", m.batch_size},
                        {"batching_window_s", m.maximum_batching_window_s},
                        {"function_response_types", m.function_response_types},
                        {"state", m.state}});
    j["schedules"] = std::move(schedules);
    j["queues"] = std::move(queues);
    if (!g.json) {
      fmt::print("  {:<16} {}  {} {} MB {}s {}  {}  {}\n", info.function, info.name, c.runtime,
                 c.memory_size, c.timeout, human_bytes(static_cast<std::uint64_t>(c.code_size)),
                 c.state.empty() ? "" : c.state, s.dim("updated " + c.last_modified));
      if (info.url)
        fmt::print("  {:<16} {}{}\n", "", info.url->url,
                   info.url->auth_type == "NONE" ? "" : s.dim("  (" + info.url->auth_type + ")"));
      for (const auto& r : info.schedules)
        fmt::print("  {:<16} {}  {}{}\n", "", r.schedule_expression, s.dim(r.name),
                   r.state == "ENABLED" ? "" : s.yellow("  disabled"));
      for (const auto& m : info.queues)
        fmt::print("  {:<16} {}  {}\n", "", m.event_source_arn,
                   s.dim(fmt::format("batch {}, {}", m.batch_size, m.state)));
    }
    functions.push_back(std::move(j));
  }
  if (g.json)
    fmt::print("{}\n", json{{"service", service.name},
                            {"stage", service.stage},
                            {"region", target.endpoint.region},
                            {"endpoint", target.endpoint.url},
                            {"functions", functions},
                            {"routes", routes}}
                           .dump());
  return 0;
}

int remove_aws(const GlobalOptions& g, const manifest::Service& service,
               const actions::ResolvedTarget& target) {
  auto removed = actions::remove_from_aws(service, target.endpoint);
  for (const auto& w : removed.warnings) warn(g, w);
  if (g.json) {
    json mappings = json::array();
    for (const auto& m : removed.queue_mappings)
      mappings.push_back({{"uuid", m.uuid}, {"queue_arn", m.event_source_arn}});
    fmt::print("{}\n", json{{"removed", removed.functions},
                            {"layers", removed.layers},
                            {"schedules", removed.schedules},
                            {"queues", removed.queues},
                            {"queue_mappings", mappings},
                            {"role", removed.role.empty() ? json(nullptr) : json(removed.role)}}
                           .dump());
    return 0;
  }
  if (g.quiet) return 0;
  if (removed.functions.empty() && removed.layers.empty() && removed.schedules.empty() &&
      removed.queue_mappings.empty() && removed.queues.empty() && removed.role.empty())
    fmt::print("nothing of {} was deployed to {}\n", service.name, target.endpoint.url);
  for (const auto& r : removed.schedules) fmt::print("removed schedule rule {}\n", r);
  for (const auto& m : removed.queue_mappings)
    fmt::print("removed the mapping of queue {}\n", m.event_source_arn);
  for (const auto& f : removed.functions) fmt::print("removed {}\n", f);
  for (const auto& l : removed.layers) fmt::print("removed layer {}\n", l);
  for (const auto& q : removed.queues) fmt::print("removed queue {}\n", q);
  if (!removed.role.empty()) fmt::print("removed role {}\n", removed.role);
  return 0;
}

}  // namespace

int run_info(const GlobalOptions& g) {
  auto service = load_service(g);
  auto target = target_of(g, service);
  if (target.aws) return info_aws(g, service, target);
  lambda::LambdaClient client(target.endpoint);
  json instances = json::object();
  json schedules = json::array();
  std::string gateway_url;
  std::string sandbox;  // how the emulator isolates instances
  if (target.local) {
    lambda::FxApi api(target.endpoint);
    json status = json::parse(api.status().raw_json);
    gateway_url = status.value("gateway_url", "");
    sandbox = status.value("sandbox", "");
    for (auto& f : status.value("functions", json::array())) instances[f.value("name", "")] = f;
    for (auto& sc : status.value("schedules", json::array()))
      if (sc.value("service", "") == service.name + "-" + service.stage) schedules.push_back(sc);
  }
  json functions = json::array();
  auto s = style_for(g, 1);
  // Asked before anything is printed: a failing call (a wrong token) is then the only output.
  std::vector<std::optional<lambda::FunctionConfiguration>> configs;
  for (const auto& f : service.functions) configs.push_back(client.get_function(f.name));
  if (!g.json)
    fmt::print("service  {}\nstage    {}\nregion   {}\nendpoint {}\n{}\nfunctions\n",
               s.bold(service.name), service.stage, service.region, target.endpoint.url,
               sandbox.empty() ? "" : fmt::format("sandbox  {}\n", sandbox));
  for (std::size_t at = 0; at < service.functions.size(); ++at) {
    const auto& f = service.functions[at];
    const auto& deployed = configs[at];
    json j = {{"function", f.key}, {"name", f.name}, {"deployed", deployed.has_value()}};
    if (deployed) {
      j["runtime"] = deployed->runtime;
      j["handler"] = deployed->handler;
      j["memory_mb"] = deployed->memory_size;
      j["timeout_s"] = deployed->timeout;
      j["version"] = deployed->version;
      j["code_sha256"] = deployed->code_sha256;
      j["code_size"] = deployed->code_size;
      j["last_modified"] = deployed->last_modified;
      if (instances.contains(f.name)) {
        const auto& i = instances[f.name];
        j["instances"] = {{"busy", i.value("busy", 0)}, {"idle", i.value("idle", 0)}};
        j["invocations"] = i.value("invocations", 0);
        j["cold_starts"] = i.value("cold_starts", 0);
        j["errors"] = i.value("errors", 0);
        j["timeouts"] = i.value("timeouts", 0);
        j["throttles"] = i.value("throttles", 0);
      }
    }
    if (!g.json) {
      if (!deployed) {
        fmt::print("  {:<16} {}\n", f.key, s.yellow("not deployed"));
      } else {
        fmt::print("  {:<16} {}  {} {} MB {}s  {}\n", f.key, f.name, deployed->runtime,
                   deployed->memory_size, deployed->timeout,
                   s.dim("updated " + deployed->last_modified));
        if (j.contains("instances"))
          fmt::print(
              "  {:<16} {} busy, {} idle instances; {} invocations, {} cold starts, {} errors, "
              "{} timeouts, {} throttles\n",
              "", j["instances"]["busy"].get<int>(), j["instances"]["idle"].get<int>(),
              j["invocations"].get<int>(), j["cold_starts"].get<int>(), j["errors"].get<int>(),
              j["timeouts"].get<int>(), j["throttles"].get<int>());
      }
      for (const auto& sc : schedules) {
        if (sc.value("function", "") != f.name) continue;
        std::string next = !sc.value("enabled", true) ? "disabled"
                           : sc["next"].is_null()     ? "never fires again"
                                                      : "next " + sc["next"].get<std::string>();
        fmt::print("  {:<16} schedule {}  {}\n", "", sc.value("expression", ""), s.dim(next));
      }
    }
    functions.push_back(std::move(j));
  }
  json routes = json::array();
  if (!gateway_url.empty()) {
    auto lines = actions::route_urls(service, gateway_url);
    if (!g.json && !lines.empty()) fmt::print("\nroutes\n");
    for (const auto& [fn, line] : lines) {
      routes.push_back({{"function", fn}, {"route", line}});
      if (!g.json) fmt::print("  {}  {}\n", line, s.dim("→ " + fn));
    }
  }
  if (g.json)
    fmt::print("{}\n", json{{"service", service.name},
                            {"stage", service.stage},
                            {"region", service.region},
                            {"endpoint", target.endpoint.url},
                            {"sandbox", sandbox.empty() ? json(nullptr) : json(sandbox)},
                            {"functions", functions},
                            {"schedules", schedules},
                            {"gateway_url", gateway_url},
                            {"routes", routes}}
                           .dump());
  return 0;
}

int run_remove(const GlobalOptions& g) {
  auto service = load_service(g);
  auto target = target_of(g, service);
  if (target.aws) return remove_aws(g, service, target);
  lambda::LambdaClient client(target.endpoint);
  json removed = json::array();
  // Also those deleted from the manifest since they were deployed.
  for (const auto& stale : actions::stale_functions(service, client)) {
    client.delete_function(stale.name);
    removed.push_back(stale.name);
  }
  for (const auto& f : service.functions) {
    if (!client.get_function(f.name)) continue;
    client.delete_function(f.name);
    removed.push_back(f.name);
  }
  lambda::FxApi(target.endpoint).delete_service(service.name + "-" + service.stage);
  if (g.json) {
    fmt::print("{}\n", json{{"removed", removed}}.dump());
  } else if (!g.quiet) {
    if (removed.empty())
      fmt::print("nothing of {} was deployed to {}\n", service.name, target.endpoint.url);
    for (auto& r : removed) fmt::print("removed {}\n", r.get<std::string>());
  }
  return 0;
}

}  // namespace fx::cli
