// Regular expressions that users and clients supply (an SSM parameter's AllowedPattern, an
// authorizer's identityValidationExpression, an integration's error patterns), matched so that
// no pattern or text can stop the emulator. libstdc++'s std::regex matches by backtracking
// by default: `^(a+)+$` against 40 characters runs for hours, and a long text overflows the
// stack (a frame or more per character). Here every match runs in libstdc++'s polynomial
// mode (a breadth-first automaton: time bounded by pattern × text, no recursion per
// character), which refuses back-references; patterns are bounded in length, since compiling
// one recurses once per nesting level. std::regex is built in this one file, which also keeps
// GCC 12's -Wmaybe-uninitialized noise from <regex> out of the rest of the build.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fx::util {

// The longest pattern compiled (SSM's AllowedPattern allows 1024 characters).
inline constexpr std::size_t kMaxRegexPattern = 1024;

// Why `pattern` (ECMAScript syntax) cannot be matched here, e.g. "mismatched parentheses",
// "back-references are not supported"; nullopt when it can.
std::optional<std::string> regex_problem(std::string_view pattern);

// Whether all of `text` matches `pattern`; false for a pattern regex_problem refuses.
bool regex_full_match(std::string_view text, std::string_view pattern);

}  // namespace fx::util
