// A Lambda event source mapping: a source of records (an SQS queue, a DynamoDB table's stream)
// that the emulator polls for a function, with Lambda's settings of it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/events/filter.h"

namespace fx::manifest {
struct SqsEvent;
struct StreamEvent;
}  // namespace fx::manifest

namespace fx::sources {

struct EventSourceMapping {
  std::string uuid;
  std::string service;     // the service whose deploy made it
  std::string function;    // the deployed name
  std::string source_arn;  // arn:aws:sqs:REGION:ACCOUNT:QUEUE, or a DynamoDB stream's ARN
  // "Enabled" or "Disabled": Lambda's passing states (Creating, Updating, ...) end at once here.
  std::string state = "Enabled";
  int batch_size = 10;
  int batching_window_s = 0;                 // MaximumBatchingWindowInSeconds
  bool report_batch_item_failures = false;   // FunctionResponseTypes: ReportBatchItemFailures
  std::vector<std::string> filter_patterns;  // FilterCriteria's patterns, as JSON text
  events::EventFilter filter;                // the same, compiled
  int max_concurrency = 0;                   // ScalingConfig.MaximumConcurrency; 0: unset
  std::int64_t last_modified_ms = 0;         // when the deploy that made it was applied

  // Streams only (Lambda answers these for stream mappings alone).
  std::string starting_position;  // LATEST or TRIM_HORIZON; "" for a queue's mapping
  int max_retry_attempts = -1;    // -1: until the record expires
  int max_record_age_s = -1;      // -1: no limit short of the stream's 24 hours
  bool bisect_on_function_error = false;
  std::string on_failure;  // the discarded batches' destination (an ARN), or ""
  int parallelization_factor = 1;
  int tumbling_window_s = 0;
  // What the last batch came to, as Lambda words it: "No records processed", "OK",
  // "PROBLEM: Function call failed". Changed by the poller as batches end.
  std::string last_processing_result = "No records processed";

  bool enabled() const { return state == "Enabled"; }
  bool is_stream() const { return !starting_position.empty(); }
};

// The mapping of a function's sqs event, the n-th (from 1) of the service's mappings of that
// function and queue. Throws fx::Error for filter patterns Lambda would refuse.
EventSourceMapping sqs_mapping(const std::string& service, const std::string& function,
                               const manifest::SqsEvent& event, const std::string& queue_arn,
                               int n);

// The mapping of a function's dynamodb stream event on the stream `stream_arn` (resolved from
// the event's ARN or table), the n-th of the service's mappings of that function and stream;
// `on_failure` is the destination's ARN ("" for none). Throws fx::Error for filter patterns
// Lambda would refuse.
EventSourceMapping stream_mapping(const std::string& service, const std::string& function,
                                  const manifest::StreamEvent& event, const std::string& stream_arn,
                                  const std::string& on_failure, int n);

// The mapping as Lambda's API answers it (GetEventSourceMapping; each of
// ListEventSourceMappings' EventSourceMappings), as JSON text.
std::string mapping_json(const EventSourceMapping& mapping, std::string_view region);

// The service of a mapping the Lambda API made (CreateEventSourceMapping) is this prefix and
// the mapping's UUID: a '/' no deployed service's name has, and a UUID that stays the same
// when UpdateEventSourceMapping changes the function.
inline constexpr std::string_view kApiMappingService = "lambda-api/";

// A version 4 UUID made of what identifies a mapping (a mapping the API made: its own), so that a
// mapping keeps its UUID across deploys and restarts as Lambda's keeps it across updates.
std::string mapping_uuid(std::string_view service, std::string_view function,
                         std::string_view source_arn, int n);

}  // namespace fx::sources
