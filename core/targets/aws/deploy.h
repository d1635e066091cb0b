// `fx deploy`, `fx info` and `fx remove` with --target aws: the service's functions on AWS
// Lambda itself, run by an execution role, reachable through function URLs, run on their
// schedules by EventBridge rules and fed by their SQS queues through event source mappings,
// pushing only what changed. Calls go straight to the Lambda, IAM, EventBridge and SQS APIs
// (no CloudFormation). Implemented in this folder, one file per kind of resource (steps.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/actions/deploy.h"
#include "core/aws/events.h"
#include "core/lambda/client.h"
#include "core/manifest/service.h"

namespace fx::targets::aws {

struct AwsRole {
  std::string name;
  std::string arn;
  std::string status;  // "manifest" (provider.iam.role), "created", "existing"
};

struct AwsQueue {
  std::string name;
  std::string status;  // created, updated, unchanged; existing: not fx's, used as it is
};

struct AwsTable {
  std::string name;
  // created, updated, unchanged; existing: not fx's, used as it is; deleted, kept: fx made it
  // for the service and the manifest dropped it (see remove_dropped_tables in steps.h)
  std::string status;
  std::string stream_arn;  // its stream's LatestStreamArn; "" without a stream
  std::string stream_view_type;
};

// An API Gateway API fx made for the service's routes (core/targets/aws/api_gateway.h).
struct AwsApi {
  std::string kind;  // "HTTP API" (httpApi events) or "REST API" (http events)
  std::string id;
  std::string url;     // its invoke URL; a REST API's with its stage
  std::string status;  // created, updated, unchanged, deleted; "deployed" for fx info
};

struct AwsDeploy {
  AwsRole role;
  std::vector<AwsQueue> queues;  // the SQS queues of `resources`
  std::vector<AwsTable> tables;  // the DynamoDB tables of `resources`, and those it dropped
  std::vector<actions::LayerResult> layers;
  std::vector<AwsApi> apis;  // the HTTP API and REST API of the service's routes
  // routes: each of its API Gateway routes, then its function URL (`url:`)
  std::vector<actions::DeployResult> functions;
  std::vector<std::string> warnings;  // about the service; dropped tables deleted or kept
};

// Packages the selected functions and deploys them to the Lambda of `endpoint` (whose aws
// settings must be set): the role (provider.iam.role, else SERVICE-STAGE-REGION-lambdaRole,
// created with the basic execution policy, and the SQS one when a function has sqs events),
// layers, then each function: created, or its code uploaded only when the zip's SHA-256
// differs from CodeSha256 (or with options.force) and its configuration updated only when a
// managed setting differs, waiting for Lambda to finish each step; reserved concurrency; a
// function URL for a function's `url:`; an EventBridge rule per schedule event and an
// event source mapping per sqs event, each changed only when it differs and deleted when
// its event left the manifest; then the routes of http (httpApi) events as a REST (HTTP) API
// of API Gateway (core/targets/aws/api_gateway.h). A deploy of the whole service then deletes
// its stale functions (see stale_functions) with their rules and mappings, each reported
// "removed", and the tables fx made for it that the manifest dropped, unless their DeletionPolicy
// kept them. Queues named by name are looked up first: a missing one is an error before anything
// changes. Several functions are deployed at once. Throws fx::Error naming the function that failed
// (the others are deployed).
AwsDeploy deploy_to_aws(const manifest::Service& service, const lambda::Endpoint& endpoint,
                        actions::DeployOptions options);

// The role fx creates when the manifest names none, named as the Serverless Framework names
// its own: SERVICE-STAGE-REGION-lambdaRole.
std::string default_role_name(const manifest::Service& service, const std::string& region);

// The EventBridge rules of a function's schedule events are named PREFIX1, PREFIX2, ... with
// this prefix: "SERVICE-STAGE-KEY-schedule-", its front shortened and a hash of the whole
// added when a name could pass EventBridge's 64 characters, and characters a rule name cannot
// hold replaced by '-'. The same function always gets the same names, so a redeploy finds
// its rules, and one function's prefix never lists another's.
std::string schedule_rule_prefix(std::string_view service, std::string_view stage,
                                 std::string_view function_key);

// The event a schedule's target sends, from the event's JSON (ScheduleEvent::config_json):
// `input` as JSON text (a string that holds JSON is used as that JSON, as the Serverless
// Framework does), or "" when there is none.
std::string schedule_input(std::string_view event_config_json);

// The mapping an sqs event asks for: batchSize, maximumBatchingWindow, functionResponseType,
// enabled, on the queue of that ARN.
lambda::EventSourceMapping desired_queue_mapping(const manifest::SqsEvent& event,
                                                 const std::string& queue_arn);

struct AwsFunctionInfo {
  std::string function;                                 // manifest key
  std::string name;                                     // deployed name
  std::optional<lambda::FunctionConfiguration> config;  // nullopt: not deployed
  std::optional<lambda::FunctionUrlConfig> url;
  std::vector<fx::aws::EventRule> schedules;       // the rules fx made for its schedule events
  std::vector<lambda::EventSourceMapping> queues;  // its SQS event source mappings
};

// The service's API Gateway APIs as AWS has them; `routes` gets each one's route lines by
// function key.
std::vector<AwsApi> describe_apis_on_aws(const manifest::Service& service,
                                         const lambda::Endpoint& endpoint,
                                         std::map<std::string, std::vector<std::string>>& routes);

// Each of the service's functions as AWS has it, with its URL, schedules and queues.
std::vector<AwsFunctionInfo> describe_on_aws(const manifest::Service& service,
                                             const lambda::Endpoint& endpoint);

// A table of `resources` as DynamoDB has it, for `fx info`.
struct AwsTableInfo {
  std::string name;
  std::string logical_id;
  bool exists = false;
  std::string status;           // ACTIVE, CREATING, ...
  std::int64_t item_count = 0;  // DynamoDB's count, refreshed about every six hours on AWS
  std::string stream_arn;       // "" without a stream
  std::string stream_view_type;
};

// The service's tables of `resources` on AWS.
std::vector<AwsTableInfo> describe_tables_on_aws(const manifest::Service& service,
                                                 const lambda::Endpoint& endpoint);
// The same from an fx emulator's DynamoDB (endpoint.url): its counts are exact, not AWS's
// six-hourly ones.
std::vector<AwsTableInfo> describe_tables_on_emulator(const manifest::Service& service,
                                                      const lambda::Endpoint& endpoint);

struct AwsRemoval {
  std::vector<std::string> functions;                       // deployed names deleted
  std::vector<std::string> apis;                            // "HTTP API ID" / "REST API ID"
  std::vector<std::string> layers;                          // "NAME:VERSION" deleted
  std::vector<std::string> schedules;                       // EventBridge rule names deleted
  std::vector<lambda::EventSourceMapping> queue_mappings;   // deleted
  std::vector<std::string> queues;                          // the queues of resources deleted
  std::vector<lambda::EventSourceMapping> stream_mappings;  // deleted
  std::vector<std::string> tables;                          // deleted (resources', dropped)
  std::string role;                                         // the role deleted, or ""
  std::vector<std::string> warnings;                        // what was kept, and why
};

// Deletes the service's functions, those of the manifest and its stale ones (their URLs,
// permissions and concurrency go with them), their schedule rules and SQS event source mappings
// (which AWS keeps after the function), every version of its layers, the tables fx made for it
// (those of the manifest and those it dropped, as a deploy does), and the default role when fx
// created it (never a role the manifest names).
AwsRemoval remove_from_aws(const manifest::Service& service, const lambda::Endpoint& endpoint);

}  // namespace fx::targets::aws
