#include "core/sources/mapping.h"

#include <fmt/format.h>

#include "core/manifest/events.h"
#include "core/util/hash.h"

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
  return m;
}

std::string mapping_uuid(std::string_view service, std::string_view function,
                         std::string_view source_arn, int n) {
  std::string h = util::sha256_hex(fmt::format("{}\n{}\n{}\n{}", service, function, source_arn, n))
                      .substr(0, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

}  // namespace fx::sources
