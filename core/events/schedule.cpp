#include "core/events/schedule.h"

#include <array>
#include <cctype>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace fx {

namespace {

constexpr std::string_view kAcceptedForms =
    "use rate(VALUE UNIT) with UNIT minute, minutes, hour, hours, day or days, e.g. "
    "rate(5 minutes); or cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR) in UTC with "
    "? in one of the day fields, e.g. cron(0 12 * * ? *)";

}  // namespace

// The column is shown 1-based, like the file:line:column marks fx prints elsewhere; column()
// stays 0-based for callers that point into the text themselves.
ScheduleParseError::ScheduleParseError(std::string_view expression, events::ScheduleError error)
    : Error(fmt::format("invalid schedule expression \"{}\" at column {}: {}", expression,
                        error.column + 1, error.message),
            std::string(kAcceptedForms)),
      error_(std::move(error)) {}

}  // namespace fx

namespace fx::events {

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kMinutesPerDay = 24 * 60;

// Floor division, so times before the epoch land in the right minute and period.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms):
// exact for any year, with no dependence on the C library's time_t range or time zone.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct CivilDate {
  std::int64_t year;
  int month;
  int day;
};

CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

bool is_leap(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
  static constexpr std::array<int, 13> kDays = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month];
}

// EventBridge numbers weekdays 1 = SUN .. 7 = SAT; 1970-01-01 was a Thursday (5).
int weekday(int year, int month, int day) {
  const std::int64_t days = days_from_civil(year, month, day);
  return static_cast<int>(((days + 4) % 7 + 7) % 7) + 1;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// A whitespace-separated word and its offset in the expression.
struct Token {
  std::string_view text;
  std::size_t column;
};

std::vector<Token> split_words(std::string_view text, std::size_t base) {
  std::vector<Token> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back({text.substr(start, i - start), base + start});
  }
  return words;
}

// One cron field's name, bounds and the names it accepts (index 0 is the value `min`).
struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::array<std::string_view, 12>* names = nullptr;
  int name_count = 0;
  bool wraps = true;  // a range like 22-2 runs past max back to min
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 12> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                            "THU", "FRI", "SAT"};

constexpr FieldSpec kMinutesField{"minutes", 0, 59};
constexpr FieldSpec kHoursField{"hours", 0, 23};
constexpr FieldSpec kDayOfMonthField{"day-of-month", 1, 31};
constexpr FieldSpec kMonthField{"month", 1, 12, &kMonthNames, 12};
constexpr FieldSpec kDayOfWeekField{"day-of-week", 1, 7, &kWeekdayNames, 7};
constexpr FieldSpec kYearField{"year", Schedule::kMinYear, Schedule::kMaxYear, nullptr, 0, false};

std::string accepted_values(const FieldSpec& field) {
  if (field.names == nullptr) return fmt::format("{}-{}", field.min, field.max);
  return fmt::format("{}-{} or {}-{}", field.min, field.max, (*field.names)[0],
                     (*field.names)[field.name_count - 1]);
}

}  // namespace

// Parses one expression left to right; every failure names the offending token's column. A
// class (and a friend of Schedule) so it can fill in the schedule's private fields.
class ScheduleParser {
 public:
  explicit ScheduleParser(std::string_view text) : text_(text) {}

  Schedule parse() {
    std::size_t begin = 0;
    std::size_t end = text_.size();
    while (begin < end && is_space(text_[begin])) ++begin;
    while (end > begin && is_space(text_[end - 1])) --end;
    if (begin == end) fail(0, "the expression is empty; expected rate(...) or cron(...)");

    std::size_t open = begin;
    while (open < end && std::isalpha(static_cast<unsigned char>(text_[open]))) ++open;
    const std::string_view keyword = text_.substr(begin, open - begin);
    if (keyword != "rate" && keyword != "cron") {
      fail(begin, fmt::format("\"{}\" is not a schedule expression; expected rate(VALUE UNIT) or "
                              "cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)",
                              text_.substr(begin, end - begin)));
    }
    if (open == end || text_[open] != '(') {
      fail(open, fmt::format("expected '(' after {}, as in {}", keyword,
                             keyword == "rate" ? "rate(5 minutes)" : "cron(0 12 * * ? *)"));
    }
    if (text_[end - 1] != ')') {
      fail(end, fmt::format("expected ')' to close {}(", keyword));
    }

    schedule_.expression_ = std::string(text_);
    const std::size_t body = open + 1;
    const std::string_view inside = text_.substr(body, end - 1 - body);
    for (std::size_t i = 0; i < inside.size(); ++i) {
      if (inside[i] == '(' || inside[i] == ')') fail(body + i, "unexpected parenthesis");
    }
    if (keyword == "rate") {
      parse_rate(split_words(inside, body), end - 1);
    } else {
      parse_cron(split_words(inside, body), end - 1);
    }
    return std::move(schedule_);
  }

