// Deploying to AWS is a sequence of small idempotent calls per function, each of which may
// have to wait for Lambda (a new function is Pending, an update InProgress, a fresh role not
// yet assumable). Functions are independent, so a few are deployed at once; each worker has
// its own client (one connection each).
#include "core/actions/deploy_aws.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/bundle/bundle.h"
#include "core/lambda/aws.h"
#include "core/lambda/aws_iam.h"
#include "core/lambda/aws_sqs.h"
#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/hash.h"

namespace fx::actions {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Lambda takes a zip of at most 50 MB in the request itself; larger ones go through S3.
constexpr std::uint64_t kDirectUploadLimit = 50ull * 1024 * 1024;
// IAM is eventually consistent: a role just created is usually assumable within seconds.
constexpr auto kRoleWait = 30s;
// How long a queue mapping may stay busy (Creating, Updating, Deleting) before fx gives up.
constexpr auto kMappingWait = 60s;
constexpr auto kReadyWait = 5min;
// Lambda's control plane allows about 15 calls a second per account; four functions at once
// stay well under it (throttling is retried by AwsService anyway).
constexpr std::size_t kParallelFunctions = 4;
// Marks the roles fx created, so `fx remove` never deletes one it did not make.
constexpr const char* kRoleTag = "fx:service";
// The console's names for a public function URL's two statements.
constexpr const char* kUrlStatement = "FunctionURLAllowPublicAccess";
constexpr const char* kUrlInvokeStatement = "FunctionURLAllowInvokeAction";
// On a function whose URL fx made (for its http events): the URL is fx's to delete when the
// events go, never one made by hand on a function without them.
constexpr const char* kUrlTag = "fx:url";
// Likewise on a function whose asynchronous settings (retries, destinations) fx set.
constexpr const char* kAsyncTag = "fx:async";
// On a function with schedule (sqs) events: only such a function, or one that had them, can
// have rules (mappings) to sync, so a redeploy lists them for no other.
constexpr const char* kSchedulesTag = "fx:schedules";
constexpr const char* kQueuesTag = "fx:sqs";
// The inline policy that lets the role fx made send to the functions' destinations.
constexpr const char* kDestinationPolicy = "fx-destinations";
// Reading an SQS queue: what a function fed by one needs besides the basic policy.
constexpr std::string_view kLambdaSqsPolicy =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole";
// EventBridge's limit on a rule's name.
constexpr std::size_t kRuleNameLimit = 64;
// The one target fx gives a schedule rule: the function.
constexpr const char* kScheduleTargetId = "fx-function";
// Ends the description of every rule fx makes: a rule under a function's prefix without it
// is someone else's and never changed or deleted.
constexpr std::string_view kRuleMark = "; created by fx";
constexpr const char* kEventsPrincipal = "events.amazonaws.com";

const lambda::AwsSettings& aws_settings(const lambda::Endpoint& endpoint) {
  if (!endpoint.aws) throw Error("internal: an AWS deploy without AWS settings");
  return *endpoint.aws;
}

bool has_events(const manifest::Function& f, std::string_view type) {
  return std::any_of(f.events.begin(), f.events.end(),
                     [&](const auto& e) { return manifest::event_type(e) == type; });
}

bool has_http_events(const manifest::Function& f) {
  return has_events(f, "http") || has_events(f, "httpApi");
}

// `private: true` asks for callers to prove who they are: on a function URL that is IAM.
std::string url_auth_type(const manifest::Function& f) {
  bool is_private = std::any_of(f.events.begin(), f.events.end(), [](const auto& e) {
    const auto* http = std::get_if<manifest::HttpEvent>(&e);
    return http && http->is_private;
  });
  return is_private ? "AWS_IAM" : "NONE";
}

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

bool role_not_assumable(const lambda::ApiError& e) {
  return e.type() == "InvalidParameterValueException" &&
         std::string_view(e.what()).find("cannot be assumed") != std::string_view::npos;
}

// Lambda checks the role's policies when a queue mapping is made: a policy attached a moment
// ago is not seen yet ("The function execution role does not have permissions to call
// ReceiveMessage on SQS").
bool role_cannot_read_queue(const lambda::ApiError& e) {
  return e.type() == "InvalidParameterValueException" &&
         std::string_view(e.what()).find("execution role does not have permissions") !=
             std::string_view::npos;
}

// Runs a create or configuration update, again while Lambda cannot assume the role yet.
template <class Call>
auto retry_while_role_propagates(const manifest::Function& f, Call call) -> decltype(call()) {
  const auto deadline = Clock::now() + kRoleWait;
  auto delay = 500ms;
  while (true) {
    try {
      return call();
    } catch (const lambda::ApiError& e) {
      if (!role_not_assumable(e) && !role_cannot_read_queue(e)) throw;
      if (Clock::now() + delay > deadline)
        throw Error(fmt::format("function '{}': Lambda still cannot use its role after {} s: {}",
                                f.key, kRoleWait.count(), e.what()),
                    "a new role takes a few seconds to be usable: deploy again in a minute; if "
                    "it persists, check that the role's trust policy allows lambda.amazonaws.com");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 4s);
  }
}

// A queue mapping that is still Creating, Updating or Deleting refuses another change for a
// few seconds (ResourceInUseException, 409): a redeploy right after a deploy meets that.
template <class Call>
void retry_while_mapping_busy(const manifest::Function& f, Call call) {
  const auto deadline = Clock::now() + kMappingWait;
  auto delay = 500ms;
  while (true) {
    try {
      call();
      return;
    } catch (const lambda::ApiError& e) {
      if (e.type() != "ResourceInUseException") throw;
      if (Clock::now() + delay > deadline)
        throw Error(fmt::format("function '{}': its queue mapping is still busy on AWS after {} "
                                "s: {}",
                                f.key, kMappingWait.count(), e.what()),
                    "wait until the mapping's State is Enabled or Disabled (`aws lambda "
                    "list-event-source-mappings`), then deploy again");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 4s);
  }
}

// A function URL for an http/httpApi function, public unless an event is private. A public
// URL needs both statements in the function's policy (the second since October 2025).
std::string ensure_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                                bool existed) {
  const std::string auth = url_auth_type(f);
  std::optional<lambda::FunctionUrlConfig> url;
  if (existed) url = client.get_function_url_config(f.name);
  if (url && url->auth_type == auth) return url->url;
  url = url ? client.update_function_url_config(f.name, auth)
            : client.create_function_url_config(f.name, auth);
  if (auth == "NONE") {
    client.add_permission(f.name,
                          {kUrlStatement, "lambda:InvokeFunctionUrl", "*", "NONE", false, ""});
    client.add_permission(f.name,
                          {kUrlInvokeStatement, "lambda:InvokeFunction", "*", "", true, ""});
  } else {
    client.remove_permission(f.name, kUrlStatement);
    client.remove_permission(f.name, kUrlInvokeStatement);
  }
  return url->url;
}

