// Wall-clock time in the forms fx prints and parses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fx::util {

std::int64_t now_ms();        // milliseconds since the epoch
std::int64_t monotonic_us();  // for durations: microseconds on a clock that never jumps

// "2026-11-27T08:17:46.123Z"
std::string iso8601_ms(std::int64_t epoch_ms);

// --since: "10m", "2h", "30s", "1d", "1w" (ago from now_ms), or an ISO 8601 date/time
// ("2026-11-27", "2026-11-27T08:00:00Z", "...T08:00:00.5+01:00"). Throws a usage error (a flag's
// value) saying which forms are accepted.
std::int64_t parse_since(std::string_view text, std::int64_t now);

}  // namespace fx::util
