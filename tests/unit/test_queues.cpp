#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"
#include "core/util/hash.h"
#include "queue_test_helpers.h"

namespace fs = std::filesystem;
using fx::queues::MessageAttributes;
using fx::queues::QueueStore;
using fx::queues::SqsError;
using nlohmann::json;
using namespace fx::test::queues;

namespace {

template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const SqsError& e) {
    return e.what();
  }
  return "";
}

std::string header(const fx::queues::SqsResult& r, const std::string& name) {
  for (const auto& [key, value] : r.headers)
    if (key == name) return value;
  return "";
}

std::string url(const std::string& name) {
  return std::string(kEndpoint) + "/000000000000/" + name;
}

}  // namespace

TEST_CASE("queues are created idempotently, listed, found and deleted", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  CHECK(store.create_queue("orders", {{"VisibilityTimeout", "45"}}));
  // SQS only compares the attributes given with the queue's values.
  CHECK_FALSE(store.create_queue("orders", {{"VisibilityTimeout", "45"}}));
  CHECK_FALSE(store.create_queue("orders"));
  CHECK_FALSE(store.create_queue("orders", {{"DelaySeconds", "0"}}));  // the default
  CHECK(error_code([&] {
          store.create_queue("orders", {{"VisibilityTimeout", "30"}});
        }) == "QueueNameExists");
  CHECK(store.create_queue("orders-dlq"));
  CHECK(store.create_queue("billing"));

  CHECK(store.list_queues() == std::vector<std::string>{"billing", "orders", "orders-dlq"});
  CHECK(store.list_queues("ord") == std::vector<std::string>{"orders", "orders-dlq"});
  auto orders = store.get_queue("orders");
  REQUIRE(orders);
  CHECK(orders->attributes.at("VisibilityTimeout") == "45");
  CHECK(orders->created_ms == kStart);

  auto attrs = store.attributes("orders", kRegion);
  CHECK(attrs.at("QueueArn") == "arn:aws:sqs:us-east-1:000000000000:orders");
  CHECK(attrs.at("VisibilityTimeout") == "45");
  CHECK(attrs.at("MaximumMessageSize") == "262144");
  CHECK(attrs.at("MessageRetentionPeriod") == "345600");
  CHECK(attrs.at("DelaySeconds") == "0");
  CHECK(attrs.at("ReceiveMessageWaitTimeSeconds") == "0");
  CHECK(attrs.at("ApproximateNumberOfMessages") == "0");
  CHECK(attrs.at("CreatedTimestamp") == std::to_string(kStart / 1000));

  store.delete_queue("orders");
  CHECK_FALSE(store.get_queue("orders"));
  CHECK(error_code([&] { store.delete_queue("orders"); }) == "QueueDoesNotExist");
  CHECK(error_code([&] { store.send("orders", "x"); }) == "QueueDoesNotExist");

  CHECK(error_code([&] { store.create_queue("bad name"); }) == "InvalidParameterValue");
  CHECK(error_code([&] { store.create_queue(std::string(81, 'a')); }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.create_queue("q", {{"VisibilityTimeout", "43201"}});
        }) == "InvalidAttributeValue");
  CHECK(error_code([&] {
          store.create_queue("q", {{"Colour", "red"}});
        }) == "InvalidAttributeName");
  // FIFO queues are made (test_queues_fifo.cpp); a .fifo name alone is not one.
  CHECK(error_code([&] { store.create_queue("jobs.fifo"); }) == "InvalidParameterValue");
}