 private:
  [[noreturn]] void fail(std::size_t column, std::string message) const {
    throw ScheduleParseError(text_, ScheduleError{std::move(message), column});
  }

  // ---- rate(VALUE UNIT) ----

  void parse_rate(const std::vector<Token>& words, std::size_t close) {
    if (words.empty()) fail(close, "rate() needs a value and a unit, e.g. rate(5 minutes)");
    const Token& value_token = words[0];
    if (!all_digits(value_token.text)) {
      fail(value_token.column,
           fmt::format("the rate value \"{}\" is not a whole number; expected e.g. rate(5 minutes)",
                       value_token.text));
    }
    std::int64_t value = 0;
    for (char c : value_token.text) {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        fail(value_token.column, fmt::format("the rate value {} is too large", value_token.text));
      }
      value = value * 10 + (c - '0');
    }
    if (value == 0) fail(value_token.column, "the rate value must be positive, not 0");
    if (words.size() < 2) {
      fail(close, "the rate has no unit; expected minute(s), hour(s) or day(s) after the value");
    }
    if (words.size() > 2) {
      fail(words[2].column, fmt::format("unexpected \"{}\" after the unit; rate() takes a value "
                                        "and a unit, e.g. rate(5 minutes)",
                                        words[2].text));
    }

    struct Unit {
      std::string_view singular;
      std::string_view plural;
      std::int64_t ms;
    };
    static constexpr std::array<Unit, 3> kUnits = {
        Unit{"minute", "minutes", kMinuteMs},
        Unit{"hour", "hours", 60 * kMinuteMs},
        Unit{"day", "days", kMinutesPerDay * kMinuteMs},
    };
    const Token& unit_token = words[1];
    for (const Unit& unit : kUnits) {
      const bool singular = unit_token.text == unit.singular;
      if (!singular && unit_token.text != unit.plural) continue;
      // EventBridge rejects "rate(1 minutes)" and "rate(5 minute)" (its rate expression
      // reference: a value of 1 takes the singular unit, any other the plural). The framework
      // passes the expression through unchecked, so on AWS the stack's deploy fails on it; fx
      // refuses it before, saying so: a schedule that runs locally but fails to deploy would
      // be a surprise.
      if (value == 1 && !singular) {
        fail(unit_token.column,
             fmt::format("a rate of 1 takes the singular unit \"{}\", not \"{}\": EventBridge "
                         "refuses rate(1 {}) and the deploy to AWS fails on it; write rate(1 {})",
                         unit.singular, unit.plural, unit.plural, unit.singular));
      }
      if (value != 1 && singular) {
        fail(unit_token.column,
             fmt::format("a rate of {} takes the plural unit \"{}\", not \"{}\": EventBridge "
                         "refuses rate({} {}) and the deploy to AWS fails on it; write rate({} {})",
                         value, unit.plural, unit.singular, value, unit.singular, value,
                         unit.plural));
      }
      if (value > std::numeric_limits<std::int64_t>::max() / unit.ms) {
        fail(value_token.column, fmt::format("the rate value {} is too large", value));
      }
      schedule_.is_rate_ = true;
      schedule_.period_ms_ = value * unit.ms;
      return;
    }
    fail(unit_token.column,
         fmt::format("unknown rate unit \"{}\"; expected minute, minutes, hour, hours, day or days",
                     unit_token.text));
  }

  // ---- cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR) ----

  void parse_cron(const std::vector<Token>& words, std::size_t close) {
    if (words.size() != 6) {
      fail(words.size() > 6 ? words[6].column : close,
           fmt::format("cron takes 6 fields (minutes hours day-of-month month day-of-week year), "
                       "got {}",
                       words.size()));
    }
    parse_list(words[0], kMinutesField, schedule_.minutes_);
    parse_list(words[1], kHoursField, schedule_.hours_);
    const bool any_day_of_month = parse_day_of_month(words[2]);
    parse_list(words[3], kMonthField, schedule_.months_);
    const bool any_day_of_week = parse_day_of_week(words[4]);
    parse_list(words[5], kYearField, schedule_.years_, Schedule::kMinYear);

    // EventBridge rejects a cron that restricts both day fields (and one that restricts
    // neither) rather than guessing whether they combine with AND or OR.
    if (any_day_of_month && any_day_of_week) {
      fail(words[4].column,
           "day-of-month and day-of-week can't both be ?; set one of them and put ? in the other");
    }
    if (!any_day_of_month && !any_day_of_week) {
      fail(words[4].column,
           "day-of-month and day-of-week can't both be set; put ? in one of them, e.g. "
           "cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *)");
    }
  }

  // Day-of-month: `?`, L, LW, nW or a list. Returns true for `?`.
  bool parse_day_of_month(const Token& token) {
    const std::string text = upper(token.text);
    if (text == "?") return true;
    if (text == "L") {
      schedule_.day_rule_ = Schedule::DayRule::last_day;
      return false;
    }
    if (text == "LW") {
      schedule_.day_rule_ = Schedule::DayRule::last_weekday;
      return false;
    }
    if (text.size() > 1 && text.back() == 'W' &&
        all_digits(std::string_view(text).substr(0, text.size() - 1))) {
      schedule_.day_rule_ = Schedule::DayRule::nearest_weekday;
      schedule_.day_number_ =
          parse_value(Token{token.text.substr(0, text.size() - 1), token.column}, kDayOfMonthField);
      return false;
    }
    if (text.rfind("L-", 0) == 0) {
      fail(token.column,
           "\"L-n\" (n days before the last day) is not in EventBridge's documented syntax; "
           "use L, LW, nW or day numbers in day-of-month");
    }
    reject_special(token, "LW", "L, LW and nW must be the whole day-of-month field, e.g. 15W");
    schedule_.day_rule_ = Schedule::DayRule::month_days;
    parse_list(token, kDayOfMonthField, schedule_.days_of_month_);
    return false;
  }

  // Day-of-week: `?`, L, nL, n#k or a list. Returns true for `?`.
  bool parse_day_of_week(const Token& token) {
    const std::string text = upper(token.text);
    if (text == "?") return true;
    // A lone L is the last day of the week: Saturday.
    if (text == "L") {
      schedule_.day_rule_ = Schedule::DayRule::week_days;
      schedule_.days_of_week_.set(7);
      return false;
    }
    const std::size_t hash = text.find('#');
    if (hash != std::string::npos) {
      const std::size_t comma = text.find(',');
      if (comma != std::string::npos) {
        fail(token.column + comma,
             "a day-of-week with # must be a single value, e.g. 6#3; "
             "EventBridge does not accept lists like 3#1,6#3");
      }
      schedule_.day_rule_ = Schedule::DayRule::nth_of_week;
      schedule_.weekday_ =
          parse_value(Token{token.text.substr(0, hash), token.column}, kDayOfWeekField);
      const Token nth{token.text.substr(hash + 1), token.column + hash + 1};
      if (!all_digits(nth.text) || nth.text.size() > 1 || nth.text[0] < '1' || nth.text[0] > '5') {
        fail(nth.column, fmt::format("\"{}\" after # is not a week of the month; expected 1-5, as "
                                     "in 6#3 for the third Friday",
                                     nth.text));
      }
      schedule_.day_number_ = nth.text[0] - '0';
      return false;
    }
    if (text.size() > 1 && text.back() == 'L' && text.find_first_of(",-/*") == std::string::npos) {
      schedule_.day_rule_ = Schedule::DayRule::last_of_week;
      schedule_.weekday_ =
          parse_value(Token{token.text.substr(0, text.size() - 1), token.column}, kDayOfWeekField);
      return false;
    }
    reject_special(token, "L#", "L, nL and n#k must be the whole day-of-week field, e.g. 6L");
    schedule_.day_rule_ = Schedule::DayRule::week_days;
    parse_list(token, kDayOfWeekField, schedule_.days_of_week_);
    return false;
  }

  // L, W and # only stand alone in a day field; inside a list or range they are an error.
  // Weekday names contain no L, W or #, but "WED" starts with W, so names are skipped whole.
  void reject_special(const Token& token, std::string_view specials, std::string_view message) {
    const std::string text = upper(token.text);
    std::size_t i = 0;
    while (i < text.size()) {
      if (std::isalpha(static_cast<unsigned char>(text[i]))) {
        std::size_t end = i;
        while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
        const std::string_view word = std::string_view(text).substr(i, end - i);
        if (word.size() <= 2 && word.find_first_not_of(specials) == std::string_view::npos) {
          fail(token.column + i, std::string(message));
        }
        i = end;
      } else {
        if (specials.find(text[i]) != std::string_view::npos) {
          fail(token.column + i, std::string(message));
        }
        ++i;
      }
    }
  }

  // A comma-separated list of `*`, `a`, `a-b`, each optionally followed by `/step`. Sets bit
  // (value - offset) of `bits` for every value it names.
  template <std::size_t N>
  void parse_list(const Token& token, const FieldSpec& field, std::bitset<N>& bits,
                  int offset = 0) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = token.text.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? token.text.size() : comma;
      const Token item{token.text.substr(start, end - start), token.column + start};
      if (item.text.empty()) {
        fail(item.column, fmt::format("empty value in the {} list", field.name));
      }
      for (int value : parse_item(item, field)) bits.set(static_cast<std::size_t>(value - offset));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }

  std::vector<int> parse_item(const Token& item, const FieldSpec& field) {
    const std::size_t slash = item.text.find('/');
    const Token range{item.text.substr(0, slash), item.column};
    if (range.text.empty()) {
      fail(item.column, fmt::format("missing a start before / in {}; use */n or a/n", field.name));
    }

    int first = field.min;
    int last = field.max;
    bool is_range = true;
    if (range.text == "*") {
      // first and last already span the field.
    } else if (range.text == "?") {
      fail(range.column, fmt::format("? is only allowed as the whole day-of-month or day-of-week "
                                     "field, not in {}",
                                     field.name));
    } else {
      const std::size_t dash = range.text.find('-');
      first = parse_value(Token{range.text.substr(0, dash), range.column}, field);
      if (dash == std::string_view::npos) {
        last = first;
        is_range = false;
      } else {
        const Token end{range.text.substr(dash + 1), range.column + dash + 1};
        last = parse_value(end, field);
        if (last < first && !field.wraps) {
          fail(range.column, fmt::format("the {} range {} runs backwards", field.name, range.text));
        }
      }
    }

    const int span = field.max - field.min + 1;
    int step = 1;
    if (slash != std::string_view::npos) {
      const Token step_token{item.text.substr(slash + 1), item.column + slash + 1};
      if (!all_digits(step_token.text)) {
        fail(step_token.column,
             fmt::format("the step after / in {} must be a whole number, got \"{}\"", field.name,
                         step_token.text));
      }
      // More than four digits is out of range for every field; stoi need not see it.
      step = step_token.text.size() > 4 ? span + 1 : std::stoi(std::string(step_token.text));
      if (step < 1 || step > span) {
        fail(step_token.column,
             fmt::format("the {} step {} is out of range 1-{}", field.name, step_token.text, span));
      }
      // "a/n" runs from a to the end of the field.
      if (!is_range) last = field.max;
    }

    // Walk from first to last (wrapping past max for ranges like FRI-MON or 22-2).
    const int count = (last - first + span) % span + 1;
    std::vector<int> values;
    for (int i = 0; i < count; i += step) {
      values.push_back(field.min + (first - field.min + i) % span);
    }
    return values;
  }

  // A number or (in month and day-of-week) a three-letter name, checked against the bounds.
  int parse_value(const Token& token, const FieldSpec& field) {
    if (token.text.empty()) {
      fail(token.column,
           fmt::format("missing a {} value; expected {}", field.name, accepted_values(field)));
    }
    if (all_digits(token.text)) {
      if (token.text.size() > 4) {
        fail(token.column, fmt::format("{} value {} is out of range {}", field.name, token.text,
                                       accepted_values(field)));
      }
      const int value = std::stoi(std::string(token.text));
      if (value < field.min || value > field.max) {
        fail(token.column, fmt::format("{} value {} is out of range {}", field.name, value,
                                       accepted_values(field)));
      }
      return value;
    }
    const std::string name = upper(token.text);
    for (int i = 0; i < field.name_count; ++i) {
      if ((*field.names)[i] == name) return field.min + i;
    }
    fail(token.column, fmt::format("\"{}\" is not a valid {} value; expected {}", token.text,
                                   field.name, accepted_values(field)));
  }

  std::string_view text_;
  Schedule schedule_;
};

