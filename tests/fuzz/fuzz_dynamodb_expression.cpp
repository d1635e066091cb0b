// DynamoDB expressions (core/dynamodb/expression.h) and attribute values (value.h). The input is
// an expression, then optionally ExpressionAttributeValues, ExpressionAttributeNames and an item
// as DynamoDB JSON, separated by lines holding only "---". The expression is parsed as every kind
// of expression (condition, filter, key condition, projection, update), and each that parses is
// evaluated against the item (or a fixed one).
//
// What it checks beyond the sanitizers: bad input is a ValidationError and nothing else, its
// message is valid UTF-8 (it goes into a JSON answer) and holds no library internals; evaluation
// never throws; an update either fails and leaves the item as it was, or leaves an item
// DynamoDB would store (it reads back through item_from_json unchanged); so does a projection.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dynamodb/expression.h"
#include "core/dynamodb/value.h"
#include "tests/fuzz/fuzz_common.h"

namespace ddb = fx::dynamodb;
using nlohmann::json;

namespace {

const char* kFixedItem = R"({
  "pk": {"S": "k"}, "sk": {"N": "5"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": "AAEC"},
  "t": {"BOOL": true}, "z": {"NULL": true}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]},
  "bs": {"BS": ["AQ=="]}, "l": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
  "m": {"M": {"a": {"M": {"b": {"N": "7"}}}, "c": {"L": [{"N": "3"}, {"N": "4"}]}}}
})";

// A message goes into a JSON answer: it must be valid UTF-8, and say nothing of fx's internals.
void check_message(std::string_view message, std::string_view input) {
  try {
    (void)json(std::string(message)).dump();
  } catch (const json::exception&) {
    fx::fuzz::fail("a message that is not UTF-8", message);
  }
  fx::fuzz::check_user_text(message, input);
  if (message.empty()) fx::fuzz::fail("an empty message");
}

// An item DynamoDB would store reads back from its JSON unchanged.
void check_storable(const ddb::Item& item, std::string_view what) {
  try {
    const json j = ddb::to_json(item);
    if (ddb::to_json(ddb::item_from_json(j)) != j)
      fx::fuzz::fail(what, "changed when read back: " + j.dump());
  } catch (const ddb::ValidationError& e) {
    fx::fuzz::fail(what, std::string("not storable: ") + e.what());
  }
}

// Runs `f`, which may refuse its input only with a ValidationError.
template <typename F>
bool attempt(F&& f, std::string_view input) {
  try {
    f();
    return true;
  } catch (const ddb::ValidationError& e) {
    check_message(e.what(), input);
  } catch (const std::exception& e) {
    fx::fuzz::fail("an exception other than ValidationError", e.what());
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts = fx::fuzz::split_parts(input, 4);
  const std::string_view expression = parts[0];

  auto parse_part = [&](std::size_t i) -> std::optional<json> {
    if (parts.size() <= i) return std::nullopt;
    json j = json::parse(parts[i], nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  };
  const std::optional<json> values = parse_part(1);
  const std::optional<json> names = parse_part(2);
  const std::optional<json> item_json = parse_part(3);

  ddb::Item item = ddb::item_from_json(json::parse(kFixedItem));
  if (item_json) {
    ddb::Item parsed;
    if (attempt([&] { parsed = ddb::item_from_json(*item_json); }, input)) item = parsed;
  }
  check_storable(item, "the item");

  // Each expression kind gets its own inputs, as each request has its own.
  auto inputs = [&]() -> std::optional<ddb::ExpressionInputs> {
    std::optional<ddb::ExpressionInputs> in;
    if (!attempt([&] { in.emplace(names ? &*names : nullptr, values ? &*values : nullptr); },
                 input))
      return std::nullopt;
    return in;
  };

  for (ddb::ExpressionKind kind : {ddb::ExpressionKind::condition, ddb::ExpressionKind::filter}) {
    auto in = inputs();
    if (!in) break;
    ddb::Condition condition;
    if (attempt([&] { condition = ddb::parse_condition(expression, *in, kind); }, input)) {
      (void)attempt([&] { ddb::check_all_used(*in); }, input);
      try {
        (void)ddb::evaluate(condition, item);
        (void)ddb::condition_paths(condition);
      } catch (const std::exception& e) {
        fx::fuzz::fail("evaluate threw", e.what());
      }
    }
  }

  if (auto in = inputs()) {
    std::optional<ddb::KeyAttribute> sort = ddb::KeyAttribute{"sk", ddb::Type::N};
    ddb::KeyCondition key;
    if (attempt([&] { key = ddb::parse_key_condition(expression, *in, {"pk", ddb::Type::S}, sort); },
                input) &&
        key.sort) {
      for (const auto& [name, value] : item)
        if (value.is_scalar()) (void)ddb::matches(*key.sort, value);
    }
  }

  if (auto in = inputs()) {
    ddb::Projection projection;
    if (attempt([&] { projection = ddb::parse_projection(expression, *in); }, input))
      check_storable(ddb::project(projection, item), "a projection");
  }

  if (auto in = inputs()) {
    ddb::Update update;
    if (attempt([&] { update = ddb::parse_update(expression, *in); }, input)) {
      for (bool exists : {true, false}) {
        ddb::Item updated = exists ? item : ddb::Item{{"pk", ddb::AttributeValue::string("k")}};
        const json before = ddb::to_json(updated);
        if (attempt([&] { ddb::apply_update(update, updated, exists); }, input)) {
          check_storable(updated, "an updated item");
          (void)ddb::project(ddb::updated_paths(update), updated);
        } else if (ddb::to_json(updated) != before) {
          fx::fuzz::fail("a failed update changed the item");
        }
      }
    }
  }
  return 0;
}
