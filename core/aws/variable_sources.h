// The two reads the Serverless Framework's AWS variable sources make when a manifest is loaded
// for a deploy to AWS: a CloudFormation stack's output (${cf:stack.output},
// ${cf(region):stack.output}) and an S3 object's text (${s3:bucket/key}).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

namespace fx::aws {

struct AwsSettings;

// The outputs of stack `stack` (DescribeStacks), by key, or nullopt when there is no such stack
// (the framework's null, so a fallback applies). Throws ApiError for other failures.
std::optional<std::map<std::string, std::string>> cloudformation_outputs(
    const AwsSettings& settings, const std::string& region, const std::string& stack);

// The object's body (GetObject), or nullopt when the key does not exist (NoSuchKey). Throws
// ApiError for other failures (no such bucket, access denied).
std::optional<std::string> s3_object_text(const AwsSettings& settings, const std::string& bucket,
                                          const std::string& key);

// SSM's GetParameter (the framework's ${ssm:NAME}): the parameter's type and value, or nullopt
// when there is none (ParameterNotFound). Throws ApiError for other failures.
std::optional<std::pair<std::string, std::string>> ssm_parameter(const AwsSettings& settings,
                                                                 const std::string& name,
                                                                 bool decrypt);

}  // namespace fx::aws