Schedule Schedule::parse(std::string_view expression) {
  return ScheduleParser(expression).parse();
}

Schedule Schedule::with_anchor(std::int64_t epoch_ms) const {
  Schedule copy = *this;
  copy.anchor_ms_ = epoch_ms;
  return copy;
}

std::bitset<32> Schedule::days_in(int year, int month) const {
  const int last = days_in_month(year, month);
  std::bitset<32> days;
  switch (day_rule_) {
    case DayRule::month_days:
      for (int day = 1; day <= last; ++day) days[day] = days_of_month_[day];
      break;
    case DayRule::last_day:
      days.set(last);
      break;
    case DayRule::last_weekday: {
      const int wd = weekday(year, month, last);
      days.set(wd == 7 ? last - 1 : wd == 1 ? last - 2 : last);
      break;
    }
    case DayRule::nearest_weekday: {
      // The weekday nearest day_number_ without leaving the month: a Saturday 1st moves
      // forward to Monday the 3rd, a Sunday last day back to Friday. A month too short for
      // the day (31W in April) has none.
      const int day = day_number_;
      if (day > last) break;
      const int wd = weekday(year, month, day);
      if (wd == 7) {
        days.set(day > 1 ? day - 1 : day + 2);
      } else if (wd == 1) {
        days.set(day < last ? day + 1 : day - 2);
      } else {
        days.set(day);
      }
      break;
    }
    case DayRule::week_days: {
      const int first_wd = weekday(year, month, 1);
      for (int day = 1; day <= last; ++day) {
        days[day] = days_of_week_[(first_wd - 1 + day - 1) % 7 + 1];
      }
      break;
    }
    case DayRule::last_of_week: {
      const int last_wd = weekday(year, month, last);
      days.set(last - (last_wd - weekday_ + 7) % 7);
      break;
    }
    case DayRule::nth_of_week: {
      const int first_wd = weekday(year, month, 1);
      const int day = 1 + (weekday_ - first_wd + 7) % 7 + 7 * (day_number_ - 1);
      if (day <= last) days.set(day);
      break;
    }
  }
  return days;
}

