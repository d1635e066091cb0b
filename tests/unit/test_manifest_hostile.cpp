// Manifests a careless user (or an attacker) writes: alias bombs, deep nesting, tabs, bad
// encodings, wrong types, huge values, variables that loop. Each must end in one line
// `file:line:col: key: what is wrong` and a hint, quickly, and never in an exception from
// yaml-cpp or the standard library.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>

#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;
using fx::manifest::Service;
using fx::manifest::testing::TempService;

namespace {

const std::string kHead =
    "service: shop\n"
    "provider:\n"
    "  runtime: python3.12\n"
    "functions:\n"
    "  hello:\n"
    "    handler: handler.main\n";

std::string repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * n);
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The message after the file name: messages name the manifest relative to the current folder,
// which tests do not control.
std::string after_file(const fx::Error& e) {
  const std::string what = e.what();
  const auto at = what.find("serverless.yaml");
  REQUIRE(at != std::string::npos);
  return what.substr(at);
}

}  // namespace

TEST_CASE("hostile manifests: a billion-laughs alias bomb fails fast, naming the alias",
          "[manifest][hostile]") {
  TempService t;
  std::string yaml = kHead + "custom:\n  a: &a [x,x,x,x,x,x,x,x,x]\n";
  const char* names = "abcdefghi";
  for (int level = 1; level < 9; ++level) {
    const std::string alias = std::string("*") + names[level - 1];
    yaml +=
        fmt::format("  {}: &{} [{}]\n", names[level], names[level], repeat(alias + ",", 8) + alias);
  }
  REQUIRE(yaml.size() < 800);
  // Nothing even reads custom.i: walking the aliases once (9^9 values) was what hung.
  const auto e = t.error(yaml);
  CHECK_THAT(after_file(e), Equals("serverless.yaml:14:10: custom.g[0]: the alias *f takes the "
                                   "document past 1000000 values"));
  CHECK_THAT(e.hint(), Contains("aliases inside anchors multiply"));
}

TEST_CASE("hostile manifests: aliases and merge keys of real projects keep working",
          "[manifest][hostile]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
custom:
  defaults: &defaults
    memorySize: 256
    timeout: 30
  tags: &tags [a, b]
  fx:
    labels: *tags
    more: {<<: *defaults, timeout: 10}
functions:
  one:
    handler: handler.one
    <<: *defaults
  two:
    handler: handler.two
    <<: *defaults
    timeout: 5
)yaml");
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[0].memory_mb == 256);
  CHECK(s.functions[0].timeout_s == 30);
  CHECK(s.functions[1].timeout_s == 5);
  const auto fx = nlohmann::json::parse(s.custom_fx_json);
  CHECK(fx["labels"] == nlohmann::json::array({"a", "b"}));
  CHECK(fx["more"]["memorySize"] == 256);
  CHECK(fx["more"]["timeout"] == 10);
}

TEST_CASE("hostile manifests: an alias inside its own anchor", "[manifest][hostile]") {
  TempService t;
  const auto e = t.error(kHead + "custom:\n  a: &a\n    b: [1, *a]\n");
  CHECK_THAT(after_file(e), Equals("serverless.yaml:9:12: custom.a.b[1]: the alias *a is inside "
                                   "its own anchor &a, so it never ends"));
}

TEST_CASE("hostile manifests: variables that repeat each other are bounded too",
          "[manifest][hostile]") {
  // No alias at all: ${self:...} shares values, and custom.fx is turned into JSON in full.
  TempService t;
  std::string yaml = kHead + "custom:\n  l0: [x,x,x,x,x,x,x,x,x,x]\n";
  for (int i = 1; i < 8; ++i) {
    const std::string previous = fmt::format("'${{self:custom.l{}}}'", i - 1);
    yaml += fmt::format("  l{}: [{}]\n", i, repeat(previous + ",", 9) + previous);
  }
  const auto e = t.error(yaml + "  fx:\n    all: ${self:custom.l7}\n");
  CHECK_THAT(after_file(e), Equals("serverless.yaml:17:5: custom.fx: more than 1000000 values "
                                   "once variables are resolved"));
}

