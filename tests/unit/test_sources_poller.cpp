// The poller framework on a real queue (SQLite in a temporary directory) and a real I/O
// context. What stands in for the emulator is the host's invoke: it records each batch and
// answers on the I/O thread, as the instance pool does.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/manifest/events.h"
#include "core/queues/queue_store.h"
#include "core/sources/mapping.h"
#include "core/sources/poller.h"
#include "core/sources/sqs_source.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::queues::QueueStore;
using fx::sources::EventSourceMapping;
using fx::sources::InvokeResult;
using nlohmann::json;

namespace {

constexpr const char* kRegion = "us-east-1";
constexpr const char* kArn = "arn:aws:sqs:us-east-1:000000000000:jobs";

struct Call {
  std::string function;
  std::vector<std::string> bodies;  // of the batch's records, in order
  std::vector<std::string> ids;
  std::function<void(InvokeResult)> done;
};

struct Fixture {
  fx::test::TempDir tmp{"sources"};
  fs::path dir = tmp.path;
  boost::asio::io_context io;
  std::unique_ptr<QueueStore> store;
  std::vector<Call> calls;
  std::vector<std::string> log;
  bool answer_at_once = true;  // else the test answers calls[i].done itself
  InvokeResult answer;
  std::unique_ptr<fx::sources::Pollers> pollers;

  Fixture() {
    store = std::make_unique<QueueStore>(dir / "queues.db");
    store->create_queue("jobs", {{"VisibilityTimeout", "30"}});
    fx::sources::PollerHost host;
    host.io = &io;
    host.has_function = [](const std::string& f) { return f != "gone"; };
    host.invoke = [this](const std::string& function, std::string payload,
                         std::function<void(InvokeResult)> done) {
      Call call{function, {}, {}, std::move(done)};
      const json event = json::parse(payload);
      for (const auto& r : event["Records"]) {
        call.bodies.push_back(r["body"].get<std::string>());
        call.ids.push_back(r["messageId"].get<std::string>());
      }
      calls.push_back(std::move(call));
      if (answer_at_once) {
        auto& c = calls.back();
        boost::asio::post(io, [done = c.done, result = answer] { done(result); });
      }
    };
    host.log = [this](const std::string& function, const std::string& line) {
      log.push_back(function + ": " + line);
    };
    pollers = std::make_unique<fx::sources::Pollers>(std::move(host));
  }
  ~Fixture() {
    pollers.reset();
    store.reset();
  }

