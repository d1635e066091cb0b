// cron() and rate() schedule expressions (core/events/schedule.h): the input is the expression.
// A parse either succeeds or throws ScheduleParseError with a column inside the text; a parsed
// schedule then yields fire times that are strictly later than asked, on whole minutes for a
// cron, on the anchor's grid for a rate, with nothing skipped in between.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/events/schedule.h"
#include "tests/fuzz/fuzz_common.h"

using fx::events::Schedule;
using fx::fuzz::fail;

namespace {

constexpr std::int64_t kMinuteMs = 60'000;

// Times to ask from: the epoch and around it, now-ish, the ends of the cron year range, and the
// ends of int64 (a rate's arithmetic must not overflow there).
constexpr std::int64_t kTimes[] = {
    0,
    -1,
    1,
    59'999,
    1'795'773'600'000,    // 2026-11-27 10:00 UTC
    1'709'164'800'000,    // 2024-02-29 00:00 UTC
    7'258'118'399'999,    // 2199-12-31 23:59:59.999 UTC, the last cron instant
    -62'135'596'800'000,  // year 1
    std::numeric_limits<std::int64_t>::min(),
    std::numeric_limits<std::int64_t>::max(),
};

void check_rate(const Schedule& s, std::int64_t after) {
  auto next = s.next_after(after);
  if (!next) {
    // Only when the next grid point is past int64.
    if (static_cast<__int128>(after) + s.period_ms() <= std::numeric_limits<std::int64_t>::max())
      fail("a rate schedule has no next fire time", s.expression());
    return;
  }
  if (*next <= after) fail("next_after is not after the time asked", s.expression());
  if (static_cast<__int128>(*next) - after > s.period_ms())
    fail("a rate schedule skipped a period", s.expression());
  if ((static_cast<__int128>(*next) - s.anchor_ms()) % s.period_ms() != 0)
    fail("a rate schedule fired off its anchor's grid", s.expression());
}

void check_cron(const Schedule& s, std::int64_t after) {
  std::int64_t t = after;
  for (int i = 0; i < 4; ++i) {
    auto next = s.next_after(t);
    if (!next) return;
    if (*next <= t) fail("next_after is not after the time asked", s.expression());
    if (*next % kMinuteMs != 0) fail("a cron fired off a whole minute", s.expression());
    // Nothing in between: asking from just before the answer gives the answer again.
    if (s.next_after(*next - 1) != next)
      fail("next_after(next - 1) is not next", fmt::format("{} at {}", s.expression(), *next));
    t = *next;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<Schedule> schedule;
  try {
    schedule = Schedule::parse(text);
  } catch (const fx::ScheduleParseError& e) {
    if (e.column() > text.size())
      fail("the error's column is past the expression", fmt::format("{} > {}", e.column(), size));
    if (e.problem().empty()) fail("a parse error without a problem");
    fx::fuzz::check_user_text(e.what(), text);
    return 0;
  }
  if (schedule->is_rate() != (schedule->period_ms() > 0))
    fail("a rate without a period, or a cron with one", schedule->expression());
  for (std::int64_t after : kTimes) {
    if (schedule->is_rate()) {
      check_rate(*schedule, after);
      check_rate(schedule->with_anchor(after / 3), after);
      check_rate(schedule->with_anchor(std::numeric_limits<std::int64_t>::max()), after);
    } else {
      check_cron(*schedule, after);
    }
  }
  return 0;
}
