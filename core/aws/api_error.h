// An error answered by an API (the emulator, AWS Lambda, IAM, CloudWatch Logs): its HTTP
// status and the service's error code, with the service's own message.
#pragma once

#include <string>

#include "core/util/error.h"

namespace fx::aws {

class ApiError : public Error {
 public:
  ApiError(int status, std::string type, std::string message, std::string hint = {})
      : Error(std::move(message), std::move(hint)), status_(status), type_(std::move(type)) {}
  int status() const { return status_; }
  // The service's error code: "ResourceNotFoundException", "NoSuchEntity", "HTTP 500", ...
  const std::string& type() const { return type_; }

 private:
  int status_;
  std::string type_;
};

}  // namespace fx::aws
