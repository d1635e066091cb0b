#include "core/sns/api.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/sns/form.h"
#include "core/util/encoding.h"
#include "core/util/hash.h"
#include "core/util/time.h"

namespace fx::sns {

using nlohmann::json;

namespace {

constexpr std::string_view kNamespace = "http://sns.amazonaws.com/doc/2010-03-31/";
constexpr std::size_t kPageSize = 100;  // ListTopics and ListSubscriptions pages, as SNS's
constexpr std::size_t kMaxAttributes = 10;
constexpr std::size_t kMaxTags = 50;
constexpr std::size_t kMaxBatch = 10;

struct SnsError {
  int status = 400;
  std::string code;
  std::string message;
};

[[noreturn]] void fail(int status, std::string code, std::string message) {
  throw SnsError{status, std::move(code), std::move(message)};
}
[[noreturn]] void invalid(const std::string& what) {
  fail(400, "InvalidParameter", "Invalid parameter: " + what);
}
// Publish's documented error for a malformed message attribute (AWS's Publish reference:
// InvalidParameterValueException, code ParameterValueInvalid).
[[noreturn]] void invalid_value(const std::string& what) {
  fail(400, "ParameterValueInvalid", what);
}

std::string uuid() {
  static std::mt19937_64 rng{std::random_device{}()};
  std::string h = fmt::format("{:016x}{:016x}", rng(), rng());
  h[12] = '4';
  h[16] = "89ab"[rng() % 4];
  return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20));
}

using util::xml_escape;  // core/util/encoding.h

std::string leaf(std::string_view tag, std::string_view value) {
  return fmt::format("<{0}>{1}</{0}>", tag, xml_escape(value));
}

std::string answer(std::string_view action, const std::string& result, bool has_result = true) {
  return fmt::format(
      "<?xml version=\"1.0\"?>\n<{0}Response xmlns=\"{1}\">{2}<ResponseMetadata><RequestId>{3}"
      "</RequestId></ResponseMetadata></{0}Response>\n",
      action, kNamespace,
      has_result ? fmt::format("<{0}Result>{1}</{0}Result>", action, result) : std::string(),
      uuid());
}

std::string error_body(const SnsError& e) {
  return fmt::format(
      "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{}\"><Error><Type>{}</Type><Code>{}"
      "</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>\n",
      kNamespace, e.status >= 500 ? "Receiver" : "Sender", xml_escape(e.code),
      xml_escape(e.message), uuid());
}

std::string entries_xml(const std::map<std::string, std::string>& attributes) {
  std::string out;
  for (const auto& [k, v] : attributes)
    out += "<entry>" + leaf("key", k) + leaf("value", v) + "</entry>";
  return "<Attributes>" + out + "</Attributes>";
}

// arn:aws:sns:REGION:ACCOUNT:NAME
struct Arn {
  std::string region, account, resource;
};
std::optional<Arn> parse_arn(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = text.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  if (parts[0] != "arn" || parts[1].empty() || parts[2].empty() || parts[5].empty())
    return std::nullopt;
  return Arn{parts[3], parts[4], parts[5]};
}

