// The emulator's SNS wiring: deliveries to functions go through Lambda's asynchronous invoker
// (stored before Publish answers, retried, on-failure destinations), to queues into the queue
// store.
#include "core/emulator/emulator_front.h"

namespace fx::emulator::front {

void Emulator::set_sns_hooks() {
  SnsHooks hooks;
  hooks.invoke_async = [this](const std::string& function, std::string payload) -> std::string {
    if (!pool_.find(function)) return "there is no function " + function;
    try {
      events_.submit_async(pool_.event_target(function), std::move(payload), new_request_id());
      return "";
    } catch (const std::exception& e) {
      return e.what();
    }
  };
  hooks.send_to_queue = [this](const std::string& queue_arn, const std::string& body,
                               const std::vector<SnsHooks::QueueAttribute>& attributes,
                               const std::string& group_id,
                               const std::string& deduplication_id) -> std::string {
    if (!queues_.has_queue_arn(queue_arn)) return "there is no queue " + queue_arn;
    std::vector<QueueService::Attribute> converted;
    for (const auto& a : attributes)
      converted.push_back({a.name, a.data_type, a.string_value, a.binary_value});
    return queues_.send(queue_arn, body, converted, group_id, deduplication_id);
  };
  sns_.set_hooks(std::move(hooks));
}

}  // namespace fx::emulator::front
