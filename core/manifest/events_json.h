// The document that tells the emulator what makes a service's functions run besides direct
// calls (their http, schedule and sqs events, the queues those use) and the settings it
// applies to each function. `fx deploy` sends it (PUT /_fx/v1/services/NAME); the emulator
// keeps the last one in state.db and applies it again at each start. Its JSON keeps the shape
// earlier versions wrote, so an FX_HOME written by an older fx still loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/manifest/api_keys.h"
#include "core/manifest/events.h"

namespace fx::manifest {

// Lambda's settings of a function's asynchronous invocations.
struct AsyncConfig {
  std::optional<int> max_retries;      // maximumRetryAttempts; unset: Lambda's 2
  std::optional<int> max_event_age_s;  // maximumEventAge; unset: Lambda's six hours
  std::string on_failure;              // destinations.onFailure: a queue's or function's ARN
  std::string on_success;              // destinations.onSuccess: likewise
  bool empty() const;
};

// One function of the service: its events that run on the emulator, and its settings there.
struct FunctionEvents {
  std::string name;  // the deployed name
  std::string key;   // the manifest's key, for messages (the name when the document has none)
  std::vector<Event> events;  // http/httpApi, schedule, sqs and stream events, in manifest order
  AsyncConfig async;
  int provisioned = 0;         // provisionedConcurrency
  int log_retention_days = 0;  // logRetentionInDays; 0: lines are kept
};

// A queue the emulator creates for the service: an AWS::SQS::Queue of `resources`, an entry
// of custom.fx.queues, or a destination's queue.
struct QueueConfig {
  std::string name;
  std::optional<int> visibility_timeout_s;   // unset: SQS's 30 seconds
  int max_receive_count = 0;                 // > 0: redrive to dead_letter_queue after as many
  std::string dead_letter_queue;             // the dead-letter queue's name
  bool content_based_deduplication = false;  // a FIFO queue's (its name ends in ".fifo")
};

// A table the emulator creates for the service (an AWS::DynamoDB::Table of `resources`), in
// the shape of manifest::TableResource: its CreateTable request as JSON text.
struct TableConfig {
  std::string name;
  std::string create_json;
  std::string ttl_attribute;  // "" when time to live is off
  bool retain = false;        // DeletionPolicy: Retain: removing the service keeps the table
};

struct ServiceEvents {
  std::string stage = "dev";              // `http` routes are served under /STAGE
  std::string http_api_payload = "2.0";   // provider.httpApi.payload: httpApi events' format
  std::vector<FunctionEvents> functions;  // every function of the service, in manifest order
  std::vector<QueueConfig> queues;
  std::vector<TableConfig> tables;
  std::optional<double> idle_timeout_s;  // custom.fx.idleTimeout
  int concurrency = 0;                   // custom.fx.concurrency; 0: unset
  int alb_port = 0;                      // custom.fx.albPort; 0: unset
  // What the emulator adds to its copy: the key private routes take (the same across
  // deploys), and when each rate schedule's rule was created (it counts from there), by
  // schedule_anchor_key.
  std::string api_key;
  std::map<std::string, std::int64_t> schedule_anchors;
  // provider.apiGateway.apiKeys and usagePlan; when there are keys, private routes take them
  // (and not api_key). The emulator fills in the values the manifest leaves to it.
  ApiKeys api_keys;
};

// The EventBridge rule of a function's n-th (from 1) schedule: the event's own `rule`, else
// FUNCTION-schedule-N as the Serverless Framework names it.
std::string schedule_rule(const std::string& function, const ScheduleEvent& event, int n);
std::string schedule_anchor_key(std::string_view rule, std::string_view expression);

std::string to_json(const ServiceEvents& events);

// Reads a document to_json wrote (or an earlier fx, or a hand). Throws fx::Error saying what
// is wrong: "the service's events must be a JSON object", "the service's events document is
// not one fx deploy writes: ...". Values are checked when the emulator applies them.
ServiceEvents parse_service_events(std::string_view json_text);

}  // namespace fx::manifest
