// The entries of functions.F.events: one struct per type of event source, as the manifest
// gives them (validated; variables resolved).
//
// An Event is a std::variant of these structs rather than a class per type behind a virtual
// interface: events are plain values that many places read (deploy to the emulator or to AWS,
// the gateway's routes, the emulator's pollers), each place wanting different things of each
// type. A closed variant keeps the structs plain, copyable data, and std::visit with one
// branch per type makes the compiler name every place a new type must be handled. A new type
// is one struct here, one alternative in Event, and one line in manifest.cpp's table of
// readers (core/manifest/events_json.cpp and the emulator's sources take it from there).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/manifest/mark.h"

namespace fx::manifest {

// Which kind of API Gateway serves an HTTP event. `http` events are a REST API's: payload
// 1.0, served under the stage's path prefix. `httpApi` events are an HTTP API's: payload 2.0
// unless provider.httpApi.payload says 1.0, no prefix, and "*" is the $default catch-all.
enum class HttpApi { rest, http };
std::string_view event_key(HttpApi api);  // "http" or "httpApi", as the manifest spells it

// http and httpApi.
struct HttpEvent {
  HttpApi api = HttpApi::http;
  std::string method;       // upper-case, "ANY" for any; the "*" form gives "ANY"
  std::string path;         // "/hello/{id}"; "*" for the httpApi catch-all
  bool cors = false;        // http
  bool is_private = false;  // http `private: true`: callers need the API key
  std::string config_json;  // the event's value as JSON text
  SourceMark mark;
};

// schedule: one per rate (an event with a list of rates gives one each).
struct ScheduleEvent {
  std::string expression;  // "rate(5 minutes)" / "cron(...)"
  bool enabled = true;
  // What the rule's target sends instead of the scheduled event (at most one of the three):
  std::string input_json;                              // `input`, as JSON text; "" when unset
  std::string input_path;                              // inputPath
  std::map<std::string, std::string> input_paths_map;  // inputTransformer's, with...
  std::string input_template;                          // ...its inputTemplate
  // The EventBridge rule's name when the emulator's document gives one; the manifest leaves
  // it empty and the rule is FUNCTION-schedule-N (see schedule_rule in events_json.h).
  std::string rule;
  std::string config_json;  // the event's value as JSON text
  SourceMark mark;
};

// sqs: a queue polled for the function, by a Lambda event source mapping.
struct SqsEvent {
  std::string queue;  // the queue's name or ARN
  int batch_size = 10;
  int batching_window_s = 0;                 // maximumBatchingWindow
  bool report_batch_item_failures = false;   // functionResponseType: ReportBatchItemFailures
  bool enabled = true;                       // the mapping's Enabled
  std::vector<std::string> filter_patterns;  // filterPatterns: each a JSON object's text
  int max_concurrency = 0;                   // maximumConcurrency (2 to 1000); 0: not set
  std::string config_json;                   // the event's value as JSON text
  SourceMark mark;
};

// stream of type dynamodb: a table's stream read for the function by a Lambda event source
// mapping. A Kinesis stream is an OtherEvent (it runs only on AWS).
struct StreamEvent {
  std::string arn;    // the stream's ARN, when given as one; else ""
  std::string table;  // the TableName of the table of `resources` whose StreamArn it names; else ""
  // What the Serverless Framework sends when unset (Lambda's own defaults differ: 100 records).
  int batch_size = 10;
  std::string starting_position = "TRIM_HORIZON";  // or LATEST
  int batching_window_s = 0;                       // batchWindow / maximumBatchingWindow
  std::vector<std::string> filter_patterns;        // filterPatterns: each a JSON object's text
  std::optional<int> max_retry_attempts;           // maximumRetryAttempts; unset: forever (-1)
  std::optional<int> max_record_age_s;             // maximumRecordAgeInSeconds; unset: -1
  bool bisect_batch_on_function_error = false;
  bool report_batch_item_failures = false;  // functionResponseType: ReportBatchItemFailures
  std::string on_failure;                   // destinations.onFailure: an SQS or SNS ARN, or the
                                            // name of a queue of `resources` (Fn::GetAtt)
  int parallelization_factor = 1;
  int tumbling_window_s = 0;  // tumblingWindowInSeconds
  bool enabled = true;
  std::string config_json;  // the event's value as JSON text
  SourceMark mark;
};

// Any other type (s3, sns, a kinesis stream, ...): runs only on AWS, so it is kept as written, with
// a warning, for deploys there.
struct OtherEvent {
  std::string type;         // the event's key: "s3"
  std::string config_json;  // its value as JSON text (unresolved when only AWS can resolve it)
  SourceMark mark;
};

using Event = std::variant<HttpEvent, ScheduleEvent, SqsEvent, StreamEvent, OtherEvent>;

// The event's key in the manifest: "http", "httpApi", "schedule", "sqs", "stream", or the
// other's.
std::string_view event_type(const Event& event);
const SourceMark& event_mark(const Event& event);
const std::string& event_config_json(const Event& event);

// The events of type T, in order.
template <class T>
std::vector<const T*> events_of(const std::vector<Event>& events) {
  std::vector<const T*> out;
  for (const auto& e : events)
    if (const auto* t = std::get_if<T>(&e)) out.push_back(t);
  return out;
}

template <class T>
bool has_events(const std::vector<Event>& events) {
  return std::any_of(events.begin(), events.end(),
                     [](const Event& e) { return std::holds_alternative<T>(e); });
}

}  // namespace fx::manifest
