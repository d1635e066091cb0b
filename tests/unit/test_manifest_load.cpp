#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/manifest/event_types.h"
#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using fx::manifest::Event;
using fx::manifest::event_type;
using fx::manifest::HttpEvent;
using fx::manifest::OtherEvent;
using fx::manifest::ScheduleEvent;
using fx::manifest::Service;
using fx::manifest::SqsEvent;
using fx::manifest::testing::TempService;

namespace {

const char* kMinimal = R"yaml(service: shop
provider:
  name: aws
  runtime: python3.12
functions:
  hello:
    handler: handler.main
)yaml";

int count_containing(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
    return line.find(text) != std::string::npos;
  }));
}

}  // namespace

TEST_CASE("manifest: a minimal service gets the defaults", "[manifest]") {
  TempService t;
  const Service s = t.load(kMinimal);
  CHECK(s.name == "shop");
  CHECK(s.stage == "dev");
  CHECK(s.region == "us-east-1");
  CHECK(s.runtime == "python3.12");
  CHECK(s.dir == std::filesystem::weakly_canonical(t.dir));
  CHECK(s.manifest_path == s.dir / "serverless.yaml");
  CHECK(s.custom_fx_json == "{}");
  CHECK(s.target.empty());
  CHECK(s.http_api_payload == "2.0");
  CHECK(s.warnings.empty());
  CHECK(s.exclude_dev_dependencies);
  CHECK_FALSE(s.package_individually);
  REQUIRE(s.functions.size() == 1);
  const auto& fn = s.functions[0];
  CHECK(fn.key == "hello");
  CHECK(fn.name == "shop-dev-hello");
  CHECK(fn.handler == "handler.main");
  CHECK(fn.runtime == "python3.12");
  CHECK(fn.memory_mb == 1024);
  CHECK(fn.timeout_s == 6);
  CHECK(fn.architecture == "x86_64");
  CHECK(fn.environment.empty());
  CHECK(fn.events.empty());
  CHECK_FALSE(fn.reserved_concurrency);
  CHECK_FALSE(fn.provisioned_concurrency);
  CHECK(fn.mark.line == 6);
  CHECK(fn.mark.col == 3);
  CHECK_THAT(fn.mark.str(), Contains("serverless.yaml:6:3"));
}

TEST_CASE("manifest: provider settings apply to every function; a function's own win",
          "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  name: aws
  runtime: nodejs20.x
  stage: qa
  region: eu-west-1
  memorySize: 512
  timeout: 30
  architecture: arm64
functions:
  a:
    handler: src/a.handler
  b:
    handler: b.run
    runtime: python3.13
    memorySize: 2048
    timeout: 900
    architecture: x86_64
    name: custom-b
    description: the b function
    reservedConcurrency: 5
    provisionedConcurrency: 2
)yaml");
  CHECK(s.stage == "qa");
  CHECK(s.region == "eu-west-1");
  REQUIRE(s.functions.size() == 2);
  const auto& a = s.functions[0];
  CHECK(a.name == "shop-qa-a");
  CHECK(a.runtime == "nodejs20.x");
  CHECK(a.memory_mb == 512);
  CHECK(a.timeout_s == 30);
  CHECK(a.architecture == "arm64");
  const auto& b = s.functions[1];
  CHECK(b.name == "custom-b");
  CHECK(b.runtime == "python3.13");
  CHECK(b.memory_mb == 2048);
  CHECK(b.timeout_s == 900);
  CHECK(b.architecture == "x86_64");
  CHECK(b.description == "the b function");
  CHECK(b.reserved_concurrency == 5);
  CHECK(b.provisioned_concurrency == 2);
}

TEST_CASE("manifest: --stage and --region override the provider's", "[manifest]") {
  TempService t;
  t.opts = {{"stage", "prod"}, {"region", "ap-south-1"}};
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  stage: qa
  region: eu-west-1
functions:
  hello:
    handler: handler.main
)yaml");
  CHECK(s.stage == "prod");
  CHECK(s.region == "ap-south-1");
  CHECK(s.functions.at(0).name == "shop-prod-hello");
}

TEST_CASE("manifest: the old {name: x} service form", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service:
  name: legacy-svc
provider:
  runtime: python3.12
functions:
  hello:
    handler: handler.main
)yaml");
  CHECK(s.name == "legacy-svc");
  CHECK(s.functions.at(0).name == "legacy-svc-dev-hello");
}

