#include "core/emulator/dynamodb_service.h"

#include <chrono>
#include <map>
#include <set>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/dynamodb/api.h"
#include "core/dynamodb/errors.h"
#include "core/dynamodb/streams_api.h"
#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/table_store.h"
#include "core/emulator/http_server.h"
#include "core/manifest/events_json.h"
#include "core/util/error.h"
#include "core/util/worker.h"

namespace fx::emulator {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

// A table of the manifest as CreateTable reads it. CloudFormation's StreamSpecification has
// only StreamViewType: a stream is on when it names one.
dynamodb::TableSchema schema_of(const manifest::TableConfig& t) {
  json request = json::parse(t.create_json);
  if (!request.is_object())
    throw Error(fmt::format("table {}: its definition is not an object", t.name));
  if (auto it = request.find("StreamSpecification"); it != request.end() && it->is_object())
    if (!it->contains("StreamEnabled")) (*it)["StreamEnabled"] = it->contains("StreamViewType");
  if (!request.contains("TableName")) request["TableName"] = t.name;
  try {
    auto schema = dynamodb::schema_from_create_request(request);
    schema.ttl_attribute = t.ttl_attribute;
    return schema;
  } catch (const std::exception& e) {
    throw Error(fmt::format("table {}: {}", t.name, e.what()),
                "fix the table's Properties in serverless.yaml's resources");
  }
}

bool same_keys(const dynamodb::TableSchema& a, const dynamodb::TableSchema& b) {
  auto key = [](const dynamodb::KeyDef& k) {
    return k.name + ":" + std::string(dynamodb::type_name(k.type));
  };
  auto range = [&](const dynamodb::TableSchema& s) { return s.range ? key(*s.range) : ""; };
  if (key(a.hash) != key(b.hash) || range(a) != range(b)) return false;
  if (a.local_indexes.size() != b.local_indexes.size()) return false;
  for (std::size_t i = 0; i < a.local_indexes.size(); ++i) {
    const auto &x = a.local_indexes[i], &y = b.local_indexes[i];
    if (x.name != y.name || key(*x.range) != key(*y.range) ||
        x.projection_type != y.projection_type)
      return false;
  }
  return true;
}

bool same_index(const dynamodb::IndexSchema& a, const dynamodb::IndexSchema& b) {
  auto range = [](const dynamodb::IndexSchema& i) {
    return i.range ? i.range->name + std::string(dynamodb::type_name(i.range->type)) : "";
  };
  return a.hash.name == b.hash.name && a.hash.type == b.hash.type && range(a) == range(b) &&
         a.projection_type == b.projection_type && a.non_key_attributes == b.non_key_attributes;
}

}  // namespace

struct DynamoService::Impl {
  asio::io_context& io;
  dynamodb::TableStore store;
  double clock_speed;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::int64_t started_ms;
  asio::steady_timer sweep_timer;
  int sweeps = 0;
  // By service, its tables of DeletionPolicy Retain as its last document has them (rebuilt
  // at start, when the stored documents are applied again): what drop() keeps.
  std::map<std::string, std::set<std::string>> retained;
  std::function<void()> stream_listener;  // called on the I/O thread
  // Last: joined before what its jobs use is destroyed.
  util::Worker worker;

  Impl(asio::io_context& io, const std::filesystem::path& db, std::string region, double speed)
      : io(io),
        store(db, std::move(region)),
        clock_speed(speed),
        started_ms(store.now_ms()),
        sweep_timer(io) {
    arm_sweep();
  }

  // From the worker: stream records were written.
  void announce() {
    asio::post(io, [this] {
      if (stream_listener) stream_listener();
    });
  }

  // Time to live's and shard iterators' clock: the wall clock, run clock_speed times faster
  // from the start.
  std::int64_t clock_ms() const {
    auto real = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
    return started_ms + static_cast<std::int64_t>(static_cast<double>(real) * clock_speed);
  }
  std::int64_t ttl_now_s() const { return clock_ms() / 1000; }

  void arm_sweep() {
    auto every = std::chrono::milliseconds(
        std::max<std::int64_t>(20, static_cast<std::int64_t>(1000.0 / clock_speed)));
    sweep_timer.expires_after(every);
    sweep_timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const bool trim = ++sweeps % 600 == 0;
      std::int64_t now_s = ttl_now_s();
      worker.post([this, now_s, trim] {
        try {
          // Deletes in rounds, so a flood of expired items never holds the store for long.
          const std::int64_t before = store.last_seq();
          while (store.sweep_expired(now_s) > 0) {
          }
          if (store.last_seq() != before) announce();
          if (trim) store.trim_streams();
        } catch (const std::exception& e) {
          fmt::print(stderr, "fx emulator: time to live's sweep failed: {}\n", e.what());
        }
        asio::post(io, [this] { arm_sweep(); });
      });
    });
  }
};

DynamoService::DynamoService(asio::io_context& io, const std::filesystem::path& db,
                             std::string region, double clock_speed)
    : impl_(std::make_unique<Impl>(io, db, std::move(region), clock_speed)) {}

DynamoService::~DynamoService() = default;

dynamodb::TableStore& DynamoService::store() {
  return impl_->store;
}

void DynamoService::on_stream_records(std::function<void()> listener) {
  impl_->stream_listener = std::move(listener);
}

