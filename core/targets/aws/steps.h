// The steps of `fx deploy`, `fx info` and `fx remove` with --target aws, one file per kind of
// AWS resource they manage: functions (functions.cpp), function URLs (function_url.cpp), the
// IAM role and its inline policy (role.cpp), EventBridge schedule rules (schedules.cpp), SQS
// queues of `resources` (queues.cpp), SQS event source mappings (event_source_mappings.cpp)
// and event invoke configs (event_invoke_config.cpp), API Gateway APIs for the routes
// (api_gateway.cpp, http_api.cpp, rest_api.cpp); deploy.cpp runs them in order. Internal
// to this folder: core/targets/aws/deploy.h is what the rest of fx calls.
//
// Deploying to AWS is a sequence of small idempotent calls per function, each of which may
// have to wait for Lambda (a new function is Pending, an update InProgress, a fresh role not
// yet assumable).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/aws/events.h"
#include "core/aws/service.h"
#include "core/bundle/bundle.h"
#include "core/lambda/client.h"
#include "core/manifest/service.h"
#include "core/targets/aws/deploy.h"
#include "core/util/error.h"

namespace fx::targets::aws {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// IAM is eventually consistent: a role just created is usually assumable within seconds.
constexpr auto kRoleWait = 30s;
// On a function whose URL fx made (for its http events): the URL is fx's to delete when the
// events go, never one made by hand on a function without them.
constexpr const char* kUrlTag = "fx:url";
// Likewise on a function whose asynchronous settings (retries, destinations) fx set.
constexpr const char* kAsyncTag = "fx:async";
// On a function with schedule (sqs) events: only such a function, or one that had them, can
// have rules (mappings) to sync, so a redeploy lists them for no other.
constexpr const char* kSchedulesTag = "fx:schedules";
constexpr const char* kQueuesTag = "fx:sqs";
constexpr const char* kStreamsTag = "fx:streams";

inline bool has_events(const manifest::Function& f, std::string_view type) {
  return std::any_of(f.events.begin(), f.events.end(),
                     [&](const auto& e) { return manifest::event_type(e) == type; });
}

inline bool has_http_events(const manifest::Function& f) {
  return has_events(f, "http") || has_events(f, "httpApi");
}

inline bool role_not_assumable(const lambda::ApiError& e) {
  return e.type() == "InvalidParameterValueException" &&
         std::string_view(e.what()).find("cannot be assumed") != std::string_view::npos;
}

// Lambda checks the role's policies when a queue mapping is made: a policy attached a moment
// ago is not seen yet ("The function execution role does not have permissions to call
// ReceiveMessage on SQS").
inline bool role_cannot_read_queue(const lambda::ApiError& e) {
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

// --- role.cpp ---------------------------------------------------------------------------------

// provider.iam.role as it is, else the role fx makes for the service (created with the basic
// execution policy, and the SQS one when a function has sqs events), found or created.
AwsRole ensure_role(const manifest::Service& service, const fx::aws::AwsSettings& settings);

// The inline policy of the role fx made: allowed to send to every destination of the
// service, and nothing else. Put only when it differs; deleted when there are none. A role
// created a moment ago has none to read.
void sync_destination_policy(const fx::aws::AwsSettings& settings, const AwsRole& role,
                             const std::map<std::string, lambda::EventInvokeConfig>& async);

// The inline policy of the role fx made that lets the service's functions read and write the
// tables of `resources` and their indexes (fx ignores provider.iam statements, so a function
// of a todo API would otherwise be denied its own table). As sync_destination_policy: put only
// when it differs, deleted when there are no tables.
void sync_table_policy(const fx::aws::AwsSettings& settings, const AwsRole& role,
                       const std::vector<std::string>& table_arns);

// Deletes the role fx made for the service (never the manifest's, never one without fx's tag),
// after its policies; what is kept goes to out.warnings.
void remove_default_role(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                         AwsRemoval& out);

// --- queues.cpp -------------------------------------------------------------------------------

// The queue an sqs event names: a queue of `resources` by its logical ID (Fn::GetAtt) is
// that queue's name.
std::string resource_queue_name(const manifest::Service& service, const std::string& queue);

// The SQS queues of `resources`, as CloudFormation would make them: created (tagged as the
// service's) with their VisibilityTimeout and RedrivePolicy, updated when one differs, and
// used as they are when they exist and fx did not make them. Returns each one's ARN by name.
std::map<std::string, std::string> sync_resource_queues(const manifest::Service& service,
                                                        const fx::aws::AwsSettings& settings,
                                                        AwsDeploy& out);

// The ARN of every queue the functions' sqs events name, looked up before anything is
// deployed so that a missing queue changes nothing. A queue given by Fn::GetAtt is named by
// its logical ID: the queue of `resources` with that ID, whose name is looked up. Queues of
// `resources` are left out: fx creates them (sync_resource_queues).
std::map<std::string, std::string> resolve_queue_arns(
    const manifest::Service& service, const std::vector<const manifest::Function*>& fs,
    const fx::aws::AwsSettings& settings);

// Deletes the queues of `resources` that fx made (their messages go with them, as with
// CloudFormation); the others are named in out.warnings.
void remove_resource_queues(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                            AwsRemoval& out);

// --- tables.cpp -------------------------------------------------------------------------------

struct AwsTableState {
  std::string arn;
  std::string stream_arn;  // LatestStreamArn; "" without a stream
};

// The DynamoDB tables of `resources`, as CloudFormation would keep them: created (tagged as the
// service's) and waited for until ACTIVE; brought to the manifest's settings when fx made them
// (capacity, global indexes one per call, stream, time to live, tags); used as they are, with a
// warning, when fx did not. A key schema DynamoDB cannot change stops the deploy before any
// table changes. Returns each one's state by name.
std::map<std::string, AwsTableState> sync_resource_tables(const manifest::Service& service,
                                                          const fx::aws::AwsSettings& settings,
                                                          AwsDeploy& out);

// Each table of `resources` as DynamoDB has it (fx info).
std::vector<AwsTableInfo> describe_tables(const manifest::Service& service,
                                          const fx::aws::AwsSettings& settings);

// Deletes the tables of `resources` that fx made, unless their DeletionPolicy (or deletion
// protection) keeps them; what is kept is named in out.warnings.
void remove_resource_tables(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                            AwsRemoval& out);

// What became of the tables fx made for the service that its manifest no longer names.
struct DroppedTables {
  std::vector<std::string> deleted;
  std::vector<std::string> kept;
  std::vector<std::string> warnings;  // each kept table, and why; a ListTables denied
};

// The tables fx made for the service and stage (both its tags with their values, found among the
// account's by ListTables and ListTagsOfResource) that the manifest no longer names: deleted, as
// CloudFormation deletes a resource that leaves the template; kept, and no longer tagged as the
// service's, when their DeletionPolicy kept them when fx last deployed them (its fx:retain tag)
// or fx recorded none; kept, still the service's, while deletion protection is on (`command`,
// "deploy" or "remove", is what to run again once it is off). Never a table without both tags.
DroppedTables remove_dropped_tables(const manifest::Service& service,
                                    const fx::aws::AwsSettings& settings, std::string_view command);

// --- event_invoke_config.cpp ------------------------------------------------------------------

// Each function's asynchronous settings, for those that have any: its destinations as ARNs,
// given as ARNs or as another function of the service (its key or name, as the Serverless
// Framework allows), which becomes that function's ARN in the role's account. Throws
// fx::Error for a destination that is neither.
std::map<std::string, lambda::EventInvokeConfig> async_configs(const manifest::Service& service,
                                                               const std::string& role_arn,
                                                               const std::string& region);

// maximumRetryAttempts, maximumEventAge and destinations as Lambda's event invoke
// configuration: put when it differs, deleted when the manifest dropped settings fx had put.
// Returns whether anything changed.
bool sync_event_invoke_config(lambda::LambdaClient& client, const manifest::Function& f,
                              const std::optional<lambda::FunctionConfiguration>& current,
                              const std::map<std::string, lambda::EventInvokeConfig>& async);

// --- function_url.cpp -------------------------------------------------------------------------

// The function URL a function's `url:` asks for, made or brought up to date; returns it.
std::string ensure_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                                bool existed);

// Deletes the URL fx made for a function (its `url:` left the manifest, or an earlier fx made
// it for the http events API Gateway serves now), its policy statements and its mark.
void delete_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::string& function_arn);

