// Manifests as the Serverless Framework accepts them (issue 17): bare event names, every event
// type it knows, .env files as v3 and serverless-dotenv-plugin load them, its variable
// functions, and the sources only AWS can answer (${cf:}, ${s3:}) when the target is local.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/manifest/dotenv.h"
#include "core/manifest/event_types.h"
#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using fx::manifest::event_type;
using fx::manifest::local_event_notes;
using fx::manifest::OtherEvent;
using fx::manifest::Service;
using fx::manifest::testing::TempService;

namespace {

std::string with_events(const std::string& events) {
  return "service: shop\n"
         "provider:\n"
         "  runtime: python3.12\n"
         "functions:\n"
         "  fn:\n"
         "    handler: handler.main\n"
         "    events:\n" +
         events;
}

// A service whose function's environment has the given lines, after `top`.
std::string with_env(const std::string& top, const std::string& environment) {
  return "service: shop\n" + top +
         "provider:\n"
         "  runtime: python3.12\n"
         "functions:\n"
         "  fn:\n"
         "    handler: handler.main\n"
         "    environment:\n" +
         environment + "\n";
}

std::map<std::string, std::string> dotenv(const std::string& text,
                                          std::map<std::string, std::string> real = {}) {
  return fx::manifest::expand_dotenv(
      fx::manifest::parse_dotenv(text),
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = real.find(name);
        return it == real.end() ? std::nullopt : std::optional(it->second);
      },
      ".env");
}

}  // namespace

// --- Events -----------------------------------------------------------------------------------

TEST_CASE("sources: an event given as a bare name is that event with no settings",
          "[manifest][events]") {
  TempService t;
  const Service s =
      t.load(with_events("      - alexaSkill\n"
                         "      - iot\n"
                         "      - cloudFront\n"
                         "      - http: GET hello\n"));
  const auto& events = s.functions.at(0).events;
  REQUIRE(events.size() == 4);
  CHECK(event_type(events[0]) == "alexaSkill");
  CHECK(event_type(events[1]) == "iot");
  CHECK(event_type(events[2]) == "cloudFront");
  CHECK(std::get<OtherEvent>(events[0]).config_json == "null");
  CHECK(s.warnings.empty());  // a valid manifest: nothing to say until a deploy
  const auto notes = local_event_notes(s);
  REQUIRE(notes.size() == 3);
  CHECK_THAT(notes[0], Contains("serverless.yaml:8:9: 'alexaSkill' events of function fn run "
                                "only on AWS; only the Alexa service calls it"));
  CHECK_THAT(notes[0], Contains("`fx invoke fn --data EVENT`"));
  CHECK_THAT(notes[1], Contains("'iot' events of function fn run only on AWS; fx emulates no "
                                "AWS IoT rules"));
  CHECK_THAT(notes[2], Contains("Lambda@Edge runs only in CloudFront"));
}

TEST_CASE(
    "sources: every event type the framework knows is read; each fx does not run is "
    "named once per function",
    "[manifest][events]") {
  TempService t;
  std::string events;
  std::vector<std::string> remote;
  for (const auto& type : fx::manifest::event_types()) {
    if (type.local || type.key == "alb") continue;  // alb: served locally by its own reader
    remote.emplace_back(type.key);
    // Settings as the framework's examples give them; fx keeps them for AWS unvalidated.
    events += "      - " + std::string(type.key) + ":\n          name: x\n          arn: y\n";
  }
  events += "      - websocket: $connect\n      - websocket:\n          route: $default\n";
  const Service s = t.load(with_events(events));
  const auto notes = local_event_notes(s);
  REQUIRE(notes.size() == remote.size());  // websocket's three events: one line
  for (size_t i = 0; i < remote.size(); ++i) {
    CAPTURE(remote[i]);
    CHECK_THAT(notes[i], Contains("'" + remote[i] + "' events of function fn run only on AWS"));
  }
  CHECK_THAT(notes[0], Contains("fx serves no WebSocket API locally"));
  // alb events run on the emulator's ALB port: no "run only on AWS" for them (there was one,
  // though the port served them).
  const Service alb = t.load(with_events(
      "      - alb:\n          listenerArn: arn:aws:elasticloadbalancing:us-east-1:1:listener/app/"
      "x/1/2\n          priority: 1\n          conditions:\n            path: /hello\n"));
  CHECK(local_event_notes(alb).empty());
  // sns events subscribe the function to the emulator's topics: no note either.
  const Service sns =
      t.load(with_events("      - sns: orders\n      - sns:\n          topicName: payments\n"
                         "          filterPolicy: {kind: [card]}\n"));
  CHECK(local_event_notes(sns).empty());
  CHECK(fx::manifest::find_event_type("kafka"));
  CHECK_FALSE(fx::manifest::find_event_type("kinesis"));
}