TEST_CASE("a message is sent, received once, and deleted", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q");
  auto sent = store.send("q", "hello");
  CHECK(sent.md5_of_body == "5d41402abc4b2a76b9719d911017c592");  // hashlib.md5(b"hello")
  CHECK(sent.md5_of_message_attributes.empty());
  CHECK(sent.message_id.size() == 36);

  fx.now += 5;
  auto got = store.receive("q", 10);
  REQUIRE(got.size() == 1);
  CHECK(got[0].id == sent.message_id);
  CHECK(got[0].body == "hello");
  CHECK(got[0].md5_of_body == sent.md5_of_body);
  CHECK(got[0].receive_count == 1);
  CHECK(got[0].sent_ms == kStart);
  CHECK(got[0].first_receive_ms == kStart + 5);
  CHECK(got[0].sender_id == "000000000000");
  CHECK(store.receive("q").empty());  // in flight
  CHECK(store.attributes("q", kRegion).at("ApproximateNumberOfMessagesNotVisible") == "1");

  store.delete_message("q", got[0].receipt_handle);
  store.delete_message("q", got[0].receipt_handle);  // again: SQS accepts it
  fx.now += 60'000;
  CHECK(store.receive("q").empty());
  auto attrs = store.attributes("q", kRegion);
  CHECK(attrs.at("ApproximateNumberOfMessages") == "0");
  CHECK(attrs.at("ApproximateNumberOfMessagesNotVisible") == "0");

  CHECK(error_code([&] { store.receive("q", 11); }) == "InvalidParameterValue");
  CHECK(error_code([&] { store.receive("q", 0); }) == "InvalidParameterValue");
  CHECK(error_code([&] { store.send("q", ""); }) == "MissingParameter");
}

