// Events as typed structs, and the document fx deploy sends the emulator (and the emulator
// keeps in state.db): written and read by one serialisation, and readable in the shape
// earlier versions stored.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/actions/deploy.h"
#include "core/manifest/events_json.h"
#include "core/manifest/manifest.h"
#include "tests/unit/test_manifest_helpers.h"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using fx::manifest::event_type;
using fx::manifest::HttpApi;
using fx::manifest::HttpEvent;
using fx::manifest::OtherEvent;
using fx::manifest::ScheduleEvent;
using fx::manifest::ServiceEvents;
using fx::manifest::SqsEvent;
using fx::manifest::testing::TempService;
using nlohmann::json;

namespace {

const char* kService = R"yaml(service: shop
provider:
  runtime: python3.12
  httpApi:
    payload: '1.0'
custom:
  fx:
    idleTimeout: 30
    concurrency: 7
    queues:
      jobs:
        visibilityTimeout: 5
        maxReceiveCount: 3
        deadLetterQueue: jobs-dlq
functions:
  api:
    handler: api.main
    provisionedConcurrency: 1
    logRetentionInDays: 3
    events:
      - http:
          path: users/{id}
          method: get
          cors: true
          private: true
      - httpApi: 'POST /orders'
      - s3: photos
  tick:
    handler: tick.main
    maximumRetryAttempts: 1
    destinations:
      onFailure: api
    events:
      - schedule:
          rate: [rate(5 minutes), 'cron(0 12 * * ? *)']
          enabled: false
          input: {key: 1}
      - schedule:
          rate: rate(1 hour)
          inputTransformer:
            inputPathsMap: {t: $.time}
            inputTemplate: '{"at": <t>}'
  worker:
    handler: worker.main
    events:
      - sqs:
          arn: jobs
          batchSize: 5
          maximumBatchingWindow: 2
          functionResponseType: ReportBatchItemFailures
          enabled: false
          maximumConcurrency: 3
          filterPatterns:
            - body: {type: [order]}
)yaml";

template <class T>
const T& nth(const fx::manifest::Function& f, std::size_t i) {
  return std::get<T>(f.events.at(i));
}

}  // namespace

TEST_CASE("events: each type is its own struct", "[manifest][events]") {
  TempService t;
  const auto s = t.load(kService);
  const auto& api = s.functions.at(0);
  REQUIRE(api.events.size() == 3);
  CHECK(event_type(api.events[0]) == "http");
  CHECK(nth<HttpEvent>(api, 0).api == HttpApi::rest);
  CHECK(nth<HttpEvent>(api, 0).path == "/users/{id}");
  CHECK(nth<HttpEvent>(api, 0).is_private);
  CHECK(event_type(api.events[1]) == "httpApi");
  CHECK(nth<HttpEvent>(api, 1).api == HttpApi::http);
  CHECK(nth<HttpEvent>(api, 1).method == "POST");
  CHECK(event_type(api.events[2]) == "s3");
  CHECK(nth<OtherEvent>(api, 2).config_json == R"("photos")");
  CHECK(fx::manifest::event_mark(api.events[2]).line == 27);

  const auto& tick = s.functions.at(1);
  REQUIRE(tick.events.size() == 3);
  CHECK(nth<ScheduleEvent>(tick, 0).expression == "rate(5 minutes)");
  CHECK(nth<ScheduleEvent>(tick, 1).expression == "cron(0 12 * * ? *)");
  CHECK_FALSE(nth<ScheduleEvent>(tick, 1).enabled);
  CHECK(nth<ScheduleEvent>(tick, 1).input_json == R"({"key":1})");
  CHECK(nth<ScheduleEvent>(tick, 1).rule.empty());
  CHECK(nth<ScheduleEvent>(tick, 2).input_json.empty());
  CHECK(nth<ScheduleEvent>(tick, 2).input_template == R"({"at": <t>})");

  const auto& worker = s.functions.at(2);
  const auto& sqs = nth<SqsEvent>(worker, 0);
  CHECK(sqs.queue == "jobs");
  CHECK(sqs.batch_size == 5);
  CHECK(sqs.batching_window_s == 2);
  CHECK(sqs.report_batch_item_failures);
  CHECK_FALSE(sqs.enabled);
  CHECK(sqs.max_concurrency == 3);
  CHECK(sqs.filter_patterns == std::vector<std::string>{R"({"body":{"type":["order"]}})"});

  CHECK(fx::manifest::events_of<ScheduleEvent>(tick.events).size() == 3);
  CHECK(fx::manifest::has_events<SqsEvent>(worker.events));
  CHECK_FALSE(fx::manifest::has_events<SqsEvent>(api.events));
}

