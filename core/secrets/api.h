// SSM Parameter Store's and Secrets Manager's JSON 1.1 protocols over a secrets::Store: what the
// AWS CLI and SDKs send (POST / with `X-Amz-Target: AmazonSSM.<Operation>` or
// `secretsmanager.<Operation>`) and the answers they expect; errors are 400s with
// {"__type": "<Code>", "message": ...}. Synchronous: the emulator runs them on a worker thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fx::secrets {

class Store;

struct ApiResult {
  int status = 200;
  std::string body;
};

bool is_ssm_target(std::string_view target);             // "AmazonSSM.<Operation>"
bool is_secretsmanager_target(std::string_view target);  // "secretsmanager.<Operation>"

// Never throw: every failure is the service's error answer (500 InternalFailure, details on
// stderr, for one the API did not foresee).
ApiResult handle_ssm(Store& store, std::string_view target, std::string_view body,
                     const std::string& region);
ApiResult handle_secretsmanager(Store& store, std::string_view target, std::string_view body,
                                const std::string& region);

// The largest request either service reads (a 64 KB secret, base64'd, and its JSON).
inline constexpr std::size_t kMaxRequestBytes = 1024 * 1024;

// The account the emulator's ARNs name.
inline constexpr std::string_view kAccount = "000000000000";

}  // namespace fx::secrets