// --- api_gateway.cpp, http_api.cpp, rest_api.cpp ----------------------------------------------

// The service's routes as API Gateway APIs (an HTTP API for httpApi events, a REST API for
// http events), made, brought up to date, or deleted when it has none left; their route lines
// go to each function's routes and the APIs to out.apis.
void sync_api_gateway(const manifest::Service& service, const lambda::Endpoint& endpoint,
                      AwsDeploy& out);
std::vector<AwsApi> describe_apis(const manifest::Service& service,
                                  const fx::aws::AwsSettings& settings,
                                  std::map<std::string, std::vector<std::string>>& routes);
// Deletes the APIs fx made for the service; returns "HTTP API ID" / "REST API ID".
std::vector<std::string> remove_apis(const manifest::Service& service,
                                     const fx::aws::AwsSettings& settings);

// --- schedules.cpp ----------------------------------------------------------------------------

// The rules fx made for the function's schedule events, by name.
std::map<std::string, fx::aws::EventRule> rules_of(fx::aws::EventBridgeClient& events,
                                                   const manifest::Service& service,
                                                   const manifest::Function& f);

// One rule per schedule event, its target the function (its alias `qualifier`, when given:
// the framework's `provisioned` for a function with provisioned concurrency), and the statement
// of that function's (alias's) policy that lets EventBridge invoke it for that rule; rules of
// events no longer in the manifest go. Everything is read first, so an unchanged service is
// only read. Returns whether anything changed.
bool sync_schedules(lambda::LambdaClient& client, fx::aws::EventBridgeClient& events,
                    const manifest::Service& service, const manifest::Function& f,
                    const std::string& function_arn, bool function_existed,
                    const std::string& qualifier = "");