TEST_CASE("manifest: finding the manifest", "[manifest]") {
  TempService t;
  SECTION("serverless.yml when there is no serverless.yaml") {
    t.write("serverless.yml", kMinimal);
    CHECK(fx::manifest::find_manifest(t.options()).filename() == "serverless.yml");
    CHECK(t.load().name == "shop");
  }
  SECTION("serverless.yaml wins over serverless.yml") {
    t.write("serverless.yml", "service: other\n");
    t.write("serverless.yaml", kMinimal);
    CHECK(t.load().name == "shop");
  }
  SECTION("--config names the file") {
    t.write("conf/custom.yaml", kMinimal);
    auto options = t.options();
    options.dir = "/nonexistent";
    options.config = t.dir / "conf/custom.yaml";
    const Service s = fx::manifest::load_service(options);
    CHECK(s.name == "shop");
    CHECK(s.dir == std::filesystem::weakly_canonical(t.dir / "conf"));
  }
  SECTION("a --config that does not exist") {
    auto options = t.options();
    options.config = t.dir / "missing.yaml";
    CHECK_THROWS_WITH(fx::manifest::load_service(options), Contains("missing.yaml: no such file"));
  }
  SECTION("no manifest at all") {
    try {
      fx::manifest::find_manifest(t.options());
      FAIL("expected an error");
    } catch (const fx::Error& e) {
      CHECK_THAT(e.what(), Equals("no serverless.yaml or serverless.yml in " +
                                  std::filesystem::weakly_canonical(t.dir).string()));
      CHECK_THAT(e.hint(), Equals("run `fx init` to create a service, or pass --config PATH"));
    }
  }
}

TEST_CASE("manifest: messages name the manifest relative to the current folder", "[manifest]") {
  TempService t;
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(t.dir);
  std::string message;
  try {
    auto options = t.options();
    options.dir = ".";
    t.write("serverless.yaml", "service: shop\nprovider:\n  foo: 1\n");
    message = fx::manifest::load_service(options).warnings.at(0);
  } catch (...) {
  }
  std::filesystem::current_path(previous);
  CHECK(message == "serverless.yaml:3:3: unknown key 'provider.foo'; ignored");
}

TEST_CASE("manifest: environment merges provider and function; scalars become text", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  environment:
    SHARED: provider
    OVERRIDDEN: provider
    COUNT: 42
    RATIO: 1.5
    DEBUG: true
    LOUD: False
    GONE: provider
functions:
  a:
    handler: a.main
    environment:
      OVERRIDDEN: function
      OWN: "007"
      GONE: ~
  b:
    handler: b.main
)yaml");
  const auto& a = s.functions.at(0).environment;
  CHECK(a.at("SHARED") == "provider");
  CHECK(a.at("OVERRIDDEN") == "function");
  CHECK(a.at("COUNT") == "42");
  CHECK(a.at("RATIO") == "1.5");
  CHECK(a.at("DEBUG") == "true");
  CHECK(a.at("LOUD") == "false");
  CHECK(a.at("OWN") == "007");
  CHECK(a.count("GONE") == 0);
  const auto& b = s.functions.at(1).environment;
  CHECK(b.at("OVERRIDDEN") == "provider");
  CHECK(b.at("GONE") == "provider");
  CHECK(b.count("OWN") == 0);
}

TEST_CASE("manifest: CloudFormation values in environment are kept for AWS, unset locally",
          "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
  environment:
    TABLE: !Ref UsersTable
    QUEUE:
      Fn::GetAtt: [Queue, Arn]
    PLAIN: x
functions:
  hello:
    handler: handler.main
)yaml");
  const auto& env = s.functions.at(0).environment;
  CHECK(env.size() == 1);
  CHECK(env.at("PLAIN") == "x");
  CHECK(count_containing(s.warnings, "provider.environment.TABLE: a CloudFormation value") == 1);
  CHECK(count_containing(s.warnings, "provider.environment.QUEUE: a CloudFormation value") == 1);
}

