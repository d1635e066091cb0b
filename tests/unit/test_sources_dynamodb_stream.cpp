// The stream event source on a real table store and real checkpoint store (SQLite in a
// temporary directory) with a real I/O context; what stands in for the emulator is the host's
// invoke, which records each batch and answers as the test says, as the instance pool would.
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/table_store.h"
#include "core/manifest/events.h"
#include "core/sources/dynamodb_stream_source.h"
#include "core/sources/mapping.h"
#include "core/sources/poller.h"
#include "core/sources/stream_checkpoints.h"

namespace fs = std::filesystem;
using fx::dynamodb::AttributeValue;
using fx::dynamodb::TableStore;
using fx::sources::DynamoStreamSource;
using fx::sources::EventSourceMapping;
using fx::sources::InvokeResult;
using fx::sources::StreamCheckpoints;
using nlohmann::json;

namespace {

struct Call {
  std::vector<std::string> keys;  // the records' pk, in order
  std::vector<std::string> seqs;  // their SequenceNumber
  json event;
};

struct Fixture {
  fs::path dir =
      fs::temp_directory_path() / ("fx-stream-" + std::to_string(std::random_device{}()));
  boost::asio::io_context io;
  std::unique_ptr<TableStore> store;
  std::unique_ptr<StreamCheckpoints> checkpoints;
  std::unique_ptr<fx::sources::Pollers> pollers;
  fx::dynamodb::TableSchema table;
  std::string stream_arn;
  std::vector<Call> calls;
  std::vector<std::string> log;
  std::vector<std::pair<std::string, std::string>> sent;  // destination, body
  // How each invocation ends, in turn; success once they run out.
  std::deque<std::function<InvokeResult(const Call&)>> answers;

  Fixture() {
    fs::create_directories(dir);
    open();
    table = store->create_table(fx::dynamodb::schema_from_create_request(json::parse(R"({
      "TableName": "items", "BillingMode": "PAY_PER_REQUEST",
      "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
      "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
      "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}})")));
    stream_arn = fx::dynamodb::stream_arn("us-east-1", "items", table.stream_label);
  }
  ~Fixture() {
    pollers.reset();
    checkpoints.reset();
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // (Re)opens the stores and the pollers, as a restart of the emulator does.
  void open() {
    pollers.reset();
    checkpoints.reset();
    store.reset();
    store = std::make_unique<TableStore>(dir / "dynamodb.db", "us-east-1");
    checkpoints = std::make_unique<StreamCheckpoints>(dir / "stream_checkpoints.db");
    fx::sources::PollerHost host;
    host.io = &io;
    host.has_function = [](const std::string&) { return true; };
    host.invoke = [this](const std::string&, std::string payload,
                         std::function<void(InvokeResult)> done) {
      Call call;
      call.event = json::parse(payload);
      for (const auto& r : call.event["Records"]) {
        call.keys.push_back(r["dynamodb"]["Keys"]["pk"]["S"].get<std::string>());
        call.seqs.push_back(r["dynamodb"]["SequenceNumber"].get<std::string>());
      }
      calls.push_back(call);
      InvokeResult result;
      if (!answers.empty()) {
        result = answers.front()(call);
        answers.pop_front();
      }
      boost::asio::post(io, [done, result] { done(result); });
    };
    host.log = [this](const std::string&, const std::string& line) { log.push_back(line); };
    pollers = std::make_unique<fx::sources::Pollers>(std::move(host));
  }

  EventSourceMapping mapping(std::function<void(fx::manifest::StreamEvent&)> settings = nullptr,
                             std::string on_failure = "") {
    fx::manifest::StreamEvent e;
    e.table = "items";
    if (settings) settings(e);
    return fx::sources::stream_mapping("svc", "svc-dev-f", e, stream_arn, on_failure, 1);
  }
  void add(EventSourceMapping m) {
    DynamoStreamSource::Host host;
    host.region = "us-east-1";
    host.send = [this](const std::string& d, const std::string& body) {
      sent.emplace_back(d, body);
      return std::string();
    };
    host.log = [this](const std::string& line) { log.push_back(line); };
    auto source = std::make_unique<DynamoStreamSource>(*store, *checkpoints, m, std::move(host));
    pollers->add(std::move(m), std::move(source));
  }
  void put(const std::vector<std::string>& keys) {
    store->write([&](TableStore::Writer& w) {
      for (const auto& k : keys) {
        fx::dynamodb::Item item;
        item.emplace("pk", AttributeValue::string(k));
        w.put(table, w.get(table, fx::dynamodb::encoded_key(table, item)), item);
      }
    });
  }
  void run(int ms = 100) {
    pollers->wake_all();
    io.restart();
    io.run_for(std::chrono::milliseconds(ms));
  }
  std::vector<std::vector<std::string>> shapes() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& c : calls) out.push_back(c.keys);
    return out;
  }
};

