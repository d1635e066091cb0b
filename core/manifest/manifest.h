// Loading serverless.yaml: YAML → variables → validation → Service.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/manifest/service.h"

namespace fx::manifest {

// The reads behind the variable sources only AWS can answer, given by the caller that can reach
// AWS (the CLI, through core/aws). Each returns nullopt when the stack, output or object does not
// exist (so a fallback applies) and throws fx::Error when AWS cannot be asked.
struct AwsVariableReads {
  std::function<std::optional<std::string>(const std::string& region, const std::string& stack,
                                           const std::string& output)>
      cf_output;  // ${cf:stack.output}, ${cf(region):stack.output}
  std::function<std::optional<std::string>(const std::string& region, const std::string& bucket,
                                           const std::string& key)>
      s3_object;  // ${s3:bucket/key}, asked of the service's region
  // ${ssm:NAME}, ${ssm(region):NAME}: the parameter's type and value (decrypted when `decrypt`;
  // /aws/reference/secretsmanager/ID names a secret), or nullopt when there is none.
  // `ssm_parameter` asks AWS; `local_parameter` the emulator's store in FX_HOME;
  // `emulator_parameter` a remote fx emulator (a target given by URL) through its SSM API; and
  // `local_hint` says how to set one on the emulator at `url` ("" for the local one).
  using ParameterRead = std::function<std::optional<std::pair<std::string, std::string>>(
      const std::string& region, const std::string& name, bool decrypt)>;
  ParameterRead ssm_parameter;
  ParameterRead local_parameter;
  std::function<std::optional<std::pair<std::string, std::string>>(
      const std::string& url, const std::string& name, bool decrypt)>
      emulator_parameter;
  std::function<std::string(const std::string& name, const std::string& url)> local_hint;
};

struct LoadOptions {
  std::filesystem::path dir = ".";          // where to look for serverless.yaml / .yml
  std::filesystem::path config;             // --config: an explicit manifest path (wins over dir)
  std::map<std::string, std::string> opts;  // ${opt:...}: "stage", "region", and any --param
  // ${env:...}; defaults to the process environment. Tests replace it.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // --target: where the commands go. ${cf:} and ${s3:} are read from AWS (through `aws`) only
  // when it, or else custom.fx.target, is "aws".
  std::string target;
  AwsVariableReads aws;
};

// Finds, parses, resolves and validates the manifest. Throws fx::Error naming
// file:line:col, the key, what was expected and what was found.
Service load_service(const LoadOptions& options);

// Parses, resolves and validates manifest text as if it were the file `name` in options.dir
// (where ${file(...)} and .env files are read; options.config is not used). For any text it
// returns a Service or throws fx::Error, never another exception.
Service load_service_text(std::string_view text, const LoadOptions& options,
                          const std::string& name = "serverless.yaml");

// The manifest path load_service would read, or throws fx::Error when there is none.
std::filesystem::path find_manifest(const LoadOptions& options);

}  // namespace fx::manifest
