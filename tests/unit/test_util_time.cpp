#include <catch2/catch.hpp>

#include "core/util/error.h"
#include "core/util/time.h"

using fx::util::parse_since;

TEST_CASE("since: accepts durations ago", "[util]") {
  const std::int64_t now = 1'800'000'000'000;
  CHECK(parse_since("30s", now) == now - 30'000);
  CHECK(parse_since("10m", now) == now - 600'000);
  CHECK(parse_since("2h", now) == now - 7'200'000);
  CHECK(parse_since("1d", now) == now - 86'400'000);
  CHECK(parse_since("1w", now) == now - 604'800'000);
}

TEST_CASE("since: accepts ISO 8601 dates and times", "[util]") {
  CHECK(parse_since("2026-11-27", 0) == 1'795'737'600'000);
  CHECK(parse_since("2026-11-27T08:00:00Z", 0) == 1'795'737'600'000 + 8 * 3'600'000);
  CHECK(parse_since("2026-11-27T08:00:00.250Z", 0) == 1'795'737'600'000 + 8 * 3'600'000 + 250);
  CHECK(parse_since("2026-11-27T09:00:00+01:00", 0) == 1'795'737'600'000 + 8 * 3'600'000);
  CHECK(parse_since("2026-11-27T08:00", 0) == 1'795'737'600'000 + 8 * 3'600'000);
}

TEST_CASE("since: that does not parse says which forms are accepted", "[util]") {
  for (const char* bad : {"", "yesterday", "10x", "2026-13-01", "2026-11-27T25:00:00Z", "m10"}) {
    INFO(bad);
    try {
      parse_since(bad, 0);
      FAIL("accepted");
    } catch (const fx::Error& e) {
      CHECK(std::string(e.hint()).find("10m") != std::string::npos);
    }
  }
}

TEST_CASE("ISO 8601 output is UTC with milliseconds", "[util]") {
  CHECK(fx::util::iso8601_ms(1'795'737'600'123) == "2026-11-27T00:00:00.123Z");
}
