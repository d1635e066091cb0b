// `fx deploy`, `fx info` and `fx remove` with --target aws: the service's functions on AWS
// Lambda itself, run by an execution role and reachable through function URLs, pushing only
// what changed. Calls go straight to the Lambda and IAM APIs (no CloudFormation).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/actions/deploy.h"
#include "core/lambda/client.h"
#include "core/manifest/service.h"

namespace fx::actions {

struct AwsRole {
  std::string name;
  std::string arn;
  std::string status;  // "manifest" (provider.iam.role), "created", "existing"
};

struct AwsDeploy {
  AwsRole role;
  std::vector<LayerResult> layers;
  std::vector<DeployResult> functions;  // routes: the function URL of http/httpApi functions
  std::vector<std::string> warnings;    // about the service: what fx does not deploy to AWS
};

// Packages the selected functions and deploys them to the Lambda of `endpoint` (whose aws
// settings must be set): the role (provider.iam.role, else SERVICE-STAGE-REGION-lambdaRole,
// created with the basic execution policy when missing), layers, then each function:
// created, or its code uploaded only when the zip's SHA-256 differs from CodeSha256 (or
// with options.force) and its configuration updated only when a managed setting differs,
// waiting for Lambda to finish each step; reserved concurrency; a function URL for
// http/httpApi functions. Several functions are deployed at once. Throws fx::Error naming
// the function that failed (the others are deployed).
AwsDeploy deploy_to_aws(const manifest::Service& service, const lambda::Endpoint& endpoint,
                        DeployOptions options);

// The role fx creates when the manifest names none, named as the Serverless Framework names
// its own: SERVICE-STAGE-REGION-lambdaRole.
std::string default_role_name(const manifest::Service& service, const std::string& region);

struct AwsFunctionInfo {
  std::string function;                                 // manifest key
  std::string name;                                     // deployed name
  std::optional<lambda::FunctionConfiguration> config;  // nullopt: not deployed
  std::optional<lambda::FunctionUrlConfig> url;
};

// Each of the service's functions as AWS has it, with its URL.
std::vector<AwsFunctionInfo> describe_on_aws(const manifest::Service& service,
                                             const lambda::Endpoint& endpoint);

struct AwsRemoval {
  std::vector<std::string> functions;  // deployed names deleted
  std::vector<std::string> layers;     // "NAME:VERSION" deleted
  std::string role;                    // the role deleted, or ""
  std::vector<std::string> warnings;   // what was kept, and why
};

// Deletes the service's functions (their URLs, permissions and concurrency go with them),
// every version of its layers, and the default role when fx created it (never a role the
// manifest names).
AwsRemoval remove_from_aws(const manifest::Service& service, const lambda::Endpoint& endpoint);

}  // namespace fx::actions