TEST_CASE("sources: a bare name of a type fx runs, or of no known type, is named, not run",
          "[manifest][events]") {
  TempService t;
  const Service s = t.load(with_events("      - http\n      - teleport\n"));
  const auto notes = local_event_notes(s);
  REQUIRE(notes.size() == 2);
  CHECK_THAT(notes[0], Contains("'http' event of function fn has no settings"));
  CHECK_THAT(notes[0], Contains("`- http: GET /path`"));
  CHECK_THAT(notes[1], Contains("'teleport' events of function fn are no event type the "
                                "Serverless Framework knows"));
}

TEST_CASE("sources: an event that is neither a bare name nor a one-key map is refused",
          "[manifest][events]") {
  TempService t;
  for (const char* bad : {"      - GET /hello\n", "      - 'Http'\n", "      - 12\n",
                          "      - {http: GET a, sqs: q}\n"}) {
    CAPTURE(bad);
    const auto e = t.error(with_events(bad));
    CHECK_THAT(e.what(), Contains("serverless.yaml:8:9: functions.fn.events[0]: expected a map "
                                  "with one key, the event's type, or a type's bare name"));
  }
}

// --- .env -------------------------------------------------------------------------------------

TEST_CASE("sources: .env values are parsed as dotenv parses them", "[manifest][dotenv]") {
  const auto vars = dotenv(
      "# comment\n"
      "export A=plain value # comment\n"
      "B = 'single # not a comment'\n"
      "C=\"line\\nbreak\"\n"
      "D=\"spans\nlines\"\n"
      "E=`back`\n"
      "F=\"unterminated\n"
      "not a line\n"
      "G=\r\n"
      "H=a#b\n");
  CHECK(vars.at("A") == "plain value");
  CHECK(vars.at("B") == "single # not a comment");
  CHECK(vars.at("C") == "line\nbreak");
  CHECK(vars.at("D") == "spans\nlines");
  CHECK(vars.at("E") == "back");
  CHECK(vars.at("F") == "\"unterminated");  // an opening quote never closed is text
  CHECK(vars.at("G").empty());
  CHECK(vars.at("H") == "a");
  CHECK_FALSE(vars.count("not"));
}

TEST_CASE("sources: .env values are expanded as dotenv-expand expands them", "[manifest][dotenv]") {
  const auto vars = dotenv(
      "BASE_URL=my.api.com\n"
      "PROTOCOL=https\n"
      "URL=$PROTOCOL://${BASE_URL}/v1\n"
      "HOME_DIR=${HOME}/x\n"
      "MISSING=[${NOPE}]\n"
      "DEFAULTED=${NOPE:-fallback}|${EMPTY:-e}|${EMPTY-kept}\n"
      "EMPTY=\n"
      "AFTER=${EMPTY:-e}|${EMPTY-kept}\n"
      "PRICE=\\$5 and $\n"
      "LITERAL='$PROTOCOL'\n"
      "REAL=from file\n",
      {{"HOME", "/home/me"}, {"REAL", "from process"}});
  CHECK(vars.at("URL") == "https://my.api.com/v1");
  CHECK(vars.at("HOME_DIR") == "/home/me/x");
  CHECK(vars.at("MISSING") == "[]");
  CHECK(vars.at("DEFAULTED") == "fallback|e|kept");
  CHECK(vars.at("AFTER") == "e|");
  CHECK(vars.at("PRICE") == "$5 and $");
  CHECK(vars.at("LITERAL") == "$PROTOCOL");
  CHECK(vars.at("REAL") == "from process");  // dotenv does not override the process
}

