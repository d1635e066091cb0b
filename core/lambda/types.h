// The Lambda API's data shapes, shared by the emulator (which serves them) and the client
// (which sends and reads them), so both sides agree on one JSON mapping.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fx::lambda {

struct FunctionConfiguration {
  std::string function_name;
  std::string function_arn;
  std::string runtime;
  std::string role;
  std::string handler;
  std::string description;
  std::int64_t code_size = 0;
  std::string code_sha256;  // base64 of the zip's SHA-256
  int timeout = 3;
  int memory_size = 128;
  int ephemeral_storage_mb = 512;  // EphemeralStorage.Size: the size of the instance's /tmp
  std::string last_modified;
  std::string version = "$LATEST";
  std::map<std::string, std::string> environment;
  std::string state = "Active";
  std::string last_update_status = "Successful";
  std::string package_type = "Zip";
  std::vector<std::string> architectures = {"x86_64"};
  std::string revision_id;
  std::vector<std::string> layers;          // layer version ARNs, in order
  std::optional<int> reserved_concurrency;  // GetFunction's Concurrency, not in the config JSON
  std::map<std::string, std::string> tags;  // GetFunction's Tags, not in the config JSON
  std::vector<std::string> warnings;  // fx emulator only ("FxWarnings"): e.g. a runtime mismatch
  // fx emulator only ("FxInterpreter"): the interpreter custom.fx.interpreters names for the
  // runtime; empty: the one discovery finds.
  std::string interpreter;
};

// Lambda's FunctionConfiguration JSON.
std::string to_json(const FunctionConfiguration& c);
// Reads a FunctionConfiguration JSON object; throws fx::Error when it is not one.
FunctionConfiguration configuration_from_json(std::string_view json);

struct LayerVersion {
  std::string layer_arn;    // arn:aws:lambda:REGION:ACCOUNT:layer:NAME
  std::string version_arn;  // ...:NAME:VERSION
  long version = 0;
  std::string code_sha256;  // base64
  std::int64_t code_size = 0;
  std::string description;
  std::vector<std::string> compatible_runtimes;
};
std::string to_json(const LayerVersion& l);
LayerVersion layer_version_from_json(std::string_view json);

// "arn:aws:lambda:REGION:ACCOUNT:function:NAME"
std::string function_arn(std::string_view region, std::string_view account, std::string_view name);

// Splits what the Invoke API accepts as a function name (a name, "name:qualifier", a partial
// ARN "ACCOUNT:function:name" or a full ARN) into name and qualifier.
struct FunctionRef {
  std::string name;
  std::string qualifier;
};
std::optional<FunctionRef> parse_function_ref(std::string_view text);

// The account id the emulator reports (as LocalStack does).
inline constexpr std::string_view kLocalAccount = "000000000000";

}  // namespace fx::lambda