InvokeResult function_error(const Call&) {
  return {200, "Unhandled", R"({"errorMessage":"no"})"};
}

}  // namespace

using Shapes = std::vector<std::vector<std::string>>;

TEST_CASE("stream source: batches in order, the checkpoint kept across a restart",
          "[sources][stream]") {
  Fixture f;
  f.put({"a", "b", "c", "d", "e"});
  auto m = f.mapping([](auto& e) { e.batch_size = 2; });
  const std::string uuid = m.uuid;
  f.add(m);
  f.run();
  CHECK(f.shapes() == Shapes{{"a", "b"}, {"c", "d"}, {"e"}});
  // The event is Lambda's: the stored record plus eventSourceARN.
  const auto& r = f.calls[0].event["Records"][0];
  CHECK(r["eventSourceARN"] == f.stream_arn);
  CHECK(r["eventName"] == "INSERT");
  CHECK(r["eventSource"] == "aws:dynamodb");
  CHECK(r["dynamodb"]["NewImage"]["pk"]["S"] == "a");
  CHECK(f.checkpoints->get(uuid) == std::stoll(f.calls[2].seqs[0]));
  CHECK(f.pollers->find(uuid)->last_processing_result == "OK");

  // A restart resumes after the checkpoint: nothing again, the new record only.
  f.open();
  f.calls.clear();
  f.put({"f"});
  f.add(f.mapping([](auto& e) { e.batch_size = 2; }));
  f.run();
  CHECK(f.shapes() == Shapes{{"f"}});
}

TEST_CASE("stream source: LATEST starts after what the stream holds, TRIM_HORIZON at its start",
          "[sources][stream]") {
  Fixture f;
  f.put({"old"});
  f.add(f.mapping([](auto& e) { e.starting_position = "LATEST"; }));
  f.run();
  CHECK(f.calls.empty());
  f.put({"new"});
  f.run();
  CHECK(f.shapes() == Shapes{{"new"}});
  // A second mapping (another place in the manifest) with TRIM_HORIZON reads both.
  Fixture g;
  g.put({"old"});
  g.add(g.mapping());
  g.run();
  CHECK(g.shapes() == Shapes{{"old"}});
}

TEST_CASE("stream source: checkpoints move forward only and are forgotten per service",
          "[sources][stream]") {
  Fixture f;
  auto& c = *f.checkpoints;
  CHECK_FALSE(c.get("u1"));
  CHECK(c.start("u1", "svc", 5) == 5);
  CHECK(c.start("u1", "svc", 9) == 5);  // the starting position is read once
  c.advance("u1", 8);
  c.advance("u1", 6);  // a replaced poller's late batch
  CHECK(c.get("u1") == 8);
  c.start("u2", "svc", 0);
  c.start("u3", "other", 0);
  c.forget("svc", {"u2"});
  CHECK_FALSE(c.get("u1"));
  CHECK(c.get("u2") == 0);
  CHECK(c.get("u3") == 0);
}

TEST_CASE("stream source: a failing batch blocks the shard until it succeeds",
          "[sources][stream]") {
  Fixture f;
  f.put({"a", "b"});
  f.answers = {function_error, function_error};
  auto m = f.mapping();
  const std::string uuid = m.uuid;
  f.add(m);
  f.run(50);
  CHECK(f.pollers->find(uuid)->last_processing_result == "PROBLEM: Function call failed");
  f.put({"c"});
  f.run(600);  // retries wait 100 ms, then 200 ms
  CHECK(f.shapes() == Shapes{{"a", "b"}, {"a", "b"}, {"a", "b"}, {"c"}});
  CHECK(f.sent.empty());
}

