#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/emulator/emulator.h"
#include "core/lambda/fx_api.h"
#include "core/util/error.h"

namespace fx::cli {

using json = nlohmann::json;

int run_emulator_command(const GlobalOptions& g, const EmulatorCommandOptions& o) {
  auto home = emulator::fx_home();
  auto s = style_for(g, 1);
  if (o.action == "start") {
    emulator::EmulatorOptions eo;
    eo.home = home;
    eo.address = o.listen;
    if (o.port >= 0) eo.port = static_cast<std::uint16_t>(o.port);
    eo.gateway_port = o.gateway_port;
    eo.token = o.token;
    if (!g.region.empty()) eo.region = g.region;
    if (o.foreground) {
      eo.ready_fd = o.ready_fd;
      try {
        emulator::run_emulator(eo);
      } catch (const Error& e) {
        // The parent `fx` waiting on the ready pipe prints it; in a terminal, main does.
        if (o.ready_fd >= 0) {
          std::string line = fmt::format("error {}\t{}\n", e.what(), e.hint());
          [[maybe_unused]] auto n = ::write(o.ready_fd, line.data(), line.size());
        }
        throw;
      }
      return 0;
    }
    auto info = emulator::start_emulator_daemon(eo);
    if (g.json)
      fmt::print("{}\n", json{{"running", true},
                              {"pid", info.pid},
                              {"url", info.url},
                              {"gateway_url", info.gateway_url}}
                             .dump());
    else if (!g.quiet)
      fmt::print("fx emulator running at {} (pid {}), HTTP gateway at {}; logs in {}\n",
                 s.bold(info.url), info.pid, s.bold(info.gateway_url),
                 (home / "emulator.log").string());
    return 0;
  }
  if (o.action == "stop") {
    auto info = emulator::running_emulator(home);
    bool stopped = emulator::stop_emulator(home);
    if (g.json)
      fmt::print("{}\n", json{{"stopped", stopped}, {"pid", info ? info->pid : 0}}.dump());
    else if (!g.quiet)
      fmt::print("{}\n", stopped
                             ? fmt::format("stopped the emulator (pid {})", info ? info->pid : 0)
                             : std::string("no emulator was running"));
    return 0;
  }
  auto info = emulator::running_emulator(home);
  // What the emulator says of itself: instances and the totals since it started.
  json live = json::object();
  if (info) {
    try {
      lambda::Endpoint endpoint;
      endpoint.url = info->url;
      if (const char* token = std::getenv("FX_TOKEN")) endpoint.token = token;
      live = json::parse(lambda::FxApi(endpoint).status().raw_json);
    } catch (const std::exception&) {
      // Starting or stopping: the file says where it is, the rest is unknown.
    }
  }
  if (g.json) {
    json j = {{"running", info.has_value()},
              {"pid", info ? json(info->pid) : json(nullptr)},
              {"url", info ? json(info->url) : json(nullptr)},
              {"gateway_url", info ? json(info->gateway_url) : json(nullptr)},
              {"home", home.string()}};
    for (const char* key : {"instances", "busy", "idle", "totals", "async_pending"})
      if (live.contains(key)) j[key] = live[key];
    fmt::print("{}\n", j.dump());
  } else {
    if (info)
      fmt::print("running at {} (pid {}), HTTP gateway at {}, FX_HOME {}\n", info->url, info->pid,
                 info->gateway_url, home.string());
    else
      fmt::print("not running (FX_HOME {})\n", home.string());
    if (live.contains("totals")) {
      const auto& t = live["totals"];
      fmt::print(
          "{} instances ({} busy, {} idle); since start: {} invocations, {} cold starts, "
          "{} errors, {} timeouts, {} throttles\n",
          live.value("instances", 0), live.value("busy", 0), live.value("idle", 0),
          t.value("invocations", 0), t.value("cold_starts", 0), t.value("errors", 0),
          t.value("timeouts", 0), t.value("throttles", 0));
    }
  }
  return info ? 0 : 1;
}

}  // namespace fx::cli
