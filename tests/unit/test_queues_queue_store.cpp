// QueueStore beyond what test_queues.cpp covers: tags, purge, the names in URLs and ARNs,
// Lambda's large batches, which handle may change a message, and who is told of a change. A
// real SQLite file per test and a clock the test moves by hand.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/queues/queue_store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::queues::QueueStore;
using fx::queues::SqsError;

namespace {

constexpr const char* kRegion = "us-east-1";

struct Fixture {
  fx::test::TempDir tmp{"queue-store"};
  fs::path dir = tmp.path;
  std::int64_t now = 1'700'000'000'000;
  QueueStore::Clock clock() {
    return [this] { return now; };
  }
};

template <class F>
std::string error_code(F&& f) {
  try {
    f();
  } catch (const SqsError& e) {
    return e.code();
  }
  return "";
}

}  // namespace

TEST_CASE("queue names come out of URLs of any host and out of ARNs", "[queues][store]") {
  using fx::queues::queue_arn;
  using fx::queues::queue_name_from_arn;
  using fx::queues::queue_name_from_url;
  using fx::queues::queue_url;
  CHECK(queue_url("http://localhost:4599/", "jobs") == "http://localhost:4599/000000000000/jobs");
  CHECK(queue_url("http://localhost:4599", "jobs") == "http://localhost:4599/000000000000/jobs");
  CHECK(queue_name_from_url("http://localhost:4599/000000000000/jobs") == "jobs");
  CHECK(queue_name_from_url("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs/") == "jobs");
  CHECK(queue_name_from_url("http://h/000000000000/jobs?Action=x#frag") == "jobs");
  CHECK(queue_name_from_url("jobs") == "jobs");
  CHECK(queue_arn(kRegion, "jobs") == "arn:aws:sqs:us-east-1:000000000000:jobs");
  CHECK(queue_name_from_arn(queue_arn(kRegion, "jobs")) == "jobs");
  CHECK(queue_name_from_arn("jobs") == "jobs");
}

TEST_CASE("queue tags are added, replaced and removed by key", "[queues][store]") {
  Fixture fx;
  QueueStore store(fx.dir / "queues.db", fx.clock());
  store.create_queue("jobs", {}, {{"team", "a"}, {"fx:service", "shop"}});
  store.tag_queue("jobs", {{"team", "b"}, {"cost", "1"}});
  CHECK(store.get_queue("jobs")->tags ==
        fx::queues::Tags{{"cost", "1"}, {"fx:service", "shop"}, {"team", "b"}});
  store.untag_queue("jobs", {"team", "not-there"});
  CHECK(store.get_queue("jobs")->tags == fx::queues::Tags{{"cost", "1"}, {"fx:service", "shop"}});
  CHECK(error_code([&] { store.tag_queue("missing", {{"k", "v"}}); }) == "QueueDoesNotExist");
  CHECK(error_code([&] { store.untag_queue("missing", {"k"}); }) == "QueueDoesNotExist");
}

TEST_CASE("purge empties one queue, in flight messages too", "[queues][store]") {
  Fixture fx;
  QueueStore store(fx.dir / "queues.db", fx.clock());
  store.create_queue("a");
  store.create_queue("b");
  for (int i = 0; i < 3; ++i) store.send("a", "m" + std::to_string(i));
  store.send("b", "keep");
  auto in_flight = store.receive("a");
  REQUIRE(in_flight.size() == 1);
  store.purge("a");
  CHECK_FALSE(store.next_visible_ms("a").has_value());
  CHECK(store.attributes("a", kRegion).at("ApproximateNumberOfMessagesNotVisible") == "0");
  // A handle of a purged message deletes nothing and is no error.
  store.delete_message("a", in_flight[0].receipt_handle);
  CHECK(store.receive("b").at(0).body == "keep");
  CHECK(error_code([&] { store.purge("missing"); }) == "QueueDoesNotExist");
}

