// FIFO queues of the queue store: creation rules, message groups (order, locks, interleaving),
// the five-minute deduplication window on the store's injected clock, sequence numbers,
// dead-letter queues of the same type, persistence, and the JSON API's FIFO members.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"
#include "core/util/hash.h"
#include "queue_test_helpers.h"

namespace fs = std::filesystem;
using fx::queues::FifoSend;
using fx::queues::QueueStore;
using fx::queues::SqsError;
using nlohmann::json;
using namespace fx::test::queues;

namespace {

FifoSend group(const std::string& g, const std::string& dedup = "") {
  FifoSend f;
  f.group_id = g;
  if (!dedup.empty()) f.deduplication_id = dedup;
  return f;
}

fx::queues::SendResult send(QueueStore& store, const std::string& queue, const std::string& body,
                            const std::string& g, const std::string& dedup = "") {
  return store.send(queue, body, std::nullopt, {}, group(g, dedup.empty() ? body : dedup));
}

std::vector<std::string> bodies(const std::vector<fx::queues::Message>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.body);
  return out;
}

}  // namespace

TEST_CASE("FIFO queues: created with FifoQueue and a .fifo name, attributes as SQS's", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  CHECK(store.create_queue("jobs.fifo", {{"FifoQueue", "true"}}));
  auto attrs = store.attributes("jobs.fifo", kRegion);
  CHECK(attrs.at("FifoQueue") == "true");
  CHECK(attrs.at("ContentBasedDeduplication") == "false");
  CHECK(attrs.at("DeduplicationScope") == "queue");
  CHECK(attrs.at("FifoThroughputLimit") == "perQueue");
  // Idempotent with the same attributes, refused with different ones.
  CHECK_FALSE(store.create_queue("jobs.fifo", {{"FifoQueue", "true"}}));
  CHECK(error_code([&] {
          store.create_queue("jobs.fifo",
                             {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
        }) == "QueueNameExists");

  store.create_queue("fast.fifo", {{"FifoQueue", "true"},
                                   {"ContentBasedDeduplication", "true"},
                                   {"DeduplicationScope", "messageGroup"},
                                   {"FifoThroughputLimit", "perMessageGroupId"}});
  attrs = store.attributes("fast.fifo", kRegion);
  CHECK(attrs.at("ContentBasedDeduplication") == "true");
  CHECK(attrs.at("DeduplicationScope") == "messageGroup");
  CHECK(attrs.at("FifoThroughputLimit") == "perMessageGroupId");

  // A .fifo name needs FifoQueue=true, and FifoQueue=true needs a .fifo name.
  CHECK(error_code([&] { store.create_queue("a.fifo"); }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue("a.fifo", {{"FifoQueue", "false"}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue("a", {{"FifoQueue", "true"}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue(".fifo", {{"FifoQueue", "true"}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue(std::string(76, 'a') + ".fifo", {{"FifoQueue", "true"}});
        }) == "InvalidParameterValue");
  CHECK(store.create_queue(std::string(75, 'a') + ".fifo", {{"FifoQueue", "true"}}));
  CHECK(error_code([&] {
          store.create_queue("a", {{"FifoQueue", "yes"}});
        }) == "InvalidAttributeValue");
  CHECK(error_code([&] {
          store.create_queue("b.fifo", {{"FifoQueue", "true"}, {"DeduplicationScope", "group"}});
        }) == "InvalidAttributeValue");
  CHECK(error_code([&] {
          store.create_queue("b.fifo",
                             {{"FifoQueue", "true"}, {"FifoThroughputLimit", "perMessageGroupId"}});
        }) == "InvalidAttributeValue");
  // FIFO attributes on a standard queue are unknown to it.
  CHECK(error_code([&] {
          store.create_queue("s", {{"ContentBasedDeduplication", "true"}});
        }) == "InvalidAttributeName");
  // The type is fixed; the FIFO settings may change.
  CHECK(error_code([&] {
          store.set_attributes("jobs.fifo", {{"FifoQueue", "false"}});
        }) == "InvalidAttributeName");
  store.create_queue("s");
  CHECK(error_code([&] {
          store.set_attributes("s", {{"FifoQueue", "true"}});
        }) == "InvalidAttributeName");
  CHECK(error_code([&] {
          store.set_attributes("s", {{"DeduplicationScope", "queue"}});
        }) == "InvalidAttributeName");
  store.set_attributes("jobs.fifo", {{"ContentBasedDeduplication", "true"}});
  CHECK(store.attributes("jobs.fifo", kRegion).at("ContentBasedDeduplication") == "true");
  CHECK(error_code([&] {
          store.set_attributes("jobs.fifo", {{"FifoThroughputLimit", "perMessageGroupId"}});
        }) == "InvalidAttributeValue");
}

TEST_CASE("FIFO sends: group required, no per-message delay, ids checked", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q.fifo", {{"FifoQueue", "true"}});
  CHECK(error_code([&] {
          store.send("q.fifo", "x", std::nullopt, {}, FifoSend{{}, "d"});
        }) == "MissingParameter");
  CHECK(error_code([&] { store.send("q.fifo", "x", 5, {}, group("g", "d")); }) ==
        "InvalidParameterValue");
  // Neither a deduplication id nor content-based deduplication.
  CHECK(error_code([&] { store.send("q.fifo", "x", std::nullopt, {}, group("g")); }) ==
        "InvalidParameterValue");
  for (const std::string& bad : {std::string(), std::string(129, 'g'), std::string("a b"),
                                 std::string("caf\xc3\xa9"), std::string("tab\t")}) {
    INFO(bad);
    CHECK(error_code([&] { store.send("q.fifo", "x", std::nullopt, {}, group(bad, "d")); }) ==
          "InvalidParameterValue");
    CHECK(error_code([&] { store.send("q.fifo", "x", std::nullopt, {}, group("g", bad)); }) ==
          "InvalidParameterValue");
  }
  CHECK(send(store, "q.fifo", "x", std::string(128, 'g'), std::string(128, 'd'))
            .sequence_number.size() == 20);
  CHECK(send(store, "q.fifo", "y", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").message_id.size() == 36);
  // A standard queue takes no deduplication id; its sends have no sequence number.
  store.create_queue("std");
  CHECK(error_code([&] {
          store.send("std", "x", std::nullopt, {}, FifoSend{{}, std::string("d")});
        }) == "InvalidParameterValue");
  CHECK(store.send("std", "x").sequence_number.empty());
}

TEST_CASE("FIFO groups: in order, locked while in flight, interleaved", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  std::vector<std::string> notified;
  store.set_listener([&](const std::string& q) { notified.push_back(q); });
  store.create_queue("q.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "30"}});
  std::string last_sequence;
  for (const auto& [body, g] : std::vector<std::pair<std::string, std::string>>{
           {"a1", "a"}, {"b1", "b"}, {"a2", "a"}, {"a3", "a"}, {"b2", "b"}, {"c1", "c"}}) {
    auto sent = send(store, "q.fifo", body, g);
    REQUIRE(sent.sequence_number.size() == 20);
    CHECK(sent.sequence_number > last_sequence);  // same length: string order is number order
    last_sequence = sent.sequence_number;
  }

  // One message: the oldest. Group a is now locked: a2 must wait for a1.
  auto first = store.receive("q.fifo", 1);
  REQUIRE(bodies(first) == std::vector<std::string>{"a1"});
  CHECK(first[0].group_id == "a");
  CHECK(first[0].deduplication_id == "a1");
  CHECK(first[0].sequence_number.size() == 20);
  // The other groups interleave, in order within each.
  CHECK(bodies(store.receive("q.fifo", 2)) == std::vector<std::string>{"b1", "b2"});
  CHECK(bodies(store.receive("q.fifo", 10)) == std::vector<std::string>{"c1"});
  CHECK(store.receive("q.fifo", 10).empty());  // a, b, c all locked
  // Locked until the in-flight messages are visible again (a1 at +30 s) or deleted.
  CHECK(store.next_visible_ms("q.fifo") == kStart + 30'000);

  notified.clear();
  store.delete_message("q.fifo", first[0].receipt_handle);
  CHECK(notified == std::vector<std::string>{"q.fifo"});  // unlocked: pollers look again
  CHECK(store.next_visible_ms("q.fifo") <= fx.now);
  auto next = store.receive("q.fifo", 10);
  CHECK(bodies(next) == std::vector<std::string>{"a2", "a3"});

  // Not deleted, a group's messages come back in order once their visibility times out, and
  // the group stays locked until all its in-flight messages are visible again.
  store.change_visibility("q.fifo", next[1].receipt_handle, 60);
  fx.now += 30'000;
  auto others = store.receive("q.fifo", 10);
  CHECK(bodies(others) == std::vector<std::string>{"b1", "b2", "c1"});
  for (const auto& m : others) store.delete_message("q.fifo", m.receipt_handle);
  fx.now += 30'000;
  auto again = store.receive("q.fifo", 10);
  CHECK(bodies(again) == std::vector<std::string>{"a2", "a3"});
  CHECK(again[0].receive_count == 2);
}

TEST_CASE("FIFO deduplication: five minutes, by id or content, per queue or group", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  auto first = store.send("q.fifo", "same", std::nullopt, {}, group("g"));
  // Within the window, a duplicate (same body, here) is accepted and gets the first's answer.
  fx.now += 4 * 60 * 1000;
  auto dup = store.send("q.fifo", "same", std::nullopt, {}, group("other"));
  CHECK(dup.message_id == first.message_id);
  CHECK(dup.sequence_number == first.sequence_number);
  // An explicit id wins over the content: a different body with the first's SHA-256 as its id
  // is a duplicate too.
  auto by_id =
      store.send("q.fifo", "different", std::nullopt, {}, group("g", fx::util::sha256_hex("same")));
  CHECK(by_id.message_id == first.message_id);
  auto got = store.receive("q.fifo", 10);
  REQUIRE(bodies(got) == std::vector<std::string>{"same"});
  store.delete_message("q.fifo", got[0].receipt_handle);
  // Deleting it does not end the window.
  CHECK(store.send("q.fifo", "same", std::nullopt, {}, group("g")).message_id == first.message_id);
  CHECK(store.receive("q.fifo", 10).empty());

  // Five minutes after the first send, the same content is a new message.
  fx.now = kStart + 5 * 60 * 1000;
  auto later = store.send("q.fifo", "same", std::nullopt, {}, group("g"));
  CHECK(later.message_id != first.message_id);
  CHECK(later.sequence_number > first.sequence_number);
  CHECK(bodies(store.receive("q.fifo", 10)) == std::vector<std::string>{"same"});

  // DeduplicationScope=messageGroup: the same id in two groups is two messages.
  store.create_queue("g.fifo", {{"FifoQueue", "true"},
                                {"DeduplicationScope", "messageGroup"},
                                {"FifoThroughputLimit", "perMessageGroupId"}});
  auto in_a = send(store, "g.fifo", "x", "a", "id");
  auto in_b = send(store, "g.fifo", "x", "b", "id");
  CHECK(in_a.message_id != in_b.message_id);
  CHECK(send(store, "g.fifo", "y", "a", "id").message_id == in_a.message_id);
  CHECK(store.receive("g.fifo", 10).size() == 2);

  // Queue scope: the same id in another group is a duplicate.
  store.create_queue("s.fifo", {{"FifoQueue", "true"}});
  auto one = send(store, "s.fifo", "x", "a", "id");
  CHECK(send(store, "s.fifo", "x", "b", "id").message_id == one.message_id);
}

TEST_CASE("FIFO dead-letter queues are FIFO; redriven messages keep their group", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("std-dlq");
  store.create_queue("dlq.fifo", {{"FifoQueue", "true"}});
  const std::string to_std =
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:std-dlq","maxReceiveCount":1})";
  const std::string to_fifo =
      R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq.fifo","maxReceiveCount":1})";
  CHECK(error_code([&] {
          store.create_queue("src.fifo", {{"FifoQueue", "true"}, {"RedrivePolicy", to_std}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue("src", {{"RedrivePolicy", to_fifo}});
        }) == "InvalidParameterValue");
  store.create_queue(
      "src.fifo", {{"FifoQueue", "true"}, {"RedrivePolicy", to_fifo}, {"VisibilityTimeout", "1"}});
  CHECK(error_code([&] {
          store.set_attributes("src.fifo", {{"RedrivePolicy", to_std}});
        }) == "InvalidParameterValue");

  send(store, "src.fifo", "poison", "g");
  send(store, "src.fifo", "next", "g");
  CHECK(bodies(store.receive("src.fifo", 1)) == std::vector<std::string>{"poison"});
  fx.now += 1000;
  // poison's second receive would exceed maxReceiveCount: moved, and its group goes on.
  CHECK(bodies(store.receive("src.fifo", 10)) == std::vector<std::string>{"next"});
  auto dead = store.receive("dlq.fifo", 10);
  REQUIRE(bodies(dead) == std::vector<std::string>{"poison"});
  CHECK(dead[0].group_id == "g");
  CHECK(dead[0].dead_letter_source_queue == "src.fifo");
}

TEST_CASE("FIFO queues survive closing the store: groups, locks, the window", "[queues]") {
  Fixture fx;
  std::string first_id;
  {
    QueueStore store(fx.path, fx.clock());
    store.create_queue("q.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
    first_id = store.send("q.fifo", "one", std::nullopt, {}, group("g")).message_id;
    store.send("q.fifo", "two", std::nullopt, {}, group("g"));
    CHECK(bodies(store.receive("q.fifo", 1)) == std::vector<std::string>{"one"});
  }
  QueueStore store(fx.path, fx.clock());
  CHECK(store.attributes("q.fifo", kRegion).at("ContentBasedDeduplication") == "true");
  CHECK(store.receive("q.fifo", 10).empty());  // still locked by "one"
  CHECK(store.send("q.fifo", "one", std::nullopt, {}, group("g")).message_id == first_id);
  fx.now += 30'000;
  auto got = store.receive("q.fifo", 10);
  CHECK(bodies(got) == std::vector<std::string>{"one", "two"});
  CHECK(got[1].group_id == "g");
}

TEST_CASE("a store an older fx made gains the FIFO columns", "[queues]") {
  Fixture fx;
  {
    // The messages table as it was before FIFO queues.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(fx.path.string().c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT "
                         "NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL, "
                         "message_attributes TEXT NOT NULL, sent_ms INTEGER NOT NULL, "
                         "visible_at_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT "
                         "0, first_receive_ms INTEGER NOT NULL DEFAULT 0, receipt_handle TEXT NOT "
                         "NULL DEFAULT '', dead_letter_source TEXT NOT NULL DEFAULT '')",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q.fifo", {{"FifoQueue", "true"}});
  send(store, "q.fifo", "x", "g");
  CHECK(store.receive("q.fifo").at(0).group_id == "g");
}

TEST_CASE("the SQS JSON API's FIFO members", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  auto call = [&](const std::string& action, const json& request, int status = 200) {
    return fx::test::queues::call(store, action, request, status);
  };
  call("CreateQueue", {{"QueueName", "q.fifo"}, {"Attributes", {{"FifoQueue", "true"}}}});
  const std::string url = "http://localhost:4566/000000000000/q.fifo";
  auto sent = call("SendMessage", {{"QueueUrl", url},
                                   {"MessageBody", "hi"},
                                   {"MessageGroupId", "g"},
                                   {"MessageDeduplicationId", "d"}});
  CHECK(sent.at("SequenceNumber").get<std::string>().size() == 20);
  auto err = call("SendMessage", {{"QueueUrl", url}, {"MessageBody", "hi"}}, 400);
  CHECK(err.at("__type") == "com.amazonaws.sqs#MissingParameter");
  err = call("SendMessage",
             {{"QueueUrl", url},
              {"MessageBody", "hi"},
              {"MessageGroupId", 7},
              {"MessageDeduplicationId", "d"}},
             400);
  CHECK(err.at("__type") == "com.amazonaws.sqs#InvalidParameterValue");

  auto batch = call("SendMessageBatch", {{"QueueUrl", url},
                                         {"Entries",
                                          {{{"Id", "1"},
                                            {"MessageBody", "b1"},
                                            {"MessageGroupId", "g"},
                                            {"MessageDeduplicationId", "e1"}},
                                           {{"Id", "2"},
                                            {"MessageBody", "b2"},
                                            {"MessageGroupId", "g"},
                                            {"MessageDeduplicationId", "e1"}},
                                           {{"Id", "3"}, {"MessageBody", "b3"}},
                                           {{"Id", "4"},
                                            {"MessageBody", "b4"},
                                            {"MessageGroupId", "g"},
                                            {"MessageDeduplicationId", "e4"},
                                            {"DelaySeconds", 1}}}}});
  REQUIRE(batch.at("Successful").size() == 2);
  // The second entry repeats the first's deduplication id: the same message.
  CHECK(batch["Successful"][0]["MessageId"] == batch["Successful"][1]["MessageId"]);
  CHECK(batch["Successful"][0]["SequenceNumber"] == batch["Successful"][1]["SequenceNumber"]);
  REQUIRE(batch.at("Failed").size() == 2);
  CHECK(batch["Failed"][0]["Code"] == "MissingParameter");
  CHECK(batch["Failed"][1]["Code"] == "InvalidParameterValue");

  auto got = call("ReceiveMessage", {{"QueueUrl", url},
                                     {"MaxNumberOfMessages", 10},
                                     {"AttributeNames", {"MessageGroupId", "SequenceNumber"}},
                                     {"ReceiveRequestAttemptId", "attempt-1"}});
  REQUIRE(got.at("Messages").size() == 2);
  CHECK(got["Messages"][0]["Attributes"] ==
        json({{"MessageGroupId", "g"}, {"SequenceNumber", sent["SequenceNumber"]}}));
  auto all = call("ReceiveMessage",
                  {{"QueueUrl", url}, {"VisibilityTimeout", 0}, {"AttributeNames", {"All"}}});
  CHECK(all.empty());  // locked
  err = call("ReceiveMessage",
             {{"QueueUrl", url}, {"ReceiveRequestAttemptId", std::string(129, 'a')}}, 400);
  CHECK(err.at("__type") == "com.amazonaws.sqs#InvalidParameterValue");

  auto attrs = call("GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", {"All"}}});
  CHECK(attrs["Attributes"]["FifoQueue"] == "true");
  CHECK(attrs["Attributes"]["DeduplicationScope"] == "queue");

  std::vector<fx::queues::Message> messages;
  fx::queues::Message m;
  m.id = "id";
  m.group_id = "g";
  m.deduplication_id = "d";
  m.sequence_number = "10000000000000000001";
  messages.push_back(m);
  auto event = json::parse(fx::queues::lambda_sqs_event_json(
      messages, "arn:aws:sqs:us-east-1:000000000000:q.fifo", kRegion));
  CHECK(event["Records"][0]["attributes"]["MessageGroupId"] == "g");
  CHECK(event["Records"][0]["attributes"]["MessageDeduplicationId"] == "d");
  CHECK(event["Records"][0]["attributes"]["SequenceNumber"] == "10000000000000000001");
}

TEST_CASE("FIFO: a partly handled Lambda batch leaves its group locked until it is visible",
          "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "1"}});
  for (const auto& [body, g] : std::vector<std::pair<std::string, std::string>>{
           {"a1", "a"}, {"b1", "b"}, {"f", "a"}, {"b2", "b"}, {"a3", "a"}})
    send(store, "q.fifo", body, g);
  auto batch = store.receive_for_lambda("q.fifo", 10);
  REQUIRE(bodies(batch) == std::vector<std::string>{"a1", "b1", "f", "b2", "a3"});
  for (int i : {0, 1, 3}) store.delete_message("q.fifo", batch[i].receipt_handle);
  CHECK(store.next_visible_ms("q.fifo") == kStart + 1000);
  CHECK(store.receive_for_lambda("q.fifo", 10).empty());
  fx.now += 1000;
  CHECK(store.next_visible_ms("q.fifo") == kStart + 1000);
  CHECK(bodies(store.receive_for_lambda("q.fifo", 10)) == std::vector<std::string>{"f", "a3"});
}

TEST_CASE("FIFO: a ReceiveRequestAttemptId repeats its receive for five minutes", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("r.fifo", {{"FifoQueue", "true"}, {"VisibilityTimeout", "600"}});
  send(store, "r.fifo", "a1", "a");
  send(store, "r.fifo", "a2", "a");
  auto first = store.receive("r.fifo", 1, std::nullopt, "try");
  REQUIRE(bodies(first) == std::vector<std::string>{"a1"});
  // The retry gets the same message and handle, and its visibility timeout starts again.
  fx.now += 100'000;
  auto again = store.receive("r.fifo", 1, std::nullopt, "try");
  REQUIRE(again.size() == 1);
  CHECK(again[0].receipt_handle == first[0].receipt_handle);
  CHECK(*store.next_visible_ms("r.fifo") == fx.now + 600'000);
  // Without the id (or with another), the group is locked by the receive in flight.
  CHECK(store.receive("r.fifo", 1).empty());
  CHECK(store.receive("r.fifo", 1, std::nullopt, "other").empty());
  // Five minutes after the receive the id is forgotten: a new receive, the group still locked.
  fx.now += 5 * 60'000;
  CHECK(store.receive("r.fifo", 1, std::nullopt, "try").empty());
  // A standard queue ignores the id.
  store.create_queue("std", {{"VisibilityTimeout", "600"}});
  store.send("std", "s1");
  CHECK(store.receive("std", 1, std::nullopt, "try").size() == 1);
  CHECK(store.receive("std", 1, std::nullopt, "try").empty());
}
