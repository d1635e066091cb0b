#include "core/queues/queue_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/store/sqlite.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/time.h"

namespace fx::queues {

using nlohmann::json;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  tags TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  queue TEXT NOT NULL,
  body TEXT NOT NULL,
  message_attributes TEXT NOT NULL,
  sent_ms INTEGER NOT NULL,
  visible_at_ms INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_ms INTEGER NOT NULL DEFAULT 0,
  receipt_handle TEXT NOT NULL DEFAULT '',
  dead_letter_source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages(queue, visible_at_ms);
CREATE TABLE IF NOT EXISTS fifo_deduplication (
  queue TEXT NOT NULL,
  scope TEXT NOT NULL,
  deduplication_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  md5_of_body TEXT NOT NULL,
  md5_of_message_attributes TEXT NOT NULL,
  expires_ms INTEGER NOT NULL,
  PRIMARY KEY(queue, scope, deduplication_id)
);
)sql";

// FIFO queues' columns, added to the messages table of a store an older fx made.
constexpr std::array<const char*, 2> kFifoColumns = {
    "group_id TEXT NOT NULL DEFAULT ''",
    "deduplication_id TEXT NOT NULL DEFAULT ''",
};

// SQS remembers a FIFO message's deduplication id for five minutes.
constexpr std::int64_t kDeduplicationWindowMs = 5 * 60 * 1000;
constexpr std::size_t kMaxFifoIdLength = 128;

constexpr int kMaxDelaySeconds = 900;
constexpr int kMaxMessageAttributes = 10;
constexpr int kMaxLambdaBatch = 10'000;
constexpr std::string_view kReceiptPrefix = "fx1";

using store::Database;
using store::Stmt;
using store::Transaction;

SqsError invalid_parameter(const std::string& message) {
  return SqsError("InvalidParameterValue", message);
}

SqsError no_such_queue() {
  return SqsError("QueueDoesNotExist", "The specified queue does not exist.");
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw Error("random number generation failed (OpenSSL)");
  return out;
}

// A version 4 UUID, the form SQS message ids take.
std::string new_message_id() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string hex = util::to_hex(b);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20));
}

// Strict: digits only (an optional '-'), within int range.
std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

// SQS takes a body or string attribute only if every character is one of
// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, in valid UTF-8.
bool valid_sqs_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t len = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f;
      len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f;
      len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07;
      len = 4;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong encodings are invalid UTF-8.
    static constexpr std::array<std::uint32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len]) return false;
    bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                   (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!allowed) return false;
    i += len;
  }
  return true;
}

// SQS's Number: a decimal, optionally signed, with an optional exponent.
bool valid_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

void validate_message_attributes(const MessageAttributes& attributes) {
  if (static_cast<int>(attributes.size()) > kMaxMessageAttributes)
    throw invalid_parameter(
        fmt::format("Number of message attributes [{}] exceeds the allowed maximum [{}].",
                    attributes.size(), kMaxMessageAttributes));
  for (const auto& [name, value] : attributes) {
    bool name_ok =
        !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        });
    if (!name_ok)
      throw invalid_parameter(fmt::format(
          "Message (user) attribute name '{}' is invalid. The name can contain alphanumeric "
          "characters and the underscore (_), hyphen (-), and period (.), up to 256 characters.",
          name));
    if (starts_with_ci(name, "AWS.") || starts_with_ci(name, "Amazon."))
      throw invalid_parameter(fmt::format(
          "You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These "
          "strings are reserved for internal use. Invalid name: '{}'.",
          name));
    if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
      throw invalid_parameter(fmt::format(
          "Message (user) attribute name '{}' can't start or end with a period (.), nor have "
          "periods in succession (..).",
          name));
    const std::string& type = value.data_type;
    if (type.empty())
      throw invalid_parameter(fmt::format(
          "The message attribute '{}' must contain non-empty message attribute type.", name));
    std::string base = type.substr(0, type.find('.'));
    if ((base != "String" && base != "Number" && base != "Binary") || type.size() > 256)
      throw invalid_parameter(fmt::format(
          "The type of message (user) attribute '{}' is invalid. You must use only the following "
          "supported type prefixes: Binary, Number, String.",
          name));
    if (base == "Binary") {
      if (value.binary_value.empty())
        throw invalid_parameter(
            fmt::format("The message attribute '{}' must contain non-empty message attribute "
                        "value for message attribute type 'Binary'.",
                        name));
      continue;
    }
    if (value.string_value.empty())
      throw invalid_parameter(
          fmt::format("The message attribute '{}' must contain non-empty message attribute value "
                      "for message attribute type '{}'.",
                      name, base));
    if (!valid_sqs_text(value.string_value))
      throw invalid_parameter(
          fmt::format("Message (user) attribute '{}' value contains invalid characters.", name));
    if (base == "Number" && !valid_number(value.string_value))
      throw invalid_parameter(
          fmt::format("Can't cast the value of message (user) attribute '{}' to a number.", name));
  }
}

// What counts against MaximumMessageSize: the body, and each attribute's name, type and value.
std::int64_t message_size(const std::string& body, const MessageAttributes& attributes) {
  auto size = static_cast<std::int64_t>(body.size());
  for (const auto& [name, value] : attributes)
    size += static_cast<std::int64_t>(name.size() + value.data_type.size() +
                                      value.string_value.size() + value.binary_value.size());
  return size;
}

