// Lambda's asynchronous invocation, for every service that triggers functions without waiting
// (the Invoke API's Event type, schedules, and next S3 and SNS): each invocation is stored
// before its caller hears 202, then attempted; a failure is retried (up to maximumRetryAttempts
// more times, one then two minutes later) unless the event would then be older than
// maximumEventAge; the outcome goes to the function's on-success or on-failure destination as
// Lambda's invocation record. Everything runs on the emulator's I/O thread.
//
// What the invoker needs of the emulator is passed in (AsyncInvokerHooks): how a function is
// invoked, how a record reaches a destination, where a log line goes. So this folder does not
// depend on core/emulator/, and the invoker can be tested with a real store and a real I/O
// context but no instance pool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/sources/invoke_result.h"
#include "core/util/time.h"

namespace boost::asio {
class io_context;
}

namespace fx::store {
class Store;
}

namespace fx::sources {

// A function's asynchronous-invocation settings (PutFunctionEventInvokeConfig, or the
// manifest's destinations / maximumRetryAttempts / maximumEventAge).
struct AsyncSettings {
  int max_retries = 2;      // Lambda's default: two more attempts after the first
  int max_event_age_s = 0;  // maximumEventAge; 0: Lambda's default, six hours
  std::string on_failure;   // where invocations that failed go: a queue (name or ARN), a function
  std::string on_success;   // likewise for those that succeeded
};

struct AsyncInvokerHooks {
  // Runs one attempt of `function`; `done` is called exactly once, on the I/O thread.
  std::function<void(const std::string& function, const std::string& request_id,
                     const std::string& payload, std::function<void(InvokeResult)> done)>
      invoke;
  // Sends an invocation record to a destination (a queue's name or ARN, a function's ARN).
  // Returns why it could not, or "".
  std::function<std::string(const std::string& destination, std::string record)> deliver;
  // A line for the function's log, about the invocation `request_id`.
  std::function<void(const std::string& function, const std::string& request_id,
                     const std::string& line)>
      log;
};

class AsyncInvoker {
 public:
  // Lambda waits one minute before the second attempt and two before the third.
  static constexpr std::int64_t kRetryDelayMs = 60'000;

  // `store` keeps the invocations waiting for an attempt; `clock` times the retries and the
  // event's age (sped up in tests); `region` is that of the functions' ARNs in the records.
  AsyncInvoker(boost::asio::io_context& io, store::Store& store, util::ScaledClock clock,
               std::string region, AsyncInvokerHooks hooks);
  ~AsyncInvoker();
  AsyncInvoker(const AsyncInvoker&) = delete;
  AsyncInvoker& operator=(const AsyncInvoker&) = delete;

  // Replaces the settings of `service`'s functions by `by_function` (function name ->
  // settings); a function without any runs under Lambda's defaults.
  void configure(const std::string& service,
                 const std::map<std::string, AsyncSettings>& by_function);
  // Forgets the settings of `service`'s functions.
  void drop(const std::string& service);
  // The settings `function` runs under, when a service (or the Lambda API) gave it some.
  std::optional<AsyncSettings> settings(const std::string& function) const;

  // Stores an asynchronous invocation and starts its first attempt. Throws fx::Error when it
  // cannot be stored (the caller answers 5xx rather than 202).
  void submit(const std::string& function, std::string payload, std::string request_id);
  // Runs the invocations a previous run left in the store.
  void restore();
  // Invocations stored and not yet finished.
  std::size_t pending() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::sources