bool valid_topic_name(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (!base.ends_with(".fifo")) return false;
    base.resize(base.size() - 5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool is_fifo(const Topic& t) {
  auto it = t.attributes.find("FifoTopic");
  return it != t.attributes.end() && it->second == "true";
}

const Topic& existing_topic(const Store& store, const std::string& arn, const char* param) {
  if (arn.empty()) invalid(fmt::format("{} Reason: no value for required parameter", param));
  if (!parse_arn(arn) || !arn.starts_with("arn:aws:sns:")) invalid(param);
  const Topic* t = store.topic(arn);
  if (!t) fail(404, "NotFound", "Topic does not exist");
  return *t;
}

// ---- topics ---------------------------------------------------------------------------------

const std::set<std::string>& topic_attribute_names() {
  static const std::set<std::string> names = {"DisplayName",         "Policy",
                                              "DeliveryPolicy",      "KmsMasterKeyId",
                                              "FifoTopic",           "ContentBasedDeduplication",
                                              "SignatureVersion",    "TracingConfig",
                                              "ArchivePolicy",       "FifoThroughputScope",
                                              "DataProtectionPolicy"};
  return names;
}

void check_topic_attribute(const std::string& name, const std::string& value, bool fifo) {
  if (!topic_attribute_names().count(name)) invalid("AttributeName");
  if ((name == "FifoTopic" || name == "ContentBasedDeduplication") && value != "true" &&
      value != "false")
    invalid(fmt::format("Attributes Reason: {}: Invalid value [{}]. Must be true or false.", name,
                        value));
  if (name == "ContentBasedDeduplication" && value == "true" && !fifo)
    invalid("Attributes Reason: Content based deduplication can only be set for FIFO topics");
  if (name == "DisplayName" && value.size() > 100) invalid("DisplayName");
  if ((name == "Policy" || name == "DeliveryPolicy") && !value.empty() &&
      !json::parse(value, nullptr, false).is_object())
    invalid(fmt::format("{}: failed to parse JSON", name));
}

std::string default_policy(const std::string& arn) {
  return json{{"Version", "2008-10-17"},
              {"Id", "__default_policy_ID"},
              {"Statement",
               json::array({{{"Sid", "__default_statement_ID"},
                             {"Effect", "Allow"},
                             {"Principal", {{"AWS", "*"}}},
                             {"Action",
                              {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes",
                               "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic",
                               "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"}},
                             {"Resource", arn},
                             {"Condition", {{"StringEquals", {{"AWS:SourceOwner", kAccount}}}}}}})}}
      .dump();
}

std::string create_topic(Store& store, const Form& form, const RequestContext& ctx) {
  const std::string name = form.get("Name");
  std::map<std::string, std::string> attributes;
  for (const auto& [k, v] : form.entries("Attributes")) attributes[k] = v;
  const bool fifo = attributes.count("FifoTopic") && attributes["FifoTopic"] == "true";
  if (!form.has("Name")) invalid("Name Reason: no value for required parameter");
  if (name.ends_with(".fifo") && !fifo)
    invalid("Topic Name");  // AWS: a .fifo name needs FifoTopic=true
  if (!valid_topic_name(name, fifo))
    invalid(fifo ? "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                   "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                   "between 1 and 256 characters long."
                 : "Topic Name");
  for (const auto& [k, v] : attributes) check_topic_attribute(k, v, fifo);
  Tags tags;
  for (int n = 1;; ++n) {
    std::string base = fmt::format("Tags.member.{}.", n);
    if (!form.has(base + "Key")) break;
    tags.emplace_back(form.get(base + "Key"), form.get(base + "Value"));
  }
  if (tags.size() > kMaxTags)
    fail(400, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded");
  const std::string arn = topic_arn(ctx.region, name);
  if (const Topic* old = store.topic(arn)) {
    // Idempotent by name, unless asked for other attributes than the topic has.
    for (const auto& [k, v] : attributes) {
      auto it = old->attributes.find(k);
      if ((it == old->attributes.end() ? std::string(k == "FifoTopic" ? "false" : "")
                                       : it->second) != v)
        invalid("Attributes Reason: Topic already exists with different attributes");
    }
    return answer("CreateTopic", leaf("TopicArn", arn));
  }
  Topic t;
  t.arn = arn;
  t.name = name;
  t.attributes = attributes;
  t.tags = tags;
  store.put_topic(t);
  return answer("CreateTopic", leaf("TopicArn", arn));
}

std::map<std::string, std::string> topic_attributes(const Store& store, const Topic& t) {
  std::map<std::string, std::string> out = {
      {"TopicArn", t.arn},
      {"Owner", std::string(kAccount)},
      {"Policy", default_policy(t.arn)},
      {"DisplayName", ""},
      {"SubscriptionsPending", "0"},
      {"SubscriptionsDeleted", "0"},
      {"EffectiveDeliveryPolicy",
       R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})"}};
  int confirmed = 0;
  for (const auto& [arn, s] : store.subscriptions()) confirmed += s.topic_arn == t.arn;
  out["SubscriptionsConfirmed"] = std::to_string(confirmed);
  for (const auto& [k, v] : t.attributes) out[k] = v;
  if (is_fifo(t) && !out.count("ContentBasedDeduplication"))
    out["ContentBasedDeduplication"] = "false";
  return out;
}

// A page of `items` (ARNs, in order) after the NextToken, and the next token.
template <class Map, class Keep>
std::pair<std::vector<const typename Map::mapped_type*>, std::string> page(const Map& items,
                                                                           const Form& form,
                                                                           Keep keep) {
  std::string token = form.get("NextToken");
  std::string start;
  if (!token.empty()) {
    try {
      start = util::base64_decode(token);
    } catch (const std::exception&) {
      invalid("NextToken");
    }
    if (!start.starts_with("arn:aws:sns:")) invalid("NextToken");
  }
  std::vector<const typename Map::mapped_type*> out;
  for (auto it = items.lower_bound(start); it != items.end(); ++it) {
    if (!keep(it->second)) continue;
    if (out.size() == kPageSize) return {out, util::base64_encode(it->first)};
    out.push_back(&it->second);
  }
  return {out, ""};
}

// ---- subscriptions --------------------------------------------------------------------------

void check_subscription_attribute(const std::string& name, const std::string& value,
                                  const std::string& protocol,
                                  const std::map<std::string, std::string>& others) {
  static const std::set<std::string> names = {
      "DeliveryPolicy", "FilterPolicy",        "FilterPolicyScope", "RawMessageDelivery",
      "RedrivePolicy",  "SubscriptionRoleArn", "ReplayPolicy"};
  if (!names.count(name)) invalid("AttributeName");
  if (name == "RawMessageDelivery") {
    if (value != "true" && value != "false" && value != "True" && value != "False")
      invalid(fmt::format(
          "Attributes Reason: RawMessageDelivery: Invalid value [{}]. Must be true or false.",
          value));
    if (protocol == "lambda" && (value == "true" || value == "True"))
      invalid(
          "Attributes Reason: Delivery protocol [lambda] does not support raw message "
          "delivery.");
  } else if (name == "FilterPolicyScope") {
    if (value != "MessageAttributes" && value != "MessageBody")
      invalid(
          fmt::format("Attributes Reason: FilterPolicyScope: Invalid value [{}]. Please use "
                      "either MessageBody or MessageAttributes",
                      value));
  } else if (name == "FilterPolicy") {
    if (value.empty()) return;  // clears the policy
    auto scope = others.find("FilterPolicyScope");
    try {
      FilterPolicy::parse(value, scope != others.end() && scope->second == "MessageBody");
    } catch (const PolicyError& e) {
      invalid(fmt::format("FilterPolicy: {}", e.what()));
    }
  } else if (name == "RedrivePolicy") {
    json p = json::parse(value, nullptr, false);
    if (!p.is_object() || !p.contains("deadLetterTargetArn") ||
        !p["deadLetterTargetArn"].is_string())
      invalid("RedrivePolicy: Redrive policy is not JSON or is missing deadLetterTargetArn");
    if (!p["deadLetterTargetArn"].get<std::string>().starts_with("arn:aws:sqs:"))
      invalid("RedrivePolicy: deadLetterTargetArn is not an SQS queue's ARN");
  } else if (name == "DeliveryPolicy" && !json::parse(value, nullptr, false).is_object()) {
    invalid("DeliveryPolicy: failed to parse JSON");
  }
}

void check_endpoint(const std::string& protocol, const std::string& endpoint, const Topic& topic) {
  static const std::set<std::string> elsewhere = {"http", "https",       "email",   "email-json",
                                                  "sms",  "application", "firehose"};
  if (elsewhere.count(protocol))
    invalid(fmt::format(
        "fx delivers to lambda and sqs subscribers only; the {} protocol is not emulated "
        "(deploy with --target aws to use it)",
        protocol));
  if (protocol != "lambda" && protocol != "sqs")
    invalid(fmt::format("Amazon SNS does not support this protocol string: {}", protocol));
  auto arn = parse_arn(endpoint);
  if (protocol == "lambda") {
    if (!arn || !endpoint.starts_with("arn:aws:lambda:") || !arn->resource.starts_with("function:"))
      invalid("Lambda endpoint ARN");
    if (is_fifo(topic))
      invalid(
          "Invalid parameter: Endpoint Reason: FIFO SNS Topics currently only support FIFO "
          "SQS queues as endpoints");
  } else {
    if (!arn || !endpoint.starts_with("arn:aws:sqs:")) invalid("SQS endpoint ARN");
    if (is_fifo(topic) != arn->resource.ends_with(".fifo"))
      invalid(is_fifo(topic) ? "Invalid parameter: Endpoint Reason: FIFO SNS Topics currently "
                               "only support FIFO SQS queues as endpoints"
                             : "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
                               "subscribed to standard SNS topics");
  }
}

std::string subscription_xml(const Subscription& s) {
  return "<member>" + leaf("SubscriptionArn", s.arn) + leaf("Owner", kAccount) +
         leaf("Protocol", s.protocol) + leaf("Endpoint", s.endpoint) +
         leaf("TopicArn", s.topic_arn) + "</member>";
}

const Subscription& existing_subscription(const Store& store, const std::string& arn) {
  if (arn.empty()) invalid("SubscriptionArn Reason: no value for required parameter");
  auto parsed = parse_arn(arn);
  if (!parsed || !arn.starts_with("arn:aws:sns:"))
    invalid("SubscriptionArn Reason: An ARN must have at least 6 elements");
  const Subscription* s = store.subscription(arn);
  if (!s) fail(404, "NotFound", "Subscription does not exist");
  return *s;
}

std::map<std::string, std::string> subscription_attributes(const Subscription& s) {
  std::map<std::string, std::string> out = {
      {"SubscriptionArn", s.arn},       {"TopicArn", s.topic_arn},
      {"Owner", std::string(kAccount)}, {"Protocol", s.protocol},
      {"Endpoint", s.endpoint},         {"ConfirmationWasAuthenticated", "true"},
      {"PendingConfirmation", "false"}, {"RawMessageDelivery", "false"}};
  for (const auto& [k, v] : s.attributes) out[k] = v;
  if (out.count("FilterPolicy") && !out.count("FilterPolicyScope"))
    out["FilterPolicyScope"] = "MessageAttributes";
  return out;
}

// ---- publishing -----------------------------------------------------------------------------

struct Message {
  std::string message;
  std::string subject;
  bool has_subject = false;
  std::string structure;
  std::vector<MessageAttribute> attributes;
  std::string group_id, deduplication_id;
};

bool valid_attribute_name(const std::string& n) {
  if (n.empty() || n.size() > 256 || n.front() == '.' || n.back() == '.' ||
      n.find("..") != std::string::npos)
    return false;
  std::string lower = n;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.starts_with("aws.") || lower.starts_with("amazon.")) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::vector<MessageAttribute> message_attributes(const Form& form, const std::string& prefix) {
  std::vector<MessageAttribute> out;
  std::set<std::string> seen;
  for (int n = 1;; ++n) {
    const std::string base = fmt::format("{}.entry.{}.", prefix, n);
    if (!form.has(base + "Name")) break;
    MessageAttribute a;
    a.name = form.get(base + "Name");
    a.data_type = form.get(base + "Value.DataType");
    if (!valid_attribute_name(a.name))
      invalid_value(
          fmt::format("The message attribute name '{}' is invalid: names are 1 to 256 "
                      "letters, digits, '-', '_' and '.', no '..', not starting with "
                      "AWS. or Amazon.",
                      a.name));
    if (!seen.insert(a.name).second)
      invalid_value(fmt::format("Message attribute name '{}' has already been specified", a.name));
    const std::string type = a.data_type.substr(0, a.data_type.find('.'));
    if (type != "String" && type != "Number" && type != "Binary")
      invalid_value(
          fmt::format("The message attribute '{}' has an invalid message attribute "
                      "type, the set of supported type prefixes is Binary, Number, "
                      "and String.",
                      a.name));
    if (type == "Binary") {
      const std::string b64 = form.get(base + "Value.BinaryValue");
      if (b64.empty())
        invalid_value(
            fmt::format("The message attribute '{}' must contain non-empty message "
                        "attribute value for message attribute type 'Binary'.",
                        a.name));
      try {
        a.binary_value = util::base64_decode(b64);
      } catch (const std::exception&) {
        invalid_value(
            fmt::format("The message attribute '{}' has a BinaryValue that is not "
                        "base64",
                        a.name));
      }
    } else {
      a.string_value = form.get(base + "Value.StringValue");
      if (a.string_value.empty())
        invalid_value(
            fmt::format("The message attribute '{}' must contain non-empty message "
                        "attribute value for message attribute type '{}'.",
                        a.name, type));
      if (type == "Number") {
        char* end = nullptr;
        std::strtod(a.string_value.c_str(), &end);
        if (end != a.string_value.c_str() + a.string_value.size())
          invalid_value(
              fmt::format("Could not cast message attribute '{}' value to number.", a.name));
      }
      if (a.data_type == "String.Array") {
        json list = json::parse(a.string_value, nullptr, false);
        bool ok = list.is_array();
        for (const auto& e : ok ? list : json::array())
          ok = ok && (e.is_string() || e.is_number() || e.is_boolean() || e.is_null());
        if (!ok)
          invalid_value(
              fmt::format("The message attribute '{}' with type 'String.Array' must "
                          "be a JSON array of strings, numbers, true, false or null.",
                          a.name));
      }
    }
    out.push_back(std::move(a));
  }
  if (out.size() > kMaxAttributes)
    invalid_value(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum "
                    "[{}].",
                    out.size(), kMaxAttributes));
  return out;
}

Message read_message(const Form& form, const std::string& prefix) {
  Message m;
  m.message = form.get(prefix + "Message");
  m.has_subject = form.has(prefix + "Subject");
  m.subject = form.get(prefix + "Subject");
  m.structure = form.get(prefix + "MessageStructure");
  m.group_id = form.get(prefix + "MessageGroupId");
  m.deduplication_id = form.get(prefix + "MessageDeduplicationId");
  m.attributes = message_attributes(form, prefix + "MessageAttributes");
  return m;
}

json attributes_json(const std::vector<MessageAttribute>& attributes) {
  json out = json::object();
  for (const auto& a : attributes)
    out[a.name] = {{"Type", a.data_type},
                   {"Value", a.data_type.starts_with("Binary") ? util::base64_encode(a.binary_value)
                                                               : a.string_value}};
  return out;
}

// Validates a message against its topic; throws SnsError.
void check_message(const Topic& topic, const Message& m) {
  if (m.message.empty()) invalid("Empty message");
  std::size_t size = m.message.size();
  for (const auto& a : m.attributes)
    size += a.name.size() + a.data_type.size() + a.string_value.size() + a.binary_value.size();
  if (size > kMaxMessageBytes) invalid("Message too long");
  if (m.has_subject) {
    bool ok = !m.subject.empty() && m.subject.size() <= 100 && m.subject[0] != ' ';
    for (char c : m.subject) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    if (!ok) invalid("Subject");
  }
  if (!m.structure.empty()) {
    if (m.structure != "json") invalid("MessageStructure");
    json j = json::parse(m.message, nullptr, false);
    if (!j.is_object()) invalid("Message Structure - JSON message body failed to parse");
    if (!j.contains("default") || !j["default"].is_string())
      invalid("Message Structure - No default entry in JSON message body");
  }
  if (is_fifo(topic)) {
    // AWS's common error for a missing parameter (as moto answers too).
    if (m.group_id.empty())
      fail(400, "MissingParameter",
           "The request must contain the parameter MessageGroupId (required for FIFO topics)");
    auto cbd = topic.attributes.find("ContentBasedDeduplication");
    if (m.deduplication_id.empty() && (cbd == topic.attributes.end() || cbd->second != "true"))
      invalid(
          "The topic should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
  } else if (!m.deduplication_id.empty()) {
    invalid(
        "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
        "parameter that is not valid for this topic type");
  }
  if (m.group_id.size() > 128 || m.deduplication_id.size() > 128)
    invalid("MessageGroupId and MessageDeduplicationId are at most 128 characters");
}

// The message one protocol gets: MessageStructure json picks its own entry, else "default".
std::string message_for(const Message& m, const std::string& protocol) {
  if (m.structure != "json") return m.message;
  json j = json::parse(m.message);
  if (j.contains(protocol) && j[protocol].is_string()) return j[protocol].get<std::string>();
  return j["default"].get<std::string>();
}

// fx has no certificate to sign with: Signature is a digest of the notification, not an RSA
// signature, and the certificate URL names the emulator. Functions do not check what Lambda
// hands them; code that verifies SQS envelopes must skip the check locally.
std::string signature_of(const std::string& message_id, const std::string& message) {
  return util::base64_encode(util::sha256_raw(message_id + "\n" + message));
}

std::string publish(const Store& store, const Topic& topic, const Message& m,
                    const RequestContext& ctx, ApiResult& result) {
  check_message(topic, m);
  const std::string message_id = uuid();
  const std::string timestamp = util::iso8601_ms(ctx.now_ms);
  const std::string cert = ctx.endpoint_url + "/SimpleNotificationService-fx.pem";
  for (const auto& [arn, sub] : store.subscriptions()) {
    if (sub.topic_arn != topic.arn) continue;
    auto attr = [&](const char* k) {
      auto it = sub.attributes.find(k);
      return it == sub.attributes.end() ? std::string() : it->second;
    };
    const std::string text = message_for(m, sub.protocol);
    if (const std::string policy = attr("FilterPolicy"); !policy.empty()) {
      FilterPolicy p = FilterPolicy::parse(policy, attr("FilterPolicyScope") == "MessageBody");
      if (!p.matches(m.attributes, text)) {
        result.notes.push_back(
            fmt::format("sns: message {} of {} is not delivered to {}: its "
                        "filter policy does not match",
                        message_id, topic.arn, sub.arn));
        continue;
      }
    }
    Delivery d;
    d.subscription_arn = sub.arn;
    d.topic_arn = topic.arn;
    d.endpoint = sub.endpoint;
    d.message_id = message_id;
    d.group_id = m.group_id;
    d.deduplication_id = m.deduplication_id;
    // A topic with ContentBasedDeduplication passes the body's hash on, so that a FIFO queue
    // without it still sees duplicates as duplicates.
    if (is_fifo(topic) && d.deduplication_id.empty())
      d.deduplication_id = util::sha256_hex(m.message);
    if (auto redrive = json::parse(attr("RedrivePolicy"), nullptr, false); redrive.is_object())
      d.dead_letter_arn = redrive.value("deadLetterTargetArn", "");
    const std::string unsubscribe =
        ctx.endpoint_url + "/?Action=Unsubscribe&SubscriptionArn=" + sub.arn;
    const std::string signature = signature_of(message_id, text);
    if (sub.protocol == "lambda") {
      d.kind = Delivery::Kind::lambda;
      json sns = {{"Type", "Notification"},
                  {"MessageId", message_id},
                  {"TopicArn", topic.arn},
                  {"Subject", m.has_subject ? json(m.subject) : json(nullptr)},
                  {"Message", text},
                  {"Timestamp", timestamp},
                  {"SignatureVersion", "1"},
                  {"Signature", signature},
                  {"SigningCertUrl", cert},
                  {"UnsubscribeUrl", unsubscribe},
                  {"MessageAttributes", attributes_json(m.attributes)}};
      d.body = json{{"Records", json::array({{{"EventSource", "aws:sns"},
                                              {"EventVersion", "1.0"},
                                              {"EventSubscriptionArn", sub.arn},
                                              {"Sns", sns}}})}}
                   .dump();
    } else {
      d.kind = Delivery::Kind::sqs;
      const std::string raw = attr("RawMessageDelivery");
      if (raw == "true" || raw == "True") {
        d.body = text;
        d.sqs_attributes = m.attributes;
      } else {
        json envelope = {
            {"Type", "Notification"}, {"MessageId", message_id}, {"TopicArn", topic.arn}};
        if (m.has_subject) envelope["Subject"] = m.subject;
        envelope["Message"] = text;
        envelope["Timestamp"] = timestamp;
        if (is_fifo(topic)) {
          envelope["SequenceNumber"] = fmt::format("{:020}", ctx.now_ms);
        } else {
          envelope["SignatureVersion"] = "1";
          envelope["Signature"] = signature;
          envelope["SigningCertURL"] = cert;
        }
        envelope["UnsubscribeURL"] = unsubscribe;
        if (!m.attributes.empty()) envelope["MessageAttributes"] = attributes_json(m.attributes);
        d.body = envelope.dump();
      }
    }
    result.deliveries.push_back(std::move(d));
  }
  return message_id;
}

ApiResult run(Store& store, const Form& form, const RequestContext& ctx) {
  ApiResult result;
  const std::string& action = form.get("Action");
  if (!form.has("Action"))
    fail(400, "MissingAction", "The request must contain the parameter Action");
  if (action == "CreateTopic") {
    result.body = create_topic(store, form, ctx);
  } else if (action == "DeleteTopic") {
    const std::string arn = form.get("TopicArn");
    if (arn.empty()) invalid("TopicArn Reason: no value for required parameter");
    if (!parse_arn(arn)) invalid("TopicArn");
    // AWS: "Deleting a topic that does not exist does not result in an error."
    if (store.topic(arn)) store.erase_topic(arn);
    result.body = answer("DeleteTopic", "", false);
  } else if (action == "ListTopics") {
    const std::string prefix = fmt::format("arn:aws:sns:{}:{}:", ctx.region, kAccount);
    auto [topics, next] =
        page(store.topics(), form, [&](const Topic& t) { return t.arn.starts_with(prefix); });
    std::string out;
    for (const auto* t : topics) out += "<member>" + leaf("TopicArn", t->arn) + "</member>";
    result.body = answer("ListTopics", "<Topics>" + out + "</Topics>" +
                                           (next.empty() ? "" : leaf("NextToken", next)));
  } else if (action == "GetTopicAttributes") {
    const Topic& t = existing_topic(store, form.get("TopicArn"), "TopicArn");
    result.body = answer("GetTopicAttributes", entries_xml(topic_attributes(store, t)));
  } else if (action == "SetTopicAttributes") {
    Topic t = existing_topic(store, form.get("TopicArn"), "TopicArn");
    const std::string name = form.get("AttributeName"), value = form.get("AttributeValue");
    if (name == "FifoTopic") invalid("AttributeName");  // fixed at creation
    check_topic_attribute(name, value, is_fifo(t));
    t.attributes[name] = value;
    store.put_topic(t);
    result.body = answer("SetTopicAttributes", "", false);
  } else if (action == "Subscribe") {
    const Topic& t = existing_topic(store, form.get("TopicArn"), "TopicArn");
    const std::string protocol = form.get("Protocol"), endpoint = form.get("Endpoint");
    if (!form.has("Protocol")) invalid("Protocol Reason: no value for required parameter");
    std::map<std::string, std::string> attributes;
    for (const auto& [k, v] : form.entries("Attributes")) attributes[k] = v;
    check_endpoint(protocol, endpoint, t);
    for (const auto& [k, v] : attributes) check_subscription_attribute(k, v, protocol, attributes);
    std::string arn;
    try {
      arn = subscribe(store, t.arn, protocol, endpoint, attributes, "");
    } catch (const std::invalid_argument& e) {
      invalid(e.what());
    }
    result.body = answer("Subscribe", leaf("SubscriptionArn", arn));
  } else if (action == "Unsubscribe") {
    const std::string arn = form.get("SubscriptionArn");
    if (arn.empty()) invalid("SubscriptionArn Reason: no value for required parameter");
    if (!parse_arn(arn) || !arn.starts_with("arn:aws:sns:"))
      invalid("SubscriptionArn Reason: An ARN must have at least 6 elements");
    // As DeleteTopic (and moto): one already gone is not an error.
    if (store.subscription(arn)) store.erase_subscription(arn);
    result.body = answer("Unsubscribe", "", false);
  } else if (action == "ListSubscriptions" || action == "ListSubscriptionsByTopic") {
    std::string topic;
    if (action == "ListSubscriptionsByTopic")
      topic = existing_topic(store, form.get("TopicArn"), "TopicArn").arn;
    const std::string prefix = fmt::format("arn:aws:sns:{}:{}:", ctx.region, kAccount);
    auto [subs, next] = page(store.subscriptions(), form, [&](const Subscription& s) {
      return topic.empty() ? s.arn.starts_with(prefix) : s.topic_arn == topic;
    });
    std::string out;
    for (const auto* s : subs) out += subscription_xml(*s);
    result.body = answer(action, "<Subscriptions>" + out + "</Subscriptions>" +
                                     (next.empty() ? "" : leaf("NextToken", next)));
  } else if (action == "GetSubscriptionAttributes") {
    const Subscription& s = existing_subscription(store, form.get("SubscriptionArn"));
    result.body = answer(action, entries_xml(subscription_attributes(s)));
  } else if (action == "SetSubscriptionAttributes") {
    Subscription s = existing_subscription(store, form.get("SubscriptionArn"));
    const std::string name = form.get("AttributeName"), value = form.get("AttributeValue");
    auto others = s.attributes;
    others[name] = value;
    check_subscription_attribute(name, value, s.protocol, others);
    // A new scope must suit the policy already there.
    if (name == "FilterPolicyScope" && others.count("FilterPolicy"))
      check_subscription_attribute("FilterPolicy", others["FilterPolicy"], s.protocol, others);
    if (value.empty() && name == "FilterPolicy") {
      s.attributes.erase(name);
    } else {
      s.attributes[name] = value;
    }
    store.put_subscription(s);
    result.body = answer(action, "", false);
  } else if (action == "Publish") {
    std::string arn = form.get("TopicArn");
    if (arn.empty()) arn = form.get("TargetArn");
    if (arn.empty() && form.has("PhoneNumber"))
      invalid("PhoneNumber: fx sends no SMS; publish to a topic");
    const Topic& t = existing_topic(store, arn, "TopicArn or TargetArn");
    const std::string id = publish(store, t, read_message(form, ""), ctx, result);
    result.body = answer("Publish", leaf("MessageId", id));
  } else if (action == "PublishBatch") {
    const Topic& t = existing_topic(store, form.get("TopicArn"), "TopicArn");
    const std::string prefix = "PublishBatchRequestEntries.member.";
    const int n = form.count("PublishBatchRequestEntries");
    if (n == 0) fail(400, "EmptyBatchRequest", "The batch request doesn't contain any entries");
    if (static_cast<std::size_t>(n) > kMaxBatch)
      fail(400, "TooManyEntriesInBatchRequest",
           "The batch request contains more entries than permissible.");
    std::set<std::string> ids;
    std::size_t total = 0;
    for (int i = 1; i <= n; ++i) {
      const std::string id = form.get(fmt::format("{}{}.Id", prefix, i));
      if (id.empty() || id.size() > 80 || !std::all_of(id.begin(), id.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
          }))
        fail(400, "InvalidBatchEntryId",
             "The Id of a batch entry in a batch request doesn't abide by the specification.");
      if (!ids.insert(id).second)
        fail(400, "BatchEntryIdsNotDistinct",
             "Two or more batch entries in the request have the same Id.");
      total += form.get(fmt::format("{}{}.Message", prefix, i)).size();
    }
    if (total > kMaxMessageBytes)
      fail(400, "BatchRequestTooLong",
           "The length of all the messages put together is more than the limit.");
    std::string ok, failed;
    for (int i = 1; i <= n; ++i) {
      const std::string entry = fmt::format("{}{}.", prefix, i);
      const std::string id = form.get(entry + "Id");
      try {
        const std::string message_id = publish(store, t, read_message(form, entry), ctx, result);
        ok += "<member>" + leaf("Id", id) + leaf("MessageId", message_id) + "</member>";
      } catch (const SnsError& e) {
        failed += "<member>" + leaf("Id", id) + leaf("Code", e.code) + leaf("Message", e.message) +
                  leaf("SenderFault", "true") + "</member>";
      }
    }
    result.body = answer("PublishBatch",
                         "<Successful>" + ok + "</Successful><Failed>" + failed + "</Failed>");
  } else if (action == "TagResource" || action == "UntagResource" ||
             action == "ListTagsForResource") {
    const std::string arn = form.get("ResourceArn");
    if (arn.empty()) invalid("ResourceArn Reason: no value for required parameter");
    const Topic* found = store.topic(arn);
    if (!found) fail(404, "ResourceNotFound", "Resource does not exist");
    Topic t = *found;
    if (action == "ListTagsForResource") {
      std::string out;
      for (const auto& [k, v] : t.tags)
        out += "<member>" + leaf("Key", k) + leaf("Value", v) + "</member>";
      result.body = answer(action, "<Tags>" + out + "</Tags>");
    } else {
      if (action == "TagResource") {
        for (int i = 1;; ++i) {
          const std::string base = fmt::format("Tags.member.{}.", i);
          if (!form.has(base + "Key")) break;
          const std::string key = form.get(base + "Key");
          if (key.empty() || key.size() > 128)
            invalid("Tags Reason: a tag key is 1 to 128 characters");
          if (form.get(base + "Value").size() > 256)
            invalid("Tags Reason: a tag value is at most 256 characters");
          std::erase_if(t.tags, [&](const auto& kv) { return kv.first == key; });
          t.tags.emplace_back(key, form.get(base + "Value"));
        }
        if (t.tags.size() > kMaxTags)
          fail(400, "TagLimitExceeded",
               "Could not complete request: tag quota of per resource exceeded");
      } else {
        for (const auto& key : form.members("TagKeys"))
          std::erase_if(t.tags, [&](const auto& kv) { return kv.first == key; });
      }
      store.put_topic(t);
      result.body = answer(action, "");
    }
  } else {
    fail(400, "InvalidAction",
         fmt::format("The action {} is not valid for this web service (fx's SNS serves topics, "
                     "subscriptions, Publish, PublishBatch and tags).",
                     action.substr(0, 100)));
  }
  return result;
}

}  // namespace

std::string topic_arn(const std::string& region, const std::string& name) {
  return fmt::format("arn:aws:sns:{}:{}:{}", region, kAccount, name);
}

std::string ensure_topic(Store& store, const std::string& region, const std::string& name,
                         const std::string& service, const std::string& display_name) {
  const bool fifo = name.ends_with(".fifo");
  if (!valid_topic_name(name, fifo))
    throw std::invalid_argument(fmt::format(
        "'{}' is no SNS topic name: 1 to 256 letters, digits, '-' and '_' (a FIFO topic's "
        "ends in .fifo)",
        name));
  const std::string arn = topic_arn(region, name);
  Topic t;
  if (const Topic* old = store.topic(arn)) {
    t = *old;
  } else {
    t.arn = arn;
    t.name = name;
    t.service = service;
    if (fifo) t.attributes["FifoTopic"] = "true";
  }
  if (!display_name.empty()) t.attributes["DisplayName"] = display_name;
  store.put_topic(t);
  return arn;
}

std::string subscribe(Store& store, const std::string& topic_arn, const std::string& protocol,
                      const std::string& endpoint,
                      const std::map<std::string, std::string>& attributes,
                      const std::string& service) {
  const Topic* topic = store.topic(topic_arn);
  if (!topic) throw std::invalid_argument("Topic does not exist: " + topic_arn);
  try {
    check_endpoint(protocol, endpoint, *topic);
    for (const auto& [k, v] : attributes) check_subscription_attribute(k, v, protocol, attributes);
  } catch (const SnsError& e) {
    throw std::invalid_argument(e.message);
  }
  for (const auto& [arn, s] : store.subscriptions())
    if (s.topic_arn == topic_arn && s.protocol == protocol && s.endpoint == endpoint) {
      // The same subscriber again: AWS answers the same ARN (and keeps its attributes unless
      // new ones are given).
      if (!attributes.empty() || s.service != service) {
        Subscription changed = s;
        for (const auto& [k, v] : attributes) changed.attributes[k] = v;
        if (!service.empty()) changed.service = service;
        store.put_subscription(changed);
      }
      return arn;
    }
  Subscription s;
  s.arn = topic_arn + ":" + uuid();
  s.topic_arn = topic_arn;
  s.protocol = protocol;
  s.endpoint = endpoint;
  s.attributes = attributes;
  s.service = service;
  store.put_subscription(s);
  return s.arn;
}

std::string error_xml(int status, std::string_view code, std::string_view message) {
  return error_body({status, std::string(code), std::string(message)});
}

ApiResult handle(Store& store, std::string_view body, const RequestContext& context) {
  try {
    Form form;
    try {
      form = Form::parse(body);
    } catch (const FormError& e) {
      fail(400, "MalformedQueryString", e.what());
    }
    return run(store, form, context);
  } catch (const SnsError& e) {
    ApiResult r;
    r.status = e.status;
    r.body = error_body(e);
    return r;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fx emulator: SNS internal error (a bug in fx): %s\n", e.what());
    ApiResult r;
    r.status = 500;
    r.body = error_body({500, "InternalError",
                         "The fx emulator failed on this request (a bug in fx); its log "
                         "(FX_HOME/emulator.log) has the details"});
    return r;
  }
}

}  // namespace fx::sns
