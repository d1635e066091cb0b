// What the queue store's unit tests share: a fresh database with a clock the test moves by hand,
// the SqsError a call throws, and one call of the SQS JSON API.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/queues/queue_store.h"
#include "core/queues/sqs_api.h"
#include "temp_dir.h"

namespace fx::test::queues {

constexpr std::int64_t kStart = 1'700'000'000'000;
constexpr const char* kEndpoint = "http://localhost:4566";
constexpr const char* kRegion = "us-east-1";

// A fresh database in its own directory, and a clock the test moves by hand.
struct Fixture {
  fx::test::TempDir tmp{"queues"};
  std::filesystem::path dir = tmp.path;
  std::filesystem::path path = dir / "queues.db";
  std::int64_t now = kStart;
  fx::queues::QueueStore::Clock clock() {
    return [this] { return now; };
  }
};

// The SqsError code `f` throws, or "" when it throws none.
template <class F>
std::string error_code(F&& f) {
  try {
    f();
  } catch (const fx::queues::SqsError& e) {
    return e.code();
  }
  return "";
}

// One call of the JSON API, which must answer `expected_status`; its answer parsed.
inline nlohmann::json call(fx::queues::QueueStore& store, const std::string& action,
                           const nlohmann::json& request, int expected_status = 200) {
  auto r = fx::queues::handle_sqs(store, "AmazonSQS." + action, request.dump(), kEndpoint, kRegion);
  INFO(action << " -> " << r.body);
  REQUIRE(r.status == expected_status);
  return nlohmann::json::parse(r.body);
}

}  // namespace fx::test::queues
