// package.patterns matching with the semantics users know from the Serverless Framework (which
// runs nanomatch with `dot: true` over every file path): dotfiles are not special, '*' and '?'
// stay within a segment, a '**' segment spans any number of segments (zero included), and
// '{a,b}' alternates. Like globby, a pattern without wildcards or ending in '/' names a
// directory too, so `node_modules` and `node_modules/` cover everything below it.
#include <string>
#include <string_view>
#include <vector>

#include "core/bundle/bundle.h"

namespace fx::bundle {

namespace {

// '[abc]', '[a-z]', '[!abc]' / '[^abc]' at pattern[p] (just past '['). Returns false with p
// unchanged when the class is unterminated, so that '[' then matches itself.
bool match_class(std::string_view pattern, std::size_t& p, char c, bool& matched) {
  std::size_t i = p;
  bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
  if (negate) ++i;
  bool hit = false;
  bool first = true;
  for (; i < pattern.size() && (pattern[i] != ']' || first); first = false) {
    char lo = pattern[i];
    if (lo == '\\' && i + 1 < pattern.size()) lo = pattern[++i];
    char hi = lo;
    if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      hi = pattern[i + 2];
      i += 2;
    }
    if (static_cast<unsigned char>(lo) <= static_cast<unsigned char>(c) &&
        static_cast<unsigned char>(c) <= static_cast<unsigned char>(hi))
      hit = true;
    ++i;
  }
  if (i >= pattern.size()) return false;
  p = i + 1;
  matched = hit != negate;
  return true;
}

// One path segment (no '/') against one pattern segment: '*', '?', classes, '\' escapes.
// The usual single-star backtracking: linear in practice, no recursion.
bool match_segment(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p, ++t;
        continue;
      }
      if (pc == '[') {
        std::size_t q = p + 1;
        bool matched = false;
        if (match_class(pattern, q, text[t], matched)) {
          if (matched) {
            p = q, ++t;
            continue;
          }
        } else if (text[t] == '[') {
          ++p, ++t;
          continue;
        }
      } else {
        std::size_t width = pc == '\\' && p + 1 < pattern.size() ? 2 : 1;
        if (pattern[p + width - 1] == text[t]) {
          p += width, ++t;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      if (i > start) parts.push_back(s.substr(start, i - start));  // "a//b" is "a/b"
      start = i + 1;
    }
  }
  return parts;
}

// Segment lists, '**' spanning zero or more path segments. `prefix_ok` lets the pattern end
// at a directory of the path (the "names a directory" rule).
bool match_segments(const std::vector<std::string_view>& pat, std::size_t pi,
                    const std::vector<std::string_view>& path, std::size_t si, bool prefix_ok) {
  for (; pi < pat.size(); ++pi, ++si) {
    if (pat[pi] == "**") {
      while (pi + 1 < pat.size() && pat[pi + 1] == "**") ++pi;
      if (pi + 1 == pat.size()) return true;
      for (std::size_t k = si; k <= path.size(); ++k)
        if (match_segments(pat, pi + 1, path, k, prefix_ok)) return true;
      return false;
    }
    if (si >= path.size() || !match_segment(pat[pi], path[si])) return false;
  }
  return si == path.size() || (prefix_ok && si > 0);
}

// The first top-level '{a,b}' group expanded into its alternatives; recursion handles the
// rest. Nested groups work because the alternatives are split at depth one only.
void expand_braces(std::string_view pattern, std::vector<std::string>& out) {
  std::size_t open = std::string_view::npos;
  int depth = 0;
  std::vector<std::size_t> commas;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (c == '{') {
      if (depth++ == 0) open = i, commas.clear();
    } else if (c == ',' && depth == 1) {
      commas.push_back(i);
    } else if (c == '}' && depth > 0 && --depth == 0) {
      if (commas.empty()) continue;  // "{a}" is literal, as in bash
      std::string_view head = pattern.substr(0, open);
      std::string_view tail = pattern.substr(i + 1);
      commas.push_back(i);
      std::size_t start = open + 1;
      for (std::size_t end : commas) {
        std::string alt(head);
        alt.append(pattern.substr(start, end - start)).append(tail);
        expand_braces(alt, out);
        start = end + 1;
      }
      return;
    }
  }
  out.emplace_back(pattern);
}

bool match_one(std::string_view pattern, const std::vector<std::string_view>& path) {
  bool prefix_ok = pattern.ends_with('/') || pattern.find_first_of("*?[") == std::string_view::npos;
  return match_segments(split(pattern), 0, path, 0, prefix_ok);
}

// Whether some path inside `dir` (or `dir` itself) could match: the pattern's segments agree
// with the folder's as far as both go, or a '**' takes over.
bool match_one_below(std::string_view pattern, const std::vector<std::string_view>& dir) {
  bool prefix_ok = pattern.ends_with('/') || pattern.find_first_of("*?[") == std::string_view::npos;
  const std::vector<std::string_view> pat = split(pattern);
  std::size_t i = 0;
  for (; i < pat.size(); ++i) {
    if (pat[i] == "**" || i >= dir.size()) return true;
    if (!match_segment(pat[i], dir[i])) return false;
  }
  return i == dir.size() || prefix_ok;
}

}  // namespace

bool glob_match_below(std::string_view pattern, std::string_view dir) {
  while (pattern.starts_with("./")) pattern.remove_prefix(2);
  while (dir.starts_with("./")) dir.remove_prefix(2);
  if (pattern.empty()) return false;
  std::vector<std::string_view> segments = split(dir);
  std::vector<std::string> alternatives;
  expand_braces(pattern, alternatives);
  for (const auto& alt : alternatives)
    if (match_one_below(alt, segments)) return true;
  return false;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  while (pattern.starts_with("./")) pattern.remove_prefix(2);
  while (path.starts_with("./")) path.remove_prefix(2);
  if (pattern.empty()) return false;
  std::vector<std::string_view> segments = split(path);
  if (pattern.find('{') == std::string_view::npos) return match_one(pattern, segments);
  std::vector<std::string> alternatives;
  expand_braces(pattern, alternatives);
  for (const auto& alt : alternatives)
    if (match_one(alt, segments)) return true;
  return false;
}

}  // namespace fx::bundle
