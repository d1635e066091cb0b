// Reading the members of a DynamoDB JSON request, with the answers DynamoDB's protocol layer
// gives for a member of the wrong JSON type (SerializationException, in coral's words) and
// the validation layer's "1 validation error detected: ..." for a missing or out-of-range one.
// Included by core/dynamodb's .cpp files only: it brings in nlohmann/json.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/dynamodb/errors.h"
#include "core/dynamodb/value.h"

namespace fx::dynamodb::request {

using nlohmann::json;

inline DynamoError serialization_error(const std::string& message) {
  DynamoError e("SerializationException", message);
  e.coral = true;
  return e;
}

// A request's body: a JSON object (an empty body is {}).
inline json parse_body(std::string_view body) {
  json req;
  try {
    req = json::parse(body.empty() ? std::string_view("{}") : body);
  } catch (const json::exception&) {
    throw serialization_error("The request body is not valid JSON (or not valid UTF-8)");
  }
  if (!req.is_object()) throw serialization_error("Start of list found where not expected");
  return req;
}

// How coral names a JSON token it cannot convert.
inline std::string token_name(const json& v) {
  if (v.is_string()) return "STRING_VALUE";
  if (v.is_boolean()) return v.get<bool>() ? "TRUE_VALUE" : "FALSE_VALUE";
  if (v.is_number()) return "NUMBER_VALUE";
  return "VALUE";
}

inline DynamoError wrong_type(const json& v, std::string_view expected) {
  if (v.is_object())
    return serialization_error("Start of structure or map found where not expected.");
  if (v.is_array()) return serialization_error("Start of list found where not expected");
  return serialization_error(token_name(v) + " can not be converted to " + std::string(expected));
}

// The member, or nullptr when it is absent or null (DynamoDB treats null as absent).
inline const json* member(const json& obj, std::string_view name) {
  auto it = obj.find(name);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

inline std::optional<std::string> string(const json& obj, std::string_view name) {
  const json* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw wrong_type(*v, "a String");
  return v->get<std::string>();
}

inline std::optional<std::int64_t> integer(const json& obj, std::string_view name) {
  const json* v = member(obj, name);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (d >= -9.2e18 && d <= 9.2e18 && d == static_cast<double>(static_cast<std::int64_t>(d)))
      return static_cast<std::int64_t>(d);
  }
  throw wrong_type(*v, "an Integer");
}

inline std::optional<bool> boolean(const json& obj, std::string_view name) {
  const json* v = member(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) throw wrong_type(*v, "a Boolean");
  return v->get<bool>();
}

// A structure or a map member: nullptr when absent.
inline const json* object(const json& obj, std::string_view name) {
  const json* v = member(obj, name);
  if (!v) return nullptr;
  if (v->is_array()) throw serialization_error("Start of list found where not expected");
  if (!v->is_object()) throw wrong_type(*v, "a Structure");
  return v;
}

inline const json* list(const json& obj, std::string_view name) {
  const json* v = member(obj, name);
  if (!v) return nullptr;
  if (!v->is_array()) throw wrong_type(*v, "a List");
  return v;
}

// "1 validation error detected: Value 'X' at 'path' failed to satisfy constraint: ..."
inline ValidationError constraint(std::string_view value, std::string_view path,
                                  std::string_view what) {
  return ValidationError("1 validation error detected: Value " + std::string(value) + " at '" +
                         std::string(path) +
                         "' failed to satisfy constraint: " + std::string(what));
}
inline ValidationError not_null(std::string_view path) {
  return constraint("null", path, "Member must not be null");
}
inline std::string quote(std::string_view v) {
  return "'" + std::string(v) + "'";
}

// Table and index names: 3 to 255 of [a-zA-Z0-9_.-].
inline void check_name(const std::string& name, std::string_view path) {
  if (name.size() < 3)
    throw constraint(quote(name), path, "Member must have length greater than or equal to 3");
  if (name.size() > 255)
    throw constraint(quote(name), path, "Member must have length less than or equal to 255");
  for (unsigned char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      throw constraint(quote(name), path,
                       "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

}  // namespace fx::dynamodb::request
