// Lambda answers errors the way every AWS API does (status, error code, message), so its
// error type is the AWS clients' one; the emulator, which speaks Lambda's API, names it here.
#pragma once

#include "core/aws/api_error.h"

namespace fx::lambda {

using aws::ApiError;

}  // namespace fx::lambda
