// A Lambda event source mapping: a source of records (an SQS queue; DynamoDB and Kinesis
// streams are next) that the emulator polls for a function, with Lambda's settings of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/filter.h"

namespace fx::manifest {
struct SqsEvent;
}

namespace fx::sources {

struct EventSourceMapping {
  std::string uuid;
  std::string service;     // the service whose deploy made it
  std::string function;    // the deployed name
  std::string source_arn;  // arn:aws:sqs:REGION:ACCOUNT:QUEUE
  // "Enabled" or "Disabled": Lambda's passing states (Creating, Updating, ...) end at once here.
  std::string state = "Enabled";
  int batch_size = 10;
  int batching_window_s = 0;                 // MaximumBatchingWindowInSeconds
  bool report_batch_item_failures = false;   // FunctionResponseTypes: ReportBatchItemFailures
  std::vector<std::string> filter_patterns;  // FilterCriteria's patterns, as JSON text
  events::EventFilter filter;                // the same, compiled
  int max_concurrency = 0;                   // ScalingConfig.MaximumConcurrency; 0: unset
  std::int64_t last_modified_ms = 0;         // when the deploy that made it was applied

  bool enabled() const { return state == "Enabled"; }
};

// The mapping of a function's sqs event, the n-th (from 1) of the service's mappings of that
// function and queue. Throws fx::Error for filter patterns Lambda would refuse.
EventSourceMapping sqs_mapping(const std::string& service, const std::string& function,
                               const manifest::SqsEvent& event, const std::string& queue_arn,
                               int n);

// The mapping as Lambda's API answers it (GetEventSourceMapping; each of
// ListEventSourceMappings' EventSourceMappings), as JSON text.
std::string mapping_json(const EventSourceMapping& mapping, std::string_view region);

// A version 4 UUID made of what identifies a mapping, so that a mapping keeps its UUID across
// deploys and restarts as Lambda's keeps it across updates.
std::string mapping_uuid(std::string_view service, std::string_view function,
                         std::string_view source_arn, int n);

}  // namespace fx::sources
