// The one SQS question `fx deploy --target aws` asks: the ARN of a queue named in an `sqs`
// event, over SQS's JSON 1.0 protocol (AmazonSQS.GetQueueUrl, then GetQueueAttributes).
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace fx::lambda {

struct AwsSettings;
class AwsService;

class SqsClient {
 public:
  // SQS's endpoint: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, else sqs.REGION.amazonaws.com.
  explicit SqsClient(const AwsSettings& settings);
  ~SqsClient();
  SqsClient(const SqsClient&) = delete;
  SqsClient& operator=(const SqsClient&) = delete;

  // "arn:aws:sqs:REGION:ACCOUNT:NAME" of the queue of that name in this account and region,
  // or nullopt when there is none.
  std::optional<std::string> queue_arn(const std::string& name);

 private:
  std::string call(const char* action, const std::string& body);

  std::unique_ptr<AwsService> service_;
};

}  // namespace fx::lambda
