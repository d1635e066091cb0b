// The few IAM calls `fx deploy --target aws` needs to give functions an execution role, over
// IAM's query protocol (form-encoded Action=...&Version=2010-05-08, XML answers).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fx::aws {

struct AwsSettings;
class AwsService;

struct IamRole {
  std::string name;
  std::string arn;
  std::map<std::string, std::string> tags;
};

// The trust policy that lets Lambda assume a role.
inline constexpr std::string_view kLambdaTrustPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]})";
// Writing to CloudWatch Logs: what every function needs to be observable.
inline constexpr std::string_view kLambdaBasicExecutionPolicy =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

class IamClient {
 public:
  // IAM's endpoint: AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL, else the global one.
  explicit IamClient(const AwsSettings& settings);
  ~IamClient();
  IamClient(const IamClient&) = delete;
  IamClient& operator=(const IamClient&) = delete;

  // nullopt when there is no role of that name (NoSuchEntity).
  std::optional<IamRole> get_role(const std::string& name);
  IamRole create_role(const std::string& name, std::string_view trust_policy,
                      const std::string& description,
                      const std::map<std::string, std::string>& tags);
  void attach_role_policy(const std::string& role, std::string_view policy_arn);
  // Does nothing when the policy is not attached.
  void detach_role_policy(const std::string& role, std::string_view policy_arn);
  std::vector<std::string> attached_role_policies(const std::string& role);
  // An inline policy's document (JSON text), or nullopt when the role has none of that name.
  std::optional<std::string> get_role_policy(const std::string& role, const std::string& name);
  void put_role_policy(const std::string& role, const std::string& name,
                       const std::string& document);
  // Does nothing when the role has no inline policy of that name.
  void delete_role_policy(const std::string& role, const std::string& name);
  void delete_role(const std::string& name);

 private:
  // One action; returns the XML answer. Throws ApiError for an error answer.
  std::string call(std::string_view action,
                   const std::vector<std::pair<std::string, std::string>>& params);

  std::unique_ptr<AwsService> service_;
};

// A minimal reader for the flat XML IAM answers: the text of the first <tag>...</tag> in
// `xml` (entities decoded), or nullopt. Enough for AWS's query-protocol answers, which have
// no attributes on the elements read here, no CDATA and no nesting of a tag in itself.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag);
// The raw contents of every <tag>...</tag> in `xml`, in order.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag);

}  // namespace fx::aws