TEST_CASE("manifest: http events", "[manifest][events]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  hello:
    handler: handler.main
    events:
      - http: 'get hello'
      - http: POST /items/{id}
      - http:
          path: users/{proxy+}
          method: '*'
          cors: true
          private: true
      - http:
          path: /c
          method: put
          cors:
            origin: '*'
)yaml");
  const auto& events = s.functions.at(0).events;
  auto e = [&](std::size_t i) -> const HttpEvent& { return std::get<HttpEvent>(events.at(i)); };
  REQUIRE(events.size() == 4);
  CHECK(event_type(events[0]) == "http");
  CHECK(e(0).method == "GET");
  CHECK(e(0).path == "/hello");
  CHECK_FALSE(e(0).cors);
  CHECK(e(0).config_json == R"("get hello")");
  CHECK(e(0).mark.line == 8);
  CHECK(e(0).mark.col == 9);
  CHECK(e(1).method == "POST");
  CHECK(e(1).path == "/items/{id}");
  CHECK(e(2).method == "ANY");
  CHECK(e(2).path == "/users/{proxy+}");
  CHECK(e(2).cors);
  CHECK(e(2).is_private);
  CHECK(nlohmann::json::parse(e(2).config_json) ==
        nlohmann::json{
            {"path", "users/{proxy+}"}, {"method", "*"}, {"cors", true}, {"private", true}});
  CHECK(e(3).method == "PUT");
  CHECK(e(3).cors);
  CHECK(s.warnings.empty());
}

TEST_CASE("manifest: httpApi events", "[manifest][events]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: nodejs20.x
  httpApi:
    payload: '1.0'
    cors: true
functions:
  hello:
    handler: handler.main
    events:
      - httpApi: '*'
      - httpApi: 'PATCH /elo'
      - httpApi:
          method: delete
          path: items/{id}
      - httpApi:
          path: /any
)yaml");
  CHECK(s.http_api_payload == "1.0");
  const auto& events = s.functions.at(0).events;
  auto e = [&](std::size_t i) -> const HttpEvent& { return std::get<HttpEvent>(events.at(i)); };
  REQUIRE(events.size() == 4);
  CHECK(event_type(events[0]) == "httpApi");
  CHECK(e(0).method == "ANY");
  CHECK(e(0).path == "*");
  CHECK(e(1).method == "PATCH");
  CHECK(e(1).path == "/elo");
  CHECK(e(2).method == "DELETE");
  CHECK(e(2).path == "/items/{id}");
  CHECK(e(3).method == "ANY");
  CHECK(e(3).path == "/any");
}

TEST_CASE("manifest: schedule events; a list of rates gives one event each", "[manifest][events]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  tick:
    handler: tick.main
    events:
      - schedule: rate(5 minutes)
      - schedule:
          rate: cron(0 12 * * ? *)
          enabled: false
          input:
            key: 1
      - schedule:
          rate:
            - rate(1 hour)
            - cron(0 0 * * ? *)
)yaml");
  const auto& events = s.functions.at(0).events;
  auto e = [&](std::size_t i) -> const ScheduleEvent& {
    return std::get<ScheduleEvent>(events.at(i));
  };
  REQUIRE(events.size() == 4);
  CHECK(event_type(events[0]) == "schedule");
  CHECK(e(0).expression == "rate(5 minutes)");
  CHECK(e(0).enabled);
  CHECK(e(1).expression == "cron(0 12 * * ? *)");
  CHECK_FALSE(e(1).enabled);
  CHECK(nlohmann::json::parse(e(1).config_json)["input"] == nlohmann::json{{"key", 1}});
  CHECK(e(2).expression == "rate(1 hour)");
  CHECK(e(3).expression == "cron(0 0 * * ? *)");
  CHECK(e(2).config_json == e(3).config_json);
}

TEST_CASE("manifest: sqs events", "[manifest][events]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  worker:
    handler: worker.main
    events:
      - sqs: arn:aws:sqs:us-east-1:000000000000:jobs
      - sqs:
          arn: orders
          batchSize: 5
      - sqs:
          arn:
            Fn::GetAtt: [MailQueue, Arn]
)yaml");
  const auto& events = s.functions.at(0).events;
  auto e = [&](std::size_t i) -> const SqsEvent& { return std::get<SqsEvent>(events.at(i)); };
  REQUIRE(events.size() == 3);
  CHECK(event_type(events[0]) == "sqs");
  CHECK(e(0).queue == "arn:aws:sqs:us-east-1:000000000000:jobs");
  CHECK(e(0).batch_size == 10);
  CHECK(e(1).queue == "orders");
  CHECK(e(1).batch_size == 5);
  CHECK(e(2).queue == "MailQueue");
}

