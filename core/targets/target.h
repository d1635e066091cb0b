// Where fx deploys and runs a service, behind one interface: the fx emulator (the local one,
// found or started on demand, or a shared one by URL) or AWS. Each command calls one
// operation and prints what it returns; the result types say what a target reported, so the
// printing follows the data and never asks which kind of target answered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/actions/deploy.h"
#include "core/actions/target.h"
#include "core/lambda/client.h"
#include "core/lambda/fx_api.h"
#include "core/manifest/service.h"
#include "core/targets/aws/deploy.h"
#include "core/usage/cost_report.h"
#include "core/usage/pricing.h"
#include "core/usage/report.h"

namespace fx::targets {

// `fx deploy`.
struct Deployment {
  std::optional<aws::AwsRole> role;   // the execution role, on targets that run functions as one
  std::vector<aws::AwsQueue> queues;  // the queues of `resources` the target keeps
  std::vector<aws::AwsTable> tables;  // the DynamoDB tables of `resources` the target keeps
  std::vector<actions::LayerResult> layers;
  std::vector<actions::DeployResult> functions;
  // What each function's `routes` are: its function URL (one per function), or the lines of
  // the HTTP gateway's routing table that run it.
  bool function_urls = false;
  std::string api_key;                     // for the gateway's private routes; empty without any
  std::vector<manifest::ApiKey> api_keys;  // provider.apiGateway.apiKeys, with their values
  std::vector<std::string> warnings;       // about the service (per function: in `functions`)
  std::vector<aws::AwsApi> apis;           // API Gateway APIs made for the routes (AWS)
};

// `fx info`.
struct InstanceCounts {  // the fx emulator's pool, for one function
  int busy = 0, idle = 0;
  int invocations = 0, cold_starts = 0, errors = 0, timeouts = 0, throttles = 0;
};

// What a cloud keeps for a function beyond its configuration, made by fx from its events.
struct CloudResources {
  std::optional<lambda::FunctionUrlConfig> url;
  std::vector<fx::aws::EventRule> schedules;       // EventBridge rules of its schedule events
  std::vector<lambda::EventSourceMapping> queues;  // its SQS event source mappings
};

struct FunctionInfo {
  std::string function;                                 // manifest key
  std::string name;                                     // deployed name
  std::optional<lambda::FunctionConfiguration> config;  // nullopt: not deployed
  std::optional<InstanceCounts> instances;              // deployed, and reported by the emulator
  std::optional<CloudResources> cloud;                  // deployed, on a cloud (AWS)
};

// A schedule as the fx emulator runs it: the line of its status answer and the parts shown.
struct ScheduleState {
  std::string function;  // deployed name
  std::string expression;
  bool enabled = true;
  std::optional<std::string> next;  // ISO 8601; nullopt: it never fires again
  std::string raw_json;             // the whole entry, as the emulator sent it
};

// What an fx emulator says about itself and the service (the local one only: a remote
// emulator is not asked, and leaves these empty).
struct EmulatorState {
  std::string sandbox;  // how it isolates instances; empty: not said
  std::string gateway_url;
  std::vector<ScheduleState> schedules;  // the service's
};

struct Route {
  std::string function;  // manifest key
  std::string route;     // "GET    http://127.0.0.1:3000/dev/hello", or a function URL
  bool function_url = false;
};

struct ServiceInfo {
  std::string region;
  std::string endpoint;
  std::vector<FunctionInfo> functions;
  std::vector<Route> routes;
  std::optional<EmulatorState> emulator;   // on an fx emulator
  std::vector<aws::AwsTableInfo> tables;   // the DynamoDB tables of `resources` (on AWS)
  std::vector<manifest::ApiKey> api_keys;  // the gateway's (fx emulator), with their values
  std::vector<aws::AwsApi> apis;           // the API Gateway APIs of its routes (on AWS)
};

// `fx remove`.
struct RemovedResources {              // what went with the functions, one by one
  std::vector<std::string> layers;     // "NAME:VERSION"
  std::vector<std::string> schedules;  // rule names
  std::vector<lambda::EventSourceMapping> queue_mappings;   // deleted
  std::vector<std::string> queues;                          // the queues of `resources`
  std::string role;                                         // the role deleted, or ""
  std::vector<lambda::EventSourceMapping> stream_mappings;  // deleted
};

struct Removal {
  std::vector<std::string> functions;  // deployed names deleted
  // nullopt when the target takes the service's event sources down as a whole without
  // listing them (the fx emulator).
  std::optional<RemovedResources> resources;
  std::vector<std::string> tables;    // the DynamoDB tables of `resources` deleted, on any target
  std::vector<std::string> warnings;  // what was kept, and why
  std::vector<std::string> apis;      // API Gateway APIs deleted: "HTTP API ID", "REST API ID"
};

// `fx logs`.
struct LogQuery {
  std::string function;  // deployed name
  std::int64_t since_ms = 0;
  std::string filter;
  std::int64_t tail = 0;  // only the last N lines (0: all)
  bool follow = false;
  std::string architecture;  // the manifest's: AWS's REPORT lines do not say it (empty: x86_64)
  std::string known;         // the manifest's function keys, for the error when FN has no logs
};
using LogVisitor = std::function<void(const lambda::LogEvent&)>;

// `fx cost`.
struct CostQuery {
  usage::CostRequest request;
  usage::PriceTable prices;
  std::string pricing_document;  // `prices` as JSON text to send on (empty: the built-in table)
  // Deployed name → architecture, from the manifest: AWS's REPORT lines do not say it.
  std::map<std::string, std::string> architectures;
};

// `fx invoke`.
struct InvokeQuery {
  lambda::InvokeRequest request;
  std::string known;  // the manifest's function keys, for the error when FN is not deployed
};

struct Invocation {
  lambda::InvokeResult result;
  std::optional<usage::ReportRecord> report;  // the REPORT line of the log tail, when it has one
};

// The last REPORT line of an invocation's log tail, read back.
std::optional<usage::ReportRecord> report_of(std::string_view log_tail);

class Target {
 public:
  explicit Target(lambda::Endpoint endpoint) : endpoint_(std::move(endpoint)) {}
  virtual ~Target() = default;
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  // Where calls go (url, region, credentials).
  const lambda::Endpoint& endpoint() const { return endpoint_; }
  // The target as `fx deploy` names it: the emulator's URL, or "AWS Lambda at URL".
  virtual std::string description() const = 0;
  // Opening the target started the local emulator.
  virtual bool started_emulator() const { return false; }

