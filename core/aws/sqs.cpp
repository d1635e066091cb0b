#include "core/aws/sqs.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

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

std::string SqsClient::queue_url(const std::string& name) {
  try {
    json answer =
        json::parse(call("GetQueueUrl", json{{"QueueName", name}}.dump()), nullptr, false);
    if (answer.is_object() && answer.contains("QueueUrl") && answer["QueueUrl"].is_string())
      return answer["QueueUrl"].get<std::string>();
  } catch (const ApiError& e) {
    // The JSON protocol's code, and the query protocol's older one.
    if (e.type() == "QueueDoesNotExist" || e.type() == "AWS.SimpleQueueService.NonExistentQueue")
      return "";
    throw;
  }
  throw Error(fmt::format("SQS answered GetQueueUrl for queue {} without a QueueUrl", name),
              "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS: it should be an SQS endpoint");
}

namespace {

std::map<std::string, std::string> string_map(const json& answer, const char* key) {
  std::map<std::string, std::string> out;
  if (answer.is_object() && answer.contains(key) && answer[key].is_object())
    for (const auto& [k, v] : answer[key].items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace

std::optional<std::string> SqsClient::queue_arn(const std::string& name) {
  const std::string url = queue_url(name);
  if (url.empty()) return std::nullopt;
  json attributes = json::parse(
      call("GetQueueAttributes", json{{"QueueUrl", url}, {"AttributeNames", {"QueueArn"}}}.dump()),
      nullptr, false);
  auto arn = string_map(attributes, "Attributes");
  if (arn.contains("QueueArn")) return arn["QueueArn"];
  throw Error(
      fmt::format("SQS answered GetQueueAttributes for queue {} without its QueueArn", name),
      "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SQS: it should be an SQS endpoint");
}

std::optional<SqsClient::Queue> SqsClient::describe_queue(const std::string& name) {
  Queue q;
  q.url = queue_url(name);
  if (q.url.empty()) return std::nullopt;
  q.attributes = string_map(
      json::parse(
          call("GetQueueAttributes", json{{"QueueUrl", q.url}, {"AttributeNames", {"All"}}}.dump()),
          nullptr, false),
      "Attributes");
  q.tags = string_map(
      json::parse(call("ListQueueTags", json{{"QueueUrl", q.url}}.dump()), nullptr, false), "Tags");
  return q;
}

std::string SqsClient::create_queue(const std::string& name,
                                    const std::map<std::string, std::string>& attributes,
                                    const std::map<std::string, std::string>& tags) {
  json body = {{"QueueName", name}, {"Attributes", attributes}};
  if (!tags.empty()) body["tags"] = tags;
  json answer = json::parse(call("CreateQueue", body.dump()), nullptr, false);
  if (answer.is_object() && answer.contains("QueueUrl") && answer["QueueUrl"].is_string())
    return answer["QueueUrl"].get<std::string>();
  throw Error(fmt::format("SQS answered CreateQueue for queue {} without a QueueUrl", name));
}

void SqsClient::set_queue_attributes(const std::string& url,
                                     const std::map<std::string, std::string>& attributes) {
  call("SetQueueAttributes", json{{"QueueUrl", url}, {"Attributes", attributes}}.dump());
}

void SqsClient::delete_queue(const std::string& url) {
  call("DeleteQueue", json{{"QueueUrl", url}}.dump());
}

}  // namespace fx::aws
