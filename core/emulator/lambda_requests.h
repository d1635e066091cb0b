// The Lambda control plane's request bodies, read and checked the way Lambda checks them
// before it changes anything: a body that is not JSON or has a field of the wrong type is
// InvalidRequestContentException, a value outside Lambda's constraints is
// ValidationException or InvalidParameterValueException, with Lambda's status and words.
// Everything here throws lambda::ApiError and nothing else, so the emulator answers every
// bad body with a 4xx; these functions touch no state, so they can be fuzzed alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lambda/api_error.h"
#include "core/lambda/types.h"

namespace fx::emulator {

// The configuration fields of CreateFunction and UpdateFunctionConfiguration; a field the
// body leaves out stays empty and keeps its current value.
struct ConfigFields {
  std::optional<std::string> runtime, handler, role, description;
  std::optional<std::string> interpreter;  // FxInterpreter: fx's own, custom.fx.interpreters
  std::optional<int> timeout, memory_size, ephemeral_storage_mb;
  std::optional<std::vector<std::string>> architectures, layers;
  std::optional<std::map<std::string, std::string>> environment;
};

struct CreateFunctionRequest {
  std::string function_name;  // as given: a name or an ARN
  ConfigFields config;
  std::string zip_file;  // Code.ZipFile, decoded
  std::map<std::string, std::string> tags;
  bool publish = false;  // Publish: a version is published once the function exists
};

struct PublishLayerVersionRequest {
  std::string zip_file;  // Content.ZipFile, decoded
  std::string description;
  std::vector<std::string> compatible_runtimes;
};

// Lambda's limits on code uploaded in the request itself (not through S3).
inline constexpr std::size_t kMaxZippedCodeBytes = 50 * 1024 * 1024;  // 52428800
// The body of a request that carries code: the zip limit base64-encoded, plus room for the
// rest of the JSON. Lambda names these numbers in its 413s (CreateFunction's grew in 2023,
// when Lambda began to check the zip's own size first: "Zipped size must be smaller than
// 52428800 bytes"); PublishLayerVersion is held to CreateFunction's.
inline constexpr std::size_t kMaxCreateFunctionRequestBytes = 70'167'211;
inline constexpr std::size_t kMaxUpdateCodeRequestBytes = 69'905'067;
inline constexpr std::size_t kMaxUnzippedCodeBytes = 250 * 1024 * 1024;  // 262144000
// Every other control-plane call has a small body (tags, concurrency, configuration).
inline constexpr std::size_t kMaxControlRequestBytes = 1024 * 1024;

CreateFunctionRequest parse_create_function(std::string_view body);
ConfigFields parse_update_configuration(std::string_view body);
// UpdateFunctionCode: the decoded ZipFile; `publish`, when given, gets the body's Publish.
std::string parse_update_code(std::string_view body, bool* publish = nullptr);
PublishLayerVersionRequest parse_publish_layer_version(std::string_view body);
// PutFunctionConcurrency: ReservedConcurrentExecutions.
int parse_put_concurrency(std::string_view body);
// TagResource: the Tags to add, checked against Lambda's tag rules.
std::map<std::string, std::string> parse_tag_resource(std::string_view body);

// Sets the fields present in `fields` on `config`, then checks the whole configuration
// against Lambda's constraints (memory, timeout, storage, runtime, handler, environment,
// layers, architectures). On a violation, `config` may be partly changed: callers apply to
// a copy.
void apply_config(lambda::FunctionConfiguration& config, const ConfigFields& fields);

// A function name from a request path or body (a name, a partial or a full ARN, with an
// optional qualifier), or ValidationException in Lambda's words.
lambda::FunctionRef checked_function_ref(std::string_view text);

// ListEventSourceMappings' query, checked as Lambda checks it (botocore's model: MaxItems 1 to
// 10000, EventSourceArn an ARN's pattern); `function` is the plain name, "" for all.
struct ListMappingsQuery {
  std::string function;
  std::string source_arn;
  std::string marker;   // "" for the first page
  int max_items = 100;  // Lambda's default page
};
// Each argument is the parameter's decoded text, nullopt when the query has none.
ListMappingsQuery checked_list_mappings_query(const std::optional<std::string>& function,
                                              const std::optional<std::string>& source_arn,
                                              const std::optional<std::string>& marker,
                                              const std::optional<std::string>& max_items);

// The error a body too large for its operation gets ("Request must be smaller than N bytes
// for the OPERATION operation"), as Lambda answers it: 413 RequestEntityTooLargeException
// for the control plane, RequestTooLargeException for Invoke.
lambda::ApiError request_too_large(std::size_t limit, std::string_view operation);

}  // namespace fx::emulator
