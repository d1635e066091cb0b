#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/manifest/manifest.h"
#include "core/manifest/text.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::Equals;
using fx::manifest::Service;
using fx::manifest::testing::TempService;

namespace {

// A service whose function `fn` has the given environment lines (indented under environment:),
// preceded by `top` (extra top-level YAML).
std::string with_env(const std::string& top, const std::string& environment) {
  return "service: shop\n"
         "provider:\n"
         "  runtime: python3.12\n" +
         top +
         "functions:\n"
         "  fn:\n"
         "    handler: handler.main\n"
         "    environment:\n" +
         environment + "\n";
}

const std::map<std::string, std::string>& env_of(const Service& s) {
  return s.functions.at(0).environment;
}

}  // namespace

TEST_CASE("variables: self references, resolved recursively", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(with_env(R"yaml(custom:
  table: ${self:custom.prefix}-users
  prefix: ${self:service}-${self:provider.stage}
  nested:
    deep:
      value: 7
)yaml",
                                    R"yaml(      TABLE: ${self:custom.table}
      DEEP: ${self:custom.nested.deep.value}
      RUNTIME: runtime is ${self:provider.runtime})yaml"));
  CHECK(env_of(s).at("TABLE") == "shop-dev-users");
  CHECK(env_of(s).at("DEEP") == "7");
  CHECK(env_of(s).at("RUNTIME") == "runtime is python3.12");
}

TEST_CASE("variables: an unset provider.stage/region reads as the service's",
          "[manifest][variables]") {
  TempService t;
  t.opts["stage"] = "prod";
  const Service s = t.load(with_env("", R"yaml(      STAGE: ${self:provider.stage}
      REGION: ${self:provider.region})yaml"));
  CHECK(env_of(s).at("STAGE") == "prod");
  CHECK(env_of(s).at("REGION") == "us-east-1");
}

TEST_CASE("variables: a whole-value variable keeps its type", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
custom:
  memory: 2048
  env:
    A: one
    B: 2
  events:
    - http: GET /a
  settings:
    minimize: false
    level: 3
provider:
  runtime: python3.12
  memorySize: ${self:custom.memory}
  environment: ${self:custom.env}
functions:
  fn:
    handler: handler.main
    events: ${self:custom.events}
)yaml");
  CHECK(s.functions.at(0).memory_mb == 2048);
  CHECK(env_of(s).at("A") == "one");
  CHECK(env_of(s).at("B") == "2");
  REQUIRE(s.functions.at(0).events.size() == 1);
  CHECK(std::get<fx::manifest::HttpEvent>(s.functions.at(0).events[0]).path == "/a");
}

TEST_CASE("variables: types survive into custom.fx JSON", "[manifest][variables]") {
  TempService t;
  t.opts["level"] = "5";
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
custom:
  base:
    minimize: false
    ratio: 0.5
  fx:
    settings: ${self:custom.base}
    number: ${opt:level, 3}
    literal: ${opt:missing, 3}
    flag: ${opt:missing, true}
    nothing: ${opt:missing, null}
    text: "${opt:missing, 'abc'}"
    joined: v${opt:level}
)yaml");
  CHECK(nlohmann::json::parse(s.custom_fx_json) ==
        nlohmann::json{{"settings", {{"minimize", false}, {"ratio", 0.5}}},
                       {"number", "5"},  // options are text
                       {"literal", 3},
                       {"flag", true},
                       {"nothing", nullptr},
                       {"text", "abc"},
                       {"joined", "v5"}});
}

TEST_CASE("variables: opt, env, sls, aws", "[manifest][variables]") {
  TempService t;
  t.opts = {{"stage", "prod"}, {"flavour", "mint"}};
  t.env = {{"HOME_DIR", "/home/me"}};
  const Service s = t.load(with_env("",
                                    R"yaml(      FLAVOUR: ${opt:flavour}
      HOME_DIR: ${env:HOME_DIR}
      STAGE: ${sls:stage}
      REGION: ${aws:region}
      ACCOUNT: ${aws:accountId}
      ID: ${sls:instanceId}
      ID2: ${sls:instanceId})yaml"));
  const auto& env = env_of(s);
  CHECK(env.at("FLAVOUR") == "mint");
  CHECK(env.at("HOME_DIR") == "/home/me");
  CHECK(env.at("STAGE") == "prod");
  CHECK(env.at("REGION") == "us-east-1");
  CHECK(env.at("ACCOUNT") == "000000000000");
  const std::string& id = env.at("ID");  // [0-9a-f]{8,}
  CHECK(id.size() >= 8);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(env.at("ID") == env.at("ID2"));
}

TEST_CASE("variables: sls:stage and aws:region follow the provider", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  stage: ${opt:stage, 'staging'}
  region: eu-central-1
functions:
  fn:
    handler: handler.main
    environment:
      STAGE: ${sls:stage}
      REGION: ${aws:region}
)yaml");
  CHECK(s.stage == "staging");
  CHECK(env_of(s).at("STAGE") == "staging");
  CHECK(env_of(s).at("REGION") == "eu-central-1");
  CHECK(s.functions.at(0).name == "shop-staging-fn");
}

