#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "core/events/schedule.h"
#include "core/util/error.h"

using Catch::Matchers::Contains;
using fx::events::Schedule;

namespace {

// "YYYY-MM-DD HH:MM" (UTC) to ms since the epoch; the expected times below were worked out by
// hand from a calendar, so the tests do not share the code under test's date arithmetic.
std::int64_t utc(const char* text) {
  std::tm tm{};
  const int fields = std::sscanf(text, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                 &tm.tm_hour, &tm.tm_min);
  REQUIRE(fields == 5);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

std::optional<std::int64_t> next(const char* expression, const char* after) {
  return Schedule::parse(expression).next_after(utc(after));
}

struct Rejection {
  bool thrown = false;
  std::string message;
  std::string hint;
  std::size_t column = 0;
};

Rejection reject(std::string_view expression) {
  try {
    Schedule::parse(expression);
  } catch (const fx::ScheduleParseError& e) {
    return {true, e.what(), e.hint(), e.column()};
  }
  return {};
}

// The expression is rejected at `column` (0-based) with a message containing `problem`.
void check_rejected(std::string_view expression, std::size_t column, const std::string& problem) {
  INFO(expression);
  const Rejection r = reject(expression);
  REQUIRE(r.thrown);
  CHECK(r.column == column);
  CHECK_THAT(r.message, Contains(problem));
  // what() shows the column 1-based, like fx's other file:line:column marks.
  CHECK_THAT(r.message, Contains("column " + std::to_string(column + 1)));
  CHECK_THAT(r.hint, Contains("rate(") && Contains("cron("));
}

}  // namespace

// ---- rate ----

TEST_CASE("schedule: rate(1 minute) fires on every minute, strictly after", "[schedule]") {
  const Schedule s = Schedule::parse("rate(1 minute)");
  CHECK(s.is_rate());
  CHECK(s.period_ms() == 60'000);
  CHECK(s.expression() == "rate(1 minute)");
  CHECK(s.next_after(utc("2026-03-10 12:00") + 30'000) == utc("2026-03-10 12:01"));
  CHECK(s.next_after(utc("2026-03-10 12:01")) == utc("2026-03-10 12:02"));
  CHECK(s.next_after(utc("2026-03-10 12:01") - 1) == utc("2026-03-10 12:01"));
}

TEST_CASE("schedule: rate(5 minutes) fires at anchor + k * period", "[schedule]") {
  const Schedule epoch = Schedule::parse("rate(5 minutes)");
  CHECK(epoch.period_ms() == 300'000);
  CHECK(epoch.anchor_ms() == 0);
  CHECK(epoch.next_after(utc("2026-03-10 12:03")) == utc("2026-03-10 12:05"));

  const Schedule deployed = epoch.with_anchor(utc("2026-03-10 12:03") + 20'000);
  CHECK(deployed.anchor_ms() == utc("2026-03-10 12:03") + 20'000);
  CHECK(deployed.next_after(utc("2026-03-10 12:03")) == utc("2026-03-10 12:03") + 20'000);
  CHECK(deployed.next_after(utc("2026-03-10 12:03") + 20'000) == utc("2026-03-10 12:08") + 20'000);
  CHECK(deployed.next_after(utc("2026-03-10 12:10")) == utc("2026-03-10 12:13") + 20'000);
  // Times before the anchor still land on the same grid.
  CHECK(deployed.next_after(utc("2026-03-10 11:57")) == utc("2026-03-10 11:58") + 20'000);
  // with_anchor copies; the original keeps the epoch.
  CHECK(epoch.anchor_ms() == 0);
}

TEST_CASE("schedule: rate(2 hours) and rate(1 day) fire on the epoch's grid", "[schedule]") {
  const Schedule hours = Schedule::parse("rate(2 hours)");
  CHECK(hours.period_ms() == 2 * 3'600'000);
  CHECK(hours.next_after(utc("2026-03-10 13:00")) == utc("2026-03-10 14:00"));
  CHECK(hours.next_after(utc("2026-03-10 14:00")) == utc("2026-03-10 16:00"));
  CHECK(hours.next_after(utc("2026-03-10 23:30")) == utc("2026-03-11 00:00"));

  const Schedule day = Schedule::parse("rate(1 day)");
  CHECK(day.period_ms() == 86'400'000);
  CHECK(day.next_after(utc("2026-03-10 13:00")) == utc("2026-03-11 00:00"));
  CHECK(day.next_after(utc("2026-12-31 00:00")) == utc("2027-01-01 00:00"));
  CHECK(Schedule::parse("rate(1 hour)").next_after(utc("2026-03-10 13:59")) ==
        utc("2026-03-10 14:00"));
}

TEST_CASE("schedule: rate keeps the expression and tolerates surrounding spaces", "[schedule]") {
  const Schedule s = Schedule::parse("  rate(10   minutes) ");
  CHECK(s.period_ms() == 600'000);
  CHECK(s.expression() == "  rate(10   minutes) ");
  CHECK_FALSE(Schedule::parse("cron(0 12 * * ? *)").is_rate());
  CHECK(Schedule::parse("cron(0 12 * * ? *)").period_ms() == 0);
}

// ---- cron: plain fields ----

TEST_CASE("schedule: cron(0 12 * * ? *) fires daily at noon UTC", "[schedule]") {
  CHECK(next("cron(0 12 * * ? *)", "2026-03-10 11:59") == utc("2026-03-10 12:00"));
  CHECK(next("cron(0 12 * * ? *)", "2026-03-10 12:00") == utc("2026-03-11 12:00"));
  CHECK(next("cron(0 12 * * ? *)", "2026-12-31 12:00") == utc("2027-01-01 12:00"));
}

TEST_CASE("schedule: cron(0 18 ? * MON-FRI *) skips the weekend", "[schedule]") {
  // 2026-03-10 is a Tuesday, 2026-03-13 a Friday.
  CHECK(next("cron(0 18 ? * MON-FRI *)", "2026-03-10 17:00") == utc("2026-03-10 18:00"));
  CHECK(next("cron(0 18 ? * MON-FRI *)", "2026-03-13 18:00") == utc("2026-03-16 18:00"));
  CHECK(next("cron(0 18 ? * 2-6 *)", "2026-03-13 18:00") == utc("2026-03-16 18:00"));
}

TEST_CASE("schedule: cron(0/15 * * * ? *) fires every quarter hour", "[schedule]") {
  CHECK(next("cron(0/15 * * * ? *)", "2026-03-10 12:07") == utc("2026-03-10 12:15"));
  CHECK(next("cron(0/15 * * * ? *)", "2026-03-10 12:45") == utc("2026-03-10 13:00"));
  CHECK(next("cron(*/15 * * * ? *)", "2026-03-10 23:50") == utc("2026-03-11 00:00"));
  // a/n starts at a: 1/10 is 1, 11, ..., 51.
  CHECK(next("cron(1/10 * * * ? *)", "2026-03-10 12:51") == utc("2026-03-10 13:01"));
  // a-b/n stays inside the range.
  CHECK(next("cron(10-30/10 * * * ? *)", "2026-03-10 12:30") == utc("2026-03-10 13:10"));
}

TEST_CASE("schedule: cron(0 8 1 * ? *) fires on the first of each month", "[schedule]") {
  CHECK(next("cron(0 8 1 * ? *)", "2026-01-31 09:00") == utc("2026-02-01 08:00"));
  CHECK(next("cron(0 8 1 * ? *)", "2026-12-01 08:00") == utc("2027-01-01 08:00"));
}

TEST_CASE("schedule: cron lists, wrapping ranges and day 31", "[schedule]") {
  CHECK(next("cron(0,30 9,17 * * ? *)", "2026-03-10 09:00") == utc("2026-03-10 09:30"));
  CHECK(next("cron(0,30 9,17 * * ? *)", "2026-03-10 09:30") == utc("2026-03-10 17:00"));
  // 22-2 runs past midnight: 22, 23, 0, 1, 2.
  CHECK(next("cron(0 22-2 * * ? *)", "2026-03-10 23:00") == utc("2026-03-11 00:00"));
  CHECK(next("cron(0 22-2 * * ? *)", "2026-03-11 02:00") == utc("2026-03-11 22:00"));
  // FRI-MON is Friday through Monday; 2026-03-17 is a Tuesday.
  CHECK(next("cron(0 9 ? * FRI-MON *)", "2026-03-16 09:00") == utc("2026-03-20 09:00"));
  // Day 31 skips the months that lack one.
  CHECK(next("cron(0 0 31 * ? *)", "2026-03-31 00:00") == utc("2026-05-31 00:00"));
}

TEST_CASE("schedule: month and weekday names are case-insensitive", "[schedule]") {
  CHECK(next("cron(0 9 1 jul ? *)", "2026-03-10 00:00") == utc("2026-07-01 09:00"));
  CHECK(next("cron(0 9 1 Jul ? *)", "2026-03-10 00:00") == utc("2026-07-01 09:00"));
  CHECK(next("cron(0 9 ? Jan,mar mon *)", "2026-03-10 00:00") == utc("2026-03-16 09:00"));
  CHECK(next("cron(0 9 ? JAN-MAR sat *)", "2026-03-28 09:00") == utc("2027-01-02 09:00"));
  CHECK(next("cron(0 9 LW * ? *)", "2026-03-01 00:00") ==
        next("cron(0 9 lw * ? *)", "2026-03-01 00:00"));
}

// ---- cron: L, W and # ----

TEST_CASE("schedule: cron(15 10 ? * 6L 2027) fires on the last Friday of 2027's months",
          "[schedule]") {
  CHECK(next("cron(15 10 ? * 6L 2027)", "2026-06-01 00:00") == utc("2027-01-29 10:15"));
  CHECK(next("cron(15 10 ? * 6L 2027)", "2027-01-29 10:15") == utc("2027-02-26 10:15"));
  CHECK(next("cron(15 10 ? * 6L 2027)", "2027-12-01 00:00") == utc("2027-12-31 10:15"));
  CHECK(next("cron(15 10 ? * 6L 2027)", "2027-12-31 10:15") == std::nullopt);
  CHECK(next("cron(15 10 ? * FRIL 2027)", "2026-06-01 00:00") == utc("2027-01-29 10:15"));
}

TEST_CASE("schedule: L alone in day-of-week is Saturday", "[schedule]") {
  // 2026-03-10 is a Tuesday.
  CHECK(next("cron(0 0 ? * L *)", "2026-03-10 00:00") == utc("2026-03-14 00:00"));
}

TEST_CASE("schedule: cron(0 0 L * ? *) fires on the last day of the month", "[schedule]") {
  CHECK(next("cron(0 0 L * ? *)", "2028-02-01 00:00") == utc("2028-02-29 00:00"));
  CHECK(next("cron(0 0 L * ? *)", "2027-02-01 00:00") == utc("2027-02-28 00:00"));
  CHECK(next("cron(0 0 L * ? *)", "2028-02-29 00:00") == utc("2028-03-31 00:00"));
  CHECK(next("cron(0 0 L * ? *)", "2026-04-01 00:00") == utc("2026-04-30 00:00"));
}

TEST_CASE("schedule: cron(0 9 15W * ? *) moves to the nearest weekday", "[schedule]") {
  // 2026-08-15 is a Saturday: the Friday before.
  CHECK(next("cron(0 9 15W * ? *)", "2026-08-01 00:00") == utc("2026-08-14 09:00"));
  // 2026-03-15 is a Sunday: the Monday after.
  CHECK(next("cron(0 9 15W * ? *)", "2026-03-01 00:00") == utc("2026-03-16 09:00"));
  // 2026-04-15 is a Wednesday: the day itself.
  CHECK(next("cron(0 9 15W * ? *)", "2026-04-01 00:00") == utc("2026-04-15 09:00"));
}

TEST_CASE("schedule: nW does not leave the month", "[schedule]") {
  // 2026-08-01 is a Saturday: Monday the 3rd, not Friday 31 July.
  CHECK(next("cron(0 9 1W * ? *)", "2026-07-20 00:00") == utc("2026-08-03 09:00"));
  // 2026-03-01 is a Sunday: Monday the 2nd.
  CHECK(next("cron(0 9 1W * ? *)", "2026-02-20 00:00") == utc("2026-03-02 09:00"));
  // 2026-05-31 is a Sunday: Friday the 29th, not Monday 1 June. April has no 31st.
  CHECK(next("cron(0 9 31W * ? *)", "2026-04-01 00:00") == utc("2026-05-29 09:00"));
}

TEST_CASE("schedule: cron(0 9 LW * ? *) fires on the last weekday", "[schedule]") {
  // 2026-01-31 is a Saturday, 2026-05-31 a Sunday, 2026-03-31 a Tuesday.
  CHECK(next("cron(0 9 LW * ? *)", "2026-01-01 00:00") == utc("2026-01-30 09:00"));
  CHECK(next("cron(0 9 LW * ? *)", "2026-05-01 00:00") == utc("2026-05-29 09:00"));
  CHECK(next("cron(0 9 LW * ? *)", "2026-03-01 00:00") == utc("2026-03-31 09:00"));
}

TEST_CASE("schedule: cron(0 10 ? * 6#3 *) fires on the third Friday", "[schedule]") {
  CHECK(next("cron(0 10 ? * 6#3 *)", "2026-03-01 00:00") == utc("2026-03-20 10:00"));
  CHECK(next("cron(0 10 ? * 6#3 *)", "2026-03-20 10:00") == utc("2026-04-17 10:00"));
  CHECK(next("cron(0 10 ? * FRI#3 *)", "2026-03-01 00:00") == utc("2026-03-20 10:00"));
  // Only some months have a fifth Friday: after 30 January 2026, the next is 29 May.
  CHECK(next("cron(0 10 ? * 6#5 *)", "2026-01-30 10:00") == utc("2026-05-29 10:00"));
}

// ---- cron: years and dates that never come ----

TEST_CASE("schedule: cron(0 0 29 2 ? *) fires only in leap years", "[schedule]") {
  CHECK(next("cron(0 0 29 2 ? *)", "2026-01-01 00:00") == utc("2028-02-29 00:00"));
  CHECK(next("cron(0 0 29 2 ? *)", "2028-02-29 00:00") == utc("2032-02-29 00:00"));
  // 2100 is not a leap year.
  CHECK(next("cron(0 0 29 2 ? *)", "2096-03-01 00:00") == utc("2104-02-29 00:00"));
}

TEST_CASE("schedule: a cron that never fires returns nullopt quickly", "[schedule]") {
  const auto start = std::chrono::steady_clock::now();
  CHECK(next("cron(0 0 30 2 ? *)", "2026-01-01 00:00") == std::nullopt);
  CHECK(next("cron(0 0 31 4,6,9,11 ? *)", "1970-01-01 00:00") == std::nullopt);
  CHECK(next("cron(0 0 ? 2 2#5 2027)", "2026-01-01 00:00") == std::nullopt);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("schedule: the year field bounds the fire times", "[schedule]") {
  CHECK(next("cron(0 0 1 1 ? 2030-2032)", "2026-03-10 00:00") == utc("2030-01-01 00:00"));
  CHECK(next("cron(0 0 1 1 ? 2030-2032)", "2031-01-01 00:00") == utc("2032-01-01 00:00"));
  CHECK(next("cron(0 0 1 1 ? 2030-2032)", "2032-01-01 00:00") == std::nullopt);
  CHECK(next("cron(0 0 1 1 ? 2030/5)", "2030-01-01 00:00") == utc("2035-01-01 00:00"));
  CHECK(next("cron(0 0 1 1 ? 2020,2040)", "2026-03-10 00:00") == utc("2040-01-01 00:00"));
  CHECK(next("cron(0 0 1 1 ? 2020)", "2026-03-10 00:00") == std::nullopt);
  CHECK(next("cron(0 0 1 1 ? *)", "2199-01-01 00:00") == std::nullopt);
  CHECK(next("cron(59 23 31 12 ? *)", "2199-12-31 23:58") == utc("2199-12-31 23:59"));
  // Before 1970 the search starts at the first allowed year.
  CHECK(next("cron(0 0 1 1 ? *)", "1969-06-01 00:00") == 0);
}

// ---- errors ----

TEST_CASE("schedule: garbage says which forms are accepted", "[schedule]") {
  check_rejected("every 5 minutes", 0, "expected rate(VALUE UNIT) or cron(");
  check_rejected("  every 5 minutes", 2, "\"every 5 minutes\" is not a schedule expression");
  check_rejected("", 0, "empty");
  check_rejected("rate 5 minutes", 4, "expected '(' after rate");
  check_rejected("rate(5 minutes", 14, "expected ')'");
  check_rejected("cron(0 (12) * * ? *)", 7, "parenthesis");
}

TEST_CASE("schedule: rate errors name the value or unit", "[schedule]") {
  check_rejected("rate(1 minutes)", 7, "singular unit \"minute\"");
  check_rejected("rate(1 days)", 7, "singular unit \"day\"");
  check_rejected("rate(5 hour)", 7, "plural unit \"hours\"");
  // AWS refuses them too: the message says so, and what to write.
  check_rejected("rate(1 minutes)", 7,
                 "EventBridge refuses rate(1 minutes) and the deploy to AWS fails on it; write "
                 "rate(1 minute)");
  check_rejected("rate(5 minute)", 7,
                 "EventBridge refuses rate(5 minute) and the deploy to AWS fails on it; write "
                 "rate(5 minutes)");
  check_rejected("rate(0 minutes)", 5, "must be positive");
  check_rejected("rate(-5 minutes)", 5, "not a whole number");
  check_rejected("rate(1.5 hours)", 5, "not a whole number");
  check_rejected("rate(5 fortnights)", 7, "unknown rate unit \"fortnights\"");
  check_rejected("rate(5 Minutes)", 7, "unknown rate unit");
  check_rejected("rate(5)", 6, "no unit");
  check_rejected("rate()", 5, "needs a value and a unit");
  check_rejected("rate(5 minutes now)", 15, "unexpected \"now\"");
  check_rejected("rate(99999999999999999999 minutes)", 5, "too large");
}

TEST_CASE("schedule: cron needs exactly six fields", "[schedule]") {
  check_rejected("cron(0 12 * * ?)", 15, "6 fields");
  check_rejected("cron(0 12 * * ?)", 15, "got 5");
  check_rejected("cron(0 12 * * ? * 1)", 18, "got 7");
  check_rejected("cron()", 5, "got 0");
}

TEST_CASE("schedule: exactly one day field must be ?", "[schedule]") {
  check_rejected("cron(0 12 * * * *)", 14, "can't both be set");
  check_rejected("cron(0 12 1 * MON *)", 14, "put ? in one of them");
  check_rejected("cron(0 12 ? * ? *)", 14, "can't both be ?");
  check_rejected("cron(0 ? * * ? *)", 7, "? is only allowed");
  check_rejected("cron(0 12 1,? * ? *)", 12, "? is only allowed");
}

TEST_CASE("schedule: out-of-range values point at the value", "[schedule]") {
  check_rejected("cron(61 12 * * ? *)", 5, "minutes value 61 is out of range 0-59");
  check_rejected("cron(0 24 * * ? *)", 7, "hours value 24 is out of range 0-23");
  check_rejected("cron(0 10-61 * * ? *)", 10, "hours value 61");
  check_rejected("cron(0 12 0 * ? *)", 10, "day-of-month value 0 is out of range 1-31");
  check_rejected("cron(0 12 32 * ? *)", 10, "day-of-month value 32");
  check_rejected("cron(0 12 * 13 ? *)", 12, "month value 13 is out of range 1-12 or JAN-DEC");
  check_rejected("cron(0 12 ? * 8 *)", 14, "day-of-week value 8 is out of range 1-7 or SUN-SAT");
  check_rejected("cron(0 12 ? * 0 *)", 14, "day-of-week value 0");
  check_rejected("cron(0 12 * * ? 2200)", 16, "year value 2200 is out of range 1970-2199");
  check_rejected("cron(0 12 * * ? 1969)", 16, "year value 1969");
  check_rejected("cron(0 12 * * ? 2030-2020)", 16, "runs backwards");
  check_rejected("cron(0/0 12 * * ? *)", 7, "step 0 is out of range 1-60");
  check_rejected("cron(0/x 12 * * ? *)", 7, "must be a whole number");
  check_rejected("cron(0,,5 12 * * ? *)", 7, "empty value");
}

TEST_CASE("schedule: bad names point at the name", "[schedule]") {
  check_rejected("cron(0 12 * JNU ? *)", 12, "\"JNU\" is not a valid month value");
  check_rejected("cron(0 12 ? * MON-FRY *)", 18, "\"FRY\" is not a valid day-of-week value");
  check_rejected("cron(0 12 ? * SUNDAY *)", 14, "\"SUNDAY\"");
  check_rejected("cron(MON 12 * * ? *)", 5, "\"MON\" is not a valid minutes value; expected 0-59");
  check_rejected("cron(0 12 * MON ? *)", 12, "expected 1-12 or JAN-DEC");
}

TEST_CASE("schedule: L, W and # are checked", "[schedule]") {
  check_rejected("cron(0 12 L-2 * ? *)", 10, "documented syntax");
  check_rejected("cron(0 12 1,L * ? *)", 12, "whole day-of-month field");
  check_rejected("cron(0 12 W * ? *)", 10, "whole day-of-month field");
  check_rejected("cron(0 12 32W * ? *)", 10, "day-of-month value 32");
  check_rejected("cron(0 12 ? * 3#1,6#3 *)", 17, "single value");
  check_rejected("cron(0 12 ? * 6#6 *)", 16, "expected 1-5");
  check_rejected("cron(0 12 ? * 9#2 *)", 14, "day-of-week value 9");
  check_rejected("cron(0 12 ? * 8L *)", 14, "day-of-week value 8");
  check_rejected("cron(0 12 ? * 1,L *)", 16, "whole day-of-week field");
  check_rejected("cron(0 12 * * L *)", 14, "can't both be set");
}