  // Packages the service's (selected) functions and deploys what changed, with the
  // service's layers and event sources.
  virtual Deployment deploy(const manifest::Service& service,
                            const actions::DeployOptions& options) = 0;
  // What of the service is deployed. Asks everything before returning, so a failing call
  // (a wrong token) leaves nothing half printed.
  virtual ServiceInfo info(const manifest::Service& service) = 0;
  // Deletes the service's functions (also those gone from the manifest) and event sources.
  virtual Removal remove(const manifest::Service& service) = 0;
  // Hands a function's log lines to `each`, oldest first, calling `batch_done` after each
  // batch. With query.follow it waits for new lines and never returns. Throws fx::Error
  // when the function has no logs there.
  virtual void logs(const LogQuery& query, const LogVisitor& each,
                    const std::function<void()>& batch_done) = 0;
  // The report `fx cost --json` prints (before --provider keeps some of its clouds).
  virtual std::string cost(const CostQuery& query) = 0;
  // Both the fx emulator and AWS serve Lambda's Invoke API. Throws fx::Error naming the
  // function and the target when it is not deployed there.
  virtual Invocation invoke(const InvokeQuery& query);

 protected:
  lambda::Endpoint endpoint_;
};

// The target of `options` (see actions::resolve_target), ready for calls: for the local
// emulator, the running one, else one started when options.start_local. Throws fx::Error.
std::unique_ptr<Target> open_target(const actions::TargetOptions& options);

}  // namespace fx::targets
