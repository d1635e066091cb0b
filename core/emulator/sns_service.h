// SNS topics on the emulator's endpoint (core/sns/api.h: the Query protocol), their deliveries,
// and the Serverless Framework's `sns` events: a deploy's topics are made and its functions
// subscribed; `fx remove` unsubscribes them (and deletes the topics the deploy made, once no
// one else subscribes to them).
//
// Delivery is durable once Publish answers: a function's notification is stored by Lambda's
// asynchronous invoker before the answer (and retried, then sent to the function's on-failure
// destination, as Lambda does), a queue's message is in the queue store. What cannot be
// handed over (the function or queue is gone) goes to the subscription's RedrivePolicy queue
// when it has one, and is logged to the emulator's log (FX_HOME/emulator.log) either way.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/event_source_kind.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

class Responder;
struct HttpRequest;

// What SnsService needs of the emulator to deliver.
struct SnsHooks {
  // Submits an asynchronous invocation of the function with this name. Returns an error, or "".
  std::function<std::string(const std::string& function, std::string payload)> invoke_async;
  struct QueueAttribute {
    std::string name, data_type, string_value, binary_value;
  };
  // Sends to a queue (its ARN). Returns an error, or "".
  std::function<std::string(const std::string& queue_arn, const std::string& body,
                            const std::vector<QueueAttribute>& attributes,
                            const std::string& group_id, const std::string& deduplication_id)>
      send_to_queue;
};

class SnsService : public sources::EventSourceKind {
 public:
  SnsService(boost::asio::io_context& io, std::filesystem::path db, std::string region);
  ~SnsService() override;

  void set_hooks(SnsHooks hooks);

  // Whether a request is SNS's: signed for service `sns`, or a form POST to / with no
  // X-Amz-Target (fx's token instead of a signature).
  static bool serves(const HttpRequest& req);
  void handle(HttpRequest& req, const std::shared_ptr<Responder>& r,
              const std::string& endpoint_url);

  // The topics of the service's sns events (made when given by name), and its functions'
  // subscriptions to them. Throws fx::Error, having changed nothing, for one SNS would refuse.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
