#include "core/emulator/request_fields.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fx::emulator::request_fields {

using lambda::ApiError;

std::string shown(std::string_view value) {
  constexpr std::size_t kMax = 200;
  if (value.size() <= kMax) return std::string(value);
  return fmt::format("{}... ({} bytes)", value.substr(0, kMax), value.size());
}

ApiError invalid_content(std::string_view what) {
  return ApiError(400, "InvalidRequestContentException",
                  fmt::format("Could not parse request body into json: {}", what));
}

ApiError validation(std::string_view value, std::string_view at, std::string_view constraint) {
  return ApiError(400, "ValidationException",
                  fmt::format("1 validation error detected: Value '{}' at '{}' failed to satisfy "
                              "constraint: {}",
                              shown(value), at, constraint));
}

const char* kind_of(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "Boolean";
    case json::value_t::string:
      return "String";
    case json::value_t::array:
      return "Array";
    case json::value_t::object:
      return "Object";
    case json::value_t::number_float:
      return "Float";
    default:
      return "Integer";
  }
}

ApiError wrong_type(std::string_view field, std::string_view expected, const json& got) {
  std::string value =
      got.is_string() ? " \"" + shown(got.get_ref<const std::string&>()) + "\"" : "";
  return invalid_content(fmt::format("Cannot deserialize value of type {} from {}{} at '{}'",
                                     expected, kind_of(got), value, field));
}

json parse_object(std::string_view body, bool empty_is_object) {
  if (body.empty() && empty_is_object) return json::object();
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    if (body.empty()) throw invalid_content("the body is empty; send a JSON object");
    throw invalid_content("the body is not valid JSON (or not valid UTF-8)");
  }
  if (!doc.is_object())
    throw invalid_content(fmt::format("expected a JSON object, got {}", kind_of(doc)));
  return doc;
}

const json* field(const json& obj, std::string_view name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> opt_string(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw wrong_type(name, "String", *v);
  return v->get<std::string>();
}

std::optional<bool> opt_bool(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw wrong_type(name, "Boolean", *v);
  return v->get<bool>();
}

std::optional<std::int64_t> opt_integer(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<std::int64_t>();
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  throw wrong_type(name, "Integer", *v);
}

std::optional<int> opt_int(const json& obj, std::string_view name) {
  auto v = opt_integer(obj, name);
  if (!v) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(*v, std::numeric_limits<int>::min(),
                                                   std::numeric_limits<int>::max()));
}

const json* opt_object(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (v && !v->is_object()) throw wrong_type(name, "Structure", *v);
  return v;
}

const json* opt_array(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (v && !v->is_array()) throw wrong_type(name, "List", *v);
  return v;
}

std::optional<std::vector<std::string>> opt_string_list(const json& obj, std::string_view name) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_array()) throw wrong_type(name, "List", *v);
  std::vector<std::string> out;
  for (const auto& item : *v) {
    if (!item.is_string())
      throw wrong_type(fmt::format("{}[{}]", name, out.size()), "String", item);
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::map<std::string, std::string>> opt_string_map(const json& obj,
                                                                 std::string_view name) {
  const json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_object()) throw wrong_type(name, "Map", *v);
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v->items()) {
    if (!value.is_string()) throw wrong_type(fmt::format("{}.{}", name, key), "String", value);
    out[key] = value.get<std::string>();
  }
  return out;
}

}  // namespace fx::emulator::request_fields
