// The one Lambda API client: deploys and invokes on the local emulator, a remote fx
// emulator, or AWS itself (SigV4-signed), all through the same REST calls.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lambda/api_error.h"
#include "core/lambda/types.h"
#include "core/util/error.h"

namespace fx::util {
class HttpClient;
}

namespace fx::lambda {

struct AwsSettings;
class AwsService;

struct Endpoint {
  std::string url;     // "http://127.0.0.1:4599"
  std::string region;  // sent with every call
  std::string token;   // a remote fx emulator's bearer token
  // Set when the target is AWS itself: calls are signed with these settings (SigV4) and
  // retried on throttling; url is then the Lambda endpoint (aws_endpoint("lambda", ...)).
  std::shared_ptr<const AwsSettings> aws;
};

enum class InvocationType { request_response, event, dry_run };

struct InvokeRequest {
  std::string function;
  std::string payload;  // JSON
  InvocationType type = InvocationType::request_response;
  bool log_tail = true;
  std::string client_context;  // JSON; sent base64-encoded
  long timeout_ms = 0;
};

struct InvokeResult {
  int status = 0;
  std::string request_id;
  std::string function_error;  // "Unhandled", or empty
  std::string payload;
  std::string log_tail;  // decoded X-Amz-Log-Result
  std::string executed_version;
};

class LambdaClient {
 public:
  explicit LambdaClient(Endpoint endpoint);
  ~LambdaClient();

  const Endpoint& endpoint() const { return endpoint_; }

  // nullopt when the function does not exist.
  std::optional<FunctionConfiguration> get_function(const std::string& name);
  FunctionConfiguration create_function(const FunctionConfiguration& config, std::string_view zip);
  FunctionConfiguration update_function_code(const std::string& name, std::string_view zip);
  FunctionConfiguration update_function_configuration(const FunctionConfiguration& config);
  std::vector<FunctionConfiguration> list_functions();
  void delete_function(const std::string& name);
  void put_function_concurrency(const std::string& name, int reserved);
  InvokeResult invoke(const InvokeRequest& request);
  LayerVersion publish_layer_version(const std::string& name, std::string_view zip,
                                     const std::string& description,
                                     const std::vector<std::string>& runtimes);
  // The newest version of a layer (with its CodeSha256), or nullopt when it has none.
  std::optional<LayerVersion> latest_layer_version(const std::string& name);

 private:
  struct Response;
  Response call(std::string_view method, const std::string& path, std::string_view body,
                std::vector<std::pair<std::string, std::string>> headers = {},
                long timeout_ms = 60'000);

  Endpoint endpoint_;
  std::unique_ptr<util::HttpClient> http_;
  std::unique_ptr<AwsService> aws_;  // when endpoint_.aws is set
};

}  // namespace fx::lambda
