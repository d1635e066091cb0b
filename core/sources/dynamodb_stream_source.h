// A DynamoDB table's stream of the emulator as the source of an event source mapping: Lambda's
// stream poller. The stream is one shard, so its records are delivered in order, one batch at
// a time. A batch is done when the function succeeds; the mapping's checkpoint (durable,
// stream_checkpoints.h) then moves past it. A failed batch blocks the shard: it is retried,
// split in two first when bisectBatchOnFunctionError says so (splitting uses no retry), and
// discarded once maximumRetryAttempts or maximumRecordAgeInSeconds is exceeded, with Lambda's
// invocation record (DDBStreamBatchInfo) sent to the onFailure destination. With
// ReportBatchItemFailures the records before the first reported failure are done and the
// batch is retried from it. Records no filter pattern passes are skipped.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sources/mapping.h"
#include "core/sources/poller.h"

namespace fx::dynamodb {
class TableStore;
}

namespace fx::sources {

class StreamCheckpoints;

class DynamoStreamSource : public BatchSource {
 public:
  // What the source needs of the emulator beyond the stores: sending a discarded batch's
  // record to a destination (returns an error, or ""), and a line in the function's log.
  struct Host {
    std::function<std::string(const std::string& destination, const std::string& body)> send;
    std::function<void(const std::string& line)> log;
    std::string region;
  };

  // `store` and `checkpoints` must outlive the source; the mapping's source_arn is the stream's
  // (which the store lists from its first record on). Starts the mapping at its starting
  // position unless it has a checkpoint.
  DynamoStreamSource(dynamodb::TableStore& store, StreamCheckpoints& checkpoints,
                     const EventSourceMapping& mapping, Host host);

  std::string describe() const override;
  std::int64_t now_ms() const override;
  int max_in_flight() const override { return 1; }
  bool has_ready(int n) override;
  std::optional<std::int64_t> next_ready_ms() override;
  std::unique_ptr<Batch> read(int max) override;

  std::int64_t checkpoint() const { return checkpoint_; }

  struct Record {
    std::int64_t seq = 0;
    std::string json;  // as GetRecords returns it
    std::int64_t created_s = 0;
  };

 private:
  friend class StreamBatch;
  struct Retry {
    std::vector<Record> records;
    int attempts = 0;  // failed invocations of these records so far
    std::int64_t ready_ms = 0;
  };

  // The records after the checkpoint, up to `max`.
  std::vector<std::pair<std::int64_t, std::string>> records_after_checkpoint(int max);
  void done(std::int64_t seq);
  // The batch's function failed: split, retry or discard it.
  void failed(std::vector<Record> records, int attempts, const InvokeResult& result);
  // Retries `records` (from the first failed one) after a partial failure.
  void retry(std::vector<Record> records, int attempts, const InvokeResult& result);
  void discard(const std::vector<Record>& records, const std::string& condition, int invocations,
               const InvokeResult* result);

  dynamodb::TableStore& store_;
  StreamCheckpoints& checkpoints_;
  EventSourceMapping mapping_;             // a copy of the settings the batches follow
  std::optional<std::int64_t> stream_id_;  // once the store has the stream
  Host host_;
  std::int64_t checkpoint_ = 0;
  std::deque<Retry> retries_;  // what blocks the shard, in order
};

}  // namespace fx::sources
