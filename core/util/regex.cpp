#include "core/util/regex.h"

#include <fmt/format.h>

// GCC 12 warns of maybe-uninitialized members deep inside <regex>'s own templates when
// sanitizers change inlining; the warning is about the library's code, not this file's.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>

namespace fx::util {

namespace {

constexpr auto kFlags = std::regex::ECMAScript | std::regex_constants::__polynomial;

// The compiled pattern, or the reason there is none.
std::optional<std::regex> compile(std::string_view pattern, std::string* why) {
  if (pattern.size() > kMaxRegexPattern) {
    if (why) *why = fmt::format("it is longer than {} characters", kMaxRegexPattern);
    return std::nullopt;
  }
  try {
    std::regex re(pattern.begin(), pattern.end(), kFlags);
    // Polynomial mode refuses a pattern with back-references only when it matches: ask now.
    std::regex_match("", re);
    return re;
  } catch (const std::regex_error& e) {
    if (why)
      *why = e.code() == std::regex_constants::error_complexity
                 ? "back-references (\\1) are not supported"
                 : std::string(e.what());
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> regex_problem(std::string_view pattern) {
  std::string why;
  if (compile(pattern, &why)) return std::nullopt;
  return why;
}

bool regex_full_match(std::string_view text, std::string_view pattern) {
  auto re = compile(pattern, nullptr);
  if (!re) return false;
  try {
    return std::regex_match(text.begin(), text.end(), *re);
  } catch (const std::regex_error&) {
    return false;  // error_complexity / error_stack: no match rather than no emulator
  }
}

}  // namespace fx::util

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
