// `fx info` on an fx emulator, built from the emulator's answers (its status document and
// each function's configuration) without an emulator running.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/targets/emulator_target.h"
#include "test_manifest_helpers.h"

using nlohmann::json;

namespace {

const char* kManifest = R"(service: shop
provider:
  name: aws
  runtime: python3.12
  stage: dev
functions:
  hello:
    handler: handler.hello
    events:
      - httpApi: GET /hello
      - schedule: rate(5 minutes)
  orders:
    handler: handler.orders
    events:
      - http:
          path: /orders
          method: post
  idle:
    handler: handler.idle
)";

fx::lambda::FunctionConfiguration deployed(const std::string& name) {
  fx::lambda::FunctionConfiguration c;
  c.function_name = name;
  c.runtime = "python3.12";
  c.handler = "handler.hello";
  c.last_modified = "2025-01-01T00:00:00.000+0000";
  return c;
}

}  // namespace

TEST_CASE("Emulator info: instances, the service's schedules and the gateway's routes",
          "[targets]") {
  fx::manifest::testing::TempService dir;
  auto service = dir.load(kManifest);
  fx::lambda::Endpoint endpoint{"http://127.0.0.1:4599", "us-east-1", "token", nullptr};
  json status = {{"running", true},
                 {"gateway_url", "http://127.0.0.1:3000"},
                 {"sandbox", "namespaces (user, pid, mount, ipc)"},
                 {"functions",
                  {{{"name", "shop-dev-hello"},
                    {"busy", 1},
                    {"idle", 2},
                    {"invocations", 30},
                    {"cold_starts", 3},
                    {"errors", 4},
                    {"timeouts", 5},
                    {"throttles", 6}},
                   // Not deployed as far as Lambda's API says: its counts are not shown.
                   {{"name", "shop-dev-idle"}, {"busy", 9}}}},
                 {"schedules",
                  {{{"service", "shop-dev"},
                    {"function", "shop-dev-hello"},
                    {"rule", "shop-dev-hello-schedule-1"},
                    {"expression", "rate(5 minutes)"},
                    {"enabled", true},
                    {"next", "2025-01-01T00:05:00.000Z"}},
                   {{"service", "other-dev"},
                    {"function", "other-dev-f"},
                    {"expression", "rate(1 minute)"},
                    {"enabled", true},
                    {"next", nullptr}},
                   {{"service", "shop-dev"},
                    {"function", "shop-dev-orders"},
                    {"expression", "cron(0 0 1 1 ? 2020)"},
                    {"enabled", false},
                    {"next", nullptr}}}}};
  auto info = fx::targets::emulator_info(
      service, endpoint, status.dump(),
      {deployed("shop-dev-hello"), deployed("shop-dev-orders"), std::nullopt});

  CHECK(info.region == "us-east-1");
  CHECK(info.endpoint == "http://127.0.0.1:4599");
  REQUIRE(info.functions.size() == 3);
  const auto& hello = info.functions[0];
  CHECK(hello.function == "hello");
  CHECK(hello.name == "shop-dev-hello");
  REQUIRE(hello.config);
  REQUIRE(hello.instances);
  CHECK(hello.instances->busy == 1);
  CHECK(hello.instances->idle == 2);
  CHECK(hello.instances->invocations == 30);
  CHECK(hello.instances->cold_starts == 3);
  CHECK(hello.instances->errors == 4);
  CHECK(hello.instances->timeouts == 5);
  CHECK(hello.instances->throttles == 6);
  CHECK_FALSE(hello.cloud);
  CHECK(info.functions[1].config);
  CHECK_FALSE(info.functions[1].instances);  // deployed, no instance yet
  CHECK_FALSE(info.functions[2].config);
  CHECK_FALSE(info.functions[2].instances);

  REQUIRE(info.emulator);
  CHECK(info.emulator->sandbox == "namespaces (user, pid, mount, ipc)");
  CHECK(info.emulator->gateway_url == "http://127.0.0.1:3000");
  // Only this service's schedules, each with the entry the emulator sent.
  REQUIRE(info.emulator->schedules.size() == 2);
  const auto& every5 = info.emulator->schedules[0];
  CHECK(every5.function == "shop-dev-hello");
  CHECK(every5.expression == "rate(5 minutes)");
  CHECK(every5.enabled);
  CHECK(every5.next == "2025-01-01T00:05:00.000Z");
  CHECK(json::parse(every5.raw_json) == status["schedules"][0]);
  CHECK_FALSE(info.emulator->schedules[1].enabled);
  CHECK_FALSE(info.emulator->schedules[1].next);

  // The gateway's routes: REST ones under the stage; none is a function URL.
  REQUIRE(info.routes.size() == 2);
  for (const auto& r : info.routes) CHECK_FALSE(r.function_url);
  CHECK(info.routes[0].function == "hello");
  CHECK(info.routes[0].route == "GET    http://127.0.0.1:3000/hello");
  CHECK(info.routes[1].function == "orders");
  CHECK(info.routes[1].route == "POST   http://127.0.0.1:3000/dev/orders");
}

TEST_CASE("Emulator info without a status (a remote emulator): no routes, no counts", "[targets]") {
  fx::manifest::testing::TempService dir;
  auto service = dir.load(kManifest);
  fx::lambda::Endpoint endpoint{"http://build-box:4599", "eu-west-1", "token", nullptr};
  auto info = fx::targets::emulator_info(service, endpoint, "",
                                         {deployed("shop-dev-hello"), std::nullopt, std::nullopt});
  CHECK(info.region == "eu-west-1");
  CHECK(info.endpoint == "http://build-box:4599");
  REQUIRE(info.functions.size() == 3);
  CHECK(info.functions[0].config);
  CHECK_FALSE(info.functions[0].instances);
  CHECK_FALSE(info.functions[1].config);
  REQUIRE(info.emulator);  // an emulator, which was not asked about itself
  CHECK(info.emulator->sandbox.empty());
  CHECK(info.emulator->gateway_url.empty());
  CHECK(info.emulator->schedules.empty());
  CHECK(info.routes.empty());
}