bool made_by_fx(const lambda::EventRule& rule) {
  return rule.description.ends_with(kRuleMark);
}

std::string rule_prefix(const manifest::Service& service, const manifest::Function& f) {
  return schedule_rule_prefix(service.name, service.stage, f.key);
}

// The rules fx made for the function's schedule events, by name.
std::map<std::string, lambda::EventRule> rules_of(lambda::EventBridgeClient& events,
                                                  const manifest::Service& service,
                                                  const manifest::Function& f) {
  std::map<std::string, lambda::EventRule> out;
  for (auto& rule : events.list_rules(rule_prefix(service, f)))
    if (made_by_fx(rule)) out.emplace(rule.name, std::move(rule));
  return out;
}

void delete_rule_and_targets(lambda::EventBridgeClient& events, const std::string& rule) {
  std::vector<std::string> ids;
  for (const auto& t : events.list_targets(rule)) ids.push_back(t.id);
  events.remove_targets(rule, ids);
  events.delete_rule(rule);
}

struct DesiredSchedule {
  lambda::EventRule rule;
  lambda::EventTarget target;  // without its ARN, which is the function's
};

std::vector<DesiredSchedule> desired_schedules(const manifest::Service& service,
                                               const manifest::Function& f) {
  std::vector<DesiredSchedule> out;
  const std::string prefix = rule_prefix(service, f);
  int n = 0;
  for (const auto* schedule : manifest::events_of<manifest::ScheduleEvent>(f.events)) {
    const auto& e = *schedule;
    ++n;
    lambda::EventRule rule;
    rule.name = prefix + std::to_string(n);
    rule.schedule_expression = e.expression;
    rule.state = e.enabled ? "ENABLED" : "DISABLED";
    // The event's own description, else one that says where the rule comes from; either way
    // ending with the mark that tells fx's rules from others under the same prefix.
    auto config = nlohmann::json::parse(e.config_json, nullptr, false);
    std::string description;
    if (config.is_object() && config.contains("description") && config["description"].is_string())
      // EventBridge takes 512 characters, the mark included.
      description = config["description"].get<std::string>().substr(0, 512 - kRuleMark.size());
    if (description.empty())
      description =
          fmt::format("schedule {} of function {} of {}-{}", n, f.key, service.name, service.stage);
    rule.description = description + std::string(kRuleMark);
    lambda::EventTarget target{
        kScheduleTargetId, "", schedule_input(e.config_json), e.input_path, e.input_paths_map,
        e.input_template};
    out.push_back({std::move(rule), std::move(target)});
  }
  return out;
}