  EventSourceMapping mapping(std::string function = "svc-dev-worker") {
    fx::manifest::SqsEvent event;
    event.queue = "jobs";
    return fx::sources::sqs_mapping("svc", function, event, kArn, 1);
  }
  void add(EventSourceMapping m) {
    pollers->add(std::move(m), std::make_unique<fx::sources::SqsSource>(*store, "jobs", kRegion));
  }
  void send(int n, const std::string& prefix = "m") {
    for (int i = 0; i < n; ++i) store->send("jobs", prefix + std::to_string(i));
  }
  void run() {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  std::size_t left() {
    auto a = store->attributes("jobs", kRegion);
    return std::stoul(a.at("ApproximateNumberOfMessages")) +
           std::stoul(a.at("ApproximateNumberOfMessagesNotVisible"));
  }
};

}  // namespace

TEST_CASE("sources: a mapping of an sqs event has Lambda's settings and a stable UUID",
          "[sources]") {
  fx::manifest::SqsEvent e;
  e.queue = "jobs";
  e.batch_size = 7;
  e.batching_window_s = 2;
  e.report_batch_item_failures = true;
  e.enabled = false;
  e.max_concurrency = 3;
  e.filter_patterns = {R"({"body":{"type":["order"]}})"};
  auto m = fx::sources::sqs_mapping("svc", "svc-dev-worker", e, kArn, 1);
  CHECK(m.service == "svc");
  CHECK(m.function == "svc-dev-worker");
  CHECK(m.source_arn == kArn);
  CHECK(m.state == "Disabled");
  CHECK_FALSE(m.enabled());
  CHECK(m.batch_size == 7);
  CHECK(m.batching_window_s == 2);
  CHECK(m.report_batch_item_failures);
  CHECK(m.max_concurrency == 3);
  CHECK(m.filter.size() == 1);
  CHECK(m.uuid.size() == 36);
  CHECK(m.uuid[14] == '4');
  CHECK(m.uuid == fx::sources::sqs_mapping("svc", "svc-dev-worker", e, kArn, 1).uuid);
  CHECK(m.uuid != fx::sources::sqs_mapping("svc", "svc-dev-worker", e, kArn, 2).uuid);
  CHECK(m.uuid != fx::sources::sqs_mapping("other", "svc-dev-worker", e, kArn, 1).uuid);

  e.filter_patterns = {R"({"body":{"n":[{"above":3}]}})"};
  CHECK_THROWS_WITH(fx::sources::sqs_mapping("svc", "f", e, kArn, 1),
                    Catch::Matchers::Contains("unknown operator 'above'"));
}

TEST_CASE("sources: batch item failures are read from the function's result", "[sources]") {
  using fx::sources::batch_item_failures;
  CHECK(batch_item_failures(R"({"batchItemFailures":[{"itemIdentifier":"a"},{"x":1},)"
                            R"({"itemIdentifier":"b"}]})") == std::set<std::string>{"a", "b"});
  CHECK(batch_item_failures("null").empty());
  CHECK(batch_item_failures("not json").empty());
  CHECK(batch_item_failures(R"({"batchItemFailures":"a"})").empty());
}

TEST_CASE("sources: what waits is delivered in batches and deleted when the function succeeds",
          "[sources]") {
  Fixture f;
  f.send(12);  // before the mapping exists, as before a deploy or a restart
  auto m = f.mapping();
  m.batch_size = 5;
  f.add(m);
  f.run();
  REQUIRE(f.calls.size() == 3);
  CHECK(f.calls[0].function == "svc-dev-worker");
  CHECK(f.calls[0].bodies.size() == 5);
  CHECK(f.calls[2].bodies.size() == 2);
  CHECK(f.left() == 0);

  f.send(1, "late");
  f.pollers->wake(kArn);
  f.run();
  REQUIRE(f.calls.size() == 4);
  CHECK(f.calls[3].bodies == std::vector<std::string>{"late0"});
}

TEST_CASE("sources: a failed batch stays; reported item failures stay", "[sources]") {
  Fixture f;
  f.send(3);
  auto m = f.mapping();
  m.report_batch_item_failures = true;
  f.answer_at_once = false;
  f.add(m);
  f.run();
  REQUIRE(f.calls.size() == 1);
  REQUIRE(f.calls[0].ids.size() == 3);
  f.calls[0].done(
      {200, "", json{{"batchItemFailures", {{{"itemIdentifier", f.calls[0].ids[1]}}}}}.dump()});
  CHECK(f.left() == 1);  // the one reported, hidden until its visibility timeout

  Fixture g;
  g.send(2);
  g.answer_at_once = false;
  g.add(g.mapping());
  g.run();
  REQUIRE(g.calls.size() == 1);
  g.calls[0].done({200, "Unhandled", "{}"});
  CHECK(g.left() == 2);
}

TEST_CASE("sources: records no filter pattern passes are deleted unseen, and said so",
          "[sources]") {
  Fixture f;
  f.store->send("jobs", R"({"type":"order"})");
  f.store->send("jobs", R"({"type":"refund"})");
  f.store->send("jobs", "plain text");
  auto m = f.mapping();
  m.filter = fx::events::EventFilter::parse({R"({"body":{"type":["order"]}})"});
  f.add(m);
  f.run();
  REQUIRE(f.calls.size() == 1);
  CHECK(f.calls[0].bodies == std::vector<std::string>{R"({"type":"order"})"});
  CHECK(f.left() == 0);
  CHECK(f.log == std::vector<std::string>{
                     "svc-dev-worker: fx: 2 messages of queue jobs matched no filterPatterns "
                     "and were deleted, as Lambda does"});
}

TEST_CASE("sources: maximumConcurrency caps the batches in flight", "[sources]") {
  Fixture f;
  f.send(6);
  auto m = f.mapping();
  m.batch_size = 1;
  m.max_concurrency = 2;
  f.answer_at_once = false;
  f.add(m);
  f.run();
  CHECK(f.calls.size() == 2);
  f.calls[0].done({200, "", "{}"});
  f.run();
  CHECK(f.calls.size() == 3);  // one ended, one more started
}

TEST_CASE("sources: disabled, dropped and functionless mappings read nothing", "[sources]") {
  Fixture f;
  f.send(2);
  auto disabled = f.mapping();
  disabled.state = "Disabled";
  f.add(disabled);
  f.add(f.mapping("gone"));
  f.run();
  CHECK(f.calls.empty());
  CHECK(f.pollers->mappings().size() == 2);
  CHECK(f.pollers->find(disabled.uuid) != nullptr);

  // A batch in flight when its mapping is dropped still ends as it would have.
  f.answer_at_once = false;
  auto m = f.mapping();
  m.batch_size = 1;
  m.uuid = "another";
  f.add(m);
  f.run();
  REQUIRE(f.calls.size() == 2);  // one each, up to the default five in flight
  f.pollers->drop("svc");
  CHECK(f.pollers->mappings().empty());
  f.calls[0].done({200, "", "{}"});
  f.run();
  CHECK(f.calls.size() == 2);
  CHECK(f.left() == 1);
}
