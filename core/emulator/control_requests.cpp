#include "core/emulator/control_requests.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/emulator/request_fields.h"
#include "core/util/error.h"
#include "core/util/hash.h"

namespace fx::emulator {

using json = nlohmann::json;
using lambda::ApiError;

namespace {

using request_fields::field;
using request_fields::invalid_content;
using request_fields::kind_of;
using request_fields::opt_array;
using request_fields::opt_bool;
using request_fields::opt_int;
using request_fields::opt_object;
using request_fields::opt_string;
using request_fields::parse_object;
using request_fields::shown;
using request_fields::wrong_type;

// Lambda's constraint failures, gathered as its validator does: "N validation error(s)
// detected: A; B".
class Violations {
 public:
  void add(std::string what) { list_.push_back(std::move(what)); }
  void range(std::string_view field, const std::optional<int>& value, long long min,
             long long max) {
    if (!value) return;
    if (*value < min)
      add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                      "greater than or equal to {}",
                      *value, field, min));
    else if (*value > max)
      add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must have value "
                      "less than or equal to {}",
                      *value, field, max));
  }
  void one_of(std::string_view field, const std::optional<std::string>& value,
              std::initializer_list<std::string_view> allowed) {
    if (!value) return;
    std::string set;
    for (auto a : allowed) {
      if (*value == a) return;
      set += (set.empty() ? "" : ", ") + std::string(a);
    }
    add(
        fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy enum "
                    "value set: [{}]",
                    shown(*value), field, set));
  }
  void check() const {
    if (list_.empty()) return;
    std::string text;
    for (const auto& v : list_) text += (text.empty() ? "" : "; ") + v;
    throw ApiError(400, "ValidationException",
                   fmt::format("{} validation error{} detected: {}", list_.size(),
                               list_.size() == 1 ? "" : "s", text));
  }

 private:
  std::vector<std::string> list_;
};

// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, as loosely as Lambda's pattern
// arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*).
bool arn_shaped(std::string_view arn) {
  if (!arn.starts_with("arn:aws") || arn.size() > 1024) return false;
  int colons = 0;
  for (char c : arn) colons += c == ':';
  return colons >= 5;
}

MappingFields read_mapping_fields(const json& body, Violations& v) {
  MappingFields f;
  f.function_name = opt_string(body, "FunctionName");
  f.enabled = opt_bool(body, "Enabled");
  f.batch_size = opt_int(body, "BatchSize");
  f.batching_window_s = opt_int(body, "MaximumBatchingWindowInSeconds");
  if (const json* criteria = opt_object(body, "FilterCriteria")) {
    std::vector<std::string> patterns;
    if (const json* filters = opt_array(*criteria, "Filters"))
      for (const auto& filter : *filters) {
        if (!filter.is_object()) throw wrong_type("Filters", "Structure", filter);
        auto pattern = opt_string(filter, "Pattern");
        if (!pattern) continue;
        // Lambda's limit on one pattern's length.
        if (pattern->size() > 4096)
          v.add(
              fmt::format("Value '{}' at 'filterCriteria.filters.{}.member.pattern' failed to "
                          "satisfy constraint: Member must have length less than or equal to "
                          "4096",
                          shown(*pattern), patterns.size() + 1));
        patterns.push_back(std::move(*pattern));
      }
    f.filter_patterns = std::move(patterns);
  }
  if (const json* types = opt_array(body, "FunctionResponseTypes")) {
    bool report = false;
    for (const auto& t : *types) {
      if (!t.is_string()) throw wrong_type("FunctionResponseTypes", "String", t);
      v.one_of("functionResponseTypes", t.get<std::string>(), {"ReportBatchItemFailures"});
      report = true;
    }
    f.report_batch_item_failures = report;
  }
  if (const json* scaling = opt_object(body, "ScalingConfig"))
    f.max_concurrency = opt_int(*scaling, "MaximumConcurrency");
  f.max_retry_attempts = opt_int(body, "MaximumRetryAttempts");
  f.max_record_age_s = opt_int(body, "MaximumRecordAgeInSeconds");
  f.bisect_on_function_error = opt_bool(body, "BisectBatchOnFunctionError");
  if (const json* destination = opt_object(body, "DestinationConfig"))
    if (const json* on_failure = opt_object(*destination, "OnFailure"))
      f.on_failure = opt_string(*on_failure, "Destination").value_or("");
  f.parallelization_factor = opt_int(body, "ParallelizationFactor");
  f.tumbling_window_s = opt_int(body, "TumblingWindowInSeconds");

  if (f.function_name && (f.function_name->empty() || f.function_name->size() > 140))
    v.add(
        fmt::format("Value '{}' at 'functionName' failed to satisfy constraint: Member must "
                    "have length {} {}",
                    shown(*f.function_name),
                    f.function_name->empty() ? "greater than or equal to" : "less than or equal to",
                    f.function_name->empty() ? 1 : 140));
  v.range("batchSize", f.batch_size, 1, 10000);
  v.range("maximumBatchingWindowInSeconds", f.batching_window_s, 0, 300);
  v.range("scalingConfig.maximumConcurrency", f.max_concurrency, 2, 1000);
  v.range("maximumRetryAttempts", f.max_retry_attempts, -1, 10000);
  v.range("maximumRecordAgeInSeconds", f.max_record_age_s, -1, 604800);
  v.range("parallelizationFactor", f.parallelization_factor, 1, 10);
  v.range("tumblingWindowInSeconds", f.tumbling_window_s, 0, 900);
  return f;
}

