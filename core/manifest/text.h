// Character classes and small matchers for the manifest's names and literals. Hand-written in
// place of std::regex (slow to build at start-up, noisy under GCC 12's sanitizer builds); each
// matcher names the ECMAScript pattern it accepts exactly, as a whole-string match. Internal to
// core/manifest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fx::manifest::text {

// The classes as std::regex sees them in the C locale: \s, \d, [a-z], [A-Za-z], [A-Za-z0-9].
// Bytes outside ASCII belong to none of them. \s is ' ' and \t \n \v \f \r.
constexpr bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_alpha(char c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z');
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
// What the regex `.` does not match.
constexpr bool is_line_break(char c) {
  return c == '\n' || c == '\r';
}

// The index of the first character at or after `i` that is not \s (or \d): s.size() if none.
constexpr size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}
constexpr size_t skip_digits(std::string_view s, size_t i) {
  while (i < s.size() && is_digit(s[i])) ++i;
  return i;
}

// Whether `s` is one character that `first` accepts followed by any that `rest` accepts:
// the pattern `[first][rest]*`.
template <class First, class Rest>
constexpr bool is_word(std::string_view s, First first, Rest rest) {
  if (s.empty() || !first(s[0])) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (!rest(s[i])) return false;
  }
  return true;
}

// `[-+]?\d+(\.\d+)?`: 12, -3, +4.50; not 1., .5 or 1e3.
constexpr bool is_decimal(std::string_view s) {
  const size_t start = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  size_t i = skip_digits(s, start);
  if (i == start) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t fraction = i + 1;
    i = skip_digits(s, fraction);
    if (i == fraction) return false;
  }
  return i == s.size();
}

// `[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?`: YAML's plain numbers, e.g. 1, -2.5, 3., .5, 1e-3.
constexpr bool is_number(std::string_view s) {
  const size_t start = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
  const size_t whole = skip_digits(s, start);
  size_t i = whole;
  if (i < s.size() && s[i] == '.') {
    i = skip_digits(s, whole + 1);
    if (whole == start && i == whole + 1) return false;  // a dot without digits either side
  } else if (whole == start) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t exponent = i + 1;
    if (exponent < s.size() && (s[exponent] == '-' || s[exponent] == '+')) ++exponent;
    i = skip_digits(s, exponent);
    if (i == exponent) return false;
  }
  return i == s.size();
}

// `s` fit for a one-line message: control characters escaped (\n, \t, \x01), and cut after
// `limit` bytes, at a character boundary (manifests are valid UTF-8), with an ellipsis.
inline std::string printable(std::string_view s, size_t limit = 80) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (out.size() >= limit && (c & 0xC0) != 0x80) return out + "…";
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace fx::manifest::text
