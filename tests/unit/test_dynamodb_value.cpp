// DynamoDB attribute values (core/dynamodb/value.h): numbers, the JSON wire form with DynamoDB's
// validation messages, item sizes, and the key encoding the store orders keys by.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dynamodb/value.h"

using namespace fx::dynamodb;
using nlohmann::json;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const SerializationError& e) {
    return std::string("serialization: ") + e.what();
  } catch (const ValidationError& e) {
    return e.what();
  }
  return "<no error>";
}

std::string value_error(const char* text) {
  return error_of([&] { (void)value_from_json(json::parse(text)); });
}

const std::string kOverflow =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
const std::string kUnderflow =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const std::string kPrecision = "Attempting to store more than 38 significant digits in a Number";

}  // namespace

TEST_CASE("numbers come back in DynamoDB's canonical form", "[dynamodb][value]") {
  CHECK(canonical_number("1.50") == "1.5");
  CHECK(canonical_number("-0") == "0");
  CHECK(canonical_number("-0.000") == "0");
  CHECK(canonical_number("1E+2") == "100");
  CHECK(canonical_number("1e2") == "100");
  CHECK(canonical_number("0.001") == "0.001");
  CHECK(canonical_number("-.5e1") == "-5");
  CHECK(canonical_number("+5") == "5");
  CHECK(canonical_number("5.") == "5");
  CHECK(canonical_number("007") == "7");
  CHECK(canonical_number("0000.000054") == "0.000054");
  CHECK(canonical_number("1.234E-3") == "0.001234");
  CHECK(canonical_number("12.3400E1") == "123.4");
  CHECK(canonical_number("0e99999999999") == "0");
  // The boto3 issue's number, stored exactly and returned in plain notation.
  CHECK(canonical_number("1.00000000000000007629769841092E+50") ==
        "100000000000000007629769841092000000000000000000000");
  CHECK(canonical_number("1E-130") == "0." + std::string(129, '0') + "1");
  CHECK(canonical_number("9.9999999999999999999999999999999999999E+125") ==
        std::string(38, '9') + std::string(88, '0'));
}

TEST_CASE("numbers outside DynamoDB's range or precision are refused", "[dynamodb][value]") {
  auto error = [](const char* n) { return error_of([&] { (void)canonical_number(n); }); };
  CHECK(error("12345678901234567890123456789012345678") == "<no error>");
  CHECK(error("123456789012345678901234567890123456789") == kPrecision);
  CHECK(error("1234567890123456789012345678901234567.89") == kPrecision);
  CHECK(error("100000000000000000000000000000000000000000") == "<no error>");  // one digit
  CHECK(error("1E+126") == kOverflow);
  CHECK(error("-1E+126") == kOverflow);
  CHECK(error("1E-131") == kUnderflow);
  CHECK(error("-1E-131") == kUnderflow);
  CHECK(error("1e999999999999999999999") == kOverflow);
  CHECK(error("1e-999999999999999999999") == kUnderflow);
  CHECK(error("") == "The parameter cannot be converted to a numeric value");
  for (const char* bad : {"abc", ".", "e5", "1e", "1e+", " 1", "1 ", "0x10", "NaN", "Infinity",
                          "1.2.3", "--1", "1,5", "\xff"}) {
    INFO(bad);
    CHECK(error(bad) ==
          std::string("The parameter cannot be converted to a numeric value: ") + bad);
  }
}

TEST_CASE("number arithmetic is exact", "[dynamodb][value]") {
  auto add = [](const char* a, const char* b) {
    return format_number(add_numbers(parse_number(a), parse_number(b)));
  };
  auto sub = [](const char* a, const char* b) {
    return format_number(subtract_numbers(parse_number(a), parse_number(b)));
  };
  CHECK(add("0.1", "0.2") == "0.3");
  CHECK(add("1", "-1") == "0");
  CHECK(add("-5", "3") == "-2");
  CHECK(add("999", "1") == "1000");
  CHECK(add("1E+20", "1E-10") == "100000000000000000000.0000000001");
  CHECK(sub("1", "3") == "-2");
  CHECK(sub("-1.5", "-1.5") == "0");
  CHECK(sub("0", "0.001") == "-0.001");
  CHECK(error_of([&] { (void)add(std::string(38, '9').c_str(), "1E-10"); }) == kPrecision);
  CHECK(error_of([&] {
          (void)add("9.9999999999999999999999999999999999999E+125",
                    "9.9999999999999999999999999999999999999E+125");
        }) == kOverflow);
  CHECK((compare_numbers(parse_number("-10"), parse_number("-9")) < 0));
  CHECK((compare_numbers(parse_number("0.5"), parse_number("0.50")) == 0));
  CHECK((compare_numbers(parse_number("1E+3"), parse_number("999.99")) > 0));
}

