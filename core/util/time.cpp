#include "core/util/time.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "core/util/error.h"

namespace fx::util {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t monotonic_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t ScaledClock::now_ms() const {
  return origin_ms + scaled(util::now_ms() - origin_ms);
}

std::chrono::milliseconds ScaledClock::real_wait(std::int64_t virtual_ms) const {
  return std::chrono::milliseconds(
      std::max<std::int64_t>(0, std::llround(static_cast<double>(virtual_ms) / speed)));
}

std::int64_t ScaledClock::scaled(std::int64_t real_ms) const {
  return std::llround(static_cast<double>(real_ms) * speed);
}

std::string iso8601_ms(std::int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, epoch_ms % 1000);
}

namespace {

[[noreturn]] void bad_since(std::string_view text) {
  throw usage_error(fmt::format("--since: cannot read '{}' as a time", text),
                    "use a duration ago (30s, 10m, 2h, 1d, 1w) or an ISO 8601 time "
                    "(2026-11-27, 2026-11-27T08:00:00Z, 2026-11-27T08:00:00+01:00)");
}

std::int64_t parse_iso(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
  std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10)
    bad_since(text);
  std::size_t pos = 10;
  double frac = 0;
  int offset_min = 0;
  if (pos < str.size() && (str[pos] == 'T' || str[pos] == ' ')) {
    if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &h, &mi, &consumed) != 2) bad_since(text);
    pos += 1 + consumed;
    if (pos < str.size() && str[pos] == ':') {
      if (std::sscanf(str.c_str() + pos + 1, "%2d%n", &s, &consumed) != 1) bad_since(text);
      pos += 1 + consumed;
      if (pos < str.size() && str[pos] == '.') {
        std::size_t start = pos;
        ++pos;
        while (pos < str.size() && std::isdigit(static_cast<unsigned char>(str[pos]))) ++pos;
        frac = std::stod("0" + str.substr(start, pos - start));
      }
    }
    if (pos < str.size()) {
      if (str[pos] == 'Z') {
        ++pos;
      } else if (str[pos] == '+' || str[pos] == '-') {
        int oh = 0, om = 0;
        if (std::sscanf(str.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &consumed) != 2)
          bad_since(text);
        offset_min = (str[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos += 1 + consumed;
      }
    }
  }
  if (pos != str.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    bad_since(text);
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::int64_t secs = timegm(&tm) - offset_min * 60;
  return secs * 1000 + static_cast<std::int64_t>(frac * 1000);
}

}  // namespace

std::int64_t parse_since(std::string_view text, std::int64_t now) {
  if (text.empty()) bad_since(text);
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits > 0 && digits + 1 == text.size() && digits <= 12) {
    std::int64_t n = std::stoll(std::string(text.substr(0, digits)));
    std::int64_t unit = 0;
    switch (text.back()) {
      case 's':
        unit = 1000;
        break;
      case 'm':
        unit = 60'000;
        break;
      case 'h':
        unit = 3'600'000;
        break;
      case 'd':
        unit = 86'400'000;
        break;
      case 'w':
        unit = 7 * 86'400'000LL;
        break;
      default:
        bad_since(text);
    }
    return now - n * unit;
  }
  return parse_iso(text);
}

}  // namespace fx::util
