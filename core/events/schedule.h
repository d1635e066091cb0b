// Schedule expressions as AWS EventBridge (and the Serverless Framework's `schedule` event)
// accept them: "rate(5 minutes)" and "cron(0 12 * * ? *)". The emulator parses a function's
// schedule once and asks for the next fire time whenever it re-arms its timer.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/error.h"

namespace fx::events {

// What is wrong with an expression, and where: `column` is the 0-based offset into the
// expression text of the offending token.
struct ScheduleError {
  std::string message;
  std::size_t column = 0;
};

}  // namespace fx::events

namespace fx {

// Thrown by Schedule::parse. what() names the problem, quotes the expression and marks the
// column; hint() lists the accepted forms.
class ScheduleParseError : public Error {
 public:
  ScheduleParseError(std::string_view expression, events::ScheduleError error);

  // 0-based offset into the expression text of the offending token.
  std::size_t column() const { return error_.column; }
  // The problem alone, without the expression or the column.
  const std::string& problem() const { return error_.message; }

 private:
  events::ScheduleError error_;
};

}  // namespace fx

namespace fx::events {

class Schedule {
 public:
  // Parses "rate(VALUE UNIT)" or "cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)".
  // Throws fx::ScheduleParseError on anything EventBridge would reject.
  static Schedule parse(std::string_view expression);

  // The first fire time strictly after `after_epoch_ms` (UTC, ms since the epoch), or nullopt
  // when there is none (a cron whose years are all past, or one naming "30 Feb").
  std::optional<std::int64_t> next_after(std::int64_t after_epoch_ms) const;

  // A rate schedule fires at anchor + k * period for every integer k. The anchor defaults to
  // the epoch, so rate(1 hour) fires on the hour; the emulator may anchor at deploy time
  // instead. Cron schedules ignore the anchor.
  Schedule with_anchor(std::int64_t epoch_ms) const;

  const std::string& expression() const { return expression_; }
  bool is_rate() const { return is_rate_; }
  // The rate's period in ms; 0 for a cron schedule.
  std::int64_t period_ms() const { return period_ms_; }
  std::int64_t anchor_ms() const { return anchor_ms_; }

  // The cron year field's bounds, which also bound the search in next_after.
  static constexpr int kMinYear = 1970;
  static constexpr int kMaxYear = 2199;

 private:
  // How the day of a month is chosen. Exactly one of day-of-month and day-of-week is `?`, so
  // a cron uses one rule.
  enum class DayRule {
    month_days,       // day-of-month values: days_of_month_
    last_day,         // day-of-month L
    last_weekday,     // day-of-month LW
    nearest_weekday,  // day-of-month nW: the weekday nearest day_number_
    week_days,        // day-of-week values: days_of_week_
    last_of_week,     // day-of-week nL: the last weekday_ of the month
    nth_of_week,      // day-of-week n#k: the day_number_-th weekday_ of the month
  };

  Schedule() = default;
  // The days of `month` in `year` this cron fires on; bit d is day d.
  std::bitset<32> days_in(int year, int month) const;

  std::string expression_;
  bool is_rate_ = false;
  std::int64_t period_ms_ = 0;
  std::int64_t anchor_ms_ = 0;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;               // bit d is day d; bit 0 unused
  std::bitset<13> months_;                      // bit m is month m; bit 0 unused
  std::bitset<8> days_of_week_;                 // bit w is weekday w, 1 = SUN; bit 0 unused
  std::bitset<kMaxYear - kMinYear + 1> years_;  // bit i is year kMinYear + i
  DayRule day_rule_ = DayRule::month_days;
  int day_number_ = 0;  // nW: the day; n#k: k
  int weekday_ = 0;     // nL and n#k: n

  friend class ScheduleParser;
};

}  // namespace fx::events