TEST_CASE("an item round-trips through DynamoDB JSON", "[dynamodb][value]") {
  json in = json::parse(R"({"a":{"S":"x"},"b":{"N":"1.0"},"c":{"L":[{"NULL":true},{"BOOL":false}]},
    "d":{"M":{"e":{"SS":["p","q"]}}},"f":{"B":"AAEC"},"g":{"NS":["2","1"]},"h":{"BS":["AQ=="]},
    "i":{"M":{}},"j":{"L":[]},"k":{"S":""},"l":{"B":""}})");
  Item item = item_from_json(in);
  CHECK(item.at("b").text == "1");
  CHECK(item.at("f").text == std::string("\0\1\2", 3));
  CHECK(item.at("g").set == std::vector<std::string>{"2", "1"});  // kept in the order given
  in["b"]["N"] = "1";
  CHECK(to_json(item) == in);
  // Unknown members and null ones are ignored, as DynamoDB's reader ignores them.
  CHECK(value_from_json(json::parse(R"({"S": "x", "Q": 1, "N": null})")) ==
        AttributeValue::string("x"));
}

TEST_CASE("attribute values are validated with DynamoDB's messages", "[dynamodb][value]") {
  const std::string empty =
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
  CHECK(value_error("{}") == empty);
  CHECK(value_error(R"({"X": "y"})") == empty);
  CHECK(value_error(R"({"S": null})") == empty);
  CHECK(value_error(R"({"S": "a", "N": "1"})") ==
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
        "the supported datatypes");
  CHECK(value_error(R"({"S": "a", "N": "x"})") ==
        "The parameter cannot be converted to a numeric value: x");
  CHECK(value_error(R"({"NULL": false})") ==
        "One or more parameter values were invalid: Null attribute value types must have the "
        "value of true");
  CHECK(value_error(R"({"SS": []})") ==
        "One or more parameter values were invalid: An string set  may not be empty");
  CHECK(value_error(R"({"NS": []})") ==
        "One or more parameter values were invalid: An number set  may not be empty");
  CHECK(value_error(R"({"BS": []})") ==
        "One or more parameter values were invalid: Binary sets should not be empty");
  CHECK(value_error(R"({"SS": ["a", "a"]})") ==
        "One or more parameter values were invalid: Input collection [a, a] contains "
        "duplicates.");
  CHECK(value_error(R"({"NS": ["1", "1.0"]})") == "Input collection contains duplicates");
  CHECK(value_error(R"({"BS": ["AQ==", "AQ=="]})") ==
        "One or more parameter values were invalid: Input collection [AQ==, AQ==]of type BS "
        "contains duplicates.");
  CHECK(value_error(R"({"NS": ["1", "x"]})") ==
        "The parameter cannot be converted to a numeric value: x");
  CHECK(value_error(R"({"M": {"a": {}}})") == empty);
  CHECK(value_error(R"({"L": [{"N": "1E+200"}]})") == kOverflow);
  // JSON of the wrong shape is a SerializationException.
  CHECK(value_error(R"({"S": 5})") == "serialization: NUMBER_VALUE cannot be converted to String");
  CHECK(value_error(R"({"S": 5.5})") ==
        "serialization: DECIMAL_VALUE cannot be converted to String");
  CHECK(value_error(R"({"N": true})") == "serialization: TRUE_VALUE cannot be converted to String");
  CHECK(value_error(R"({"S": {}})") ==
        "serialization: Start of structure or map found where not expected");
  CHECK(value_error(R"({"S": []})") ==
        "serialization: Unrecognized collection type class java.lang.String");
  CHECK(value_error(R"({"B": 1})") ==
        "serialization: only base-64-encoded strings are convertible to bytes");
  CHECK(value_error(R"({"B": "abc"})") ==
        "serialization: Base64 encoded length is expected a multiple of 4 bytes but found: 3");
  CHECK(value_error(R"({"B": "ab!="})") ==
        "serialization: Invalid last non-pad Base64 character dectected");
  CHECK(value_error(R"({"BOOL": "yes"})") == "<no error>");
  CHECK(value_error(R"({"BOOL": "maybe"})") ==
        "serialization: Unexpected token received from parser");
  CHECK(value_error(R"({"BOOL": 1})") ==
        "serialization: NUMBER_VALUE cannot be converted to Boolean");
  CHECK(value_error(R"({"L": {}})") ==
        "serialization: Start of structure or map found where not expected");
  CHECK(value_error(R"({"L": "x"})") == "serialization: Unexpected field type");
  CHECK(value_error(R"({"M": []})") ==
        "serialization: Unrecognized collection type java.util.Map<java.lang.String, "
        "com.amazonaws.dynamodb.v20120810.AttributeValue>");
  CHECK(value_error(R"("x")") == "serialization: Unexpected value type in payload");
  CHECK(value_error(R"([])") ==
        "serialization: Unrecognized collection type class "
        "com.amazonaws.dynamodb.v20120810.AttributeValue");
  CHECK(error_of([] { (void)item_from_json(json::array()); }).rfind("serialization: ", 0) == 0);
}

