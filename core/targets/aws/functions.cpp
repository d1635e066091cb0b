// A function on AWS Lambda: created, or its code and configuration updated only when they
// differ, waiting for Lambda to finish each step; then what hangs off it (reserved
// concurrency, URL, schedules, queue mappings, asynchronous settings). And its removal with
// what AWS does not delete with it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/actions/versions.h"
#include "core/targets/aws/steps.h"
#include "core/util/files.h"

namespace fx::targets::aws {

namespace {

constexpr auto kReadyWait = 5min;

bool busy(const lambda::FunctionConfiguration& c) {
  return c.state == "Pending" || c.last_update_status == "InProgress";
}

// What fx manages of a function's configuration; anything else set by hand is left alone.
bool same_configuration(const lambda::FunctionConfiguration& a,
                        const lambda::FunctionConfiguration& b) {
  return a.runtime == b.runtime && a.handler == b.handler && a.role == b.role &&
         a.description == b.description && a.timeout == b.timeout &&
         a.memory_size == b.memory_size && a.ephemeral_storage_mb == b.ephemeral_storage_mb &&
         a.environment == b.environment && a.layers == b.layers;
}

void wait_until_ready(lambda::LambdaClient& client, const manifest::Function& f) {
  const auto deadline = Clock::now() + kReadyWait;
  auto delay = 250ms;
  while (true) {
    auto s = client.get_function_state(f.name);
    if (s.state == "Failed")
      throw Error(fmt::format("function '{}' failed to start on AWS: {}", f.key, s.state_reason),
                  "fix what the reason names, then deploy again");
    if (s.last_update_status == "Failed")
      throw Error(fmt::format("the update of function '{}' failed on AWS: {}", f.key,
                              s.last_update_status_reason),
                  "fix what the reason names, then deploy again");
    if (s.state != "Pending" && s.last_update_status != "InProgress") return;
    if (Clock::now() + delay > deadline)
      throw Error(fmt::format("function '{}' is still {} on AWS after 5 minutes", f.key,
                              s.state == "Pending" ? "Pending" : "updating"),
                  "look at it in the Lambda console, then deploy again");
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 2s);
  }
}

}  // namespace