MessageAttributes attributes_from_json(const std::string& text) {
  MessageAttributes out;
  const json doc = json::parse(text);  // named: items() only refers to it
  for (const auto& [name, v] : doc.items()) {
    MessageAttributeValue value;
    value.data_type = v.value("DataType", "");
    if (v.contains("BinaryValue"))
      value.binary_value = util::base64_decode(v["BinaryValue"].get<std::string>());
    else
      value.string_value = v.value("StringValue", "");
    out.emplace(name, std::move(value));
  }
  return out;
}

std::string map_to_json(const std::map<std::string, std::string>& m) {
  return json(m).dump();
}

std::map<std::string, std::string> map_from_json(const std::string& text) {
  return json::parse(text).get<std::map<std::string, std::string>>();
}

std::string receipt_handle_for(const std::string& queue, const std::string& message_id) {
  return util::base64_encode(
      fmt::format("{} {} {} {}", kReceiptPrefix, queue, message_id, util::to_hex(random_bytes(8))));
}

// The message id a receipt handle of `queue` names; ReceiptHandleIsInvalid when it is not one.
std::string message_id_of(const std::string& queue, const std::string& handle) {
  auto invalid = [&] {
    return SqsError(
        "ReceiptHandleIsInvalid",
        fmt::format("The input receipt handle \"{}\" is not a valid receipt handle.", handle));
  };
  std::string decoded;
  try {
    decoded = util::base64_decode(handle);
  } catch (const Error&) {
    throw invalid();
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t space; (space = decoded.find(' ', start)) != std::string::npos;
       start = space + 1)
    parts.push_back(decoded.substr(start, space - start));
  parts.push_back(decoded.substr(start));
  if (parts.size() != 4 || parts[0] != kReceiptPrefix || parts[1] != queue || parts[2].empty())
    throw invalid();
  return parts[2];
}

// --- Queue attributes.

struct AttributeRange {
  std::string_view name;
  std::int64_t min;
  std::int64_t max;
  std::int64_t fallback;
};

// The numeric attributes a queue can be given, their valid values and defaults.
constexpr std::array<AttributeRange, 6> kNumericAttributes = {{
    {"DelaySeconds", 0, kMaxDelaySeconds, 0},
    {"MaximumMessageSize", 1024, 1'048'576, kDefaultMaximumMessageSize},
    {"MessageRetentionPeriod", 60, 1'209'600, 345'600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20, 0},
    {"VisibilityTimeout", 0, kMaxVisibilityTimeoutSeconds, 30},
    {"KmsDataKeyReusePeriodSeconds", 60, 86'400, 300},
}};

// Settable attributes stored as given ("" removes Policy and the redrive policies).
constexpr std::array<std::string_view, 5> kTextAttributes = {
    "Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId", "SqsManagedSseEnabled"};

const AttributeRange* numeric_attribute(std::string_view name) {
  for (const auto& a : kNumericAttributes)
    if (a.name == name) return &a;
  return nullptr;
}

struct RedrivePolicy {
  std::string dead_letter_queue;  // name
  std::int64_t max_receive_count = 0;
};

std::optional<RedrivePolicy> parse_redrive_policy(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto invalid = [&](const std::string& reason) {
    return invalid_parameter(
        fmt::format("Value {} for parameter RedrivePolicy is invalid. Reason: {}", text, reason));
  };
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) throw invalid("Redrive policy is not a valid JSON map.");
  auto arn = doc.find("deadLetterTargetArn");
  if (arn == doc.end() || !arn->is_string() || arn->get<std::string>().empty())
    throw invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  auto count = doc.find("maxReceiveCount");
  if (count == doc.end())
    throw invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  // SQS takes the count as a number or as a string holding one.
  std::optional<std::int64_t> n;
  if (count->is_number_integer())
    n = count->get<std::int64_t>();
  else if (count->is_string())
    n = parse_int(count->get<std::string>());
  if (!n || *n < 1 || *n > 1000)
    throw invalid(fmt::format(
        "Invalid value for maxReceiveCount: {}, valid values are from 1 to 1000 both inclusive.",
        count->is_string() ? count->get<std::string>() : count->dump()));
  return RedrivePolicy{queue_name_from_arn(arn->get<std::string>()), *n};
}

// Checks one attribute given to CreateQueue or SetQueueAttributes and returns the value to
// store, in the form GetQueueAttributes returns it.
std::string normalized_attribute(const std::string& name, const std::string& value) {
  if (const AttributeRange* range = numeric_attribute(name)) {
    auto n = parse_int(value);
    if (!n || *n < range->min || *n > range->max)
      throw SqsError("InvalidAttributeValue",
                     fmt::format("Invalid value for the parameter {}.", name));
    return std::to_string(*n);
  }
  if (name == "RedrivePolicy") {
    auto policy = parse_redrive_policy(value);
    if (!policy) return "";
    json doc = json::parse(value);
    return json{{"deadLetterTargetArn", doc["deadLetterTargetArn"]},
                {"maxReceiveCount", policy->max_receive_count}}
        .dump();
  }
  if (name == "SqsManagedSseEnabled" || name == "FifoQueue" ||
      name == "ContentBasedDeduplication") {
    if (value != "true" && value != "false")
      throw SqsError("InvalidAttributeValue",
                     fmt::format("Invalid value for the parameter {}.", name));
    return value;
  }
  if (name == "DeduplicationScope" || name == "FifoThroughputLimit") {
    bool ok = name == "DeduplicationScope" ? value == "queue" || value == "messageGroup"
                                           : value == "perQueue" || value == "perMessageGroupId";
    if (!ok)
      throw SqsError("InvalidAttributeValue",
                     fmt::format("Invalid value for the parameter {}.", name));
    return value;
  }
  if (std::find(kTextAttributes.begin(), kTextAttributes.end(), name) != kTextAttributes.end())
    return value;
  throw SqsError("InvalidAttributeName", fmt::format("Unknown Attribute {}.", name));
}

// The queue's value of an attribute: the one set, else SQS's default ("" when none).
std::string effective_attribute(const QueueAttributes& set, const std::string& name) {
  if (auto it = set.find(name); it != set.end()) return it->second;
  if (const AttributeRange* range = numeric_attribute(name)) {
    if (name == "KmsDataKeyReusePeriodSeconds") return "";
    return std::to_string(range->fallback);
  }
  if (name == "SqsManagedSseEnabled") return "true";
  return "";
}

bool is_fifo_name(std::string_view name) {
  return name.size() > 5 && name.ends_with(".fifo");
}

void validate_queue_name(const std::string& name, bool fifo) {
  std::string_view base = name;
  if (fifo && is_fifo_name(name)) base.remove_suffix(5);
  bool ok = !base.empty() && name.size() <= 80 && std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (fifo && !(ok && is_fifo_name(name)))
    throw invalid_parameter(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
        "underscores, must end with .fifo suffix and be 1 to 80 in length.");
  if (!ok)
    throw invalid_parameter(
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length");
}

// The attributes only FIFO queues have, with their defaults, in GetQueueAttributes' order.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kFifoAttributes = {{
    {"FifoQueue", "true"},
    {"ContentBasedDeduplication", "false"},
    {"DeduplicationScope", "queue"},
    {"FifoThroughputLimit", "perQueue"},
}};

