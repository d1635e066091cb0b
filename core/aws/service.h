// Talking to AWS itself: where credentials, region and endpoints come from, and one signed
// HTTP call with retries that every AWS API client of fx (Lambda, IAM, CloudWatch Logs) uses.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/aws/api_error.h"
#include "core/aws/sigv4.h"

namespace fx::util {
class HttpClient;
struct HttpResult;
}  // namespace fx::util

namespace fx::aws {

struct AwsSettings {
  AwsCredentials credentials;
  std::string region;
  std::string profile;  // the profile used, or "" for the environment
};

// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN from the
// environment, else the profile (profile_flag, else AWS_PROFILE, else "default") from
// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, then AWS_CONFIG_FILE or ~/.aws/config
// ("[profile NAME]" sections). As with `aws --profile`, a profile_flag skips the environment's
// keys. credentials.source says which was used. Region: AWS_REGION, AWS_DEFAULT_REGION, the
// profile's region, then region_fallback (the manifest's provider.region). An explicit region
// (--region) is passed as region_override and wins over all of these. Throws fx::Error naming what
// is missing and how to provide it.
AwsSettings resolve_aws_settings(const std::string& profile_flag,
                                 const std::string& region_override,
                                 const std::string& region_fallback);

// The base URL for a service ("lambda", "logs", "iam"): AWS_ENDPOINT_URL_LAMBDA (the service
// id upper-cased) else AWS_ENDPOINT_URL else https://SERVICE.REGION.amazonaws.com (IAM is
// global: https://iam.amazonaws.com). No trailing slash.
std::string aws_endpoint(std::string_view service, std::string_view region);

// The region a service's requests are signed for (IAM: us-east-1).
std::string signing_region(std::string_view service, std::string_view region);

struct AwsCallOptions {
  long timeout_ms = 60'000;  // the whole exchange, per attempt; a timed-out call is not retried
  int max_attempts = 5;      // retries on throttling, 5xx and connection failures
};

// One AWS service endpoint. request() signs, sends, and retries throttling (429,
// Throttling*, TooManyRequestsException), 5xx and connection failures with exponential
// backoff and full jitter. Any other error status throws ApiError with the service's code
// and message (read from x-amzn-ErrorType, a JSON __type/code/message, or an XML
// <Error><Code>/<Message>), with a hint for the common causes: missing or expired
// credentials, a rejected signature (clock skew?), access denied.
class AwsService {
 public:
  AwsService(AwsSettings settings, std::string service);
  AwsService(AwsSettings settings, std::string service, std::string endpoint_url);
  ~AwsService();
  AwsService(const AwsService&) = delete;
  AwsService& operator=(const AwsService&) = delete;

  const AwsSettings& settings() const { return settings_; }
  const std::string& endpoint_url() const { return endpoint_; }

  // path_and_query starts with "/". Returns the 2xx/3xx response; throws ApiError otherwise
  // and fx::Error when the endpoint cannot be reached after the retries.
  util::HttpResult request(std::string_view method, const std::string& path_and_query,
                           HeaderList headers, std::string_view body,
                           const AwsCallOptions& options = {});

 private:
  AwsSettings settings_;
  std::string service_;
  std::string endpoint_;
  std::unique_ptr<util::HttpClient> http_;
};

}  // namespace fx::aws
