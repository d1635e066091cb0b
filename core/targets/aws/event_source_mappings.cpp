// The event source mappings that feed a function from its SQS queues and its DynamoDB tables'
// streams: one per sqs (stream) event, changed only when a setting differs, deleted when the
// event goes or the function does (AWS keeps them after the function).
#include <nlohmann/json.hpp>

#include "core/actions/versions.h"
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

// How long a queue mapping may stay busy (Creating, Updating, Deleting) before fx gives up.
constexpr auto kMappingWait = 60s;

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
        throw Error(
            fmt::format("function '{}': its event source mapping is still busy on AWS after {} "
                        "s: {}",
                        f.key, kMappingWait.count(), e.what()),
            "wait until the mapping's State is Enabled or Disabled (`aws lambda "
            "list-event-source-mappings`), then deploy again");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 4s);
  }
}

bool same_mapping(const lambda::EventSourceMapping& a, const lambda::EventSourceMapping& b) {
  return a.batch_size == b.batch_size &&
         a.maximum_batching_window_s == b.maximum_batching_window_s &&
         a.function_response_types == b.function_response_types && a.enabled == b.enabled &&
         a.filter_patterns == b.filter_patterns && a.maximum_concurrency == b.maximum_concurrency;
}

bool same_stream_mapping(const lambda::EventSourceMapping& a, const lambda::EventSourceMapping& b) {
  return same_mapping(a, b) && a.maximum_retry_attempts == b.maximum_retry_attempts &&
         a.maximum_record_age_s == b.maximum_record_age_s &&
         a.bisect_batch_on_function_error == b.bisect_batch_on_function_error &&
         a.parallelization_factor == b.parallelization_factor &&
         a.tumbling_window_s == b.tumbling_window_s &&
         a.on_failure.value_or("") == b.on_failure.value_or("");
}

}  // namespace

bool is_table_stream_arn(std::string_view arn) {
  return arn.starts_with("arn:") && arn.find(":dynamodb:") != std::string_view::npos &&
         arn.find("/stream/") != std::string_view::npos;
}

lambda::EventSourceMapping desired_stream_mapping(const manifest::StreamEvent& event,
                                                  const std::string& stream_arn,
                                                  const std::string& on_failure) {
  lambda::EventSourceMapping m;
  m.event_source_arn = stream_arn;
  m.batch_size = event.batch_size;
  m.maximum_batching_window_s = event.batching_window_s;
  m.filter_patterns = event.filter_patterns;
  m.enabled = event.enabled;
  if (event.report_batch_item_failures) m.function_response_types = {"ReportBatchItemFailures"};
  m.starting_position = event.starting_position;
  // Lambda's defaults, written out so that a setting removed from the manifest goes back to it.
  m.maximum_retry_attempts = event.max_retry_attempts.value_or(-1);
  m.maximum_record_age_s = event.max_record_age_s.value_or(-1);
  m.bisect_batch_on_function_error = event.bisect_batch_on_function_error;
  m.parallelization_factor = event.parallelization_factor;
  m.tumbling_window_s = event.tumbling_window_s;
  m.on_failure = on_failure;
  return m;
}

