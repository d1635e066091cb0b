// One poller framework for every event source mapping, as Lambda's pollers: a Poller reads
// batches from its mapping's BatchSource while the mapping's concurrency allows, drops what
// the mapping's filter does not pass, invokes the function with each batch, and tells the
// batch how the invocation went. What a record is, what its event looks like and what
// success or failure does to it belong to the source (sqs_source.h, dynamodb_stream_source.h):
// a queue's batches run side by side and come back by themselves, a stream's run one at a
// time per shard and block it until they are done, retried, split or discarded.
// Everything runs on the emulator's I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/sources/invoke_result.h"
#include "core/sources/mapping.h"

namespace boost::asio {
class io_context;
}

namespace fx::sources {

// What pollers need of the emulator: its I/O thread, its functions, their logs.
struct PollerHost {
  boost::asio::io_context* io = nullptr;
  std::function<bool(const std::string& function)> has_function;
  // Invokes `function` as Lambda's pollers do (waiting for capacity rather than being
  // throttled), then calls `done` on the I/O thread.
  std::function<void(const std::string& function, std::string payload,
                     std::function<void(InvokeResult)> done)>
      invoke;
  std::function<void(const std::string& function, const std::string& line)> log;
};

// Records read together and delivered in one invocation.
class Batch {
 public:
  virtual ~Batch() = default;
  virtual std::size_t size() const = 0;
  // Drops the records no pattern of `filter` passes, as Lambda does with this source's
  // records. Returns what the function's log should say about it, or "".
  virtual std::string filter(const events::EventFilter& filter) = 0;
  virtual std::string event_json() const = 0;  // what the function gets
  // The item identifiers a ReportBatchItemFailures answer names, or nullopt when the answer
  // fails the whole batch. By default batch_item_failures' reading, which ignores what it
  // cannot read.
  virtual std::optional<std::set<std::string>> item_failures(std::string_view function_result);
  // The function succeeded; `failed` are the item identifiers it reported as failed
  // (ReportBatchItemFailures), which must come back.
  virtual void succeeded(const std::set<std::string>& failed) = 0;
  // The function failed, or could not run (`result` says how).
  virtual void failed(const InvokeResult& result) = 0;
};

// A source of batches: an SQS queue (sqs_source.h), a DynamoDB stream
// (dynamodb_stream_source.h).
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual std::string describe() const = 0;  // "queue jobs", for log lines
  virtual std::int64_t now_ms() const = 0;   // the source's clock
  // Batches of this source at once at most, whatever the mapping allows; 0: no limit of its
  // own. A stream's shard is read in order: one batch at a time.
  virtual int max_in_flight() const { return 0; }
  // Whether `n` records are ready now, so that a batching window can end early (Lambda
  // invokes once the batch is full). Sources that cannot tell cheaply say no.
  virtual bool has_ready(int n) { return n <= 0; }
  // When a record can next be read: <= now_ms() when one can now; nullopt when none waits.
  virtual std::optional<std::int64_t> next_ready_ms() = 0;
  // Reads up to `max` records (none when there are none). Throws when the source cannot be
  // read.
  virtual std::unique_ptr<Batch> read(int max) = 0;
};

// The item identifiers of a ReportBatchItemFailures response: {"batchItemFailures":
// [{"itemIdentifier": "..."}]}. Anything else names none.
std::set<std::string> batch_item_failures(std::string_view function_result);

// Polls one mapping's source. Owned through a shared_ptr: a batch in flight keeps its poller
// (and its source) alive until the invocation ends, even after the mapping is dropped.
class Poller : public std::enable_shared_from_this<Poller> {
 public:
  Poller(std::shared_ptr<PollerHost> host, EventSourceMapping mapping,
         std::unique_ptr<BatchSource> source);
  ~Poller();

  // Reads and delivers what is ready, as many batches at once as the mapping allows, and sets
  // a timer for what becomes ready later.
  void poll();
  // No more reads or timers; a batch in flight still ends as it would have.
  void stop();

  const EventSourceMapping& mapping() const { return mapping_; }
  const BatchSource& source() const { return *source_; }
  int in_flight() const { return in_flight_; }

 private:
  void arm(std::int64_t delay_ms);
  bool window_due() const;  // the batching window's timer has run out
  void finish(Batch& batch, const InvokeResult& result);

  struct Timer;
  std::shared_ptr<PollerHost> host_;
  EventSourceMapping mapping_;
  std::unique_ptr<BatchSource> source_;
  std::unique_ptr<Timer> timer_;
  int in_flight_ = 0;
  bool window_open_ = false;
  bool stopped_ = false;
};

// The event source mappings of every service, each with its poller.
class Pollers {
 public:
  explicit Pollers(PollerHost host);
  ~Pollers();

  // Starts polling a mapping (at once: records may have arrived before the deploy).
  void add(EventSourceMapping mapping, std::unique_ptr<BatchSource> source);
  // Stops and forgets the service's mappings.
  void drop(const std::string& service);
  // Records arrived at the source with this ARN: its pollers look now.
  void wake(std::string_view source_arn);
  void wake_all();

  std::vector<const EventSourceMapping*> mappings() const;
  const EventSourceMapping* find(std::string_view uuid) const;

 private:
  std::shared_ptr<PollerHost> host_;
  std::vector<std::shared_ptr<Poller>> pollers_;  // in the order they were added
};

}  // namespace fx::sources
