// What makes functions run without a caller waiting: schedules and asynchronous invocations
// (core/sources/async_invoker.h: Lambda's retries and destinations), wired here to the
// instance pool, the log and the queues. Both run on the I/O thread; both are durable, since
// an asynchronous invocation is in SQLite before its caller hears 202.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/events/target_input.h"
#include "core/sources/async_invoker.h"
#include "core/sources/event_source_kind.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

using events::TargetInput;

class Pool;
class LogSink;

struct ScheduleSource {
  std::string service;
  std::string function;    // deployed name
  std::string rule;        // the EventBridge rule's name, for the event's `resources`
  std::string expression;  // rate(...) or cron(...)
  bool enabled = true;
  // What is sent instead of the scheduled event (input, inputPath, inputTransformer); the
  // event itself when none is set.
  TargetInput target;
  std::int64_t anchor_ms = 0;  // rate schedules count from here (when the rule was created)
};

struct ScheduleStatus {
  ScheduleSource source;
  std::int64_t next_ms = 0;  // 0: never again
};

class EventSources : public sources::EventSourceKind {
 public:
  // `clock_speed` > 1 makes schedules and retry delays run that many times faster (tests).
  EventSources(boost::asio::io_context& io, Pool& pool, LogSink& sink, std::string region,
               double clock_speed);
  ~EventSources() override;

  // Replaces a service's schedules (those of its schedule events) and its functions'
  // asynchronous-invocation settings. Throws fx::Error for an expression or a JSONPath that
  // is not valid.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

  // Stores an asynchronous invocation and starts its first attempt. Throws fx::Error when it
  // cannot be stored (the caller answers 5xx rather than 202).
  void submit_async(const std::string& function, std::string payload, std::string request_id);

  // The asynchronous-invocation settings of one function (PutFunctionEventInvokeConfig),
  // kept under `service` as a deploy's are under its service, and what a function runs under.
  void configure_async(const std::string& service, const std::string& function,
                       const sources::AsyncSettings& settings);
  std::optional<sources::AsyncSettings> async_settings(const std::string& function) const;

  // Runs the asynchronous invocations a previous run left in the store.
  void restore_async();

  // Delivers a message to a queue: set once queues exist. Returns an error text, or "".
  using QueueSender = std::function<std::string(const std::string& queue, const std::string& body)>;
  void set_queue_sender(QueueSender sender);
  // Maps an asynchronous invocation's function ("NAME:ALIAS": invoked through an alias, whose
  // invoke config follows the alias) to the pool key of the version that runs it now.
  using AliasResolver = std::function<std::string(const std::string& function)>;
  void set_alias_resolver(AliasResolver resolver);

  std::vector<ScheduleStatus> schedules() const;
  std::size_t pending_async() const;
  // The clock schedules run on: real time, sped up by clock_speed since the emulator started.
  std::int64_t now_ms() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
