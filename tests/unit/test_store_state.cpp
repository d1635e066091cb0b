// The emulator's deployed state in the store: functions, layer versions, services' event
// documents and the queue of asynchronous invocations, each read back after the store is
// closed and opened again, as after a restart.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/store/store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using fx::store::AsyncInvocation;
using fx::store::Store;

using fx::test::TempDir;

TEST_CASE("store: functions come back by name after a restart", "[store][state]") {
  TempDir dir;
  {
    Store db(dir.path / "state.db");
    db.put_function({"zeta", R"({"Timeout":3})", "11", 100});
    db.put_function({"alpha", "{}", "22", 200});
    db.put_function({"zeta", R"({"Timeout":9})", "33", 300});
    db.delete_function("nobody");  // deleting what is not there is no error
  }
  Store db(dir.path / "state.db");
  auto all = db.functions();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "alpha");
  CHECK(all[1].name == "zeta");
  CHECK(all[1].config_json == R"({"Timeout":9})");
  CHECK(all[1].code_sha256_hex == "33");
  CHECK(all[1].updated_ms == 300);
}

TEST_CASE("store: layer versions are kept apart and replaced whole", "[store][state]") {
  TempDir dir;
  Store db(dir.path / "state.db");
  db.put_layer({"common", 2, R"({"Version":2})", "bb"});
  db.put_layer({"common", 1, R"({"Version":1})", "aa"});
  db.put_layer({"alpha", 1, "{}", "cc"});
  db.put_layer({"common", 2, R"({"Version":2,"Description":"again"})", "dd"});
  auto layers = db.layers();
  REQUIRE(layers.size() == 3);
  CHECK(layers[0].name == "alpha");
  CHECK(layers[1].name == "common");
  CHECK(layers[1].version == 1);
  CHECK(layers[2].version == 2);
  CHECK(layers[2].json == R"({"Version":2,"Description":"again"})");
  CHECK(layers[2].code_sha256_hex == "dd");
}

TEST_CASE("store: a service's event document is replaced on redeploy and deleted on remove",
          "[store][state]") {
  TempDir dir;
  {
    Store db(dir.path / "state.db");
    db.put_service("shop", R"({"schedules":[]})");
    db.put_service("blog", "{}");
    db.put_service("shop", R"({"schedules":[1]})");
  }
  Store db(dir.path / "state.db");
  using Services = std::vector<std::pair<std::string, std::string>>;
  CHECK(db.services() == Services{{"blog", "{}"}, {"shop", R"({"schedules":[1]})"}});
  db.delete_service("blog");
  db.delete_service("nobody");
  CHECK(db.services() == Services{{"shop", R"({"schedules":[1]})"}});
}

TEST_CASE("store: asynchronous invocations wait in order, across restarts", "[store][state]") {
  TempDir dir;
  std::int64_t first = 0, second = 0;
  {
    Store db(dir.path / "state.db");
    first = db.add_async({0, "req-a", "f", R"({"n":1})", 0, 1000, 900});
    second = db.add_async({0, "req-b", "g", R"({"n":2})", 0, 1000, 950});
    CHECK(second > first);
    // A failed attempt: counted, and put off until its retry.
    db.update_async(first, 1, 61'000);
  }
  Store db(dir.path / "state.db");
  auto waiting = db.async_invocations();
  REQUIRE(waiting.size() == 2);
  CHECK(waiting[0].id == first);
  CHECK(waiting[0].request_id == "req-a");
  CHECK(waiting[0].function == "f");
  CHECK(waiting[0].payload == R"({"n":1})");
  CHECK(waiting[0].attempts == 1);
  CHECK(waiting[0].next_attempt_ms == 61'000);
  CHECK(waiting[0].created_ms == 900);
  CHECK(waiting[1].id == second);
  CHECK(waiting[1].attempts == 0);
  db.delete_async(first);
  waiting = db.async_invocations();
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].request_id == "req-b");
  // A new invocation comes after those still waiting.
  auto third = db.add_async({0, "req-c", "f", "{}", 0, 0, 0});
  CHECK(third > second);
}