bool is_fifo_attribute(std::string_view name) {
  return std::any_of(kFifoAttributes.begin(), kFifoAttributes.end(),
                     [&](const auto& a) { return a.first == name; });
}

SqsError unknown_attribute(const std::string& name) {
  return SqsError("InvalidAttributeName", fmt::format("Unknown Attribute {}.", name));
}

// High throughput mode's pair: SQS refuses per-group throughput with queue-wide deduplication.
void check_fifo_combination(const QueueAttributes& attributes) {
  auto get = [&](std::string_view key) {
    auto it = attributes.find(std::string(key));
    return it == attributes.end() ? std::string() : it->second;
  };
  if (get("FifoThroughputLimit") == "perMessageGroupId" && get("DeduplicationScope") == "queue")
    throw SqsError("InvalidAttributeValue",
                   "Invalid value for the parameter FifoThroughputLimit. Reason: "
                   "perMessageGroupId is allowed only when DeduplicationScope is messageGroup.");
}

// MessageGroupId and MessageDeduplicationId: 1 to 128 alphanumeric or punctuation characters.
void validate_fifo_id(std::string_view parameter, const std::string& value) {
  bool ok = !value.empty() && value.size() <= kMaxFifoIdLength &&
            std::all_of(value.begin(), value.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) ||
                     std::ispunct(static_cast<unsigned char>(c));
            });
  if (!ok)
    throw invalid_parameter(fmt::format(
        "Value {} for parameter {} is invalid. Reason: {} can only include alphanumeric and "
        "punctuation characters. 1 to 128 in length.",
        value, parameter, parameter));
}

// SQS's sequence numbers are 20 digits; ours are the message's row number behind a 1, so they
// grow with every send, across queues and restarts.
std::string sequence_number(std::int64_t seq) {
  return fmt::format("1{:019}", seq);
}

}  // namespace

// --- Free functions.

std::string md5_of_message_attributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return "";
  std::string buf;
  auto append = [&buf](std::string_view bytes) {
    auto n = static_cast<std::uint32_t>(bytes.size());
    buf.push_back(static_cast<char>((n >> 24) & 0xff));
    buf.push_back(static_cast<char>((n >> 16) & 0xff));
    buf.push_back(static_cast<char>((n >> 8) & 0xff));
    buf.push_back(static_cast<char>(n & 0xff));
    buf.append(bytes);
  };
  for (const auto& [name, value] : attributes) {  // std::map: in name (byte) order
    append(name);
    append(value.data_type);
    if (value.is_binary()) {
      buf.push_back(2);
      append(value.binary_value);
    } else {
      buf.push_back(1);
      append(value.string_value);
    }
  }
  return util::md5_hex(buf);
}

std::string queue_arn(std::string_view region, std::string_view name) {
  return fmt::format("arn:aws:sqs:{}:{}:{}", region, kAccountId, name);
}

std::string queue_url(std::string_view endpoint_url, std::string_view name) {
  while (!endpoint_url.empty() && endpoint_url.back() == '/') endpoint_url.remove_suffix(1);
  return fmt::format("{}/{}/{}", endpoint_url, kAccountId, name);
}

std::string queue_name_from_url(std::string_view queue_url) {
  while (!queue_url.empty() && queue_url.back() == '/') queue_url.remove_suffix(1);
  if (auto q = queue_url.find_first_of("?#"); q != std::string_view::npos)
    queue_url = queue_url.substr(0, q);
  auto slash = queue_url.rfind('/');
  return std::string(slash == std::string_view::npos ? queue_url : queue_url.substr(slash + 1));
}

std::string queue_name_from_arn(std::string_view arn) {
  auto colon = arn.rfind(':');
  return std::string(colon == std::string_view::npos ? arn : arn.substr(colon + 1));
}

// --- QueueStore.

struct QueueStore::QueueRow {
  std::string name;
  QueueAttributes attributes;
  Tags tags;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;

