// The asynchronous invoker on a real store (SQLite in a temporary directory) and a real I/O
// context, its clock sped up so that Lambda's one- and two-minute retry delays take a few
// hundred milliseconds. What stands in for the emulator are the hooks: invoke records each
// attempt and the test answers it (on the I/O thread, as the instance pool does); deliver
// records each invocation record sent to a destination.
#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/sources/async_invoker.h"
#include "core/store/store.h"
#include "temp_dir.h"

using Catch::Matchers::Contains;
using fx::sources::AsyncInvoker;
using fx::sources::AsyncSettings;
using fx::sources::InvokeResult;
using nlohmann::json;

namespace {

struct Attempt {
  std::string function, request_id, payload;
  std::function<void(InvokeResult)> done;
};

struct Delivery {
  std::string destination;
  json record;
};

const InvokeResult kOk{200, "", R"({"ok": true})"};
const InvokeResult kUnhandled{200, "Unhandled", R"({"errorMessage": "boom"})"};

struct Fixture {
  explicit Fixture(double speed = 1000) : clock{fx::util::now_ms(), speed} { open(); }

  fx::test::TempDir tmp{"async"};
  boost::asio::io_context io;
  std::unique_ptr<fx::store::Store> store;
  fx::util::ScaledClock clock;
  std::unique_ptr<AsyncInvoker> invoker;
  std::vector<Attempt> attempts;
  std::vector<Delivery> deliveries;
  std::vector<std::string> log;
  std::string deliver_error;         // what deliver answers
  std::deque<InvokeResult> answers;  // answered at once, in order, while there are any

  // (Re)opens the store and the invoker on it, as a restarted emulator does.
  void open() {
    invoker.reset();
    store.reset();
    store = std::make_unique<fx::store::Store>(tmp / "state.db");
    fx::sources::AsyncInvokerHooks hooks;
    hooks.invoke = [this](const std::string& function, const std::string& request_id,
                          const std::string& payload, std::function<void(InvokeResult)> done) {
      attempts.push_back({function, request_id, payload, std::move(done)});
      if (!answers.empty()) {
        InvokeResult r = answers.front();
        answers.pop_front();
        boost::asio::post(io, [done = attempts.back().done, r] { done(r); });
      }
    };
    hooks.deliver = [this](const std::string& destination, std::string record) {
      deliveries.push_back({destination, json::parse(record)});
      return deliver_error;
    };
    hooks.log = [this](const std::string& function, const std::string& request_id,
                       const std::string& line) {
      log.push_back(function + " " + request_id + ": " + line);
    };
    invoker = std::make_unique<AsyncInvoker>(io, *store, clock, "eu-west-1", std::move(hooks));
  }

  // Runs the I/O context until `done` holds; fails the test after 20 s of real time.
  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    io.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline)
      io.run_one_for(std::chrono::milliseconds(50));
    REQUIRE(done());
  }
  // Runs what is ready now (posted answers), without waiting for timers.
  void settle() {
    io.restart();
    io.poll();
  }

  void configure(AsyncSettings settings, const std::string& function = "svc-dev-fn") {
    invoker->configure("svc", {{function, std::move(settings)}});
  }
};

}  // namespace

TEST_CASE("async invoker: a success is attempted once and leaves nothing behind",
          "[sources][async]") {
  Fixture fx;
  fx.answers = {kOk};
  fx.invoker->submit("svc-dev-fn", R"({"n": 1})", "req-1");
  fx.settle();
  REQUIRE(fx.attempts.size() == 1);
  CHECK(fx.attempts[0].function == "svc-dev-fn");
  CHECK(fx.attempts[0].request_id == "req-1");
  CHECK(fx.attempts[0].payload == R"({"n": 1})");
  CHECK(fx.deliveries.empty());
  CHECK(fx.log.empty());
  CHECK(fx.invoker->pending() == 0);
  CHECK(fx.store->async_invocations().empty());
}

