#include <unistd.h>

#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/actions/target.h"
#include "core/targets/target.h"
#include "core/util/error.h"

namespace fx::cli {

using json = nlohmann::json;

namespace {

std::string read_payload(const InvokeOptions& o) {
  if (o.has_data && !o.file.empty()) throw usage_error("pass --data or --file, not both");
  std::string payload;
  std::string where;
  if (o.has_data) {
    payload = o.data;
    where = "--data";
  } else if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) throw Error(fmt::format("cannot read --file {}", o.file), "check the path");
    payload.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    where = o.file;
  } else if (!::isatty(0)) {
    payload.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    where = "stdin";
  }
  if (payload.find_first_not_of(" \t\r\n") == std::string::npos) return "{}";
  try {
    [[maybe_unused]] auto parsed = json::parse(payload);
  } catch (const json::parse_error& e) {
    // nlohmann says "at line L, column C"; keep that, drop its prefix.
    std::string what = e.what();
    auto at = what.find("at line");
    throw Error(fmt::format("the payload from {} is not JSON: {}", where,
                            at == std::string::npos ? what : what.substr(at)),
                "pass a JSON value, e.g. --data '{\"name\": \"you\"}'");
  }
  return payload;
}

}  // namespace

int run_invoke(const GlobalOptions& g, const InvokeOptions& o) {
  std::string payload = read_payload(o);
  // The manifest maps a key to its deployed name; without one, FN is the deployed name.
  auto service = load_service_if_present(g);
  auto fn = resolve_function(o.function, service ? &*service : nullptr);
  auto target = targets::open_target(
      actions::target_options(g.target, g.region, g.profile, service ? &*service : nullptr));
  targets::InvokeQuery query;
  auto& req = query.request;
  req.function = fn.name;
  req.payload = payload;
  req.type = o.type == "Event"    ? lambda::InvocationType::event
             : o.type == "DryRun" ? lambda::InvocationType::dry_run
                                  : lambda::InvocationType::request_response;
  query.known = fn.known;
  auto invocation = target->invoke(query);
  const auto& res = invocation.result;
  if (req.type != lambda::InvocationType::request_response) {
    if (g.json)
      fmt::print("{}\n", json{{"request_id", res.request_id}, {"status_code", res.status}}.dump());
    else if (!g.quiet)
      fmt::print(stderr, "{} accepted ({}), request id {}\n", o.type, res.status, res.request_id);
    return 0;
  }
  const auto& report = invocation.report;
  if (g.json) {
    json result = json::parse(res.payload, nullptr, false);
    if (result.is_discarded()) result = res.payload;
    json out = {
        {"request_id", res.request_id},
        {"status_code", res.status},
        {"function_error", res.function_error.empty() ? json(nullptr) : json(res.function_error)},
        {"result", result},
        {"log", res.log_tail}};
    out["duration_ms"] = report ? json(report->duration_ms) : json(nullptr);
    out["billed_ms"] = report ? json(report->billed_ms) : json(nullptr);
    out["init_ms"] = report && report->init_ms ? json(*report->init_ms) : json(nullptr);
    out["memory_mb"] = report ? json(report->memory_mb) : json(nullptr);
    out["max_memory_mb"] = report ? json(report->max_memory_mb) : json(nullptr);
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("{}\n", res.payload);
  }
  std::fflush(stdout);
  if (o.log && !g.json) {
    auto s = style_for(g, 2);
    fmt::print(stderr, "{}", s.dim(res.log_tail));
    if (!res.log_tail.empty() && res.log_tail.back() != '\n') fmt::print(stderr, "\n");
  }
  if (!res.function_error.empty()) {
    json err = json::parse(res.payload, nullptr, false);
    std::string what = err.is_object() ? fmt::format("{}: {}", err.value("errorType", "Error"),
                                                     err.value("errorMessage", ""))
                                       : res.function_error;
    auto s = style_for(g, 2);
    fmt::print(stderr, "{} {} failed: {}\n", s.red("fx: error:"), o.function, what);
    fmt::print(stderr, "  see its logs: fx logs {}\n", o.function);
    throw Error(what, "", ErrorKind::function);
  }
  return 0;
}

}  // namespace fx::cli
