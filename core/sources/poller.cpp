#include "core/sources/poller.h"

#include <algorithm>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

namespace fx::sources {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// Batches of one mapping at once, beside the function's own limit: Lambda starts with five
// pollers (and scales further; the emulator does not) unless maximumConcurrency says.
constexpr int kDefaultBatchesInFlight = 5;

}  // namespace

std::set<std::string> batch_item_failures(std::string_view function_result) {
  std::set<std::string> failed;
  auto j = json::parse(function_result, nullptr, false);
  if (j.is_object() && j.contains("batchItemFailures") && j["batchItemFailures"].is_array())
    for (const auto& f : j["batchItemFailures"])
      if (f.is_object() && f.contains("itemIdentifier") && f["itemIdentifier"].is_string())
        failed.insert(f["itemIdentifier"].get<std::string>());
  return failed;
}

std::optional<std::set<std::string>> Batch::item_failures(std::string_view function_result) {
  return batch_item_failures(function_result);
}

struct Poller::Timer {
  asio::steady_timer timer;
};

Poller::Poller(std::shared_ptr<PollerHost> host, EventSourceMapping mapping,
               std::unique_ptr<BatchSource> source)
    : host_(std::move(host)),
      mapping_(std::move(mapping)),
      source_(std::move(source)),
      timer_(std::make_unique<Timer>(Timer{asio::steady_timer(*host_->io)})) {}

Poller::~Poller() = default;

void Poller::poll() {
  if (stopped_ || !mapping_.enabled() || !host_->has_function(mapping_.function)) return;
  int limit = mapping_.max_concurrency > 0 ? mapping_.max_concurrency : kDefaultBatchesInFlight;
  if (source_->max_in_flight() > 0) limit = std::min(limit, source_->max_in_flight());
  if (in_flight_ >= limit) return;
  const auto next = source_->next_ready_ms();
  if (!next) return;
  const std::int64_t now = source_->now_ms();
  if (*next > now) return arm(*next - now);
  // maximumBatchingWindow: gather up to batch_size for that long after the first record.
  if (mapping_.batching_window_s > 0 && !window_open_ && !source_->has_ready(mapping_.batch_size)) {
    window_open_ = true;
    return arm(mapping_.batching_window_s * 1000LL);
  }
  // A full batch does not wait for the rest of its window.
  if (window_open_ && !source_->has_ready(mapping_.batch_size) && !window_due()) return;
  window_open_ = false;
  std::unique_ptr<Batch> batch;
  try {
    batch = source_->read(mapping_.batch_size);
  } catch (const std::exception& e) {
    host_->log(mapping_.function,
               fmt::format("fx: cannot receive from {}: {}", source_->describe(), e.what()));
    return;
  }
  if (!batch || batch->size() == 0) return;
  if (!mapping_.filter.empty()) {
    const std::string said = batch->filter(mapping_.filter);
    if (!said.empty()) host_->log(mapping_.function, said);
    // All filtered out: look again for what is left, from the I/O loop rather than deeper in
    // this stack (a long run of filtered-out stream records is many batches).
    if (batch->size() == 0) {
      asio::post(*host_->io, [weak = weak_from_this()] {
        if (auto self = weak.lock()) self->poll();
      });
      return;
    }
  }
  ++in_flight_;
  std::string payload = batch->event_json();
  std::shared_ptr<Batch> in_flight(std::move(batch));
  host_->invoke(mapping_.function, std::move(payload),
                [self = shared_from_this(), in_flight](InvokeResult result) {
                  --self->in_flight_;
                  self->finish(*in_flight, result);
                  self->poll();
                });
  poll();  // another batch, while the limit allows
}

void Poller::stop() {
  stopped_ = true;
  timer_->timer.cancel();
}

bool Poller::window_due() const {
  return timer_->timer.expiry() <= std::chrono::steady_clock::now();
}

void Poller::arm(std::int64_t delay_ms) {
  timer_->timer.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, delay_ms)));
  timer_->timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->poll();
  });
}

// Success hands the batch back as done, but for the records the function reported with
// ReportBatchItemFailures; a failure leaves what happens to the records to their source.
void Poller::finish(Batch& batch, const InvokeResult& result) {
  std::optional<std::set<std::string>> failed_items = std::set<std::string>{};
  if (result.ok() && mapping_.report_batch_item_failures)
    failed_items = batch.item_failures(result.body);
  if (!result.ok() || !failed_items) {
    mapping_.last_processing_result = "PROBLEM: Function call failed";
    return batch.failed(result);
  }
  mapping_.last_processing_result = "OK";
  batch.succeeded(*failed_items);
}

Pollers::Pollers(PollerHost host) : host_(std::make_shared<PollerHost>(std::move(host))) {}

Pollers::~Pollers() {
  for (auto& p : pollers_) p->stop();
}

void Pollers::add(EventSourceMapping mapping, std::unique_ptr<BatchSource> source) {
  auto& p =
      pollers_.emplace_back(std::make_shared<Poller>(host_, std::move(mapping), std::move(source)));
  p->poll();
}

void Pollers::drop(const std::string& service) {
  std::erase_if(pollers_, [&](const std::shared_ptr<Poller>& p) {
    if (p->mapping().service != service) return false;
    p->stop();
    return true;
  });
}

void Pollers::wake(std::string_view source_arn) {
  for (auto& p : pollers_)
    if (p->mapping().source_arn == source_arn) p->poll();
}

void Pollers::wake_all() {
  for (auto& p : pollers_) p->poll();
}

std::vector<const EventSourceMapping*> Pollers::mappings() const {
  std::vector<const EventSourceMapping*> out;
  for (const auto& p : pollers_) out.push_back(&p->mapping());
  return out;
}

const EventSourceMapping* Pollers::find(std::string_view uuid) const {
  for (const auto& p : pollers_)
    if (p->mapping().uuid == uuid) return &p->mapping();
  return nullptr;
}

}  // namespace fx::sources
