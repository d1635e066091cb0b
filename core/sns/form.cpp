#include "core/sns/form.h"

#include <cstdint>

#include <fmt/format.h>

namespace fx::sns {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      int hi = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw FormError(fmt::format("malformed %-escape at byte {} of the request body", i));
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Form Form::parse(std::string_view body) {
  Form f;
  std::size_t start = 0;
  while (start <= body.size()) {
    auto amp = body.find('&', start);
    if (amp == std::string_view::npos) amp = body.size();
    std::string_view pair = body.substr(start, amp - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string key = decode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
      if (!valid_utf8(key) || !valid_utf8(value))
        throw FormError(fmt::format("the parameter '{}' is not valid UTF-8",
                                    valid_utf8(key) ? key : std::string("(a name)")));
      f.params_[std::move(key)] = std::move(value);
    }
    start = amp + 1;
  }
  return f;
}

const std::string& Form::get(const std::string& key) const {
  static const std::string empty;
  auto it = params_.find(key);
  return it == params_.end() ? empty : it->second;
}

std::vector<std::pair<std::string, std::string>> Form::entries(const std::string& prefix,
                                                               const char* key,
                                                               const char* value) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (int n = 1;; ++n) {
    std::string base = fmt::format("{}.entry.{}.", prefix, n);
    if (!has(base + key)) break;
    out.emplace_back(get(base + key), get(base + value));
  }
  return out;
}

std::vector<std::string> Form::members(const std::string& prefix) const {
  std::vector<std::string> out;
  for (int n = 1;; ++n) {
    std::string k = fmt::format("{}.member.{}", prefix, n);
    if (!has(k)) break;
    out.push_back(get(k));
  }
  return out;
}

int Form::count(const std::string& prefix, const char* kind) const {
  int n = 0;
  for (;;) {
    std::string base = fmt::format("{}.{}.{}", prefix, kind, n + 1);
    auto it = params_.lower_bound(base);
    bool found = it != params_.end() && it->first.starts_with(base) &&
                 (it->first.size() == base.size() || it->first[base.size()] == '.');
    // "X.member.1" sorts before "X.member.10": look past other numbers' keys.
    while (!found && it != params_.end() && it->first.starts_with(base)) {
      found = it->first.size() == base.size() || it->first[base.size()] == '.';
      ++it;
    }
    if (!found) return n;
    ++n;
  }
}

}  // namespace fx::sns