// What Lambda refuses once the fields are well-formed: settings of another kind of source.
void check_for_kind(const MappingFields& f, MappingSourceKind kind) {
  auto unsupported = [](std::string_view name) {
    return ApiError(
        400, "InvalidParameterValueException",
        fmt::format("Unsupported {} parameter for given event source mapping type.", name));
  };
  if (kind == MappingSourceKind::sqs) {
    if (f.starting_position) throw unsupported("StartingPosition");
    if (f.max_retry_attempts) throw unsupported("MaximumRetryAttempts");
    if (f.max_record_age_s) throw unsupported("MaximumRecordAgeInSeconds");
    if (f.bisect_on_function_error) throw unsupported("BisectBatchOnFunctionError");
    if (f.on_failure) throw unsupported("DestinationConfig");
    if (f.parallelization_factor) throw unsupported("ParallelizationFactor");
    if (f.tumbling_window_s) throw unsupported("TumblingWindowInSeconds");
  } else {
    if (f.max_concurrency) throw unsupported("ScalingConfig");
    if (f.max_record_age_s && *f.max_record_age_s != -1 && *f.max_record_age_s < 60)
      throw ApiError(400, "InvalidParameterValueException",
                     "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800");
    if (f.on_failure && !f.on_failure->empty() && !arn_shaped(*f.on_failure))
      throw ApiError(400, "InvalidParameterValueException",
                     fmt::format("The destination ARN {} is invalid.", shown(*f.on_failure)));
  }
}

}  // namespace

MappingSourceKind mapping_source_kind(std::string_view arn) {
  if (arn.starts_with("arn:aws:sqs:")) return MappingSourceKind::sqs;
  if (arn.starts_with("arn:aws:dynamodb:") && arn.find("/stream/") != std::string_view::npos)
    return MappingSourceKind::dynamodb_stream;
  return MappingSourceKind::other;
}