TEST_CASE("hostile manifests: a large manifest of flat keys loads", "[manifest][hostile]") {
  // 100,000 keys (about 5 MB) under custom: each key used to be compared with all before it.
  TempService t;
  std::string yaml = kHead +
                     "  other:\n    handler: handler.other\n    environment:\n"
                     "      LAST: ${self:custom.key099999}\n"
                     "custom:\n  fx:\n    idleTimeout: 60\n";
  yaml.reserve(yaml.size() + 100000 * 50);
  for (int i = 0; i < 100000; ++i)
    yaml += fmt::format("  key{:06}: value-{:06}-abcdefghijklmnopqrstuvwxyz\n", i, i);
  REQUIRE(yaml.size() > 5'000'000);
  const Service s = t.load(yaml);
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[1].environment.at("LAST") == "value-099999-abcdefghijklmnopqrstuvwxyz");
  CHECK(nlohmann::json::parse(s.custom_fx_json)["idleTimeout"] == 60);
}

TEST_CASE("hostile manifests: nesting deeper than 100 levels", "[manifest][hostile]") {
  TempService t;
  const std::string deep = "serverless.yaml:8:104: nesting deeper than 100 levels";
  SECTION("100,000 [") {
    const auto e = t.error(kHead + "custom:\n  a: " + std::string(100000, '[') +
                           std::string(100000, ']') + "\n");
    CHECK_THAT(after_file(e), Equals(deep));
    CHECK_THAT(e.hint(), Contains("at most 100 deep"));
  }
  SECTION("100,000 {") {
    const auto e = t.error(kHead + "custom:\n  a: " + repeat("{a: ", 100000) +
                           std::string(100000, '}') + "\n");
    CHECK_THAT(after_file(e), Equals("serverless.yaml:8:398: nesting deeper than 100 levels"));
  }
  SECTION("nested block lists") {
    std::string yaml = kHead + "custom:\n  a:\n";
    for (int i = 0; i < 3000; ++i) yaml += std::string(4 + 2 * i, ' ') + "-\n";
    const auto e = t.error(yaml);
    CHECK_THAT(after_file(e), Equals("serverless.yaml:107:201: nesting deeper than 100 levels"));
  }
  SECTION("100,000 nested '- ' on one line") {
    const auto e = t.error(kHead + "custom:\n  a:\n    " + repeat("- ", 100000) + "x\n");
    CHECK_THAT(after_file(e), Equals("serverless.yaml:9:201: nesting deeper than 100 levels"));
  }
  SECTION("an alias that brings nesting in") {
    const auto e =
        t.error(kHead + "custom:\n  a: &x " + std::string(60, '[') + std::string(60, ']') +
                "\n  b: " + std::string(50, '[') + "*x" + std::string(50, ']') + "\n");
    CHECK_THAT(after_file(e), StartsWith("serverless.yaml:9:56: custom.b[0][0][0]"));
    CHECK_THAT(after_file(e), EndsWith(": the alias *x nests lists and maps deeper than 100 "
                                       "levels"));
  }
  SECTION("100 levels are fine") {
    // The document's map, custom, and 98 lists.
    const Service s =
        t.load(kHead + "custom:\n  a: " + std::string(98, '[') + std::string(98, ']') + "\n");
    CHECK(s.functions.size() == 1);
  }
}

TEST_CASE("hostile manifests: a tab in the indentation is named", "[manifest][hostile]") {
  TempService t;
  CHECK_THAT(after_file(t.error("service: shop\nprovider:\n\truntime: python3.12\n")),
             Equals("serverless.yaml:3:1: a tab in the indentation; YAML indents with spaces "
                    "only"));
  const auto e = t.error("service: shop\nprovider:\n  name: aws\n  \truntime: python3.12\n");
  CHECK_THAT(after_file(e), Equals("serverless.yaml:4:3: a tab in the indentation; YAML indents "
                                   "with spaces only"));
  CHECK_THAT(e.hint(), Contains("tabs inside values are fine"));
  // Tabs inside values stay legal.
  const Service s = t.load(kHead +
                           "    description: \"a\\tb\"\n    environment:\n"
                           "      PLAIN: a\tb\n      BLOCK: |\n        x\n        \ty\n");
  CHECK(s.functions[0].description == "a\tb");
  CHECK(s.functions[0].environment.at("PLAIN") == "a\tb");
  CHECK(s.functions[0].environment.at("BLOCK") == "x\n\ty\n");
}

