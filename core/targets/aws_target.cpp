#include "core/targets/aws_target.h"

#include <chrono>
#include <deque>
#include <thread>

#include <fmt/format.h>

#include "core/aws/logs.h"
#include "core/util/error.h"

namespace fx::targets {

Deployment AwsTarget::deploy(const manifest::Service& service,
                             const actions::DeployOptions& options) {
  auto deployed = aws::deploy_to_aws(service, endpoint_, options);
  Deployment out;
  out.role = std::move(deployed.role);
  out.queues = std::move(deployed.queues);
  out.tables = std::move(deployed.tables);
  out.layers = std::move(deployed.layers);
  out.functions = std::move(deployed.functions);
  // Routes are API Gateway's now; a function URL is a function's own `url:`.
  out.function_urls = false;
  out.warnings = std::move(deployed.warnings);
  out.apis = std::move(deployed.apis);
  return out;
}

ServiceInfo aws_info(const lambda::Endpoint& endpoint,
                     const std::vector<aws::AwsFunctionInfo>& described) {
  ServiceInfo out;
  out.region = endpoint.region;
  out.endpoint = endpoint.url;
  for (const auto& d : described) {
    FunctionInfo info{d.function, d.name, d.config, {}, {}};
    if (d.config) {
      info.cloud = CloudResources{d.url, d.schedules, d.queues};
      if (d.url) out.routes.push_back({d.function, d.url->url, true});
    }
    out.functions.push_back(std::move(info));
  }
  return out;
}

ServiceInfo AwsTarget::info(const manifest::Service& service) {
  auto out = aws_info(endpoint_, aws::describe_on_aws(service, endpoint_));
  std::map<std::string, std::vector<std::string>> routes;
  out.apis = aws::describe_apis_on_aws(service, endpoint_, routes);
  for (const auto& [key, lines] : routes)
    for (const auto& line : lines) out.routes.push_back({key, line, false});
  out.tables = aws::describe_tables_on_aws(service, endpoint_);
  return out;
}

Removal AwsTarget::remove(const manifest::Service& service) {
  auto removed = aws::remove_from_aws(service, endpoint_);
  Removal out;
  out.functions = std::move(removed.functions);
  out.resources = RemovedResources{
      std::move(removed.layers), std::move(removed.schedules), std::move(removed.queue_mappings),
      std::move(removed.queues), std::move(removed.role),      std::move(removed.stream_mappings)};
  out.tables = std::move(removed.tables);
  out.warnings = std::move(removed.warnings);
  out.apis = std::move(removed.apis);
  return out;
}

void AwsTarget::logs(const LogQuery& query, const LogVisitor& each,
                     const std::function<void()>& batch_done) {
  fx::aws::CloudWatchLogs cloudwatch(*endpoint_.aws);
  std::string group = fx::aws::lambda_log_group(query.function);
  fx::aws::LogGroupTail tail(cloudwatch, {group, query.since_ms, query.filter});
  auto event_of = [&](const fx::aws::CloudWatchEvent& e) {
    lambda::LogEvent l;
    l.time_ms = e.time_ms;
    l.function = query.function;
    l.request_id = e.request_id;
    l.message = e.message;
    l.architecture = query.architecture;
    return l;
  };
  auto read_or_throw = [&](const fx::aws::CloudWatchVisitor& visit) {
    if (!tail.read(visit))
      throw Error(fmt::format("no CloudWatch logs for {} in {}: the log group {} does not exist",
                              query.function, cloudwatch.region(), group),
                  "the function has not run yet, or is not deployed there: `fx deploy --target "
                  "aws`, invoke it, then try again (or check --region)");
  };
  std::deque<lambda::LogEvent> last;  // --tail N: CloudWatch reads forwards only
  read_or_throw([&](const fx::aws::CloudWatchEvent& e) {
    if (query.tail <= 0) return each(event_of(e));
    last.push_back(event_of(e));
    if (static_cast<std::int64_t>(last.size()) > query.tail) last.pop_front();
  });
  for (const auto& l : last) each(l);
  batch_done();
  if (!query.follow) return;
  while (true) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    read_or_throw([&](const fx::aws::CloudWatchEvent& e) { each(event_of(e)); });
    batch_done();
  }
}

std::string AwsTarget::cost(const CostQuery& query) {
  if (query.request.functions.empty())
    throw usage_error("fx cost --target aws needs a function, or a service folder",
                      "run it where serverless.yaml is, or name the deployed function");
  return cost_report_from_cloudwatch(query.request, query.prices, *endpoint_.aws,
                                     query.architectures);
}

std::string cost_report_from_cloudwatch(const usage::CostRequest& request,
                                        const usage::PriceTable& prices,
                                        const fx::aws::AwsSettings& aws,
                                        const std::map<std::string, std::string>& architectures) {
  fx::aws::CloudWatchLogs logs(aws);
  std::vector<std::string> notes;
  std::vector<std::string> without_log_group;
  // cost_report reads the notes after the records, so the ones learnt while reading count.
  auto report = usage::cost_report(
      request, prices,
      [&](const usage::ReportVisitor& visit) {
        for (const auto& function : request.functions) {
          auto arch = architectures.find(function);
          fx::aws::LogEventsQuery q{fx::aws::lambda_log_group(function), request.since_ms,
                                    "REPORT RequestId: "};
          bool found = logs.filter_log_events(q, [&](const fx::aws::CloudWatchEvent& e) {
            auto record = usage::parse_report_line(e.message);
            if (!record) return;
            record->function = function;
            record->start_ms = e.time_ms;
            if (arch != architectures.end()) record->architecture = arch->second;
            visit(*record);
          });
          if (!found) without_log_group.push_back(function);
        }
        if (!without_log_group.empty())
          notes.push_back(fmt::format(
              "no CloudWatch log group in {} for {}: not invoked yet, or not deployed there",
              logs.region(), fmt::join(without_log_group, ", ")));
        notes.push_back(
            "read from CloudWatch REPORT lines, which carry no CPU time: the Cloudflare figures "
            "count requests only, and a function's own errors are not counted (timeouts and "
            "out-of-memory are)");
      },
      notes);
  return report;
}

}  // namespace fx::targets