// One rule per schedule event, its target the function, and the statement of the function's
// policy that lets EventBridge invoke it for that rule; rules of events no longer in the
// manifest go. Everything is read first, so an unchanged service is only read. Returns
// whether anything changed.
bool sync_schedules(lambda::LambdaClient& client, lambda::EventBridgeClient& events,
                    const manifest::Service& service, const manifest::Function& f,
                    const std::string& function_arn, bool function_existed) {
  auto desired = desired_schedules(service, f);
  if (desired.empty() && !function_existed) return false;
  auto existing = rules_of(events, service, f);
  if (desired.empty() && existing.empty()) return false;
  bool changed = false;
  auto policy =
      desired.empty() ? std::vector<lambda::PolicyStatement>{} : client.get_policy(f.name);
  for (const auto& d : desired) {
    const auto& name = d.rule.name;
    auto found = existing.find(name);
    std::string rule_arn;
    if (found != existing.end() &&
        found->second.schedule_expression == d.rule.schedule_expression &&
        found->second.state == d.rule.state && found->second.description == d.rule.description) {
      rule_arn = found->second.arn;
    } else {
      rule_arn = events.put_rule(d.rule);
      changed = true;
    }
    lambda::EventTarget target = d.target;
    target.arn = function_arn;
    auto targets =
        found != existing.end() ? events.list_targets(name) : std::vector<lambda::EventTarget>{};
    bool target_ok = targets.size() == 1 && targets[0] == target;
    if (!target_ok) {
      std::vector<std::string> others;
      for (const auto& t : targets)
        if (t.id != target.id) others.push_back(t.id);
      events.remove_targets(name, others);
      events.put_targets(name, {target});
      changed = true;
    }
    // The statement is named after its rule, so each rule has its own.
    auto statement =
        std::find_if(policy.begin(), policy.end(), [&](const auto& st) { return st.sid == name; });
    if (statement == policy.end() || statement->principal != kEventsPrincipal ||
        statement->source_arn != rule_arn) {
      if (statement != policy.end()) client.remove_permission(f.name, name);
      client.add_permission(f.name,
                            {name, "lambda:InvokeFunction", kEventsPrincipal, "", false, rule_arn});
      changed = true;
    }
    if (found != existing.end()) existing.erase(found);
  }
  for (const auto& [name, rule] : existing) {
    delete_rule_and_targets(events, name);
    client.remove_permission(f.name, name);
    changed = true;
  }
  return changed;
}

bool is_sqs_arn(std::string_view arn) {
  return arn.starts_with("arn:") && arn.find(":sqs:") != std::string_view::npos;
}

bool same_mapping(const lambda::EventSourceMapping& a, const lambda::EventSourceMapping& b) {
  return a.batch_size == b.batch_size &&
         a.maximum_batching_window_s == b.maximum_batching_window_s &&
         a.function_response_types == b.function_response_types && a.enabled == b.enabled &&
         a.filter_patterns == b.filter_patterns && a.maximum_concurrency == b.maximum_concurrency;
}

// One event source mapping per sqs event: created, updated when a setting differs, and
// deleted when its event left the manifest. Every SQS mapping of the function is fx's to
// manage, as the function's configuration is; other sources (streams) are left alone.
bool sync_queue_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::map<std::string, std::string>& queue_arns,
                         bool function_existed) {
  std::vector<lambda::EventSourceMapping> desired;
  for (const auto* e : manifest::events_of<manifest::SqsEvent>(f.events))
    desired.push_back(desired_queue_mapping(*e, queue_arns.at(e->queue)));
  if (desired.empty() && !function_existed) return false;
  std::vector<lambda::EventSourceMapping> existing;
  if (function_existed)
    for (auto& m : client.list_event_source_mappings(f.name))
      if (is_sqs_arn(m.event_source_arn)) existing.push_back(std::move(m));
  bool changed = false;
  for (auto& d : desired) {
    auto found = std::find_if(existing.begin(), existing.end(), [&](const auto& m) {
      return m.event_source_arn == d.event_source_arn;
    });
    if (found == existing.end()) {
      retry_while_role_propagates(f, [&] { return client.create_event_source_mapping(f.name, d); });
      changed = true;
      continue;
    }
    if (!same_mapping(*found, d)) {
      d.uuid = found->uuid;
      retry_while_mapping_busy(f, [&] {
        retry_while_role_propagates(f, [&] { return client.update_event_source_mapping(d); });
      });
      changed = true;
    }
    existing.erase(found);
  }
  for (const auto& m : existing) {
    retry_while_mapping_busy(f, [&] { client.delete_event_source_mapping(m.uuid); });
    changed = true;
  }
  return changed;
}

// What a function's deploy needs besides its own configuration and zip.
struct FunctionDeployContext {
  const manifest::Service& service;
  const lambda::AwsSettings& settings;
  const std::map<std::string, std::string>& queue_arns;  // an sqs event's queue → its ARN
  const std::map<std::string, lambda::EventInvokeConfig>& async;  // by function key
  bool force = false;
};

// maximumRetryAttempts, maximumEventAge and destinations as Lambda's event invoke
// configuration: put when it differs, deleted when the manifest dropped settings fx had put.
// Returns whether anything changed.
bool sync_event_invoke_config(lambda::LambdaClient& client, const manifest::Function& f,
                              const std::optional<lambda::FunctionConfiguration>& current,
                              const std::map<std::string, lambda::EventInvokeConfig>& async) {
  auto desired = async.find(f.key);
  if (desired == async.end()) {
    if (!current || !current->tags.contains(kAsyncTag)) return false;
    client.delete_event_invoke_config(f.name);
    client.untag_function(current->function_arn, {kAsyncTag});
    return true;
  }
  if (current && client.get_event_invoke_config(f.name) == desired->second) return false;
  // Lambda checks that the role may send to the destinations: a policy put a moment ago may
  // not be seen yet.
  retry_while_role_propagates(f, [&] { client.put_event_invoke_config(f.name, desired->second); });
  return true;
}

