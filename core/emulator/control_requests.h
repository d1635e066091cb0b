// Request bodies and queries of the Lambda control-plane calls beyond functions' own
// (CreateEventSourceMapping, UpdateEventSourceMapping, ListFunctions' and ListLayers' pages),
// read and checked as Lambda checks them. Like lambda_requests.h: everything throws
// lambda::ApiError with Lambda's status, type and words, and touches no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lambda/api_error.h"

namespace fx::emulator {

// What kind of source an EventSourceArn names, as far as the emulator consumes it.
enum class MappingSourceKind { sqs, dynamodb_stream, other };
MappingSourceKind mapping_source_kind(std::string_view arn);

// The fields of CreateEventSourceMapping and UpdateEventSourceMapping; a field the body
// leaves out is unset (Update keeps the current value, Create takes Lambda's default).
struct MappingFields {
  std::optional<std::string> function_name;  // as given: a name or an ARN
  std::optional<std::string> source_arn;     // Create only
  std::optional<bool> enabled;
  std::optional<int> batch_size;
  std::optional<int> batching_window_s;
  std::optional<std::vector<std::string>> filter_patterns;  // FilterCriteria.Filters[].Pattern
  std::optional<bool> report_batch_item_failures;           // FunctionResponseTypes
  std::optional<int> max_concurrency;                       // ScalingConfig.MaximumConcurrency
  std::optional<std::string> starting_position;             // Create only; streams only
  std::optional<int> max_retry_attempts;                    // streams only
  std::optional<int> max_record_age_s;                      // streams only
  std::optional<bool> bisect_on_function_error;             // streams only
  std::optional<std::string> on_failure;  // DestinationConfig.OnFailure.Destination; streams only
  std::optional<int> parallelization_factor;  // streams only
  std::optional<int> tumbling_window_s;       // streams only
};

// CreateEventSourceMapping's body: FunctionName and EventSourceArn required; every range and
// enum checked (ValidationException), and the settings that do not apply to the source's kind
// refused (InvalidParameterValueException), as Lambda does.
MappingFields parse_create_mapping(std::string_view body);
// UpdateEventSourceMapping's body, checked the same way against the mapping's source kind.
MappingFields parse_update_mapping(std::string_view body, MappingSourceKind kind);

// A page of a list call: MaxItems (1 to `max_items_limit`, `default_items` when absent) and an
// opaque Marker this emulator gave as NextMarker (the decoded key the page starts at).
struct PageQuery {
  int max_items = 50;
  std::string from_key;  // "" for the first page
};
PageQuery checked_page_query(const std::optional<std::string>& marker,
                             const std::optional<std::string>& max_items, int max_items_limit,
                             int default_items);
// The NextMarker of a page whose next entry has `key`.
std::string page_marker(std::string_view key);

// ListFunctions' FunctionVersion: absent, or ALL (the only value Lambda takes).
void check_function_version(const std::optional<std::string>& value);

// The body of PutFunctionEventInvokeConfig and UpdateFunctionEventInvokeConfig: what it sets
// (Put resets what it leaves out; Update keeps it). MaximumRetryAttempts 0 to 2,
// MaximumEventAgeInSeconds 60 to 21600; a destination an SQS queue's or a function's ARN
// (the emulator has no SNS topics or event buses: refused, saying so).
struct InvokeConfigFields {
  std::optional<int> max_retries;
  std::optional<int> max_event_age_s;
  std::optional<std::string> on_success;  // "" clears it
  std::optional<std::string> on_failure;
};
InvokeConfigFields parse_invoke_config(std::string_view body);

// AddPermission's body: StatementId, Action and Principal required, each checked against
// Lambda's patterns; the optional conditions and the RevisionId as given.
struct AddPermissionRequest {
  std::string statement_id, action, principal;
  std::optional<std::string> source_arn, source_account, event_source_token, principal_org_id,
      function_url_auth_type, revision_id;
};
AddPermissionRequest parse_add_permission(std::string_view body);

}  // namespace fx::emulator
