// The pure rules of versions and aliases: qualifier parsing, weighted choice, alias bodies,
// pagination, and the persisted form (tests/e2e/test_versions.py drives them through HTTP).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/emulator/versions.h"
#include "core/lambda/api_error.h"

using namespace fx::emulator;
using fx::lambda::ApiError;

namespace {

// The error type a call throws, "" when it throws none.
template <class F>
std::string type_of(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e.type();
  }
  return "";
}

}  // namespace

TEST_CASE("qualifiers: $LATEST, versions, aliases and what Lambda's pattern refuses",
          "[emulator][versions]") {
  CHECK(checked_qualifier("") == QualifierKind::latest);
  CHECK(checked_qualifier("$LATEST") == QualifierKind::latest);
  CHECK(checked_qualifier("12") == QualifierKind::version);
  CHECK(checked_qualifier("live") == QualifierKind::alias);
  CHECK(checked_qualifier("blue-green_2") == QualifierKind::alias);
  // Fits the pattern, names no version: an alias name, which the caller finds missing (404).
  CHECK(checked_qualifier("$LATEST2") == QualifierKind::alias);
  for (const std::string& bad :
       std::vector<std::string>{"\xff", "a b", "a:b", "a/b", "%ff", std::string(129, 'q')})
    CHECK(type_of([&] { checked_qualifier(bad); }) == "ValidationException");
  CHECK(checked_qualifier(std::string(128, 'q')) == QualifierKind::alias);
}

TEST_CASE("alias names may not look like versions", "[emulator][versions]") {
  CHECK(type_of([] { check_alias_name("live"); }).empty());
  CHECK(type_of([] { check_alias_name("v2"); }).empty());
  for (const std::string& bad :
       std::vector<std::string>{"", "12", "0", "$LATEST", "a b", std::string(129, 'a')})
    CHECK(type_of([&] { check_alias_name(bad); }) == "ValidationException");
}

TEST_CASE("weighted choice follows the draw", "[emulator][versions]") {
  Alias a{"live", "1", "", {{"2", 0.25}}, "r"};
  CHECK(choose_version(a, 0.0) == "2");
  CHECK(choose_version(a, 0.2499) == "2");
  CHECK(choose_version(a, 0.25) == "1");
  CHECK(choose_version(a, 0.9999) == "1");
  a.additional_weights = {{"2", 0.0}};
  CHECK(choose_version(a, 0.0) == "1");
  a.additional_weights = {{"2", 1.0}};
  CHECK(choose_version(a, 0.9999) == "2");
  a.additional_weights.clear();
  CHECK(choose_version(a, 0.1) == "1");
}

TEST_CASE("alias bodies: weights checked as Lambda checks them", "[emulator][versions]") {
  auto r = parse_alias_request(
      R"({"Name":"live","FunctionVersion":"3","RoutingConfig":{"AdditionalVersionWeights":{"4":0.5}}})",
      true);
  CHECK(*r.name == "live");
  CHECK(r.additional_weights->at("4") == 0.5);
  CHECK(parse_alias_request(R"({"RoutingConfig":{}})", false).additional_weights->empty());
  CHECK(!parse_alias_request("{}", false).additional_weights);
  auto weights = [](const std::string& w) {
    return type_of([&] {
      parse_alias_request(
          R"({"Name":"a","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":)" + w +
              "}}",
          true);
    });
  };
  CHECK(weights(R"({"2":1.5})") == "ValidationException");
  CHECK(weights(R"({"2":-1})") == "ValidationException");
  CHECK(weights(R"({"2":"x"})") == "InvalidRequestContentException");
  CHECK(weights(R"({"x":0.5})") == "ValidationException");
  CHECK(weights(R"({"2":0.1,"3":0.1})") == "InvalidParameterValueException");
  CHECK(weights(R"([])") == "InvalidRequestContentException");
  CHECK(weights(R"({"2":1})").empty());
  CHECK(type_of([] { parse_alias_request(R"({"FunctionVersion":"1"})", true); }) ==
        "ValidationException");
  CHECK(type_of([] { parse_alias_request(R"({"Name":"a","FunctionVersion":"x"})", true); }) ==
        "ValidationException");
  CHECK(type_of([] { parse_alias_request("{", true); }) == "InvalidRequestContentException");
}

TEST_CASE("pages: marker is the first key of the page", "[emulator][versions]") {
  std::vector<std::string> keys = {"$LATEST", "1", "2", "3", "4"};
  auto p = page_of(keys, std::nullopt, std::string("2"));
  CHECK(p.begin == 0);
  CHECK(p.end == 2);
  CHECK(*p.next_marker == "2");
  p = page_of(keys, std::string("4"), std::string("2"));
  CHECK(p.begin == 4);
  CHECK(p.end == 5);
  CHECK(!p.next_marker);
  CHECK(page_of(keys, std::nullopt, std::nullopt).end == 5);
  CHECK(type_of([&] { page_of(keys, std::string("9"), std::nullopt); }) ==
        "InvalidParameterValueException");
  for (std::string bad : {"0", "-1", "10001", "x", "", "99999999999999999999"})
    CHECK(type_of([&] { page_of(keys, std::nullopt, bad); }) == "ValidationException");
}

TEST_CASE("versions state round-trips through its JSON", "[emulator][versions]") {
  FunctionVersions v;
  v.last_version = 7;
  v.versions = {"3", "7"};
  v.published_from = "rev";
  v.code_sha_hex = {{"3", "aa"}, {"7", "bb"}};
  v.aliases["live"] = {"live", "7", "prod", {{"3", 0.1}}, "r1"};
  v.provisioned = {{"live", 2}};
  auto back = versions_state_from_json(versions_state_json(v));
  CHECK(back.last_version == 7);
  CHECK(back.versions == v.versions);
  CHECK(back.aliases.at("live").additional_weights.at("3") == 0.1);
  CHECK(back.provisioned.at("live") == 2);
  CHECK(aliases_using(back, "3") == std::vector<std::string>{"live"});
  CHECK(aliases_using(back, "5").empty());
}
