// AWS itself as a target: Lambda, IAM, EventBridge and SQS through core/targets/aws/deploy.h,
// logs and usage read back from CloudWatch Logs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/targets/target.h"

namespace fx::aws {
struct AwsSettings;
}

namespace fx::targets {

class AwsTarget : public Target {
 public:
  // endpoint.aws holds the credentials and region.
  explicit AwsTarget(lambda::Endpoint endpoint) : Target(std::move(endpoint)) {}

  std::string description() const override { return "AWS Lambda at " + endpoint_.url; }

  Deployment deploy(const manifest::Service& service,
                    const actions::DeployOptions& options) override;
  ServiceInfo info(const manifest::Service& service) override;
  Removal remove(const manifest::Service& service) override;
  // CloudWatch has no long poll: with follow, it asks again every second.
  void logs(const LogQuery& query, const LogVisitor& each,
            const std::function<void()>& batch_done) override;
  // Needs query.request.functions: CloudWatch is read one log group per function.
  std::string cost(const CostQuery& query) override;
};

// `fx info` from what AWS answered about each of the service's functions.
ServiceInfo aws_info(const lambda::Endpoint& endpoint,
                     const std::vector<aws::AwsFunctionInfo>& described);

// The cost report from the REPORT lines in each function's CloudWatch log group
// (/aws/lambda/NAME) since request.since_ms; request.functions names the functions
// (deployed names). REPORT lines do not say the architecture: `architectures` gives it by
// deployed name (x86_64 otherwise). A function without a log group has no invocations, and
// a note says so. Throws fx::Error / lambda::ApiError when CloudWatch cannot be read.
std::string cost_report_from_cloudwatch(const usage::CostRequest& request,
                                        const usage::PriceTable& prices,
                                        const fx::aws::AwsSettings& aws,
                                        const std::map<std::string, std::string>& architectures);

}  // namespace fx::targets