TEST_CASE("async invoker: the invocation is stored before its first attempt ends",
          "[sources][async]") {
  Fixture fx;
  fx.invoker->submit("svc-dev-fn", "{}", "req-1");  // no answer yet
  REQUIRE(fx.attempts.size() == 1);
  CHECK(fx.invoker->pending() == 1);
  auto stored = fx.store->async_invocations();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].request_id == "req-1");
  CHECK(stored[0].function == "svc-dev-fn");
  CHECK(stored[0].payload == "{}");
  CHECK(stored[0].attempts == 0);
  fx.attempts[0].done(kOk);
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE("async invoker: a success goes to on-success as Lambda's invocation record",
          "[sources][async]") {
  Fixture fx;
  fx.configure({2, 0, "failures", "arn:aws:sqs:eu-west-1:000000000000:done"});
  fx.answers = {kOk};
  fx.invoker->submit("svc-dev-fn", R"({"order": 7})", "req-1");
  fx.settle();
  REQUIRE(fx.deliveries.size() == 1);
  CHECK(fx.deliveries[0].destination == "arn:aws:sqs:eu-west-1:000000000000:done");
  const json& r = fx.deliveries[0].record;
  CHECK(r["version"] == "1.0");
  CHECK(std::regex_match(r["timestamp"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  CHECK(r["requestContext"] ==
        json{{"requestId", "req-1"},
             {"functionArn", "arn:aws:lambda:eu-west-1:000000000000:function:svc-dev-fn:$LATEST"},
             {"condition", "Success"},
             {"approximateInvokeCount", 1}});
  CHECK(r["requestPayload"] == json{{"order", 7}});
  CHECK(r["responseContext"] == json{{"statusCode", 200}, {"executedVersion", "$LATEST"}});
  CHECK(r["responsePayload"] == json{{"ok", true}});
  CHECK(r.size() == 6);
  CHECK(fx.log.empty());
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE(
    "async invoker: a failure is retried twice, a minute then two minutes later, then "
    "sent to on-failure",
    "[sources][async]") {
  Fixture fx;
  fx.configure({2, 0, "failures", "successes"});
  fx.invoker->submit("svc-dev-fn", R"({"n": 1})", "req-1");
  REQUIRE(fx.attempts.size() == 1);

  // First failure: booked in the store for one minute later (on the emulator's clock).
  std::int64_t before = fx.clock.now_ms();
  fx.attempts[0].done(kUnhandled);
  std::int64_t after = fx.clock.now_ms();
  auto stored = fx.store->async_invocations();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].attempts == 1);
  CHECK(stored[0].next_attempt_ms >= before + AsyncInvoker::kRetryDelayMs);
  CHECK(stored[0].next_attempt_ms <= after + AsyncInvoker::kRetryDelayMs);
  CHECK(fx.deliveries.empty());

  fx.run_until([&] { return fx.attempts.size() == 2; });
  CHECK(fx.clock.now_ms() >= before + AsyncInvoker::kRetryDelayMs);
  CHECK(fx.attempts[1].request_id == "req-1");  // the same for every attempt, as on Lambda
  CHECK(fx.attempts[1].payload == R"({"n": 1})");

  before = fx.clock.now_ms();
  fx.attempts[1].done(kUnhandled);
  after = fx.clock.now_ms();
  stored = fx.store->async_invocations();
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].attempts == 2);
  CHECK(stored[0].next_attempt_ms >= before + 2 * AsyncInvoker::kRetryDelayMs);
  CHECK(stored[0].next_attempt_ms <= after + 2 * AsyncInvoker::kRetryDelayMs);

  fx.run_until([&] { return fx.attempts.size() == 3; });
  CHECK(fx.clock.now_ms() >= before + 2 * AsyncInvoker::kRetryDelayMs);
  fx.attempts[2].done(kUnhandled);

  REQUIRE(fx.deliveries.size() == 1);
  CHECK(fx.deliveries[0].destination == "failures");
  const json& r = fx.deliveries[0].record;
  CHECK(r["requestContext"]["condition"] == "RetriesExhausted");
  CHECK(r["requestContext"]["approximateInvokeCount"] == 3);
  CHECK(r["requestContext"]["requestId"] == "req-1");
  CHECK(r["responseContext"] ==
        json{{"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}});
  CHECK(r["responsePayload"] == json{{"errorMessage", "boom"}});
  REQUIRE(fx.log.size() == 1);
  CHECK(fx.log[0] ==
        "svc-dev-fn req-1: fx: asynchronous invocation req-1 failed 3 times; sent to failures");
  CHECK(fx.invoker->pending() == 0);
  // Nothing more is waiting to be attempted.
  fx.io.restart();
  CHECK(fx.io.run_for(std::chrono::milliseconds(200)) == 0);
  CHECK(fx.attempts.size() == 3);
}

TEST_CASE("async invoker: maximumRetryAttempts 0 and 1", "[sources][async]") {
  for (int retries : {0, 1}) {
    Fixture fx;
    fx.configure({retries, 0, "failures", ""});
    fx.answers = {kUnhandled, kUnhandled, kUnhandled};
    fx.invoker->submit("svc-dev-fn", "{}", "req-1");
    fx.run_until([&] { return !fx.deliveries.empty(); });
    CHECK(fx.attempts.size() == static_cast<std::size_t>(retries + 1));
    CHECK(fx.deliveries[0].record["requestContext"]["condition"] == "RetriesExhausted");
    CHECK(fx.deliveries[0].record["requestContext"]["approximateInvokeCount"] == retries + 1);
    REQUIRE(fx.log.size() == 1);
    CHECK_THAT(fx.log[0], Contains(retries == 0 ? "failed 1 time; sent to failures"
                                                : "failed 2 times; sent to failures"));
    CHECK(fx.invoker->pending() == 0);
  }
}

TEST_CASE("async invoker: an event that would be over maximumEventAge is given up, not retried",
          "[sources][async]") {
  // A hundred times faster: the first retry (a minute on) is inside the 150 s allowed as long
  // as the first attempt fails within 0.9 s of real time; the second (two minutes after the
  // first retry) would be at 180 s at least, over it.
  Fixture fx(100);
  fx.configure({2, 150, "failures", ""});
  fx.answers = {kUnhandled, kUnhandled, kUnhandled};
  fx.invoker->submit("svc-dev-fn", "{}", "req-1");
  fx.run_until([&] { return !fx.deliveries.empty(); });
  CHECK(fx.attempts.size() == 2);
  const json& r = fx.deliveries[0].record;
  CHECK(r["requestContext"]["condition"] == "EventAgeExceeded");
  CHECK(r["requestContext"]["approximateInvokeCount"] == 2);
  REQUIRE(fx.log.size() == 1);
  CHECK(fx.log[0] ==
        "svc-dev-fn req-1: fx: asynchronous invocation req-1 failed 2 times and would be over "
        "maximumEventAge (150 s) at its next attempt; sent to failures");
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE("async invoker: without settings, Lambda's defaults and no destination",
          "[sources][async]") {
  Fixture fx;
  fx.answers = {kUnhandled, kUnhandled, kUnhandled, kUnhandled};
  fx.invoker->submit("svc-dev-other", "{}", "req-1");
  fx.run_until([&] { return !fx.log.empty(); });
  CHECK(fx.attempts.size() == 3);
  CHECK(fx.deliveries.empty());
  CHECK(fx.log[0] ==
        "svc-dev-other req-1: fx: asynchronous invocation req-1 failed 3 times; "
        "dropped (no on-failure destination)");
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE("async invoker: a service's settings go when it is dropped or configured again",
          "[sources][async]") {
  Fixture fx;
  fx.configure({0, 0, "failures", ""});
  fx.invoker->configure("other", {{"other-dev-fn", {0, 0, "elsewhere", ""}}});
  fx.invoker->drop("svc");
  fx.answers = {kUnhandled, kUnhandled, kUnhandled, kUnhandled};
  fx.invoker->submit("svc-dev-fn", "{}", "req-1");
  fx.run_until([&] { return !fx.log.empty(); });
  CHECK(fx.attempts.size() == 3);  // the default retries again
  CHECK(fx.deliveries.empty());
  // Another service's settings stay; configuring it again replaces them all.
  fx.invoker->submit("other-dev-fn", "{}", "req-2");
  fx.run_until([&] { return fx.deliveries.size() == 1; });
  CHECK(fx.deliveries[0].destination == "elsewhere");
  fx.invoker->configure("other", {{"other-dev-fn", {0, 0, "", "yes"}}});
  fx.answers = {kOk};
  fx.invoker->submit("other-dev-fn", "{}", "req-3");
  fx.settle();
  REQUIRE(fx.deliveries.size() == 2);
  CHECK(fx.deliveries[1].destination == "yes");
  CHECK(fx.deliveries[1].record["requestContext"]["condition"] == "Success");
}

TEST_CASE("async invoker: a function that is gone ends its invocation without a record",
          "[sources][async]") {
  Fixture fx;
  fx.configure({2, 0, "failures", "successes"});
  fx.answers = {InvokeResult{404, "", R"({"Type": "User"})"}};
  fx.invoker->submit("svc-dev-fn", "{}", "req-1");
  fx.settle();
  CHECK(fx.attempts.size() == 1);
  CHECK(fx.deliveries.empty());
  CHECK(fx.log.empty());
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE("async invoker: a destination that refuses the record is said in the log",
          "[sources][async]") {
  Fixture fx;
  fx.deliver_error = "no queue named failures";
  fx.configure({0, 0, "failures", "successes"});
  fx.answers = {kUnhandled, kOk};
  fx.invoker->submit("svc-dev-fn", "{}", "req-1");
  fx.invoker->submit("svc-dev-fn", "{}", "req-2");
  fx.settle();
  CHECK(fx.deliveries.size() == 2);
  REQUIRE(fx.log.size() == 2);
  CHECK(fx.log[0] ==
        "svc-dev-fn req-1: fx: asynchronous invocation req-1 failed 1 time; NOT "
        "sent to failures: no queue named failures");
  CHECK(fx.log[1] ==
        "svc-dev-fn req-2: fx: asynchronous invocation req-2 succeeded; NOT sent "
        "to successes: no queue named failures");
  CHECK(fx.invoker->pending() == 0);
}

TEST_CASE("async invoker: payloads and responses that are not JSON are kept as strings",
          "[sources][async]") {
  Fixture fx;
  fx.configure({0, 0, "failures", ""});
  fx.answers = {InvokeResult{200, "Unhandled", "not json \xff\xfe"}};
  fx.invoker->submit("svc-dev-fn", "plain text", "req-1");
  fx.settle();
  REQUIRE(fx.deliveries.size() == 1);
  const json& r = fx.deliveries[0].record;
  CHECK(r["requestPayload"] == "plain text");
  // Invalid UTF-8 is replaced, not a reason to lose the record.
  CHECK(r["responsePayload"] == "not json \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("async invoker: a restart runs what the last run left, with its attempts so far",
          "[sources][async]") {
  Fixture fx;
  fx.configure({2, 0, "failures", ""});
  fx.invoker->submit("svc-dev-fn", R"({"n": 1})", "req-1");  // never answered: a kill -9
  fx.invoker->submit("svc-dev-fn", R"({"n": 2})", "req-2");
  fx.attempts[1].done(kUnhandled);  // failed once, its retry due in a minute
  REQUIRE(fx.store->async_invocations().size() == 2);

  fx.open();  // the next run, on the same database
  fx.attempts.clear();
  fx.configure({2, 0, "failures", ""});
  fx.answers = {kOk, kUnhandled, kUnhandled};
  fx.invoker->restore();
  // The one never answered runs now; the retry when it is due.
  REQUIRE(fx.attempts.size() == 1);
  CHECK(fx.attempts[0].request_id == "req-1");
  CHECK(fx.attempts[0].payload == R"({"n": 1})");
  fx.run_until([&] { return !fx.deliveries.empty(); });
  REQUIRE(fx.attempts.size() == 3);
  CHECK(fx.attempts[1].request_id == "req-2");
  CHECK(fx.attempts[1].payload == R"({"n": 2})");
  // It counts the attempt of the last run: three in all.
  CHECK(fx.deliveries[0].record["requestContext"]["approximateInvokeCount"] == 3);
  CHECK(fx.deliveries[0].record["requestContext"]["requestId"] == "req-2");
  CHECK(fx.invoker->pending() == 0);
}
