#include "core/emulator/queue_service.h"

#include <list>
#include <map>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/http_server.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/pool.h"
#include "core/manifest/events_json.h"
#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"
#include "core/sources/mapping.h"
#include "core/sources/sqs_source.h"

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

sources::PollerHost poller_host(asio::io_context& io, Pool& pool, LogSink& sink) {
  sources::PollerHost host;
  host.io = &io;
  host.has_function = [&pool](const std::string& function) {
    return pool.find(function) != nullptr;
  };
  host.invoke = [&pool](const std::string& function, std::string payload,
                        std::function<void(sources::InvokeResult)> done) {
    auto inv = std::make_shared<Invocation>();
    inv->request_id = new_request_id();
    inv->async = true;  // like Lambda's poller: wait for capacity instead of a 429
    inv->payload = std::move(payload);
    inv->done = [done = std::move(done)](InvocationResult r) {
      done({r.status, std::move(r.function_error), std::move(r.body)});
    };
    pool.invoke(pool.event_target(function), std::move(inv));
  };
  host.log = [&sink](const std::string& function, const std::string& line) {
    sink.emit(function, "", line);
  };
  return host;
}

struct QueueService::Impl {
  asio::io_context& io;
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

  // Lambda's SQS pollers, one per mapping.
  sources::Pollers pollers;

  Impl(asio::io_context& io, sources::PollerHost host, const std::filesystem::path& db,
       std::string region)
      : io(io), store(db), region(std::move(region)), pollers(std::move(host)) {
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
    pollers.wake(queues::queue_arn(region, queue));
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
};

QueueService::QueueService(asio::io_context& io, sources::PollerHost host,
                           const std::filesystem::path& db, std::string region)
    : impl_(std::make_unique<Impl>(io, std::move(host), db, std::move(region))) {}

QueueService::QueueService(asio::io_context& io, Pool& pool, LogSink& sink,
                           const std::filesystem::path& db, std::string region)
    : QueueService(io, poller_host(io, pool, sink), db, std::move(region)) {}

QueueService::~QueueService() = default;

void QueueService::handle(HttpRequest& req, std::shared_ptr<Responder> r,
                          const std::string& endpoint_url) {
  std::string target(req.header("X-Amz-Target"));
  auto result = queues::handle_sqs(impl_->store, target, req.body, endpoint_url, impl_->region);
  if (result.wait_until_ms > 0)
    return impl_->park(std::move(r), target, req.body, endpoint_url, result);
  r->send(to_http(result));
}

std::vector<std::string> QueueService::apply(const std::string& service,
                                             const manifest::ServiceEvents& events) {
  // Every mapping is checked before anything changes.
  std::vector<sources::EventSourceMapping> mappings;
  std::map<std::string, int> count;  // of mappings of the same function and queue
  for (const auto& f : events.functions)
    for (const auto* e : manifest::events_of<manifest::SqsEvent>(f.events)) {
      const std::string arn = queues::queue_arn(impl_->region, name_of(e->queue));
      mappings.push_back(
          sources::sqs_mapping(service, f.name, *e, arn, ++count[f.name + " " + arn]));
    }
  auto ensure = [&](const std::string& name, queues::QueueAttributes attrs) {
    if (!impl_->store.get_queue(name)) {
      // As on AWS a ".fifo" name is a FIFO queue's; CloudFormation sets FifoQueue from it too.
      if (name.ends_with(".fifo")) attrs.emplace("FifoQueue", "true");
      impl_->store.create_queue(name, attrs);
    } else if (!attrs.empty()) {
      impl_->store.set_attributes(name, attrs);
    }
  };
  for (const auto& q : events.queues) {
    if (!q.dead_letter_queue.empty()) ensure(q.dead_letter_queue, {});
    queues::QueueAttributes attrs{
        {"VisibilityTimeout", std::to_string(q.visibility_timeout_s.value_or(30))}};
    if (q.max_receive_count > 0 && !q.dead_letter_queue.empty())
      attrs["RedrivePolicy"] = json{
          {"deadLetterTargetArn", queues::queue_arn(impl_->region, q.dead_letter_queue)},
          {"maxReceiveCount",
           q.max_receive_count}}.dump();
    if (q.name.ends_with(".fifo"))
      attrs["ContentBasedDeduplication"] = q.content_based_deduplication ? "true" : "false";
    ensure(q.name, attrs);
  }
  for (const auto& m : mappings) ensure(queues::queue_name_from_arn(m.source_arn), {});
  drop(service);
  for (auto& m : mappings) {
    auto source = std::make_unique<sources::SqsSource>(
        impl_->store, queues::queue_name_from_arn(m.source_arn), impl_->region);
    impl_->pollers.add(std::move(m), std::move(source));  // it polls what is there already
  }
  return {};
}

void QueueService::drop(const std::string& service) {
  impl_->pollers.drop(service);  // a batch in flight still ends as it would have
}

std::vector<const sources::EventSourceMapping*> QueueService::mappings() const {
  return impl_->pollers.mappings();
}

bool QueueService::has_queue_arn(const std::string& arn) {
  const std::string name = queues::queue_name_from_arn(arn);
  return !name.empty() && arn == queues::queue_arn(impl_->region, name) &&
         impl_->store.get_queue(name).has_value();
}

std::string QueueService::send(const std::string& queue, const std::string& body) {
  const std::string name = name_of(queue);
  // Lambda's documentation: a FIFO queue is no destination it supports (its record would need
  // a message group); on AWS the send fails and counts in DestinationDeliveryFailures.
  if (name.ends_with(".fifo"))
    return "Lambda sends no invocation or failure record to a FIFO queue (on AWS this send "
           "fails and counts in the DestinationDeliveryFailures metric); make the destination "
           "a standard queue";
  try {
    impl_->store.send(name, body);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string QueueService::send(const std::string& queue, const std::string& body,
                               const std::vector<Attribute>& attributes,
                               const std::string& group_id, const std::string& deduplication_id) {
  queues::MessageAttributes converted;
  for (const auto& a : attributes) {
    auto& v = converted[a.name];
    // SQS has no String.Array type: SNS's raw delivery passes its JSON text as a String.
    v.data_type = a.data_type == "String.Array" ? "String" : a.data_type;
    v.string_value = a.string_value;
    v.binary_value = a.binary_value;
  }
  queues::FifoSend fifo;
  if (!group_id.empty()) fifo.group_id = group_id;
  if (!deduplication_id.empty()) fifo.deduplication_id = deduplication_id;
  try {
    impl_->store.send(name_of(queue), body, std::nullopt, converted, fifo);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace fx::emulator
