// `alb` events served as an Application Load Balancer listener serves a Lambda target group:
// the rules (the Serverless Framework's `conditions`, by `priority`, lowest first), the event
// ALB sends a function and the HTTP response it makes of the function's result. Pure logic, no
// I/O: the emulator's ALB port (core/emulator/alb_server.h) asks `AlbTable::find`.
//
// Every listener of every service is served on the one local ALB port: rules are kept apart
// by listener (priorities are unique per listenerArn, as on AWS) and tried by priority.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/gateway/payload.h"
#include "core/manifest/events_json.h"
#include "core/manifest/service.h"

namespace fx::gateway {

// One `alb` event of one function.
struct AlbRule {
  std::string function;              // the deployed name
  std::string function_key;          // the manifest key, for messages
  std::string listener;              // listenerArn as written (an intrinsic as its JSON)
  int priority = 0;                  // 1 to 50000
  std::vector<std::string> paths;    // path patterns, * and ? wildcards, case-sensitive
  std::vector<std::string> hosts;    // host patterns, case-insensitive
  std::vector<std::string> methods;  // upper-case
  struct Header {
    std::string name;
    std::vector<std::string> values;  // patterns, case-insensitive
  };
  std::vector<Header> headers;                             // each must match
  std::vector<std::pair<std::string, std::string>> query;  // any pair matching will do
  std::vector<std::string> source_ips;                     // CIDR blocks
  bool multi_value_headers = false;
  std::string target_group_arn;
  manifest::SourceMark mark;
};

// The rules of a function's `alb` events (OtherEvent of type "alb"), read from their settings.
// Throws fx::Error, "FILE:LINE:COL: function 'F': alb ...", for a missing or malformed
// listenerArn, priority or conditions, an unknown key or condition, an authorizer (fx does not
// run ALB authentication), or two rules with one priority on one listener.
std::vector<AlbRule> alb_rules_from_service(const manifest::Service& service);
std::vector<AlbRule> alb_rules_from_events(const manifest::ServiceEvents& events,
                                           const std::string& service_name);

// Whether `text` matches `pattern`, where * is any run of characters and ? any one.
bool alb_wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case);

class AlbTable {
 public:
  explicit AlbTable(std::vector<AlbRule> rules);  // sorts by priority
  // The first rule, by priority, whose every condition the request meets; null when none.
  const AlbRule* find(const GatewayRequest& request) const;
  const std::vector<AlbRule>& rules() const { return rules_; }

 private:
  std::vector<AlbRule> rules_;
};

// The event ALB sends its Lambda target: requestContext.elb.targetGroupArn, httpMethod, path,
// queryStringParameters (values as the client sent them, still URL-encoded) and headers
// (lower-case names), a repeated one's last value; or, with multiValueHeaders on the target
// group, multiValueQueryStringParameters and multiValueHeaders; body, isBase64Encoded.
std::string build_alb_event(const AlbRule& rule, const GatewayRequest& request);

// The function's result as ALB answers it: statusCode (required), statusDescription, headers
// (or multiValueHeaders when enabled), body (a string), isBase64Encoded. Anything else is
// ALB's 502 Bad Gateway, with `reason` saying why.
GatewayResponse map_alb_result(const AlbRule& rule, std::string_view function_result_json);

// ALB's own answers, as HTML pages as it sends them.
GatewayResponse alb_error_response(int status);  // 400, 403, 404 ... 502, 503
// No rule matched: the fixed response of a listener's default action.
GatewayResponse alb_not_found_response();

}  // namespace fx::gateway
