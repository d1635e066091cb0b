// `fx emulator start|stop|status`: the emulator daemon of this FX_HOME.
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/emulator/emulator.h"
#include "core/lambda/fx_api.h"
#include "core/util/error.h"

namespace fx::cli {

using json = nlohmann::json;

namespace {

struct ListenAddress {
  std::string address;
  std::optional<int> port;
};

// --listen ADDR or ADDR:PORT (IPv6: ::1, or [::1]:PORT). Checked here so that a typo is a
// usage error naming the flag, not a bind failure in the daemon's log.
ListenAddress parse_listen(const std::string& value) {
  auto bad = [&](std::string_view why) {
    return usage_error(fmt::format("--listen '{}': {}", value, why),
                       "use ADDR or ADDR:PORT, e.g. --listen 0.0.0.0:4599 (IPv6: [::]:4599)");
  };
  ListenAddress out;
  std::string port_text;
  if (value.starts_with('[')) {
    auto close = value.find(']');
    if (close == std::string::npos) throw bad("no ']' after the IPv6 address");
    out.address = value.substr(1, close - 1);
    std::string rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') throw bad("expected ':PORT' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) throw bad("no port after ':'");
    }
  } else if (std::count(value.begin(), value.end(), ':') == 1) {
    out.address = value.substr(0, value.find(':'));
    port_text = value.substr(value.find(':') + 1);
    if (port_text.empty()) throw bad("no port after ':'");
  } else {
    out.address = value;  // no colon, or a bare IPv6 address
  }
  if (out.address.empty()) throw bad("no address");
  if (out.address == "localhost") out.address = "127.0.0.1";
  unsigned char buf[16];
  if (::inet_pton(AF_INET, out.address.c_str(), buf) != 1 &&
      ::inet_pton(AF_INET6, out.address.c_str(), buf) != 1)
    throw bad(fmt::format("'{}' is not an IP address", out.address));
  if (!port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit) ||
        std::stoi(port_text) > 65535)
      throw bad(fmt::format("'{}' is not a port (0 to 65535)", port_text));
    out.port = std::stoi(port_text);
  }
  return out;
}

}  // namespace

int run_emulator_command(const GlobalOptions& g, const EmulatorCommandOptions& o) {
  auto home = emulator::fx_home();
  auto s = style_for(g, 1);
  if (o.action == "start") {
    emulator::EmulatorOptions eo;
    eo.home = home;
    auto listen = parse_listen(o.listen);
    if (listen.port && o.port >= 0 && *listen.port != o.port)
      throw usage_error(
          fmt::format("--listen {} and --port {} name different ports", o.listen, o.port),
          "give the port once: --listen ADDR:PORT, or --listen ADDR --port PORT");
    eo.address = listen.address;
    if (listen.port) eo.port = static_cast<std::uint16_t>(*listen.port);
    if (o.port >= 0) eo.port = static_cast<std::uint16_t>(o.port);
    eo.gateway_port = o.gateway_port;
    eo.token = o.token;
    eo.shared = o.shared;
    if (o.generate_token) {
      if (!o.token.empty())
        throw usage_error("--token and --generate-token both give a token", "pass one of them");
      eo.token = emulator::generate_token();
    }
    if (!eo.token.empty()) {
      bool printable =
          std::all_of(eo.token.begin(), eo.token.end(), [](char c) { return c > ' ' && c < 127; });
      if (eo.token.size() < emulator::kMinTokenLength || !printable)
        throw usage_error(
            fmt::format("--token: a token needs at least {} characters, printable and without "
                        "spaces (this one has {})",
                        emulator::kMinTokenLength, eo.token.size()),
            "pass a longer one, or --generate-token to have fx make one");
    }
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
    if (g.json) {
      json j = {{"running", true},
                {"pid", info.pid},
                {"url", info.url},
                {"gateway_url", info.gateway_url},
                {"alb_url", info.alb_url}};
      if (o.generate_token) j["token"] = eo.token;  // shown once; it is in FX_HOME/token too
      fmt::print("{}\n", j.dump());
    } else if (!g.quiet) {
      fmt::print("fx emulator running at {} (pid {}), HTTP gateway at {}, ALB at {}; logs in {}\n",
                 s.bold(info.url), info.pid, s.bold(info.gateway_url), s.bold(info.alb_url),
                 (home / "emulator.log").string());
    }
    if (o.generate_token && !g.json)
      fmt::print("token (shown once; clients set FX_TOKEN to it): {}\n", eo.token);
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
      const char* token = std::getenv("FX_TOKEN");
      endpoint.token = token && *token ? std::string(token) : emulator::local_token(home);
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
              {"alb_url", info ? json(info->alb_url) : json(nullptr)},
              {"home", home.string()}};
    for (const char* key : {"instances", "busy", "idle", "totals", "async_pending", "sandbox"})
      if (live.contains(key)) j[key] = live[key];
    fmt::print("{}\n", j.dump());
  } else {
    if (info)
      fmt::print("running at {} (pid {}), HTTP gateway at {}, ALB at {}, FX_HOME {}\n", info->url,
                 info->pid, info->gateway_url, info->alb_url, home.string());
    else
      fmt::print("not running (FX_HOME {})\n", home.string());
    if (live.contains("sandbox")) fmt::print("sandbox: {}\n", live["sandbox"].get<std::string>());
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
