// An SQS queue of the emulator as the source of an event source mapping: Lambda's SQS poller.
// Received messages stay hidden for the queue's visibility timeout; those the function
// handled are deleted, the rest come back (and go to the dead-letter queue after
// maxReceiveCount receives), and those no filter pattern passes are deleted unseen. A FIFO
// queue's batches hold whole runs of their groups (the store locks a group while any of its
// messages is in flight), so each group has one batch in flight and is handled in order.
#pragma once

#include <memory>
#include <string>

#include "core/sources/poller.h"

namespace fx::queues {
class QueueStore;
}

namespace fx::sources {

class SqsSource : public BatchSource {
 public:
  // `store` must outlive the source.
  SqsSource(queues::QueueStore& store, std::string queue, std::string region);

  std::string describe() const override;
  std::int64_t now_ms() const override;
  std::optional<std::int64_t> next_ready_ms() override;
  std::unique_ptr<Batch> read(int max) override;

 private:
  queues::QueueStore& store_;
  std::string queue_;  // its name
  std::string region_;
};

}  // namespace fx::sources