TEST_CASE("values nest at most 32 levels", "[dynamodb][value]") {
  // 31 maps around a scalar is the most DynamoDB takes; 32 is too deep, empty or not.
  auto wrapped = [](int maps, const std::string& inner) {
    std::string v = inner;
    for (int i = 0; i < maps; ++i) v = R"({"M": {"k": )" + v + "}}";
    return v;
  };
  const std::string deep =
      "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels "
      "beyond supported limit";
  CHECK(value_error(wrapped(31, R"({"S": "x"})").c_str()) == "<no error>");
  CHECK(value_error(wrapped(32, R"({"S": "x"})").c_str()) == deep);
  CHECK(value_error(wrapped(31, R"({"L": []})").c_str()) == deep);
  CHECK(value_error(wrapped(30, R"({"L": []})").c_str()) == "<no error>");
  // A thousand levels fail the same way, without exhausting the stack.
  CHECK(value_error(wrapped(1000, R"({"S": "x"})").c_str()) == deep);
  Item item = item_from_json(json::parse("{\"a\": " + wrapped(31, R"({"S": "x"})") + "}"));
  CHECK(error_of([&] { check_nesting(item); }) == "<no error>");
  item["a"].map["k"] = value_from_json(json::parse(wrapped(30, R"({"L": []})")));
  CHECK(error_of([&] { check_nesting(item); }) == deep);
}

TEST_CASE("equality of values is DynamoDB's", "[dynamodb][value]") {
  auto v = [](const char* text) { return value_from_json(json::parse(text)); };
  CHECK(v(R"({"SS": ["a", "b"]})") == v(R"({"SS": ["b", "a"]})"));
  CHECK_FALSE(v(R"({"SS": ["a", "b"]})") == v(R"({"SS": ["a"]})"));
  CHECK(v(R"({"NS": ["1.0", "2"]})") == v(R"({"NS": ["2", "1"]})"));
  CHECK(v(R"({"N": "1.0"})") == v(R"({"N": "1"})"));
  CHECK_FALSE(v(R"({"N": "1"})") == v(R"({"S": "1"})"));
  CHECK(v(R"({"L": [{"N": "1"}, {"M": {"a": {"BOOL": true}}}]})") ==
        v(R"({"L": [{"N": "1.00"}, {"M": {"a": {"BOOL": true}}}]})"));
  CHECK_FALSE(v(R"({"L": [{"N": "1"}, {"N": "2"}]})") == v(R"({"L": [{"N": "2"}, {"N": "1"}]})"));
}

TEST_CASE("item sizes count names and values as DynamoDB does", "[dynamodb][value]") {
  auto size = [](const char* text) { return item_size(item_from_json(json::parse(text))); };
  CHECK(size(R"({"a": {"S": "abc"}})") == 4);
  CHECK(size(R"({"\u00e9": {"S": "\u00e9"}})") == 4);  // UTF-8 bytes
  CHECK(size(R"({"a": {"B": "AAEC"}})") == 4);
  CHECK(size(R"({"a": {"BOOL": true}, "b": {"NULL": true}})") == 4);
  CHECK(size(R"({"a": {"N": "0"}})") == 2);
  CHECK(size(R"({"a": {"N": "1"}})") == 3);
  CHECK(size(R"({"a": {"N": "12"}})") == 3);
  CHECK(size(R"({"a": {"N": "123"}})") == 4);
  CHECK(size(R"({"a": {"N": "1.5"}})") == 4);
  CHECK(size(R"({"a": {"N": "-1"}})") == 4);
  CHECK(size(R"({"a": {"N": "12345678901234567890123456789012345678"}})") == 21);
  CHECK(size(R"({"a": {"SS": ["ab", "c"]}})") == 4);
  CHECK(size(R"({"a": {"NS": ["1", "12"]}})") == 5);
  CHECK(size(R"({"a": {"L": [{"S": "a"}, {"N": "1"}]}})") == 1 + 3 + 2 + 3);
  CHECK(size(R"({"a": {"M": {"k": {"S": "v"}}}})") == 1 + 3 + 1 + 1 + 1);
  CHECK(size(R"({"a": {"M": {}}, "b": {"L": []}})") == 8);
}