namespace {

// Brings the function's mappings of one kind (those whose source ARN `of_kind` accepts) to
// `desired`: creates the missing, updates those whose settings differ (`same` says which), deletes
// the rest. Returns whether anything changed.
template <class OfKind, class Same>
bool reconcile_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                        std::vector<lambda::EventSourceMapping> desired, bool function_existed,
                        const MappingTarget& target, OfKind of_kind, Same same) {
  if (desired.empty() && !function_existed) return false;
  std::vector<lambda::EventSourceMapping> existing;
  std::vector<std::string> elsewhere;  // mappings on the other target: they go
  if (function_existed) {
    for (auto& m : client.list_event_source_mappings(target.target))
      if (of_kind(m.event_source_arn)) existing.push_back(std::move(m));
    // Whether listing by name also answers the alias's mappings or not, each is counted once,
    // where it was listed by its own target.
    for (auto& m : client.list_event_source_mappings(target.other))
      if (of_kind(m.event_source_arn) &&
          std::none_of(existing.begin(), existing.end(),
                       [&](const auto& e) { return e.uuid == m.uuid; }))
        elsewhere.push_back(m.uuid);
  }
  bool changed = false;
  for (const auto& uuid : elsewhere) {
    retry_while_mapping_busy(f, [&] { client.delete_event_source_mapping(uuid); });
    changed = true;
  }
  for (auto& d : desired) {
    auto found = std::find_if(existing.begin(), existing.end(), [&](const auto& m) {
      return m.event_source_arn == d.event_source_arn;
    });
    if (found == existing.end()) {
      retry_while_role_propagates(
          f, [&] { return client.create_event_source_mapping(target.target, d); });
      changed = true;
      continue;
    }
    if (!same(*found, d)) {
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

// Deletes the function's mappings of one kind, returning what it deleted.
template <class OfKind>
std::vector<lambda::EventSourceMapping> remove_mappings(lambda::LambdaClient& client,
                                                        const manifest::Function& f,
                                                        const std::string& function_arn,
                                                        OfKind of_kind) {
  std::vector<lambda::EventSourceMapping> out;
  auto targets = mapping_target(f, function_arn);
  for (const auto& target : {targets.target, targets.other}) {
    if (target.empty()) continue;
    for (auto& m : client.list_event_source_mappings(target)) {
      if (!of_kind(m.event_source_arn) ||
          std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.uuid == m.uuid; }))
        continue;
      retry_while_mapping_busy(f, [&] { client.delete_event_source_mapping(m.uuid); });
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace

MappingTarget mapping_target(const manifest::Function& f, const std::string& function_arn) {
  if (function_arn.empty()) return {f.name, ""};
  std::string alias = function_arn;
  if (alias.ends_with(":$LATEST")) alias.resize(alias.size() - 8);
  alias += std::string(":") + actions::kProvisionedAlias;
  if (f.provisioned_concurrency.value_or(0) > 0) return {alias, f.name};
  return {f.name, alias};
}

bool sync_stream_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                          const std::map<std::string, std::string>& stream_arns,
                          bool function_existed, const MappingTarget& target) {
  std::vector<lambda::EventSourceMapping> desired;
  for (const auto* e : manifest::events_of<manifest::StreamEvent>(f.events)) {
    const std::string& arn = e->arn.empty() ? stream_arns.at("table:" + e->table) : e->arn;
    std::string on_failure = e->on_failure;
    if (!on_failure.empty() && !on_failure.starts_with("arn:"))
      on_failure = stream_arns.at("queue:" + on_failure);
    desired.push_back(desired_stream_mapping(*e, arn, on_failure));
  }
  // Where to start reading is fixed once the mapping exists, so it is not compared.
  return reconcile_mappings(client, f, std::move(desired), function_existed, target,
                            is_table_stream_arn, same_stream_mapping);
}

std::vector<lambda::EventSourceMapping> remove_stream_mappings(lambda::LambdaClient& client,
                                                               const manifest::Function& f,
                                                               const std::string& function_arn) {
  return remove_mappings(client, f, function_arn, is_table_stream_arn);
}

bool is_sqs_arn(std::string_view arn) {
  return arn.starts_with("arn:") && arn.find(":sqs:") != std::string_view::npos;
}

bool sync_queue_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::map<std::string, std::string>& queue_arns,
                         bool function_existed, const MappingTarget& target) {
  std::vector<lambda::EventSourceMapping> desired;
  for (const auto* e : manifest::events_of<manifest::SqsEvent>(f.events))
    desired.push_back(desired_queue_mapping(*e, queue_arns.at(e->queue)));
  return reconcile_mappings(client, f, std::move(desired), function_existed, target, is_sqs_arn,
                            same_mapping);
}

std::vector<lambda::EventSourceMapping> remove_queue_mappings(lambda::LambdaClient& client,
                                                              const manifest::Function& f,
                                                              const std::string& function_arn) {
  return remove_mappings(client, f, function_arn, is_sqs_arn);
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

}  // namespace fx::targets::aws