  std::int64_t number(const std::string& attribute) const {
    return parse_int(effective_attribute(attributes, attribute)).value_or(0);
  }
  bool fifo() const {
    auto it = attributes.find("FifoQueue");
    return it != attributes.end() && it->second == "true";
  }
};

json message_attributes_json(const MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, value] : attributes) {
    json v = {{"DataType", value.data_type}};
    if (value.is_binary())
      v["BinaryValue"] = util::base64_encode(value.binary_value);
    else
      v["StringValue"] = value.string_value;
    out[name] = std::move(v);
  }
  return out;
}

QueueStore::QueueStore(const std::filesystem::path& path, Clock now_ms)
    : now_(now_ms ? std::move(now_ms) : Clock(util::now_ms)),
      db_(std::make_unique<Database>(path, Database::Options{"queue store"})),
      path_(path) {
  exec(kSchema);
  std::set<std::string> columns;
  {
    Stmt st(prepare("PRAGMA table_info(messages)"));
    while (st.step()) columns.insert(st.text(1));
  }
  for (const char* column : kFifoColumns) {
    std::string_view definition = column;
    if (!columns.contains(std::string(definition.substr(0, definition.find(' ')))))
      exec(fmt::format("ALTER TABLE messages ADD COLUMN {}", definition).c_str());
  }
  exec("CREATE INDEX IF NOT EXISTS messages_by_group ON messages(queue, group_id, seq)");
}

QueueStore::~QueueStore() = default;

void QueueStore::exec(const char* sql) {
  db_->exec(sql);
}

sqlite3_stmt* QueueStore::prepare(const char* sql) {
  return db_->prepare(sql);
}

void QueueStore::set_listener(Listener listener) {
  std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

void QueueStore::notify(const std::string& queue) {
  Listener listener;
  {
    std::lock_guard lock(listener_mutex_);
    listener = listener_;
  }
  if (listener) listener(queue);
}

std::optional<QueueStore::QueueRow> QueueStore::find_queue(const std::string& name) {
  static const char* sql =
      "SELECT name, attributes, tags, created_ms, modified_ms FROM queues WHERE name=?";
  Stmt st(prepare(sql));
  st.bind(name);
  if (!st.step()) return std::nullopt;
  return QueueRow{st.text(0), map_from_json(st.text(1)), map_from_json(st.text(2)), st.integer(3),
                  st.integer(4)};
}

void QueueStore::check_redrive_target(const std::string& name, const QueueAttributes& attributes) {
  auto policy_text = attributes.find("RedrivePolicy");
  if (policy_text == attributes.end()) return;
  auto policy = parse_redrive_policy(policy_text->second);
  if (!policy) return;
  auto target = find_queue(policy->dead_letter_queue);
  if (target && target->fifo() != is_fifo_name(name))
    throw invalid_parameter(fmt::format(
        "Value {} for parameter RedrivePolicy is invalid. Reason: Dead-letter target must be "
        "same type of queue as the source.",
        policy_text->second));
}

QueueStore::QueueRow QueueStore::require_queue(const std::string& name) {
  auto row = find_queue(name);
  if (!row) throw no_such_queue();
  return *row;
}

bool QueueStore::create_queue(const std::string& name, const QueueAttributes& attributes,
                              const Tags& tags) {
  std::lock_guard lock(mutex_);
  QueueAttributes normalized;
  for (const auto& [key, value] : attributes) normalized[key] = normalized_attribute(key, value);
  const bool fifo = normalized.contains("FifoQueue") && normalized["FifoQueue"] == "true";
  validate_queue_name(name, fifo);
  if (fifo) {
    for (const auto& [key, fallback] : kFifoAttributes)
      normalized.emplace(std::string(key), std::string(fallback));
    check_fifo_combination(normalized);
  } else {
    normalized.erase("FifoQueue");  // "false": a standard queue, which it is
    for (const auto& [key, value] : normalized)
      if (is_fifo_attribute(key)) throw unknown_attribute(key);
  }

  Transaction tx(*db_);
  if (auto existing = find_queue(name)) {
    // SQS's idempotency rule: only the attributes given are compared, with the queue's values.
    for (const auto& [key, value] : normalized)
      if (effective_attribute(existing->attributes, key) != value)
        throw SqsError(
            "QueueNameExists",
            fmt::format(
                "A queue already exists with the same name and a different value for attribute {}",
                key));
    return false;
  }
  check_redrive_target(name, normalized);
  for (auto it = normalized.begin(); it != normalized.end();)
    it = it->second.empty() ? normalized.erase(it) : std::next(it);
  std::int64_t now = now_();
  static const char* sql =
      "INSERT INTO queues(name, attributes, tags, created_ms, modified_ms) VALUES(?,?,?,?,?)";
  Stmt(prepare(sql))
      .bind(name)
      .bind(map_to_json(normalized))
      .bind(map_to_json(tags))
      .bind(now)
      .bind(now)
      .step();
  tx.commit();
  return true;
}

std::optional<QueueInfo> QueueStore::get_queue(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto row = find_queue(name);
  if (!row) return std::nullopt;
  return QueueInfo{row->name, row->attributes, row->tags, row->created_ms, row->modified_ms};
}

std::vector<std::string> QueueStore::list_queues(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  static const char* sql = "SELECT name FROM queues ORDER BY name";
  Stmt st(prepare(sql));
  std::vector<std::string> out;
  while (st.step()) {
    std::string name = st.text(0);
    if (name.starts_with(prefix)) out.push_back(std::move(name));
  }
  return out;
}

void QueueStore::delete_queue(const std::string& name) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  require_queue(name);
  static const char* delete_messages = "DELETE FROM messages WHERE queue=?";
  Stmt(prepare(delete_messages)).bind(name).step();
  static const char* delete_deduplication = "DELETE FROM fifo_deduplication WHERE queue=?";
  Stmt(prepare(delete_deduplication)).bind(name).step();
  static const char* delete_queue = "DELETE FROM queues WHERE name=?";
  Stmt(prepare(delete_queue)).bind(name).step();
  tx.commit();
}

