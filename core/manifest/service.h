// The Service model: what a serverless.yaml says, with variables resolved, defaults applied
// and every value validated. Everything after the manifest (bundle, deploy, emulator) reads
// this, never the YAML.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/manifest/api_keys.h"
#include "core/manifest/events.h"
#include "core/manifest/mark.h"

namespace fx::manifest {

// A top-level `layers` entry: code shared by functions, packaged on its own and unpacked
// under /opt (on the emulator: the folder the runtime adds to its import paths).
struct Layer {
  std::string key;   // the manifest key: "commonLibs"
  std::string name;  // the published name: `name:` or "SERVICE-STAGE-KEY"
  std::string path;  // folder, relative to the service folder
  std::string description;
  std::vector<std::string> compatible_runtimes;
  SourceMark mark;
};

struct Function {
  std::string key;      // the manifest key: "hello"
  std::string name;     // the deployed name: "SERVICE-STAGE-KEY" unless `name:` overrides it
  std::string handler;  // "path/to/file.export"
  std::string runtime;  // "python3.11", "nodejs20.x", "provided.al2", ...
  int memory_mb = 1024;
  int timeout_s = 6;
  std::string architecture = "x86_64";  // or "arm64"
  std::string description;
  std::map<std::string, std::string> environment;  // provider's merged with the function's
  std::optional<int> max_retry_attempts;           // maximumRetryAttempts (asynchronous calls)
  std::optional<int> max_event_age_s;              // maximumEventAge (asynchronous calls)
  // logRetentionInDays (the function's, else the provider's): how long CloudWatch Logs keeps
  // its logs; unset: forever.
  std::optional<int> log_retention_days;
  std::string on_failure;     // destinations.onFailure: an ARN, or a function's key or name
  std::string on_success;     // destinations.onSuccess: likewise
  std::vector<Event> events;  // in manifest order (core/manifest/events.h)
  std::optional<int> reserved_concurrency;
  // provisionedConcurrency: N instances kept warm on the alias `provisioned`, which points at
  // the version each deploy publishes (also without versionFunctions, as the framework does).
  std::optional<int> provisioned_concurrency;
  std::optional<bool> version_function;  // versionFunction: overrides provider.versionFunctions
  int ephemeral_storage_mb = 512;        // ephemeralStorageSize: the size of its /tmp
  std::vector<std::string> package_patterns;  // the function's own package.patterns/include/exclude
  std::string package_artifact;               // a prebuilt zip used as is
  // Layers in order: a key of Service::layers (from `Ref: KeyLambdaLayer` or the key itself)
  // or a layer version ARN used as is.
  std::vector<std::string> layers;
  // `url`: a function URL of its own (the framework's `url: true`, or `url: {authorizer:
  // aws_iam, cors: true | {...}, invokeMode}`), made on the emulator and on AWS (there on the
  // alias `provisioned` of a function with provisioned concurrency).
  struct Url {
    std::string auth_type = "NONE";  // or AWS_IAM
    std::string invoke_mode = "BUFFERED";
    std::string cors_json;  // Lambda's Cors object as JSON; "" for none
  };
  std::optional<Url> url;
  SourceMark mark;  // where the function's key is
};

// An AWS::SQS::Queue of `resources`: the emulator creates it, with its dead-letter queue.
struct QueueResource {
  std::string logical_id;
  std::string name;
  int visibility_timeout_s = 30;
  int max_receive_count = 0;      // RedrivePolicy.maxReceiveCount; 0: no redrive
  std::string dead_letter_queue;  // the DLQ's queue name
  // FIFO queues (FifoQueue: true, a ".fifo" name): ContentBasedDeduplication.
  bool content_based_deduplication = false;
};

// An AWS::DynamoDB::Table of `resources`: fx creates it (locally on the emulator, on AWS with
// DynamoDB), updates it when a setting changes, and deletes it with the service.
struct TableResource {
  std::string logical_id;
  std::string name;  // TableName; see manifest.cpp for the name given when it is unset
  // The table as a DynamoDB CreateTable request (CloudFormation's properties are the same
  // shape): TableName, KeySchema, AttributeDefinitions, BillingMode, ProvisionedThroughput,
  // GlobalSecondaryIndexes, LocalSecondaryIndexes, StreamSpecification, Tags. One document
  // serves both targets: the emulator's CreateTable and AWS's read the same JSON.
  std::string create_json;
  std::string ttl_attribute;  // TimeToLiveSpecification.AttributeName when Enabled; "" if off
  // What CreateTable does not take: PointInTimeRecoverySpecification (its own call on AWS), and
  // the properties fx does not deploy to AWS yet (named when it skips them). Unused locally.
  bool point_in_time_recovery = false;
  std::vector<std::string> not_deployed;
  bool retain = false;  // DeletionPolicy: Retain (or RetainExceptOnCreate): fx remove keeps it
  SourceMark mark;
};

struct Service {
  std::filesystem::path dir;            // the service folder (absolute)
  std::filesystem::path manifest_path;  // absolute path of serverless.yaml
  std::string name;
  std::string stage = "dev";
  std::string region = "us-east-1";
  bool region_explicit = false;     // from --region or provider.region, not the default
  std::string runtime;              // provider.runtime (may be empty when every function sets one)
  std::vector<Function> functions;  // in manifest order
  std::vector<Layer> layers;        // in manifest order
  std::vector<std::string> package_patterns;  // service-wide, in order; "!" excludes
  bool package_individually = false;
  bool exclude_dev_dependencies = true;
  // provider.versionFunctions (the framework's default, true): each deploy publishes a version
  // of every function whose code or configuration changed.
  bool version_functions = true;
  std::string custom_fx_json = "{}";  // custom.fx as JSON text (fx settings)
  // Build plugins' settings as JSON text, by their custom key ("esbuild", "webpack",
  // "pythonRequirements", "wsgi"): what core/bundle/build_plugins.h honours.
  std::map<std::string, std::string> custom_build_json;
  std::vector<std::string> plugins;   // `plugins:` names, in order
  std::vector<QueueResource> queues;  // from resources.Resources
  std::vector<TableResource> tables;  // from resources.Resources
  std::string target;                 // custom.fx.target, empty when unset
  // custom.fx.albPort: the port of the service's own local ALB listener (0: unset, its alb
  // events are served on the emulator's shared ALB port only), and where it is set.
  int alb_port = 0;
  SourceMark alb_port_mark;
  // custom.fx.interpreters: a runtime id -> the interpreter that runs it (absolute, checked to
  // exist and be executable; its version is checked at deploy), and where the manifest says so.
  struct Interpreter {
    std::string path;
    std::string where;  // "serverless.yaml:12:16: custom.fx.interpreters.python3.9"
  };
  std::map<std::string, Interpreter> interpreters;
  // provider.iam.role as an ARN or a role name: what functions run as on AWS; empty: a role
  // fx creates. iam_role_error: why it could not be read (an error for AWS deploys only).
  std::string iam_role;
  std::string iam_role_error;
  SourceMark iam_role_mark;
  std::string http_api_payload = "2.0";  // provider.httpApi.payload: httpApi events' format
  // provider.httpApi.authorizers as JSON text, and where it is: what httpApi events'
  // `authorizer:` names (core/manifest/authorizers.h reads it).
  std::string http_api_authorizers_json = "{}";
  SourceMark http_api_authorizers_mark;
  // provider.apiGateway.apiKeys and usagePlan (or the older provider.apiKeys, usagePlan): what
  // `private: true` routes take instead of the one key the emulator makes when there are none.
  ApiKeys api_keys;
  std::vector<std::string> warnings;  // unknown keys, events that only run on AWS, ...

  const Function* find_function(std::string_view key_or_name) const;
};

}  // namespace fx::manifest