void DynamoService::handle(HttpRequest& req, std::shared_ptr<Responder> r) {
  auto job = [impl = impl_.get(), r = std::move(r),
              target = std::string(req.header("X-Amz-Target")),
              body = std::move(req.body)]() mutable {
    const std::int64_t before = impl->store.last_seq();
    auto result = dynamodb::is_streams_target(target)
                      ? dynamodb::handle_streams(impl->store, target, body,
                                                 [impl] { return impl->clock_ms(); })
                      : dynamodb::handle_dynamodb(impl->store, target, body);
    if (impl->store.last_seq() != before) impl->announce();
    asio::post(impl->io, [r = std::move(r), result = std::move(result)]() mutable {
      HttpResponse h;
      h.status = result.status;
      h.headers = std::move(result.headers);
      h.body = std::move(result.body);
      r->send(std::move(h));
    });
  };
  impl_->worker.post(std::move(job));
}

std::vector<std::string> DynamoService::apply(const std::string& service,
                                              const manifest::ServiceEvents& events) {
  auto& store = impl_->store;
  // Every table is read and checked before anything changes.
  std::vector<dynamodb::TableSchema> wanted;
  std::set<std::string> names;
  for (const auto& t : events.tables) {
    wanted.push_back(schema_of(t));
    if (!names.insert(wanted.back().name).second)
      throw Error(fmt::format("two tables of the service are named {}", wanted.back().name));
  }
  std::vector<std::string> warnings;
  for (auto& w : wanted) {
    auto existing = store.find_table(w.name);
    if (!existing) {
      std::string ttl = w.ttl_attribute;
      w.ttl_attribute.clear();
      store.create_table(w, service);
      if (!ttl.empty()) store.set_ttl(w.name, ttl);
      continue;
    }
    const std::string owner = store.owner(w.name);
    if (owner != service) {
      warnings.push_back(fmt::format(
          "table {} exists already ({}): it is used as it is, and {} will not delete it", w.name,
          owner.empty() ? "created through the DynamoDB API" : "created by service " + owner,
          service));
      continue;
    }
    const auto& t = *existing;
    if (!same_keys(t, w))
      warnings.push_back(fmt::format(
          "table {}: its key schema or local indexes changed, which DynamoDB cannot change in "
          "place; it keeps its old ones (fx remove, then fx deploy, recreates it empty)",
          w.name));
    dynamodb::TableUpdate u;
    bool change = false;
    if (t.pay_per_request != w.pay_per_request) {
      u.pay_per_request = w.pay_per_request;
      change = true;
    }
    if (!w.pay_per_request &&
        (t.read_capacity != w.read_capacity || t.write_capacity != w.write_capacity)) {
      u.throughput = {w.read_capacity, w.write_capacity};
      change = true;
    }
    for (const auto& i : t.global_indexes) {
      const auto* now = w.index(i.name);
      if (!now || !now->global || !same_index(i, *now)) {
        u.delete_indexes.push_back(i.name);
        change = true;
      }
    }
    for (const auto& i : w.global_indexes) {
      const auto* before = t.index(i.name);
      if (!before || !same_index(*before, i)) {
        u.create_indexes.push_back(i);
        change = true;
      }
    }
    u.attribute_definitions = w.attribute_definitions;
    if (t.stream_enabled != w.stream_enabled ||
        (w.stream_enabled && t.stream_view_type != w.stream_view_type)) {
      if (t.stream_enabled && w.stream_enabled) {  // a new view type is a new stream
        dynamodb::TableUpdate off;
        off.stream = {false, ""};
        store.update_table(w.name, off);
      }
      u.stream = {w.stream_enabled, w.stream_view_type};
      change = true;
    }
    if (t.deletion_protection != w.deletion_protection) {
      u.deletion_protection = w.deletion_protection;
      change = true;
    }
    if (change) store.update_table(w.name, u);
    if (t.ttl_attribute != w.ttl_attribute) store.set_ttl(w.name, w.ttl_attribute);
    if (t.tags != w.tags) store.set_tags(w.name, w.tags);
  }
  // Tables the service made that its manifest no longer has go, as CloudFormation deletes them,
  // unless their DeletionPolicy kept them: then they are no longer the service's.
  auto& kept = impl_->retained[service];
  for (const auto& name : store.tables_of(service)) {
    if (names.count(name)) continue;
    if (kept.count(name))
      store.set_owner(name, "");
    else
      store.delete_table(name);
  }
  kept.clear();
  for (const auto& t : events.tables)
    if (t.retain) kept.insert(t.name);
  return warnings;
}

void DynamoService::drop(const std::string& service) {
  const auto kept = std::move(impl_->retained[service]);
  impl_->retained.erase(service);
  for (const auto& name : impl_->store.tables_of(service)) {
    try {
      // DeletionPolicy: Retain: the table and its items stay, no longer the service's (a
      // later deploy of it uses the table as it is and never deletes it).
      if (kept.count(name))
        impl_->store.set_owner(name, "");
      else
        impl_->store.delete_table(name);
    } catch (const std::exception& e) {
      fmt::print(stderr, "fx emulator: cannot delete table {} of {}: {}\n", name, service,
                 e.what());
    }
  }
}

}  // namespace fx::emulator
