// DynamoService's side of a service's document: the tables of manifest::ServiceEvents::tables
// created, changed and deleted with the service (fx deploy, fx remove), tables of the API or of
// another service left alone. A real SQLite file per test.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>  // before Boost.Asio, whose C++20 code uses std::exchange
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "core/dynamodb/table_schema.h"
#include "core/dynamodb/table_store.h"
#include "core/emulator/dynamodb_service.h"
#include "core/manifest/events_json.h"
#include "core/util/error.h"

namespace fs = std::filesystem;
using fx::emulator::DynamoService;
using fx::manifest::ServiceEvents;
using fx::manifest::TableConfig;

namespace {

struct Fixture {
  fs::path dir;
  boost::asio::io_context io;
  Fixture() {
    std::string templ = (fs::temp_directory_path() / "fx-test-ddb-service-XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    dir = templ;
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

TableConfig table(const std::string& name, const std::string& extra = "",
                  const std::string& ttl = "") {
  std::string json = R"({"TableName":")" + name +
                     R"(","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
                     R"("AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"})" +
                     (extra.empty() ? "]" : "," + extra) + R"(,"BillingMode":"PAY_PER_REQUEST"})";
  return {name, json, ttl};
}

ServiceEvents with(std::vector<TableConfig> tables) {
  ServiceEvents e;
  e.tables = std::move(tables);
  return e;
}

std::vector<std::string> names(DynamoService& s) {
  return s.store().list_tables();
}

}  // namespace

TEST_CASE("a service's tables are created, changed and deleted with it", "[dynamodb][emulator]") {
  Fixture f;
  DynamoService s(f.io, f.dir / "dynamodb.db", "us-east-1");

  auto w = s.apply("shop", with({table("orders"), table("carts", "", "expires")}));
  CHECK(w.empty());
  CHECK(names(s) == std::vector<std::string>{"carts", "orders"});
  CHECK(s.store().owner("orders") == "shop");
  CHECK(s.store().require_table("carts").ttl_attribute == "expires");

  // A GSI and a stream added, time to live off: the table changes in place, its items stay.
  auto before = s.store().require_table("orders");
  s.store().write([&](fx::dynamodb::TableStore::Writer& writer) {
    fx::dynamodb::Item item;
    item.emplace("pk", fx::dynamodb::AttributeValue::string("a"));
    item.emplace("status", fx::dynamodb::AttributeValue::string("open"));
    writer.put(before, std::nullopt, item);
  });
  auto orders = table(
      "orders",
      R"({"AttributeName":"status","AttributeType":"S"}],"GlobalSecondaryIndexes":[{"IndexName":"by-status","KeySchema":[{"AttributeName":"status","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}])");
  std::string stream = R"(,"StreamSpecification":{"StreamViewType":"NEW_IMAGE"}})";
  orders.create_json.pop_back();
  orders.create_json += stream;
  w = s.apply("shop", with({orders, table("carts")}));
  CHECK(w.empty());
  auto t = s.store().require_table("orders");
  REQUIRE(t.index("by-status") != nullptr);
  CHECK(t.stream_enabled);
  CHECK(t.stream_view_type == "NEW_IMAGE");
  CHECK(s.store().counts(t).item_count == 1);
  CHECK(s.store().counts(t).indexes["by-status"].first == 1);  // filled from the item there
  CHECK(s.store().require_table("carts").ttl_attribute.empty());

  // A table the manifest no longer has goes; fx remove drops the rest.
  s.apply("shop", with({orders}));
  CHECK(names(s) == std::vector<std::string>{"orders"});
  s.drop("shop");
  CHECK(names(s).empty());
}

TEST_CASE("tables of the API or of another service are used as they are, never deleted",
          "[dynamodb][emulator]") {
  Fixture f;
  DynamoService s(f.io, f.dir / "dynamodb.db", "us-east-1");
  auto api_table =
      fx::dynamodb::schema_from_create_request(nlohmann::json::parse(table("shared").create_json));
  s.store().create_table(api_table);
  s.apply("other", with({table("theirs")}));

  auto w = s.apply("shop", with({table("shared"), table("theirs"), table("mine")}));
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("table shared exists already (created through the DynamoDB API)") == 0);
  CHECK(w[1].find("created by service other") != std::string::npos);
  s.drop("shop");
  CHECK(names(s) == std::vector<std::string>{"shared", "theirs"});
  CHECK(s.store().owner("theirs") == "other");
}

TEST_CASE("a table of DeletionPolicy Retain outlives its service, no longer its own",
          "[dynamodb][emulator]") {
  Fixture f;
  DynamoService s(f.io, f.dir / "dynamodb.db", "us-east-1");
  auto ledger = table("ledger");
  ledger.retain = true;
  auto audit = table("audit");
  audit.retain = true;
  s.apply("shop", with({table("orders"), ledger, audit}));
  CHECK(s.store().owner("ledger") == "shop");

  // Out of the manifest: kept as CloudFormation keeps a retained resource it stops managing.
  s.apply("shop", with({table("orders"), ledger}));
  CHECK(names(s) == std::vector<std::string>{"audit", "ledger", "orders"});
  CHECK(s.store().owner("audit").empty());

  s.drop("shop");
  CHECK(names(s) == std::vector<std::string>{"audit", "ledger"});
  CHECK(s.store().owner("ledger").empty());
  // The service deployed again without it: the table is not its own to delete any more.
  s.apply("shop", with({table("orders")}));
  s.drop("shop");
  CHECK(names(s) == std::vector<std::string>{"audit", "ledger"});
}

TEST_CASE("a table DynamoDB would refuse changes nothing and says which", "[dynamodb][emulator]") {
  Fixture f;
  DynamoService s(f.io, f.dir / "dynamodb.db", "us-east-1");
  s.apply("shop", with({table("orders")}));
  TableConfig bad{"broken",
                  R"({"TableName":"broken","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
                  R"("AttributeDefinitions":[{"AttributeName":"other","AttributeType":"S"}],)"
                  R"("BillingMode":"PAY_PER_REQUEST"})",
                  ""};
  try {
    s.apply("shop", with({table("fresh"), bad}));
    FAIL("apply took a table DynamoDB refuses");
  } catch (const fx::Error& e) {
    CHECK(std::string(e.what()).find("table broken: ") == 0);
  }
  CHECK(names(s) == std::vector<std::string>{"orders"});  // neither created nor deleted

  TableConfig not_json{"x-y-z", "[1]", ""};
  CHECK_THROWS_AS(s.apply("shop", with({not_json})), fx::Error);
  CHECK_THROWS_AS(s.apply("shop", with({table("twice"), table("twice")})), fx::Error);
  CHECK(names(s) == std::vector<std::string>{"orders"});
}
