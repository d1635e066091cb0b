#include <catch2/catch.hpp>

#include <string>

#include "core/events/target_input.h"
#include "core/util/error.h"

using Catch::Matchers::Contains;
using fx::events::target_payload;
using fx::events::TargetInput;

namespace {

const std::string kEvent =
    R"({"id": "e1", "time": "2026-11-27T03:00:00Z", "resources": ["arn:rule/a", "arn:rule/b"],)"
    R"( "detail": {"n": 7, "name": "say \"hi\""}})";

}  // namespace

TEST_CASE("a target gets the event, its input, or one value of it", "[events][target]") {
  CHECK(target_payload({}, kEvent) == kEvent);
  TargetInput input;
  input.input = R"({"job":"nightly"})";
  CHECK(target_payload(input, kEvent) == input.input);
  TargetInput path;
  path.input_path = "$.detail";
  CHECK(target_payload(path, kEvent) == R"({"n":7,"name":"say \"hi\""})");
  path.input_path = "$.resources[1]";
  CHECK(target_payload(path, kEvent) == R"("arn:rule/b")");
  path.input_path = "$.detail.missing";
  CHECK(target_payload(path, kEvent) == "null");
  path.input_path = "$";
  CHECK(target_payload(path, kEvent).starts_with(R"({"detail":)"));
}

TEST_CASE("an input transformer fills its template as EventBridge does", "[events][target]") {
  TargetInput t;
  t.paths_map = {
      {"time", "$.time"}, {"n", "$.detail.n"}, {"name", "$.detail.name"}, {"gone", "$.nope"}};
  // Outside quotes a value goes in as JSON; inside a JSON string, a string as its text.
  t.input_template = R"({"at": <time>, "n": <n>, "msg": "<name> at <time>", "x": <gone>})";
  CHECK(
      target_payload(t, kEvent) ==
      R"({"at": "2026-11-27T03:00:00Z", "n": 7, "msg": "say \"hi\" at 2026-11-27T03:00:00Z", "x": null})");
  t.input_template = "\"run <n> <unknown>\"";
  CHECK(target_payload(t, kEvent) == "\"run 7 <unknown>\"");
}

TEST_CASE("paths EventBridge would refuse are errors", "[events][target]") {
  CHECK_NOTHROW(fx::events::check_json_path("$"));
  CHECK_NOTHROW(fx::events::check_json_path("$.detail.items[3].id"));
  CHECK_THROWS_WITH(fx::events::check_json_path("detail"), Contains("must start with $"));
  CHECK_THROWS_WITH(fx::events::check_json_path("$..x"), Contains("no field name"));
  CHECK_THROWS_WITH(fx::events::check_json_path("$.a[x]"), Contains("[N]"));
  CHECK_THROWS_WITH(fx::events::check_json_path("$.a[1"), Contains("unclosed"));
}