QueueAttributes QueueStore::attributes(const std::string& name, const std::string& region) {
  std::lock_guard lock(mutex_);
  QueueRow queue = require_queue(name);
  std::int64_t now = now_();
  remove_expired(queue, now);

  QueueAttributes out;
  for (const auto& range : kNumericAttributes)
    if (auto v = effective_attribute(queue.attributes, std::string(range.name)); !v.empty())
      out[std::string(range.name)] = v;
  for (auto key : kTextAttributes)
    if (auto v = effective_attribute(queue.attributes, std::string(key)); !v.empty())
      out[std::string(key)] = v;
  if (queue.fifo())
    for (const auto& [key, fallback] : kFifoAttributes)
      out[std::string(key)] = queue.attributes.contains(std::string(key))
                                  ? queue.attributes.at(std::string(key))
                                  : std::string(fallback);

  static const char* sql =
      "SELECT "
      "  COALESCE(SUM(visible_at_ms <= ?2), 0), "
      "  COALESCE(SUM(visible_at_ms > ?2 AND receive_count > 0), 0), "
      "  COALESCE(SUM(visible_at_ms > ?2 AND receive_count = 0), 0) "
      "FROM messages WHERE queue = ?1";
  Stmt st(prepare(sql));
  st.bind(name).bind(now);
  st.step();
  out["ApproximateNumberOfMessages"] = std::to_string(st.integer(0));
  out["ApproximateNumberOfMessagesNotVisible"] = std::to_string(st.integer(1));
  out["ApproximateNumberOfMessagesDelayed"] = std::to_string(st.integer(2));
  // SQS reports these two in seconds.
  out["CreatedTimestamp"] = std::to_string(queue.created_ms / 1000);
  out["LastModifiedTimestamp"] = std::to_string(queue.modified_ms / 1000);
  out["QueueArn"] = queue_arn(region, name);
  return out;
}

void QueueStore::set_attributes(const std::string& name, const QueueAttributes& attributes) {
  std::lock_guard lock(mutex_);
  QueueAttributes normalized;
  for (const auto& [key, value] : attributes) normalized[key] = normalized_attribute(key, value);
  Transaction tx(*db_);
  QueueRow queue = require_queue(name);
  for (const auto& [key, value] : normalized)
    // A queue's type is fixed when it is created.
    if (key == "FifoQueue" || (!queue.fifo() && is_fifo_attribute(key)))
      throw unknown_attribute(key);
  check_redrive_target(name, normalized);
  for (const auto& [key, value] : normalized) {
    if (value.empty())
      queue.attributes.erase(key);
    else
      queue.attributes[key] = value;
  }
  if (queue.fifo()) check_fifo_combination(queue.attributes);
  static const char* sql = "UPDATE queues SET attributes=?, modified_ms=? WHERE name=?";
  Stmt(prepare(sql)).bind(map_to_json(queue.attributes)).bind(now_()).bind(name).step();
  tx.commit();
}

void QueueStore::tag_queue(const std::string& name, const Tags& tags) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  QueueRow queue = require_queue(name);
  for (const auto& [key, value] : tags) queue.tags[key] = value;
  static const char* sql = "UPDATE queues SET tags=? WHERE name=?";
  Stmt(prepare(sql)).bind(map_to_json(queue.tags)).bind(name).step();
  tx.commit();
}

void QueueStore::untag_queue(const std::string& name, const std::vector<std::string>& keys) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  QueueRow queue = require_queue(name);
  for (const auto& key : keys) queue.tags.erase(key);
  static const char* sql = "UPDATE queues SET tags=? WHERE name=?";
  Stmt(prepare(sql)).bind(map_to_json(queue.tags)).bind(name).step();
  tx.commit();
}