TEST_CASE("manifest: events that run only on AWS are kept, and named once at deploy",
          "[manifest][events]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  thumbs:
    handler: thumbs.main
    events:
      - s3:
          bucket: ${ssm:/buckets/photos}
          event: s3:ObjectCreated:*
)yaml");
  const auto& events = s.functions.at(0).events;
  auto e = [&](std::size_t i) -> const OtherEvent& { return std::get<OtherEvent>(events.at(i)); };
  REQUIRE(events.size() == 1);
  CHECK(event_type(events[0]) == "s3");
  CHECK(nlohmann::json::parse(e(0).config_json)["event"] == "s3:ObjectCreated:*");
  // Not on every command that loads the manifest: `fx deploy` to the emulator says it.
  CHECK(s.warnings.empty());
  const auto notes = fx::manifest::local_event_notes(s);
  REQUIRE(notes.size() == 1);
  CHECK_THAT(notes[0], Contains("serverless.yaml:8:9: 's3' events of function thumbs run only on "
                                "AWS; fx's local S3 buckets send no object notifications"));
}

TEST_CASE("manifest: custom.fx is kept as JSON; its target is read", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
custom:
  other: ignored
  fx:
    target: http://emulator.example:9000
    minimize: false
    idleTimeout: 30
functions:
  hello:
    handler: handler.main
)yaml");
  CHECK(s.target == "http://emulator.example:9000");
  CHECK(nlohmann::json::parse(s.custom_fx_json) ==
        nlohmann::json{
            {"target", "http://emulator.example:9000"}, {"minimize", false}, {"idleTimeout", 30}});
}

