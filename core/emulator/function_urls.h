// Lambda function URLs as the emulator keeps them: the request bodies of
// Create/UpdateFunctionUrlConfig checked as Lambda checks them, the stored and answered shapes,
// and the CORS headers a URL's configuration adds. Touches no state of the emulator (the
// Emulator owns the URLs), so the rules are unit-tested and fuzzed alone. The parsers throw
// lambda::ApiError and nothing else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/lambda/api_error.h"

namespace fx::emulator {

struct FunctionUrlCors {
  std::optional<bool> allow_credentials;
  std::optional<std::vector<std::string>> allow_headers, allow_methods, allow_origins,
      expose_headers;
  std::optional<long long> max_age;
};

struct FunctionUrl {
  std::string function;   // the plain name
  std::string qualifier;  // an alias name, "" for the unqualified function
  std::string url_id;     // 32 characters [a-z0-9], the host's first label
  std::string region;
  std::string auth_type;                 // NONE or AWS_IAM
  std::string invoke_mode = "BUFFERED";  // or RESPONSE_STREAM (answered buffered: see README)
  std::optional<FunctionUrlCors> cors;
  std::string creation_time, last_modified_time;  // Lambda's ISO-8601 with microseconds
};

// The fields a Create or Update body gives; what an Update leaves out stays as it was.
struct FunctionUrlFields {
  std::optional<std::string> auth_type, invoke_mode;
  std::optional<FunctionUrlCors> cors;  // a Cors object given (possibly empty)
};

// `create`: AuthType is required.
FunctionUrlFields parse_function_url_fields(std::string_view body, bool create);

// The Qualifier of a function URL call: an alias name ("$LATEST" and version numbers are not
// allowed, as Lambda's pattern ((?!^\d+$)^[0-9a-zA-Z-_]+$) says). "" is accepted (none).
void check_function_url_qualifier(std::string_view qualifier);

// A new URL id: 32 random characters of [a-z0-9].
std::string new_function_url_id();

// Lambda's answer shape (Create leaves LastModifiedTime out). `url` is what FunctionUrl says.
std::string function_url_json(const FunctionUrl& url, const std::string& function_arn,
                              const std::string& public_url, bool with_last_modified);
// What the emulator stores (every field, to restore it after a restart).
std::string function_url_to_stored(const FunctionUrl& url);
FunctionUrl function_url_from_stored(std::string_view text);  // throws fx::Error when damaged

// The host name a URL answers at, without the port: URLID.lambda-url.REGION.localhost
std::string function_url_host(const FunctionUrl& url);
// The URL id and region of a Host header (port and case ignored) that names a function URL
// host (ID.lambda-url.REGION.localhost), nullopt for any other host.
struct UrlHost {
  std::string url_id, region, host;  // host: lower-case, without the port
};
std::optional<UrlHost> parse_function_url_host(std::string_view host_header);

using HeaderList = std::vector<std::pair<std::string, std::string>>;
// The CORS headers of an actual request from `origin` ("" when the request has none), as
// Lambda adds them to the function's response; empty when the origin is not allowed.
HeaderList function_url_cors_headers(const FunctionUrlCors& cors, std::string_view origin);
// The answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method), which
// Lambda gives without invoking the function: 200 with the allowed headers, or 200 without
// them when the origin, method or headers are not allowed (the browser then refuses).
HeaderList function_url_preflight_headers(const FunctionUrlCors& cors, std::string_view origin,
                                          std::string_view method,
                                          std::string_view request_headers);

}  // namespace fx::emulator