TEST_CASE("hostile manifests: YAML errors in plain words", "[manifest][hostile]") {
  TempService t;
  CHECK_THAT(after_file(t.error("service: shop\ncustom: {a: 1\n")),
             Equals("serverless.yaml:3:1: invalid YAML: a '{' is never closed with '}'"));
  CHECK_THAT(after_file(t.error("service: shop\ncustom:\n  a: 1\n b: 2\n")),
             Equals("serverless.yaml:4:2: invalid YAML: this line does not continue the map above "
                    "it; check its indentation"));
  CHECK_THAT(after_file(t.error("service: shop\ncustom: *nothing\n")),
             Equals("serverless.yaml:2:9: invalid YAML: an alias (*name) with no anchor (&name) "
                    "before it"));
  CHECK_THAT(after_file(t.error("service: shop\ncustom: \"\\q\"\n")),
             Equals("serverless.yaml:2:12: invalid YAML: an unknown escape '\\q' in a "
                    "double-quoted string; write '\\\\' for a backslash, or use single quotes"));
}

TEST_CASE("hostile manifests: encodings", "[manifest][hostile]") {
  TempService t;
  const auto nul = t.error(kHead + std::string("    description: a\0b\n", 20));
  CHECK_THAT(after_file(nul),
             Equals("serverless.yaml:7:19: a NUL byte; YAML is text and holds none"));
  CHECK_THAT(after_file(t.error(kHead + "    description: caf\xE9\n")),
             Equals("serverless.yaml:7:21: invalid UTF-8 (byte 0xE9)"));
  CHECK_THAT(after_file(t.error(kHead + "    description: \xC0\xAF\n")),  // an overlong '/'
             Equals("serverless.yaml:7:18: invalid UTF-8 (byte 0xC0)"));
  CHECK_THAT(after_file(t.error(std::string("\xFF\xFEs\0e\0", 6))),
             Equals("serverless.yaml: the file is UTF-16 or UTF-32; fx reads UTF-8"));
  // A UTF-8 byte order mark and UTF-8 text are fine.
  const Service s = t.load("\xEF\xBB\xBF" + kHead + "    description: café ☕\n");
  CHECK(s.functions[0].description == "café ☕");
}

TEST_CASE("hostile manifests: the top level", "[manifest][hostile]") {
  TempService t;
  CHECK_THAT(after_file(t.error("")), Equals("serverless.yaml: the file is empty"));
  CHECK_THAT(after_file(t.error("# only a comment\n")), Equals("serverless.yaml: the file is "
                                                               "empty"));
  CHECK_THAT(after_file(t.error("- service: shop\n")),
             Equals("serverless.yaml:1:1: expected a map of settings (service, provider, "
                    "functions), got a list"));
  CHECK_THAT(after_file(t.error("42\n")),
             Equals("serverless.yaml:1:1: expected a map of settings (service, provider, "
                    "functions), got 42"));
}

TEST_CASE("hostile manifests: duplicate keys anywhere", "[manifest][hostile]") {
  TempService t;
  CHECK_THAT(after_file(t.error(kHead + "custom:\n  deep:\n    x: 1\n    x: 2\n")),
             Equals("serverless.yaml:10:5: custom.deep.x: duplicate key; the first is at line 9"));
  CHECK_THAT(after_file(t.error(kHead + "  hello:\n    handler: other.main\n")),
             Equals("serverless.yaml:7:3: functions.hello: duplicate key; the first is at line 5"));
  // Merge keys may repeat, and a merged key may be set again.
  const Service s =
      t.load(kHead + "    <<: {timeout: 3}\n    <<: {memorySize: 256}\n    timeout: 4\n");
  CHECK(s.functions[0].timeout_s == 4);
  CHECK(s.functions[0].memory_mb == 256);
}

