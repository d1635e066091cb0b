// The IAM role the functions run as: provider.iam.role as it is, else one fx creates for the
// service (tagged, so `fx remove` deletes only its own), with the managed policies its events
// need and an inline policy for the functions' destinations.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/iam.h"
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

// Marks the roles fx created, so `fx remove` never deletes one it did not make.
constexpr const char* kRoleTag = "fx:service";
// The inline policy that lets the role fx made send to the functions' destinations.
constexpr const char* kDestinationPolicy = "fx-destinations";
constexpr const char* kTablePolicy = "fx-tables";

// What a function does with its service's tables; table management (CreateTable, ...) is fx's
// at deploy time, not the function's.
constexpr const char* kTableActions[] = {"dynamodb:BatchGetItem",
                                         "dynamodb:BatchWriteItem",
                                         "dynamodb:ConditionCheckItem",
                                         "dynamodb:DeleteItem",
                                         "dynamodb:DescribeTable",
                                         "dynamodb:GetItem",
                                         "dynamodb:PutItem",
                                         "dynamodb:Query",
                                         "dynamodb:Scan",
                                         "dynamodb:UpdateItem",
                                         "dynamodb:DescribeTimeToLive"};
// Reading an SQS queue: what a function fed by one needs besides the basic policy.
constexpr std::string_view kLambdaSqsPolicy =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole";

// Reading a DynamoDB table's stream: DescribeStream, GetRecords, GetShardIterator, ListStreams.
constexpr std::string_view kLambdaDynamoDbPolicy =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole";

bool has_stream_events(const manifest::Service& service) {
  for (const auto& f : service.functions)
    if (manifest::has_events<manifest::StreamEvent>(f.events)) return true;
  return false;
}

bool has_sqs_events(const manifest::Service& service) {
  for (const auto& f : service.functions)
    if (manifest::has_events<manifest::SqsEvent>(f.events)) return true;
  return false;
}

// The managed policies the role fx created should have: logs always, SQS (DynamoDB stream) reads
// when any function of the service (not only those deployed now) is fed by a queue (a stream).
std::vector<std::string_view> role_policies(const manifest::Service& service) {
  std::vector<std::string_view> out{fx::aws::kLambdaBasicExecutionPolicy};
  if (has_sqs_events(service)) out.push_back(kLambdaSqsPolicy);
  if (has_stream_events(service)) out.push_back(kLambdaDynamoDbPolicy);
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

}  // namespace

void sync_destination_policy(const fx::aws::AwsSettings& settings, const AwsRole& role,
                             const std::map<std::string, lambda::EventInvokeConfig>& async) {
  std::map<std::string, std::set<std::string>> by_action;
  for (const auto& [key, c] : async)
    for (const auto& arn : {c.on_failure, c.on_success})
      if (auto action = destination_action(arn)) by_action[std::string(*action)].insert(arn);
  const bool created = role.status == "created";
  if (created && by_action.empty()) return;
  fx::aws::IamClient iam(settings);
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

void sync_table_policy(const fx::aws::AwsSettings& settings, const AwsRole& role,
                       const std::vector<std::string>& table_arns) {
  const bool created = role.status == "created";
  if (created && table_arns.empty()) return;
  fx::aws::IamClient iam(settings);
  auto current = created ? std::nullopt : iam.get_role_policy(role.name, kTablePolicy);
  if (table_arns.empty()) {
    if (current) iam.delete_role_policy(role.name, kTablePolicy);
    return;
  }
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& arn : table_arns) {
    resources.push_back(arn);
    resources.push_back(arn + "/index/*");
  }
  nlohmann::json document = {
      {"Version", "2012-10-17"},
      {"Statement", {{{"Effect", "Allow"}, {"Action", kTableActions}, {"Resource", resources}}}}};
  if (current && nlohmann::json::parse(*current, nullptr, false) == document) return;
  iam.put_role_policy(role.name, kTablePolicy, document.dump());
}

AwsRole ensure_role(const manifest::Service& service, const fx::aws::AwsSettings& settings) {
  if (!service.iam_role_error.empty())
    throw Error(service.iam_role_error,
                "for --target aws, provider.iam.role must be a role ARN or name fx can resolve");
  if (service.iam_role.starts_with("arn:"))
    return {service.iam_role.substr(service.iam_role.rfind('/') + 1), service.iam_role, "manifest"};
  fx::aws::IamClient iam(settings);
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
        for (auto policy : {kLambdaSqsPolicy, kLambdaDynamoDbPolicy})
          if (is_attached(policy) &&
              std::find(wanted.begin(), wanted.end(), policy) == wanted.end())
            iam.detach_role_policy(name, policy);
      }
      return {role->name, role->arn, "existing"};
    }
    fx::aws::IamRole role;
    try {
      role = iam.create_role(name, fx::aws::kLambdaTrustPolicy,
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

void remove_default_role(const manifest::Service& service, const fx::aws::AwsSettings& settings,
                         AwsRemoval& out) {
  if (!service.iam_role.empty()) return;  // the manifest's role is not fx's to delete

  const std::string name = default_role_name(service, settings.region);
  fx::aws::IamClient iam(settings);
  auto role = iam.get_role(name);
  if (!role) return;
  if (!role->tags.contains(kRoleTag)) {
    out.warnings.push_back(fmt::format("kept the IAM role {}: fx did not create it", name));
    return;
  }
  // Only what is attached is detached: a role fx made holds fx's policies alone.
  iam.delete_role_policy(name, kDestinationPolicy);
  iam.delete_role_policy(name, kTablePolicy);
  auto attached = iam.attached_role_policies(name);
  for (std::string_view policy :
       {fx::aws::kLambdaBasicExecutionPolicy, kLambdaSqsPolicy, kLambdaDynamoDbPolicy})
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
}

std::string default_role_name(const manifest::Service& service, const std::string& region) {
  std::string name = fmt::format("{}-{}-{}-lambdaRole", service.name, service.stage, region);
  if (name.size() > 64)
    throw Error(fmt::format("the execution role name {} is longer than IAM's 64 characters", name),
                "set provider.iam.role to an existing role (ARN or name), or shorten the service "
                "or stage name");
  return name;
}

}  // namespace fx::targets::aws
