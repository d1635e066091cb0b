#include "core/sources/mapping.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/lambda/types.h"
#include "core/manifest/events.h"
#include "core/util/hash.h"
#include "core/util/time.h"

namespace fx::sources {

EventSourceMapping sqs_mapping(const std::string& service, const std::string& function,
                               const manifest::SqsEvent& event, const std::string& queue_arn,
                               int n) {
  EventSourceMapping m;
  m.uuid = mapping_uuid(service, function, queue_arn, n);
  m.service = service;
  m.function = function;
  m.source_arn = queue_arn;
  m.state = event.enabled ? "Enabled" : "Disabled";
  m.batch_size = event.batch_size;
  m.batching_window_s = event.batching_window_s;
  m.report_batch_item_failures = event.report_batch_item_failures;
  m.filter_patterns = event.filter_patterns;
  m.filter = events::EventFilter::parse(event.filter_patterns);
  m.max_concurrency = event.max_concurrency;
  m.last_modified_ms = util::now_ms();
  return m;
}

EventSourceMapping stream_mapping(const std::string& service, const std::string& function,
                                  const manifest::StreamEvent& event, const std::string& stream_arn,
                                  const std::string& on_failure, int n) {
  EventSourceMapping m;
  m.uuid = mapping_uuid(service, function, stream_arn, n);
  m.service = service;
  m.function = function;
  m.source_arn = stream_arn;
  m.state = event.enabled ? "Enabled" : "Disabled";
  m.batch_size = event.batch_size;
  m.batching_window_s = event.batching_window_s;
  m.report_batch_item_failures = event.report_batch_item_failures;
  m.filter_patterns = event.filter_patterns;
  m.filter = events::EventFilter::parse(event.filter_patterns);
  m.starting_position = event.starting_position;
  m.max_retry_attempts = event.max_retry_attempts.value_or(-1);
  m.max_record_age_s = event.max_record_age_s.value_or(-1);
  m.bisect_on_function_error = event.bisect_batch_on_function_error;
  m.on_failure = on_failure;
  m.parallelization_factor = event.parallelization_factor;
  m.tumbling_window_s = event.tumbling_window_s;
  m.last_modified_ms = util::now_ms();
  return m;
}

std::string mapping_json(const EventSourceMapping& m, std::string_view region) {
  using nlohmann::json;
  json j = {
      {"UUID", m.uuid},
      {"BatchSize", m.batch_size},
      {"MaximumBatchingWindowInSeconds", m.batching_window_s},
      {"EventSourceArn", m.source_arn},
      {"EventSourceMappingArn", fmt::format("arn:aws:lambda:{}:{}:event-source-mapping:{}", region,
                                            lambda::kLocalAccount, m.uuid)},
      {"FunctionArn",
       fmt::format("arn:aws:lambda:{}:{}:function:{}", region, lambda::kLocalAccount, m.function)},
      {"LastModified", static_cast<double>(m.last_modified_ms) / 1000.0},
      {"State", m.state},
      {"StateTransitionReason", "USER_INITIATED"},
      {"FunctionResponseTypes",
       m.report_batch_item_failures ? json::array({"ReportBatchItemFailures"}) : json::array()}};
  if (!m.filter_patterns.empty()) {
    json filters = json::array();
    for (const auto& p : m.filter_patterns) filters.push_back({{"Pattern", p}});
    j["FilterCriteria"] = {{"Filters", filters}};
  }
  if (m.max_concurrency > 0) j["ScalingConfig"] = {{"MaximumConcurrency", m.max_concurrency}};
  if (m.is_stream()) {
    j["StartingPosition"] = m.starting_position;
    j["MaximumRetryAttempts"] = m.max_retry_attempts;
    j["MaximumRecordAgeInSeconds"] = m.max_record_age_s;
    j["BisectBatchOnFunctionError"] = m.bisect_on_function_error;
    j["ParallelizationFactor"] = m.parallelization_factor;
    j["TumblingWindowInSeconds"] = m.tumbling_window_s;
    j["LastProcessingResult"] = m.last_processing_result;
    j["DestinationConfig"] = {
        {"OnFailure", m.on_failure.empty() ? json::object() : json{{"Destination", m.on_failure}}}};
  }
  return j.dump();
}

std::string mapping_uuid(std::string_view service, std::string_view function,
                         std::string_view source_arn, int n) {
  if (service.starts_with(kApiMappingService))
    return std::string(service.substr(kApiMappingService.size()));
  std::string h = util::sha256_hex(fmt::format("{}\n{}\n{}\n{}", service, function, source_arn, n))
                      .substr(0, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

}  // namespace fx::sources
