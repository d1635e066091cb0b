// SNS: the Query protocol's form bodies, the XML answers and errors, filter policies as SNS
// matches them, and Publish's deliveries (the Lambda record, the SQS envelope, raw delivery).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/sns/api.h"
#include "core/sns/filter_policy.h"
#include "core/sns/form.h"
#include "core/sns/store.h"
#include "tests/unit/temp_dir.h"

using namespace fx;
using nlohmann::json;

namespace {

sns::MessageAttribute attr(std::string name, std::string type, std::string value) {
  return {std::move(name), std::move(type), std::move(value), ""};
}

bool passes(const char* policy, const std::vector<sns::MessageAttribute>& attributes,
            bool body_scope = false, std::string_view body = "") {
  return sns::FilterPolicy::parse(policy, body_scope).matches(attributes, body);
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  auto a = text.find(open);
  if (a == std::string::npos) return "";
  a += open.size();
  return text.substr(a, text.find(close, a) - a);
}

sns::RequestContext context() {
  return {"us-east-1", "http://127.0.0.1:4599", 1765000000000};
}

}  // namespace

TEST_CASE("form bodies: escapes, plus, repeated keys, flattened lists", "[sns]") {
  auto f = sns::Form::parse(
      "Action=Publish&Message=a+b%26c%3D%C3%BC&Message=last&Attributes.entry.1.key=k1&"
      "Attributes.entry.1.value=v1&Attributes.entry.2.key=k2&Attributes.entry.2.value=&"
      "TagKeys.member.1=t1&TagKeys.member.2=t2&X.member.1.Id=a&X.member.10.Id=j&&flag");
  CHECK(f.get("Action") == "Publish");
  CHECK(f.get("Message") == "last");  // the last of two wins
  CHECK(f.has("flag"));
  CHECK(f.get("missing").empty());
  CHECK(f.entries("Attributes") ==
        std::vector<std::pair<std::string, std::string>>{{"k1", "v1"}, {"k2", ""}});
  CHECK(f.members("TagKeys") == std::vector<std::string>{"t1", "t2"});
  CHECK(f.count("X") == 1);  // member.10 without 2..9 is not counted
  CHECK(sns::Form::parse("Message=a+b%26c%3D%C3%BC").get("Message") == "a b&c=\xC3\xBC");
}

