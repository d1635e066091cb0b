#include "core/aws/logs.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/aws/service.h"
#include "core/util/http_client.h"

namespace fx::aws {

using json = nlohmann::json;

std::string lambda_log_group(std::string_view function) {
  return "/aws/lambda/" + std::string(function);
}

namespace {

bool is_request_id(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

std::string request_id_in(std::string_view message) {
  for (std::string_view prefix : {"START RequestId: ", "END RequestId: ", "REPORT RequestId: "}) {
    if (!message.starts_with(prefix)) continue;
    auto rest = message.substr(prefix.size());
    return std::string(rest.substr(0, rest.find_first_of(" \t\r\n")));
  }
  // Runtimes write "TIME\tID\tLEVEL\tmessage" (Node) or "[LEVEL]\tTIME\tID\tmessage"
  // (Python's logging), and a timeout "TIME ID Task timed out ...": the id is among the
  // first three fields.
  std::size_t at = 0;
  for (int field = 0; field < 3 && at < message.size(); ++field) {
    auto end = message.find_first_of(" \t", at);
    auto token = message.substr(at, end == std::string_view::npos ? end : end - at);
    if (is_request_id(token)) return std::string(token);
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return "";
}

CloudWatchLogs::CloudWatchLogs(const AwsSettings& settings)
    : service_(std::make_unique<AwsService>(settings, "logs")) {}

CloudWatchLogs::~CloudWatchLogs() = default;

const std::string& CloudWatchLogs::region() const {
  return service_->settings().region;
}

bool CloudWatchLogs::filter_log_events(const LogEventsQuery& query, const CloudWatchVisitor& each) {
  json body = {{"logGroupName", query.log_group}};
  if (query.start_ms > 0) body["startTime"] = query.start_ms;
  // A quoted phrase matches messages containing it, as --filter does locally; text with a
  // quote in it cannot be quoted, so it is only checked here.
  bool has_quote = query.contains.find('"') != std::string::npos;
  if (!query.contains.empty() && !has_quote) body["filterPattern"] = "\"" + query.contains + "\"";
  std::string token;
  do {
    if (!token.empty()) body["nextToken"] = token;
    util::HttpResult r;
    try {
      r = service_->request("POST", "/",
                            {{"X-Amz-Target", "Logs_20140328.FilterLogEvents"},
                             {"Content-Type", "application/x-amz-json-1.1"}},
                            body.dump());
    } catch (const ApiError& e) {
      if (e.type().ends_with("ResourceNotFoundException")) return false;
      throw;
    }
    json page = json::parse(r.body, nullptr, false);
    if (!page.is_object())
      throw Error(fmt::format("CloudWatch Logs answered FilterLogEvents on {} with: {}",
                              query.log_group, r.body.substr(0, 200)),
                  "check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_LOGS: it should be a CloudWatch "
                  "Logs endpoint");
    std::vector<CloudWatchEvent> events;
    for (const auto& e : page.value("events", json::array())) {
      CloudWatchEvent ev;
      ev.event_id = e.value("eventId", "");
      ev.time_ms = e.value("timestamp", std::int64_t{0});
      ev.log_stream = e.value("logStreamName", "");
      ev.message = e.value("message", "");
      // Lambda's lines end in "\n" (REPORT in "\t\n"): printed, that is an empty line.
      while (!ev.message.empty() && std::isspace(static_cast<unsigned char>(ev.message.back())))
        ev.message.pop_back();
      if (!query.contains.empty() && ev.message.find(query.contains) == std::string::npos) continue;
      events.push_back(std::move(ev));
    }
    // AWS interleaves streams in time order; not every server does (moto: stream by
    // stream). Each stream's own order is kept.
    std::stable_sort(events.begin(), events.end(),
                     [](const auto& a, const auto& b) { return a.time_ms < b.time_ms; });
    for (const auto& ev : events) each(ev);
    token = page.contains("nextToken") && page["nextToken"].is_string()
                ? page["nextToken"].get<std::string>()
                : "";
  } while (!token.empty());
  return true;
}

LogGroupTail::LogGroupTail(CloudWatchLogs& logs, LogEventsQuery query)
    : logs_(logs), query_(std::move(query)) {}

bool LogGroupTail::read(const CloudWatchVisitor& each) {
  std::int64_t newest = query_.start_ms;
  std::set<std::string> at_newest = seen_at_newest_;
  bool found = logs_.filter_log_events(query_, [&](const CloudWatchEvent& seen) {
    if (seen.time_ms == query_.start_ms && seen_at_newest_.contains(seen.event_id)) return;
    if (seen.time_ms > newest) {
      newest = seen.time_ms;
      at_newest.clear();
    }
    if (seen.time_ms == newest) at_newest.insert(seen.event_id);

    CloudWatchEvent e = seen;
    e.request_id = request_id_in(e.message);
    if (e.message.starts_with("START RequestId: ")) request_by_stream_[e.log_stream] = e.request_id;
    if (e.request_id.empty()) {
      auto it = request_by_stream_.find(e.log_stream);
      if (it != request_by_stream_.end()) e.request_id = it->second;
    }
    if (e.message.starts_with("REPORT RequestId: ")) request_by_stream_.erase(e.log_stream);
    each(e);
  });
  query_.start_ms = newest;
  seen_at_newest_ = std::move(at_newest);
  return found;
}

}  // namespace fx::aws
