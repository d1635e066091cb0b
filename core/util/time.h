// Wall-clock time in the forms fx prints and parses.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace fx::util {

std::int64_t now_ms();        // milliseconds since the epoch
std::int64_t monotonic_us();  // for durations: microseconds on a clock that never jumps

// The emulator's clock for schedules and retries: real time from `origin_ms` on, run `speed`
// times faster (FX_CLOCK_SPEED, so that tests need not wait minutes for Lambda's delays).
struct ScaledClock {
  std::int64_t origin_ms = util::now_ms();
  double speed = 1;  // > 0

  std::int64_t now_ms() const;
  // How long `virtual_ms` of this clock takes in real time.
  std::chrono::milliseconds real_wait(std::int64_t virtual_ms) const;
  // How much of this clock's time `real_ms` of real time is.
  std::int64_t scaled(std::int64_t real_ms) const;
};

// "2026-11-27T08:17:46.123Z"
std::string iso8601_ms(std::int64_t epoch_ms);

// --since: "10m", "2h", "30s", "1d", "1w" (ago from now_ms), or an ISO 8601 date/time
// ("2026-11-27", "2026-11-27T08:00:00Z", "...T08:00:00.5+01:00"). Throws a usage error (a flag's
// value) saying which forms are accepted.
std::int64_t parse_since(std::string_view text, std::int64_t now);

}  // namespace fx::util
