// The emulator's instances sign their SDK calls with the credentials it gave them
// (InstanceCredentials): a request that names their key id is verified as AWS verifies SigV4,
// so a shared emulator (one that requires its token) can take the calls of its own functions,
// and a forged one is refused as the service would refuse it.
#pragma once

#include <chrono>

#include "core/emulator/emulator.h"
#include "core/emulator/http_server.h"

namespace fx::emulator {

enum class InstanceSignature {
  other,  // not a SigV4 request, or signed with some other key id: not the instances'
  valid,  // signed with the instances' credentials, now
};

// Throws aws::ApiError 403 when the request names the instances' key id but its signature,
// session token or date does not hold: InvalidSignatureException (Lambda's answer),
// SignatureDoesNotMatch (SQS's) or UnrecognizedClientException for a wrong session token.
InstanceSignature check_instance_signature(const HttpRequest& req,
                                           const InstanceCredentials& credentials,
                                           std::chrono::system_clock::time_point now);

}  // namespace fx::emulator
