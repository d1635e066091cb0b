#include "core/actions/aws_variables.h"

#include <map>
#include <memory>
#include <optional>

#include "core/aws/service.h"
#include "core/aws/variable_sources.h"

namespace fx::actions {

manifest::AwsVariableReads aws_variable_reads(const std::string& profile,
                                              const std::string& region_flag) {
  auto settings = std::make_shared<std::unique_ptr<aws::AwsSettings>>();
  auto resolved = [=](const std::string& region) -> const aws::AwsSettings& {
    if (!*settings)
      *settings = std::make_unique<aws::AwsSettings>(
          aws::resolve_aws_settings(profile, region_flag, region));
    return **settings;
  };
  manifest::AwsVariableReads reads;
  // One DescribeStacks per stack, however many of its outputs the manifest reads.
  using Outputs = std::optional<std::map<std::string, std::string>>;
  auto stacks = std::make_shared<std::map<std::string, Outputs>>();
  reads.cf_output = [=](const std::string& region, const std::string& stack,
                        const std::string& output) -> std::optional<std::string> {
    auto it = stacks->find(region + "\n" + stack);
    if (it == stacks->end())
      it = stacks
               ->emplace(region + "\n" + stack,
                         aws::cloudformation_outputs(resolved(region), region, stack))
               .first;
    if (!it->second) return std::nullopt;
    auto found = it->second->find(output);
    return found == it->second->end() ? std::nullopt : std::optional(found->second);
  };
  reads.s3_object = [=](const std::string& region, const std::string& bucket,
                        const std::string& key) {
    aws::AwsSettings in_region = resolved(region);
    in_region.region = region;
    return aws::s3_object_text(in_region, bucket, key);
  };
  reads.ssm_parameter = [=](const std::string& region, const std::string& name, bool decrypt) {
    aws::AwsSettings in_region = resolved(region);
    in_region.region = region;
    return aws::ssm_parameter(in_region, name, decrypt);
  };
  return reads;
}

}  // namespace fx::actions
