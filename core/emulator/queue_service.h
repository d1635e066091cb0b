// SQS-compatible queues on the emulator's endpoint (the JSON protocol the AWS CLI and boto3
// speak), long polls parked on the I/O thread, and Lambda's SQS event source: a service's sqs
// events become event source mappings, each polled by core/sources' poller framework.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/event_source_kind.h"
#include "core/sources/poller.h"

namespace boost::asio {
class io_context;
}

namespace fx::sources {
struct EventSourceMapping;
struct PollerHost;
}  // namespace fx::sources

namespace fx::emulator {

class Pool;
class LogSink;
class Responder;
struct HttpRequest;

// What every event source mapping's poller needs of the emulator: the pool's functions, invoked
// as Lambda's pollers invoke them, and their logs.
sources::PollerHost poller_host(boost::asio::io_context& io, Pool& pool, LogSink& sink);

class QueueService : public sources::EventSourceKind {
 public:
  // Lambda's pollers invoke through `host`; the emulator's is its instance pool and log.
  QueueService(boost::asio::io_context& io, sources::PollerHost host,
               const std::filesystem::path& db, std::string region);
  QueueService(boost::asio::io_context& io, Pool& pool, LogSink& sink,
               const std::filesystem::path& db, std::string region);
  ~QueueService() override;

  void handle(HttpRequest& req, std::shared_ptr<Responder> r, const std::string& endpoint_url);

  // Creates the queues (and dead-letter queues) a service uses, and replaces its mappings
  // with those of its sqs events. Throws fx::Error for filter patterns Lambda would refuse.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

  // Every service's event source mappings.
  std::vector<const sources::EventSourceMapping*> mappings() const;

  // Whether the emulator has the queue with this ARN (of its own region and account).
  bool has_queue_arn(const std::string& arn);

  // A message for an on-failure destination (a queue name or ARN). Returns an error, or "";
  // a FIFO queue is always an error, as Lambda sends no record to one.
  std::string send(const std::string& queue, const std::string& body);

  // A message from an SNS subscription (a queue's name or ARN): `attributes` become SQS
  // message attributes (raw delivery); a FIFO queue takes the group and deduplication ids.
  // Returns an error, or "".
  struct Attribute {
    std::string name, data_type, string_value, binary_value;
  };
  std::string send(const std::string& queue, const std::string& body,
                   const std::vector<Attribute>& attributes, const std::string& group_id,
                   const std::string& deduplication_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
