// SQS-compatible queues on the emulator's endpoint (the JSON protocol the AWS CLI and boto3
// speak), long polls parked on the I/O thread, and Lambda's SQS event source: batches of
// received messages delivered to functions, deleted when the function succeeds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/events/filter.h"

namespace boost::asio {
class io_context;
}

namespace fx::emulator {

class Pool;
class LogSink;
class Responder;
struct HttpRequest;

struct QueueMapping {
  std::string function;  // deployed name
  std::string queue;     // name
  int batch_size = 10;
  int batching_window_s = 0;                // maximumBatchingWindow
  bool report_batch_item_failures = false;  // functionResponseType: ReportBatchItemFailures
  events::EventFilter filter;               // filterPatterns
  int max_concurrency = 0;                  // maximumConcurrency: batches at once; 0: default
};

struct QueueSettings {  // custom.fx.queues.NAME: what `resources` would create on AWS
  std::string name;
  int visibility_timeout_s = 30;
  int max_receive_count = 0;      // > 0: redrive to dead_letter_queue after this many receives
  std::string dead_letter_queue;  // name
};

class QueueService {
 public:
  QueueService(boost::asio::io_context& io, Pool& pool, LogSink& sink,
               const std::filesystem::path& db, std::string region);
  ~QueueService();

  void handle(HttpRequest& req, std::shared_ptr<Responder> r, const std::string& endpoint_url);

  // Creates the queues (and dead-letter queues) a service uses, and replaces its mappings.
  void set_service(const std::string& service, const std::vector<QueueSettings>& queues,
                   std::vector<QueueMapping> mappings);
  void remove_service(const std::string& service);

  // A message for an on-failure destination (a queue name or ARN). Returns an error, or "".
  std::string send(const std::string& queue, const std::string& body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
