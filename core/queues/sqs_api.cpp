#include "core/queues/sqs_api.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/hash.h"

namespace fx::queues {

using nlohmann::json;

namespace {

constexpr std::string_view kTargetPrefix = "AmazonSQS.";
constexpr int kMaxBatchEntries = 10;
constexpr int kMaxWaitTimeSeconds = 20;
constexpr int kMaxListResults = 1000;

// The legacy (query protocol) code SDKs report for a JSON error shape, from the SQS API
// reference; the others keep their name.
std::string query_error_code(const std::string& code) {
  static const std::map<std::string, std::string, std::less<>> kLegacy = {
      {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"},
      {"QueueNameExists", "QueueAlreadyExists"},
      {"QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"},
      {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress"},
      {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
      {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"},
      {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"},
      {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"},
      {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
      {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"},
      {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"},
  };
  auto it = kLegacy.find(code);
  return it == kLegacy.end() ? code : it->second;
}

std::string new_request_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> dist;
  std::uint64_t a = dist(rng), b = dist(rng);
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

SqsResult answer(const json& body) {
  SqsResult r;
  r.body = dump(body);
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-RequestId", new_request_id()}};
  return r;
}

SqsResult error_answer(const std::string& code, const std::string& message, bool sender_fault,
                       int status) {
  SqsResult r;
  r.status = status;
  r.body = dump(json{{"__type", "com.amazonaws.sqs#" + code}, {"message", message}});
  r.headers = {
      {"Content-Type", "application/x-amz-json-1.0"},
      {"x-amzn-RequestId", new_request_id()},
      {"x-amzn-query-error", query_error_code(code) + (sender_fault ? ";Sender" : ";Receiver")}};
  return r;
}

// A body that is not JSON is refused by the AWS JSON protocol layer, before SQS sees it.
SqsResult serialization_error() {
  SqsResult r;
  r.status = 400;
  r.body = dump(json{{"__type", "com.amazon.coral.service#SerializationException"},
                     {"message", "The request body is not a JSON object."}});
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-RequestId", new_request_id()}};
  return r;
}

SqsError missing(std::string_view name) {
  return SqsError("MissingParameter",
                  fmt::format("The request must contain the parameter {}.", name));
}

SqsError invalid_value(std::string_view name, const std::string& reason) {
  return SqsError("InvalidParameterValue",
                  fmt::format("Value for parameter {} is invalid. Reason: {}", name, reason));
}

// --- Reading the request.

const json* member(const json& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> optional_string(const json& req, std::string_view name) {
  const json* v = member(req, name);
  if (!v) return std::nullopt;
  if (!v->is_string()) throw invalid_value(name, "must be a string.");
  return v->get<std::string>();
}

std::string required_string(const json& req, std::string_view name) {
  auto v = optional_string(req, name);
  if (!v) throw missing(name);
  return *v;
}

// Integers arrive as JSON numbers; strings holding one are taken too.
std::optional<int> optional_int(const json& req, std::string_view name) {
  const json* v = member(req, name);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) {
    auto n = v->get<std::int64_t>();
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max())
      throw invalid_value(name, "out of range.");
    return static_cast<int>(n);
  }
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    std::size_t used = 0;
    try {
      int n = std::stoi(s, &used);
      if (used == s.size()) return n;
    } catch (const std::exception&) {
    }
  }
  throw invalid_value(name, "must be an integer.");
}

std::map<std::string, std::string> string_map(const json& req, std::string_view name) {
  std::map<std::string, std::string> out;
  const json* v = member(req, name);
  if (!v) return out;
  if (!v->is_object()) throw invalid_value(name, "must be a map of strings.");
  for (const auto& [key, value] : v->items()) {
    if (value.is_string())
      out[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean())
      out[key] = value.dump();
    else
      throw invalid_value(name, "must be a map of strings.");
  }
  return out;
}

std::vector<std::string> string_list(const json& req, std::string_view name) {
  std::vector<std::string> out;
  const json* v = member(req, name);
  if (!v) return out;
  if (!v->is_array()) throw invalid_value(name, "must be a list of strings.");
  for (const auto& item : *v) {
    if (!item.is_string()) throw invalid_value(name, "must be a list of strings.");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string queue_of(const json& req) {
  return queue_name_from_url(required_string(req, "QueueUrl"));
}

MessageAttributes message_attributes_of(const json& req) {
  MessageAttributes out;
  const json* v = member(req, "MessageAttributes");
  if (!v) return out;
  if (!v->is_object()) throw invalid_value("MessageAttributes", "must be a map.");
  for (const auto& [name, value] : v->items()) {
    if (!value.is_object()) throw invalid_value("MessageAttributes", "must be a map.");
    MessageAttributeValue attr;
    attr.data_type = optional_string(value, "DataType").value_or("");
    if (attr.is_binary()) {
      try {
        attr.binary_value = util::base64_decode(optional_string(value, "BinaryValue").value_or(""));
      } catch (const Error&) {
        throw SqsError(
            "InvalidParameterValue",
            fmt::format("The message attribute '{}' has an invalid base64 value.", name));
      }
    } else {
      attr.string_value = optional_string(value, "StringValue").value_or("");
    }
    out.emplace(name, std::move(attr));
  }
  return out;
}

FifoSend fifo_send_of(const json& req) {
  return FifoSend{optional_string(req, "MessageGroupId"),
                  optional_string(req, "MessageDeduplicationId")};
}

// --- Writing the answer.

// ReceiveMessage's MessageAttributeNames: "All" or ".*" for all, "prefix.*" for a family.
MessageAttributes select_message_attributes(const MessageAttributes& all,
                                            const std::vector<std::string>& names) {
  MessageAttributes out;
  for (const auto& [name, value] : all) {
    bool wanted = std::any_of(names.begin(), names.end(), [&](const std::string& pattern) {
      if (pattern == "All" || pattern == ".*") return true;
      if (pattern.size() > 2 && pattern.ends_with(".*"))
        return name.starts_with(pattern.substr(0, pattern.size() - 1));
      return pattern == name;
    });
    if (wanted) out.emplace(name, value);
  }
  return out;
}

std::map<std::string, std::string> system_attributes(const Message& m, const std::string& region) {
  std::map<std::string, std::string> out = {
      {"SenderId", m.sender_id},
      {"SentTimestamp", std::to_string(m.sent_ms)},
      {"ApproximateReceiveCount", std::to_string(m.receive_count)},
      {"ApproximateFirstReceiveTimestamp", std::to_string(m.first_receive_ms)},
  };
  if (!m.dead_letter_source_queue.empty())
    out["DeadLetterQueueSourceArn"] = queue_arn(region, m.dead_letter_source_queue);
  if (!m.group_id.empty()) {
    out["MessageGroupId"] = m.group_id;
    out["MessageDeduplicationId"] = m.deduplication_id;
    out["SequenceNumber"] = m.sequence_number;
  }
  return out;
}

json batch_error(const std::string& id, const SqsError& e) {
  return json{{"Id", id},
              {"SenderFault", e.sender_fault()},
              {"Code", query_error_code(e.code())},
              {"Message", e.what()}};
}

// The checks SQS makes on a whole batch before looking at any entry.
std::vector<json> batch_entries(const json& req, std::string_view entry_name) {
  const json* v = member(req, "Entries");
  if (!v) throw missing("Entries");
  if (!v->is_array()) throw invalid_value("Entries", "must be a list.");
  if (v->empty())
    throw SqsError("EmptyBatchRequest",
                   fmt::format("There should be at least one {} in the request.", entry_name));
  if (static_cast<int>(v->size()) > kMaxBatchEntries)
    throw SqsError("TooManyEntriesInBatchRequest",
                   fmt::format("Maximum number of entries per request are {}. You have sent {}.",
                               kMaxBatchEntries, v->size()));
  std::set<std::string> seen;
  std::vector<json> entries;
  for (const json& entry : *v) {
    if (!entry.is_object()) throw invalid_value("Entries", "must be a list of maps.");
    std::string id = required_string(entry, "Id");
    bool id_ok = !id.empty() && id.size() <= 80 && std::all_of(id.begin(), id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!id_ok)
      throw SqsError("InvalidBatchEntryId",
                     "A batch entry id can only contain alphanumeric characters, hyphens and "
                     "underscores. It can be at most 80 letters long.");
    if (!seen.insert(id).second)
      throw SqsError("BatchEntryIdsNotDistinct", fmt::format("Id {} repeated.", id));
    entries.push_back(entry);
  }
  return entries;
}

struct Call {
  QueueStore& store;
  const json& req;
  const std::string& endpoint;
  const std::string& region;
  std::int64_t poll_deadline_ms;

  std::string url(const std::string& name) const { return queue_url(endpoint, name); }

  QueueInfo queue(const std::string& name) const {
    auto info = store.get_queue(name);
    if (!info) throw SqsError("QueueDoesNotExist", "The specified queue does not exist.");
    return *info;
  }

  static std::int64_t attribute_number(const QueueInfo& q, const std::string& name,
                                       std::int64_t fallback) {
    auto it = q.attributes.find(name);
    return it == q.attributes.end() ? fallback : std::stoll(it->second);
  }

  SqsResult create_queue() {
    std::string name = required_string(req, "QueueName");
    store.create_queue(name, string_map(req, "Attributes"), string_map(req, "tags"));
    return answer({{"QueueUrl", url(name)}});
  }

  SqsResult get_queue_url() {
    std::string name = required_string(req, "QueueName");
    queue(name);
    return answer({{"QueueUrl", url(name)}});
  }

  SqsResult list_queues() {
    std::string prefix = optional_string(req, "QueueNamePrefix").value_or("");
    std::optional<int> max = optional_int(req, "MaxResults");
    if (max && (*max < 1 || *max > kMaxListResults))
      throw SqsError("InvalidParameterValue",
                     fmt::format("Value {} for parameter MaxResults is invalid. Reason: MaxResults "
                                 "must be an integer between 1 and {}.",
                                 *max, kMaxListResults));
    // The token is the last name of the previous page: names are listed in order.
    std::string after;
    if (auto token = optional_string(req, "NextToken")) {
      try {
        after = util::base64_decode(*token);
      } catch (const Error&) {
        throw SqsError("InvalidParameterValue", "Invalid NextToken value.");
      }
    }
    std::vector<std::string> names = store.list_queues(prefix);
    names.erase(names.begin(), std::upper_bound(names.begin(), names.end(), after));
    std::size_t page = static_cast<std::size_t>(max.value_or(kMaxListResults));
    json out = json::object();
    json urls = json::array();
    for (std::size_t i = 0; i < names.size() && i < page; ++i) urls.push_back(url(names[i]));
    if (!urls.empty()) out["QueueUrls"] = std::move(urls);
    // SQS pages only when asked to (MaxResults); without it the answer is cut at 1000.
    if (max && names.size() > page) out["NextToken"] = util::base64_encode(names[page - 1]);
    return answer(out);
  }

  SqsResult delete_queue() {
    store.delete_queue(queue_of(req));
    return answer(json::object());
  }

  SqsResult send_message() {
    std::string name = queue_of(req);
    SendResult sent =
        store.send(name, required_string(req, "MessageBody"), optional_int(req, "DelaySeconds"),
                   message_attributes_of(req), fifo_send_of(req));
    json out = {{"MessageId", sent.message_id}, {"MD5OfMessageBody", sent.md5_of_body}};
    if (!sent.md5_of_message_attributes.empty())
      out["MD5OfMessageAttributes"] = sent.md5_of_message_attributes;
    if (!sent.sequence_number.empty()) out["SequenceNumber"] = sent.sequence_number;
    return answer(out);
  }

  SqsResult send_message_batch() {
    std::string name = queue_of(req);
    QueueInfo info = queue(name);
    std::vector<json> entries = batch_entries(req, "SendMessageBatchRequestEntry");
    std::int64_t total = 0;
    for (const json& entry : entries) {
      // A malformed entry fails on its own below; here it only counts for what it holds.
      try {
        if (auto body = optional_string(entry, "MessageBody"))
          total += static_cast<std::int64_t>(body->size());
        for (const auto& [attr, value] : message_attributes_of(entry))
          total += static_cast<std::int64_t>(attr.size() + value.data_type.size() +
                                             value.string_value.size() + value.binary_value.size());
      } catch (const SqsError&) {
      }
    }
    std::int64_t limit =
        std::max(kDefaultMaximumMessageSize,
                 attribute_number(info, "MaximumMessageSize", kDefaultMaximumMessageSize));
    if (total > limit)
      throw SqsError("BatchRequestTooLong",
                     fmt::format("Batch requests cannot be longer than {} bytes. You have sent {} "
                                 "bytes.",
                                 limit, total));
    json successful = json::array();
    json failed = json::array();
    for (const json& entry : entries) {
      std::string id = entry.at("Id").get<std::string>();
      try {
        SendResult sent = store.send(name, required_string(entry, "MessageBody"),
                                     optional_int(entry, "DelaySeconds"),
                                     message_attributes_of(entry), fifo_send_of(entry));
        json ok = {
            {"Id", id}, {"MessageId", sent.message_id}, {"MD5OfMessageBody", sent.md5_of_body}};
        if (!sent.md5_of_message_attributes.empty())
          ok["MD5OfMessageAttributes"] = sent.md5_of_message_attributes;
        if (!sent.sequence_number.empty()) ok["SequenceNumber"] = sent.sequence_number;
        successful.push_back(std::move(ok));
      } catch (const SqsError& e) {
        if (e.code() == "QueueDoesNotExist") throw;  // deleted meanwhile: the whole call fails
        failed.push_back(batch_error(id, e));
      }
    }
    return answer({{"Successful", std::move(successful)}, {"Failed", std::move(failed)}});
  }

  SqsResult receive_message() {
    std::string name = queue_of(req);
    int max = optional_int(req, "MaxNumberOfMessages").value_or(1);
    if (max < 1 || max > 10)
      throw SqsError("InvalidParameterValue",
                     fmt::format("Value {} for parameter MaxNumberOfMessages is invalid. Reason: "
                                 "Must be between 1 and 10, if provided.",
                                 max));
    std::optional<int> wait = optional_int(req, "WaitTimeSeconds");
    if (wait && (*wait < 0 || *wait > kMaxWaitTimeSeconds))
      throw SqsError("InvalidParameterValue",
                     fmt::format("Value {} for parameter WaitTimeSeconds is invalid. Reason: Must "
                                 "be >= 0 and <= {}, if provided.",
                                 *wait, kMaxWaitTimeSeconds));
    // AttributeNames is the older spelling of MessageSystemAttributeNames.
    std::vector<std::string> system_names = string_list(req, "AttributeNames");
    for (auto& n : string_list(req, "MessageSystemAttributeNames")) system_names.push_back(n);
    bool all_system =
        std::find(system_names.begin(), system_names.end(), "All") != system_names.end();
    std::vector<std::string> attribute_names = string_list(req, "MessageAttributeNames");
    // FIFO queues' retry token: a retry with it gets the messages of the receive it repeats
    // (QueueStore::receive).
    const std::optional<std::string> attempt = optional_string(req, "ReceiveRequestAttemptId");
    if (attempt && (attempt->empty() || attempt->size() > 128 ||
                    !std::all_of(attempt->begin(), attempt->end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) ||
                             std::ispunct(static_cast<unsigned char>(c));
                    })))
      throw SqsError("InvalidParameterValue",
                     fmt::format("Value {} for parameter ReceiveRequestAttemptId is invalid. "
                                 "Reason: ReceiveRequestAttemptId can only include alphanumeric "
                                 "and punctuation characters. 1 to 128 in length.",
                                 *attempt));

    std::vector<Message> messages =
        store.receive(name, max, optional_int(req, "VisibilityTimeout"), attempt.value_or(""));

    json list = json::array();
    for (const Message& m : messages) {
      json item = {{"MessageId", m.id},
                   {"ReceiptHandle", m.receipt_handle},
                   {"MD5OfBody", m.md5_of_body},
                   {"Body", m.body}};
      json attrs = json::object();
      for (const auto& [key, value] : system_attributes(m, region))
        if (all_system ||
            std::find(system_names.begin(), system_names.end(), key) != system_names.end())
          attrs[key] = value;
      if (!attrs.empty()) item["Attributes"] = std::move(attrs);
      // The MD5 covers the attributes returned, which is what SDKs check it against.
      MessageAttributes selected = select_message_attributes(m.message_attributes, attribute_names);
      if (!selected.empty()) {
        item["MessageAttributes"] = message_attributes_json(selected);
        item["MD5OfMessageAttributes"] = md5_of_message_attributes(selected);
      }
      list.push_back(std::move(item));
    }
    json out = json::object();
    if (!list.empty()) out["Messages"] = std::move(list);
    SqsResult result = answer(out);

    if (messages.empty()) {
      int wait_s = wait.value_or(
          static_cast<int>(attribute_number(queue(name), "ReceiveMessageWaitTimeSeconds", 0)));
      std::int64_t now = store.now_ms();
      std::int64_t deadline =
          poll_deadline_ms > 0 ? poll_deadline_ms : now + std::int64_t{wait_s} * 1000;
      if (wait_s > 0 && now < deadline) {
        result.wait_until_ms = deadline;
        result.wait_queue = name;
        std::optional<std::int64_t> next = store.next_visible_ms(name);
        result.recheck_at_ms = next && *next > now ? std::min(*next, deadline) : deadline;
      }
    }
    return result;
  }

  SqsResult delete_message() {
    store.delete_message(queue_of(req), required_string(req, "ReceiptHandle"));
    return answer(json::object());
  }

  SqsResult delete_message_batch() {
    std::string name = queue_of(req);
    queue(name);
    json successful = json::array();
    json failed = json::array();
    for (const json& entry : batch_entries(req, "DeleteMessageBatchRequestEntry")) {
      std::string id = entry.at("Id").get<std::string>();
      try {
        store.delete_message(name, required_string(entry, "ReceiptHandle"));
        successful.push_back({{"Id", id}});
      } catch (const SqsError& e) {
        if (e.code() == "QueueDoesNotExist") throw;
        failed.push_back(batch_error(id, e));
      }
    }
    return answer({{"Successful", std::move(successful)}, {"Failed", std::move(failed)}});
  }

  SqsResult change_message_visibility() {
    std::optional<int> timeout = optional_int(req, "VisibilityTimeout");
    if (!timeout) throw missing("VisibilityTimeout");
    store.change_visibility(queue_of(req), required_string(req, "ReceiptHandle"), *timeout);
    return answer(json::object());
  }

  SqsResult change_message_visibility_batch() {
    std::string name = queue_of(req);
    queue(name);
    json successful = json::array();
    json failed = json::array();
    for (const json& entry : batch_entries(req, "ChangeMessageVisibilityBatchRequestEntry")) {
      std::string id = entry.at("Id").get<std::string>();
      try {
        std::optional<int> timeout = optional_int(entry, "VisibilityTimeout");
        if (!timeout) throw missing("VisibilityTimeout");
        store.change_visibility(name, required_string(entry, "ReceiptHandle"), *timeout);
        successful.push_back({{"Id", id}});
      } catch (const SqsError& e) {
        if (e.code() == "QueueDoesNotExist") throw;
        failed.push_back(batch_error(id, e));
      }
    }
    return answer({{"Successful", std::move(successful)}, {"Failed", std::move(failed)}});
  }

  SqsResult get_queue_attributes() {
    // Every name in the SQS model's QueueAttributeName; a queue reports those that apply.
    static constexpr std::array<std::string_view, 22> kKnown = {
        "All",
        "Policy",
        "VisibilityTimeout",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "CreatedTimestamp",
        "LastModifiedTimestamp",
        "QueueArn",
        "ApproximateNumberOfMessagesDelayed",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "RedrivePolicy",
        "FifoQueue",
        "ContentBasedDeduplication",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "RedriveAllowPolicy",
        "SqsManagedSseEnabled",
    };
    std::string name = queue_of(req);
    std::vector<std::string> names = string_list(req, "AttributeNames");
    for (const auto& n : names)
      if (std::find(kKnown.begin(), kKnown.end(), n) == kKnown.end())
        throw SqsError("InvalidAttributeName", fmt::format("Unknown Attribute {}.", n));
    QueueAttributes all = store.attributes(name, region);
    bool want_all = std::find(names.begin(), names.end(), "All") != names.end();
    json attrs = json::object();
    for (const auto& [key, value] : all)
      if (want_all || std::find(names.begin(), names.end(), key) != names.end()) attrs[key] = value;
    json out = json::object();
    if (!attrs.empty()) out["Attributes"] = std::move(attrs);
    return answer(out);
  }

  SqsResult set_queue_attributes() {
    if (!member(req, "Attributes")) throw missing("Attributes");
    store.set_attributes(queue_of(req), string_map(req, "Attributes"));
    return answer(json::object());
  }

  SqsResult purge_queue() {
    store.purge(queue_of(req));
    return answer(json::object());
  }

  SqsResult tag_queue() {
    if (!member(req, "Tags")) throw missing("Tags");
    store.tag_queue(queue_of(req), string_map(req, "Tags"));
    return answer(json::object());
  }

  SqsResult untag_queue() {
    if (!member(req, "TagKeys")) throw missing("TagKeys");
    store.untag_queue(queue_of(req), string_list(req, "TagKeys"));
    return answer(json::object());
  }

  SqsResult list_queue_tags() {
    QueueInfo info = queue(queue_of(req));
    json out = json::object();
    if (!info.tags.empty()) out["Tags"] = info.tags;
    return answer(out);
  }

  SqsResult list_dead_letter_source_queues() {
    std::string name = queue_of(req);
    queue(name);
    json urls = json::array();
    for (const std::string& source : store.list_queues()) {
      auto info = store.get_queue(source);
      if (!info) continue;
      auto policy = info->attributes.find("RedrivePolicy");
      if (policy == info->attributes.end()) continue;
      json doc = json::parse(policy->second, nullptr, false);
      if (doc.is_object() && doc.contains("deadLetterTargetArn") &&
          doc["deadLetterTargetArn"].is_string() &&
          queue_name_from_arn(doc["deadLetterTargetArn"].get<std::string>()) == name)
        urls.push_back(url(source));
    }
    return answer({{"queueUrls", std::move(urls)}});  // sic: lowercase in the SQS model
  }
};

}  // namespace

bool is_sqs_target(std::string_view target) {
  return target.starts_with(kTargetPrefix);
}

SqsResult handle_sqs(QueueStore& store, std::string_view target, std::string_view body,
                     const std::string& endpoint_url, const std::string& region,
                     std::int64_t poll_deadline_ms) {
  std::string action(target.starts_with(kTargetPrefix) ? target.substr(kTargetPrefix.size())
                                                       : std::string_view());
  json req = body.empty() ? json::object() : json::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object()) return serialization_error();
  Call call{store, req, endpoint_url, region, poll_deadline_ms};
  using Handler = SqsResult (Call::*)();
  static const std::map<std::string, Handler, std::less<>> kActions = {
      {"CreateQueue", &Call::create_queue},
      {"GetQueueUrl", &Call::get_queue_url},
      {"ListQueues", &Call::list_queues},
      {"DeleteQueue", &Call::delete_queue},
      {"SendMessage", &Call::send_message},
      {"SendMessageBatch", &Call::send_message_batch},
      {"ReceiveMessage", &Call::receive_message},
      {"DeleteMessage", &Call::delete_message},
      {"DeleteMessageBatch", &Call::delete_message_batch},
      {"ChangeMessageVisibility", &Call::change_message_visibility},
      {"ChangeMessageVisibilityBatch", &Call::change_message_visibility_batch},
      {"GetQueueAttributes", &Call::get_queue_attributes},
      {"SetQueueAttributes", &Call::set_queue_attributes},
      {"PurgeQueue", &Call::purge_queue},
      {"TagQueue", &Call::tag_queue},
      {"UntagQueue", &Call::untag_queue},
      {"ListQueueTags", &Call::list_queue_tags},
      {"ListDeadLetterSourceQueues", &Call::list_dead_letter_source_queues},
  };
  // SQS operations the emulator does not implement, answered as SQS answers what it refuses.
  static const std::set<std::string, std::less<>> kUnsupported = {
      "AddPermission",         "RemovePermission",     "StartMessageMoveTask",
      "CancelMessageMoveTask", "ListMessageMoveTasks",
  };
  try {
    if (auto it = kActions.find(action); it != kActions.end()) return (call.*(it->second))();
    if (kUnsupported.count(action))
      return error_answer("UnsupportedOperation",
                          fmt::format("{} is not supported by fx's emulator.", action), true, 400);
    return error_answer("InvalidAction",
                        fmt::format("The action {} is not valid for this endpoint.",
                                    action.empty() ? std::string(target) : action),
                        true, 400);
  } catch (const SqsError& e) {
    return error_answer(e.code(), e.what(), e.sender_fault(), 400);
  } catch (const std::exception& e) {
    return error_answer("InternalError", e.what(), false, 500);
  }
}

std::string lambda_sqs_event_json(const std::vector<Message>& messages,
                                  const std::string& queue_arn, const std::string& region) {
  json records = json::array();
  for (const Message& m : messages) {
    json attributes = {
        {"ApproximateReceiveCount", std::to_string(m.receive_count)},
        {"SentTimestamp", std::to_string(m.sent_ms)},
        {"SenderId", m.sender_id},
        {"ApproximateFirstReceiveTimestamp", std::to_string(m.first_receive_ms)},
    };
    if (!m.dead_letter_source_queue.empty())
      attributes["DeadLetterQueueSourceArn"] =
          fx::queues::queue_arn(region, m.dead_letter_source_queue);
    if (!m.group_id.empty()) {  // a FIFO queue's, as Lambda's FIFO records carry them
      attributes["SequenceNumber"] = m.sequence_number;
      attributes["MessageGroupId"] = m.group_id;
      attributes["MessageDeduplicationId"] = m.deduplication_id;
    }
    json message_attributes = json::object();
    for (const auto& [name, value] : m.message_attributes) {
      json v = {{"stringListValues", json::array()},
                {"binaryListValues", json::array()},
                {"dataType", value.data_type}};
      if (value.is_binary())
        v["binaryValue"] = util::base64_encode(value.binary_value);
      else
        v["stringValue"] = value.string_value;
      message_attributes[name] = std::move(v);
    }
    json record = {{"messageId", m.id},
                   {"receiptHandle", m.receipt_handle},
                   {"body", m.body},
                   {"attributes", std::move(attributes)},
                   {"messageAttributes", std::move(message_attributes)},
                   {"md5OfBody", m.md5_of_body},
                   {"eventSource", "aws:sqs"},
                   {"eventSourceARN", queue_arn},
                   {"awsRegion", region}};
    if (!m.md5_of_message_attributes.empty())
      record["md5OfMessageAttributes"] = m.md5_of_message_attributes;
    records.push_back(std::move(record));
  }
  return dump(json{{"Records", std::move(records)}});
}

}  // namespace fx::queues