TEST_CASE("events: the emulator's document round-trips", "[manifest][events]") {
  TempService t;
  const auto s = t.load(kService);
  ServiceEvents doc = fx::actions::service_events(s);
  doc.api_key = "k3y";
  doc.schedule_anchors[fx::manifest::schedule_anchor_key("shop-dev-tick-schedule-1",
                                                         "rate(5 minutes)")] = 1234;
  const std::string text = fx::manifest::to_json(doc);
  INFO(text);
  const ServiceEvents back = fx::manifest::parse_service_events(text);
  CHECK(fx::manifest::to_json(back) == text);

  CHECK(back.stage == "dev");
  CHECK(back.http_api_payload == "1.0");
  CHECK(back.api_key == "k3y");
  CHECK(back.idle_timeout_s == 30);
  CHECK(back.concurrency == 7);
  REQUIRE(back.functions.size() == 3);
  const auto& api = back.functions[0];
  CHECK(api.name == "shop-dev-api");
  CHECK(api.key == "api");
  CHECK(api.provisioned == 1);
  CHECK(api.log_retention_days == 3);
  REQUIRE(api.events.size() == 2);  // the s3 event runs only on AWS
  CHECK(std::get<HttpEvent>(api.events[0]).api == HttpApi::rest);
  CHECK(std::get<HttpEvent>(api.events[0]).cors);
  CHECK(std::get<HttpEvent>(api.events[0]).mark.line == 21);
  CHECK(std::get<HttpEvent>(api.events[0]).mark.col == 9);

  const auto& tick = back.functions[1];
  CHECK(tick.async.max_retries == 1);
  CHECK(tick.async.on_failure == "arn:aws:lambda:us-east-1:000000000000:function:shop-dev-api");
  REQUIRE(tick.events.size() == 3);
  const auto& second = std::get<ScheduleEvent>(tick.events[1]);
  CHECK(second.rule == "shop-dev-tick-schedule-2");
  CHECK(second.input_json == R"({"key":1})");
  CHECK(back.schedule_anchors.at("shop-dev-tick-schedule-1\nrate(5 minutes)") == 1234);

  const auto& sqs = std::get<SqsEvent>(back.functions[2].events.at(0));
  CHECK(sqs.batching_window_s == 2);
  CHECK(sqs.report_batch_item_failures);
  CHECK_FALSE(sqs.enabled);
  CHECK(sqs.filter_patterns == std::vector<std::string>{R"({"body":{"type":["order"]}})"});

  REQUIRE(back.queues.size() == 1);
  CHECK(back.queues[0].name == "jobs");
  CHECK(back.queues[0].visibility_timeout_s == 5);
  CHECK(back.queues[0].max_receive_count == 3);
  CHECK(back.queues[0].dead_letter_queue == "jobs-dlq");
}

// What the fx before typed events stored in state.db for kService (deployed, then read back
// from its emulator's services table): an emulator must still start on that FX_HOME.
constexpr const char* kStoredByEarlierFx =
    R"json({"api_key":"bdcff912e4c9466e940b87b5272355c8","async":{"shop-dev-tick":{"max_retries":1,"on_failure":"arn:aws:lambda:us-east-1:000000000000:function:shop-dev-api"}},"concurrency":7,"functions":["shop-dev-api","shop-dev-tick","shop-dev-worker"],"idle_timeout_s":30,"log_retention":{"shop-dev-api":3},"provisioned":{"shop-dev-api":1},"queues":[{"dead_letter_queue":"jobs-dlq","max_receive_count":3,"name":"jobs","visibility_timeout":5}],"routes":[{"col":9,"cors":true,"file":"serverless.yaml","function":"shop-dev-api","function_key":"api","line":21,"method":"GET","path":"/users/{id}","payload_version":"1.0","private":true,"type":"http"},{"col":9,"cors":false,"file":"serverless.yaml","function":"shop-dev-api","function_key":"api","line":26,"method":"POST","path":"/orders","payload_version":"1.0","private":false,"type":"httpApi"}],"schedules":[{"anchor_ms":1796617600270,"enabled":false,"expression":"rate(5 minutes)","function":"shop-dev-tick","input":{"key":1},"input_path":"","input_paths_map":{},"input_template":"","rule":"shop-dev-tick-schedule-1"},{"anchor_ms":1796617600270,"enabled":false,"expression":"cron(0 12 * * ? *)","function":"shop-dev-tick","input":{"key":1},"input_path":"","input_paths_map":{},"input_template":"","rule":"shop-dev-tick-schedule-2"},{"anchor_ms":1796617600270,"enabled":true,"expression":"rate(1 hour)","function":"shop-dev-tick","input":null,"input_path":"","input_paths_map":{"t":"$.time"},"input_template":"{\"at\": <t>}","rule":"shop-dev-tick-schedule-3"}],"sqs":[{"batch_size":5,"batching_window":2,"filter_patterns":[{"body":{"type":["order"]}}],"function":"shop-dev-worker","max_concurrency":3,"queue":"jobs","report_batch_item_failures":true}],"stage":"dev"})json";

