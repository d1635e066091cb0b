#include "core/lambda/aws_sqs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/lambda/aws.h"
#include "core/util/http_client.h"

namespace fx::lambda {

using json = nlohmann::json;

SqsClient::SqsClient(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "sqs")) {}

SqsClient::~SqsClient() = default;

std::string SqsClient::call(const char* action, const std::string& body) {
  return service_
      ->request("POST", "/",
                {{"X-Amz-Target", fmt::format("AmazonSQS.{}", action)},
                 {"Content-Type", "application/x-amz-json-1.0"}},
                body)
      .body;
}

std::optional<std::string> SqsClient::queue_arn(const std::string& name) {
  std::string url;
  try {
    json answer =
        json::parse(call("GetQueueUrl", json{{"QueueName", name}}.dump()), nullptr, false);
    if (answer.is_object() && answer.contains("QueueUrl") && answer["QueueUrl"].is_string())
      url = answer["QueueUrl"].get<std::string>();
  } catch (const ApiError& e) {
    // The JSON protocol's code, and the query protocol's older one.
    if (e.type() == "QueueDoesNotExist" || e.type() == "AWS.SimpleQueueService.NonExistentQueue")
      return std::nullopt;
    throw;
  }
  if (url.empty())
    throw Error(fmt::format("SQS answered GetQueueUrl for queue {} without a QueueUrl", name),
                "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS: it should be an SQS endpoint");
  json attributes = json::parse(
      call("GetQueueAttributes", json{{"QueueUrl", url}, {"AttributeNames", {"QueueArn"}}}.dump()),
      nullptr, false);
  if (attributes.is_object() && attributes.contains("Attributes") &&
      attributes["Attributes"].is_object() && attributes["Attributes"].contains("QueueArn"))
    return attributes["Attributes"]["QueueArn"].get<std::string>();
  throw Error(
      fmt::format("SQS answered GetQueueAttributes for queue {} without its QueueArn", name),
      "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS: it should be an SQS endpoint");
}

}  // namespace fx::lambda
