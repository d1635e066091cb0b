#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/events/filter.h"
#include "core/util/error.h"

using Catch::Matchers::Contains;
using fx::events::EventFilter;

namespace {

bool passes(const std::string& pattern, const std::string& body) {
  return EventFilter::parse({pattern}).passes_sqs_body(body);
}

}  // namespace

TEST_CASE("no patterns let every message through", "[filter]") {
  EventFilter none;
  CHECK(none.empty());
  CHECK(none.passes_sqs_body("anything"));
  CHECK(EventFilter::parse({}).empty());
}

TEST_CASE("values match exactly, by type, inside nested objects", "[filter]") {
  const std::string p = R"({"body": {"type": ["order", "refund"], "meta": {"v": [2]}}})";
  CHECK(passes(p, R"({"type": "order", "meta": {"v": 2}})"));
  CHECK(passes(p, R"({"type": "refund", "meta": {"v": 2.0}, "extra": 1})"));
  CHECK_FALSE(passes(p, R"({"type": "order", "meta": {"v": "2"}})"));  // a string is no number
  CHECK_FALSE(passes(p, R"({"type": "ORDER", "meta": {"v": 2}})"));
  CHECK_FALSE(passes(p, R"({"type": "order"})"));             // meta absent
  CHECK_FALSE(passes(p, R"({"type": "order", "meta": 2})"));  // not an object
  CHECK(passes(R"({"body": {"ok": [true]}})", R"({"ok": true})"));
  CHECK(passes(R"({"body": {"gone": [null]}})", R"({"gone": null})"));
  CHECK_FALSE(passes(R"({"body": {"gone": [null]}})", R"({})"));  // null is not absence
}

TEST_CASE("a list value matches when any element does", "[filter]") {
  CHECK(passes(R"({"body": {"tags": ["red"]}})", R"({"tags": ["blue", "red"]})"));
  CHECK_FALSE(passes(R"({"body": {"tags": ["red"]}})", R"({"tags": ["blue"]})"));
}

TEST_CASE("a body that is not JSON is matched as its text", "[filter]") {
  CHECK(passes(R"({"body": ["hello"]})", "hello"));
  CHECK(passes(R"({"body": [{"prefix": "hel"}]})", "hello world"));
  CHECK_FALSE(passes(R"({"body": ["hello"]})", "hello world"));
  CHECK_FALSE(passes(R"({"body": {"type": ["order"]}})", "type=order"));
}

TEST_CASE("string operators", "[filter]") {
  CHECK(passes(R"({"body": {"s": [{"prefix": "img/"}]}})", R"({"s": "img/a.png"})"));
  CHECK_FALSE(passes(R"({"body": {"s": [{"prefix": "img/"}]}})", R"({"s": "doc/img/"})"));
  CHECK(passes(R"({"body": {"s": [{"suffix": ".png"}]}})", R"({"s": "img/a.png"})"));
  CHECK(passes(R"({"body": {"s": [{"equals-ignore-case": "EU"}]}})", R"({"s": "eu"})"));
  CHECK(passes(R"({"body": {"s": [{"wildcard": "a*c*e"}]}})", R"({"s": "abcde"})"));
  CHECK(passes(R"({"body": {"s": [{"wildcard": "*"}]}})", R"({"s": ""})"));
  CHECK_FALSE(passes(R"({"body": {"s": [{"wildcard": "a*c"}]}})", R"({"s": "abcd"})"));
  CHECK(passes(R"({"body": {"s": [{"wildcard": "a\\*"}]}})", R"({"s": "a*"})"));
  CHECK_FALSE(passes(R"({"body": {"s": [{"wildcard": "a\\*"}]}})", R"({"s": "ab"})"));
  CHECK_FALSE(passes(R"({"body": {"s": [{"prefix": "1"}]}})", R"({"s": 12})"));  // not a string
}

TEST_CASE("anything-but, numeric and exists", "[filter]") {
  const std::string but = R"({"body": {"state": [{"anything-but": ["done", "failed"]}]}})";
  CHECK(passes(but, R"({"state": "running"})"));
  CHECK_FALSE(passes(but, R"({"state": "done"})"));
  CHECK_FALSE(passes(but, R"({})"));  // it matches present values only
  CHECK(passes(R"({"body": {"n": [{"anything-but": 3}]}})", R"({"n": 4})"));
  CHECK_FALSE(
      passes(R"({"body": {"s": [{"anything-but": {"prefix": "tmp"}}]}})", R"({"s": "tmp1"})"));
  CHECK(passes(R"({"body": {"s": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}})",
               R"({"s": "c"})"));
  CHECK_FALSE(passes(R"({"body": {"s": [{"anything-but": {"equals-ignore-case": ["A", "b"]}}]}})",
                     R"({"s": "a"})"));

  const std::string range = R"({"body": {"amount": [{"numeric": [">", 100, "<=", 200]}]}})";
  CHECK(passes(range, R"({"amount": 150.5})"));
  CHECK(passes(range, R"({"amount": 200})"));
  CHECK_FALSE(passes(range, R"({"amount": 100})"));
  CHECK_FALSE(passes(range, R"({"amount": "150"})"));
  CHECK(passes(R"({"body": {"n": [{"numeric": ["=", 5]}]}})", R"({"n": 5.0})"));

  CHECK(passes(R"({"body": {"id": [{"exists": true}]}})", R"({"id": null})"));
  CHECK_FALSE(passes(R"({"body": {"id": [{"exists": true}]}})", R"({"other": 1})"));
  CHECK(passes(R"({"body": {"id": [{"exists": false}]}})", R"({"other": 1})"));
  CHECK_FALSE(passes(R"({"body": {"id": [{"exists": false}]}})", R"({"id": 1})"));
}