MappingFields parse_create_mapping(std::string_view body) {
  json doc = parse_object(body);
  Violations v;
  MappingFields f = read_mapping_fields(doc, v);
  f.source_arn = opt_string(doc, "EventSourceArn");
  f.starting_position = opt_string(doc, "StartingPosition");
  if (!f.function_name)
    v.add("Value null at 'functionName' failed to satisfy constraint: Member must not be null");
  if (f.source_arn && !arn_shaped(*f.source_arn))
    v.add(fmt::format(
        "Value '{}' at 'eventSourceArn' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: "
        "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}})?:"
        "(\\d{{12}})?:(.*)",
        shown(*f.source_arn)));
  v.one_of("startingPosition", f.starting_position, {"TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"});
  v.check();
  if (!f.source_arn)
    // Lambda also takes self-managed Kafka without an ARN; the emulator has no Kafka.
    throw ApiError(400, "InvalidParameterValueException",
                   "Unrecognized event source, must be kafka or specify an EventSourceArn");
  const auto kind = mapping_source_kind(*f.source_arn);
  if (kind == MappingSourceKind::other)
    throw ApiError(
        400, "InvalidParameterValueException",
        fmt::format("The fx emulator consumes SQS queues (arn:aws:sqs:...) and DynamoDB streams "
                    "(arn:aws:dynamodb:...:table/NAME/stream/LABEL); {} is neither",
                    shown(*f.source_arn)));
  if (kind == MappingSourceKind::dynamodb_stream && !f.starting_position)
    throw ApiError(400, "InvalidParameterValueException",
                   "1 validation error detected: Value null at 'startingPosition' failed to "
                   "satisfy constraint: Member must not be null");
  if (f.starting_position == "AT_TIMESTAMP")
    throw ApiError(400, "InvalidParameterValueException",
                   "Unsupported starting position AT_TIMESTAMP for DynamoDB streams; use "
                   "TRIM_HORIZON or LATEST");
  check_for_kind(f, kind);
  return f;
}

MappingFields parse_update_mapping(std::string_view body, MappingSourceKind kind) {
  json doc = parse_object(body);
  Violations v;
  MappingFields f = read_mapping_fields(doc, v);
  v.check();
  // Create-only fields: UpdateEventSourceMapping's model has neither, so Lambda's reader
  // ignores them; the emulator does too.
  check_for_kind(f, kind);
  return f;
}

PageQuery checked_page_query(const std::optional<std::string>& marker,
                             const std::optional<std::string>& max_items, int max_items_limit,
                             int default_items) {
  PageQuery q;
  q.max_items = default_items;
  Violations v;
  if (max_items) {
    const std::string& text = *max_items;
    std::string_view magnitude = text;
    if (magnitude.starts_with('-')) magnitude.remove_prefix(1);
    bool digits = !magnitude.empty() && magnitude.size() <= 9;
    for (char c : magnitude) digits &= c >= '0' && c <= '9';
    if (!digits) {
      v.add(fmt::format(
          "Value '{}' at 'maxItems' failed to satisfy constraint: Member must be a whole number",
          shown(text)));
    } else {
      int n = std::stoi(text);
      v.range("maxItems", n, 1, max_items_limit);
      q.max_items = n;
    }
  }
  v.check();
  if (marker && !marker->empty()) {
    std::string decoded;
    try {
      decoded = util::base64_decode(*marker);
    } catch (const Error&) {
    }
    // Markers this emulator gives are "fx1:" and the key the next page starts at.
    if (!decoded.starts_with("fx1:"))
      throw ApiError(400, "InvalidParameterValueException",
                     fmt::format("Marker '{}' is not one this list gave: send the NextMarker of "
                                 "the previous page",
                                 shown(*marker)));
    q.from_key = decoded.substr(4);
  }
  return q;
}

std::string page_marker(std::string_view key) {
  return util::base64_encode("fx1:" + std::string(key));
}

