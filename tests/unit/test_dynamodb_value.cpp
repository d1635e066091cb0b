#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/dynamodb/value.h"

using namespace fx::dynamodb;
using nlohmann::json;

TEST_CASE("numbers come back in DynamoDB's canonical form", "[dynamodb][value]") {
  CHECK(canonical_number("1.50") == "1.5");
  CHECK(canonical_number("-0") == "0");
  CHECK(canonical_number("1E+2") == "100");
  CHECK(canonical_number("0.001") == "0.001");
  CHECK(canonical_number("-.5e1") == "-5");
  CHECK(canonical_number("007") == "7");
}

TEST_CASE("an item round-trips through DynamoDB JSON", "[dynamodb][value]") {
  json in = json::parse(R"({"a":{"S":"x"},"b":{"N":"1.0"},"c":{"L":[{"NULL":true},{"BOOL":false}]},
    "d":{"M":{"e":{"SS":["p","q"]}}},"f":{"B":"AAEC"}})");
  Item item = item_from_json(in);
  CHECK(item.at("b").text == "1");
  CHECK(item.at("f").text == std::string("\0\1\2", 3));
  in["b"]["N"] = "1";
  CHECK(to_json(item) == in);
}
