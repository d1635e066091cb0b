#include "core/manifest/events.h"

namespace fx::manifest {

std::string_view event_key(HttpApi api) {
  return api == HttpApi::rest ? "http" : "httpApi";
}

std::string_view event_type(const Event& event) {
  struct Type {
    std::string_view operator()(const HttpEvent& e) const { return event_key(e.api); }
    std::string_view operator()(const ScheduleEvent&) const { return "schedule"; }
    std::string_view operator()(const SqsEvent&) const { return "sqs"; }
    std::string_view operator()(const StreamEvent&) const { return "stream"; }
    std::string_view operator()(const OtherEvent& e) const { return e.type; }
  };
  return std::visit(Type{}, event);
}

const SourceMark& event_mark(const Event& event) {
  return std::visit([](const auto& e) -> const SourceMark& { return e.mark; }, event);
}

const std::string& event_config_json(const Event& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.config_json; }, event);
}

}  // namespace fx::manifest