InvokeConfigFields parse_invoke_config(std::string_view body) {
  json doc = parse_object(body);
  InvokeConfigFields f;
  f.max_retries = opt_int(doc, "MaximumRetryAttempts");
  f.max_event_age_s = opt_int(doc, "MaximumEventAgeInSeconds");
  if (const json* destinations = opt_object(doc, "DestinationConfig")) {
    if (const json* s = opt_object(*destinations, "OnSuccess"))
      f.on_success = opt_string(*s, "Destination").value_or("");
    if (const json* s = opt_object(*destinations, "OnFailure"))
      f.on_failure = opt_string(*s, "Destination").value_or("");
  }
  Violations v;
  v.range("maximumRetryAttempts", f.max_retries, 0, 2);
  v.range("maximumEventAgeInSeconds", f.max_event_age_s, 60, 21600);
  for (const auto* d : {&f.on_success, &f.on_failure})
    if (*d && d->value().size() > 350)
      v.add(
          fmt::format("Value '{}' at 'destinationConfig.{}.destination' failed to satisfy "
                      "constraint: Member must have length less than or equal to 350",
                      shown(d->value()), d == &f.on_success ? "onSuccess" : "onFailure"));
  v.check();
  for (const auto* d : {&f.on_success, &f.on_failure}) {
    if (!*d || d->value().empty()) continue;
    const std::string& arn = d->value();
    if (!arn_shaped(arn))
      throw ApiError(400, "InvalidParameterValueException",
                     fmt::format("The destination ARN {} is invalid.", shown(arn)));
    if (!arn.starts_with("arn:aws:sqs:") && !arn.starts_with("arn:aws:lambda:"))
      throw ApiError(400, "InvalidParameterValueException",
                     fmt::format("The fx emulator delivers invocation records to SQS queues and "
                                 "Lambda functions only (it has no SNS topics or EventBridge "
                                 "buses); {} is neither",
                                 shown(arn)));
  }
  return f;
}

AddPermissionRequest parse_add_permission(std::string_view body) {
  json doc = parse_object(body);
  AddPermissionRequest a;
  auto sid = opt_string(doc, "StatementId");
  auto action = opt_string(doc, "Action");
  auto principal = opt_string(doc, "Principal");
  a.source_arn = opt_string(doc, "SourceArn");
  a.source_account = opt_string(doc, "SourceAccount");
  a.event_source_token = opt_string(doc, "EventSourceToken");
  a.principal_org_id = opt_string(doc, "PrincipalOrgID");
  a.function_url_auth_type = opt_string(doc, "FunctionUrlAuthType");
  a.revision_id = opt_string(doc, "RevisionId");
  Violations v;
  auto required = [&v](const std::optional<std::string>& value, std::string_view field) {
    if (!value)
      v.add(fmt::format("Value null at '{}' failed to satisfy constraint: Member must not be null",
                        field));
  };
  required(sid, "statementId");
  required(action, "action");
  required(principal, "principal");
  auto pattern = [&v](const std::optional<std::string>& value, std::string_view field,
                      std::string_view shown_pattern, std::size_t max, auto&& ok) {
    if (!value) return;
    if (value->empty() || value->size() > max || !ok(*value))
      v.add(
          fmt::format("Value '{}' at '{}' failed to satisfy constraint: Member must satisfy "
                      "regular expression pattern: {}",
                      shown(*value), field, shown_pattern));
  };
  pattern(sid, "statementId", "([a-zA-Z0-9-_.]+)", 100, [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
  });
  pattern(action, "action", "(lambda:[*]|lambda:[a-zA-Z]+|[*])", 256, [](const std::string& s) {
    if (s == "*" || s == "lambda:*") return true;
    if (!s.starts_with("lambda:") || s.size() == 7) return false;
    return std::all_of(s.begin() + 7, s.end(),
                       [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  });
  pattern(principal, "principal", "[^\\s]+", 256, [](const std::string& s) {
    return std::none_of(s.begin(), s.end(),
                        [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  });
  pattern(a.source_account, "sourceAccount", "\\d{12}", 12, [](const std::string& s) {
    return s.size() == 12 &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  });
  if (a.source_arn && !arn_shaped(*a.source_arn))
    v.add(
        fmt::format("Value '{}' at 'sourceArn' failed to satisfy constraint: Member must satisfy "
                    "regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:"
                    "([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}})?:(\\d{{12}})?:(.*)",
                    shown(*a.source_arn)));
  v.one_of("functionUrlAuthType", a.function_url_auth_type, {"NONE", "AWS_IAM"});
  v.check();
  a.statement_id = std::move(*sid);
  a.action = std::move(*action);
  a.principal = std::move(*principal);
  return a;
}

void check_function_version(const std::optional<std::string>& value) {
  Violations v;
  v.one_of("functionVersion", value, {"ALL"});
  v.check();
}

}  // namespace fx::emulator
