#include "core/targets/emulator_target.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/emulator.h"
#include "core/emulator/sdk_packages.h"
#include "core/util/error.h"

namespace fx::targets {

using nlohmann::json;

Deployment EmulatorTarget::deploy(const manifest::Service& service,
                                  const actions::DeployOptions& given) {
  actions::DeployOptions options = given;
  // This machine's emulator reads the SDK from this FX_HOME: what a function imports of it
  // beyond fx's list is installed there before the function runs. (A shared emulator's
  // machine installs only fx's list.)
  if (local_)
    options.provide_runtime_packages = [](const std::vector<actions::RuntimePackage>& needed) {
      std::vector<emulator::SdkPackageNeed> needs;
      for (const auto& n : needed) needs.push_back({n.package, n.function, n.runtime});
      emulator::install_sdk_packages(emulator::fx_home() / "sdk", needs);
    };
  auto deployed = actions::deploy_to_emulator(service, endpoint_, options);
  Deployment out;
  // Packaging's warnings about layers come before the service's.
  for (const auto& l : deployed.layers)
    out.warnings.insert(out.warnings.end(), l.warnings.begin(), l.warnings.end());
  out.warnings.insert(out.warnings.end(), deployed.warnings.begin(), deployed.warnings.end());
  out.layers = std::move(deployed.layers);
  out.functions = std::move(deployed.functions);
  out.api_key = std::move(deployed.api_key);
  out.api_keys = std::move(deployed.api_keys);
  return out;
}

ServiceInfo emulator_info(
    const manifest::Service& service, const lambda::Endpoint& endpoint,
    std::string_view status_json,
    const std::vector<std::optional<lambda::FunctionConfiguration>>& configs) {
  ServiceInfo out;
  out.region = endpoint.region;
  out.endpoint = endpoint.url;
  EmulatorState state;
  std::map<std::string, InstanceCounts> instances;
  if (!status_json.empty()) {
    json status = json::parse(status_json);
    state.gateway_url = status.value("gateway_url", "");
    state.sandbox = status.value("sandbox", "");
    for (const auto& f : status.value("functions", json::array()))
      instances[f.value("name", "")] = {f.value("busy", 0),        f.value("idle", 0),
                                        f.value("invocations", 0), f.value("cold_starts", 0),
                                        f.value("errors", 0),      f.value("timeouts", 0),
                                        f.value("throttles", 0)};
    for (const auto& sc : status.value("schedules", json::array())) {
      if (sc.value("service", "") != service.name + "-" + service.stage) continue;
      ScheduleState s;
      s.function = sc.value("function", "");
      s.expression = sc.value("expression", "");
      s.enabled = sc.value("enabled", true);
      if (sc.contains("next") && sc["next"].is_string()) s.next = sc["next"].get<std::string>();
      s.raw_json = sc.dump();
      state.schedules.push_back(std::move(s));
    }
  }
  for (std::size_t at = 0; at < service.functions.size(); ++at) {
    const auto& f = service.functions[at];
    FunctionInfo info{f.key, f.name, at < configs.size() ? configs[at] : std::nullopt, {}, {}};
    if (info.config)
      if (auto it = instances.find(f.name); it != instances.end()) info.instances = it->second;
    out.functions.push_back(std::move(info));
  }
  if (!state.gateway_url.empty())
    for (auto& [fn, line] : actions::route_urls(service, state.gateway_url))
      out.routes.push_back({std::move(fn), std::move(line), false});
  out.emulator = std::move(state);
  return out;
}

ServiceInfo EmulatorTarget::info(const manifest::Service& service) {
  lambda::LambdaClient client(endpoint_);
  std::string status;
  if (local_) status = lambda::FxApi(endpoint_).status().raw_json;
  std::vector<std::optional<lambda::FunctionConfiguration>> configs;
  for (const auto& f : service.functions) configs.push_back(client.get_function(f.name));
  auto out = emulator_info(service, endpoint_, status, configs);
  out.tables = aws::describe_tables_on_emulator(service, endpoint_);
  if (!service.api_keys.empty()) {
    try {
      out.api_keys = actions::api_keys_of(
          lambda::FxApi(endpoint_).get_service(service.name + "-" + service.stage));
    } catch (const lambda::ApiError& e) {
      if (e.status() != 404) throw;  // not deployed: no keys yet
    }
  }
  // Each function's own URL, after the gateway's routes.
  for (std::size_t at = 0; at < service.functions.size(); ++at)
    if (configs[at])
      if (auto url = client.get_function_url_config(service.functions[at].name))
        out.routes.push_back(
            {service.functions[at].key,
             fmt::format("URL    {}{}", url->url,
                         url->auth_type == "NONE" ? "" : "  (" + url->auth_type + ")"),
             false});
  return out;
}

Removal EmulatorTarget::remove(const manifest::Service& service) {
  lambda::LambdaClient client(endpoint_);
  Removal out;
  // Also those deleted from the manifest since they were deployed.
  for (const auto& stale : actions::stale_functions(service, client)) {
    client.delete_function(stale.name);
    out.functions.push_back(stale.name);
  }
  for (const auto& f : service.functions) {
    if (!client.get_function(f.name)) continue;
    client.delete_function(f.name);
    out.functions.push_back(f.name);
  }
  // Its routes, schedules, queues, tables and asynchronous settings, in one call; what became
  // of each table is read around it (the emulator keeps those of DeletionPolicy Retain and
  // those it did not create for the service).
  const bool tables = !service.tables.empty();
  const auto before = tables ? aws::describe_tables_on_emulator(service, endpoint_)
                             : std::vector<aws::AwsTableInfo>{};
  lambda::FxApi(endpoint_).delete_service(service.name + "-" + service.stage);
  const auto after = tables ? aws::describe_tables_on_emulator(service, endpoint_)
                            : std::vector<aws::AwsTableInfo>{};
  for (std::size_t i = 0; i < before.size() && i < after.size(); ++i) {
    if (!before[i].exists) continue;
    if (!after[i].exists)
      out.tables.push_back(before[i].name);
    else if (service.tables[i].retain)
      out.warnings.push_back(fmt::format(
          "kept table {}: its DeletionPolicy keeps it (as CloudFormation would)", before[i].name));
    else
      out.warnings.push_back(fmt::format("kept table {}: fx did not create it", before[i].name));
  }
  return out;
}

void EmulatorTarget::logs(const LogQuery& query, const LogVisitor& each,
                          const std::function<void()>& batch_done) {
  lambda::LogRequest q;
  q.function = query.function;
  q.since_ms = query.since_ms;
  q.filter = query.filter;
  q.tail = query.tail;
  q.usage = true;
  // Print what is stored (page by page), then, with follow, wait for each new line.
  lambda::FxApi api(endpoint_);
  lambda::LogPage page;
  try {
    page = api.logs(q);
  } catch (const lambda::ApiError& e) {
    // Deployed functions, and deleted ones that left lines, have logs: this is neither.
    if (e.status() != 404) throw;
    throw Error(fmt::format("function '{}' is not deployed to {} and has no logs there",
                            query.function, endpoint_.url),
                query.known.empty() ? "check the name (`fx info` lists what is deployed)"
                                    : fmt::format("pass a function of the manifest ({}), and "
                                                  "deploy it with `fx deploy`",
                                                  query.known));
  }
  for (const auto& l : page.lines) each(l);
  q.tail = 0;
  while (!query.follow && page.lines.size() >= 10'000) {
    q.after_id = page.lines.back().id;
    page = api.logs(q);
    for (const auto& l : page.lines) each(l);
  }
  batch_done();
  if (!query.follow) return;
  q.after_id = page.last_id;
  q.wait_s = 25;
  while (true) {
    page = api.logs(q);
    for (const auto& l : page.lines) each(l);
    batch_done();
    if (!page.lines.empty()) q.after_id = page.lines.back().id;
  }
}

std::string EmulatorTarget::cost(const CostQuery& query) {
  // The emulator computes the report next to its store.
  return lambda::FxApi(endpoint_).cost(
      usage::cost_request_json(query.request, query.pricing_document));
}

}  // namespace fx::targets
