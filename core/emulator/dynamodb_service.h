// DynamoDB on the emulator's endpoint: the JSON protocol (core/dynamodb/api.h) run on a worker
// thread of its own, so that a Scan of a big table never stalls the I/O thread; a service's
// tables (AWS::DynamoDB::Table resources of its manifest) created, updated and deleted with
// the service; time to live's background sweep.
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

namespace fx::dynamodb {
class TableStore;
}

namespace fx::emulator {

class Responder;
struct HttpRequest;

class DynamoService : public sources::EventSourceKind {
 public:
  // `clock_speed` runs time to live's clock faster (tests: FX_EMULATOR_CLOCK_SPEED).
  DynamoService(boost::asio::io_context& io, const std::filesystem::path& db, std::string region,
                double clock_speed = 1.0);
  ~DynamoService() override;

  void handle(HttpRequest& req, std::shared_ptr<Responder> r);

  // Creates the service's tables that do not exist, updates those whose settings changed and
  // deletes those it created that the manifest no longer has. A table of that name created
  // through the API, or by another service, is used as it is (a warning says so). Throws
  // fx::Error, having changed nothing, for a table DynamoDB would refuse.
  std::vector<std::string> apply(const std::string& service,
                                 const manifest::ServiceEvents& events) override;
  // Deletes the tables the service created (fx remove), except those of DeletionPolicy Retain
  // in its last document: those are kept, no longer the service's.
  void drop(const std::string& service) override;

  dynamodb::TableStore& store();

  // `listener` runs on the I/O thread after each request or time-to-live sweep that wrote
  // stream records (the stream event's pollers look then, rather than on a timer).
  void on_stream_records(std::function<void()> listener);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fx::emulator