std::optional<std::int64_t> Schedule::next_after(std::int64_t after_epoch_ms) const {
  if (is_rate_) {
    // 128-bit so that anchors and times far from each other cannot overflow.
    const __int128 diff = static_cast<__int128>(after_epoch_ms) - anchor_ms_;
    __int128 periods = diff / period_ms_;
    if (diff % period_ms_ != 0 && diff < 0) --periods;
    const __int128 next = anchor_ms_ + (periods + 1) * period_ms_;
    if (next > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
    return static_cast<std::int64_t>(next);
  }

  // Cron fires on whole minutes, so start at the first whole minute strictly after the time.
  const std::int64_t start_minute = floor_div(after_epoch_ms, kMinuteMs) + 1;
  const std::int64_t start_day = floor_div(start_minute, kMinutesPerDay);
  const CivilDate date = civil_from_days(start_day);
  if (date.year > kMaxYear) return std::nullopt;

  // Search year -> month -> day -> hour -> minute; each level starts at the start time's value
  // only while every level above it is still at the start time, else at its minimum. That
  // visits at most 230 years x 12 months however rarely the cron fires.
  const bool before_range = date.year < kMinYear;
  const int start_year = before_range ? kMinYear : static_cast<int>(date.year);
  const int start_month = before_range ? 1 : date.month;
  const int start_dom = before_range ? 1 : date.day;
  const int minute_of_day = static_cast<int>(start_minute - start_day * kMinutesPerDay);
  const int start_hour = before_range ? 0 : minute_of_day / 60;
  const int start_min = before_range ? 0 : minute_of_day % 60;

  for (int year = start_year; year <= kMaxYear; ++year) {
    if (!years_[year - kMinYear]) continue;
    const bool first_year = year == start_year;
    for (int month = first_year ? start_month : 1; month <= 12; ++month) {
      if (!months_[month]) continue;
      const bool first_month = first_year && month == start_month;
      const std::bitset<32> days = days_in(year, month);
      if (days.none()) continue;
      for (int day = first_month ? start_dom : 1; day <= 31; ++day) {
        if (!days[day]) continue;
        const bool first_day = first_month && day == start_dom;
        for (int hour = first_day ? start_hour : 0; hour < 24; ++hour) {
          if (!hours_[hour]) continue;
          const bool first_hour = first_day && hour == start_hour;
          for (int minute = first_hour ? start_min : 0; minute < 60; ++minute) {
            if (!minutes_[minute]) continue;
            const std::int64_t minutes =
                days_from_civil(year, month, day) * kMinutesPerDay + hour * 60 + minute;
            return minutes * kMinuteMs;
          }
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace fx::events
