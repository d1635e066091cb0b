// `fx deploy`: package each function and push only what changed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/lambda/client.h"
#include "core/manifest/events_json.h"
#include "core/manifest/service.h"

namespace fx::actions {

struct LayerResult {
  std::string layer;        // manifest key
  std::string version_arn;  // the version functions use
  std::string status;       // published, unchanged
  std::uint64_t zip_bytes = 0;
  std::vector<std::string> warnings;  // packaging's: links out of the service skipped
};

// Packages the service's top-level layers and publishes a new version of each one whose zip
// changed since its newest version.
std::vector<LayerResult> deploy_layers(const manifest::Service& service,
                                       lambda::LambdaClient& client);

// A package a function imports that Lambda's runtime provides and its bundle does not hold.
struct RuntimePackage {
  std::string package;   // "@aws-sdk/client-sts"
  std::string function;  // manifest key
  std::string runtime;
};

struct DeployOptions {
  std::vector<std::string> functions;             // manifest keys; empty: all
  bool force = false;                             // push code even when unchanged
  std::map<std::string, std::string> layer_arns;  // layer key → version ARN (deploy_layers)
  // Called once packaged, before any function is deployed, with what the functions import
  // from their runtime's SDK (the local emulator installs what it lacks); may throw.
  std::function<void(const std::vector<RuntimePackage>&)> provide_runtime_packages;
};

struct DeployResult {
  std::string function;  // manifest key
  std::string name;      // deployed name
  std::string status;    // created, updated, unchanged; removed: gone from the manifest
  std::uint64_t zip_bytes = 0;
  std::string sha256;  // hex
  // The version published (or already published) of the code deployed; empty when the
  // function publishes none (versionFunctions: false), version_status "published"/"unchanged".
  std::string version, version_status;
  std::vector<std::string> routes;
  std::vector<std::string> warnings;
};

// The configuration a function should have on the target.
lambda::FunctionConfiguration desired_configuration(
    const manifest::Service& service, const manifest::Function& function,
    const std::map<std::string, std::string>& layer_arns = {});

// The tags fx puts on what it makes for a service (fx:service, fx:stage), and whether a
// resource carries them for this service and stage: fx changes and deletes only those.
std::map<std::string, std::string> service_tags(const manifest::Service& service);
bool made_for(const std::map<std::string, std::string>& tags, const manifest::Service& service);

// The tags fx puts on every function it deploys: the service's, and the manifest key it was
// deployed for (fx:function). They tell fx's functions from others with a similar name.
std::map<std::string, std::string> function_tags(const manifest::Service& service,
                                                 const manifest::Function& function);

// Adds the tags of `desired` that `current` lacks (functions deployed before fx tagged them);
// changes nothing when they are all there.
void ensure_tags(lambda::LambdaClient& client, const lambda::FunctionConfiguration& current,
                 const lambda::FunctionConfiguration& desired);

struct StaleFunction {
  std::string function;  // the manifest key it was deployed for
  std::string name;      // deployed name
};

// The functions fx deployed for this service and stage that its manifest no longer has, as
// the Serverless Framework finds them in its stack: named SERVICE-STAGE-..., the default
// naming, and tagged by fx as the service's (a function given its own `name:` and then
// deleted from the manifest is not found).
std::vector<StaleFunction> stale_functions(const manifest::Service& service,
                                           lambda::LambdaClient& client);

// The functions' warnings as `fx deploy` prints them, each line once: "FUNCTION: what", or, for
// one about a runtime that all its functions share ("python3.9: no Python 3.9 found ..."),
// just the line.
std::vector<std::string> function_warning_lines(const std::vector<DeployResult>& results);

// Packaging's warnings about the service (links out of it skipped) go to `warnings`.
std::vector<DeployResult> deploy_service(const manifest::Service& service,
                                         lambda::LambdaClient& client, const DeployOptions& options,
                                         std::vector<std::string>* warnings = nullptr);

// The API keys of an fx emulator's answer about a service ({"api_keys": [{name, value,
// enabled, usage_plan}]}, of PUT or GET /_fx/v1/services/NAME).
std::vector<manifest::ApiKey> api_keys_of(std::string_view answer_json);

// What makes the service's functions run besides direct calls (routes, schedules, queues,
// asynchronous settings), as the fx emulator's PUT /_fx/v1/services/NAME takes it.
manifest::ServiceEvents service_events(const manifest::Service& service);
std::string service_events_json(const manifest::Service& service);

// Every http/httpApi route as "METHOD URL" on the gateway at `gateway_url`, with the
// function key it runs: (key, line).
std::vector<std::pair<std::string, std::string>> route_urls(const manifest::Service& service,
                                                            const std::string& gateway_url);

// Everything `fx deploy` does on an fx emulator: layers, functions, then the service's event
// sources (routes get their full URLs); a deploy of the whole service (no -f) then deletes
// the stale functions, reported with the status "removed".
struct ServiceDeploy {
  std::vector<LayerResult> layers;
  std::vector<DeployResult> functions;
  std::string gateway_url;
  std::string alb_url;                     // where alb events' listeners answer
  std::string api_key;                     // for private routes; empty without any
  std::vector<manifest::ApiKey> api_keys;  // provider.apiGateway.apiKeys, with their values
  std::vector<std::string> warnings;       // the emulator's, about the service as a whole
};
ServiceDeploy deploy_to_emulator(const manifest::Service& service, const lambda::Endpoint& endpoint,
                                 DeployOptions options);

// The functions selected by -f (keys or deployed names); throws a usage error naming an
// unknown one and listing the known ones.
std::vector<const manifest::Function*> select_functions(const manifest::Service& service,
                                                        const std::vector<std::string>& names);

}  // namespace fx::actions
