// Reading the JSON bodies of Lambda's REST API as Lambda's own reader does: the body must be
// one JSON object, a null field is an absent one, and a field of the wrong type is refused in
// Jackson's words ("Cannot deserialize value of type String from Integer at 'Role'") as an
// InvalidRequestContentException. One home for the control plane's request files
// (control_requests, lambda_requests, function_urls, versions), so their errors stay alike.
// Includes nlohmann/json: only those .cpp files include this header.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/lambda/api_error.h"

namespace fx::emulator::request_fields {

using json = nlohmann::json;

// A value as a message shows it: long ones cut, so that an error never echoes a megabyte.
std::string shown(std::string_view value);

lambda::ApiError invalid_content(std::string_view what);
// Lambda's validation layer for one field: its path in the request, camel-cased as its model
// says ("1 validation error detected: Value 'x' at 'cors.allowOrigins' failed to satisfy
// constraint: ...").
lambda::ApiError validation(std::string_view value, std::string_view at,
                            std::string_view constraint);

// The JSON type as Jackson names it in its messages.
const char* kind_of(const json& v);
lambda::ApiError wrong_type(std::string_view field, std::string_view expected, const json& got);

// The body as a JSON object (its size is bounded by the server before it gets here; nlohmann
// checks UTF-8 and nests without recursion limits of its own). Some calls the AWS CLI makes
// with no body at all: for those `empty_is_object` reads "" as {}.
json parse_object(std::string_view body, bool empty_is_object = false);

// A field, or nullptr when absent or null (Lambda treats null as absent).
const json* field(const json& obj, std::string_view name);
std::optional<std::string> opt_string(const json& obj, std::string_view name);
std::optional<bool> opt_bool(const json& obj, std::string_view name);
// Clamped to the type's range: a value past it fails its range check anyway.
std::optional<int> opt_int(const json& obj, std::string_view name);
std::optional<std::int64_t> opt_integer(const json& obj, std::string_view name);
const json* opt_object(const json& obj, std::string_view name);  // a Structure
const json* opt_array(const json& obj, std::string_view name);   // a List
std::optional<std::vector<std::string>> opt_string_list(const json& obj, std::string_view name);
std::optional<std::map<std::string, std::string>> opt_string_map(const json& obj,
                                                                 std::string_view name);

}  // namespace fx::emulator::request_fields