TEST_CASE("Lambda's receive takes batches past SQS's 10", "[queues][store]") {
  Fixture fx;
  QueueStore store(fx.dir / "queues.db", fx.clock());
  store.create_queue("jobs");
  for (int i = 0; i < 25; ++i) store.send("jobs", std::to_string(i));
  auto batch = store.receive_for_lambda("jobs", 20);
  CHECK(batch.size() == 20);
  std::set<std::string> ids;
  for (const auto& m : batch) ids.insert(m.id);
  CHECK(ids.size() == 20);  // each message once
  // A batch size below 1 is read as 1; what is left comes next.
  CHECK(store.receive_for_lambda("jobs", 0).size() == 1);
  CHECK(store.receive_for_lambda("jobs", 10'000).size() == 4);
  CHECK(store.receive_for_lambda("jobs", 10).empty());
  // SQS's own API stays within 1-10.
  CHECK(error_code([&] { store.receive("jobs", 11); }) == "InvalidParameterValue");
  CHECK(error_code([&] { store.receive("jobs", 0); }) == "InvalidParameterValue");
}

TEST_CASE("only a message's latest receipt handle changes or deletes it", "[queues][store]") {
  Fixture fx;
  QueueStore store(fx.dir / "queues.db", fx.clock());
  store.create_queue("jobs", {{"VisibilityTimeout", "5"}});
  store.create_queue("other");
  store.send("jobs", "m");
  auto first = store.receive("jobs").at(0);
  fx.now += 5000;
  auto second = store.receive("jobs").at(0);
  REQUIRE(first.receipt_handle != second.receipt_handle);
  CHECK(second.receive_count == 2);
  CHECK(second.first_receive_ms == first.first_receive_ms);

  // The older handle may not change the visibility, and its delete leaves the message.
  CHECK(error_code([&] { store.change_visibility("jobs", first.receipt_handle, 0); }) ==
        "InvalidParameterValue");
  store.delete_message("jobs", first.receipt_handle);
  CHECK(store.attributes("jobs", kRegion).at("ApproximateNumberOfMessagesNotVisible") == "1");
  // A handle belongs to its queue.
  CHECK(error_code([&] { store.delete_message("other", second.receipt_handle); }) ==
        "ReceiptHandleIsInvalid");
  CHECK(error_code([&] { store.change_visibility("jobs", "not-a-handle", 0); }) ==
        "ReceiptHandleIsInvalid");
  CHECK(error_code([&] { store.change_visibility("jobs", second.receipt_handle, 43'201); }) ==
        "InvalidParameterValue");

  // The latest one does both: visible again at once, then gone.
  store.change_visibility("jobs", second.receipt_handle, 0);
  CHECK(store.next_visible_ms("jobs") == fx.now);
  auto third = store.receive("jobs").at(0);
  store.delete_message("jobs", third.receipt_handle);
  CHECK_FALSE(store.next_visible_ms("jobs").has_value());
}

TEST_CASE("the listener hears of every change that can make a message receivable",
          "[queues][store]") {
  Fixture fx;
  QueueStore store(fx.dir / "queues.db", fx.clock());
  std::vector<std::string> heard;
  store.set_listener([&](const std::string& queue) {
    heard.push_back(queue);
    // Called outside the store's lock: the listener may read the store.
    store.next_visible_ms(queue);
  });
  store.create_queue("jobs", {{"DelaySeconds", "2"}});
  CHECK(heard.empty());
  store.send("jobs", "later");
  CHECK(heard == std::vector<std::string>{"jobs"});
  // A delayed message: the listener is told, and next_visible_ms says when to look.
  CHECK(store.next_visible_ms("jobs") == fx.now + 2000);
  CHECK(store.receive("jobs").empty());
  fx.now += 2000;
  auto m = store.receive("jobs").at(0);
  CHECK(heard.size() == 1);  // a receive hides messages: nobody is woken
  store.change_visibility("jobs", m.receipt_handle, 0);
  CHECK(heard == std::vector<std::string>{"jobs", "jobs"});
  store.delete_message("jobs", store.receive("jobs").at(0).receipt_handle);
  store.purge("jobs");
  CHECK(heard.size() == 2);
}