TEST_CASE("manifest: package patterns, include and exclude, artifacts", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
package:
  individually: true
  excludeDevDependencies: false
  artifact: build/all.zip
  include:
    - tests/fixtures/**
  patterns:
    - '!docs/**'
    - docs/keep.md
  exclude:
    - tests/**
functions:
  a:
    handler: a.main
    package:
      patterns:
        - data/**
      exclude:
        - data/big/**
      artifact: build/a.zip
  b:
    handler: b.main
)yaml");
  CHECK(s.package_individually);
  CHECK_FALSE(s.exclude_dev_dependencies);
  CHECK(s.package_patterns ==
        std::vector<std::string>{"!docs/**", "docs/keep.md", "!tests/**", "tests/fixtures/**"});
  CHECK(s.functions.at(0).package_patterns == std::vector<std::string>{"data/**", "!data/big/**"});
  CHECK(s.functions.at(0).package_artifact == "build/a.zip");
  CHECK(s.functions.at(1).package_patterns.empty());
  CHECK(s.functions.at(1).package_artifact == "build/all.zip");
}

TEST_CASE("manifest: unknown keys warn once each, naming the place", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
frameworkVersion: '3'
org: acme
provider:
  name: aws
  runtime: python3.12
  deploymentBucket: my-bucket
  logRetentionInDays: 14
  iam:
    role:
      statements: []
  colour: blue
functions:
  hello:
    handler: handler.main
    timout: 10
    layers: [arn:aws:lambda:us-east-1:1:layer:x:1]
resources:
  Resources: {}
plugins:
  - serverless-offline
  - serverless-domain-manager
extra: 1
)yaml");
  const auto& w = s.warnings;
  CHECK(w.size() == 6);
  CHECK(count_containing(w, "serverless.yaml:12:3: unknown key 'provider.colour'; ignored") == 1);
  CHECK(count_containing(
            w, "serverless.yaml:16:5: unknown key 'functions.hello.timout'; ignored") == 1);
  CHECK(count_containing(w, "serverless.yaml:23:1: unknown key 'extra'; ignored") == 1);
  CHECK(count_containing(w, "serverless.yaml:9:3: 'provider.iam' is kept for AWS deploys") == 1);
  CHECK(count_containing(w, "serverless.yaml:18:1: 'resources' is kept for AWS deploys") == 1);
  CHECK(count_containing(w, "plugin 'serverless-domain-manager' is kept for AWS deploys") == 1);
  CHECK(count_containing(w, "serverless-offline") == 0);
  CHECK(count_containing(w, "deploymentBucket") == 0);
}

TEST_CASE("manifest: configValidationMode off silences unknown keys", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
configValidationMode: off
provider:
  runtime: python3.12
  colour: blue
functions:
  hello:
    handler: handler.main
)yaml");
  CHECK(s.warnings.empty());
}

TEST_CASE("manifest: provided runtimes take any handler, or none", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: provided.al2023
functions:
  bare: {}
  named:
    handler: bootstrap
)yaml");
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[0].handler.empty());
  CHECK(s.functions[1].handler == "bootstrap");
}

TEST_CASE("manifest: functions may be a list of maps", "[manifest]") {
  TempService t;
  t.write("more.yml", "b:\n  handler: b.main\n");
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
functions:
  - a:
      handler: a.main
  - ${file(./more.yml)}
)yaml");
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[0].key == "a");
  CHECK(s.functions[1].key == "b");
  CHECK(s.functions[1].handler == "b.main");
}

TEST_CASE("manifest: YAML merge keys", "[manifest]") {
  TempService t;
  const Service s = t.load(R"yaml(service: shop
provider:
  runtime: python3.12
x-defaults: &defaults
  handler: handler.main
  memorySize: 256
functions:
  a:
    <<: *defaults
    memorySize: 512
  b: *defaults
)yaml");
  REQUIRE(s.functions.size() == 2);
  CHECK(s.functions[0].handler == "handler.main");
  CHECK(s.functions[0].memory_mb == 512);
  CHECK(s.functions[1].memory_mb == 256);
  CHECK(s.warnings.size() == 1);  // x-defaults
}

TEST_CASE("manifest: find_function by key or deployed name", "[manifest]") {
  TempService t;
  const Service s = t.load(kMinimal);
  REQUIRE(s.find_function("hello") != nullptr);
  CHECK(s.find_function("shop-dev-hello") == s.find_function("hello"));
  CHECK(s.find_function("nope") == nullptr);
  CHECK(fx::manifest::SourceMark{"f.yaml", 0, 0}.str() == "f.yaml");
  CHECK(fx::manifest::SourceMark{"f.yaml", 7, 14}.str() == "f.yaml:7:14");
}

// Found by the corpus of public projects (tests/corpus/): each passed the Serverless
// Framework and stopped fx.
TEST_CASE("manifest: an sqs event's !GetAtt names the queue resource's QueueName",
          "[manifest][events][corpus]") {
  TempService t;
  const Service s = t.load(R"yaml(service: bus
provider:
  runtime: python3.12
functions:
  worker:
    handler: worker.main
    events:
      - sqs:
          arn: !GetAtt InboundQueue.Arn
      - sqs: {arn: {'Fn::GetAtt': [Unnamed, Arn]}}
resources:
  Resources:
    InboundQueue:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: inbound-queue-dev
    Unnamed:
      Type: AWS::SQS::Queue
)yaml");
  const auto& events = s.functions.at(0).events;
  REQUIRE(events.size() == 2);
  CHECK(std::get<SqsEvent>(events[0]).queue == "inbound-queue-dev");
  CHECK(std::get<SqsEvent>(events[1]).queue == "Unnamed");
  // The queues are made locally, so `resources` is not "kept for AWS deploys".
  for (const auto& w : s.warnings) CHECK_THAT(w, !Contains("kept for AWS deploys"));
}

TEST_CASE(
    "manifest: an environment value in any short-form CloudFormation function is kept "
    "for AWS",
    "[manifest][corpus]") {
  TempService t;
  const Service s = t.load(R"yaml(service: spa
provider:
  runtime: nodejs20.x
  environment:
    APP_DOMAIN: !Join ['', ['https://', !GetAtt Dist.DomainName]]
    PLAIN: x
functions:
  hello:
    handler: handler.hello
)yaml");
  const auto& env = s.functions.at(0).environment;
  CHECK(env.count("APP_DOMAIN") == 0);  // unset locally, as a !Ref value is
  CHECK(env.at("PLAIN") == "x");
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Contains("provider.environment.APP_DOMAIN: a CloudFormation value"));
}

TEST_CASE("manifest: package.include given as one string is one glob, with a warning",
          "[manifest][corpus]") {
  TempService t;
  const Service s = t.load(R"yaml(service: pkg
provider:
  runtime: python3.12
functions:
  hello:
    handler: functions/hello/handler.main
    package:
      include: functions/hello/*
)yaml");
  REQUIRE(s.functions.at(0).package_patterns.size() == 1);
  CHECK(s.functions.at(0).package_patterns[0] == "functions/hello/*");
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Contains("expected a list of globs, got one string"));
}

TEST_CASE(
    "manifest: a function without a runtime gets the framework's default, with a warning "
    "that also names a misspelt key",
    "[manifest][corpus]") {
  TempService t;
  const Service s = t.load(R"yaml(service: caps
provider:
  name: aws
  Runtime: nodejs20.x
functions:
  logEvent:
    handler: handler.log
)yaml");
  CHECK(s.functions.at(0).runtime == "nodejs20.x");
  REQUIRE(s.warnings.size() == 2);
  CHECK_THAT(s.warnings[0], Contains("unknown key 'provider.Runtime'"));
  CHECK_THAT(s.warnings[1], Contains("no runtime") && Contains("Serverless Framework's default"));
}