TEST_CASE("stream source: bisection, retries exhausted, the failure record sent",
          "[sources][stream]") {
  Fixture f;
  f.put({"a", "b", "bad", "c"});
  auto poison = [](const Call& c) {
    for (const auto& k : c.keys)
      if (k == "bad") return function_error(c);
    return InvokeResult{};
  };
  for (int i = 0; i < 10; ++i) f.answers.push_back(poison);
  f.add(f.mapping(
      [](auto& e) {
        e.bisect_batch_on_function_error = true;
        e.max_retry_attempts = 1;
      },
      "arn:aws:sqs:us-east-1:000000000000:failed"));
  f.run(500);
  CHECK(f.shapes() ==
        Shapes{{"a", "b", "bad", "c"}, {"a", "b"}, {"bad", "c"}, {"bad"}, {"bad"}, {"c"}});
  REQUIRE(f.sent.size() == 1);
  CHECK(f.sent[0].first == "arn:aws:sqs:us-east-1:000000000000:failed");
  const json record = json::parse(f.sent[0].second);
  const auto& info = record["DDBStreamBatchInfo"];
  CHECK(info["batchSize"] == 1);
  CHECK(info["startSequenceNumber"] == f.calls[3].seqs[0]);
  CHECK(info["endSequenceNumber"] == f.calls[3].seqs[0]);
  CHECK(info["streamArn"] == f.stream_arn);
  CHECK(info["shardId"].get<std::string>().starts_with("shardId-"));
  CHECK(record["requestContext"]["condition"] == "RetryAttemptsExhausted");
  CHECK(record["requestContext"]["approximateInvokeCount"] == 2);
  CHECK(record["requestContext"]["functionArn"] ==
        "arn:aws:lambda:us-east-1:000000000000:function:svc-dev-f");
  CHECK(record["responseContext"]["functionError"] == "Unhandled");
  CHECK(record["version"] == "1.0");
}

TEST_CASE(
    "stream source: without bisection a batch is discarded whole, and logged without a "
    "destination",
    "[sources][stream]") {
  Fixture f;
  f.put({"a", "b"});
  f.answers = {function_error};
  f.add(f.mapping([](auto& e) { e.max_retry_attempts = 0; }));
  f.run();
  f.put({"c"});
  f.run();
  CHECK(f.shapes() == Shapes{{"a", "b"}, {"c"}});
  REQUIRE(f.log.size() == 1);
  CHECK_THAT(f.log[0],
             Catch::Contains("discarded 2 records") && Catch::Contains("no onFailure destination"));
}