TEST_CASE("sources: hostile .env files end with values or a clear error", "[manifest][dotenv]") {
  SECTION("a name that expands itself, or two that name each other") {
    const auto vars = dotenv("A=$A-x\nB=$C\nC=$B\n");
    CHECK(vars.at("A") == "-x");
    CHECK(vars.at("B").empty());
    CHECK(vars.at("C").empty());
  }
  SECTION("values that double each other past a megabyte") {
    std::string text = "V0=" + std::string(1000, 'x') + "\n";
    for (int i = 1; i < 40; ++i)
      text += "V" + std::to_string(i) + "=$V" + std::to_string(i - 1) + "$V" +
              std::to_string(i - 1) + "\n";
    try {
      dotenv(text);
      FAIL("expected an error");
    } catch (const fx::Error& e) {
      CHECK_THAT(e.what(), StartsWith(".env:12: V11: expands to more than 1 MB"));
    }
  }
  SECTION("bytes that are not UTF-8 become U+FFFD") {
    const auto vars = dotenv("A=ok\xff\xc0\x80\xed\xa0\x80!\nB=\xe2\x82\xac\n");
    CHECK(vars.at("A") ==
          "ok\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
    CHECK(vars.at("B") == "\xe2\x82\xac");
  }
  SECTION("a file larger than fx reads") {
    TempService t;
    t.write(".env", "A=" + std::string(fx::manifest::kMaxDotenvBytes, 'a') + "\n");
    const auto e = t.error(with_env("useDotenv: true\n", "      A: ${env:A}"));
    CHECK_THAT(e.what(), StartsWith(".env: 1048579 bytes; fx reads .env files of at most 1 MB"));
  }
  SECTION("an unterminated quote and a thousand lines of noise") {
    std::string text = "Q='never closed\n";
    for (int i = 0; i < 1000; ++i) text += "=== $${{{ \\\n";
    text += "LAST=1\nR=\"opens here";
    const auto vars = dotenv(text);
    CHECK(vars.at("Q") == "'never closed");
    CHECK(vars.at("LAST") == "1");
    CHECK(vars.at("R") == "\"opens here");
    // As dotenv's pattern does, a quote closes on a later line when one comes.
    CHECK(dotenv("S='a\nT=b'\n").at("S") == "a\nT=b");
  }
}

TEST_CASE("sources: without useDotenv a .env is not loaded, and that is said once",
          "[manifest][dotenv]") {
  TempService t;
  t.write(".env", "FROM_ENV=env\n");
  const Service s = t.load(with_env("useDotenv: false\n", "      A: ${env:FROM_ENV, 'unset'}"));
  CHECK(s.functions.at(0).environment.at("A") == "unset");
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Contains("serverless.yaml:2:1: .env is not loaded into ${env:...}: "
                                     "useDotenv is not true"));
}

TEST_CASE("sources: serverless-dotenv-plugin loads .env files into the functions' environment",
          "[manifest][dotenv]") {
  TempService t;
  t.write(".env", "SHARED=base\nONLY_BASE=1\nPROVIDER=dotenv\nOWN=dotenv\nSECRET=s\n");
  t.write(".env.development", "SHARED=development\nURL=http://$HOST\nHOST=h\n");
  t.write(".env.local", "LOCAL=yes\n");
  const std::string manifest = R"yaml(service: shop
plugins:
  - serverless-dotenv-plugin
custom:
  dotenv:
    exclude: [SECRET]
provider:
  runtime: python3.12
  environment:
    PROVIDER: provider
functions:
  fn:
    handler: handler.main
    environment:
      OWN: function
)yaml";
  // Copies: the Service each load returns is a temporary.
  const auto env = t.load(manifest).functions.at(0).environment;
  CHECK(env.at("SHARED") == "development");  // .env.development comes before .env
  CHECK(env.at("ONLY_BASE") == "1");
  CHECK(env.at("LOCAL") == "yes");
  CHECK(env.at("URL") == "http://");      // HOST is defined below it
  CHECK(env.at("PROVIDER") == "dotenv");  // the plugin sets provider.environment
  CHECK(env.at("OWN") == "function");     // a function's own wins
  CHECK_FALSE(env.count("SECRET"));

  t.opts["stage"] = "prod";  // ENV follows --stage: .env.prod (none), .env.local, .env
  const auto prod = t.load(manifest).functions.at(0).environment;
  CHECK(prod.at("SHARED") == "base");
  t.env["NODE_ENV"] = "development";  // NODE_ENV wins over --stage
  CHECK(t.load(manifest).functions.at(0).environment.at("SHARED") == "development");
}