DeployResult deploy_function(lambda::LambdaClient& client, const manifest::Function& f,
                             const bundle::Artifact& artifact,
                             const lambda::FunctionConfiguration& desired,
                             const FunctionDeployContext& context) {
  const bool force = context.force;
  DeployResult r;
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
    ensure_tags(client, *current, desired);
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
  if (has_http_events(f)) {
    r.routes.push_back(ensure_function_url(client, f, current.has_value()));
  } else if (current && current->tags.contains(kUrlTag)) {
    // Its http events left the manifest: so does the URL that stood in for their routes.
    client.delete_function_url_config(f.name);
    client.remove_permission(f.name, kUrlStatement);
    client.remove_permission(f.name, kUrlInvokeStatement);
    client.untag_function(current->function_arn, {kUrlTag});
    if (r.status == "unchanged") r.status = "updated";
  }

  const std::string& arn = current ? current->function_arn : after.function_arn;
  // Rules and mappings are listed only where there can be some: the function has such events,
  // or had them (its mark), or was deployed by an fx that did not mark functions.
  const bool unmarked = current && !made_for(current->tags, context.service);
  auto may_have = [&](const char* mark) {
    return current && (current->tags.contains(mark) || unmarked);
  };
  bool events_changed = false;
  if (has_events(f, "schedule") || may_have(kSchedulesTag)) {
    lambda::EventBridgeClient events(context.settings);
    events_changed |= sync_schedules(client, events, context.service, f, arn, current.has_value());
  }
  if (has_events(f, "sqs") || may_have(kQueuesTag))
    events_changed |= sync_queue_mappings(client, f, context.queue_arns, current.has_value());
  // The marks of events that left the manifest go with their rules and mappings.
  std::vector<std::string> gone;
  for (auto [type, mark] : {std::pair{"schedule", kSchedulesTag}, std::pair{"sqs", kQueuesTag}})
    if (current && current->tags.contains(mark) && !has_events(f, type)) gone.push_back(mark);
  if (!gone.empty()) client.untag_function(arn, gone);
  events_changed |= sync_event_invoke_config(client, f, current, context.async);
  if (events_changed && r.status == "unchanged") r.status = "updated";
  return r;
}

// The queue an sqs event names: a queue of `resources` by its logical ID (Fn::GetAtt) is
// that queue's name.
std::string resource_queue_name(const manifest::Service& service, const std::string& queue) {
  for (const auto& q : service.queues)
    if (q.logical_id == queue) return q.name;
  return queue;
}

// The SQS queues of `resources`, as CloudFormation would make them: created (tagged as the
// service's) with their VisibilityTimeout and RedrivePolicy, updated when one differs, and
// used as they are when they exist and fx did not make them. Returns each one's ARN by name.
std::map<std::string, std::string> sync_resource_queues(const manifest::Service& service,
                                                        const lambda::AwsSettings& settings,
                                                        AwsDeploy& out) {
  std::map<std::string, std::string> arns;
  if (service.queues.empty()) return arns;
  lambda::SqsClient sqs(settings);
  std::vector<lambda::SqsClient::Queue> found;
  // First every queue, so that each dead-letter queue has an ARN for the redrive policies.
  for (const auto& q : service.queues) {
    std::map<std::string, std::string> attributes = {
        {"VisibilityTimeout", std::to_string(q.visibility_timeout_s)}};
    AwsQueue report{q.name, "unchanged"};
    auto current = sqs.describe_queue(q.name);
    if (!current) {
      if (q.name.ends_with(".fifo")) attributes["FifoQueue"] = "true";
      sqs.create_queue(q.name, attributes, service_tags(service));
      current = sqs.describe_queue(q.name);
      if (!current) throw Error(fmt::format("SQS created queue {} but does not find it", q.name));
      report.status = "created";
    } else if (!made_for(current->tags, service)) {
      report.status = "existing";
      out.warnings.push_back(fmt::format(
          "queue {} of resources exists and fx did not create it: used as it is", q.name));
    } else if (current->attributes["VisibilityTimeout"] != attributes["VisibilityTimeout"]) {
      sqs.set_queue_attributes(current->url, attributes);
      report.status = "updated";
    }
    arns[q.name] = current->attributes["QueueArn"];
    found.push_back(std::move(*current));
    out.queues.push_back(std::move(report));
  }
  for (std::size_t i = 0; i < service.queues.size(); ++i) {
    const auto& q = service.queues[i];
    if (out.queues[i].status == "existing") continue;
    nlohmann::json desired;  // null: no redrive
    if (q.max_receive_count > 0 && !q.dead_letter_queue.empty()) {
      auto dlq = arns.find(q.dead_letter_queue);
      std::optional<std::string> dlq_arn =
          dlq != arns.end() ? std::optional(dlq->second) : sqs.queue_arn(q.dead_letter_queue);
      if (!dlq_arn)
        throw Error(fmt::format("queue {} of resources: its dead-letter queue {} does not exist",
                                q.name, q.dead_letter_queue),
                    "declare it in resources too, or create it first");
      desired = {{"deadLetterTargetArn", *dlq_arn}, {"maxReceiveCount", q.max_receive_count}};
    }
    // As SQS has it, in the same shape (its maxReceiveCount may be a string).
    nlohmann::json now =
        nlohmann::json::parse(found[i].attributes["RedrivePolicy"], nullptr, false);
    if (now.is_object()) {
      const nlohmann::json count = now.value("maxReceiveCount", nlohmann::json());
      const int n = count.is_string()   ? std::atoi(count.get<std::string>().c_str())
                    : count.is_number() ? count.get<int>()
                                        : 0;
      now = {{"deadLetterTargetArn", now.value("deadLetterTargetArn", "")}, {"maxReceiveCount", n}};
    } else {
      now = nullptr;
    }
    if (now == desired) continue;
    // An empty RedrivePolicy is how SQS drops one.
    sqs.set_queue_attributes(found[i].url,
                             {{"RedrivePolicy", desired.is_null() ? "" : desired.dump()}});
    if (out.queues[i].status == "unchanged") out.queues[i].status = "updated";
  }
  return arns;
}