actions::DeployResult deploy_function(lambda::LambdaClient& client, const manifest::Function& f,
                                      const bundle::Artifact& artifact,
                                      const lambda::FunctionConfiguration& desired,
                                      const FunctionDeployContext& context) {
  const bool force = context.force;
  actions::DeployResult r;
  r.function = f.key;
  r.name = f.name;
  r.status = "unchanged";
  r.zip_bytes = artifact.zip_bytes;
  r.sha256 = artifact.sha256_hex;
  auto current = client.get_function(f.name);
  lambda::FunctionConfiguration after;
  if (!current) {
    const std::string zip = util::read_file(artifact.zip_path);
    after = retry_while_role_propagates(f, [&] { return client.create_function(desired, zip); });
    r.status = "created";
    if (busy(after)) wait_until_ready(client, f);
  } else {
    // Lambda refuses a change while the previous one is still being applied.
    if (busy(*current)) wait_until_ready(client, f);
    actions::ensure_tags(client, *current, desired);
    if (force || current->code_sha256 != artifact.code_sha256) {
      after = client.update_function_code(f.name, util::read_file(artifact.zip_path));
      r.status = "updated";
      if (busy(after)) wait_until_ready(client, f);
    }
    if (!same_configuration(*current, desired)) {
      after = retry_while_role_propagates(
          f, [&] { return client.update_function_configuration(desired); });
      r.status = "updated";
      if (busy(after)) wait_until_ready(client, f);
    }
    if (current->architectures != desired.architectures)
      r.warnings.push_back(fmt::format(
          "its architecture on AWS stays {}: this version of fx does not change the "
          "architecture of a deployed function; `fx remove`, then deploy, to get {}",
          fmt::join(current->architectures, ","), fmt::join(desired.architectures, ",")));
  }
  auto current_reserved = current ? current->reserved_concurrency : std::nullopt;
  if (desired.reserved_concurrency != current_reserved) {
    if (desired.reserved_concurrency)
      client.put_function_concurrency(f.name, *desired.reserved_concurrency);
    else
      client.delete_function_concurrency(f.name);
    if (r.status == "unchanged") r.status = "updated";
  }
  if (f.url) {
    const auto url = ensure_function_url(client, f, current.has_value());
    r.routes.push_back(
        fmt::format("URL    {}{}", url, f.url->auth_type == "NONE" ? "" : "  (AWS_IAM)"));
  } else if (current && current->tags.contains(kUrlTag)) {
    // A URL fx made: for a `url:` the manifest dropped, or, by an earlier fx, in place of the
    // http events' routes, which API Gateway serves now.
    delete_function_url(client, f, current->function_arn);
    r.warnings.push_back(has_http_events(f)
                             ? "deleted the function URL an earlier fx made for its http events: "
                               "their routes are on API Gateway now"
                             : "deleted its function URL: the manifest no longer has its `url:`");
    if (r.status == "unchanged") r.status = "updated";
  }

  const std::string& arn = current ? current->function_arn : after.function_arn;
  // Rules and mappings are listed only where there can be some: the function has such events,
  // or had them (its mark), or was deployed by an fx that did not mark functions.
  const bool unmarked = current && !actions::made_for(current->tags, context.service);
  auto may_have = [&](const char* mark) {
    return current && (current->tags.contains(mark) || unmarked);
  };
  // A function with provisioned concurrency has its events run the alias `provisioned`, as the
  // framework wires them: the alias is made (moved) first. Without, the alias goes only after
  // the events left it.
  const bool on_alias = f.provisioned_concurrency.value_or(0) > 0;
  if (on_alias) actions::sync_versions(client, context.service, f, r);
  const auto mapped = mapping_target(f, arn);
  bool events_changed = false;
  if (has_events(f, "schedule") || may_have(kSchedulesTag)) {
    fx::aws::EventBridgeClient events(context.settings);
    events_changed |= sync_schedules(client, events, context.service, f, arn, current.has_value(),
                                     on_alias ? actions::kProvisionedAlias : "");
  }
  if (has_events(f, "sqs") || may_have(kQueuesTag))
    events_changed |=
        sync_queue_mappings(client, f, context.queue_arns, current.has_value(), mapped);
  const bool streams = manifest::has_events<manifest::StreamEvent>(f.events);
  if (streams || may_have(kStreamsTag))
    events_changed |=
        sync_stream_mappings(client, f, context.stream_arns, current.has_value(), mapped);
  // The marks of events that left the manifest go with their rules and mappings.
  std::vector<std::string> gone;
  for (auto [type, mark] : {std::pair{"schedule", kSchedulesTag}, std::pair{"sqs", kQueuesTag},
                            std::pair{"stream", kStreamsTag}})
    if (current && current->tags.contains(mark) &&
        !(mark == kStreamsTag ? streams : has_events(f, type)))
      gone.push_back(mark);
  if (!gone.empty()) client.untag_function(arn, gone);
  events_changed |= sync_event_invoke_config(client, f, current, context.async);
  if (events_changed && r.status == "unchanged") r.status = "updated";
  // Published from what is now deployed: after the code, the configuration and the waits.
  if (!on_alias) actions::sync_versions(client, context.service, f, r);
  return r;
}

void remove_function(lambda::LambdaClient& client, fx::aws::EventBridgeClient& events,
                     const manifest::Service& service, const manifest::Function& f,
                     AwsRemoval& out) {
  for (auto& name : remove_schedules(events, service, f)) out.schedules.push_back(std::move(name));
  // Its alias's mappings too (AWS keeps mappings after their function): named by its ARN.
  const auto current = client.get_function(f.name);
  const std::string arn = current ? current->function_arn : "";
  for (auto& m : remove_queue_mappings(client, f, arn)) out.queue_mappings.push_back(std::move(m));
  for (auto& m : remove_stream_mappings(client, f, arn))
    out.stream_mappings.push_back(std::move(m));
  try {
    client.delete_function(f.name);
    out.functions.push_back(f.name);
  } catch (const lambda::ApiError& e) {
    if (e.status() != 404) throw;
  }
}

manifest::Function stale_entry(const actions::StaleFunction& stale) {
  manifest::Function f;
  f.key = stale.function;
  f.name = stale.name;
  return f;
}

}  // namespace fx::targets::aws