TEST_CASE("variables: fallbacks are tried in turn", "[manifest][variables]") {
  TempService t;
  t.env = {{"SET", "from-env"}};
  const Service s = t.load(with_env("custom:\n  fallback: from-self\n",
                                    R"yaml(      A: ${opt:nope, env:NOPE, self:custom.fallback}
      B: ${env:NOPE, env:SET, 'x'}
      C: ${opt:nope, 'single quoted'}
      D: ${opt:nope, "double, with comma"}
      E: ${opt:nope, 42}
      F: ${opt:nope, false}
      G: ${self:custom.missing, ${env:SET}}
      H: ${ssm:/my/param, 'local'})yaml"));
  const auto& env = env_of(s);
  CHECK(env.at("A") == "from-self");
  CHECK(env.at("B") == "from-env");
  CHECK(env.at("C") == "single quoted");
  CHECK(env.at("D") == "double, with comma");
  CHECK(env.at("E") == "42");
  CHECK(env.at("F") == "false");
  CHECK(env.at("G") == "from-env");
  CHECK(env.at("H") == "local");
}

TEST_CASE("variables: nesting resolves the innermost first", "[manifest][variables]") {
  TempService t;
  t.opts["stage"] = "prod";
  t.write("config.prod.json", R"({"db": {"host": "prod-db"}, "port": 5432})");
  const Service s = t.load(with_env(R"yaml(custom:
  table:
    dev: dev-table
    prod: prod-table
)yaml",
                                    R"yaml(      TABLE: ${self:custom.table.${opt:stage}}
      HOST: ${file(./config.${opt:stage, 'dev'}.json):db.host}
      PORT: ${file(./config.${sls:stage}.json):port})yaml"));
  CHECK(env_of(s).at("TABLE") == "prod-table");
  CHECK(env_of(s).at("HOST") == "prod-db");
  CHECK(env_of(s).at("PORT") == "5432");
}

TEST_CASE("variables: file() reads YAML, JSON and text; a missing file gives the fallback",
          "[manifest][variables]") {
  TempService t;
  t.env = {{"SECRET", "s3cret"}};
  t.write("conf/values.yml", "name: from-yaml\nsecret: ${env:SECRET}\nlist: [a, b]\n");
  t.write("values.json", R"({"name": "from-json", "nested": {"n": 1}})");
  t.write("motd.txt", "hello ${not a variable}");
  const Service s = t.load(with_env("",
                                    R"yaml(      YAML: ${file(conf/values.yml):name}
      SECRET: ${file(./conf/values.yml):secret}
      SECOND: ${file(./conf/values.yml):list.1}
      JSON: ${file(values.json):nested.n}
      TEXT: ${file(./motd.txt)}
      MISSING: ${file(./nope.yml):x, 'fallback'}
      NOKEY: ${file(./values.json):nope, 'fallback2'})yaml"));
  const auto& env = env_of(s);
  CHECK(env.at("YAML") == "from-yaml");
  CHECK(env.at("SECRET") == "s3cret");
  CHECK(env.at("SECOND") == "b");
  CHECK(env.at("JSON") == "1");
  CHECK(env.at("TEXT") == "hello ${not a variable}");
  CHECK(env.at("MISSING") == "fallback");
  CHECK(env.at("NOKEY") == "fallback2");
}

TEST_CASE("variables: a whole file as a section", "[manifest][variables]") {
  TempService t;
  t.write("env.yml", "A: 1\nB: two\n");
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  environment: ${file(./env.yml)}
functions:
  fn:
    handler: handler.main
)yaml");
  CHECK(env_of(s) == std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}});
}