// Deletes the rules fx made for the function (with their targets); returns their names.
std::vector<std::string> remove_schedules(fx::aws::EventBridgeClient& events,
                                          const manifest::Service& service,
                                          const manifest::Function& f);

// --- event_source_mappings.cpp ----------------------------------------------------------------

bool is_sqs_arn(std::string_view arn);

// One event source mapping per sqs event: created, updated when a setting differs, and
// deleted when its event left the manifest. Every SQS mapping of the function is fx's to
// manage, as the function's configuration is; other sources (streams) are left alone.
// The mappings invoke `target`: the function's name, or its alias `provisioned`'s ARN for a
// function with provisioned concurrency, as the framework wires them (`other` is the one of
// the two that is not the target, whose mappings move to it).
struct MappingTarget {
  std::string target, other;
};
MappingTarget mapping_target(const manifest::Function& f, const std::string& function_arn);

bool sync_queue_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::map<std::string, std::string>& queue_arns,
                         bool function_existed, const MappingTarget& target);

bool is_table_stream_arn(std::string_view arn);

// The mapping a dynamodb stream event asks for, on the stream of that ARN; `on_failure` is its
// failure destination's ARN ("" for none).
lambda::EventSourceMapping desired_stream_mapping(const manifest::StreamEvent& event,
                                                  const std::string& stream_arn,
                                                  const std::string& on_failure);

// One event source mapping per stream event, as sync_queue_mappings does for queues: every
// DynamoDB stream mapping of the function is fx's to manage. `stream_arns` maps a stream
// event's table (or ARN) to the stream's ARN, and its onFailure to a destination ARN.
bool sync_stream_mappings(lambda::LambdaClient& client, const manifest::Function& f,
                          const std::map<std::string, std::string>& stream_arns,
                          bool function_existed, const MappingTarget& target);

// Deletes every DynamoDB stream mapping of the function (and of its alias `provisioned`, given
// the function's ARN); returns them.
std::vector<lambda::EventSourceMapping> remove_stream_mappings(lambda::LambdaClient& client,
                                                               const manifest::Function& f,
                                                               const std::string& function_arn);

// Deletes every SQS event source mapping of the function (and of its alias); returns them.
std::vector<lambda::EventSourceMapping> remove_queue_mappings(lambda::LambdaClient& client,
                                                              const manifest::Function& f,
                                                              const std::string& function_arn);

// --- functions.cpp ----------------------------------------------------------------------------

// What a function's deploy needs besides its own configuration and zip.
struct FunctionDeployContext {
  const manifest::Service& service;
  const fx::aws::AwsSettings& settings;
  const std::map<std::string, std::string>& queue_arns;  // an sqs event's queue → its ARN
  // a stream event's table (or ARN) → its stream's ARN, and its onFailure → that ARN
  const std::map<std::string, std::string>& stream_arns;
  const std::map<std::string, lambda::EventInvokeConfig>& async;  // by function key
  bool force = false;
};

// Creates or updates one function (code when its zip changed, configuration when a managed
// setting differs, reserved concurrency), then its URL, schedules, queue mappings and event
// invoke config.
actions::DeployResult deploy_function(lambda::LambdaClient& client, const manifest::Function& f,
                                      const bundle::Artifact& artifact,
                                      const lambda::FunctionConfiguration& desired,
                                      const FunctionDeployContext& context);

// Deletes one of the service's functions with the schedule rules and SQS event source
// mappings fx made for it: neither goes with the function on AWS (a rule would fire into
// nothing, a mapping would stay, disabled, on its queue). Its URL, permissions and
// concurrency do go with it.
void remove_function(lambda::LambdaClient& client, fx::aws::EventBridgeClient& events,
                     const manifest::Service& service, const manifest::Function& f,
                     AwsRemoval& out);

// A stand-in manifest entry for a function the manifest no longer has: its rules and
// mappings are found by its key and deployed name.
manifest::Function stale_entry(const actions::StaleFunction& stale);

}  // namespace fx::targets::aws
