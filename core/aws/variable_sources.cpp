#include "core/aws/variable_sources.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/iam.h"
#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

std::optional<std::map<std::string, std::string>> cloudformation_outputs(
    const AwsSettings& settings, const std::string& region, const std::string& stack) {
  AwsSettings in_region = settings;
  in_region.region = region;
  AwsService cloudformation(in_region, "cloudformation");
  const std::string body =
      fmt::format("Action=DescribeStacks&Version=2010-05-15&StackName={}", util::url_encode(stack));
  std::string xml;
  try {
    xml = cloudformation
              .request("POST", "/",
                       {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, body)
              .body;
  } catch (const ApiError& e) {
    // A stack that does not exist is a ValidationError "Stack with id X does not exist".
    if (e.type() == "ValidationError" &&
        std::string_view(e.what()).find("does not exist") != std::string_view::npos)
      return std::nullopt;
    throw;
  }
  std::map<std::string, std::string> out;
  for (auto outputs : xml_elements(xml, "Outputs"))
    for (auto member : xml_elements(outputs, "member"))
      out[xml_text(member, "OutputKey").value_or("")] =
          xml_text(member, "OutputValue").value_or("");
  return out;
}

std::optional<std::string> s3_object_text(const AwsSettings& settings, const std::string& bucket,
                                          const std::string& key) {
  AwsService s3(settings, "s3");
  // Path-style, the key's '/' kept; S3 wants the payload's hash among the signed headers.
  std::string path = "/" + util::url_encode(bucket) + "/";
  for (size_t start = 0;;) {
    const size_t slash = key.find('/', start);
    path += util::url_encode(key.substr(start, slash - start));
    if (slash == std::string::npos) break;
    path += "/";
    start = slash + 1;
  }
  try {
    return s3
        .request("GET", path,
                 {{"x-amz-content-sha256",
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
                 "")
        .body;
  } catch (const ApiError& e) {
    if (e.type() == "NoSuchKey") return std::nullopt;
    throw;
  }
}

std::optional<std::pair<std::string, std::string>> ssm_parameter(const AwsSettings& settings,
                                                                 const std::string& name,
                                                                 bool decrypt) {
  AwsService ssm(settings, "ssm");
  const std::string body = nlohmann::json{{"Name", name}, {"WithDecryption", decrypt}}.dump();
  std::string answer;
  try {
    answer = ssm.request("POST", "/",
                         {{"X-Amz-Target", "AmazonSSM.GetParameter"},
                          {"Content-Type", "application/x-amz-json-1.1"}},
                         body)
                 .body;
  } catch (const ApiError& e) {
    if (e.type() == "ParameterNotFound") return std::nullopt;
    throw;
  }
  auto parsed = nlohmann::json::parse(answer, nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("Parameter") || !parsed["Parameter"].is_object())
    throw ApiError(200, "InvalidResponse", "SSM's GetParameter answer has no Parameter");
  const auto& p = parsed["Parameter"];
  return std::pair{p.value("Type", std::string("String")), p.value("Value", std::string())};
}

}  // namespace fx::aws
