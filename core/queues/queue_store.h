// SQS-compatible standard and FIFO queues kept in SQLite (WAL), so that the emulator can be killed
// at any moment and restarted without losing a message or forgetting which ones are in flight.
//
// The store is the queue semantics (visibility, delays, retention, redrive to a dead-letter
// queue, MD5s, limits; for FIFO queues message groups, their order and locks, deduplication
// and sequence numbers); core/queues/sqs_api.h puts the SQS JSON protocol on top of it. The store
// never blocks: long polling is the caller's job, helped by next_visible_ms().
//
// Every public member is safe to call from any thread (one mutex around one connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

struct sqlite3_stmt;
namespace fx::store {
class Database;
}

namespace fx::queues {

// Every queue belongs to this account, as in other local AWS emulators.
inline constexpr std::string_view kAccountId = "000000000000";
// The largest message (body plus message attributes) a queue takes unless its
// MaximumMessageSize says otherwise.
inline constexpr std::int64_t kDefaultMaximumMessageSize = 262'144;
inline constexpr int kMaxVisibilityTimeoutSeconds = 43'200;

// An error SQS itself would return. `code` is the error's shape name in the SQS API model
// (QueueDoesNotExist, QueueNameExists, ReceiptHandleIsInvalid, ...) or one of SQS's common
// errors (InvalidParameterValue, MissingParameter); sqs_api.cpp turns it into the wire format.
class SqsError : public std::runtime_error {
 public:
  SqsError(std::string code, const std::string& message, bool sender_fault = true)
      : std::runtime_error(message), code_(std::move(code)), sender_fault_(sender_fault) {}
  const std::string& code() const { return code_; }
  bool sender_fault() const { return sender_fault_; }

 private:
  std::string code_;
  bool sender_fault_;
};

struct MessageAttributeValue {
  std::string data_type;     // "String", "Number" or "Binary", optionally with ".label"
  std::string string_value;  // for String and Number types
  std::string binary_value;  // for Binary types: the raw bytes (base64 only on the wire)
  bool is_binary() const { return data_type.rfind("Binary", 0) == 0; }
  bool operator==(const MessageAttributeValue&) const = default;
};
// Ordered by name, the order SQS hashes them in.
using MessageAttributes = std::map<std::string, MessageAttributeValue>;

// SQS's JSON for message attributes ({"name": {"DataType", "StringValue" | "BinaryValue"}}):
// what ReceiveMessage answers, and how the store keeps them.
nlohmann::json message_attributes_json(const MessageAttributes& attributes);

// Queue attributes as SQS spells them: {"VisibilityTimeout": "30", ...}.
using QueueAttributes = std::map<std::string, std::string>;
using Tags = std::map<std::string, std::string>;

struct Message {
  std::string id;
  std::string receipt_handle;  // of this receive
  std::string body;
  std::string md5_of_body;
  MessageAttributes message_attributes;
  std::string md5_of_message_attributes;  // empty when there are no message attributes
  std::int64_t sent_ms = 0;
  std::int64_t first_receive_ms = 0;
  std::int64_t receive_count = 0;  // including this receive
  std::string sender_id;
  std::string dead_letter_source_queue;  // the queue it was moved from, when it was redriven
  // FIFO queues' messages only (empty otherwise).
  std::string group_id;
  std::string deduplication_id;
  std::string sequence_number;
};

struct SendResult {
  std::string message_id;
  std::string md5_of_body;
  std::string md5_of_message_attributes;  // empty when there are no message attributes
  std::string sequence_number;            // FIFO queues only: 20 digits, increasing
};

// What a send to a FIFO queue carries besides the message (ignored by standard queues, which
// SQS lets take a MessageGroupId).
struct FifoSend {
  std::optional<std::string> group_id;
  std::optional<std::string> deduplication_id;
};

struct QueueInfo {
  std::string name;
  QueueAttributes attributes;  // only those set by CreateQueue/SetQueueAttributes
  Tags tags;
  std::int64_t created_ms = 0;
  std::int64_t modified_ms = 0;
};

// MD5OfMessageAttributes as SQS computes it: for each attribute in name order, the
// length-prefixed (4-byte big-endian) name and data type, a transport byte (1 for String and
// Number, 2 for Binary) and the length-prefixed value. Empty when there are no attributes.
std::string md5_of_message_attributes(const MessageAttributes& attributes);

// arn:aws:sqs:REGION:000000000000:NAME
std::string queue_arn(std::string_view region, std::string_view name);
// ENDPOINT/000000000000/NAME (a trailing '/' on the endpoint is dropped).
std::string queue_url(std::string_view endpoint_url, std::string_view name);
// The queue's name from a QueueUrl of any host (its last path component), or from a bare name.
std::string queue_name_from_url(std::string_view queue_url);
// The queue's name from an SQS ARN (its last ':' component).
std::string queue_name_from_arn(std::string_view arn);

class QueueStore {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds since the epoch

  // Opens (creating when needed) the database and its schema; `now_ms` defaults to the wall
  // clock and lets tests move time. Throws fx::Error when the file cannot be opened.
  explicit QueueStore(const std::filesystem::path& path, Clock now_ms = nullptr);
  ~QueueStore();
  QueueStore(const QueueStore&) = delete;
  QueueStore& operator=(const QueueStore&) = delete;

  std::int64_t now_ms() const { return now_(); }

  // Called with a queue's name after a change that may have made messages receivable in it:
  // a send, a visibility change, a message moved to it by its source queue's redrive policy.
  // Long polls and Lambda pollers wait for it. Called on the changing thread, outside the
  // store's lock (so it may call the store).
  using Listener = std::function<void(const std::string& queue)>;
  void set_listener(Listener listener);

