// QueueService (the emulator's queues and Lambda's SQS event source) driven through its
// PollerHost seam: a real queue database and a real I/O context, the instance pool replaced
// by an invoke callback that records each batch and answers it. What is checked is what
// QueueService itself adds to the pollers (core/sources, tested on their own): the queues a
// service's document creates, one mapping per sqs event, a message sent reaching the function,
// mappings replaced or dropped with the service, and sends to destinations.
#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/emulator/queue_service.h"
#include "core/manifest/events_json.h"
#include "core/queues/queue_store.h"
#include "core/sources/mapping.h"
#include "temp_dir.h"

using Catch::Matchers::Contains;
using fx::sources::InvokeResult;
using nlohmann::json;

namespace {

constexpr const char* kRegion = "eu-west-1";

struct Batch {
  std::string function;
  std::vector<json> records;
  std::function<void(InvokeResult)> done;
};

struct Fixture {
  fx::test::TempDir tmp{"queue-service"};
  boost::asio::io_context io;
  std::vector<Batch> batches;
  std::vector<std::string> log;
  bool answer_at_once = true;
  InvokeResult answer;  // 200, no error
  std::unique_ptr<fx::emulator::QueueService> service;

  Fixture() {
    fx::sources::PollerHost host;
    host.io = &io;
    host.has_function = [](const std::string&) { return true; };
    host.invoke = [this](const std::string& function, std::string payload,
                         std::function<void(InvokeResult)> done) {
      Batch b{function, {}, std::move(done)};
      const json event = json::parse(payload);
      for (const auto& r : event["Records"]) b.records.push_back(r);
      batches.push_back(std::move(b));
      if (answer_at_once)
        boost::asio::post(io, [done = batches.back().done, r = answer] { done(r); });
    };
    host.log = [this](const std::string& function, const std::string& line) {
      log.push_back(function + ": " + line);
    };
    service = std::make_unique<fx::emulator::QueueService>(io, std::move(host), tmp / "queues.db",
                                                           kRegion);
  }
  ~Fixture() { service.reset(); }

  // A second connection to the same database, to see what the service stored.
  fx::queues::QueueStore inspect() { return fx::queues::QueueStore(tmp / "queues.db"); }

  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline)
      io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(done());
  }
  void run_a_while() {
    io.restart();
    io.run_for(std::chrono::milliseconds(200));
  }
};

fx::manifest::FunctionEvents function_with_sqs(const std::string& name,
                                               std::vector<std::string> queues) {
  fx::manifest::FunctionEvents f;
  f.name = name;
  f.key = name;
  for (auto& q : queues) {
    fx::manifest::SqsEvent e;
    e.queue = std::move(q);
    e.batch_size = 5;
    f.events.emplace_back(std::move(e));
  }
  return f;
}

}  // namespace

TEST_CASE("queue service: a service's queues are created with their attributes and redrive",
          "[emulator][queues]") {
  Fixture fx;
  fx::manifest::ServiceEvents events;
  events.queues.push_back({"jobs", 45, 3, "jobs-dlq"});
  events.queues.push_back({"plain", std::nullopt, 0, ""});
  // A queue an sqs event names, though no resource declares it, exists too.
  events.functions.push_back(function_with_sqs("svc-dev-worker", {"jobs", "by-event"}));
  CHECK(fx.service->apply("svc", events).empty());

  auto store = fx.inspect();
  CHECK(store.list_queues() == std::vector<std::string>{"by-event", "jobs", "jobs-dlq", "plain"});
  auto jobs = store.attributes("jobs", kRegion);
  CHECK(jobs.at("VisibilityTimeout") == "45");
  CHECK(json::parse(jobs.at("RedrivePolicy")) ==
        json{{"deadLetterTargetArn", "arn:aws:sqs:eu-west-1:000000000000:jobs-dlq"},
             {"maxReceiveCount", 3}});
  CHECK(store.attributes("plain", kRegion).at("VisibilityTimeout") == "30");
  CHECK(store.attributes("jobs-dlq", kRegion).count("RedrivePolicy") == 0);

  auto mappings = fx.service->mappings();
  REQUIRE(mappings.size() == 2);
  CHECK(mappings[0]->service == "svc");
  CHECK(mappings[0]->function == "svc-dev-worker");
  CHECK(mappings[0]->source_arn == "arn:aws:sqs:eu-west-1:000000000000:jobs");
  CHECK(mappings[0]->batch_size == 5);
  CHECK(mappings[1]->source_arn == "arn:aws:sqs:eu-west-1:000000000000:by-event");
  CHECK(mappings[0]->uuid != mappings[1]->uuid);
}