TEST_CASE("hostile manifests: wrong types for known keys", "[manifest][hostile]") {
  TempService t;
  auto error = [&](const std::string& setting) { return after_file(t.error(kHead + setting)); };
  CHECK_THAT(error("    runtime: [python3.12]\n"),
             Equals("serverless.yaml:7:14: functions.hello.runtime: expected a runtime, got a "
                    "list"));
  CHECK_THAT(error("    memorySize: {mb: 512}\n"),
             Equals("serverless.yaml:7:17: functions.hello.memorySize: expected an integer from "
                    "128 to 10240 (MB), got a map"));
  CHECK_THAT(error("    timeout: abc\n"),
             Equals("serverless.yaml:7:14: functions.hello.timeout: expected an integer from 1 "
                    "to 900 (seconds), got \"abc\""));
  CHECK_THAT(error("    memorySize: 64\n"),
             Equals("serverless.yaml:7:17: functions.hello.memorySize: expected an integer from "
                    "128 to 10240 (MB), got 64"));
  CHECK_THAT(error("    timeout: -5\n"),
             Equals("serverless.yaml:7:14: functions.hello.timeout: expected an integer from 1 "
                    "to 900 (seconds), got -5"));
  CHECK_THAT(error("    reservedConcurrency: 99999999999999999999\n"),
             Equals("serverless.yaml:7:26: functions.hello.reservedConcurrency: expected an "
                    "integer from 0 to 100000, got 99999999999999999999"));
  CHECK_THAT(error("    layers:\n      - {Ref: {Fn::Sub: x}}\n"),
             Equals("serverless.yaml:8:9: functions.hello.layers[0]: expected a layer ARN or "
                    "{Ref: NameLambdaLayer}, got a map"));
  CHECK_THAT(error("    events:\n      - sqs:\n          arn: {}\n"),
             Equals("serverless.yaml:9:16: functions.hello.events[0].sqs.arn: expected a queue "
                    "name, an ARN or Fn::GetAtt: [Queue, Arn], got a map"));
}

TEST_CASE("hostile manifests: huge values are named, not quoted in full", "[manifest][hostile]") {
  TempService t;
  const std::string huge(1 << 20, 'x');
  const auto runtime = t.error(kHead + "    runtime: " + huge + "\n");
  CHECK_THAT(after_file(runtime),
             StartsWith("serverless.yaml:7:14: functions.hello.runtime: expected a supported "
                        "runtime, got \"xxxx"));
  CHECK_THAT(after_file(runtime), EndsWith("xxx…\""));
  CHECK(std::string(runtime.what()).size() < 400);
  CHECK_THAT(after_file(t.error(kHead + "    description: " + huge + "\n")),
             Equals("serverless.yaml:7:18: functions.hello.description: 1048576 characters; "
                    "Lambda takes at most 256"));
  CHECK_THAT(after_file(t.error(kHead + "    description: \"two\\nlines\"\n    memorySize: x\n")),
             Equals("serverless.yaml:8:17: functions.hello.memorySize: expected an integer from "
                    "128 to 10240 (MB), got \"x\""));
  // Past 16 MB the manifest is not even read (yaml-cpp parses a few MB a second).
  CHECK_THAT(after_file(t.error(kHead + "    description: " + std::string(17 << 20, 'x') + "\n")),
             Equals("serverless.yaml: 17 MB; fx reads manifests of at most 16 MB"));
  // A key with a line break stays on one line in the message.
  const auto key = t.error(kHead + "    \"mem\\nory\": 1\n    timeout: 0\n");
  CHECK_THAT(after_file(key), Contains("functions.hello.timeout: expected"));
  CHECK(t.load(kHead + "    \"odd\\nkey\": 1\n").warnings.at(0).find('\n') == std::string::npos);
}

TEST_CASE("hostile manifests: numbers past a double in custom.fx", "[manifest][hostile]") {
  TempService t;
  const Service s =
      t.load(kHead + "custom:\n  fx:\n    big: 1e999\n    huge: 123456789012345678901234567890\n");
  const auto fx = nlohmann::json::parse(s.custom_fx_json);
  CHECK(fx["big"] == "1e999");
  CHECK(fx["huge"].is_number_float());
}