// The ARN of every queue the functions' sqs events name, looked up before anything is
// deployed so that a missing queue changes nothing. A queue given by Fn::GetAtt is named by
// its logical ID: the queue of `resources` with that ID, whose name is looked up. Queues of
// `resources` are left out: fx creates them (sync_resource_queues).
std::map<std::string, std::string> resolve_queue_arns(
    const manifest::Service& service, const std::vector<const manifest::Function*>& fs,
    const lambda::AwsSettings& settings) {
  std::map<std::string, std::string> out;
  std::unique_ptr<lambda::SqsClient> sqs;
  for (const auto* f : fs)
    for (const auto* event : manifest::events_of<manifest::SqsEvent>(f->events)) {
      const auto& e = *event;
      if (out.contains(e.queue)) continue;
      if (e.queue.starts_with("arn:")) {
        out[e.queue] = e.queue;
        continue;
      }
      std::string name = resource_queue_name(service, e.queue);
      bool from_resources = false;
      for (const auto& q : service.queues) from_resources |= q.name == name;
      if (from_resources) continue;  // created with the resources, before the functions
      if (!sqs) sqs = std::make_unique<lambda::SqsClient>(settings);
      auto arn = sqs->queue_arn(name);
      if (!arn)
        throw Error(fmt::format("{}: function '{}': sqs event: there is no SQS queue '{}' in {}",
                                e.mark.str(), f->key, name, settings.region),
                    fmt::format("create it first (`aws sqs create-queue --queue-name {}`), declare "
                                "it in resources (an AWS::SQS::Queue), or give the ARN of an "
                                "existing queue",
                                name));
      out[e.queue] = *arn;
    }
  return out;
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
  bool any_route = false;
  for (const auto* f : fs) {
    std::set<std::string> types, settings;
    for (const auto& e : f->events) {
      const std::string type(manifest::event_type(e));
      if (std::holds_alternative<manifest::HttpEvent>(e)) {
        any_route = true;
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
    if (f->provisioned_concurrency.value_or(0) > 0)
      out.push_back(fmt::format(
          "not deployed to AWS by this version of fx: provisionedConcurrency of {}", f->key));
    if (f->log_retention_days)
      out.push_back(fmt::format(
          "not deployed to AWS by this version of fx: logRetentionInDays of {} (the local "
          "emulator honours it)",
          f->key));
  }
  if (any_route)
    out.push_back(
        "http/httpApi events are served on AWS by each function's URL (any method and path); "
        "this version of fx creates no API Gateway routes");
  return out;
}

bool has_sqs_events(const manifest::Service& service) {
  for (const auto& f : service.functions)
    if (manifest::has_events<manifest::SqsEvent>(f.events)) return true;
  return false;
}

// The managed policies the role fx created should have: logs always, SQS reads when any
// function of the service (not only those deployed now) is fed by a queue.
std::vector<std::string_view> role_policies(const manifest::Service& service) {
  std::vector<std::string_view> out{lambda::kLambdaBasicExecutionPolicy};
  if (has_sqs_events(service)) out.push_back(kLambdaSqsPolicy);
  return out;
}

// Each function's asynchronous settings, for those that have any: its destinations as ARNs,
// given as ARNs or as another function of the service (its key or name, as the Serverless
// Framework allows), which becomes that function's ARN in the role's account. Throws
// fx::Error for a destination that is neither.
std::map<std::string, lambda::EventInvokeConfig> async_configs(const manifest::Service& service,
                                                               const std::string& role_arn,
                                                               const std::string& region) {
  // arn:aws:iam::ACCOUNT:role/NAME: the fifth field.
  std::string_view rest = role_arn;
  for (int i = 0; i < 4 && !rest.empty(); ++i) {
    auto colon = rest.find(':');
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  const std::string account(rest.substr(0, rest.find(':')));
  auto arn_of = [&](const manifest::Function& f, const char* which, const std::string& given) {
    if (given.empty() || given.starts_with("arn:")) return given;
    if (const auto* target = service.find_function(given))
      return lambda::function_arn(region, account, target->name);
    throw Error(fmt::format("function '{}': destinations.{} '{}' is neither an ARN nor a "
                            "function of {}",
                            f.key, which, given, service.name),
                "give the queue's, topic's, bus's or function's ARN, or a function's key");
  };
  std::map<std::string, lambda::EventInvokeConfig> out;
  for (const auto& f : service.functions) {
    lambda::EventInvokeConfig c;
    c.maximum_retry_attempts = f.max_retry_attempts;
    c.maximum_event_age_s = f.max_event_age_s;
    c.on_failure = arn_of(f, "onFailure", f.on_failure);
    c.on_success = arn_of(f, "onSuccess", f.on_success);
    if (c != lambda::EventInvokeConfig{}) out[f.key] = std::move(c);
  }
  return out;
}

// The statement that lets a role send to a destination of that ARN, by its service.
std::optional<std::string_view> destination_action(std::string_view arn) {
  if (arn.starts_with("arn:aws:sqs:")) return "sqs:SendMessage";
  if (arn.starts_with("arn:aws:sns:")) return "sns:Publish";
  if (arn.starts_with("arn:aws:lambda:")) return "lambda:InvokeFunction";
  if (arn.starts_with("arn:aws:events:")) return "events:PutEvents";
  if (arn.starts_with("arn:aws:s3:")) return "s3:PutObject";
  return std::nullopt;
}

// The inline policy of the role fx made: allowed to send to every destination of the
// service, and nothing else. Put only when it differs; deleted when there are none. A role
// created a moment ago has none to read.
void sync_destination_policy(const lambda::AwsSettings& settings, const AwsRole& role,
                             const std::map<std::string, lambda::EventInvokeConfig>& async) {
  std::map<std::string, std::set<std::string>> by_action;
  for (const auto& [key, c] : async)
    for (const auto& arn : {c.on_failure, c.on_success})
      if (auto action = destination_action(arn)) by_action[std::string(*action)].insert(arn);
  const bool created = role.status == "created";
  if (created && by_action.empty()) return;
  lambda::IamClient iam(settings);
  auto current = created ? std::nullopt : iam.get_role_policy(role.name, kDestinationPolicy);
  if (by_action.empty()) {
    if (current) iam.delete_role_policy(role.name, kDestinationPolicy);
    return;
  }
  nlohmann::json statements = nlohmann::json::array();
  for (const auto& [action, arns] : by_action)
    statements.push_back({{"Effect", "Allow"}, {"Action", action}, {"Resource", arns}});
  nlohmann::json document = {{"Version", "2012-10-17"}, {"Statement", statements}};
  if (current && nlohmann::json::parse(*current, nullptr, false) == document) return;
  iam.put_role_policy(role.name, kDestinationPolicy, document.dump());
}

AwsRole ensure_role(const manifest::Service& service, const lambda::AwsSettings& settings) {
  if (!service.iam_role_error.empty())
    throw Error(service.iam_role_error,
                "for --target aws, provider.iam.role must be a role ARN or name fx can resolve");
  if (service.iam_role.starts_with("arn:"))
    return {service.iam_role.substr(service.iam_role.rfind('/') + 1), service.iam_role, "manifest"};
  lambda::IamClient iam(settings);
  const std::string owner = service.name + "-" + service.stage;
  try {
    if (!service.iam_role.empty()) {
      auto role = iam.get_role(service.iam_role);
      if (!role)
        throw Error(fmt::format("{}: provider.iam.role: there is no IAM role '{}'",
                                service.iam_role_mark.str(), service.iam_role),
                    "create it, give its ARN, or remove provider.iam.role so that fx creates "
                    "its own");
      return {role->name, role->arn, "manifest"};
    }
    const std::string name = default_role_name(service, settings.region);
    if (auto role = iam.get_role(name)) {
      // A previous deploy may have stopped between creating the role and attaching its
      // policies, and sqs events may have come or gone since.
      if (role->tags.contains(kRoleTag)) {
        auto attached = iam.attached_role_policies(name);
        auto is_attached = [&](std::string_view p) {
          return std::find(attached.begin(), attached.end(), p) != attached.end();
        };
        auto wanted = role_policies(service);
        for (auto policy : wanted)
          if (!is_attached(policy)) iam.attach_role_policy(name, policy);
        if (is_attached(kLambdaSqsPolicy) &&
            std::find(wanted.begin(), wanted.end(), kLambdaSqsPolicy) == wanted.end())
          iam.detach_role_policy(name, kLambdaSqsPolicy);
      }
      return {role->name, role->arn, "existing"};
    }
    lambda::IamRole role;
    try {
      role = iam.create_role(name, lambda::kLambdaTrustPolicy,
                             fmt::format("Runs the functions of {}; created by fx", owner),
                             {{kRoleTag, owner}});
    } catch (const lambda::ApiError& e) {
      // Another deploy of the same service created it a moment ago.
      if (e.type() != "EntityAlreadyExists") throw;
      auto existing = iam.get_role(name);
      if (!existing) throw;
      return {existing->name, existing->arn, "existing"};
    }
    for (auto policy : role_policies(service)) iam.attach_role_policy(name, policy);
    return {role.name, role.arn, "created"};
  } catch (const lambda::ApiError& e) {
    bool denied = e.type().find("AccessDenied") != std::string::npos || e.status() == 403;
    throw Error(fmt::format("cannot set up the execution role of {}: {}", service.name, e.what()),
                denied || e.hint().empty()
                    ? "set provider.iam.role to an existing role's ARN, or use credentials allowed "
                      "iam:GetRole, iam:CreateRole and iam:AttachRolePolicy"
                    : e.hint());
  }
}

}  // namespace

std::string schedule_rule_prefix(std::string_view service, std::string_view stage,
                                 std::string_view function_key) {
  std::string stem = fmt::format("{}-{}-{}", service, stage, function_key);
  for (auto& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  constexpr std::string_view kind = "-schedule-";
  // Room for three digits of rule number: a function has far fewer schedules.
  const std::size_t room = kRuleNameLimit - kind.size() - 3;
  if (stem.size() > room) {
    // The hash is of the full stem, so two long names that share their front stay apart.
    std::string hash = util::sha256_hex(stem).substr(0, 8);
    stem = stem.substr(0, room - hash.size() - 1) + "-" + hash;
  }
  return stem + std::string(kind);
}

std::string schedule_input(std::string_view event_config_json) {
  using nlohmann::json;
  json config = json::parse(event_config_json, nullptr, false);
  if (!config.is_object() || !config.contains("input") || config["input"].is_null()) return "";
  const json& input = config["input"];
  if (input.is_string()) {
    json inner = json::parse(input.get<std::string>(), nullptr, false);
    if (!inner.is_discarded()) return inner.dump();
  }
  return input.dump();
}

lambda::EventSourceMapping desired_queue_mapping(const manifest::SqsEvent& event,
                                                 const std::string& queue_arn) {
  using nlohmann::json;
  lambda::EventSourceMapping m;
  m.event_source_arn = queue_arn;
  m.batch_size = event.batch_size;
  m.filter_patterns = event.filter_patterns;  // compact JSON from the manifest's YAML
  m.maximum_concurrency = event.max_concurrency;
  json config = json::parse(event.config_json, nullptr, false);
  if (config.is_object()) {
    if (config.contains("maximumBatchingWindow") && config["maximumBatchingWindow"].is_number())
      m.maximum_batching_window_s = config["maximumBatchingWindow"].get<int>();
    if (config.value("functionResponseType", "") == "ReportBatchItemFailures")
      m.function_response_types = {"ReportBatchItemFailures"};
    if (config.contains("enabled") && config["enabled"].is_boolean())
      m.enabled = config["enabled"].get<bool>();
  }
  return m;
}

std::string default_role_name(const manifest::Service& service, const std::string& region) {
  std::string name = fmt::format("{}-{}-{}-lambdaRole", service.name, service.stage, region);
  if (name.size() > 64)
    throw Error(fmt::format("the execution role name {} is longer than IAM's 64 characters", name),
                "set provider.iam.role to an existing role (ARN or name), or shorten the service "
                "or stage name");
  return name;
}

namespace {

// Deletes one of the service's functions with the schedule rules and SQS event source
// mappings fx made for it: neither goes with the function on AWS (a rule would fire into
// nothing, a mapping would stay, disabled, on its queue). Its URL, permissions and
// concurrency do go with it.
void remove_function(lambda::LambdaClient& client, lambda::EventBridgeClient& events,
                     const manifest::Service& service, const manifest::Function& f,
                     AwsRemoval& out) {
  for (const auto& [name, rule] : rules_of(events, service, f)) {
    delete_rule_and_targets(events, name);
    out.schedules.push_back(name);
  }
  for (auto& m : client.list_event_source_mappings(f.name)) {
    if (!is_sqs_arn(m.event_source_arn)) continue;
    retry_while_mapping_busy(f, [&] { client.delete_event_source_mapping(m.uuid); });
    out.queue_mappings.push_back(std::move(m));
  }
  try {
    client.delete_function(f.name);
    out.functions.push_back(f.name);
  } catch (const lambda::ApiError& e) {
    if (e.status() != 404) throw;
  }
}

// A stand-in manifest entry for a function the manifest no longer has: its rules and
// mappings are found by its key and deployed name.
manifest::Function stale_entry(const StaleFunction& stale) {
  manifest::Function f;
  f.key = stale.function;
  f.name = stale.name;
  return f;
}

}  // namespace

AwsDeploy deploy_to_aws(const manifest::Service& service, const lambda::Endpoint& endpoint,
                        DeployOptions options) {
  const auto& settings = aws_settings(endpoint);
  AwsDeploy out;
  auto selected = select_functions(service, options.functions);
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
  auto more = not_deployed_warnings(selected);
  out.warnings.insert(out.warnings.end(), more.begin(), more.end());

  auto queue_arns = resolve_queue_arns(service, selected, settings);
  out.role = ensure_role(service, settings);
  const auto resource_arns = sync_resource_queues(service, settings, out);
  for (const auto* f : selected)
    for (const auto* e : manifest::events_of<manifest::SqsEvent>(f->events))
      if (!queue_arns.contains(e->queue))
        queue_arns[e->queue] = resource_arns.at(resource_queue_name(service, e->queue));
  const auto async = async_configs(service, out.role.arn, settings.region);
  if (out.role.status != "manifest") sync_destination_policy(settings, out.role, async);
  {
    lambda::LambdaClient client(endpoint);
    out.layers = deploy_layers(service, client);
  }
  for (const auto& l : out.layers) options.layer_arns[l.layer] = l.version_arn;

  std::vector<lambda::FunctionConfiguration> desired;
  for (const auto* f : selected) {
    desired.push_back(desired_configuration(service, *f, options.layer_arns));
    desired.back().role = out.role.arn;
    if (has_http_events(*f)) desired.back().tags[kUrlTag] = "true";
    if (async.contains(f->key)) desired.back().tags[kAsyncTag] = "true";
    if (has_events(*f, "schedule")) desired.back().tags[kSchedulesTag] = "true";
    if (has_events(*f, "sqs")) desired.back().tags[kQueuesTag] = "true";
  }
  out.functions.resize(selected.size());
  std::vector<std::exception_ptr> errors;
  for_each_parallel(
      selected.size(), kParallelFunctions,
      [&](std::size_t i) {
        // One client per call keeps workers apart; its connection is reused for the calls of
        // this function, which are most of them.
        lambda::LambdaClient client(endpoint);
        out.functions[i] = deploy_function(client, *selected[i], packaged.artifacts[i], desired[i],
                                           {service, settings, queue_arns, async, options.force});
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
    // Only once the rest is deployed, and only on a deploy of the whole service (-f deploys
    // some functions and leaves the others as they are).
    if (options.functions.empty()) {
      lambda::LambdaClient client(endpoint);
      lambda::EventBridgeClient events(settings);
      for (const auto& stale : stale_functions(service, client)) {
        AwsRemoval removed;
        remove_function(client, events, service, stale_entry(stale), removed);
        DeployResult r;
        r.function = stale.function;
        r.name = stale.name;
        r.status = "removed";
        out.functions.push_back(std::move(r));
      }
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
  lambda::EventBridgeClient events(settings);
  std::vector<AwsFunctionInfo> out;
  for (const auto& f : service.functions) {
    AwsFunctionInfo info{f.key, f.name, client.get_function(f.name), std::nullopt, {}, {}};
    if (info.config) {
      info.url = client.get_function_url_config(f.name);
      for (auto& [name, rule] : rules_of(events, service, f))
        info.schedules.push_back(std::move(rule));
      for (auto& m : client.list_event_source_mappings(f.name))
        if (is_sqs_arn(m.event_source_arn)) info.queues.push_back(std::move(m));
    }
    out.push_back(std::move(info));
  }
  return out;
}

AwsRemoval remove_from_aws(const manifest::Service& service, const lambda::Endpoint& endpoint) {
  const auto& settings = aws_settings(endpoint);
  AwsRemoval out;
  lambda::LambdaClient client(endpoint);
  lambda::EventBridgeClient events(settings);
  // Also those deleted from the manifest since they were deployed.
  for (const auto& stale : stale_functions(service, client))
    remove_function(client, events, service, stale_entry(stale), out);
  for (const auto& f : service.functions) remove_function(client, events, service, f, out);
  // After the mappings that read them. Only the queues fx made: their messages go with them,
  // as with CloudFormation.
  if (!service.queues.empty()) {
    lambda::SqsClient sqs(settings);
    for (const auto& q : service.queues) {
      auto current = sqs.describe_queue(q.name);
      if (!current) continue;
      if (!made_for(current->tags, service)) {
        out.warnings.push_back(fmt::format("kept queue {}: fx did not create it", q.name));
        continue;
      }
      sqs.delete_queue(current->url);
      out.queues.push_back(q.name);
    }
  }
  for (const auto& layer : service.layers)
    for (long v : client.layer_versions(layer.name)) {
      client.delete_layer_version(layer.name, v);
      out.layers.push_back(fmt::format("{}:{}", layer.name, v));
    }
  if (!service.iam_role.empty()) return out;  // the manifest's role is not fx's to delete

  const std::string name = default_role_name(service, settings.region);
  lambda::IamClient iam(settings);
  auto role = iam.get_role(name);
  if (!role) return out;
  if (!role->tags.contains(kRoleTag)) {
    out.warnings.push_back(fmt::format("kept the IAM role {}: fx did not create it", name));
    return out;
  }
  // Only what is attached is detached: a role fx made holds fx's policies alone.
  iam.delete_role_policy(name, kDestinationPolicy);
  auto attached = iam.attached_role_policies(name);
  for (std::string_view policy : {lambda::kLambdaBasicExecutionPolicy, kLambdaSqsPolicy})
    if (std::find(attached.begin(), attached.end(), policy) != attached.end())
      iam.detach_role_policy(name, policy);
  try {
    iam.delete_role(name);
    out.role = name;
  } catch (const lambda::ApiError& e) {
    if (e.type() != "DeleteConflict") throw;
    out.warnings.push_back(fmt::format(
        "kept the IAM role {}: other policies are attached to it ({}); detach them and delete "
        "it with the AWS CLI if it is no longer needed",
        name, e.what()));
  }
  return out;
}

}  // namespace fx::actions