TEST_CASE("queue service: a message sent reaches the function; a success deletes it",
          "[emulator][queues]") {
  Fixture fx;
  fx::manifest::ServiceEvents events;
  events.functions.push_back(function_with_sqs("svc-dev-worker", {"jobs"}));
  fx.service->apply("svc", events);

  // By name and by ARN, as destinations name queues.
  CHECK(fx.service->send("jobs", R"({"n": 1})") == "");
  CHECK(fx.service->send("arn:aws:sqs:eu-west-1:000000000000:jobs", R"({"n": 2})") == "");
  fx.run_until([&] {
    std::size_t n = 0;
    for (const auto& b : fx.batches) n += b.records.size();
    return n == 2;
  });
  CHECK(fx.batches[0].function == "svc-dev-worker");
  const json& r = fx.batches[0].records[0];
  CHECK(r["eventSource"] == "aws:sqs");
  CHECK(r["eventSourceARN"] == "arn:aws:sqs:eu-west-1:000000000000:jobs");
  CHECK(r["awsRegion"] == kRegion);
  CHECK(r["body"] == R"({"n": 1})");
  fx.run_a_while();
  auto a = fx.inspect().attributes("jobs", kRegion);
  CHECK(a.at("ApproximateNumberOfMessages") == "0");
  CHECK(a.at("ApproximateNumberOfMessagesNotVisible") == "0");
}

TEST_CASE("queue service: a failed batch stays in the queue, invisible for its timeout",
          "[emulator][queues]") {
  Fixture fx;
  fx.answer = InvokeResult{200, "Unhandled", R"({"errorMessage": "boom"})"};
  fx::manifest::ServiceEvents events;
  events.queues.push_back({"jobs", 600, 0, ""});
  events.functions.push_back(function_with_sqs("svc-dev-worker", {"jobs"}));
  fx.service->apply("svc", events);
  CHECK(fx.service->send("jobs", "x") == "");
  fx.run_until([&] { return fx.batches.size() == 1; });
  fx.run_a_while();
  CHECK(fx.batches.size() == 1);  // not again before its visibility timeout
  auto a = fx.inspect().attributes("jobs", kRegion);
  CHECK(a.at("ApproximateNumberOfMessages") == "0");
  CHECK(a.at("ApproximateNumberOfMessagesNotVisible") == "1");
}

TEST_CASE("queue service: applying again replaces the mappings; dropping the service ends them",
          "[emulator][queues]") {
  Fixture fx;
  fx::manifest::ServiceEvents events;
  events.functions.push_back(function_with_sqs("svc-dev-worker", {"jobs"}));
  fx.service->apply("svc", events);
  fx::manifest::ServiceEvents other;
  other.functions.push_back(function_with_sqs("other-dev-fn", {"elsewhere"}));
  fx.service->apply("other", other);
  REQUIRE(fx.service->mappings().size() == 2);
  const std::string uuid = fx.service->mappings()[0]->uuid;

  events.functions[0] = function_with_sqs("svc-dev-worker", {"jobs", "more"});
  fx.service->apply("svc", events);
  auto mappings = fx.service->mappings();
  REQUIRE(mappings.size() == 3);
  int of_svc = 0;
  bool same_uuid = false;  // an unchanged event keeps its mapping's UUID across deploys
  for (const auto* m : mappings) {
    of_svc += m->service == "svc";
    same_uuid |= m->uuid == uuid;
  }
  CHECK(of_svc == 2);
  CHECK(same_uuid);

  fx.service->drop("svc");
  mappings = fx.service->mappings();
  REQUIRE(mappings.size() == 1);
  CHECK(mappings[0]->service == "other");
  // The queue stays; nothing polls it for the dropped service any more.
  CHECK(fx.service->send("jobs", "after") == "");
  fx.run_a_while();
  CHECK(fx.batches.empty());
  CHECK(fx.inspect().attributes("jobs", kRegion).at("ApproximateNumberOfMessages") == "1");
}

TEST_CASE("queue service: a filter pattern Lambda refuses fails the apply and changes nothing",
          "[emulator][queues]") {
  Fixture fx;
  fx::manifest::ServiceEvents events;
  events.functions.push_back(function_with_sqs("svc-dev-worker", {"jobs"}));
  fx.service->apply("svc", events);
  REQUIRE(fx.service->mappings().size() == 1);

  auto bad = function_with_sqs("svc-dev-worker", {"new-queue"});
  std::get<fx::manifest::SqsEvent>(bad.events[0]).filter_patterns = {
      R"({"body":{"n":[{"above":3}]}})"};
  fx::manifest::ServiceEvents next;
  next.functions.push_back(bad);
  CHECK_THROWS_WITH(fx.service->apply("svc", next), Contains("unknown operator 'above'"));
  REQUIRE(fx.service->mappings().size() == 1);
  CHECK(fx.service->mappings()[0]->source_arn == "arn:aws:sqs:eu-west-1:000000000000:jobs");
  CHECK(fx.inspect().list_queues() == std::vector<std::string>{"jobs"});
}

TEST_CASE("queue service: a destination queue that does not exist is an error, not a throw",
          "[emulator][queues]") {
  Fixture fx;
  CHECK_THAT(fx.service->send("nowhere", "x"), Contains("does not exist"));
  CHECK_THAT(fx.service->send("arn:aws:sqs:eu-west-1:000000000000:nowhere", "x"),
             Contains("does not exist"));
}