TEST_CASE("stream source: maximumRecordAgeInSeconds discards what is too old",
          "[sources][stream]") {
  Fixture f;
  f.put({"a"});
  f.answers = {function_error};
  f.add(f.mapping([](auto& e) { e.max_record_age_s = 1; }, "arn:aws:sqs:us-east-1:000000000000:q"));
  f.run(50);  // the first try: the record is under a second old
  REQUIRE(f.calls.size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  f.run(300);  // its retry: over two seconds old now
  CHECK(f.calls.size() == 1);
  REQUIRE(f.sent.size() == 1);
  const json record = json::parse(f.sent[0].second);
  CHECK(record["requestContext"]["condition"] == "RecordAgeExceeded");
  CHECK(record["DDBStreamBatchInfo"]["batchSize"] == 1);
}

TEST_CASE("stream source: ReportBatchItemFailures resumes from the first failed record",
          "[sources][stream]") {
  Fixture f;
  f.put({"a", "b", "c", "d"});
  f.answers = {
      [](const Call& c) {  // b and d failed: a is done, b c d come again
        return InvokeResult{
            200, "",
            json{{"batchItemFailures",
                  {{{"itemIdentifier", c.seqs[3]}}, {{"itemIdentifier", c.seqs[1]}}}}}
                .dump()};
      },
      [](const Call&) {  // not one of the batch's: the whole batch failed
        return InvokeResult{200, "", R"({"batchItemFailures":[{"itemIdentifier":"1"}]})"};
      },
      [](const Call&) {  // an unreadable answer fails it too
        return InvokeResult{200, "", R"({"batchItemFailures":[{"itemIdentifier":null}]})"};
      },
      [](const Call&) {
        return InvokeResult{200, "", R"({"batchItemFailures":[]})"};
      },
  };
  f.add(f.mapping([](auto& e) { e.report_batch_item_failures = true; }));
  f.run(1500);  // retries 100, 200 and 400 ms apart
  CHECK(f.shapes() ==
        Shapes{{"a", "b", "c", "d"}, {"b", "c", "d"}, {"b", "c", "d"}, {"b", "c", "d"}});
  // A null answer, or none, is success.
  Fixture g;
  g.put({"x"});
  g.answers = {[](const Call&) { return InvokeResult{200, "", "null"}; }};
  g.add(g.mapping([](auto& e) { e.report_batch_item_failures = true; }));
  g.run();
  g.put({"y"});
  g.run();
  CHECK(g.shapes() == Shapes{{"x"}, {"y"}});
}

TEST_CASE("stream source: filter patterns skip records, and a batch all filtered out moves on",
          "[sources][stream]") {
  Fixture f;
  f.put({"a", "keep-b", "c"});
  auto m = f.mapping([](auto& e) {
    e.filter_patterns = {R"({"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"keep"}]}}}})"};
    e.batch_size = 1;
  });
  const std::string uuid = m.uuid;
  f.add(m);
  f.run();
  CHECK(f.shapes() == Shapes{{"keep-b"}});
  // The filtered-out record after it is done too: the checkpoint is at the stream's end.
  CHECK(f.checkpoints->get(uuid) == f.store->last_seq());
}

TEST_CASE("stream source: the batching window waits for a full batch or its end",
          "[sources][stream]") {
  Fixture f;
  f.add(f.mapping([](auto& e) {
    e.batching_window_s = 1;
    e.batch_size = 3;
  }));
  f.put({"a"});
  f.run(50);
  f.put({"b"});
  f.run(50);
  CHECK(f.calls.empty());  // the window holds
  f.put({"c"});
  f.run(50);
  CHECK(f.shapes() == Shapes{{"a", "b", "c"}});  // full: it does not wait for the window's end
  f.put({"d"});
  f.run(1200);
  CHECK(f.shapes() == Shapes{{"a", "b", "c"}, {"d"}});
}

TEST_CASE("stream mapping: Lambda's API shape", "[sources][stream]") {
  fx::manifest::StreamEvent e;
  e.table = "items";
  e.starting_position = "LATEST";
  e.max_retry_attempts = 3;
  e.bisect_batch_on_function_error = true;
  auto m = fx::sources::stream_mapping(
      "svc", "svc-dev-f", e, "arn:aws:dynamodb:us-east-1:000000000000:table/items/stream/x",
      "arn:aws:sqs:us-east-1:000000000000:q", 1);
  const json j = json::parse(fx::sources::mapping_json(m, "us-east-1"));
  CHECK(j["StartingPosition"] == "LATEST");
  CHECK(j["MaximumRetryAttempts"] == 3);
  CHECK(j["MaximumRecordAgeInSeconds"] == -1);
  CHECK(j["BisectBatchOnFunctionError"] == true);
  CHECK(j["LastProcessingResult"] == "No records processed");
  CHECK(j["DestinationConfig"]["OnFailure"]["Destination"] ==
        "arn:aws:sqs:us-east-1:000000000000:q");
  CHECK(j["BatchSize"] == 10);
  CHECK(j["EventSourceMappingArn"] ==
        "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:" + m.uuid);
  // A queue's mapping has none of the stream's fields.
  fx::manifest::SqsEvent q;
  q.queue = "jobs";
  const json sqs = json::parse(fx::sources::mapping_json(
      fx::sources::sqs_mapping("svc", "f", q, "arn:aws:sqs:us-east-1:000000000000:jobs", 1),
      "us-east-1"));
  CHECK_FALSE(sqs.contains("StartingPosition"));
  CHECK_FALSE(sqs.contains("LastProcessingResult"));
}