SendResult QueueStore::send(const std::string& queue_name, const std::string& body,
                            std::optional<int> delay_seconds,
                            const MessageAttributes& message_attributes, const FifoSend& fifo) {
  std::unique_lock lock(mutex_);
  QueueRow queue = require_queue(queue_name);
  if (body.empty())
    throw SqsError("MissingParameter", "The request must contain the parameter MessageBody.");
  std::int64_t limit = queue.number("MaximumMessageSize");
  if (message_size(body, message_attributes) > limit)
    throw invalid_parameter(fmt::format(
        "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.",
        limit));
  if (!valid_sqs_text(body))
    throw SqsError("InvalidMessageContents",
                   "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
                   "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
  validate_message_attributes(message_attributes);
  std::string group_id, deduplication_id;
  if (queue.fifo()) {
    // Only the queue's DelaySeconds delays a FIFO queue's messages, all alike, keeping them in
    // order.
    if (delay_seconds)
      throw invalid_parameter(
          fmt::format("Value {} for parameter DelaySeconds is invalid. Reason: The request "
                      "include parameter that is not valid for this queue type.",
                      *delay_seconds));
    if (!fifo.group_id)
      throw SqsError("MissingParameter", "The request must contain the parameter MessageGroupId.");
    validate_fifo_id("MessageGroupId", *fifo.group_id);
    group_id = *fifo.group_id;
    if (fifo.deduplication_id) {
      validate_fifo_id("MessageDeduplicationId", *fifo.deduplication_id);
      deduplication_id = *fifo.deduplication_id;
    } else if (effective_attribute(queue.attributes, "ContentBasedDeduplication") == "true") {
      deduplication_id = util::sha256_hex(body);
    } else {
      throw invalid_parameter(
          "The queue should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
    }
  } else if (fifo.deduplication_id) {
    throw invalid_parameter(
        "Value for parameter MessageDeduplicationId is invalid. Reason: The request includes a "
        "parameter that is not valid for this queue type.");
  }
  int delay = delay_seconds.value_or(static_cast<int>(queue.number("DelaySeconds")));
  if (delay < 0 || delay > kMaxDelaySeconds)
    throw invalid_parameter(fmt::format(
        "Value {} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and "
        "<= {}.",
        delay, kMaxDelaySeconds));

  SendResult result{new_message_id(), util::md5_hex(body),
                    md5_of_message_attributes(message_attributes), ""};
  std::int64_t now = now_();
  Transaction tx(*db_);
  // The deduplication scope: the queue (""), or with DeduplicationScope=messageGroup the group.
  const std::string scope =
      effective_attribute(queue.attributes, "DeduplicationScope") == "messageGroup" ? group_id : "";
  if (queue.fifo()) {
    static const char* expire_sql =
        "DELETE FROM fifo_deduplication WHERE queue=? AND expires_ms<=?";
    Stmt(prepare(expire_sql)).bind(queue_name).bind(now).step();
    static const char* find_sql =
        "SELECT message_id, seq, md5_of_body, md5_of_message_attributes FROM fifo_deduplication "
        "WHERE queue=? AND scope=? AND deduplication_id=?";
    Stmt st(prepare(find_sql));
    st.bind(queue_name).bind(scope).bind(deduplication_id);
    if (st.step())  // accepted, not delivered again: the first send's answer
      return SendResult{st.text(0), st.text(2), st.text(3), sequence_number(st.integer(1))};
  }
  static const char* sql =
      "INSERT INTO messages(id, queue, body, message_attributes, sent_ms, visible_at_ms, "
      "group_id, deduplication_id) VALUES(?,?,?,?,?,?,?,?)";
  Stmt(prepare(sql))
      .bind(result.message_id)
      .bind(queue_name)
      .bind(body)
      .bind(message_attributes_json(message_attributes).dump())
      .bind(now)
      .bind(now + std::int64_t{delay} * 1000)
      .bind(group_id)
      .bind(deduplication_id)
      .step();
  if (queue.fifo()) {
    const std::int64_t seq = sqlite3_last_insert_rowid(db_->handle());
    result.sequence_number = sequence_number(seq);
    static const char* remember_sql =
        "INSERT INTO fifo_deduplication(queue, scope, deduplication_id, message_id, seq, "
        "md5_of_body, md5_of_message_attributes, expires_ms) VALUES(?,?,?,?,?,?,?,?)";
    Stmt(prepare(remember_sql))
        .bind(queue_name)
        .bind(scope)
        .bind(deduplication_id)
        .bind(result.message_id)
        .bind(seq)
        .bind(result.md5_of_body)
        .bind(result.md5_of_message_attributes)
        .bind(now + kDeduplicationWindowMs)
        .step();
  }
  tx.commit();
  lock.unlock();
  notify(queue_name);
  return result;
}

void QueueStore::remove_expired(const QueueRow& queue, std::int64_t now) {
  static const char* sql = "DELETE FROM messages WHERE queue=? AND sent_ms<=?";
  Stmt(prepare(sql))
      .bind(queue.name)
      .bind(now - queue.number("MessageRetentionPeriod") * 1000)
      .step();
}

std::vector<Message> QueueStore::receive(const std::string& queue, int max,
                                         std::optional<int> visibility_timeout_s) {
  if (max < 1 || max > 10)
    throw invalid_parameter(
        fmt::format("Value {} for parameter MaxNumberOfMessages is invalid. Reason: Must be "
                    "between 1 and 10, if provided.",
                    max));
  std::string redriven_to;
  std::vector<Message> out;
  {
    std::lock_guard lock(mutex_);
    out = receive_locked(queue, max, visibility_timeout_s, redriven_to);
  }
  if (!redriven_to.empty()) notify(redriven_to);
  return out;
}

std::optional<std::int64_t> QueueStore::visible_at_locked(const std::string& queue,
                                                          const Message& m) {
  static const char* sql =
      "SELECT visible_at_ms FROM messages WHERE queue=? AND id=? AND receipt_handle=?";
  Stmt st(prepare(sql));
  st.bind(queue).bind(m.id).bind(m.receipt_handle);
  if (!st.step()) return std::nullopt;
  return st.integer(0);
}

std::vector<Message> QueueStore::receive(const std::string& queue_name, int max,
                                         std::optional<int> visibility_timeout_s,
                                         const std::string& attempt_id) {
  if (attempt_id.empty()) return receive(queue_name, max, visibility_timeout_s);
  {
    std::lock_guard lock(mutex_);
    QueueRow queue = require_queue(queue_name);
    if (!queue.fifo()) {
      // SQS documents the id for FIFO queues only; a standard queue receives as without it.
    } else {
      const std::int64_t now = now_();
      std::erase_if(attempts_, [&](const auto& a) { return a.second.expires_ms <= now; });
      auto it = attempts_.find({queue_name, attempt_id});
      if (it != attempts_.end()) {
        Attempt& attempt = it->second;
        // Still the same: every message there, its handle the latest, its visibility as the
        // receive left it (a visibility change or a delete ends what the id can repeat).
        const int visibility =
            visibility_timeout_s.value_or(static_cast<int>(queue.number("VisibilityTimeout")));
        bool same = visibility >= 0 && visibility <= kMaxVisibilityTimeoutSeconds;  // else: 400
        for (std::size_t i = 0; i < attempt.messages.size() && same; ++i)
          same = visible_at_locked(queue_name, attempt.messages[i]) == attempt.visible_at_ms[i];
        if (same) {
          const std::int64_t until = now + std::int64_t{visibility} * 1000;
          Transaction tx(*db_);
          static const char* sql =
              "UPDATE messages SET visible_at_ms=? WHERE queue=? AND id=? AND receipt_handle=?";
          for (std::size_t i = 0; i < attempt.messages.size(); ++i) {
            Stmt(prepare(sql))
                .bind(until)
                .bind(queue_name)
                .bind(attempt.messages[i].id)
                .bind(attempt.messages[i].receipt_handle)
                .step();
            attempt.visible_at_ms[i] = until;
          }
          tx.commit();
          return attempt.messages;
        }
        attempts_.erase(it);
      }
    }
  }
  std::vector<Message> out = receive(queue_name, max, visibility_timeout_s);
  std::lock_guard lock(mutex_);
  // An empty answer is not remembered: its retry (a long poll's, too) receives afresh.
  if (auto queue = find_queue(queue_name); queue && queue->fifo() && !out.empty()) {
    Attempt attempt;
    attempt.expires_ms = now_() + kDeduplicationWindowMs;  // SQS keeps the id five minutes
    for (const Message& m : out)
      attempt.visible_at_ms.push_back(visible_at_locked(queue_name, m).value_or(-1));
    attempt.messages = out;
    attempts_[{queue_name, attempt_id}] = std::move(attempt);
  }
  return out;
}

std::vector<Message> QueueStore::receive_for_lambda(const std::string& queue, int max_batch,
                                                    std::optional<int> visibility_timeout_s) {
  std::string redriven_to;
  std::vector<Message> out;
  {
    std::lock_guard lock(mutex_);
    out = receive_locked(queue, std::clamp(max_batch, 1, kMaxLambdaBatch), visibility_timeout_s,
                         redriven_to);
  }
  if (!redriven_to.empty()) notify(redriven_to);
  return out;
}

std::vector<Message> QueueStore::receive_locked(const std::string& queue_name, int max,
                                                std::optional<int> visibility_timeout_s,
                                                std::string& redriven_to) {
  Transaction tx(*db_);
  QueueRow queue = require_queue(queue_name);
  int visibility =
      visibility_timeout_s.value_or(static_cast<int>(queue.number("VisibilityTimeout")));
  if (visibility < 0 || visibility > kMaxVisibilityTimeoutSeconds)
    throw invalid_parameter(fmt::format(
        "Value {} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= {}, "
        "if provided.",
        visibility, kMaxVisibilityTimeoutSeconds));
  std::int64_t now = now_();
  remove_expired(queue, now);

  // A redrive policy naming a queue that does not exist (yet) is ignored rather than losing
  // messages: they keep being delivered until the dead-letter queue appears.
  std::optional<RedrivePolicy> redrive =
      parse_redrive_policy(effective_attribute(queue.attributes, "RedrivePolicy"));
  if (redrive &&
      (redrive->dead_letter_queue == queue_name || !find_queue(redrive->dead_letter_queue)))
    redrive.reset();

  static const char* select_sql =
      "SELECT seq, id, body, message_attributes, sent_ms, receive_count, first_receive_ms, "
      "dead_letter_source, group_id, deduplication_id FROM messages WHERE queue=? AND "
      "visible_at_ms<=? ORDER BY visible_at_ms, seq LIMIT ?";
  // A FIFO queue's: in sending order, a group's messages only from its first one still there,
  // and none of a group with a message in flight (the group is locked until it is deleted or
  // visible again).
  static const char* select_fifo_sql =
      "SELECT seq, id, body, message_attributes, sent_ms, receive_count, first_receive_ms, "
      "dead_letter_source, group_id, deduplication_id FROM messages m WHERE queue=?1 AND "
      "visible_at_ms<=?2 AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.queue=?1 AND "
      "o.group_id=m.group_id AND o.visible_at_ms>?2 AND (o.seq<m.seq OR o.receive_count>0)) "
      "ORDER BY seq LIMIT ?3";
  const bool fifo = queue.fifo();
  static const char* deliver_sql =
      "UPDATE messages SET receive_count=?, first_receive_ms=?, visible_at_ms=?, "
      "receipt_handle=? WHERE seq=?";
  static const char* redrive_sql =
      "UPDATE messages SET queue=?, visible_at_ms=?, receipt_handle='', dead_letter_source=? "
      "WHERE seq=?";

  std::vector<Message> out;
  std::set<std::int64_t> delivered;  // with a 0 s visibility a message stays selectable
  for (;;) {
    struct Row {
      std::int64_t seq;
      Message m;
    };
    std::vector<Row> rows;
    {
      Stmt st(prepare(fifo ? select_fifo_sql : select_sql));
      st.bind(queue_name).bind(now).bind(std::int64_t{max} - static_cast<std::int64_t>(out.size()));
      while (st.step()) {
        Row r{st.integer(0), {}};
        r.m.id = st.text(1);
        r.m.body = st.text(2);
        r.m.message_attributes = attributes_from_json(st.text(3));
        r.m.sent_ms = st.integer(4);
        r.m.receive_count = st.integer(5);
        r.m.first_receive_ms = st.integer(6);
        r.m.dead_letter_source_queue = st.text(7);
        if (fifo) {
          r.m.group_id = st.text(8);
          r.m.deduplication_id = st.text(9);
          r.m.sequence_number = sequence_number(r.seq);
        }
        rows.push_back(std::move(r));
      }
    }
    bool moved_any = false;
    for (Row& r : rows) {
      if (delivered.count(r.seq)) continue;
      // SQS moves a message once its receive count would exceed maxReceiveCount.
      if (redrive && r.m.receive_count >= redrive->max_receive_count) {
        Stmt(prepare(redrive_sql))
            .bind(redrive->dead_letter_queue)
            .bind(now)
            .bind(queue_name)
            .bind(r.seq)
            .step();
        moved_any = true;
        redriven_to = redrive->dead_letter_queue;
        continue;
      }
      Message& m = r.m;
      m.receive_count += 1;
      if (m.first_receive_ms == 0) m.first_receive_ms = now;
      m.receipt_handle = receipt_handle_for(queue_name, m.id);
      m.md5_of_body = util::md5_hex(m.body);
      m.md5_of_message_attributes = md5_of_message_attributes(m.message_attributes);
      m.sender_id = std::string(kAccountId);
      Stmt(prepare(deliver_sql))
          .bind(m.receive_count)
          .bind(m.first_receive_ms)
          .bind(now + std::int64_t{visibility} * 1000)
          .bind(m.receipt_handle)
          .bind(r.seq)
          .step();
      delivered.insert(r.seq);
      out.push_back(std::move(m));
    }
    // Only moved messages free room for more; otherwise everything visible has been seen.
    if (!moved_any || static_cast<int>(out.size()) >= max) break;
  }
  tx.commit();
  return out;
}

void QueueStore::delete_message(const std::string& queue_name, const std::string& receipt_handle) {
  std::unique_lock lock(mutex_);
  const bool fifo = require_queue(queue_name).fifo();
  std::string id = message_id_of(queue_name, receipt_handle);
  // Only the latest handle deletes: SQS documents that an older one "succeeds, but the message
  // will not be deleted".
  static const char* sql = "DELETE FROM messages WHERE queue=? AND id=? AND receipt_handle=?";
  Stmt(prepare(sql)).bind(queue_name).bind(id).bind(receipt_handle).step();
  // Deleting a FIFO message may unlock its group: what waits on the queue looks again.
  const bool unlocked = fifo && sqlite3_changes(db_->handle()) > 0;
  lock.unlock();
  if (unlocked) notify(queue_name);
}

void QueueStore::change_visibility(const std::string& queue_name, const std::string& receipt_handle,
                                   int timeout_s) {
  std::unique_lock lock(mutex_);
  require_queue(queue_name);
  std::string id = message_id_of(queue_name, receipt_handle);
  if (timeout_s < 0 || timeout_s > kMaxVisibilityTimeoutSeconds)
    throw invalid_parameter(
        fmt::format("Value {} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 "
                    "and <= {}, if provided.",
                    timeout_s, kMaxVisibilityTimeoutSeconds));
  static const char* sql =
      "UPDATE messages SET visible_at_ms=? WHERE queue=? AND id=? AND receipt_handle=?";
  Stmt(prepare(sql))
      .bind(now_() + std::int64_t{timeout_s} * 1000)
      .bind(queue_name)
      .bind(id)
      .bind(receipt_handle)
      .step();
  if (sqlite3_changes(db_->handle()) == 0)
    throw invalid_parameter(
        fmt::format("Value {} for parameter ReceiptHandle is invalid. Reason: Message does not "
                    "exist or is not available for visibility timeout change.",
                    receipt_handle));
  lock.unlock();
  notify(queue_name);
}

void QueueStore::purge(const std::string& queue_name) {
  std::lock_guard lock(mutex_);
  Transaction tx(*db_);
  require_queue(queue_name);
  static const char* sql = "DELETE FROM messages WHERE queue=?";
  Stmt(prepare(sql)).bind(queue_name).step();
  tx.commit();
}

std::optional<std::int64_t> QueueStore::next_visible_ms(const std::string& queue_name) {
  std::lock_guard lock(mutex_);
  QueueRow queue = require_queue(queue_name);
  const std::int64_t now = now_();
  remove_expired(queue, now);
  static const char* sql = "SELECT MIN(visible_at_ms) FROM messages WHERE queue=?";
  // Per group: when its in-flight messages are all visible again if it is locked, else when its
  // first message is.
  static const char* fifo_sql =
      "SELECT MIN(COALESCE(("
      "  SELECT MAX(visible_at_ms) FROM messages i WHERE i.queue=?1 AND i.group_id=g.group_id "
      "  AND i.receive_count>0 AND i.visible_at_ms>?2), ("
      "  SELECT visible_at_ms FROM messages h WHERE h.queue=?1 AND h.group_id=g.group_id "
      "  ORDER BY seq LIMIT 1))) "
      "FROM (SELECT DISTINCT group_id FROM messages WHERE queue=?1) g";
  Stmt st(prepare(queue.fifo() ? fifo_sql : sql));
  st.bind(queue_name);
  if (queue.fifo()) st.bind(now);
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.integer(0);
}

}  // namespace fx::queues
