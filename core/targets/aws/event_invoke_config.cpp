// A function's asynchronous settings (maximumRetryAttempts, maximumEventAge, destinations) as
// Lambda's event invoke config.
#include <fmt/format.h>

#include "core/targets/aws/steps.h"

namespace fx::targets::aws {

std::map<std::string, lambda::EventInvokeConfig> async_configs(const manifest::Service& service,
                                                               const std::string& role_arn,
                                                               const std::string& region) {
  // arn:aws:iam::ACCOUNT:role/NAME: the fifth field.
  std::string_view rest = role_arn;
  for (int i = 0; i < 4 && !rest.empty(); ++i) {
    auto colon = rest.find(':');
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  const std::string account(rest.substr(0, rest.find(':')));
  auto arn_of = [&](const manifest::Function& f, const char* which, const std::string& given) {
    if (given.empty() || given.starts_with("arn:")) return given;
    if (const auto* target = service.find_function(given))
      return lambda::function_arn(region, account, target->name);
    throw Error(fmt::format("function '{}': destinations.{} '{}' is neither an ARN nor a "
                            "function of {}",
                            f.key, which, given, service.name),
                "give the queue's, topic's, bus's or function's ARN, or a function's key");
  };
  std::map<std::string, lambda::EventInvokeConfig> out;
  for (const auto& f : service.functions) {
    lambda::EventInvokeConfig c;
    c.maximum_retry_attempts = f.max_retry_attempts;
    c.maximum_event_age_s = f.max_event_age_s;
    c.on_failure = arn_of(f, "onFailure", f.on_failure);
    c.on_success = arn_of(f, "onSuccess", f.on_success);
    if (c != lambda::EventInvokeConfig{}) out[f.key] = std::move(c);
  }
  return out;
}

bool sync_event_invoke_config(lambda::LambdaClient& client, const manifest::Function& f,
                              const std::optional<lambda::FunctionConfiguration>& current,
                              const std::map<std::string, lambda::EventInvokeConfig>& async) {
  auto desired = async.find(f.key);
  if (desired == async.end()) {
    if (!current || !current->tags.contains(kAsyncTag)) return false;
    client.delete_event_invoke_config(f.name);
    client.untag_function(current->function_arn, {kAsyncTag});
    return true;
  }
  if (current && client.get_event_invoke_config(f.name) == desired->second) return false;
  // Lambda checks that the role may send to the destinations: a policy put a moment ago may
  // not be seen yet.
  retry_while_role_propagates(f, [&] { client.put_event_invoke_config(f.name, desired->second); });
  return true;
}

}  // namespace fx::targets::aws
