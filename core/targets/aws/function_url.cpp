// The function URL that serves a function's http/httpApi events on AWS, with the statements
// of the function's policy that make it public.
#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

// The console's names for a public function URL's two statements.
constexpr const char* kUrlStatement = "FunctionURLAllowPublicAccess";
constexpr const char* kUrlInvokeStatement = "FunctionURLAllowInvokeAction";

// `private: true` asks for callers to prove who they are: on a function URL that is IAM.
std::string url_auth_type(const manifest::Function& f) {
  bool is_private = std::any_of(f.events.begin(), f.events.end(), [](const auto& e) {
    const auto* http = std::get_if<manifest::HttpEvent>(&e);
    return http && http->is_private;
  });
  return is_private ? "AWS_IAM" : "NONE";
}

}  // namespace

// A function URL for an http/httpApi function, public unless an event is private. A public
// URL needs both statements in the function's policy (the second since October 2025).
std::string ensure_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                                bool existed) {
  const std::string auth = url_auth_type(f);
  std::optional<lambda::FunctionUrlConfig> url;
  if (existed) url = client.get_function_url_config(f.name);
  if (url && url->auth_type == auth) return url->url;
  url = url ? client.update_function_url_config(f.name, auth)
            : client.create_function_url_config(f.name, auth);
  if (auth == "NONE") {
    client.add_permission(f.name,
                          {kUrlStatement, "lambda:InvokeFunctionUrl", "*", "NONE", false, ""});
    client.add_permission(f.name,
                          {kUrlInvokeStatement, "lambda:InvokeFunction", "*", "", true, ""});
  } else {
    client.remove_permission(f.name, kUrlStatement);
    client.remove_permission(f.name, kUrlInvokeStatement);
  }
  return url->url;
}

void delete_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::string& function_arn) {
  client.delete_function_url_config(f.name);
  client.remove_permission(f.name, kUrlStatement);
  client.remove_permission(f.name, kUrlInvokeStatement);
  client.untag_function(function_arn, {kUrlTag});
}

}  // namespace fx::targets::aws