TEST_CASE("variables: escapes and CloudFormation's own ${...}", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(with_env("",
                                    R"yaml(      ESCAPED: \${self:service}
      CFN: arn:aws:s3:::${AWS::Region}-bucket
      SUB: ${Bucket}/${self:service}
      MIXED: \${opt:x}-${self:service})yaml"));
  const auto& env = env_of(s);
  CHECK(env.at("ESCAPED") == "${self:service}");
  CHECK(env.at("CFN") == "arn:aws:s3:::${AWS::Region}-bucket");
  CHECK(env.at("SUB") == "${Bucket}/shop");
  CHECK(env.at("MIXED") == "${opt:x}-shop");
}

TEST_CASE("variables: values only, never keys", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
custom:
  fx:
    ${self:service}: ${self:service}
)yaml");
  CHECK(s.custom_fx_json == R"({"${self:service}":"shop"})");
}

TEST_CASE("variables: sections fx does not act on are not resolved", "[manifest][variables]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  iam:
    role:
      statements:
        - Resource: ${cf:other-stack.TableArn}
custom:
  unused: ${ssm:/not/here}
functions:
  fn:
    handler: handler.main
    role: ${ssm:/role}
resources:
  Outputs:
    Arn: ${ssm:/also/not/here}
)yaml");
  CHECK(s.functions.size() == 1);
}