TEST_CASE("events: a document an earlier fx stored still reads, and is written back alike",
          "[manifest][events]") {
  const ServiceEvents doc = fx::manifest::parse_service_events(kStoredByEarlierFx);
  CHECK(doc.api_key == "bdcff912e4c9466e940b87b5272355c8");
  CHECK(doc.http_api_payload == "1.0");
  REQUIRE(doc.functions.size() == 3);
  CHECK(doc.functions[0].key == "api");
  CHECK(doc.functions[1].key == "shop-dev-tick");  // only routes named keys
  REQUIRE(doc.functions[1].events.size() == 3);
  CHECK(std::get<ScheduleEvent>(doc.functions[1].events[2]).input_paths_map.at("t") == "$.time");
  CHECK(doc.schedule_anchors.at("shop-dev-tick-schedule-3\nrate(1 hour)") == 1796617600270);
  CHECK(std::get<SqsEvent>(doc.functions[2].events[0]).enabled);  // not in that shape: on
  // The same document back: the emulator stores what it applies.
  CHECK(json::parse(fx::manifest::to_json(doc)) == json::parse(kStoredByEarlierFx));

  // And what this fx sends for the same manifest is that document, but for what the manifest
  // says that the earlier one did not pass on (the sqs event's enabled: false).
  TempService t;
  auto ours = json::parse(fx::actions::service_events_json(t.load(kService)));
  auto earlier = json::parse(kStoredByEarlierFx);
  for (auto& j : {&ours, &earlier}) {
    j->erase("api_key");
    for (auto& sc : (*j)["schedules"]) sc.erase("anchor_ms");
    for (auto& rt : (*j)["routes"]) rt.erase("file");
  }
  CHECK(ours["sqs"][0]["enabled"] == false);
  ours["sqs"][0].erase("enabled");
  CHECK(ours == earlier);
}

TEST_CASE("events: documents fx deploy did not write are refused with what is wrong",
          "[manifest][events]") {
  auto error = [](const std::string& text) -> std::string {
    try {
      fx::manifest::parse_service_events(text);
    } catch (const fx::Error& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error("x") == "the service's events must be a JSON object");
  CHECK(error("[]") == "the service's events must be a JSON object");
  CHECK(error(R"({"schedules": {}})") == "the service's schedules must be a JSON array");
  CHECK(error(R"({"routes":[{"function":3}]})") ==
        "the service's events document is not one fx deploy writes: type must be string, but "
        "is number");
  CHECK_THAT(error(R"({"schedules":[1]})"),
             Contains("the service's events document is not one fx deploy writes: "));
  CHECK(error(R"({"routes":[{"function":"f","type":"websocket"}]})") ==
        "the service's events document is not one fx deploy writes: route type 'websocket' is "
        "not http or httpApi");
  // What a hand may leave out has the defaults fx always gave it.
  const auto doc = fx::manifest::parse_service_events(
      R"j({"schedules":[{"function":"f","expression":"rate(1 hour)"}],"routes":[{"function":"g"}]})j");
  REQUIRE(doc.functions.size() == 2);
  CHECK(doc.functions[0].name == "g");
  const auto& route = std::get<HttpEvent>(doc.functions[0].events.at(0));
  CHECK(route.api == HttpApi::http);
  CHECK(route.method == "ANY");
  CHECK(route.path == "/");
  CHECK(std::get<ScheduleEvent>(doc.functions[1].events.at(0)).rule == "f");
  CHECK(doc.stage == "dev");
}
