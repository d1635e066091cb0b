// Small text helpers shared across modules.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace fx::util {

// ASCII case-insensitive equality (HTTP header names and values).
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// ASCII lower case (header names, INI keys, content types): no locale, no surprises.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Without leading and trailing ASCII white space (isspace: space, \t, \n, \v, \f, \r).
std::string_view trim_view(std::string_view text);
std::string trim(std::string_view text);

// %XX decoded (a malformed escape is kept as it is); `plus_is_space` for form-encoded
// query strings, where '+' is a space.
std::string url_decode(std::string_view text, bool plus_is_space = false);

// XML's five predefined entities decoded (AWS's query-protocol answers); others are kept.
std::string xml_unescape(std::string_view text);

}  // namespace fx::util
