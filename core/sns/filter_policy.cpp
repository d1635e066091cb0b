#include "core/sns/filter_policy.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fx::sns {

using nlohmann::json;

struct FilterPolicy::Impl {
  json policy;  // checked by parse()
  bool body_scope = false;
};

namespace {

// SNS's documented limits for one policy.
constexpr std::size_t kMaxKeys = 5;
constexpr std::size_t kMaxCombinations = 150;

// A value a condition is matched against: one attribute's (or one element of a String.Array),
// or one leaf of a JSON body.
struct Value {
  enum Kind { kString, kNumber, kOther } kind = kOther;
  std::string text;
  double number = 0;
  json literal;  // kOther: true, false, null
};

std::optional<double> as_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

Value of_json(const json& v) {
  Value out;
  if (v.is_string()) {
    out.kind = Value::kString;
    out.text = v.get<std::string>();
  } else if (v.is_number()) {
    out.kind = Value::kNumber;
    out.number = v.get<double>();
  } else {
    out.literal = v;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool in_cidr(const std::string& address, const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr net{}, ip{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1 ||
      inet_pton(AF_INET, address.c_str(), &ip) != 1)
    return false;
  int bits = std::atoi(cidr.c_str() + slash + 1);
  std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (ntohl(net.s_addr) & mask) == (ntohl(ip.s_addr) & mask);
}

// ---- checking a policy --------------------------------------------------------------------

[[noreturn]] void refuse(const std::string& why) {
  throw PolicyError(why);
}

void check_numeric(const json& spec) {
  if (!spec.is_array() || spec.empty() || spec.size() > 4 || spec.size() % 2 != 0)
    refuse("Value of numeric must be an array of 2 or 4 elements: an operator and a number");
  for (std::size_t i = 0; i < spec.size(); i += 2) {
    if (!spec[i].is_string()) refuse("Unrecognized numeric range operator");
    const auto op = spec[i].get<std::string>();
    if (op != "=" && op != "<" && op != "<=" && op != ">" && op != ">=")
      refuse(fmt::format("Unrecognized numeric range operator: {}", op));
    if (op == "=" && spec.size() != 2) refuse("Value of = must be alone in a numeric range");
    if (!spec[i + 1].is_number()) refuse("Value of numeric operator must be numeric");
  }
  if (spec.size() == 4) {
    const auto a = spec[0].get<std::string>(), b = spec[2].get<std::string>();
    if (a[0] != '>' || b[0] != '<') refuse("Too many elements in numeric expression");
    if (spec[1].get<double>() >= spec[3].get<double>()) refuse("Bottom must be less than top");
  }
}

void check_condition(const json& c) {
  if (c.is_string() || c.is_number() || c.is_null() || c.is_boolean()) return;
  if (!c.is_object() || c.size() != 1)
    refuse("Match value must be String, number, true, false, or null");
  const auto first = c.begin();  // not items(): its proxy would be a dangling temporary
  const std::string& op = first.key();
  const json& spec = first.value();
  if (op == "prefix" || op == "suffix" || op == "equals-ignore-case") {
    if (!spec.is_string()) refuse(fmt::format("{} match pattern must be a string", op));
  } else if (op == "anything-but") {
    if (spec.is_object()) {
      if (spec.size() != 1 || !(spec.contains("prefix") || spec.contains("suffix")) ||
          !spec.begin()->is_string())
        refuse("Unsupported anything-but pattern: only prefix and suffix nest in anything-but");
    } else if (spec.is_array()) {
      if (spec.empty()) refuse("Empty arrays are not allowed");
      for (const auto& v : spec)
        if (!v.is_string() && !v.is_number())
          refuse("Inside anything-but list, start|null|boolean is not supported.");
    } else if (!spec.is_string() && !spec.is_number()) {
      refuse("Value of anything-but must be an array or single string/number value.");
    }
  } else if (op == "numeric") {
    check_numeric(spec);
  } else if (op == "exists") {
    if (!spec.is_boolean()) refuse("exists match pattern must be either true or false.");
  } else if (op == "cidr") {
    in_addr ignored{};
    auto text = spec.is_string() ? spec.get<std::string>() : std::string();
    auto slash = text.find('/');
    int bits = slash == std::string::npos ? -1 : std::atoi(text.c_str() + slash + 1);
    if (slash == std::string::npos || bits < 0 || bits > 32 ||
        inet_pton(AF_INET, text.substr(0, slash).c_str(), &ignored) != 1)
      refuse("Malformed CIDR, one '/' required");
  } else {
    refuse(fmt::format("Unrecognized match type {}", op));
  }
}

// Returns the number of value combinations the object stands for; counts keys into `keys`.
std::size_t check_object(const json& policy, bool body_scope, int depth, std::size_t& keys) {
  if (!policy.is_object() || policy.empty()) refuse("Filter policy can not be empty");
  if (depth > 8) refuse("Filter policy is too deeply nested");
  std::size_t combinations = 1;
  for (const auto& [key, value] : policy.items()) {
    if (key == "$or") {
      if (!value.is_array() || value.size() < 2)
        refuse("$or must be an array of at least two filter policies");
      std::size_t sum = 0;
      for (const auto& branch : value) {
        std::size_t branch_keys = 0;
        sum += check_object(branch, body_scope, depth + 1, branch_keys);
        keys = std::max(keys, branch_keys);
      }
      combinations *= sum;
      continue;
    }
    if (value.is_object()) {
      if (!body_scope)
        refuse(fmt::format(
            "\"{}\": a MessageAttributes-scope policy takes a list of conditions per attribute, "
            "not a nested object (nesting needs FilterPolicyScope MessageBody)",
            key));
      combinations *= check_object(value, body_scope, depth + 1, keys);
      continue;
    }
    ++keys;
    if (!value.is_array()) refuse(fmt::format("\"{}\" must be an object or an array", key));
    if (value.empty()) refuse("Empty arrays are not allowed");
    for (const auto& c : value) check_condition(c);
    combinations *= value.size();
  }
  return combinations;
}

// ---- matching -------------------------------------------------------------------------------

bool condition_matches(const json& c, const Value& v) {
  if (c.is_string()) return v.kind == Value::kString && v.text == c.get_ref<const std::string&>();
  if (c.is_number()) return v.kind == Value::kNumber && v.number == c.get<double>();
  if (!c.is_object()) return v.kind == Value::kOther && v.literal == c;
  const auto first = c.begin();  // not items(): its proxy would be a dangling temporary
  const std::string& op = first.key();
  const json& spec = first.value();
  if (op == "exists") return spec.get<bool>();  // the value is there
  if (op == "prefix")
    return v.kind == Value::kString && v.text.starts_with(spec.get_ref<const std::string&>());
  if (op == "suffix")
    return v.kind == Value::kString && v.text.ends_with(spec.get_ref<const std::string&>());
  if (op == "equals-ignore-case")
    return v.kind == Value::kString && lower(v.text) == lower(spec.get<std::string>());
  if (op == "cidr") return v.kind == Value::kString && in_cidr(v.text, spec.get<std::string>());
  if (op == "numeric") {
    if (v.kind != Value::kNumber) return false;
    for (std::size_t i = 0; i < spec.size(); i += 2) {
      const auto o = spec[i].get<std::string>();
      const double bound = spec[i + 1].get<double>();
      bool ok = o == "="    ? v.number == bound
                : o == "<"  ? v.number < bound
                : o == "<=" ? v.number <= bound
                : o == ">"  ? v.number > bound
                            : v.number >= bound;
      if (!ok) return false;
    }
    return true;
  }
  if (op == "anything-but") {
    if (spec.is_object()) {
      if (v.kind != Value::kString) return false;
      const auto nested = spec.begin();
      const std::string& inner = nested.key();
      const json& what = nested.value();
      const auto& s = what.get_ref<const std::string&>();
      return inner == "prefix" ? !v.text.starts_with(s) : !v.text.ends_with(s);
    }
    auto one = [&](const json& x) {
      if (x.is_string())
        return v.kind == Value::kString && v.text == x.get_ref<const std::string&>();
      return v.kind == Value::kNumber && v.number == x.get<double>();
    };
    if (spec.is_array()) {
      for (const auto& x : spec)
        if (one(x)) return false;
      return true;
    }
    return !one(spec);
  }
  return false;
}

// Whether any of `values` (one, or a list's elements) passes any of `conditions`; none present
// passes only {"exists": false}.
bool key_matches(const json& conditions, const std::vector<Value>* values) {
  for (const auto& c : conditions) {
    const bool exists_false = c.is_object() && c.contains("exists") && !c["exists"].get<bool>();
    if (!values) {
      if (exists_false) return true;
      continue;
    }
    if (exists_false) continue;
    for (const auto& v : *values)
      if (condition_matches(c, v)) return true;
  }
  return false;
}

bool matches_attributes(const json& policy, const std::vector<MessageAttribute>& attributes) {
  for (const auto& [key, conditions] : policy.items()) {
    if (key == "$or") {
      bool any = false;
      for (const auto& branch : conditions) any = any || matches_attributes(branch, attributes);
      if (!any) return false;
      continue;
    }
    const MessageAttribute* found = nullptr;
    for (const auto& a : attributes)
      if (a.name == key) found = &a;
    std::vector<Value> values;
    if (found) {
      if (found->data_type == "String.Array") {
        json list = json::parse(found->string_value, nullptr, false);
        if (list.is_array())
          for (const auto& e : list) values.push_back(of_json(e));
      } else if (found->data_type.starts_with("Number")) {
        Value v;
        v.kind = Value::kNumber;
        v.number = as_number(found->string_value).value_or(NAN);
        values.push_back(v);
      } else if (found->data_type.starts_with("String")) {
        Value v;
        v.kind = Value::kString;
        v.text = found->string_value;
        values.push_back(v);
      } else {  // Binary: present, but no condition but exists matches it
        Value v;
        v.literal = "binary";
        values.push_back(v);
      }
    }
    if (!key_matches(conditions, found ? &values : nullptr)) return false;
  }
  return true;
}

bool matches_body(const json& policy, const json& body) {
  for (const auto& [key, conditions] : policy.items()) {
    if (key == "$or") {
      bool any = false;
      for (const auto& branch : conditions) any = any || matches_body(branch, body);
      if (!any) return false;
      continue;
    }
    const json* value = body.is_object() && body.contains(key) ? &body[key] : nullptr;
    if (conditions.is_object()) {
      // A nested policy: the body's value must be an object (or a list holding one) passing it.
      if (!value) return false;
      bool ok = false;
      if (value->is_array()) {
        for (const auto& e : *value) ok = ok || (e.is_object() && matches_body(conditions, e));
      } else {
        ok = value->is_object() && matches_body(conditions, *value);
      }
      if (!ok) return false;
      continue;
    }
    std::vector<Value> values;
    if (value) {
      if (value->is_array()) {
        for (const auto& e : *value) values.push_back(of_json(e));
      } else if (!value->is_object()) {
        values.push_back(of_json(*value));
      }
    }
    if (!key_matches(conditions, value && !value->is_object() ? &values : nullptr)) return false;
  }
  return true;
}

}  // namespace

FilterPolicy::FilterPolicy() = default;
FilterPolicy::~FilterPolicy() = default;
FilterPolicy::FilterPolicy(const FilterPolicy&) = default;
FilterPolicy& FilterPolicy::operator=(const FilterPolicy&) = default;

FilterPolicy FilterPolicy::parse(std::string_view json_text, bool body_scope) {
  json policy = json::parse(json_text, nullptr, false);
  if (policy.is_discarded()) refuse("failed to parse JSON");
  std::size_t keys = 0;
  const std::size_t combinations = check_object(policy, body_scope, 0, keys);
  if (keys > kMaxKeys)
    refuse(fmt::format("Filter policy can not have more than {} keys", kMaxKeys));
  if (combinations > kMaxCombinations)
    refuse(fmt::format("Filter policy is too complex: {} combinations of values (at most {})",
                       combinations, kMaxCombinations));
  auto impl = std::make_shared<Impl>();
  impl->policy = std::move(policy);
  impl->body_scope = body_scope;
  FilterPolicy out;
  out.impl_ = std::move(impl);
  return out;
}

bool FilterPolicy::empty() const {
  return !impl_;
}
bool FilterPolicy::body_scope() const {
  return impl_ && impl_->body_scope;
}

bool FilterPolicy::matches(const std::vector<MessageAttribute>& attributes,
                           std::string_view message) const {
  if (!impl_) return true;
  if (!impl_->body_scope) return matches_attributes(impl_->policy, attributes);
  // A body that is not a JSON object matches no body-scope policy: SNS drops it.
  json body = json::parse(message, nullptr, false);
  return body.is_object() && matches_body(impl_->policy, body);
}

}  // namespace fx::sns
