#include "core/manifest/dotenv.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/manifest/text.h"
#include "core/util/error.h"

namespace fx::manifest {
namespace {

bool is_name_char(char c) {  // dotenv's [\w.-]
  return text::is_alnum(c) || c == '_' || c == '.' || c == '-';
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// `text` with every byte that does not start or continue a well-formed UTF-8 sequence (overlong
// forms and surrogates included) replaced by U+FFFD.
std::string repair_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {
      const auto c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(n == 2 && c < 0xC2) && !(n == 3 && c == 0xE0 && c1 < 0xA0) &&
           !(n == 3 && c == 0xED && c1 >= 0xA0) && !(n == 4 && c == 0xF0 && c1 < 0x90) &&
           !(n == 4 && (c > 0xF4 || (c == 0xF4 && c1 >= 0x90)));
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
  return out;
}

std::string trim_blanks(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::vector<DotenvEntry> parse_dotenv(std::string_view raw) {
  const std::string text = repair_utf8(raw);
  const std::string_view s = text;
  std::vector<DotenvEntry> out;
  int line = 1;
  size_t i = 0;
  auto line_end = [&](size_t from) {
    const size_t end = s.find('\n', from);
    return end == std::string_view::npos ? s.size() : end;
  };
  // To the line after the one ending at `end`, counting the lines passed.
  auto next_line = [&](size_t end) {
    const size_t to = end < s.size() ? end + 1 : s.size();
    for (; i < to; ++i) line += s[i] == '\n';
  };
  while (i < s.size()) {
    const int at = line;
    size_t end = line_end(i);
    size_t k = i;
    while (k < end && is_blank(s[k])) ++k;
    if (s.compare(k, 7, "export ") == 0) {
      k += 7;
      while (k < end && is_blank(s[k])) ++k;
    }
    const size_t name_start = k;
    while (k < end && is_name_char(s[k])) ++k;
    DotenvEntry entry{std::string(s.substr(name_start, k - name_start)), "", true, at};
    while (k < end && is_blank(s[k])) ++k;
    if (entry.name.empty() || k >= end || s[k] != '=') {  // a comment, a blank line, noise
      next_line(end);
      continue;
    }
    ++k;
    while (k < end && is_blank(s[k])) ++k;
    const char quote = k < s.size() ? s[k] : '\0';
    size_t close = std::string_view::npos;
    if (quote == '"' || quote == '\'' || quote == '`') {
      // The closing quote may be lines further on; \" (\', \`) does not close it.
      for (size_t q = k + 1; q < s.size(); ++q) {
        if (s[q] == '\\') {
          ++q;
        } else if (s[q] == quote) {
          close = q;
          break;
        }
      }
    }
    if (close != std::string_view::npos) {
      std::string value(s.substr(k + 1, close - k - 1));
      if (quote == '"') {
        for (size_t p = 0; (p = value.find('\\', p)) != std::string::npos; ++p) {
          if (p + 1 < value.size() && (value[p + 1] == 'n' || value[p + 1] == 'r'))
            value.replace(p, 2, value[p + 1] == 'n' ? "\n" : "\r");
        }
      }
      entry.value = std::move(value);
      entry.expand = quote != '\'';
      next_line(std::max(line_end(close), end));
    } else {
      // Unquoted (or an opening quote never closed, kept as text): up to a # comment.
      std::string_view value = s.substr(k, end - k);
      value = value.substr(0, value.find('#'));
      entry.value = trim_blanks(value);
      next_line(end);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<DotenvEntry> read_dotenv_file(const std::filesystem::path& path,
                                          const std::string& shown) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxDotenvBytes)
    throw Error(fmt::format("{}: {} bytes; fx reads .env files of at most {} MB", shown, size,
                            kMaxDotenvBytes >> 20),
                "keep variables in it, and large values in files read with ${file(...)}");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot read the file", shown), "check its permissions");
  std::stringstream text;
  text << in.rdbuf();
  return parse_dotenv(text.str());
}

std::map<std::string, std::string> expand_dotenv(
    const std::vector<DotenvEntry>& entries,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::string& shown) {
  std::map<std::string, std::string> vars;
  // Only what the process has and what lines above gave: a name met again is not expanded
  // again, so `A=$A` or two names naming each other end, with what was known before them.
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    if (auto v = getenv(name)) return v;
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
  for (const auto& entry : entries) {
    if (auto real = getenv(entry.name)) {
      vars[entry.name] = *real;
      continue;
    }
    if (!entry.expand) {
      vars[entry.name] = entry.value;
      continue;
    }
    const std::string& v = entry.value;
    std::string out;
    auto grow = [&](std::string_view piece) {
      if (out.size() + piece.size() > kMaxExpandedBytes)
        throw Error(fmt::format("{}:{}: {}: expands to more than {} MB", shown, entry.line,
                                text::printable(entry.name, 100), kMaxExpandedBytes >> 20),
                    "look for variables that repeat each other");
      out.append(piece);
    };
    for (size_t i = 0; i < v.size();) {
      if (v[i] == '\\' && i + 1 < v.size() && v[i + 1] == '$') {
        grow("$");
        i += 2;
        continue;
      }
      if (v[i] != '$') {
        grow(std::string_view(&v[i], 1));
        ++i;
        continue;
      }
      if (i + 1 < v.size() && v[i + 1] == '{') {
        const size_t close = v.find('}', i + 2);
        if (close == std::string::npos) {  // no closing brace: text, as written
          grow(std::string_view(v).substr(i));
          break;
        }
        const std::string inner = v.substr(i + 2, close - i - 2);
        std::string name = inner, fallback;
        bool empty_too = false, has_default = false;
        if (const size_t dash = inner.find('-'); dash != std::string::npos && dash > 0) {
          empty_too = inner[dash - 1] == ':';
          name = inner.substr(0, empty_too ? dash - 1 : dash);
          fallback = inner.substr(dash + 1);
          has_default = true;
        }
        const auto value = lookup(name);
        if (value && !(empty_too && value->empty()))
          grow(*value);
        else if (has_default)
          grow(fallback);
        i = close + 1;
        continue;
      }
      size_t end = i + 1;
      while (end < v.size() && (text::is_alnum(v[end]) || v[end] == '_')) ++end;
      if (end == i + 1) {  // a lone $
        grow("$");
        ++i;
        continue;
      }
      if (auto value = lookup(v.substr(i + 1, end - i - 1))) grow(*value);
      i = end;
    }
    vars[entry.name] = std::move(out);
  }
  return vars;
}

}  // namespace fx::manifest