TEST_CASE("form bodies: malformed escapes and invalid UTF-8 are refused", "[sns]") {
  CHECK_THROWS_AS(sns::Form::parse("a=%"), sns::FormError);
  CHECK_THROWS_AS(sns::Form::parse("a=%4"), sns::FormError);
  CHECK_THROWS_AS(sns::Form::parse("a=%G1"), sns::FormError);
  CHECK_THROWS_AS(sns::Form::parse("a=%ff"), sns::FormError);
  CHECK_THROWS_AS(sns::Form::parse("a=%C0%80"), sns::FormError);     // overlong NUL
  CHECK_THROWS_AS(sns::Form::parse("a=%ED%A0%80"), sns::FormError);  // a surrogate
  CHECK_THROWS_AS(sns::Form::parse("%ff=a"), sns::FormError);
  CHECK(sns::valid_utf8("\xF0\x9F\x98\x80"));
  CHECK_FALSE(sns::valid_utf8("\xF0\x9F\x98"));
  CHECK_FALSE(sns::valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

TEST_CASE("filter policies: operators on attributes", "[sns]") {
  std::vector<sns::MessageAttribute> m = {
      attr("kind", "String", "Order"), attr("price", "Number", "42.5"),
      attr("ip", "String", "10.0.3.7"), attr("tags", "String.Array", R"(["red", 7, "blue"])")};
  CHECK(passes(R"({"kind": ["Order"]})", m));
  CHECK_FALSE(passes(R"({"kind": ["order"]})", m));
  CHECK(passes(R"({"kind": [{"equals-ignore-case": "ORDER"}]})", m));
  CHECK(passes(R"({"kind": [{"prefix": "Or"}]})", m));
  CHECK(passes(R"({"kind": [{"suffix": "der"}]})", m));
  CHECK(passes(R"({"kind": [{"anything-but": ["Refund"]}]})", m));
  CHECK_FALSE(passes(R"({"kind": [{"anything-but": "Order"}]})", m));
  CHECK_FALSE(passes(R"({"kind": [{"anything-but": {"prefix": "Or"}}]})", m));
  CHECK(passes(R"({"price": [{"numeric": [">", 40, "<=", 42.5]}]})", m));
  CHECK_FALSE(passes(R"({"price": [{"numeric": ["<", 40]}]})", m));
  CHECK(passes(R"({"price": [42.5]})", m));
  CHECK_FALSE(passes(R"({"price": ["42.5"]})", m));  // a Number matches numbers only
  CHECK_FALSE(passes(R"({"kind": [{"numeric": [">", 0]}]})", m));
  CHECK(passes(R"({"ip": [{"cidr": "10.0.0.0/16"}]})", m));
  CHECK_FALSE(passes(R"({"ip": [{"cidr": "10.1.0.0/16"}]})", m));
  CHECK(passes(R"({"tags": ["blue"]})", m));  // any element of a String.Array
  CHECK(passes(R"({"tags": [{"numeric": ["=", 7]}]})", m));
  CHECK(passes(R"({"vip": [{"exists": false}]})", m));
  CHECK_FALSE(passes(R"({"vip": [{"exists": true}]})", m));
  CHECK_FALSE(passes(R"({"kind": [{"exists": false}]})", m));
  CHECK_FALSE(passes(R"({"vip": [{"anything-but": "x"}]})", m));  // absent: only exists:false
  CHECK(passes(R"({"kind": ["Order"], "price": [{"numeric": [">", 1]}]})", m));
  CHECK_FALSE(passes(R"({"kind": ["Order"], "price": [{"numeric": ["<", 1]}]})", m));
  CHECK(passes(R"({"$or": [{"kind": ["x"]}, {"price": [42.5]}]})", m));
  CHECK_FALSE(passes(R"({"$or": [{"kind": ["x"]}, {"price": [1]}]})", m));
}

TEST_CASE("filter policies: the message body scope", "[sns]") {
  const char* body = R"({"order": {"status": "PAID", "total": 12, "items": ["a", "b"]}})";
  CHECK(passes(R"({"order": {"status": ["PAID"]}})", {}, true, body));
  CHECK(
      passes(R"({"order": {"total": [{"numeric": [">", 10]}], "items": ["b"]}})", {}, true, body));
  CHECK_FALSE(passes(R"({"order": {"status": ["NEW"]}})", {}, true, body));
  CHECK_FALSE(passes(R"({"order": {"status": ["PAID"]}})", {}, true, "not json"));
  CHECK(passes(R"({"order": {"note": [{"exists": false}]}})", {}, true, body));
  CHECK_FALSE(passes(R"({"order": {"status": ["PAID"]}})", {}, true, R"({"order": "flat"})"));
}

TEST_CASE("filter policies: what SNS refuses", "[sns]") {
  for (const char* bad :
       {"", "[]", "{}", "not json", R"({"a": "x"})", R"({"a": []})", R"({"a": [{"nope": 1}]})",
        R"({"a": [{"numeric": ["<>", 1]}]})", R"({"a": [{"numeric": [">", 5, "<", 1]}]})",
        R"({"a": [{"numeric": ["=", 1, ">", 0]}]})", R"({"a": [{"prefix": 1}]})",
        R"({"a": [{"exists": "yes"}]})", R"({"a": [{"cidr": "10.0.0.0"}]})",
        R"({"a": [{"anything-but": []}]})", R"({"a": {"b": ["x"]}})",
        R"({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]})",
        R"({"$or": [{"a": ["1"]}]})"}) {
    INFO(bad);
    CHECK_THROWS_AS(sns::FilterPolicy::parse(bad, false), sns::PolicyError);
  }
  // 151 combinations: too complex.
  std::string many = R"({"a": [)";
  for (int i = 0; i < 151; ++i) many += (i ? "," : "") + std::to_string(i);
  many += "]}";
  CHECK_THROWS_AS(sns::FilterPolicy::parse(many, false), sns::PolicyError);
  CHECK_NOTHROW(sns::FilterPolicy::parse(R"({"a": {"b": ["x"]}})", true));
}

TEST_CASE("the API: XML answers, errors, and a publish's deliveries", "[sns]") {
  test::TempDir dir("sns");
  sns::Store store(dir.path / "sns.db");
  auto ctx = context();
  auto created = sns::handle(store, "Action=CreateTopic&Name=t1", ctx);
  REQUIRE(created.status == 200);
  CHECK(created.body.find("<CreateTopicResponse xmlns=\"http://sns.amazonaws.com/doc/"
                          "2010-03-31/\"><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:"
                          "000000000000:t1</TopicArn></CreateTopicResult><ResponseMetadata>"
                          "<RequestId>") != std::string::npos);
  const std::string topic = "arn:aws:sns%3Aus-east-1%3A000000000000%3At1";
  auto missing = sns::handle(store, "Action=Publish&TopicArn=" + topic + "x&Message=m", ctx);
  CHECK(missing.status == 404);
  CHECK(between(missing.body, "<Code>", "</Code>") == "NotFound");
  CHECK(between(missing.body, "<Type>", "</Type>") == "Sender");
  CHECK(between(missing.body, "<Message>", "</Message>") == "Topic does not exist");

  auto sub_l = sns::handle(store,
                           "Action=Subscribe&TopicArn=" + topic +
                               "&Protocol=lambda&Endpoint=arn:aws:lambda:us-east-1:000000000000:"
                               "function:f",
                           ctx);
  REQUIRE(sub_l.status == 200);
  auto sub_q = sns::handle(store,
                           "Action=Subscribe&TopicArn=" + topic +
                               "&Protocol=sqs&Endpoint=arn:aws:sqs:us-east-1:000000000000:q&"
                               "Attributes.entry.1.key=RawMessageDelivery&"
                               "Attributes.entry.1.value=true",
                           ctx);
  REQUIRE(sub_q.status == 200);
  auto published = sns::handle(store,
                               "Action=Publish&TopicArn=" + topic +
                                   "&Message=%3Cm%3E&MessageAttributes.entry.1.Name=k&"
                                   "MessageAttributes.entry.1.Value.DataType=String&"
                                   "MessageAttributes.entry.1.Value.StringValue=v",
                               ctx);
  REQUIRE(published.status == 200);
  const std::string id = between(published.body, "<MessageId>", "</MessageId>");
  REQUIRE(published.deliveries.size() == 2);
  for (const auto& d : published.deliveries) {
    CHECK(d.message_id == id);
    if (d.kind == sns::Delivery::Kind::lambda) {
      auto e = json::parse(d.body);
      const auto& r = e["Records"][0];
      CHECK(r["EventSource"] == "aws:sns");
      CHECK(r["EventSubscriptionArn"] == between(sub_l.body, "<SubscriptionArn>", "</"));
      CHECK(r["Sns"]["Message"] == "<m>");
      CHECK(r["Sns"]["Subject"].is_null());
      CHECK(r["Sns"]["Timestamp"] == "2025-12-06T05:46:40.000Z");
      CHECK(r["Sns"]["MessageAttributes"] == json::parse(R"({"k": {"Type": "String",
                                                                 "Value": "v"}})"));
    } else {
      CHECK(d.body == "<m>");  // raw
      REQUIRE(d.sqs_attributes.size() == 1);
      CHECK(d.sqs_attributes[0].string_value == "v");
    }
  }
  // A reopened store has the topic and both subscriptions.
  sns::Store again(dir.path / "sns.db");
  CHECK(again.topics().size() == 1);
  CHECK(again.subscriptions().size() == 2);
}
