// The SQS JSON protocol over a QueueStore: what the AWS CLI, boto3 and the other current SDKs
// send (POST / with `X-Amz-Target: AmazonSQS.<Action>` and an application/x-amz-json-1.0
// body) and the answers they expect, errors included (`__type` plus the x-amzn-query-error
// header that gives SDKs the legacy codes such as AWS.SimpleQueueService.NonExistentQueue).
//
// Also the event Lambda's SQS event source hands a function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/queues/queue_store.h"

namespace fx::queues {

struct SqsResult {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // Long polling. When wait_until_ms > 0, a ReceiveMessage found nothing and may wait until
  // then (store clock). `body` already holds the empty answer to send once that time passes.
  // Until then the caller parks the request and calls handle_sqs again, with the same target
  // and body and poll_deadline_ms = wait_until_ms, when a message may have become receivable:
  // when the store's listener reports wait_queue, or at recheck_at_ms (the next time a delayed
  // or in-flight message of the queue becomes visible, or the deadline).
  std::int64_t wait_until_ms = 0;
  std::int64_t recheck_at_ms = 0;
  std::string wait_queue;
};

// True for the X-Amz-Target values handle_sqs serves ("AmazonSQS.<Action>").
bool is_sqs_target(std::string_view target);

// Runs one SQS JSON request. `endpoint_url` is the emulator's URL as the client reached it
// (queue URLs are built from it); `region` is the one to put in ARNs. Never throws: every
// failure is an SQS error answer (500 InternalError for unexpected ones).
SqsResult handle_sqs(QueueStore& store, std::string_view target, std::string_view body,
                     const std::string& endpoint_url, const std::string& region,
                     std::int64_t poll_deadline_ms = 0);

// The event Lambda's SQS event source passes a function for a batch of received messages:
// {"Records": [{messageId, receiptHandle, body, attributes{ApproximateReceiveCount,
// SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp}, messageAttributes{name:
// {stringValue|binaryValue, stringListValues, binaryListValues, dataType}}, md5OfBody,
// md5OfMessageAttributes (when there are attributes), eventSource "aws:sqs", eventSourceARN,
// awsRegion}]}.
std::string lambda_sqs_event_json(const std::vector<Message>& messages,
                                  const std::string& queue_arn, const std::string& region);

}  // namespace fx::queues
