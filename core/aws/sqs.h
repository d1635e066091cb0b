// The SQS calls of `fx deploy --target aws`, over SQS's JSON 1.0 protocol: the ARN of a queue
// named in an `sqs` event (AmazonSQS.GetQueueUrl, then GetQueueAttributes), and the queues of
// `resources`, created, updated and deleted.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fx::aws {

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

  struct Queue {
    std::string url;
    std::map<std::string, std::string> attributes;  // All of them, QueueArn included
    std::map<std::string, std::string> tags;
  };
  // nullopt when there is no queue of that name.
  std::optional<Queue> describe_queue(const std::string& name);
  // Returns the new queue's URL.
  std::string create_queue(const std::string& name,
                           const std::map<std::string, std::string>& attributes,
                           const std::map<std::string, std::string>& tags);
  void set_queue_attributes(const std::string& url,
                            const std::map<std::string, std::string>& attributes);
  void delete_queue(const std::string& url);

 private:
  std::string call(const char* action, const std::string& body);
  // GetQueueUrl: the URL, or "" when there is no such queue.
  std::string queue_url(const std::string& name);

  std::unique_ptr<AwsService> service_;
};

}  // namespace fx::aws