TEST_CASE("a message passes when any pattern matches, and a field when any matcher does",
          "[filter]") {
  auto f = EventFilter::parse({R"({"body": {"type": ["a"]}})", R"({"body": {"type": ["b"]}})"});
  CHECK(f.size() == 2);
  CHECK(f.passes_sqs_body(R"({"type": "a"})"));
  CHECK(f.passes_sqs_body(R"({"type": "b"})"));
  CHECK_FALSE(f.passes_sqs_body(R"({"type": "c"})"));
  CHECK(passes(R"({"body": {"n": [1, {"prefix": "x"}]}})", R"({"n": "xy"})"));
}

TEST_CASE("patterns Lambda would refuse are errors that say where", "[filter]") {
  auto error = [](const std::string& pattern) {
    try {
      EventFilter::parse({pattern});
    } catch (const fx::Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK_THAT(error("[1]"), Contains("at the top: expected an object"));
  CHECK_THAT(error("{nope"), Contains("not JSON"));
  CHECK_THAT(error(R"({"body": {"type": "order"}})"),
             Contains("at body.type: expected a non-empty list"));
  CHECK_THAT(error(R"({"body": {"type": []}})"), Contains("at body.type"));
  CHECK_THAT(error(R"({"body": {"t": [{"startsWith": "x"}]}})"),
             Contains("unknown operator 'startsWith'"));
  CHECK_THAT(error(R"({"body": {"t": [{"numeric": [">", "1"]}]}})"), Contains("numbers"));
  CHECK_THAT(error(R"({"body": {"t": [{"numeric": ["!=", 1]}]}})"), Contains("operators"));
  CHECK_THAT(error(R"({"body": {"t": [{"exists": "yes"}]}})"), Contains("true or false"));
  CHECK_THAT(error(R"({"body": {"t": [{"prefix": 1}]}})"), Contains("prefix takes a string"));
  CHECK_THAT(error(R"({"body": {"t": [{"anything-but": {"x": 1}}]}})"), Contains("anything-but"));
  CHECK_THAT(error(R"({"body": {"t": [{"prefix": "a", "suffix": "b"}]}})"), Contains("a matcher"));
  std::vector<std::string> six(6, R"({"body": ["x"]})");
  CHECK_THROWS_WITH(EventFilter::parse(six), Contains("at most 5"));
}

TEST_CASE("stream records are matched as themselves, DynamoDB's typed values and all",
          "[filter][stream]") {
  const std::string insert = R"({"eventName": "INSERT", "eventSource": "aws:dynamodb",
    "dynamodb": {"Keys": {"pk": {"S": "order#7"}},
                 "NewImage": {"pk": {"S": "order#7"}, "total": {"N": "120"},
                              "tags": {"SS": ["gift", "rush"]}, "paid": {"BOOL": true}},
                 "SequenceNumber": "000000000000000000042"}})";
  const std::string remove = R"({"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "x"}},
    "OldImage": {"pk": {"S": "x"}}}})";
  auto passes_record = [](const std::string& pattern, const std::string& record) {
    return EventFilter::parse({pattern}).passes_record(record);
  };
  CHECK(EventFilter().passes_record(insert));
  CHECK(passes_record(R"({"eventName": ["INSERT", "MODIFY"]})", insert));
  CHECK_FALSE(passes_record(R"({"eventName": ["INSERT", "MODIFY"]})", remove));
  CHECK(passes_record(R"({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order#"}]}}}})", insert));
  CHECK_FALSE(
      passes_record(R"({"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "order#"}]}}}})", remove));
  // N values are strings in a record, matched as strings.
  CHECK(passes_record(R"({"dynamodb": {"NewImage": {"total": {"N": ["120"]}}}})", insert));
  CHECK_FALSE(passes_record(R"({"dynamodb": {"NewImage": {"total": {"N": [120]}}}})", insert));
  CHECK(passes_record(R"({"dynamodb": {"NewImage": {"tags": {"SS": ["rush"]}}}})", insert));
  CHECK(passes_record(R"({"dynamodb": {"NewImage": {"paid": {"BOOL": [true]}}}})", insert));
  CHECK(passes_record(R"({"dynamodb": {"NewImage": [{"exists": false}]}})", remove));
  CHECK_FALSE(passes_record(R"({"dynamodb": {"NewImage": {"pk": [{"exists": true}]}}})", remove));
  CHECK(passes_record(R"({"eventName": [{"anything-but": ["REMOVE"]}]})", insert));
  // Any of the patterns; a record that is not JSON passes none.
  auto two = EventFilter::parse({R"({"eventName": ["REMOVE"]})", R"({"eventName": ["INSERT"]})"});
  CHECK(two.passes_record(insert));
  CHECK(two.passes_record(remove));
  CHECK_FALSE(two.passes_record("{nope"));
}