// --- Variable functions -----------------------------------------------------------------------

TEST_CASE("sources: strToBool reads text as a boolean, as the framework documents it",
          "[manifest][variables]") {
  TempService t;
  t.env = {{"ON", " TRUE "}, {"OFF", "0"}};
  const Service s = t.load(R"yaml(service: shop
custom:
  flag: ${strToBool(${env:ON})}
  list:
    - ${strToBool(false)}
    - ${strToBool(True)}
    - ${strToBool(1)}
    - ${strToBool(${env:OFF})}
    - ${strToBool('FALSE')}
provider:
  runtime: python3.12
  environment:
    FLAG: ${self:custom.flag}
    LIST: ${self:custom.list.0}-${self:custom.list.1}-${self:custom.list.2}-${self:custom.list.3}-${self:custom.list.4}
functions:
  fn:
    handler: handler.main
)yaml");
  const auto& env = s.functions.at(0).environment;
  CHECK(env.at("FLAG") == "true");
  CHECK(env.at("LIST") == "false-true-true-false-false");
}

TEST_CASE("sources: strToBool's and merge's mistakes name file:line:col", "[manifest][variables]") {
  TempService t;
  auto error = [&](const std::string& value) {
    return std::string(
        t.error(with_env("custom:\n  a: {x: 1}\n  b: {x: 2}\n  l: [1]\n", "      V: " + value))
            .what());
  };
  CHECK_THAT(error("${strToBool(2)}"),
             Contains("serverless.yaml:12:10: functions.fn.environment.V: strToBool(...) "
                      "expected \"true\", \"false\", \"1\" or \"0\", got \"2\""));
  CHECK_THAT(error("${strToBool()}"), Contains("strToBool(...) takes one value"));
  CHECK_THAT(error("${strToBool(null)}"), Contains("strToBool(...) takes one value"));
  CHECK_THAT(error("${strToBool(${self:custom.a})}"), Contains("takes text, got a map"));
  CHECK_THAT(error("${merge(${self:custom.a}, ${self:custom.b})}"),
             Contains("merge(...): key 'x' is in argument 1 and in argument 2"));
  CHECK_THAT(error("${merge(${self:custom.a}, ${self:custom.l})}"),
             Contains("merge(...) takes only maps or only lists"));
  CHECK_THAT(error("${merge(${self:custom.a})}"), Contains("two or more maps or lists, got 1"));
  CHECK_THAT(error("${split(a b, ' ')}"),
             Contains("'split(...)' is no variable function the Serverless Framework has"));
  // Arguments that nest past what any manifest needs end with a message, not a crash.
  std::string deep = "true";
  for (int i = 0; i < 40; ++i) deep = "${strToBool(" + deep + ")}";
  CHECK_THAT(error(deep), Contains("variables nest more than 32 deep"));
  std::string huge = std::string(5000, '(');
  CHECK_THAT(error("${strToBool(" + huge + ")}"), Contains("strToBool(...) expected"));
}

TEST_CASE("sources: merge joins maps and lists", "[manifest][variables]") {
  TempService t;
  t.write("common.yml", "COMMON: c\n");
  const Service s = t.load(R"yaml(service: shop
custom:
  env:
    OWN: o
  one: [a, b]
  two: [c]
provider:
  runtime: python3.12
  environment: ${merge(${self:custom.env}, ${file(common.yml)})}
functions:
  fn:
    handler: handler.main
    package:
      patterns: ${merge(${self:custom.one}, ${self:custom.two})}
)yaml");
  const auto& fn = s.functions.at(0);
  CHECK(fn.environment.at("OWN") == "o");
  CHECK(fn.environment.at("COMMON") == "c");
  CHECK(fn.package_patterns == std::vector<std::string>{"a", "b", "c"});
}
