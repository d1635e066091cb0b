// `fx deploy`, `fx info` and `fx remove` with --target aws: the steps of core/targets/aws/ in
// order. Functions are independent, so a few are deployed at once; each worker has its own
// client (one connection each).
#include <atomic>
#include <exception>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/bundle/bundle.h"
#include "core/targets/aws/api_gateway.h"
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

// Lambda takes a zip of at most 50 MB in the request itself; larger ones go through S3.
constexpr std::uint64_t kDirectUploadLimit = 50ull * 1024 * 1024;
// Lambda's control plane allows about 15 calls a second per account; four functions at once
// stay well under it (throttling is retried by AwsService anyway).
constexpr std::size_t kParallelFunctions = 4;

const fx::aws::AwsSettings& aws_settings(const lambda::Endpoint& endpoint) {
  if (!endpoint.aws) throw Error("internal: an AWS deploy without AWS settings");
  return *endpoint.aws;
}

// Runs work(i) for i in [0, n) on a few threads; rethrows the first failure (by index) once
// all have finished, so a failure never leaves a call half-sent behind.
template <class Work>
void for_each_parallel(std::size_t n, std::size_t width, Work work,
                       std::vector<std::exception_ptr>& errors) {
  errors.assign(n, nullptr);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < n;) {
      try {
        work(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < std::min(width, n); ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

// What the manifest asks for that this version of fx does not create on AWS, said once per
// kind and function rather than dropped.
std::vector<std::string> not_deployed_warnings(const std::vector<const manifest::Function*>& fs) {
  std::vector<std::string> out;
  bool private_route = false;
  for (const auto* f : fs) {
    std::set<std::string> types, settings;
    for (const auto& e : f->events) {
      const std::string type(manifest::event_type(e));
      if (const auto* http = std::get_if<manifest::HttpEvent>(&e)) {
        // The route is deployed (api_gateway.h); a REST route's own CORS (an OPTIONS method
        // answered by API Gateway) is not.
        if (http->api == manifest::HttpApi::rest && http->cors) settings.insert("cors of http");
        private_route |= http->is_private;
      } else if (!std::holds_alternative<manifest::OtherEvent>(e)) {
        // The event itself is deployed; these settings of it are not.
        auto config = nlohmann::json::parse(manifest::event_config_json(e), nullptr, false);
        if (!config.is_object()) continue;
        for (const char* key : {"name", "method", "timezone"})
          if (config.contains(key)) settings.insert(fmt::format("{} of {}", key, type));
      } else {
        types.insert(type);
      }
    }
    for (const auto& t : types)
      out.push_back(
          fmt::format("not deployed to AWS by this version of fx: {} events of {}", t, f->key));
    for (const auto& s : settings)
      out.push_back(
          fmt::format("not deployed to AWS by this version of fx: {} events of {}", s, f->key));
    // A function with provisionedConcurrency: its mappings and rules (functions.cpp) and its
    // API Gateway integrations and URL (api_gateway.cpp) all run its alias `provisioned`, as
    // the framework wires them.
    if (f->log_retention_days)
      out.push_back(fmt::format(
          "not deployed to AWS by this version of fx: logRetentionInDays of {} (the local "
          "emulator honours it)",
          f->key));
  }
  if (private_route)
    out.push_back(
        "not deployed to AWS by this version of fx: API keys and usage plans "
        "(provider.apiGateway): private http routes require an API key that fx does not create "
        "there; make one with `aws apigateway create-api-key` and a usage plan for the stage");
  return out;
}

}  // namespace

AwsDeploy deploy_to_aws(const manifest::Service& service, const lambda::Endpoint& endpoint,
                        actions::DeployOptions options) {
  const auto& settings = aws_settings(endpoint);
  AwsDeploy out;
  auto selected = actions::select_functions(service, options.functions);
  auto packaged = bundle::package_functions(service, selected);
  out.warnings = packaged.warnings;
  for (std::size_t i = 0; i < selected.size(); ++i)
    if (packaged.artifacts[i].zip_bytes > kDirectUploadLimit)
      throw Error(fmt::format("function '{}': its bundle is {:.1f} MB; Lambda takes at most 50 MB "
                              "uploaded directly",
                              selected[i]->key, packaged.artifacts[i].zip_bytes / 1048576.0),
                  fmt::format("shrink it (`fx package --explain {}` says why each file is in); "
                              "this version of fx does not upload through S3",
                              selected[i]->key));
  // An authorizer fx cannot deploy stops the deploy before anything changes.
  api_routes(service, manifest::HttpApi::rest);
  api_routes(service, manifest::HttpApi::http);
  auto more = not_deployed_warnings(selected);
  out.warnings.insert(out.warnings.end(), more.begin(), more.end());

  auto queue_arns = resolve_queue_arns(service, selected, settings);
  out.role = ensure_role(service, settings);
  const auto resource_arns = sync_resource_queues(service, settings, out);
  for (const auto* f : selected)
    for (const auto* e : manifest::events_of<manifest::SqsEvent>(f->events))
      if (!queue_arns.contains(e->queue))
        queue_arns[e->queue] = resource_arns.at(resource_queue_name(service, e->queue));
  // Tables before the functions: a stream mapping needs its table's stream.
  std::map<std::string, std::string> stream_arns;
  std::vector<std::string> table_arns;
  for (const auto& [name, table] : sync_resource_tables(service, settings, out)) {
    stream_arns["table:" + name] = table.stream_arn;
    table_arns.push_back(table.arn);
  }
  if (out.role.status != "manifest") sync_table_policy(settings, out.role, table_arns);
  auto async = async_configs(service, out.role.arn, settings.region);
  // The destinations of stream mappings are sent to by the role too: the same policy allows
  // them (as stand-in entries, which no function is deployed with).
  auto destinations = async;
  for (const auto* f : selected)
    for (const auto* e : manifest::events_of<manifest::StreamEvent>(f->events)) {
      if (!e->table.empty() && stream_arns["table:" + e->table].empty())
        throw Error(fmt::format("{}: function '{}': table {} has no stream on AWS", e->mark.str(),
                                f->key, e->table),
                    "fx did not create that table and uses it as it is: enable its stream "
                    "(`aws dynamodb update-table --stream-specification ...`), or delete it so "
                    "that fx makes it");
      if (e->on_failure.empty()) continue;
      std::string arn = e->on_failure;
      if (!arn.starts_with("arn:")) {
        auto found = resource_arns.find(resource_queue_name(service, arn));
        if (found == resource_arns.end())
          throw Error(fmt::format("{}: function '{}': destinations.onFailure names {}, which is "
                                  "no queue of resources",
                                  e->mark.str(), f->key, arn),
                      "declare it as an AWS::SQS::Queue under resources.Resources, or give an "
                      "SQS queue's or SNS topic's ARN");
        arn = found->second;
        stream_arns["queue:" + e->on_failure] = arn;
      }
      lambda::EventInvokeConfig stand_in;
      stand_in.on_failure = arn;
      destinations[fmt::format("{} stream {}", f->key, destinations.size())] = stand_in;
    }
  if (out.role.status != "manifest") sync_destination_policy(settings, out.role, destinations);
  {
    lambda::LambdaClient client(endpoint);
    out.layers = actions::deploy_layers(service, client);
  }
  for (const auto& l : out.layers) options.layer_arns[l.layer] = l.version_arn;

  std::vector<lambda::FunctionConfiguration> desired;
  for (const auto* f : selected) {
    desired.push_back(actions::desired_configuration(service, *f, options.layer_arns));
    desired.back().role = out.role.arn;
    if (f->url) desired.back().tags[kUrlTag] = "true";
    if (async.contains(f->key)) desired.back().tags[kAsyncTag] = "true";
    if (has_events(*f, "schedule")) desired.back().tags[kSchedulesTag] = "true";
    if (has_events(*f, "sqs")) desired.back().tags[kQueuesTag] = "true";
    if (manifest::has_events<manifest::StreamEvent>(f->events))
      desired.back().tags[kStreamsTag] = "true";
  }
  out.functions.resize(selected.size());
  std::vector<std::exception_ptr> errors;
  for_each_parallel(
      selected.size(), kParallelFunctions,
      [&](std::size_t i) {
        // One client per call keeps workers apart; its connection is reused for the calls of
        // this function, which are most of them.
        lambda::LambdaClient client(endpoint);
        out.functions[i] =
            deploy_function(client, *selected[i], packaged.artifacts[i], desired[i],
                            {service, settings, queue_arns, stream_arns, async, options.force});
      },
      errors);
  std::size_t failed = 0;
  std::exception_ptr first;
  std::string first_key;
  for (std::size_t i = 0; i < errors.size(); ++i)
    if (errors[i]) {
      if (!first) first = errors[i], first_key = selected[i]->key;
      ++failed;
    }
  if (!first) {
    // The service's routes, once their functions exist: API Gateway's statements go on their
    // policies. Also on a deploy of some functions (-f): the APIs are the whole service's.
    sync_api_gateway(service, endpoint, out);
    // Only once the rest is deployed, and only on a deploy of the whole service (-f deploys
    // some functions and leaves the others as they are).
    if (options.functions.empty()) {
      lambda::LambdaClient client(endpoint);
      fx::aws::EventBridgeClient events(settings);
      for (const auto& stale : actions::stale_functions(service, client)) {
        AwsRemoval removed;
        remove_function(client, events, service, stale_entry(stale), removed);
        actions::DeployResult r;
        r.function = stale.function;
        r.name = stale.name;
        r.status = "removed";
        out.functions.push_back(std::move(r));
      }
      // After the functions, whose stream mappings on them are gone by now. --json prints the
      // functions only: the warnings name what was deleted there.
      auto dropped = remove_dropped_tables(service, settings, "deploy");
      for (const auto& name : dropped.deleted) {
        out.tables.push_back({name, "deleted", "", ""});
        out.warnings.push_back(fmt::format(
            "deleted table {}: fx made it for the service and the manifest no longer has it (as "
            "CloudFormation deletes a resource that leaves the template)",
            name));
      }
      for (const auto& name : dropped.kept) out.tables.push_back({name, "kept", "", ""});
      out.warnings.insert(out.warnings.end(), dropped.warnings.begin(), dropped.warnings.end());
    }
    return out;
  }
  std::string others =
      failed > 1 ? fmt::format(" (and {} more functions failed)", failed - 1) : std::string();
  try {
    std::rethrow_exception(first);
  } catch (const Error& e) {
    std::string what = e.what();
    // Errors from the API do not know which function they were about.
    if (what.find('\'' + first_key + '\'') == std::string::npos)
      what = fmt::format("deploying function '{}': {}", first_key, what);
    throw Error(what + others, e.hint());
  } catch (const std::exception& e) {
    throw Error(fmt::format("deploying function '{}': {}{}", first_key, e.what(), others));
  }
}

std::vector<AwsFunctionInfo> describe_on_aws(const manifest::Service& service,
                                             const lambda::Endpoint& endpoint) {
  const auto& settings = aws_settings(endpoint);
  lambda::LambdaClient client(endpoint);
  fx::aws::EventBridgeClient events(settings);
  std::vector<AwsFunctionInfo> out;
  for (const auto& f : service.functions) {
    AwsFunctionInfo info{f.key, f.name, client.get_function(f.name), std::nullopt, {}, {}};
    if (info.config) {
      // A provisioned function's URL is on its alias (function_url.cpp).
      info.url = client.get_function_url_config(
          f.name, f.provisioned_concurrency.value_or(0) > 0 ? "provisioned" : "");
      for (auto& [name, rule] : rules_of(events, service, f))
        info.schedules.push_back(std::move(rule));
      for (auto& m : client.list_event_source_mappings(f.name))
        if (is_sqs_arn(m.event_source_arn)) info.queues.push_back(std::move(m));
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<AwsApi> describe_apis_on_aws(const manifest::Service& service,
                                         const lambda::Endpoint& endpoint,
                                         std::map<std::string, std::vector<std::string>>& routes) {
  return describe_apis(service, aws_settings(endpoint), routes);
}

std::vector<AwsTableInfo> describe_tables_on_aws(const manifest::Service& service,
                                                 const lambda::Endpoint& endpoint) {
  return describe_tables(service, aws_settings(endpoint));
}

AwsRemoval remove_from_aws(const manifest::Service& service, const lambda::Endpoint& endpoint) {
  const auto& settings = aws_settings(endpoint);
  AwsRemoval out;
  lambda::LambdaClient client(endpoint);
  fx::aws::EventBridgeClient events(settings);
  // The APIs first: none is left routing to a function that is gone.
  out.apis = remove_apis(service, settings);
  // Also those deleted from the manifest since they were deployed.
  for (const auto& stale : actions::stale_functions(service, client))
    remove_function(client, events, service, stale_entry(stale), out);
  for (const auto& f : service.functions) remove_function(client, events, service, f, out);
  // After the mappings that read them.
  remove_resource_queues(service, settings, out);
  remove_resource_tables(service, settings, out);
  auto dropped = remove_dropped_tables(service, settings, "remove");
  out.tables.insert(out.tables.end(), dropped.deleted.begin(), dropped.deleted.end());
  out.warnings.insert(out.warnings.end(), dropped.warnings.begin(), dropped.warnings.end());
  for (const auto& layer : service.layers)
    for (long v : client.layer_versions(layer.name)) {
      client.delete_layer_version(layer.name, v);
      out.layers.push_back(fmt::format("{}:{}", layer.name, v));
    }
  remove_default_role(service, settings, out);
  return out;
}

}  // namespace fx::targets::aws
