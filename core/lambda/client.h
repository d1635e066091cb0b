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

namespace fx::aws {
struct AwsSettings;
class AwsService;
}  // namespace fx::aws

namespace fx::lambda {

struct Endpoint {
  std::string url;     // "http://127.0.0.1:4599"
  std::string region;  // sent with every call
  std::string token;   // a remote fx emulator's bearer token
  // Set when the target is AWS itself: calls are signed with these settings (SigV4) and
  // retried on throttling; url is then the Lambda endpoint (aws_endpoint("lambda", ...)).
  std::shared_ptr<const fx::aws::AwsSettings> aws;
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

// A function's URL (Lambda function URLs, API 2021-10-31).
// What Lambda does with a failed asynchronous invocation (Put/GetFunctionEventInvokeConfig).
struct EventInvokeConfig {
  std::optional<int> maximum_retry_attempts;  // nullopt: Lambda's default, 2
  std::optional<int> maximum_event_age_s;     // nullopt: Lambda's default, 6 hours
  std::string on_failure;                     // the destination's ARN, or ""
  std::string on_success;
  bool operator==(const EventInvokeConfig&) const = default;
};

struct FunctionUrlConfig {
  std::string url;          // "https://ID.lambda-url.REGION.on.aws/"
  std::string auth_type;    // "NONE" (public) or "AWS_IAM"
  std::string invoke_mode;  // "BUFFERED" or "RESPONSE_STREAM"; "" when not said
  std::string cors_json;    // its Cors object as JSON text; "" for none
};

// A statement of a function's resource-based policy (AddPermission).
struct Permission {
  std::string statement_id;
  std::string action;                  // "lambda:InvokeFunctionUrl"
  std::string principal;               // "*"
  std::string function_url_auth_type;  // "NONE": only for calls through the function URL
  bool invoked_via_function_url = false;
  std::string source_arn;  // only for calls on behalf of this resource (an EventBridge rule)
};

// A statement of a function's policy as GetPolicy answers it, reduced to what fx compares.
struct PolicyStatement {
  std::string sid;
  std::string principal;   // "*", a service ("events.amazonaws.com") or an account's ARN
  std::string source_arn;  // Condition.ArnLike.AWS:SourceArn, or ""
};

// A Lambda event source mapping: a queue (or stream) that Lambda polls for the function.
struct EventSourceMapping {
  std::string uuid;
  std::string event_source_arn;
  std::string function_arn;
  int batch_size = 10;
  int maximum_batching_window_s = 0;
  std::vector<std::string> function_response_types;  // "ReportBatchItemFailures"
  std::vector<std::string> filter_patterns;  // FilterCriteria's patterns, as compact JSON text
  int maximum_concurrency = 0;               // ScalingConfig.MaximumConcurrency; 0: none
  bool enabled = true;
  // Stream sources (DynamoDB, Kinesis) only: sent when set, as queue mappings refuse them.
  std::string starting_position;  // LATEST, TRIM_HORIZON: fixed when the mapping is created
  std::optional<int> maximum_retry_attempts;
  std::optional<int> maximum_record_age_s;
  std::optional<bool> bisect_batch_on_function_error;
  std::optional<int> parallelization_factor;
  std::optional<int> tumbling_window_s;
  std::optional<std::string> on_failure;  // DestinationConfig.OnFailure.Destination; "": none
  std::string state;                      // Creating, Enabled, Disabled, Updating, Deleting, ...
};

// Where a function is in its lifecycle: what the waiters of the AWS CLI poll.
struct FunctionState {
  std::string state;  // Pending, Active, Inactive, Failed (empty from older servers)
  std::string state_reason;
  std::string last_update_status;  // InProgress, Successful, Failed (empty after a create)
  std::string last_update_status_reason;
};

struct InvokeResult {
  int status = 0;
  std::string request_id;
  std::string function_error;  // "Unhandled", or empty
  std::string payload;
  std::string log_tail;  // decoded X-Amz-Log-Result
  std::string executed_version;
};

// The body of CreateEventSourceMapping (with the function and source) or, with an empty
// function, of UpdateEventSourceMapping.
std::string event_source_mapping_request(const std::string& function,
                                         const EventSourceMapping& mapping);

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
  // Without tags or concurrency: ListFunctions carries neither.
  std::vector<FunctionConfiguration> list_functions();
  // TagResource: adds these tags to the function of that ARN (or replaces their values).
  void tag_function(const std::string& function_arn,
                    const std::map<std::string, std::string>& tags);
  // UntagResource.
  void untag_function(const std::string& function_arn, const std::vector<std::string>& keys);
  void delete_function(const std::string& name);
  void put_function_concurrency(const std::string& name, int reserved);
  // Does nothing when the function has no reserved concurrency.
  void delete_function_concurrency(const std::string& name);
  // Throws ApiError (404) when the function does not exist.
  FunctionState get_function_state(const std::string& name);
  // nullopt when the function has no URL.
  // `qualifier`: the URL of an alias ("" the function's own).
  std::optional<FunctionUrlConfig> get_function_url_config(const std::string& name,
                                                           const std::string& qualifier = "");
  FunctionUrlConfig create_function_url_config(const std::string& name,
                                               const std::string& auth_type);
  FunctionUrlConfig update_function_url_config(const std::string& name,
                                               const std::string& auth_type);
  // Does nothing when the function has no URL.
  void delete_function_url_config(const std::string& name, const std::string& qualifier = "");
  // Create (or, `update`, Update) with the whole body: AuthType, Cors, InvokeMode.
  FunctionUrlConfig put_function_url_config(const std::string& name, bool update,
                                            const std::string& body_json,
                                            const std::string& qualifier = "");
  // nullopt when the function has Lambda's defaults (no such configuration).
  std::optional<EventInvokeConfig> get_event_invoke_config(const std::string& name);
  // Replaces the whole configuration, as PutFunctionEventInvokeConfig does.
  void put_event_invoke_config(const std::string& name, const EventInvokeConfig& config);
  // Does nothing when there is none.
  void delete_event_invoke_config(const std::string& name);
  // false when the function already has a statement with that id. A `qualifier` (a version
  // or an alias) names the policy of that version or alias rather than the function's.
  bool add_permission(const std::string& name, const Permission& permission,
                      const std::string& qualifier = "");
  // Does nothing when there is no such statement.
  void remove_permission(const std::string& name, const std::string& statement_id,
                         const std::string& qualifier = "");
  // The statements of a function's policy; none when it has no policy.
  std::vector<PolicyStatement> get_policy(const std::string& name,
                                          const std::string& qualifier = "");
  // The mappings that invoke this function (by name), every page.
  std::vector<EventSourceMapping> list_event_source_mappings(const std::string& function);
  EventSourceMapping create_event_source_mapping(const std::string& function,
                                                 const EventSourceMapping& mapping);
  // Sets batch size, window, response types and Enabled of the mapping with mapping.uuid.
  EventSourceMapping update_event_source_mapping(const EventSourceMapping& mapping);
  // Does nothing when there is no such mapping.
  void delete_event_source_mapping(const std::string& uuid);
  InvokeResult invoke(const InvokeRequest& request);
  LayerVersion publish_layer_version(const std::string& name, std::string_view zip,
                                     const std::string& description,
                                     const std::vector<std::string>& runtimes);
  // The newest version of a layer (with its CodeSha256), or nullopt when it has none.
  std::optional<LayerVersion> latest_layer_version(const std::string& name);
  // Every version number of a layer, oldest first (none when the layer does not exist).
  std::vector<long> layer_versions(const std::string& name);
  void delete_layer_version(const std::string& name, long version);

