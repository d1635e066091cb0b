#include "core/targets/target.h"

#include <fmt/format.h>

#include "core/targets/aws_target.h"
#include "core/targets/emulator_target.h"
#include "core/targets/local_emulator.h"
#include "core/util/error.h"

namespace fx::targets {

std::optional<usage::ReportRecord> report_of(std::string_view log_tail) {
  auto at = log_tail.rfind("REPORT RequestId: ");
  if (at == std::string_view::npos) return std::nullopt;
  return usage::parse_report_line(log_tail.substr(at, log_tail.find('\n', at) - at));
}

Invocation Target::invoke(const InvokeQuery& query) {
  lambda::LambdaClient client(endpoint_);
  Invocation out;
  try {
    out.result = client.invoke(query.request);
  } catch (const lambda::ApiError& e) {
    if (e.status() == 404)
      throw Error(
          fmt::format("function '{}' is not deployed to {}", query.request.function, endpoint_.url),
          query.known.empty()
              ? "deploy it with `fx deploy`"
              : fmt::format("deploy it with `fx deploy` (functions in the manifest: {})",
                            query.known));
    throw;
  }
  out.report = report_of(out.result.log_tail);
  return out;
}

std::unique_ptr<Target> open_target(const actions::TargetOptions& options) {
  auto resolved = actions::resolve_target(options);
  if (resolved.aws) return std::make_unique<AwsTarget>(std::move(resolved.endpoint));
  if (!resolved.local)
    return std::make_unique<EmulatorTarget>(std::move(resolved.endpoint), false, false);
  auto local = find_local_emulator({options.start_local});
  resolved.endpoint.url = local.url;
  if (resolved.endpoint.token.empty()) resolved.endpoint.token = local.token;
  return std::make_unique<EmulatorTarget>(std::move(resolved.endpoint), true, local.started);
}

}  // namespace fx::targets
