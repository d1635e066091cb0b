#include "core/sources/sqs_source.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"

namespace fx::sources {
namespace {

class SqsBatch : public Batch {
 public:
  SqsBatch(queues::QueueStore& store, std::string queue, std::string region,
           std::vector<queues::Message> messages)
      : store_(store),
        queue_(std::move(queue)),
        region_(std::move(region)),
        messages_(std::move(messages)) {}

  std::size_t size() const override { return messages_.size(); }

  std::string filter(const events::EventFilter& filter) override {
    // As on Lambda, the messages no pattern matches are deleted, unseen by the function.
    auto rejected = std::stable_partition(messages_.begin(), messages_.end(), [&](const auto& m) {
      return filter.passes_sqs_body(m.body);
    });
    const auto dropped = static_cast<std::size_t>(messages_.end() - rejected);
    for (auto it = rejected; it != messages_.end(); ++it) remove(*it);
    messages_.erase(rejected, messages_.end());
    if (dropped == 0) return "";
    return fmt::format(
        "fx: {} message{} of queue {} matched no filterPatterns and {} deleted, as Lambda does",
        dropped, dropped == 1 ? "" : "s", queue_, dropped == 1 ? "was" : "were");
  }

  std::string event_json() const override {
    return queues::lambda_sqs_event_json(messages_, queues::queue_arn(region_, queue_), region_);
  }

  void succeeded(const std::set<std::string>& failed) override {
    // In a FIFO queue's batch, a failed message holds back the rest of its group too, so that
    // they come back after it, in order, as Lambda keeps a FIFO mapping's groups in order.
    std::set<std::string> blocked_groups;
    for (const auto& m : messages_) {
      const bool blocked = !m.group_id.empty() && blocked_groups.contains(m.group_id);
      if (failed.contains(m.id) || blocked) {
        if (!m.group_id.empty()) blocked_groups.insert(m.group_id);
        continue;
      }
      remove(m);
    }
  }

  // The messages come back after their visibility timeout; until then a FIFO queue's groups
  // in the batch stay locked, so no later message of theirs overtakes them.
  void failed(const InvokeResult&) override {}

 private:
  void remove(const queues::Message& m) {
    try {
      store_.delete_message(queue_, m.receipt_handle);
    } catch (const std::exception&) {
      // The queue went away meanwhile: nothing left to delete.
    }
  }

  queues::QueueStore& store_;
  std::string queue_, region_;
  std::vector<queues::Message> messages_;
};

}  // namespace

SqsSource::SqsSource(queues::QueueStore& store, std::string queue, std::string region)
    : store_(store), queue_(std::move(queue)), region_(std::move(region)) {}

std::string SqsSource::describe() const {
  return "queue " + queue_;
}

std::int64_t SqsSource::now_ms() const {
  return store_.now_ms();
}

std::optional<std::int64_t> SqsSource::next_ready_ms() {
  return store_.next_visible_ms(queue_);
}

std::unique_ptr<Batch> SqsSource::read(int max) {
  return std::make_unique<SqsBatch>(store_, queue_, region_,
                                    store_.receive_for_lambda(queue_, max));
}

}  // namespace fx::sources
