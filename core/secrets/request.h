// Internal to core/secrets: a JSON 1.1 request's members read with the checks AWS makes (a
// wrong type is a SerializationException, a missing required member a ValidationException),
// and the error both APIs raise.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fx::secrets {

class ApiError : public std::runtime_error {
 public:
  ApiError(std::string type, const std::string& message, int status = 400)
      : std::runtime_error(message), type_(std::move(type)), status_(status) {}
  const std::string& type() const { return type_; }
  int status() const { return status_; }

 private:
  std::string type_;
  int status_;
};

inline ApiError validation(const std::string& message) {
  return ApiError("ValidationException", message);
}

class Request {
 public:
  explicit Request(std::string_view body) {
    if (body.empty()) {
      json_ = nlohmann::json::object();
      return;
    }
    try {
      json_ = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception&) {
      throw ApiError("SerializationException", "The request body is not valid JSON");
    }
    if (!json_.is_object())
      throw ApiError("SerializationException",
                     "Start of list or value found where a structure was expected");
  }

  bool has(const char* key) const {
    auto it = json_.find(key);
    return it != json_.end() && !it->is_null();
  }

  std::optional<std::string> string(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) return std::nullopt;
    if (!it->is_string())
      throw ApiError("SerializationException",
                     fmt::format("{} must be a string, got {}", key, it->type_name()));
    return it->get<std::string>();
  }
  // `field` is AWS's name for it in messages ("name", "value").
  std::string required(const char* key, const char* field) const {
    auto v = string(key);
    if (!v)
      throw validation(
          fmt::format("1 validation error detected: Value null at '{}' failed to "
                      "satisfy constraint: Member must not be null",
                      field));
    return *v;
  }
  bool boolean(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) return false;
    if (!it->is_boolean())
      throw ApiError("SerializationException",
                     fmt::format("{} must be a boolean, got {}", key, it->type_name()));
    return it->get<bool>();
  }
  std::optional<std::int64_t> integer(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) return std::nullopt;
    if (!it->is_number_integer())
      throw ApiError("SerializationException",
                     fmt::format("{} must be an integer, got {}", key, it->type_name()));
    return it->get<std::int64_t>();
  }
  std::optional<std::vector<std::string>> strings(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) return std::nullopt;
    if (!it->is_array())
      throw ApiError("SerializationException",
                     fmt::format("{} must be a list, got {}", key, it->type_name()));
    std::vector<std::string> out;
    for (const auto& v : *it) {
      if (!v.is_string())
        throw ApiError("SerializationException", fmt::format("{} must be a list of strings", key));
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  // A list of objects (Tags, Filters): each checked by the caller.
  std::vector<nlohmann::json> objects(const char* key) const {
    auto it = json_.find(key);
    if (it == json_.end() || it->is_null()) return {};
    if (!it->is_array())
      throw ApiError("SerializationException",
                     fmt::format("{} must be a list, got {}", key, it->type_name()));
    std::vector<nlohmann::json> out;
    for (const auto& v : *it) {
      if (!v.is_object())
        throw ApiError("SerializationException", fmt::format("{} must be a list of objects", key));
      out.push_back(v);
    }
    return out;
  }

 private:
  nlohmann::json json_;
};

// A member of one of objects()'s objects.
inline std::optional<std::string> member(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw ApiError("SerializationException", fmt::format("{} must be a string", key));
  return it->get<std::string>();
}

inline std::vector<std::string> member_strings(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  if (!it->is_array())
    throw ApiError("SerializationException", fmt::format("{} must be a list", key));
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string())
      throw ApiError("SerializationException", fmt::format("{} must be a list of strings", key));
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Epoch seconds with milliseconds, as JSON 1.1 timestamps are.
inline double epoch_seconds(std::int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

}  // namespace fx::secrets
