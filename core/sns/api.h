// SNS's Query protocol over a sns::Store: what the AWS CLI and SDKs send (POST / with a
// form-encoded `Action=Publish&Version=2010-03-31&...`) and the XML they expect back; errors
// are <ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>... with SNS's status.
// Publish answers with the deliveries it decided (the subscriptions whose filter policy the
// message passes, each with the exact payload): the emulator hands them to Lambda's
// asynchronous invoker and to its queues. Runs on the emulator's I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/sns/filter_policy.h"
#include "core/sns/store.h"

namespace fx::sns {

// One message for one subscriber.
struct Delivery {
  enum class Kind { lambda, sqs } kind = Kind::lambda;
  std::string endpoint;  // the function's or the queue's ARN
  std::string subscription_arn;
  std::string topic_arn;
  std::string message_id;
  std::string body;  // Lambda: its {"Records": [...]} event; SQS: the envelope or the raw message
  std::vector<MessageAttribute> sqs_attributes;  // raw delivery: the message's attributes
  std::string group_id, deduplication_id;        // FIFO topics
  std::string dead_letter_arn;                   // the subscription's RedrivePolicy's queue
};

struct ApiResult {
  int status = 200;
  std::string body;  // XML
  std::vector<Delivery> deliveries;
  std::vector<std::string> notes;  // for the emulator's log: messages a filter policy dropped
};

struct RequestContext {
  std::string region;
  std::string endpoint_url;  // the emulator's, for UnsubscribeURL
  std::int64_t now_ms = 0;
};

// Never throws: every failure is SNS's error answer (500 InternalError for one not foreseen).
ApiResult handle(Store& store, std::string_view body, const RequestContext& context);

// SNS's XML error answer (Type Sender below 500, Receiver from 500).
std::string error_xml(int status, std::string_view code, std::string_view message);

// The largest request read: PublishBatch's 256 KiB, percent-encoded (up to three bytes each).
inline constexpr std::size_t kMaxRequestBytes = 1024 * 1024;
// A message and its attributes, as SNS counts them.
inline constexpr std::size_t kMaxMessageBytes = 256 * 1024;

inline constexpr std::string_view kAccount = "000000000000";

std::string topic_arn(const std::string& region, const std::string& name);

// For deploys: the topic `name` (made, owned by `service`, when missing; its DisplayName set
// when given). Returns its ARN.
std::string ensure_topic(Store& store, const std::string& region, const std::string& name,
                         const std::string& service, const std::string& display_name);
// A subscription a deploy makes. Throws std::invalid_argument with SNS's words for a filter
// policy or attribute it refuses; the same topic, protocol and endpoint keeps its ARN.
std::string subscribe(Store& store, const std::string& topic_arn, const std::string& protocol,
                      const std::string& endpoint,
                      const std::map<std::string, std::string>& attributes,
                      const std::string& service);

}  // namespace fx::sns
