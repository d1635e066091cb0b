// Lambda's event filtering: an event source mapping's FilterCriteria (the Serverless
// Framework's `filterPatterns` of an sqs or stream event), in EventBridge's pattern language. A
// record passes when any pattern matches it; the SQS records that pass none are deleted unseen,
// the stream records that pass none are skipped.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fx::events {

class EventFilter {
 public:
  EventFilter();  // no patterns: everything passes
  ~EventFilter();
  EventFilter(const EventFilter&);
  EventFilter& operator=(const EventFilter&);

  // Each pattern as JSON text, e.g. {"body": {"type": ["order"]}}. Throws fx::Error naming
  // what Lambda would refuse: a pattern that is not an object, a value that is not a list of
  // matchers, an unknown or malformed operator (prefix, suffix, equals-ignore-case,
  // anything-but, numeric, exists, wildcard), more than 5 patterns.
  static EventFilter parse(const std::vector<std::string>& patterns);

  bool empty() const;
  std::size_t size() const;

  // Whether an SQS message with this body passes. As on Lambda, only `body` is filtered on:
  // a body that is JSON is matched as JSON, any other as its text.
  bool passes_sqs_body(std::string_view body) const;
  // Whether a stream record (a DynamoDB stream's record, as JSON text) passes. As on Lambda,
  // the patterns apply to the record itself: {"eventName": ["INSERT"]}, {"dynamodb":
  // {"NewImage": {"status": {"S": ["done"]}}}}. A record that is not JSON passes none.
  bool passes_record(std::string_view record_json) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace fx::events
