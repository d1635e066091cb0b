// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4.html),
// with OpenSSL's HMAC-SHA256. Pure functions of their inputs (the time is a parameter), so the
// published test-suite cases and botocore's signer can be checked byte for byte.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only
  std::string source;         // for messages: "environment", "profile dev (~/.aws/credentials)"
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SigningInput {
  std::string method;  // "GET"
  std::string url;     // "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/?Marker=x"
  HeaderList headers;  // as they will be sent; Host is taken from the URL when absent
  std::string_view body;
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "lambda", "logs", "iam"
  std::chrono::system_clock::time_point now;
};

// What S3's verification needs besides (the emulator checks what clients signed).
struct SigningExtras {
  // The payload hash as the client declared it (x-amz-content-sha256, UNSIGNED-PAYLOAD,
  // STREAMING-...) instead of the body's own hash.
  std::string payload_hash;
  // A presigned URL's signature (SigV4 in the query): the headers are exactly the signed ones,
  // X-Amz-Date is in the URL rather than added as a header, and the URL must not hold
  // X-Amz-Signature.
  bool query_auth = false;
};

// The intermediate strings, exposed so tests can compare each step with the test suite.
struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string authorization;  // the Authorization header's value
  std::string amz_date;       // "20150830T123600Z"
};

Signature sigv4_signature(const SigningInput& input, const AwsCredentials& credentials);
Signature sigv4_signature(const SigningInput& input, const AwsCredentials& credentials,
                          const SigningExtras& extras);

// Adds X-Amz-Date, X-Amz-Security-Token (with a session token) and Authorization to
// input.headers, and returns them.
HeaderList sign_v4(SigningInput input, const AwsCredentials& credentials);

}  // namespace fx::aws