TEST_CASE("compare orders keys as DynamoDB does", "[dynamodb][value]") {
  CHECK((compare(AttributeValue::string("a"), AttributeValue::string("b")) < 0));
  CHECK((compare(AttributeValue::string("ab"), AttributeValue::string("a")) > 0));
  // UTF-8 bytes, unsigned: a code point past ASCII sorts after every ASCII one.
  CHECK((compare(AttributeValue::string("\xc3\xa9"), AttributeValue::string("z")) > 0));
  CHECK((compare(AttributeValue::binary("\x80"), AttributeValue::binary("\x7f")) > 0));
  CHECK((compare(AttributeValue::number("-1"), AttributeValue::number("-0.5")) < 0));
  CHECK((compare(AttributeValue::number("10"), AttributeValue::number("9")) > 0));
  CHECK_THROWS_AS(compare(AttributeValue::string("1"), AttributeValue::number("1")),
                  std::logic_error);
}

TEST_CASE("key bytes sort as the keys do (property test)", "[dynamodb][value]") {
  std::mt19937_64 random(20261207);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };

  // Numbers across the whole range: signs, 1 to 38 digits, every exponent, and near ties.
  std::vector<AttributeValue> numbers;
  for (int i = 0; i < 4000; ++i) {
    std::string digits;
    const int count = pick(1, 38);
    for (int d = 0; d < count; ++d)
      digits.push_back(static_cast<char>('0' + pick(d == 0 ? 1 : 0, 9)));
    // d1d2...dn E x is d1.d2...dn x 10^(x + n - 1): keep that within 1E-130 .. 9.9E+125.
    const int scientific = pick(0, 3) == 0 ? pick(-130, 125) : pick(-3, 3);
    const int exponent = scientific - (count - 1);
    std::string text = (pick(0, 1) ? "-" : "") + digits + "E" + std::to_string(exponent);
    if (i % 10 == 0) text = std::to_string(pick(-20, 20));  // small integers and zero, often equal
    numbers.push_back(AttributeValue::number(canonical_number(text)));
  }
  auto by_key = [](const AttributeValue& a, const AttributeValue& b) {
    return encode_key(a) < encode_key(b);
  };
  auto by_value = [](const AttributeValue& a, const AttributeValue& b) {
    return compare(a, b) < 0;
  };
  std::vector<AttributeValue> sorted_by_key = numbers, sorted_by_value = numbers;
  std::sort(sorted_by_key.begin(), sorted_by_key.end(), by_key);
  std::stable_sort(sorted_by_value.begin(), sorted_by_value.end(), by_value);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    INFO(sorted_by_key[i].text << " vs " << sorted_by_value[i].text);
    REQUIRE((compare(sorted_by_key[i], sorted_by_value[i]) == 0));
  }
  // Equal numbers encode equally, and the bytes decode back to the number.
  for (const AttributeValue& n : numbers) {
    REQUIRE(decode_key(Type::N, encode_key(n)) == n);
    REQUIRE(decode_key(Type::N, encode_key(n)).text == n.text);
  }
  CHECK(encode_key(AttributeValue::number(canonical_number("1.50"))) ==
        encode_key(AttributeValue::number(canonical_number("1.5"))));

  // Strings and binaries: their own bytes, so memcmp order is byte order.
  std::vector<AttributeValue> strings;
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const int length = pick(0, 6);
    for (int c = 0; c < length; ++c) s.push_back(static_cast<char>(pick(0, 255)));
    strings.push_back(AttributeValue::binary(s));
  }
  std::vector<AttributeValue> strings_by_key = strings, strings_by_value = strings;
  std::sort(strings_by_key.begin(), strings_by_key.end(), by_key);
  std::stable_sort(strings_by_value.begin(), strings_by_value.end(), by_value);
  for (std::size_t i = 0; i < strings.size(); ++i)
    REQUIRE((compare(strings_by_key[i], strings_by_value[i]) == 0));
  CHECK(decode_key(Type::S, encode_key(AttributeValue::string("x"))) ==
        AttributeValue::string("x"));
  CHECK_THROWS_AS(encode_key(AttributeValue::boolean_value(true)), std::logic_error);
}
