// The Streams API over a real TableStore (a SQLite file per test) with a clock the test moves:
// what the end-to-end tests cannot wait for (24 hours of retention, 15 minutes of an iterator).
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/dynamodb/api.h"
#include "core/dynamodb/streams_api.h"
#include "core/dynamodb/table_store.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Fixture {
  fs::path dir;
  std::int64_t now = 1'800'000'000'000;  // the store's clock, in ms
  std::unique_ptr<fx::dynamodb::TableStore> store;
  Fixture() {
    std::string templ = (fs::temp_directory_path() / "fx-test-ddb-streams-XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    dir = templ;
    open();
  }
  ~Fixture() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void open() {
    store.reset();
    store = std::make_unique<fx::dynamodb::TableStore>(dir / "dynamodb.db", "eu-west-1",
                                                       [this] { return now; });
  }
  json ddb(const std::string& op, const json& body) {
    auto r = fx::dynamodb::handle_dynamodb(*store, "DynamoDB_20120810." + op, body.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  }
  // (status, answer) of a Streams call.
  std::pair<int, json> streams(const std::string& op, const json& body) {
    auto r = fx::dynamodb::handle_streams(*store, "DynamoDBStreams_20120810." + op, body.dump());
    return {r.status, json::parse(r.body)};
  }
  json ok(const std::string& op, const json& body) {
    auto [status, answer] = streams(op, body);
    INFO(answer.dump());
    REQUIRE(status == 200);
    return answer;
  }
  std::string error(const std::string& op, const json& body) {
    auto [status, answer] = streams(op, body);
    INFO(answer.dump());
    REQUIRE(status == 400);
    std::string type = answer["__type"];
    return type.substr(type.find('#') + 1);
  }
  std::string table(const std::string& name) {
    auto d = ddb("CreateTable",
                 {{"TableName", name},
                  {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                  {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
                  {"BillingMode", "PAY_PER_REQUEST"},
                  {"StreamSpecification",
                   {{"StreamEnabled", true}, {"StreamViewType", "NEW_AND_OLD_IMAGES"}}}});
    return d["TableDescription"]["LatestStreamArn"];
  }
  void put(const std::string& table, const std::string& pk) {
    ddb("PutItem", {{"TableName", table}, {"Item", {{"pk", {{"S", pk}}}}}});
  }
  std::string iterator(const std::string& arn, const std::string& type = "TRIM_HORIZON",
                       const std::string& seq = "") {
    auto d = ok("DescribeStream", {{"StreamArn", arn}});
    json req = {{"StreamArn", arn},
                {"ShardId", d["StreamDescription"]["Shards"][0]["ShardId"]},
                {"ShardIteratorType", type}};
    if (!seq.empty()) req["SequenceNumber"] = seq;
    return ok("GetShardIterator", req)["ShardIterator"];
  }
};

}  // namespace

TEST_CASE("streams: records in order with the region and the images", "[dynamodb][streams]") {
  Fixture f;
  auto arn = f.table("tbl1");
  CHECK(arn.starts_with("arn:aws:dynamodb:eu-west-1:"));
  f.put("tbl1", "a");
  f.put("tbl1", "b");
  auto page = f.ok("GetRecords", {{"ShardIterator", f.iterator(arn)}});
  REQUIRE(page["Records"].size() == 2);
  CHECK(page["Records"][0]["awsRegion"] == "eu-west-1");
  CHECK(page["Records"][0]["dynamodb"]["ApproximateCreationDateTime"] == 1'800'000'000);
  CHECK(page["Records"][1]["dynamodb"]["NewImage"]["pk"]["S"] == "b");
  CHECK(page.contains("NextShardIterator"));
}

TEST_CASE("streams: an iterator expires after 15 minutes", "[dynamodb][streams]") {
  Fixture f;
  auto arn = f.table("tbl2");
  f.put("tbl2", "a");
  auto it = f.iterator(arn);
  f.now += fx::dynamodb::kIteratorLifetimeMs;
  CHECK(f.ok("GetRecords", {{"ShardIterator", it}})["Records"].size() == 1);
  f.now += 1;
  CHECK(f.error("GetRecords", {{"ShardIterator", it}}) == "ExpiredIteratorException");
}

TEST_CASE("streams: iterators and records survive reopening the store", "[dynamodb][streams]") {
  Fixture f;
  auto arn = f.table("tbl3");
  f.put("tbl3", "a");
  auto it = f.iterator(arn);
  f.open();
  CHECK(f.ok("GetRecords", {{"ShardIterator", it}})["Records"].size() == 1);
}

TEST_CASE("streams: records past 24 hours are trimmed", "[dynamodb][streams]") {
  Fixture f;
  auto arn = f.table("tbl4");
  f.put("tbl4", "old");
  auto old_seq = std::string(
      f.ok("GetRecords",
           {{"ShardIterator", f.iterator(arn)}})["Records"][0]["dynamodb"]["SequenceNumber"]);
  auto stale = f.iterator(arn);
  f.now += fx::dynamodb::kStreamRetentionMs + 1000;
  f.put("tbl4", "new");
  f.store->trim_streams();
  // The trimmed number is refused; TRIM_HORIZON starts after it.
  CHECK(
      f.error("GetShardIterator",
              {{"StreamArn", arn},
               {"ShardId", f.ok("DescribeStream",
                                {{"StreamArn", arn}})["StreamDescription"]["Shards"][0]["ShardId"]},
               {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
               {"SequenceNumber", old_seq}}) == "TrimmedDataAccessException");
  auto page = f.ok("GetRecords", {{"ShardIterator", f.iterator(arn)}});
  REQUIRE(page["Records"].size() == 1);
  CHECK(page["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] == "new");
  // The shard now starts at the first record left.
  auto d = f.ok("DescribeStream", {{"StreamArn", arn}});
  CHECK(d["StreamDescription"]["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"] ==
        page["Records"][0]["dynamodb"]["SequenceNumber"]);
  // The iterator made before is 24 hours old: expired, which is answered first.
  CHECK(f.error("GetRecords", {{"ShardIterator", stale}}) == "ExpiredIteratorException");
}

TEST_CASE("streams: a stream turned off and on within a millisecond is a new stream",
          "[dynamodb][streams]") {
  Fixture f;
  auto first = f.table("tbl5");
  f.ddb("UpdateTable",
        {{"TableName", "tbl5"}, {"StreamSpecification", {{"StreamEnabled", false}}}});
  auto second =
      f.ddb("UpdateTable",
            {{"TableName", "tbl5"},
             {"StreamSpecification", {{"StreamEnabled", true}, {"StreamViewType", "KEYS_ONLY"}}}});
  std::string arn2 = second["TableDescription"]["LatestStreamArn"];
  CHECK(arn2 != first);
  f.put("tbl5", "x");
  CHECK(f.ok("GetRecords", {{"ShardIterator", f.iterator(first)}})["Records"].empty());
  auto page = f.ok("GetRecords", {{"ShardIterator", f.iterator(arn2)}});
  REQUIRE(page["Records"].size() == 1);
  CHECK(page["Records"][0]["dynamodb"]["StreamViewType"] == "KEYS_ONLY");
  CHECK(f.ok("DescribeStream", {{"StreamArn", first}})["StreamDescription"]["StreamStatus"] ==
        "DISABLED");
}

TEST_CASE("streams: a forged iterator is a ValidationException", "[dynamodb][streams]") {
  Fixture f;
  auto arn = f.table("tbl6");
  auto it = f.iterator(arn);
  for (std::string bad : {std::string("x"), it + "A", it.substr(0, it.size() - 2), arn + "|1|",
                          arn + "|1|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    INFO(bad);
    CHECK(f.error("GetRecords", {{"ShardIterator", bad}}) == "ValidationException");
  }
  // Another store signs with another key: its iterators are not this one's.
  Fixture g;
  g.table("tbl6");
  CHECK(g.error("GetRecords", {{"ShardIterator", it}}) == "ValidationException");
}
