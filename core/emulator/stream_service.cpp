#include "core/emulator/stream_service.h"

#include <map>
#include <set>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>

#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/table_store.h"
#include "core/emulator/dynamodb_service.h"
#include "core/emulator/log_sink.h"
#include "core/emulator/queue_service.h"
#include "core/lambda/types.h"
#include "core/manifest/events_json.h"
#include "core/sources/dynamodb_stream_source.h"
#include "core/sources/mapping.h"
#include "core/sources/poller.h"
#include "core/sources/stream_checkpoints.h"
#include "core/util/error.h"

namespace fx::emulator {

namespace {

// arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL -> NAME
std::string table_of_arn(const std::string& arn) {
  const auto at = arn.find(":table/");
  if (at == std::string::npos) return "";
  const auto start = at + 7;
  const auto end = arn.find("/stream/", start);
  return arn.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

struct StreamService::Impl {
  Pool& pool;
  LogSink& sink;
  DynamoService& dynamodb;
  QueueService& queues;
  sources::StreamCheckpoints checkpoints;
  std::string region;
  sources::Pollers pollers;

  Impl(boost::asio::io_context& io, Pool& pool, LogSink& sink, DynamoService& dynamodb,
       QueueService& queues, const std::filesystem::path& path, std::string region)
      : pool(pool),
        sink(sink),
        dynamodb(dynamodb),
        queues(queues),
        checkpoints(path),
        region(std::move(region)),
        pollers(poller_host(io, pool, sink)) {}

  // The ARN of the stream a stream event reads: the one its ARN names, else the current stream
  // of its table (by Fn::GetAtt, or named in an ARN of another account, region or label: the
  // local table stands in for the one on AWS).
  std::string resolve(const manifest::FunctionEvents& f, const manifest::StreamEvent& e) {
    auto& store = dynamodb.store();
    if (!e.arn.empty() && store.find_stream(e.arn)) return e.arn;
    const std::string table = e.table.empty() ? table_of_arn(e.arn) : e.table;
    const std::string named = e.table.empty() ? "stream " + e.arn : "the stream of table " + table;
    const auto schema = store.find_table(table);
    if (!schema)
      throw Error(fmt::format("function {}: its stream event reads {}, but the emulator has no "
                              "table {}",
                              f.key, named, table),
                  "declare the table under resources (AWS::DynamoDB::Table) or create it "
                  "(aws dynamodb create-table --endpoint-url ...), then deploy again");
    if (!schema->stream_enabled)
      throw Error(fmt::format("function {}: its stream event reads {}, but table {} has no stream",
                              f.key, named, table),
                  "add StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES} to the table");
    return dynamodb::stream_arn(store.region(), schema->name, schema->stream_label);
  }

  std::string destination_arn(const std::string& on_failure) const {
    if (on_failure.empty() || on_failure.starts_with("arn:")) return on_failure;
    // A queue by name (documents that name it so).
    return fmt::format("arn:aws:sqs:{}:{}:{}", region, lambda::kLocalAccount, on_failure);
  }
};

StreamService::StreamService(boost::asio::io_context& io, Pool& pool, LogSink& sink,
                             DynamoService& dynamodb, QueueService& queues,
                             const std::filesystem::path& checkpoints, std::string region)
    : impl_(std::make_unique<Impl>(io, pool, sink, dynamodb, queues, checkpoints,
                                   std::move(region))) {
  dynamodb.on_stream_records([impl = impl_.get()] { impl->pollers.wake_all(); });
}

StreamService::~StreamService() {
  impl_->dynamodb.on_stream_records(nullptr);  // the tables outlive their pollers
}

std::vector<std::string> StreamService::apply(const std::string& service,
                                              const manifest::ServiceEvents& events) {
  struct Planned {
    sources::EventSourceMapping mapping;
  };
  // Every mapping is resolved and checked before anything changes.
  std::vector<Planned> planned;
  std::vector<std::string> warnings;
  std::map<std::string, int> count;  // of mappings of the same function and stream
  for (const auto& f : events.functions)
    for (const auto* e : manifest::events_of<manifest::StreamEvent>(f.events)) {
      const std::string stream = impl_->resolve(f, *e);
      auto m = sources::stream_mapping(service, f.name, *e, stream,
                                       impl_->destination_arn(e->on_failure),
                                       ++count[f.name + " " + stream]);
      if (e->parallelization_factor > 1)
        warnings.push_back(fmt::format(
            "{}: parallelizationFactor {} is not emulated: the table's stream is one shard, read "
            "one batch at a time, in order",
            f.key, e->parallelization_factor));
      if (e->tumbling_window_s > 0)
        warnings.push_back(fmt::format(
            "{}: tumblingWindowInSeconds is not emulated: batches carry no window state", f.key));
      if (!m.on_failure.empty() && m.on_failure.find(":sqs:") == std::string::npos)
        warnings.push_back(fmt::format(
            "{}: the emulator has no SNS topics: discarded batches of its stream are logged "
            "instead of sent to {}",
            f.key, m.on_failure));
      planned.push_back({std::move(m)});
    }
  std::set<std::string> keep;
  for (const auto& p : planned) keep.insert(p.mapping.uuid);
  impl_->pollers.drop(service);  // a batch in flight still ends as it would have
  impl_->checkpoints.forget(service, keep);
  for (auto& p : planned) {
    sources::DynamoStreamSource::Host host;
    host.region = impl_->region;
    host.send = [impl = impl_.get()](const std::string& destination, const std::string& body) {
      return impl->queues.send(destination, body);
    };
    host.log = [impl = impl_.get(), function = p.mapping.function](const std::string& line) {
      impl->sink.emit(function, "", line);
    };
    auto source = std::make_unique<sources::DynamoStreamSource>(
        impl_->dynamodb.store(), impl_->checkpoints, p.mapping, std::move(host));
    impl_->pollers.add(std::move(p.mapping), std::move(source));
  }
  return warnings;
}

void StreamService::drop(const std::string& service) {
  impl_->pollers.drop(service);
  impl_->checkpoints.forget(service);
}

std::vector<const sources::EventSourceMapping*> StreamService::mappings() const {
  return impl_->pollers.mappings();
}

}  // namespace fx::emulator