TEST_CASE("the visibility timeout hides a message, then it comes back", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q", {{"VisibilityTimeout", "30"}});
  store.create_queue("other");
  store.send("q", "work");

  auto first = store.receive("q");
  REQUIRE(first.size() == 1);
  fx.now += 29'999;
  CHECK(store.receive("q").empty());
  CHECK(store.next_visible_ms("q") == kStart + 30'000);
  fx.now += 1;
  auto second = store.receive("q", 1, 10);  // this receive's own timeout: 10 s
  REQUIRE(second.size() == 1);
  CHECK(second[0].receive_count == 2);
  CHECK(second[0].first_receive_ms == kStart);  // the first receive's time, kept
  CHECK(second[0].receipt_handle != first[0].receipt_handle);
  CHECK(store.next_visible_ms("q") == fx.now + 10'000);

  // An older handle neither deletes nor changes the message; the latest does.
  store.delete_message("q", first[0].receipt_handle);
  CHECK(store.attributes("q", kRegion).at("ApproximateNumberOfMessagesNotVisible") == "1");
  CHECK(error_code([&] { store.change_visibility("q", first[0].receipt_handle, 0); }) ==
        "InvalidParameterValue");
  store.change_visibility("q", second[0].receipt_handle, 0);
  auto third = store.receive("q");
  REQUIRE(third.size() == 1);
  CHECK(third[0].receive_count == 3);

  CHECK(error_code([&] { store.delete_message("q", "not-a-handle"); }) == "ReceiptHandleIsInvalid");
  CHECK(error_code([&] { store.delete_message("other", third[0].receipt_handle); }) ==
        "ReceiptHandleIsInvalid");
  CHECK(error_code([&] { store.change_visibility("q", third[0].receipt_handle, 43'201); }) ==
        "InvalidParameterValue");
  store.delete_message("q", third[0].receipt_handle);
  CHECK_FALSE(store.next_visible_ms("q"));
}

TEST_CASE("delayed messages wait, expired ones go", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q", {{"MessageRetentionPeriod", "60"}});
  store.send("q", "later", 10);
  CHECK(store.attributes("q", kRegion).at("ApproximateNumberOfMessagesDelayed") == "1");
  CHECK(store.receive("q").empty());
  CHECK(store.next_visible_ms("q") == kStart + 10'000);
  fx.now += 10'000;
  CHECK(store.receive("q", 1, 0).size() == 1);  // 0 s: visible again at once

  CHECK(error_code([&] { store.send("q", "x", 901); }) == "InvalidParameterValue");
  // The queue's DelaySeconds applies when the message gives none.
  store.set_attributes("q", {{"DelaySeconds", "5"}});
  store.send("q", "queue-delayed");
  CHECK(store.attributes("q", kRegion).at("ApproximateNumberOfMessagesDelayed") == "1");

  fx.now = kStart + 60'000;  // the first message is now 60 s old: past its retention
  auto left = store.receive("q", 10);
  REQUIRE(left.size() == 1);
  CHECK(left[0].body == "queue-delayed");
}

TEST_CASE("a message received maxReceiveCount times moves to the dead-letter queue", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  std::vector<std::string> notified;
  store.set_listener([&](const std::string& q) { notified.push_back(q); });
  store.create_queue("dlq");
  // maxReceiveCount may be a string or a number; both mean the same policy.
  store.create_queue("src", {{"RedrivePolicy",
                              R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq",)"
                              R"("maxReceiveCount":"2"})"},
                             {"VisibilityTimeout", "1"}});
  CHECK_FALSE(store.create_queue(
      "src", {{"RedrivePolicy", R"({"maxReceiveCount": 2, "deadLetterTargetArn": )"
                                R"("arn:aws:sqs:us-east-1:000000000000:dlq"})"}}));
  CHECK(store.attributes("src", kRegion).at("RedrivePolicy") ==
        R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2})");
  auto sent = store.send("src", "poison");
  CHECK(notified == std::vector<std::string>{"src"});

  CHECK(store.receive("src").at(0).receive_count == 1);
  fx.now += 1000;
  CHECK(store.receive("src").at(0).receive_count == 2);
  fx.now += 1000;
  CHECK(store.receive("src").empty());  // a third delivery would exceed 2: moved instead
  CHECK(notified.back() == "dlq");
  CHECK(store.attributes("src", kRegion).at("ApproximateNumberOfMessages") == "0");

  auto dead = store.receive("dlq");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].id == sent.message_id);
  CHECK(dead[0].body == "poison");
  CHECK(dead[0].sent_ms == kStart);
  CHECK(dead[0].dead_letter_source_queue == "src");

  CHECK(error_code([&] {
          store.set_attributes("src", {{"RedrivePolicy", R"({"deadLetterTargetArn":"x"})"}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.set_attributes(
              "src", {{"RedrivePolicy", R"({"deadLetterTargetArn":"x","maxReceiveCount":0})"}});
        }) == "InvalidParameterValue");
  store.set_attributes("src", {{"RedrivePolicy", ""}});  // removes it
  CHECK(store.attributes("src", kRegion).count("RedrivePolicy") == 0);
}

TEST_CASE("a message may be 262,144 bytes, body and attributes together", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q");
  CHECK_NOTHROW(store.send("q", std::string(262'144, 'a')));
  CHECK(error_code([&] { store.send("q", std::string(262'145, 'a')); }) == "InvalidParameterValue");
  CHECK(error_message([&] { store.send("q", std::string(262'145, 'a')); }) ==
        "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.");
  // Attributes count: name "k" + type "String" + value "v" = 8 bytes.
  MessageAttributes attrs = {{"k", {"String", "v", ""}}};
  CHECK_NOTHROW(store.send("q", std::string(262'136, 'a'), std::nullopt, attrs));
  CHECK(error_code([&] { store.send("q", std::string(262'137, 'a'), std::nullopt, attrs); }) ==
        "InvalidParameterValue");

  CHECK(error_code([&] { store.send("q", "bell\x07"); }) == "InvalidMessageContents");
  CHECK(error_code([&] { store.send("q", "\xff\xfe"); }) == "InvalidMessageContents");
  CHECK(error_code([&] { store.send("q", "\xed\xa0\x80"); }) == "InvalidMessageContents");
  CHECK_NOTHROW(store.send("q", "tab\there, \xc3\xa9t\xc3\xa9, \xf0\x9f\x98\x80"));

  CHECK(error_code([&] {
          store.send("q", "x", std::nullopt, {{"n", {"Number", "abc", ""}}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.send("q", "x", std::nullopt, {{"AWS.x", {"String", "v", ""}}});
        }) == "InvalidParameterValue");
  CHECK(error_code([&] {
          store.send("q", "x", std::nullopt, {{"n", {"Text", "v", ""}}});
        }) == "InvalidParameterValue");
}

TEST_CASE("MD5 digests are the ones SQS computes", "[queues]") {
  // Expected values computed with Python's hashlib over SQS's documented encoding; the same
  // four are published by the aws-md5-of-message-attributes package.
  using fx::queues::md5_of_message_attributes;
  MessageAttributes string_attr = {{"attribName1", {"String", "attribValue 1", ""}}};
  CHECK(md5_of_message_attributes(string_attr) == "19e27d4e946b072f3f58da80d94fd778");
  MessageAttributes number_attr = {
      {"customNumberTypeAttrib", {"Number.float", "4563442423554324324264524243.32543234", ""}}};
  CHECK(md5_of_message_attributes(number_attr) == "9fe1b90bbd9965bdf77bac517c7d2495");
  MessageAttributes binary_attr = {{"binaryAttribute", {"Binary", "", "Hello binary world!"}}};
  CHECK(md5_of_message_attributes(binary_attr) == "31a92b15d92f8db860eda32aceb656c3");
  MessageAttributes all = string_attr;
  all.insert(number_attr.begin(), number_attr.end());
  all.insert(binary_attr.begin(), binary_attr.end());
  CHECK(md5_of_message_attributes(all) == "c932db14a896c663f83c260297d594ff");
  CHECK(md5_of_message_attributes({}).empty());

  CHECK(fx::util::md5_hex("hello") == "5d41402abc4b2a76b9719d911017c592");
  CHECK(fx::util::md5_hex("h\xc3\xa9llo \xe2\x9c\x93") == "21b1ae5bc147bb564254200a4731e337");

  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q");
  auto sent = store.send("q", "hello", std::nullopt, all);
  CHECK(sent.md5_of_message_attributes == "c932db14a896c663f83c260297d594ff");
  auto got = store.receive("q");
  REQUIRE(got.size() == 1);
  CHECK(got[0].message_attributes == all);  // binary bytes survive the round trip
  CHECK(got[0].md5_of_message_attributes == "c932db14a896c663f83c260297d594ff");
}

TEST_CASE("messages and their visibility survive closing the store", "[queues]") {
  Fixture fx;
  std::string in_flight_handle;
  {
    QueueStore store(fx.path, fx.clock());
    store.create_queue("q", {{"VisibilityTimeout", "30"}});
    store.send("q", "one");
    store.send("q", "two", std::nullopt, {{"k", {"String", "v", ""}}});
    auto got = store.receive("q");
    REQUIRE(got.size() == 1);
    CHECK(got[0].body == "one");
    in_flight_handle = got[0].receipt_handle;
  }
  QueueStore store(fx.path, fx.clock());  // as after a restart (or kill -9: each call commits)
  auto attrs = store.attributes("q", kRegion);
  CHECK(attrs.at("VisibilityTimeout") == "30");
  CHECK(attrs.at("ApproximateNumberOfMessages") == "1");
  CHECK(attrs.at("ApproximateNumberOfMessagesNotVisible") == "1");
  auto got = store.receive("q", 10);
  REQUIRE(got.size() == 1);
  CHECK(got[0].body == "two");
  CHECK(got[0].message_attributes.at("k").string_value == "v");
  // The handle given out before the restart still works.
  store.delete_message("q", in_flight_handle);
  fx.now += 30'000;
  auto again = store.receive("q", 10);
  REQUIRE(again.size() == 1);
  CHECK(again[0].body == "two");
}

TEST_CASE("the SQS JSON API answers with the members the SDKs read", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());

  auto created = call(store, "CreateQueue",
                      {{"QueueName", "jobs"}, {"Attributes", {{"VisibilityTimeout", "60"}}}});
  CHECK(created == json{{"QueueUrl", url("jobs")}});
  CHECK(call(store, "GetQueueUrl", {{"QueueName", "jobs"}}) == json{{"QueueUrl", url("jobs")}});
  CHECK(call(store, "ListQueues", json::object()) == json{{"QueueUrls", {url("jobs")}}});
  CHECK(call(store, "ListQueues", {{"QueueNamePrefix", "x"}}) == json::object());

  json attributes = {
      {"colour", {{"DataType", "String"}, {"StringValue", "blue"}}},
      {"blob", {{"DataType", "Binary"}, {"BinaryValue", "SGVsbG8gYmluYXJ5IHdvcmxkIQ=="}}},
  };
  // Any host in the QueueUrl names the same queue.
  auto sent = call(store, "SendMessage",
                   {{"QueueUrl", "https://sqs.us-east-1.amazonaws.com/000000000000/jobs"},
                    {"MessageBody", "hello"},
                    {"MessageAttributes", attributes}});
  CHECK(sent.at("MD5OfMessageBody") == "5d41402abc4b2a76b9719d911017c592");
  MessageAttributes expected_attrs = {{"colour", {"String", "blue", ""}},
                                      {"blob", {"Binary", "", "Hello binary world!"}}};
  CHECK(sent.at("MD5OfMessageAttributes") == fx::queues::md5_of_message_attributes(expected_attrs));
  CHECK(sent.at("MessageId").get<std::string>().size() == 36);

  fx.now += 7;
  auto received = call(store, "ReceiveMessage",
                       {{"QueueUrl", url("jobs")},
                        {"MaxNumberOfMessages", 10},
                        {"MessageSystemAttributeNames", {"All"}},
                        {"MessageAttributeNames", {"All"}}});
  REQUIRE(received.at("Messages").size() == 1);
  const json& m = received["Messages"][0];
  CHECK(m.at("MessageId") == sent["MessageId"]);
  CHECK(m.at("Body") == "hello");
  CHECK(m.at("MD5OfBody") == "5d41402abc4b2a76b9719d911017c592");
  CHECK(m.at("MD5OfMessageAttributes") == sent["MD5OfMessageAttributes"]);
  CHECK(m.at("MessageAttributes") == attributes);
  CHECK(m.at("Attributes") ==
        json{{"SenderId", "000000000000"},
             {"SentTimestamp", std::to_string(kStart)},
             {"ApproximateReceiveCount", "1"},
             {"ApproximateFirstReceiveTimestamp", std::to_string(kStart + 7)}});
  CHECK_FALSE(m.at("ReceiptHandle").get<std::string>().empty());

  // Only what is asked for; the attributes MD5 covers the attributes returned.
  call(
      store, "ChangeMessageVisibility",
      {{"QueueUrl", url("jobs")}, {"ReceiptHandle", m["ReceiptHandle"]}, {"VisibilityTimeout", 0}});
  auto partial = call(store, "ReceiveMessage",
                      {{"QueueUrl", url("jobs")},
                       {"AttributeNames", {"ApproximateReceiveCount"}},
                       {"MessageAttributeNames", {"colour"}}});
  const json& p = partial.at("Messages").at(0);
  CHECK(p.at("Attributes") == json{{"ApproximateReceiveCount", "2"}});
  CHECK(p.at("MessageAttributes") == json{{"colour", attributes["colour"]}});
  CHECK(p.at("MD5OfMessageAttributes") ==
        fx::queues::md5_of_message_attributes({{"colour", {"String", "blue", ""}}}));

  auto attrs =
      call(store, "GetQueueAttributes", {{"QueueUrl", url("jobs")}, {"AttributeNames", {"All"}}});
  CHECK(attrs.at("Attributes").at("VisibilityTimeout") == "60");
  CHECK(attrs["Attributes"].at("ApproximateNumberOfMessagesNotVisible") == "1");
  CHECK(attrs["Attributes"].at("QueueArn") == "arn:aws:sqs:us-east-1:000000000000:jobs");
  auto one = call(store, "GetQueueAttributes",
                  {{"QueueUrl", url("jobs")}, {"AttributeNames", {"QueueArn"}}});
  CHECK(one == json{{"Attributes", {{"QueueArn", "arn:aws:sqs:us-east-1:000000000000:jobs"}}}});
  CHECK(call(store, "GetQueueAttributes", {{"QueueUrl", url("jobs")}}) == json::object());

  CHECK(call(store, "DeleteMessage",
             {{"QueueUrl", url("jobs")}, {"ReceiptHandle", p["ReceiptHandle"]}}) == json::object());
  CHECK(call(store, "ReceiveMessage", {{"QueueUrl", url("jobs")}}) == json::object());
  CHECK(call(store, "SetQueueAttributes",
             {{"QueueUrl", url("jobs")}, {"Attributes", {{"DelaySeconds", "3"}}}}) ==
        json::object());
  CHECK(call(store, "PurgeQueue", {{"QueueUrl", url("jobs")}}) == json::object());
  CHECK(call(store, "TagQueue", {{"QueueUrl", url("jobs")}, {"Tags", {{"team", "a"}}}}) ==
        json::object());
  CHECK(call(store, "ListQueueTags", {{"QueueUrl", url("jobs")}}) ==
        json{{"Tags", {{"team", "a"}}}});
  CHECK(call(store, "DeleteQueue", {{"QueueUrl", url("jobs")}}) == json::object());
}

TEST_CASE("SQS errors have SQS's shape", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  auto r = fx::queues::handle_sqs(store, "AmazonSQS.GetQueueUrl", R"({"QueueName":"nope"})",
                                  kEndpoint, kRegion);
  CHECK(r.status == 400);
  CHECK(json::parse(r.body) == json{{"__type", "com.amazonaws.sqs#QueueDoesNotExist"},
                                    {"message", "The specified queue does not exist."}});
  CHECK(header(r, "x-amzn-query-error") == "AWS.SimpleQueueService.NonExistentQueue;Sender");
  CHECK(header(r, "Content-Type") == "application/x-amz-json-1.0");
  CHECK_FALSE(header(r, "x-amzn-RequestId").empty());

  call(store, "CreateQueue", {{"QueueName", "q"}});
  r = fx::queues::handle_sqs(store, "AmazonSQS.CreateQueue",
                             R"({"QueueName":"q","Attributes":{"DelaySeconds":"5"}})", kEndpoint,
                             kRegion);
  CHECK(json::parse(r.body).at("__type") == "com.amazonaws.sqs#QueueNameExists");
  CHECK(header(r, "x-amzn-query-error") == "QueueAlreadyExists;Sender");

  auto missing = call(store, "SendMessage", {{"QueueUrl", url("q")}}, 400);
  CHECK(missing.at("__type") == "com.amazonaws.sqs#MissingParameter");
  CHECK(missing.at("message") == "The request must contain the parameter MessageBody.");

  auto bad_handle =
      call(store, "DeleteMessage", {{"QueueUrl", url("q")}, {"ReceiptHandle", "x"}}, 400);
  CHECK(bad_handle.at("__type") == "com.amazonaws.sqs#ReceiptHandleIsInvalid");

  auto too_long =
      call(store, "ReceiveMessage", {{"QueueUrl", url("q")}, {"WaitTimeSeconds", 21}}, 400);
  CHECK(too_long.at("__type") == "com.amazonaws.sqs#InvalidParameterValue");

  r = fx::queues::handle_sqs(store, "AmazonSQS.Frobnicate", "{}", kEndpoint, kRegion);
  CHECK(r.status == 400);
  CHECK(json::parse(r.body).at("__type") == "com.amazonaws.sqs#InvalidAction");
  r = fx::queues::handle_sqs(store, "AmazonSQS.AddPermission", "{}", kEndpoint, kRegion);
  CHECK(header(r, "x-amzn-query-error") == "AWS.SimpleQueueService.UnsupportedOperation;Sender");
  r = fx::queues::handle_sqs(store, "AmazonSQS.ListQueues", "not json", kEndpoint, kRegion);
  CHECK(r.status == 400);
  CHECK(json::parse(r.body).at("__type") == "com.amazon.coral.service#SerializationException");

  CHECK(fx::queues::is_sqs_target("AmazonSQS.SendMessage"));
  CHECK_FALSE(fx::queues::is_sqs_target("AWSLambda.Invoke"));
}

TEST_CASE("a batch send reports each entry, and refuses bad batches whole", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  call(store, "CreateQueue", {{"QueueName", "q"}});

  auto result = call(store, "SendMessageBatch",
                     {{"QueueUrl", url("q")},
                      {"Entries",
                       {{{"Id", "a"}, {"MessageBody", "fine"}},
                        {{"Id", "b"}, {"MessageBody", "bell\x07"}},
                        {{"Id", "c"}, {"MessageBody", "also fine"}, {"DelaySeconds", 5}}}}});
  REQUIRE(result.at("Successful").size() == 2);
  CHECK(result["Successful"][0].at("Id") == "a");
  CHECK(result["Successful"][0].at("MD5OfMessageBody") == fx::util::md5_hex("fine"));
  CHECK(result["Successful"][1].at("Id") == "c");
  REQUIRE(result.at("Failed").size() == 1);
  CHECK(result["Failed"][0].at("Id") == "b");
  CHECK(result["Failed"][0].at("Code") == "InvalidMessageContents");
  CHECK(result["Failed"][0].at("SenderFault") == true);
  auto attrs = store.attributes("q", kRegion);
  CHECK(attrs.at("ApproximateNumberOfMessages") == "1");
  CHECK(attrs.at("ApproximateNumberOfMessagesDelayed") == "1");

  auto code_of = [&](const json& entries) {
    auto r = fx::queues::handle_sqs(store, "AmazonSQS.SendMessageBatch",
                                    json{{"QueueUrl", url("q")}, {"Entries", entries}}.dump(),
                                    kEndpoint, kRegion);
    CHECK(r.status == 400);
    return header(r, "x-amzn-query-error");
  };
  json eleven = json::array();
  for (int i = 0; i < 11; ++i)
    eleven.push_back({{"Id", "m" + std::to_string(i)}, {"MessageBody", "x"}});
  CHECK(code_of(eleven) == "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender");
  CHECK(code_of(json::array()) == "AWS.SimpleQueueService.EmptyBatchRequest;Sender");
  CHECK(code_of({{{"Id", "a"}, {"MessageBody", "x"}}, {{"Id", "a"}, {"MessageBody", "y"}}}) ==
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct;Sender");
  CHECK(code_of({{{"Id", "has space"}, {"MessageBody", "x"}}}) ==
        "AWS.SimpleQueueService.InvalidBatchEntryId;Sender");
  CHECK(code_of({{{"Id", "a"}, {"MessageBody", std::string(200'000, 'x')}},
                 {{"Id", "b"}, {"MessageBody", std::string(200'000, 'x')}}}) ==
        "AWS.SimpleQueueService.BatchRequestTooLong;Sender");
  CHECK(store.attributes("q", kRegion).at("ApproximateNumberOfMessages") == "1");  // none sent

  auto received = call(store, "ReceiveMessage", {{"QueueUrl", url("q")}});
  auto deleted =
      call(store, "DeleteMessageBatch",
           {{"QueueUrl", url("q")},
            {"Entries",
             {{{"Id", "ok"}, {"ReceiptHandle", received["Messages"][0]["ReceiptHandle"]}},
              {{"Id", "bad"}, {"ReceiptHandle", "garbage"}}}}});
  CHECK(deleted.at("Successful") == json{{{"Id", "ok"}}});
  CHECK(deleted.at("Failed").at(0).at("Code") == "ReceiptHandleIsInvalid");
}

TEST_CASE("ReceiveMessage asks the caller to wait when a long poll finds nothing", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q");
  std::string request = json{{"QueueUrl", url("q")}, {"WaitTimeSeconds", 5}}.dump();

  auto r = fx::queues::handle_sqs(store, "AmazonSQS.ReceiveMessage", request, kEndpoint, kRegion);
  CHECK(r.status == 200);
  CHECK(r.body == "{}");  // the answer to send if nothing arrives
  CHECK(r.wait_until_ms == kStart + 5000);
  CHECK(r.recheck_at_ms == kStart + 5000);
  CHECK(r.wait_queue == "q");

  // A delayed message brings the recheck forward.
  store.send("q", "soon", 2);
  fx.now += 1000;
  r = fx::queues::handle_sqs(store, "AmazonSQS.ReceiveMessage", request, kEndpoint, kRegion,
                             kStart + 5000);
  CHECK(r.wait_until_ms == kStart + 5000);
  CHECK(r.recheck_at_ms == kStart + 2000);
  fx.now = kStart + 2000;
  r = fx::queues::handle_sqs(store, "AmazonSQS.ReceiveMessage", request, kEndpoint, kRegion,
                             kStart + 5000);
  CHECK(r.wait_until_ms == 0);
  CHECK(json::parse(r.body).at("Messages").at(0).at("Body") == "soon");

  // Past the deadline the empty answer is final.
  fx.now = kStart + 5000;
  r = fx::queues::handle_sqs(store, "AmazonSQS.ReceiveMessage", request, kEndpoint, kRegion,
                             kStart + 5000);
  CHECK(r.wait_until_ms == 0);
  CHECK(r.body == "{}");

  // The queue's ReceiveMessageWaitTimeSeconds applies when the request gives no wait.
  store.set_attributes("q", {{"ReceiveMessageWaitTimeSeconds", "20"}});
  r = fx::queues::handle_sqs(store, "AmazonSQS.ReceiveMessage", json{{"QueueUrl", url("q")}}.dump(),
                             kEndpoint, kRegion);
  CHECK(r.wait_until_ms == fx.now + 20'000);
}

TEST_CASE("Lambda's SQS event carries the records Lambda builds", "[queues]") {
  Fixture fx;
  QueueStore store(fx.path, fx.clock());
  store.create_queue("q");
  store.send("q", "first", std::nullopt, {{"kind", {"String", "order", ""}}});
  store.send("q", "second", std::nullopt, {{"raw", {"Binary", "", "\x01\x02"}}});
  store.send("q", "third");
  fx.now += 3;
  auto batch = store.receive_for_lambda("q", 25);
  REQUIRE(batch.size() == 3);

  auto event = json::parse(
      fx::queues::lambda_sqs_event_json(batch, fx::queues::queue_arn(kRegion, "q"), kRegion));
  REQUIRE(event.at("Records").size() == 3);
  const json& r = event["Records"][0];
  CHECK(r.at("messageId") == batch[0].id);
  CHECK(r.at("receiptHandle") == batch[0].receipt_handle);
  CHECK(r.at("body") == "first");
  CHECK(r.at("md5OfBody") == fx::util::md5_hex("first"));
  CHECK(r.at("md5OfMessageAttributes") == batch[0].md5_of_message_attributes);
  CHECK(r.at("eventSource") == "aws:sqs");
  CHECK(r.at("eventSourceARN") == "arn:aws:sqs:us-east-1:000000000000:q");
  CHECK(r.at("awsRegion") == "us-east-1");
  CHECK(r.at("attributes") ==
        json{{"ApproximateReceiveCount", "1"},
             {"SentTimestamp", std::to_string(kStart)},
             {"SenderId", "000000000000"},
             {"ApproximateFirstReceiveTimestamp", std::to_string(kStart + 3)}});
  CHECK(r.at("messageAttributes") == json{{"kind",
                                           {{"stringValue", "order"},
                                            {"stringListValues", json::array()},
                                            {"binaryListValues", json::array()},
                                            {"dataType", "String"}}}});
  CHECK(event["Records"][1].at("messageAttributes").at("raw").at("binaryValue") == "AQI=");
  CHECK(event["Records"][2].at("messageAttributes") == json::object());
  CHECK_FALSE(event["Records"][2].contains("md5OfMessageAttributes"));
}
