// A function's own URL (its `url:`) on AWS, with the statements of the function's policy that
// make a public one public. http/httpApi events are API Gateway's (api_gateway.h), not a URL's.
#include <nlohmann/json.hpp>

#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

namespace {

// The console's names for a public function URL's two statements.
constexpr const char* kUrlStatement = "FunctionURLAllowPublicAccess";
constexpr const char* kUrlInvokeStatement = "FunctionURLAllowInvokeAction";

// Cors objects compare as values: Lambda may list their keys in another order.
bool same_cors(const std::string& a, const std::string& b) {
  auto x = nlohmann::json::parse(a.empty() ? "{}" : a, nullptr, false);
  auto y = nlohmann::json::parse(b.empty() ? "{}" : b, nullptr, false);
  return x == y;
}

std::string url_qualifier(const manifest::Function& f) {
  return f.provisioned_concurrency.value_or(0) > 0 ? "provisioned" : "";
}

}  // namespace

// The function URL its `url:` asks for (auth type, CORS, invoke mode), made or brought up to
// date. A public URL needs both statements in the function's policy (the second since
// October 2025).
std::string ensure_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                                bool existed) {
  const auto& want = *f.url;
  // A provisioned function's URL is its alias's, as the framework wires it: the calls it
  // serves run warm.
  const std::string qualifier = url_qualifier(f);
  std::optional<lambda::FunctionUrlConfig> url;
  if (existed) url = client.get_function_url_config(f.name, qualifier);
  if (url && url->auth_type == want.auth_type && same_cors(url->cors_json, want.cors_json) &&
      (url->invoke_mode.empty() ? "BUFFERED" : url->invoke_mode) == want.invoke_mode)
    return url->url;
  nlohmann::json body = {{"AuthType", want.auth_type}, {"InvokeMode", want.invoke_mode}};
  body["Cors"] =
      want.cors_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(want.cors_json);
  const bool auth_changed = !url || url->auth_type != want.auth_type;
  url = client.put_function_url_config(f.name, url.has_value(), body.dump(), qualifier);
  if (!auth_changed) return url->url;
  if (want.auth_type == "NONE") {
    client.add_permission(
        f.name, {kUrlStatement, "lambda:InvokeFunctionUrl", "*", "NONE", false, ""}, qualifier);
    client.add_permission(f.name, {kUrlInvokeStatement, "lambda:InvokeFunction", "*", "", true, ""},
                          qualifier);
  } else {
    client.remove_permission(f.name, kUrlStatement, qualifier);
    client.remove_permission(f.name, kUrlInvokeStatement, qualifier);
  }
  return url->url;
}

void delete_function_url(lambda::LambdaClient& client, const manifest::Function& f,
                         const std::string& function_arn) {
  // The function's own URL, and its alias's when it has provisioned concurrency.
  for (const std::string& qualifier : {std::string(), url_qualifier(f)}) {
    client.delete_function_url_config(f.name, qualifier);
    client.remove_permission(f.name, kUrlStatement, qualifier);
    client.remove_permission(f.name, kUrlInvokeStatement, qualifier);
    if (qualifier.empty() && url_qualifier(f).empty()) break;
  }
  client.untag_function(function_arn, {kUrlTag});
}

}  // namespace fx::targets::aws
