#include "core/emulator/queue_service.h"

#include <algorithm>
#include <list>
#include <map>
#include <set>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/http_server.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"

namespace fx::emulator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

std::string name_of(const std::string& queue) {
  if (queue.rfind("arn:", 0) == 0) return queues::queue_name_from_arn(queue);
  if (queue.find('/') != std::string::npos) return queues::queue_name_from_url(queue);
  return queue;
}

HttpResponse to_http(const queues::SqsResult& s) {
  HttpResponse r;
  r.status = s.status;
  r.headers = s.headers;
  r.body = s.body;
  bool has_type = false;
  for (const auto& [k, v] : r.headers) has_type |= k == "Content-Type";
  if (!has_type) r.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
  return r;
}

}  // namespace

struct QueueService::Impl {
  asio::io_context& io;
  Pool& pool;
  LogSink& sink;
  queues::QueueStore store;
  std::string region;

  // A ReceiveMessage waiting for a message (long polling).
  struct Parked {
    std::shared_ptr<Responder> responder;
    std::string target, body, endpoint;
    std::int64_t deadline_ms = 0;
    std::string queue;
    std::unique_ptr<asio::steady_timer> timer;
  };
  std::list<Parked> parked;

  // Lambda's SQS poller, one per mapping.
  struct Poller {
    std::string service;
    QueueMapping mapping;
    int in_flight = 0;
    bool window_open = false;
    std::unique_ptr<asio::steady_timer> timer;
  };
  std::list<Poller> pollers;
  // Batches of one mapping at once, beside the function's own limit: Lambda starts with five
  // pollers (and scales further; the emulator does not) unless maximumConcurrency says.
  static constexpr int kDefaultBatchesInFlight = 5;

  Impl(asio::io_context& io, Pool& pool, LogSink& sink, const std::filesystem::path& db,
       std::string region)
      : io(io), pool(pool), sink(sink), store(db), region(std::move(region)) {
    // Every send, visibility change or redrive: wake what waits on that queue.
    store.set_listener(
        [this](const std::string& queue) { asio::post(this->io, [this, queue] { wake(queue); }); });
  }

  void wake(const std::string& queue) {
    for (auto it = parked.begin(); it != parked.end();) {
      auto next = std::next(it);
      if (it->queue == queue) retry(it);
      it = next;
    }
    for (auto& p : pollers)
      if (p.mapping.queue == queue) poll(p);
  }

  // Long polls --------------------------------------------------------------------------

  void park(std::shared_ptr<Responder> r, const std::string& target, const std::string& body,
            const std::string& endpoint, const queues::SqsResult& first) {
    auto& p = parked.emplace_back();
    p.responder = std::move(r);
    p.target = target;
    p.body = body;
    p.endpoint = endpoint;
    p.deadline_ms = first.wait_until_ms;
    p.queue = first.wait_queue;
    p.timer = std::make_unique<asio::steady_timer>(io);
    arm(std::prev(parked.end()), first.recheck_at_ms);
  }

  void arm(std::list<Parked>::iterator it, std::int64_t at_ms) {
    it->timer->expires_after(
        std::chrono::milliseconds(std::max<std::int64_t>(0, at_ms - store.now_ms())));
    it->timer->async_wait([this, it](const boost::system::error_code& ec) {
      if (!ec) retry(it);
    });
  }

  void retry(std::list<Parked>::iterator it) {
    auto result =
        queues::handle_sqs(store, it->target, it->body, it->endpoint, region, it->deadline_ms);
    if (result.wait_until_ms > 0 && store.now_ms() < it->deadline_ms &&
        it->responder->connected()) {
      arm(it, result.recheck_at_ms);
      return;
    }
    it->responder->send(to_http(result));
    it->timer->cancel();
    parked.erase(it);
  }

  // Lambda's event source ----------------------------------------------------------------

  void poll(Poller& p) {
    const auto* fn = pool.find(p.mapping.function);
    const int limit =
        p.mapping.max_concurrency > 0 ? p.mapping.max_concurrency : kDefaultBatchesInFlight;
    if (!fn || p.in_flight >= limit) return;
    auto next = store.next_visible_ms(p.mapping.queue);
    if (!next) return;
    std::int64_t now = store.now_ms();
    if (*next > now) return arm_poller(p, *next - now);
    // maximumBatchingWindow: gather up to batch_size for that long after the first message.
    if (p.mapping.batching_window_s > 0 && !p.window_open) {
      p.window_open = true;
      return arm_poller(p, p.mapping.batching_window_s * 1000LL);
    }
    p.window_open = false;
    std::vector<queues::Message> batch;
    try {
      batch = store.receive_for_lambda(p.mapping.queue, p.mapping.batch_size);
    } catch (const std::exception& e) {
      sink.emit(p.mapping.function, "",
                fmt::format("fx: cannot receive from queue {}: {}", p.mapping.queue, e.what()));
      return;
    }
    if (!p.mapping.filter.empty()) {
      // Lambda deletes the messages no pattern matches, unseen by the function.
      auto rejected = std::stable_partition(batch.begin(), batch.end(), [&](const auto& m) {
        return p.mapping.filter.passes_sqs_body(m.body);
      });
      const auto dropped = static_cast<std::size_t>(batch.end() - rejected);
      for (auto it = rejected; it != batch.end(); ++it) {
        try {
          store.delete_message(p.mapping.queue, it->receipt_handle);
        } catch (const std::exception&) {
          // The queue went away meanwhile: nothing left to delete.
        }
      }
      if (dropped > 0)
        sink.emit(p.mapping.function, "",
                  fmt::format("fx: {} message{} of queue {} matched no filterPatterns and {} "
                              "deleted, as Lambda does",
                              dropped, dropped == 1 ? "" : "s", p.mapping.queue,
                              dropped == 1 ? "was" : "were"));
      batch.erase(rejected, batch.end());
      // All filtered out: look again for what is left.
      if (batch.empty()) return poll(p);
    }
    if (batch.empty()) return;
    ++p.in_flight;
    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    inv->async = true;  // like Lambda's poller: wait for capacity instead of a 429
    inv->payload =
        queues::lambda_sqs_event_json(batch, queues::queue_arn(region, p.mapping.queue), region);
    Poller* raw = &p;
    inv->done = [this, raw, batch = std::move(batch)](InvocationResult result) {
      --raw->in_flight;
      finish(*raw, batch, result);
      poll(*raw);
    };
    pool.invoke(p.mapping.function, std::move(inv));
    poll(p);  // another batch, while the limit allows
  }