TEST_CASE(
    "variables: useDotenv loads .env.STAGE when there is one, else .env, below the real "
    "environment",
    "[manifest][variables]") {
  TempService t;
  t.env = {{"REAL", "real"}};
  t.opts["stage"] = "qa";
  t.write(".env", "# comment\nFROM_ENV=env\nBOTH=env\nexport REAL=dotenv\nQUOTED=\"a b\"\n");
  t.write(".env.qa", "BOTH=stage # trailing comment\nSINGLE='x y'\nexport REAL=dotenv\n");
  // As the framework v3 documents it: "If .env.{stage} is found, .env will not be loaded".
  const Service s = t.load(with_env("useDotenv: true\n",
                                    R"yaml(      FROM_ENV: ${env:FROM_ENV, 'unset'}
      BOTH: ${env:BOTH}
      REAL: ${env:REAL}
      SINGLE: ${env:SINGLE})yaml"));
  const auto& env = env_of(s);
  CHECK(env.at("FROM_ENV") == "unset");
  CHECK(env.at("BOTH") == "stage");
  CHECK(env.at("REAL") == "real");
  CHECK(env.at("SINGLE") == "x y");

  t.opts["stage"] = "prod";  // no .env.prod: .env it is
  const Service p = t.load(with_env("useDotenv: true\n",
                                    R"yaml(      FROM_ENV: ${env:FROM_ENV}
      BOTH: ${env:BOTH}
      QUOTED: ${env:QUOTED})yaml"));
  CHECK(env_of(p).at("FROM_ENV") == "env");
  CHECK(env_of(p).at("BOTH") == "env");
  CHECK(env_of(p).at("QUOTED") == "a b");
}

TEST_CASE("variables: without useDotenv, .env is not read", "[manifest][variables]") {
  TempService t;
  t.write(".env", "FROM_ENV=env\n");
  const auto e = t.error(with_env("", "      FROM_ENV: ${env:FROM_ENV}"));
  CHECK_THAT(e.what(), Contains("the environment variable FROM_ENV is not set"));
}

TEST_CASE("variables: param reads params.STAGE, then params.default", "[manifest][variables]") {
  TempService t;
  t.opts["stage"] = "prod";
  const Service s = t.load(with_env(R"yaml(params:
  default:
    domain: dev.example.com
    level: low
  prod:
    domain: example.com
)yaml",
                                    "      DOMAIN: ${param:domain}\n      LEVEL: ${param:level}"));
  CHECK(env_of(s).at("DOMAIN") == "example.com");
  CHECK(env_of(s).at("LEVEL") == "low");
}

TEST_CASE("variables: an unresolved variable names the place, the key and the variable",
          "[manifest][variables]") {
  TempService t;
  const auto e = t.error(R"yaml(service: shop
provider:
  name: aws
  runtime: python3.12
  environment:
    A: a
    B: b
    C: c
    TABLE: ${env:TABLE_NAME}
)yaml");
  CHECK_THAT(e.what(), EndsWith("serverless.yaml:9:12: provider.environment.TABLE: cannot resolve "
                                "${env:TABLE_NAME}: the environment variable TABLE_NAME is not "
                                "set"));
  CHECK_THAT(e.hint(), Equals("set it, or add a fallback: ${env:TABLE_NAME, 'default'}"));
}

TEST_CASE("variables: error messages for each way to fail", "[manifest][variables]") {
  TempService t;
  SECTION("an option not given") {
    const auto e = t.error(with_env("", "      X: ${opt:color}"));
    CHECK_THAT(e.what(), EndsWith("serverless.yaml:8:10: functions.fn.environment.X: cannot "
                                  "resolve ${opt:color}: no --color option was given"));
    CHECK_THAT(e.hint(), Equals("pass --color VALUE, or add a fallback: ${opt:color, 'default'}"));
  }
  SECTION("every alternative fails") {
    const auto e = t.error(with_env("", "      X: ${opt:a, env:B}"));
    CHECK_THAT(e.what(), EndsWith("cannot resolve ${opt:a, env:B}: no --a option was given; the "
                                  "environment variable B is not set"));
  }
  SECTION("a self reference to nothing") {
    const auto e = t.error(with_env("", "      X: ${self:custom.nothing}"));
    CHECK_THAT(e.what(), Contains("cannot resolve ${self:custom.nothing}: 'custom.nothing' is "
                                  "not set in "));
  }
  SECTION("a missing file") {
    const auto e = t.error(with_env("", "      X: ${file(./secrets.json):key}"));
    CHECK_THAT(e.what(), Contains("cannot resolve ${file(./secrets.json):key}: ./secrets.json "
                                  "does not exist"));
  }
  SECTION("a file with invalid JSON") {
    t.write("bad.json", "{\"a\": [1,\n");
    const auto e = t.error(with_env("", "      X: ${file(./bad.json):a}"));
    CHECK_THAT(e.what(), Contains("./bad.json:"));
    CHECK_THAT(e.what(), Contains("invalid JSON"));
    CHECK_THAT(e.hint(), Contains("functions.fn.environment.X"));
  }
  SECTION("ssm with no store to read (the CLI gives one: tests/unit/test_manifest_ssm.cpp)") {
    const auto e = t.error(with_env("", "      X: ${ssm:/app/key}"));
    CHECK_THAT(e.what(), EndsWith("functions.fn.environment.X: cannot resolve ${ssm:/app/key}: "
                                  "fx cannot read SSM parameters here"));
    CHECK_THAT(e.hint(), Contains("add a fallback: ${ssm:/app/key, 'default'}"));
  }
  SECTION("cf and s3 as well: read from AWS only when the target is AWS") {
    auto e = t.error(with_env("", "      X: ${cf:stack.Output}"));
    CHECK_THAT(e.what(), Contains("cannot resolve ${cf:stack.Output}: ${cf:...} reads stack "
                                  "stack's output Output from AWS, and the target is not AWS"));
    CHECK_THAT(e.hint(), Contains("deploy with --target aws to read it from AWS, or add a "
                                  "fallback: ${cf:stack.Output, 'default'}"));
    e = t.error(with_env("", "      X: ${s3:bucket/key}"));
    CHECK_THAT(e.what(), Contains("${s3:...} reads object key of bucket bucket from AWS"));
    CHECK_THAT(e.hint(), Contains("${s3:bucket/key, 'default'}"));
    // The target is AWS, but nothing here can reach it (no reads given).
    t.opts.clear();
    CHECK_THAT(t.error(with_env("custom:\n  fx:\n    target: aws\n", "      X: ${cf:a.b}")).what(),
               Contains("fx cannot reach AWS to read stack a's output b here"));
    // Addresses the framework refuses.
    CHECK_THAT(t.error(with_env("", "      X: ${cf:no-dot}")).what(),
               Contains("${cf:no-dot}: expected STACK.OUTPUT"));
    CHECK_THAT(t.error(with_env("", "      X: ${s3:bucket-only}")).what(),
               Contains("${s3:bucket-only}: expected BUCKET/KEY"));
  }
  SECTION("a map inside a longer string") {
    const auto e = t.error(with_env("custom:\n  m: {a: 1}\n", "      X: pre-${self:custom.m}"));
    CHECK_THAT(e.what(), Contains("functions.fn.environment.X: ${self:custom.m} is a map, which "
                                  "cannot be part of a longer string"));
  }
  SECTION("an unquoted literal") {
    const auto e = t.error(with_env("", "      X: ${opt:x, dev}"));
    CHECK_THAT(e.what(), Contains("'dev' is neither a variable nor a literal"));
    CHECK_THAT(e.hint(), Contains("'dev'"));
  }
  SECTION("unknown sls and aws variables") {
    CHECK_THAT(t.error(with_env("", "      X: ${sls:nope}")).what(),
               Contains("unknown variable sls:nope"));
    CHECK_THAT(t.error(with_env("", "      X: ${aws:partition}")).what(),
               Contains("unknown variable aws:partition"));
  }
}

TEST_CASE("variables: cycles are found and named", "[manifest][variables]") {
  TempService t;
  const auto e = t.error(with_env(R"yaml(custom:
  a: ${self:custom.b}
  b: x-${self:custom.a}
)yaml",
                                  "      X: ${self:custom.a}"));
  CHECK_THAT(e.what(), Contains("circular reference: custom.a -> custom.b -> custom.a"));
  CHECK_THAT(e.what(), Contains("serverless.yaml:5:6: custom.a:"));
}

