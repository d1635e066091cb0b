// Lambda's DynamoDB stream event source on the emulator: a service's `stream` events become
// event source mappings on its tables' streams, each polled by core/sources' poller framework
// with a DynamoStreamSource, woken by every write that adds stream records. Applied after the
// tables, whose streams the mappings name.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/sources/event_source_kind.h"

namespace boost::asio {
class io_context;
}

namespace fx::sources {
struct EventSourceMapping;
}

namespace fx::emulator {

class Pool;
class LogSink;
class DynamoService;
class QueueService;

class StreamService : public sources::EventSourceKind {
 public:
  // `checkpoints` is the SQLite file of the mappings' checkpoints.
  StreamService(boost::asio::io_context& io, Pool& pool, LogSink& sink, DynamoService& dynamodb,
                QueueService& queues, const std::filesystem::path& checkpoints, std::string region);
  ~StreamService() override;

  // Replaces the service's stream mappings by those of its stream events; a mapping that stays
  // (same function, stream and place in the manifest) resumes at its checkpoint. Throws
  // fx::Error, having changed nothing, for a stream the emulator does not have or filter
  // patterns Lambda would refuse.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  void drop(const std::string& service) override;

  std::vector<const sources::EventSourceMapping*> mappings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
