#include "core/events/filter.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/text.h"

namespace fx::events {

using nlohmann::json;

namespace {

// Lambda's quota: five filters per event source mapping.
constexpr std::size_t kMaxPatterns = 5;

constexpr std::string_view kOperators[] = {
    "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "wildcard"};

[[noreturn]] void refuse(const std::string& path, std::string_view what) {
  throw Error(fmt::format("filter pattern at {}: {}", path.empty() ? "the top" : path, what),
              "see Lambda's event filtering syntax: a pattern is an object whose values are "
              "lists of matchers, e.g. {\"body\": {\"type\": [\"order\"]}}");
}

bool is_scalar(const json& v) {
  return v.is_string() || v.is_number() || v.is_boolean();
}

void check_numeric(const json& spec, const std::string& path) {
  if (!spec.is_array() || spec.empty() || spec.size() % 2 != 0 || spec.size() > 4)
    refuse(path, "numeric takes one or two [operator, number] pairs, e.g. [\">\", 0, \"<=\", 5]");
  for (std::size_t i = 0; i < spec.size(); i += 2) {
    const json& op = spec[i];
    if (!op.is_string() || (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">="))
      refuse(path, "numeric operators are =, <, <=, > and >=");
    if (!spec[i + 1].is_number()) refuse(path, "numeric compares with numbers");
  }
}

void check_anything_but(const json& spec, const std::string& path) {
  if (is_scalar(spec) && !spec.is_boolean()) return;
  if (spec.is_array() && !spec.empty()) {
    for (const auto& v : spec)
      if (!v.is_string() && !v.is_number()) refuse(path, "anything-but lists strings or numbers");
    return;
  }
  if (spec.is_object() && spec.size() == 1) {
    const std::string& key = spec.begin().key();
    const json& v = spec.begin().value();
    if ((key == "prefix" || key == "suffix") && v.is_string()) return;
    if (key == "equals-ignore-case" && (v.is_string() || v.is_array())) return;
  }
  refuse(path, "anything-but takes a value, a list, or {prefix|suffix|equals-ignore-case: ...}");
}

void check_matcher(const json& m, const std::string& path) {
  if (m.is_null() || is_scalar(m)) return;
  if (!m.is_object() || m.size() != 1) refuse(path, "a matcher is a value or {operator: ...}");
  const std::string& op = m.begin().key();
  const json& spec = m.begin().value();
  if (std::find(std::begin(kOperators), std::end(kOperators), op) == std::end(kOperators))
    refuse(path,
           fmt::format("unknown operator '{}' (fx knows {})", op, fmt::join(kOperators, ", ")));
  if (op == "exists" && !spec.is_boolean()) refuse(path, "exists takes true or false");
  if ((op == "prefix" || op == "suffix" || op == "equals-ignore-case" || op == "wildcard") &&
      !spec.is_string())
    refuse(path, fmt::format("{} takes a string", op));
  if (op == "numeric") check_numeric(spec, path);
  if (op == "anything-but") check_anything_but(spec, path);
}

void check_pattern(const json& pattern, const std::string& path) {
  if (!pattern.is_object() || pattern.empty()) refuse(path, "expected an object of fields");
  for (const auto& [key, v] : pattern.items()) {
    const std::string at = path.empty() ? key : path + "." + key;
    if (v.is_object()) {
      check_pattern(v, at);
    } else if (v.is_array() && !v.empty()) {
      for (const auto& m : v) check_matcher(m, at);
    } else {
      refuse(at, "expected a non-empty list of matchers or a nested object");
    }
  }
}

bool same_number(const json& a, const json& b) {
  return a.is_number() && b.is_number() && a.get<double>() == b.get<double>();
}

bool equals_value(const json& m, const json& v) {
  if (m.is_number()) return same_number(m, v);
  return m == v;
}

// '*' is any run of characters; "\*" a literal star.
bool wildcard_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '\\' && p + 1 < pattern.size() &&
        pattern[p + 1] == '*' && text[t] == '*') {
      p += 2, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool numeric_match(const json& spec, double value) {
  for (std::size_t i = 0; i < spec.size(); i += 2) {
    const std::string op = spec[i].get<std::string>();
    const double bound = spec[i + 1].get<double>();
    bool ok = op == "="    ? value == bound
              : op == "<"  ? value < bound
              : op == "<=" ? value <= bound
              : op == ">"  ? value > bound
                           : value >= bound;
    if (!ok) return false;
  }
  return true;
}

bool anything_but(const json& spec, const json& v) {
  if (spec.is_array()) {
    for (const auto& x : spec)
      if (equals_value(x, v)) return false;
    return true;
  }
  if (spec.is_object()) {
    const std::string& key = spec.begin().key();
    const json& x = spec.begin().value();
    if (!v.is_string()) return false;
    const std::string s = v.get<std::string>();
    if (key == "prefix") return !s.starts_with(x.get<std::string>());
    if (key == "suffix") return !s.ends_with(x.get<std::string>());
    if (x.is_string()) return !util::iequals(s, x.get<std::string>());
    for (const auto& y : x)
      if (y.is_string() && util::iequals(s, y.get<std::string>())) return false;
    return true;
  }
  return !equals_value(spec, v);
}

// One matcher against a present, non-array value.
bool match_value(const json& m, const json& v) {
  if (!m.is_object()) return equals_value(m, v);
  const std::string& op = m.begin().key();
  const json& spec = m.begin().value();
  if (op == "numeric") return v.is_number() && numeric_match(spec, v.get<double>());
  if (op == "anything-but") return anything_but(spec, v);
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  const std::string x = spec.get<std::string>();
  if (op == "prefix") return s.starts_with(x);
  if (op == "suffix") return s.ends_with(x);
  if (op == "equals-ignore-case") return util::iequals(s, x);
  return wildcard_match(x, s);  // wildcard
}

// A field's list of matchers against its value (nullptr: the field is absent). A list value
// matches when any of its elements does, as in EventBridge.
bool match_field(const json& matchers, const json* v) {
  for (const auto& m : matchers) {
    if (m.is_object() && m.begin().key() == "exists") {
      if (m.begin().value().get<bool>() == (v != nullptr)) return true;
      continue;
    }
    if (!v) continue;
    if (v->is_array()) {
      for (const auto& element : *v)
        if (match_value(m, element)) return true;
    } else if (match_value(m, *v)) {
      return true;
    }
  }
  return false;
}

bool match_pattern(const json& pattern, const json& event) {
  for (const auto& [key, sub] : pattern.items()) {
    const json* v = nullptr;
    if (event.is_object()) {
      auto it = event.find(key);
      if (it != event.end()) v = &*it;
    }
    if (sub.is_object()) {
      if (!v || !v->is_object() || !match_pattern(sub, *v)) return false;
    } else if (!match_field(sub, v)) {
      return false;
    }
  }
  return true;
}

}  // namespace

struct EventFilter::Impl {
  std::vector<json> patterns;
};

EventFilter::EventFilter() = default;
EventFilter::~EventFilter() = default;
EventFilter::EventFilter(const EventFilter&) = default;
EventFilter& EventFilter::operator=(const EventFilter&) = default;

EventFilter EventFilter::parse(const std::vector<std::string>& patterns) {
  if (patterns.size() > kMaxPatterns)
    throw Error(fmt::format("{} filter patterns; Lambda takes at most {} per event source",
                            patterns.size(), kMaxPatterns),
                "merge them: a field's list of matchers already means any of them");
  auto impl = std::make_shared<Impl>();
  for (const auto& text : patterns) {
    json pattern = json::parse(text, nullptr, false);
    if (pattern.is_discarded()) refuse("", "not JSON");
    check_pattern(pattern, "");
    impl->patterns.push_back(std::move(pattern));
  }
  EventFilter out;
  if (!impl->patterns.empty()) out.impl_ = std::move(impl);
  return out;
}

bool EventFilter::empty() const {
  return !impl_;
}

std::size_t EventFilter::size() const {
  return impl_ ? impl_->patterns.size() : 0;
}

bool EventFilter::passes_sqs_body(std::string_view body) const {
  if (!impl_) return true;
  json parsed = json::parse(body, nullptr, false);
  const json record = {{"body", parsed.is_discarded() ? json(std::string(body)) : parsed}};
  for (const auto& pattern : impl_->patterns)
    if (match_pattern(pattern, record)) return true;
  return false;
}

bool EventFilter::passes_record(std::string_view record_json) const {
  if (!impl_) return true;
  const json record = json::parse(record_json, nullptr, false);
  if (record.is_discarded()) return false;
  for (const auto& pattern : impl_->patterns)
    if (match_pattern(pattern, record)) return true;
  return false;
}

}  // namespace fx::events