TEST_CASE("variables: a file that reads itself stops", "[manifest][variables]") {
  TempService t;
  t.write("loop.yml", "x: ${file(./loop.yml):x}\n");
  const auto e = t.error(with_env("", "      X: ${file(./loop.yml):x}"));
  CHECK_THAT(e.what(), Contains("variables nest more than"));
}

TEST_CASE("variables: values of settings are validated after resolving", "[manifest][variables]") {
  TempService t;
  t.opts["mem"] = "64";
  const auto e = t.error(R"yaml(service: shop
provider:
  runtime: python3.12
  memorySize: ${opt:mem}
)yaml");
  CHECK_THAT(e.what(), EndsWith("serverless.yaml:4:15: provider.memorySize: expected an integer "
                                "from 128 to 10240 (MB), got \"64\""));
}

TEST_CASE("text: character classes match std::regex's in the C locale", "[manifest][text]") {
  namespace text = fx::manifest::text;
  for (char c : std::string(" \t\n\v\f\r")) CHECK(text::is_space(c));
  for (char c : std::string("a_0\b\x0e\x80\xa0\0", 8)) CHECK_FALSE(text::is_space(c));
  CHECK(text::is_digit('0'));
  CHECK(text::is_digit('9'));
  CHECK_FALSE(text::is_digit('a'));
  CHECK(text::is_lower('a'));
  CHECK_FALSE(text::is_lower('A'));
  CHECK(text::is_alpha('Z'));
  CHECK_FALSE(text::is_alpha('_'));
  CHECK_FALSE(text::is_alpha('\xe9'));
  CHECK(text::is_alnum('7'));
  CHECK_FALSE(text::is_alnum('-'));
  CHECK(text::is_line_break('\n'));
  CHECK(text::is_line_break('\r'));
  CHECK_FALSE(text::is_line_break('\t'));
  CHECK(text::skip_space(" \t\nx ", 0) == 3);
  CHECK(text::skip_space("   ", 1) == 3);
  CHECK(text::skip_digits("12a", 0) == 2);
  CHECK(text::skip_digits("12", 2) == 2);
}

TEST_CASE("text: is_word is [first][rest]*", "[manifest][text]") {
  namespace text = fx::manifest::text;
  auto dash = [](char c) { return text::is_alnum(c) || c == '-'; };
  CHECK(text::is_word("a", text::is_alpha, dash));
  CHECK(text::is_word("my-service-2", text::is_alpha, dash));
  CHECK_FALSE(text::is_word("", text::is_alpha, dash));
  CHECK_FALSE(text::is_word("2a", text::is_alpha, dash));
  CHECK_FALSE(text::is_word("a_b", text::is_alpha, dash));
  CHECK_FALSE(text::is_word("a\n", text::is_alpha, dash));
}

TEST_CASE("text: decimals are [-+]?\\d+(\\.\\d+)?", "[manifest][text]") {
  namespace text = fx::manifest::text;
  for (const char* s : {"0", "12", "-3", "+4", "1.5", "-0.25", "007"}) {
    CAPTURE(s);
    CHECK(text::is_decimal(s));
  }
  for (const char* s :
       {"", "-", "+", ".", "1.", ".5", "1e3", "1.2.3", " 1", "1 ", "--1", "0x1", "1_000"}) {
    CAPTURE(s);
    CHECK_FALSE(text::is_decimal(s));
  }
}

TEST_CASE("text: numbers are [-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?", "[manifest][text]") {
  namespace text = fx::manifest::text;
  for (const char* s :
       {"0", "-12", "+1.5", "3.", ".5", "-.5", "1e3", "1E-3", "2.e+10", ".5e1", "007"}) {
    CAPTURE(s);
    CHECK(text::is_number(s));
  }
  for (const char* s : {"", "-", ".", "-.", ".e1", "e1", "1e", "1e+", "1.2.3", "1e1.5", " 1", "1 ",
                        "0x1F", ".inf", "NaN", "1_000", "+-1"}) {
    CAPTURE(s);
    CHECK_FALSE(text::is_number(s));
  }
}
