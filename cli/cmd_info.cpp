// `fx info` and `fx remove`: what the manifest's functions are on the target, and taking
// them down.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/target.h"
#include "core/targets/target.h"

namespace fx::cli {

using json = nlohmann::json;

namespace {

std::unique_ptr<targets::Target> target_of(const GlobalOptions& g,
                                           const manifest::Service& service) {
  return targets::open_target(actions::target_options(g.target, g.region, g.profile, &service));
}

json function_json(const targets::FunctionInfo& info) {
  json j = {
      {"function", info.function}, {"name", info.name}, {"deployed", info.config.has_value()}};
  if (!info.config) return j;
  const auto& c = *info.config;
  j["runtime"] = c.runtime;
  j["handler"] = c.handler;
  j["memory_mb"] = c.memory_size;
  j["timeout_s"] = c.timeout;
  j["version"] = c.version;
  j["code_sha256"] = c.code_sha256;
  j["code_size"] = c.code_size;
  j["last_modified"] = c.last_modified;
  j["warnings"] = c.warnings;  // the emulator's FxWarnings: the interpreter, a deprecated runtime
  if (const auto& i = info.instances) {
    j["instances"] = {{"busy", i->busy}, {"idle", i->idle}};
    j["invocations"] = i->invocations;
    j["cold_starts"] = i->cold_starts;
    j["errors"] = i->errors;
    j["timeouts"] = i->timeouts;
    j["throttles"] = i->throttles;
  }
  if (const auto& cloud = info.cloud) {
    j["state"] = c.state;
    j["last_update_status"] = c.last_update_status;
    j["role"] = c.role;
    j["reserved_concurrency"] =
        c.reserved_concurrency ? json(*c.reserved_concurrency) : json(nullptr);
    j["url"] = cloud->url ? json(cloud->url->url) : json(nullptr);
    j["url_auth_type"] = cloud->url ? json(cloud->url->auth_type) : json(nullptr);
    json schedules = json::array(), queues = json::array();
    for (const auto& r : cloud->schedules)
      schedules.push_back({{"rule", r.name},
                           {"arn", r.arn},
                           {"expression", r.schedule_expression},
                           {"enabled", r.state == "ENABLED"}});
    for (const auto& m : cloud->queues)
      queues.push_back({{"uuid", m.uuid},
                        {"queue_arn", m.event_source_arn},
                        {"batch_size", m.batch_size},
                        {"batching_window_s", m.maximum_batching_window_s},
                        {"function_response_types", m.function_response_types},
                        {"state", m.state}});
    j["schedules"] = std::move(schedules);
    j["queues"] = std::move(queues);
  }
  return j;
}

void print_function(const Style& s, const targets::FunctionInfo& info,
                    const targets::EmulatorState* emulator) {
  if (!info.config) {
    fmt::print("  {:<16} {}\n", info.function, s.yellow("not deployed"));
  } else if (const auto& cloud = info.cloud) {
    // On a cloud, a function's line also shows its code size and its lifecycle state
    // (Pending, Active, Failed): a function there is not callable until Active.
    const auto& c = *info.config;
    fmt::print("  {:<16} {}  {} {} MB {}s {}  {}  {}\n", info.function, info.name, c.runtime,
               c.memory_size, c.timeout, human_bytes(static_cast<std::uint64_t>(c.code_size)),
               c.state.empty() ? "" : c.state, s.dim("updated " + c.last_modified));
    if (cloud->url)
      fmt::print("  {:<16} {}{}\n", "", cloud->url->url,
                 cloud->url->auth_type == "NONE" ? "" : s.dim("  (" + cloud->url->auth_type + ")"));
    for (const auto& r : cloud->schedules)
      fmt::print("  {:<16} {}  {}{}\n", "", r.schedule_expression, s.dim(r.name),
                 r.state == "ENABLED" ? "" : s.yellow("  disabled"));
    for (const auto& m : cloud->queues)
      fmt::print("  {:<16} {}  {}\n", "", m.event_source_arn,
                 s.dim(fmt::format("batch {}, {}", m.batch_size, m.state)));
  } else {
    const auto& c = *info.config;
    fmt::print("  {:<16} {}  {} {} MB {}s  {}\n", info.function, info.name, c.runtime,
               c.memory_size, c.timeout, s.dim("updated " + c.last_modified));
    if (const auto& i = info.instances)
      fmt::print(
          "  {:<16} {} busy, {} idle instances; {} invocations, {} cold starts, {} errors, "
          "{} timeouts, {} throttles\n",
          "", i->busy, i->idle, i->invocations, i->cold_starts, i->errors, i->timeouts,
          i->throttles);
    for (const auto& w : c.warnings) fmt::print("  {:<16} {}\n", "", s.yellow("warning: " + w));
  }
  if (!emulator) return;
  for (const auto& sc : emulator->schedules) {
    if (sc.function != info.name) continue;
    std::string next = !sc.enabled ? "disabled"
                       : !sc.next  ? "never fires again"
                                   : "next " + *sc.next;
    fmt::print("  {:<16} schedule {}  {}\n", "", sc.expression, s.dim(next));
  }
}

}  // namespace

int run_info(const GlobalOptions& g) {
  auto service = load_service(g);
  auto target = target_of(g, service);
  // Asked before anything is printed: a failing call (a wrong token) is then the only output.
  auto info = target->info(service);
  const targets::EmulatorState* emulator = info.emulator ? &*info.emulator : nullptr;
  std::string sandbox = emulator ? emulator->sandbox : "";
  // The service's own host on the emulator's gateway: only its routes answer there.
  std::string base_url;
  if (emulator && !emulator->gateway_url.empty())
    base_url = fmt::format("http://{}-{}.localhost{}/", service.name, service.stage,
                           emulator->gateway_url.substr(emulator->gateway_url.rfind(':')));
  // On AWS: the invoke URL of its HTTP API, else of its REST API (with the stage).
  for (const auto& api : info.apis)
    if (base_url.empty()) base_url = api.url;
  auto s = style_for(g, 1);
  if (!g.json) {
    fmt::print("service  {}\nstage    {}\nregion   {}\nendpoint {}\n{}\nfunctions\n",
               s.bold(service.name), service.stage, info.region, info.endpoint,
               sandbox.empty() ? "" : fmt::format("sandbox  {}\n", sandbox));
    if (!base_url.empty()) fmt::print("base URL {}\n", base_url);
    for (const auto& f : info.functions) print_function(s, f, emulator);
    // Function URLs are on their function's lines; the gateway's routes are a table.
    bool header = false;
    for (const auto& r : info.routes) {
      if (r.function_url) continue;
      if (!header) fmt::print("\nroutes\n");
      header = true;
      fmt::print("  {}  {}\n", r.route, s.dim("→ " + r.function));
    }
    if (!info.api_keys.empty()) fmt::print("\n");
    print_api_keys(g, s, info.api_keys);
    if (!info.tables.empty()) fmt::print("\ntables\n");
    for (const auto& t : info.tables) {
      if (!t.exists) {
        fmt::print("  {:<32} {}\n", t.name, s.yellow("not deployed"));
        continue;
      }
      fmt::print("  {:<32} {} item{}  {}\n", t.name, t.item_count, t.item_count == 1 ? "" : "s",
                 s.dim(t.status));
      if (!t.stream_arn.empty())
        fmt::print("  {:<32} stream {}  {}\n", "", t.stream_arn, s.dim(t.stream_view_type));
    }
    return 0;
  }
  json functions = json::array(), routes = json::array();
  for (const auto& f : info.functions) functions.push_back(function_json(f));
  for (const auto& r : info.routes)
    routes.push_back({{"function", r.function}, {"route", r.route}});
  json out = {{"service", service.name},   {"stage", service.stage}, {"region", info.region},
              {"endpoint", info.endpoint}, {"functions", functions}, {"routes", routes}};
  if (!base_url.empty()) out["base_url"] = base_url;
  if (!info.api_keys.empty()) out["api_keys"] = api_keys_json(g, info.api_keys);
  for (const auto& api : info.apis)
    out[api.kind == "HTTP API" ? "http_api_url" : "rest_api_url"] = api.url;
  // The tables of `resources`, as the target has them.
  {
    json tables = json::array();
    for (const auto& t : info.tables)
      tables.push_back({{"name", t.name},
                        {"logical_id", t.logical_id},
                        {"deployed", t.exists},
                        {"status", t.exists ? json(t.status) : json(nullptr)},
                        {"item_count", t.exists ? json(t.item_count) : json(nullptr)},
                        {"stream_arn", t.stream_arn.empty() ? json(nullptr) : json(t.stream_arn)},
                        {"stream_view_type",
                         t.stream_view_type.empty() ? json(nullptr) : json(t.stream_view_type)}});
    out["tables"] = std::move(tables);
  }
  if (emulator) {
    json schedules = json::array();
    for (const auto& sc : emulator->schedules) schedules.push_back(json::parse(sc.raw_json));
    out["sandbox"] = sandbox.empty() ? json(nullptr) : json(sandbox);
    out["schedules"] = std::move(schedules);
    out["gateway_url"] = emulator->gateway_url;
  }
  fmt::print("{}\n", out.dump());
  return 0;
}

int run_remove(const GlobalOptions& g) {
  auto service = load_service(g);
  auto target = target_of(g, service);
  auto removed = target->remove(service);
  for (const auto& w : removed.warnings) warn(g, w);
  const auto& more = removed.resources;
  if (g.json) {
    json out = {{"removed", removed.functions}, {"tables", removed.tables}};
    if (!removed.apis.empty()) out["apis"] = removed.apis;
    if (more) {
      json mappings = json::array();
      for (const auto& m : more->queue_mappings)
        mappings.push_back({{"uuid", m.uuid}, {"queue_arn", m.event_source_arn}});
      out["layers"] = more->layers;
      out["schedules"] = more->schedules;
      out["queues"] = more->queues;
      out["queue_mappings"] = std::move(mappings);
      json streams = json::array();
      for (const auto& m : more->stream_mappings)
        streams.push_back({{"uuid", m.uuid}, {"stream_arn", m.event_source_arn}});
      out["stream_mappings"] = std::move(streams);
      out["role"] = more->role.empty() ? json(nullptr) : json(more->role);
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  if (g.quiet) return 0;
  bool nothing = removed.functions.empty() && removed.tables.empty() && removed.apis.empty();
  if (more)
    nothing = nothing && more->layers.empty() && more->schedules.empty() &&
              more->queue_mappings.empty() && more->queues.empty() && more->role.empty() &&
              more->stream_mappings.empty();
  if (nothing)
    fmt::print("nothing of {} was deployed to {}\n", service.name, target->endpoint().url);
  if (more) {
    for (const auto& a : removed.apis) fmt::print("removed {}\n", a);
    for (const auto& r : more->schedules) fmt::print("removed schedule rule {}\n", r);
    for (const auto& m : more->queue_mappings)
      fmt::print("removed the mapping of queue {}\n", m.event_source_arn);
    for (const auto& m : more->stream_mappings)
      fmt::print("removed the mapping of stream {}\n", m.event_source_arn);
  }
  for (const auto& f : removed.functions) fmt::print("removed {}\n", f);
  for (const auto& t : removed.tables) fmt::print("removed table {}\n", t);
  if (more) {
    for (const auto& l : more->layers) fmt::print("removed layer {}\n", l);
    for (const auto& q : more->queues) fmt::print("removed queue {}\n", q);
    if (!more->role.empty()) fmt::print("removed role {}\n", more->role);
  }
  return 0;
}

}  // namespace fx::cli