  void arm_poller(Poller& p, std::int64_t delay_ms) {
    p.timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(1, delay_ms)));
    Poller* raw = &p;
    p.timer->async_wait([this, raw](const boost::system::error_code& ec) {
      if (!ec) poll(*raw);
    });
  }

  // Success deletes the batch; a failure leaves it to come back after the visibility timeout
  // (and to the dead-letter queue after maxReceiveCount). With ReportBatchItemFailures only
  // the messages the function names come back.
  void finish(Poller& p, const std::vector<queues::Message>& batch, const InvocationResult& r) {
    bool ok = r.status == 200 && r.function_error.empty();
    std::set<std::string> failed;
    if (ok && p.mapping.report_batch_item_failures) {
      auto j = json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("batchItemFailures") && j["batchItemFailures"].is_array())
        for (const auto& f : j["batchItemFailures"])
          if (f.is_object() && f.contains("itemIdentifier") && f["itemIdentifier"].is_string())
            failed.insert(f["itemIdentifier"].get<std::string>());
    }
    if (!ok) return;
    for (const auto& m : batch) {
      if (failed.count(m.id)) continue;
      try {
        store.delete_message(p.mapping.queue, m.receipt_handle);
      } catch (const std::exception&) {
        // The queue went away meanwhile: nothing left to delete.
      }
    }
  }
};

QueueService::QueueService(asio::io_context& io, Pool& pool, LogSink& sink,
                           const std::filesystem::path& db, std::string region)
    : impl_(std::make_unique<Impl>(io, pool, sink, db, std::move(region))) {}

QueueService::~QueueService() = default;

void QueueService::handle(HttpRequest& req, std::shared_ptr<Responder> r,
                          const std::string& endpoint_url) {
  std::string target(req.header("X-Amz-Target"));
  auto result = queues::handle_sqs(impl_->store, target, req.body, endpoint_url, impl_->region);
  if (result.wait_until_ms > 0)
    return impl_->park(std::move(r), target, req.body, endpoint_url, result);
  r->send(to_http(result));
}

void QueueService::set_service(const std::string& service, const std::vector<QueueSettings>& queues,
                               std::vector<QueueMapping> mappings) {
  auto ensure = [&](const std::string& name, queues::QueueAttributes attrs) {
    if (!impl_->store.get_queue(name)) {
      impl_->store.create_queue(name, attrs);
    } else if (!attrs.empty()) {
      impl_->store.set_attributes(name, attrs);
    }
  };
  for (const auto& q : queues) {
    if (!q.dead_letter_queue.empty()) ensure(q.dead_letter_queue, {});
    queues::QueueAttributes attrs{{"VisibilityTimeout", std::to_string(q.visibility_timeout_s)}};
    if (q.max_receive_count > 0 && !q.dead_letter_queue.empty())
      attrs["RedrivePolicy"] = json{
          {"deadLetterTargetArn", queues::queue_arn(impl_->region, q.dead_letter_queue)},
          {"maxReceiveCount",
           q.max_receive_count}}.dump();
    ensure(q.name, attrs);
  }
  for (auto& m : mappings) {
    m.queue = name_of(m.queue);
    ensure(m.queue, {});
  }
  remove_service(service);
  for (auto& m : mappings) {
    auto& p = impl_->pollers.emplace_back();
    p.service = service;
    p.mapping = std::move(m);
    p.timer = std::make_unique<asio::steady_timer>(impl_->io);
    impl_->poll(p);  // messages sent before the deploy (or before a restart)
  }
}

void QueueService::remove_service(const std::string& service) {
  // A poller with a batch in flight stays until it lands (its callback points at it).
  for (auto it = impl_->pollers.begin(); it != impl_->pollers.end();) {
    if (it->service == service && it->in_flight == 0)
      it = impl_->pollers.erase(it);
    else if (it->service == service) {
      it->service = "(removed)";
      it->mapping.function.clear();
      ++it;
    } else {
      ++it;
    }
  }
}

std::string QueueService::send(const std::string& queue, const std::string& body) {
  try {
    impl_->store.send(name_of(queue), body);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace fx::emulator