  // Versions and aliases (ListVersionsByFunction every page, without $LATEST; PublishVersion).
  std::vector<FunctionConfiguration> list_versions(const std::string& name);
  FunctionConfiguration publish_version(const std::string& name, const std::string& code_sha256);
  // The version an alias points at, or nullopt when there is no such alias.
  std::optional<std::string> get_alias_version(const std::string& name, const std::string& alias);
  void create_alias(const std::string& name, const std::string& alias, const std::string& version);
  void update_alias(const std::string& name, const std::string& alias, const std::string& version);
  // Does nothing when there is no such alias.
  void delete_alias(const std::string& name, const std::string& alias);
  // The requested count of a qualifier's provisioned concurrency; nullopt when it has none.
  std::optional<int> get_provisioned_concurrency(const std::string& name,
                                                 const std::string& qualifier);
  void put_provisioned_concurrency(const std::string& name, const std::string& qualifier, int n);
  // Does nothing when there is none.
  void delete_provisioned_concurrency(const std::string& name, const std::string& qualifier);

 private:
  struct Response;
  Response call(std::string_view method, const std::string& path, std::string_view body,
                std::vector<std::pair<std::string, std::string>> headers = {},
                long timeout_ms = 60'000);

  Endpoint endpoint_;
  std::unique_ptr<util::HttpClient> http_;
  std::unique_ptr<aws::AwsService> aws_;  // when endpoint_.aws is set
};

}  // namespace fx::lambda