  // --- Queues. Operations on a missing queue throw SqsError QueueDoesNotExist.

  // Creates the queue, or returns false and leaves it alone when it exists and every attribute
  // given equals the queue's current value; a different value throws QueueNameExists (SQS's
  // rule). Invalid names or values throw InvalidParameterValue / InvalidAttributeName /
  // InvalidAttributeValue. A FIFO queue's name ends in ".fifo" and it has FifoQueue=true.
  bool create_queue(const std::string& name, const QueueAttributes& attributes = {},
                    const Tags& tags = {});
  std::optional<QueueInfo> get_queue(const std::string& name);
  // Names in order, those starting with `prefix`.
  std::vector<std::string> list_queues(const std::string& prefix = "");
  // Deletes the queue and its messages.
  void delete_queue(const std::string& name);
  // Every attribute GetQueueAttributes "All" returns, the Approximate* counts included.
  QueueAttributes attributes(const std::string& name, const std::string& region);
  void set_attributes(const std::string& name, const QueueAttributes& attributes);
  void tag_queue(const std::string& name, const Tags& tags);
  void untag_queue(const std::string& name, const std::vector<std::string>& keys);

  // --- Messages.

  // Validates (characters, size, attributes, delay 0-900; the queue's DelaySeconds when none is
  // given) and stores the message before returning: once this returns it survives a crash.
  // To a FIFO queue: MessageGroupId required, no per-message delay, a deduplication id given or
  // (ContentBasedDeduplication) the body's SHA-256; a duplicate sent within five minutes of
  // the first is not stored again and gets the first's MessageId and SequenceNumber.
  SendResult send(const std::string& queue, const std::string& body,
                  std::optional<int> delay_seconds = std::nullopt,
                  const MessageAttributes& message_attributes = {}, const FifoSend& fifo = {});
  // Up to `max` (1-10) messages visible now, hidden for `visibility_timeout_s` (the queue's
  // VisibilityTimeout when none is given). Messages already received maxReceiveCount times are
  // moved to the RedrivePolicy's dead-letter queue instead of being returned. Never waits: an
  // empty result means nothing is visible now (see next_visible_ms for long polling).
  // From a FIFO queue, messages come in order within their group, and none of a group that has
  // a message in flight (received, neither deleted nor visible again) is returned.
  std::vector<Message> receive(const std::string& queue, int max = 1,
                               std::optional<int> visibility_timeout_s = std::nullopt);
  // receive() with a FIFO queue's ReceiveRequestAttemptId (non-empty): a retry with the id of
  // a receive less than five minutes old returns that receive's messages with their receipt
  // handles (their visibility timeout starting again), as long as none of them was deleted
  // or had its visibility changed since; otherwise, or for a new id, it receives as receive()
  // does and remembers the answer under the id. Standard queues ignore the id, as SQS does.
  std::vector<Message> receive(const std::string& queue, int max,
                               std::optional<int> visibility_timeout_s,
                               const std::string& attempt_id);
  // receive() for Lambda's SQS event source: the same semantics, batches of up to 10,000.
  std::vector<Message> receive_for_lambda(const std::string& queue, int max_batch,
                                          std::optional<int> visibility_timeout_s = std::nullopt);
  // A malformed handle, or one of another queue, throws ReceiptHandleIsInvalid. A handle of a
  // message already deleted is accepted and does nothing; so is one superseded by a later
  // receive of the message (the message stays), as the SQS documentation describes.
  void delete_message(const std::string& queue, const std::string& receipt_handle);
  // Makes the message visible again `timeout_s` (0-43200) seconds from now. The handle must be
  // the message's latest, else InvalidParameterValue.
  void change_visibility(const std::string& queue, const std::string& receipt_handle,
                         int timeout_s);
  void purge(const std::string& queue);
  // The earliest time a message of the queue becomes (or became) visible: <= now_ms() means one
  // can be received now; nullopt when the queue holds no message. For a FIFO queue, a locked
  // group's messages count from when its in-flight messages become visible again (a delete,
  // which unlocks it sooner, notifies the listener). A long poll sleeps until then
  // or until a send to the queue, whichever comes first.
  std::optional<std::int64_t> next_visible_ms(const std::string& queue);

 private:
  struct QueueRow;

  sqlite3_stmt* prepare(const char* sql);
  void exec(const char* sql);
  std::optional<QueueRow> find_queue(const std::string& name);
  // A redrive policy's target must be a queue of the same type (FIFO or standard), if it
  // exists.
  void check_redrive_target(const std::string& name, const QueueAttributes& attributes);
  QueueRow require_queue(const std::string& name);
  void remove_expired(const QueueRow& queue, std::int64_t now);
  // Fills `redriven_to` with the dead-letter queue when messages were moved there.
  std::vector<Message> receive_locked(const std::string& queue, int max,
                                      std::optional<int> visibility_timeout_s,
                                      std::string& redriven_to);
  void notify(const std::string& queue);

  // A FIFO receive remembered under its ReceiveRequestAttemptId (guarded by mutex_).
  struct Attempt {
    std::int64_t expires_ms = 0;
    std::vector<Message> messages;
    std::vector<std::int64_t> visible_at_ms;  // each message's, as the receive left it
  };
  std::map<std::pair<std::string, std::string>, Attempt> attempts_;  // by (queue, attempt id)
  // The message's visible_at_ms when `receipt_handle` is still its latest; nullopt otherwise.
  std::optional<std::int64_t> visible_at_locked(const std::string& queue, const Message& m);

  std::mutex mutex_;
  Clock now_;
  std::mutex listener_mutex_;
  Listener listener_;
  std::unique_ptr<store::Database> db_;
  std::filesystem::path path_;
};

}  // namespace fx::queues
