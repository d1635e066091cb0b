// A Lambda function's log on AWS: CloudWatch Logs' FilterLogEvents (JSON 1.1) on the log
// group /aws/lambda/NAME, read page by page and then followed by polling from the last event
// seen. This is what `fx logs` and `fx cost` read when the target is AWS.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace fx::aws {

struct AwsSettings;
class AwsService;

struct CloudWatchEvent {
  std::string event_id;
  std::int64_t time_ms = 0;
  std::string log_stream;
  std::string message;     // without the trailing newline Lambda's lines carry
  std::string request_id;  // the invocation the line belongs to, when it can be told
};

// "/aws/lambda/NAME": where Lambda writes a function's log.
std::string lambda_log_group(std::string_view function);

struct LogEventsQuery {
  std::string log_group;
  std::int64_t start_ms = 0;  // 0: from the first event
  // Only messages containing this text, case-sensitive: `fx logs --filter` as it works
  // locally. Sent to CloudWatch as a quoted-phrase filterPattern where it can be quoted.
  std::string contains;
};

using CloudWatchVisitor = std::function<void(const CloudWatchEvent&)>;

class CloudWatchLogs {
 public:
  // The Logs endpoint of the settings' region (AWS_ENDPOINT_URL_LOGS, AWS_ENDPOINT_URL, or
  // logs.REGION.amazonaws.com).
  explicit CloudWatchLogs(const AwsSettings& settings);
  ~CloudWatchLogs();
  CloudWatchLogs(const CloudWatchLogs&) = delete;
  CloudWatchLogs& operator=(const CloudWatchLogs&) = delete;

  const std::string& region() const;

  // Hands on every event of the query, every page (nextToken), each page in time order.
  // Returns false when the log group does not exist; throws ApiError / fx::Error otherwise.
  bool filter_log_events(const LogEventsQuery& query, const CloudWatchVisitor& each);

 private:
  std::unique_ptr<AwsService> service_;
};

// Reads a log group, then on each later read() only what arrived since. CloudWatch's
// startTime is inclusive and many events share a millisecond, so the next read starts at
// the newest timestamp seen and skips the eventIds already handed on at it. Also tells
// which invocation each line belongs to: a log stream is one execution environment running
// one invocation at a time, so a line between START and REPORT belongs to that request.
class LogGroupTail {
 public:
  LogGroupTail(CloudWatchLogs& logs, LogEventsQuery query);
  // false when the log group does not exist.
  bool read(const CloudWatchVisitor& each);

 private:
  CloudWatchLogs& logs_;
  LogEventsQuery query_;
  std::set<std::string> seen_at_newest_;
  std::map<std::string, std::string> request_by_stream_;
};

// The request id a Lambda log line names: "START RequestId: ID ...", "END ...", "REPORT ...",
// or a runtime's "TIME\tID\tLEVEL\tmessage" line. Empty when it names none.
std::string request_id_in(std::string_view message);

}  // namespace fx::aws