TEST_CASE("hostile manifests: variables", "[manifest][hostile]") {
  TempService t;
  auto error = [&](const std::string& value, const std::string& more = "") {
    return after_file(t.error(kHead + "    environment:\n      X: " + value + "\n" + more));
  };
  CHECK_THAT(error("${self:functions.hello.environment.X}"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: circular reference: "
                    "functions.hello.environment.X -> functions.hello.environment.X"));
  CHECK_THAT(error("${self:custom.a}", "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\n"),
             Equals("serverless.yaml:10:6: custom.a: circular reference: custom.a -> custom.b -> "
                    "custom.a"));
  t.write("loop.yml", "x: ${file(./loop.yml):x}\n");
  const std::string nest = error("${file(./loop.yml):x}");
  CHECK_THAT(nest, StartsWith("serverless.yaml:8:10: functions.hello.environment.X"));
  CHECK_THAT(nest, EndsWith(": variables nest more than 32 deep at ${file(./loop.yml):x}"));
  CHECK(nest.size() < 400);
  CHECK_THAT(error("${file(./missing.yml):x}"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: cannot resolve "
                    "${file(./missing.yml):x}: ./missing.yml does not exist"));
  t.write("conf/a.yml", "x: 1\n");
  CHECK_THAT(error("${file(./conf):x}"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: cannot resolve "
                    "${file(./conf):x}: ./conf is a folder, not a file"));
  CHECK_THAT(error("${vault:secret}"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: cannot resolve "
                    "${vault:secret}: the 'vault' source is not supported locally"));
  CHECK_THAT(error("${opt:}"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: ${opt:} names no "
                    "option"));
  CHECK_THAT(error("${self:custom.l.99999999999999999999999}", "custom:\n  l: [1]\n"),
             Contains("'custom.l.99999999999999999999999' is not set"));
  CHECK_THAT(error("'" + repeat("${", 30000) + std::string(30000, '}') + "'"),
             Equals("serverless.yaml:8:10: functions.hello.environment.X: too many '${' that "
                    "nest in each other or never close"));
  // A file() document is held to the same bounds as the manifest.
  t.write("bomb.yml", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [" + repeat("*a,", 999) + "*a]\nc: [" +
                          repeat("*b,", 999) + "*b]\n");
  const std::string bomb =
      t.error(kHead + "    environment:\n      X: ${file(./bomb.yml):c}\n").what();
  CHECK_THAT(bomb, Equals("./bomb.yml:3:272: c[89]: the alias *b takes the document past 1000000 "
                          "values"));
}

TEST_CASE("manifest: logRetentionInDays, the provider's or the function's", "[manifest][hostile]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  logRetentionInDays: 14
functions:
  one:
    handler: handler.one
  two:
    handler: handler.two
    logRetentionInDays: 3653
)yaml");
  CHECK(s.functions[0].log_retention_days == 14);
  CHECK(s.functions[1].log_retention_days == 3653);
  CHECK(s.warnings.empty());
  CHECK_FALSE(t.load(kHead).functions[0].log_retention_days.has_value());
  const auto e = t.error(kHead + "    logRetentionInDays: 10\n");
  CHECK_THAT(after_file(e), Equals("serverless.yaml:7:25: functions.hello.logRetentionInDays: "
                                   "expected a number of days CloudWatch Logs keeps logs for, got "
                                   "10"));
  CHECK_THAT(e.hint(), Equals("use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, "
                              "545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"));
  CHECK_THAT(after_file(t.error("service: shop\nprovider:\n  logRetentionInDays: forever\n")),
             Equals("serverless.yaml:3:23: provider.logRetentionInDays: expected a number of days "
                    "CloudWatch Logs keeps logs for, got \"forever\""));
}

TEST_CASE("manifest: load_service_text reads a manifest from a string", "[manifest][hostile]") {
  TempService t;
  t.write("conf.yml", "mem: 512\n");
  const Service s = fx::manifest::load_service_text(
      kHead + "    memorySize: ${file(./conf.yml):mem}\n", t.options());
  CHECK(s.name == "shop");
  CHECK(s.functions[0].memory_mb == 512);
  CHECK(s.dir == std::filesystem::canonical(t.dir));
  try {
    fx::manifest::load_service_text("service: [\n", t.options(), "fuzz.yaml");
    FAIL("expected an error");
  } catch (const fx::Error& e) {
    CHECK_THAT(e.what(), Equals("fuzz.yaml:2:1: invalid YAML: a '[' is never closed with ']'"));
  }
}
