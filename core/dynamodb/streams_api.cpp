#include "core/dynamodb/streams_api.h"

#include <charconv>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "core/dynamodb/errors.h"
#include "core/dynamodb/request.h"
#include "core/dynamodb/table_store.h"
#include "core/util/hash.h"

namespace fx::dynamodb {

namespace rq = request;
using nlohmann::json;

namespace {

constexpr std::string_view kStreamsPrefix = "DynamoDBStreams_20120810.";
constexpr std::size_t kMacBytes = 16;
// GetRecords answers at most 1 MB of records, as DynamoDB Streams does.
constexpr std::size_t kMaxRecordBytes = 1024 * 1024;
constexpr std::string_view kIteratorTypes[] = {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                               "AFTER_SEQUENCE_NUMBER"};

std::string seq_text(std::int64_t seq) {
  return fmt::format("{:021}", seq);
}

std::string shard_id(const TableStore::StreamRow& s) {
  return stream_shard_id(s.created_ms, s.arn);
}

DynamoError not_found(const std::string& what) {
  return DynamoError("ResourceNotFoundException", "Requested resource not found: " + what);
}

DynamoError stream_not_found(const std::string& arn) {
  return not_found("Stream: " + arn + " not found");
}

// A string member with its length limits; `path` is the member's name as the validation
// messages spell it.
std::optional<std::string> bounded_string(const json& req, std::string_view name,
                                          std::string_view path, std::size_t min, std::size_t max) {
  auto v = rq::string(req, name);
  if (!v) return v;
  if (v->size() < min)
    throw rq::constraint(rq::quote(*v), path,
                         fmt::format("Member must have length greater than or equal to {}", min));
  if (v->size() > max)
    throw rq::constraint(rq::quote(*v), path,
                         fmt::format("Member must have length less than or equal to {}", max));
  return v;
}

std::string required_string(const json& req, std::string_view name, std::string_view path,
                            std::size_t min, std::size_t max) {
  auto v = bounded_string(req, name, path, min, max);
  if (!v) throw rq::not_null(path);
  return *v;
}

std::optional<std::int64_t> bounded_integer(const json& req, std::string_view name,
                                            std::string_view path, std::int64_t max) {
  auto v = rq::integer(req, name);
  if (!v) return v;
  if (*v < 1)
    throw rq::constraint(std::to_string(*v), path,
                         "Member must have value greater than or equal to 1");
  if (*v > max)
    throw rq::constraint(std::to_string(*v), path,
                         fmt::format("Member must have value less than or equal to {}", max));
  return v;
}

// The protocol layer reads every member before the validation layer checks any: a member of
// the wrong JSON type is a SerializationException whatever else is wrong with the request.
void check_types(const json& req, std::initializer_list<std::string_view> strings,
                 std::initializer_list<std::string_view> integers) {
  for (auto name : strings) rq::string(req, name);
  for (auto name : integers) rq::integer(req, name);
}

// The store keeps a record as Lambda's event carries it (userIdentity {type, principalId}); the
// Streams API's Identity shape spells those members Type and PrincipalId.
std::string api_record(const std::string& stored) {
  if (stored.find("\"userIdentity\"") == std::string::npos) return stored;
  json r = json::parse(stored);
  auto it = r.find("userIdentity");
  if (it == r.end() || !it->is_object()) return stored;
  *it = {{"PrincipalId", it->value("principalId", "")}, {"Type", it->value("type", "")}};
  return r.dump();
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

// A shard iterator: where a reader is in a stream.
struct Position {
  std::int64_t stream_id = 0;
  std::int64_t after = 0;  // the last sequence number read: GetRecords reads from after + 1
  std::int64_t issued_ms = 0;
};

class StreamsApi {
 public:
  StreamsApi(TableStore& store, std::int64_t now_ms) : store_(store), now_ms_(now_ms) {}

  DynamoResult run(std::string_view op, const json& req) {
    static const std::map<std::string_view, DynamoResult (StreamsApi::*)(const json&)> kOps = {
        {"ListStreams", &StreamsApi::list_streams},
        {"DescribeStream", &StreamsApi::describe_stream},
        {"GetShardIterator", &StreamsApi::get_shard_iterator},
        {"GetRecords", &StreamsApi::get_records},
    };
    auto it = kOps.find(op);
    if (it == kOps.end()) {
      DynamoError e("UnknownOperationException",
                    fmt::format("DynamoDB Streams has no operation {}", op.substr(0, 128)));
      e.coral = true;
      throw e;
    }
    return (this->*(it->second))(req);
  }

 private:
  TableStore& store_;
  std::int64_t now_ms_;

  std::string key() {
    if (key_.empty()) key_ = store_.iterator_key();
    return key_;
  }
  std::string key_;

  std::string mac(const std::string& arn, const std::string& payload) {
    return util::hmac_sha256_raw(key(), arn + "\n" + payload).substr(0, kMacBytes);
  }

  std::string make_iterator(const TableStore::StreamRow& s, std::int64_t after) {
    std::string payload = fmt::format("{}:{}:{}", s.id, after, now_ms_);
    return s.arn + "|1|" + util::base64_encode(payload + mac(s.arn, payload));
  }

  // Reads an iterator back; anything not made by make_iterator is a ValidationException.
  Position read_iterator(const std::string& text) {
    auto invalid = [] { return ValidationError("Invalid ShardIterator"); };
    auto bar = text.find("|1|");
    if (bar == std::string::npos || bar == 0) throw invalid();
    std::string arn = text.substr(0, bar);
    std::string raw;
    try {
      raw = util::base64_decode(std::string_view(text).substr(bar + 3));
    } catch (const std::exception&) {
      throw invalid();
    }
    if (raw.size() <= kMacBytes) throw invalid();
    std::string payload = raw.substr(0, raw.size() - kMacBytes);
    std::string expected = mac(arn, payload);
    // Compared in constant time, so that timing tells a forger nothing.
    unsigned char diff = 0;
    for (std::size_t i = 0; i < kMacBytes; ++i)
      diff |= static_cast<unsigned char>(expected[i] ^ raw[payload.size() + i]);
    if (diff != 0) throw invalid();
    Position p;
    std::string_view rest = payload;
    auto c1 = rest.find(':');
    auto c2 = rest.find(':', c1 == std::string_view::npos ? c1 : c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos ||
        !parse_int(rest.substr(0, c1), p.stream_id) ||
        !parse_int(rest.substr(c1 + 1, c2 - c1 - 1), p.after) ||
        !parse_int(rest.substr(c2 + 1), p.issued_ms))
      throw invalid();
    return p;
  }

  TableStore::StreamRow require_stream(const std::string& arn) {
    auto s = store_.find_stream(arn);
    if (!s) throw stream_not_found(arn);
    return *s;
  }

  // The shard's sequence number range: its first record's number (the next one to be given
  // while it has none) and, once the stream is off, its last.
  json sequence_range(const TableStore::StreamRow& s) {
    auto [first, last] = store_.stream_range(s.id);
    if (first == 0) first = last = store_.last_seq() + 1;
    json r = {{"StartingSequenceNumber", seq_text(first)}};
    if (s.ended_ms) r["EndingSequenceNumber"] = seq_text(last);
    return r;
  }

  // ---- ListStreams

  DynamoResult list_streams(const json& req) {
    check_types(req, {"TableName", "ExclusiveStartStreamArn"}, {"Limit"});
    auto table = rq::string(req, "TableName");
    if (table) rq::check_name(*table, "tableName");
    auto limit = bounded_integer(req, "Limit", "limit", 100).value_or(100);
    auto start =
        bounded_string(req, "ExclusiveStartStreamArn", "exclusiveStartStreamArn", 37, 1024);
    auto all = store_.list_streams();
    std::vector<TableStore::StreamRow> streams;
    for (auto& s : all)
      if (!table || s.table_name == *table) streams.push_back(std::move(s));
    if (table && streams.empty() && !store_.find_table(*table))
      throw not_found("Table: " + *table + " not found");
    std::size_t from = 0;
    if (start) {
      while (from < streams.size() && streams[from].arn != *start) ++from;
      if (from == streams.size()) throw stream_not_found(*start);
      ++from;
    }
    json list = json::array();
    std::size_t i = from;
    for (; i < streams.size() && static_cast<std::int64_t>(list.size()) < limit; ++i)
      list.push_back({{"StreamArn", streams[i].arn},
                      {"TableName", streams[i].table_name},
                      {"StreamLabel", streams[i].label}});
    json out = {{"Streams", list}};
    if (i < streams.size()) out["LastEvaluatedStreamArn"] = streams[i - 1].arn;
    return json_result(out.dump());
  }

  // ---- DescribeStream

  DynamoResult describe_stream(const json& req) {
    check_types(req, {"StreamArn", "ExclusiveStartShardId"}, {"Limit"});
    std::string arn = required_string(req, "StreamArn", "streamArn", 37, 1024);
    bounded_integer(req, "Limit", "limit", 100);
    auto start = bounded_string(req, "ExclusiveStartShardId", "exclusiveStartShardId", 28, 65);
    auto s = require_stream(arn);
    json keys = json::array({{{"AttributeName", s.hash_key}, {"KeyType", "HASH"}}});
    if (!s.range_key.empty())
      keys.push_back({{"AttributeName", s.range_key}, {"KeyType", "RANGE"}});
    json shards = json::array();
    // One shard: it is listed unless the caller has read past it (shard ids sort by time).
    std::string id = shard_id(s);
    if (!start || *start < id)
      shards.push_back({{"ShardId", id}, {"SequenceNumberRange", sequence_range(s)}});
    json d = {{"StreamArn", s.arn},
              {"StreamLabel", s.label},
              {"StreamStatus", s.ended_ms ? "DISABLED" : "ENABLED"},
              {"StreamViewType", s.view_type},
              {"CreationRequestDateTime", static_cast<double>(s.created_ms) / 1000.0},
              {"TableName", s.table_name},
              {"KeySchema", keys},
              {"Shards", shards}};
    return json_result(json{{"StreamDescription", d}}.dump());
  }

  // ---- GetShardIterator

  DynamoResult get_shard_iterator(const json& req) {
    check_types(req, {"StreamArn", "ShardId", "ShardIteratorType", "SequenceNumber"}, {});
    std::string arn = required_string(req, "StreamArn", "streamArn", 37, 1024);
    std::string shard = required_string(req, "ShardId", "shardId", 28, 65);
    auto type = rq::string(req, "ShardIteratorType");
    if (!type) throw rq::not_null("shardIteratorType");
    bool known = false;
    for (auto t : kIteratorTypes) known = known || t == *type;
    if (!known)
      throw rq::constraint(rq::quote(*type), "shardIteratorType",
                           "Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, "
                           "TRIM_HORIZON, AT_SEQUENCE_NUMBER, LATEST]");
    auto seq_member = bounded_string(req, "SequenceNumber", "sequenceNumber", 21, 40);
    auto s = require_stream(arn);
    if (shard != shard_id(s)) throw not_found("Shard does not exist");
    std::int64_t last = store_.stream_range(s.id).second;
    std::int64_t trimmed = store_.trimmed_seq();
    std::int64_t after = 0;
    if (*type == "TRIM_HORIZON") {
      after = trimmed;
    } else if (*type == "LATEST") {
      after = store_.last_seq();
    } else {
      if (!seq_member)
        throw ValidationError("A SequenceNumber is required for the ShardIteratorType " + *type);
      std::int64_t seq = 0;
      // Past int64 is past every number given, as is past the last one.
      bool parsed = seq_member->find_first_not_of("0123456789") == std::string::npos &&
                    parse_int(*seq_member, seq);
      if (!parsed || seq == 0 || seq > store_.last_seq() || (s.ended_ms && seq > last))
        throw ValidationError(fmt::format("Invalid SequenceNumber {} for shard {} of stream {}",
                                          *seq_member, shard, arn));
      if (seq <= trimmed)
        throw DynamoError("TrimmedDataAccessException",
                          fmt::format("The records up to sequence number {} are past the "
                                      "stream's 24 hours and were trimmed; start from "
                                      "TRIM_HORIZON",
                                      seq_text(trimmed)));
      after = *type == "AT_SEQUENCE_NUMBER" ? seq - 1 : seq;
    }
    return json_result(json{{"ShardIterator", make_iterator(s, after)}}.dump());
  }

  // ---- GetRecords

  DynamoResult get_records(const json& req) {
    check_types(req, {"ShardIterator"}, {"Limit"});
    std::string text = required_string(req, "ShardIterator", "shardIterator", 1, 2048);
    auto limit = bounded_integer(req, "Limit", "limit", 1000).value_or(1000);
    Position p = read_iterator(text);
    if (now_ms_ - p.issued_ms > kIteratorLifetimeMs)
      throw DynamoError(
          "ExpiredIteratorException",
          fmt::format("Iterator expired: it was made {} seconds ago and is good for 15 minutes; "
                      "get a new one with GetShardIterator",
                      (now_ms_ - p.issued_ms) / 1000));
    auto s = store_.find_stream(p.stream_id);
    if (!s) throw not_found("Stream of this iterator not found (it ended over 24 hours ago)");
    if (p.after < store_.trimmed_seq())
      throw DynamoError("TrimmedDataAccessException",
                        "The iterator points at records past the stream's 24 hours, which were "
                        "trimmed; start again from TRIM_HORIZON");
    auto records = store_.stream_records(s->id, p.after, static_cast<int>(limit));
    std::string body = "{\"Records\":[";
    std::size_t bytes = 0;
    std::int64_t after = p.after;
    bool first = true;
    for (const auto& [seq, record] : records) {
      if (!first && bytes + record.size() > kMaxRecordBytes) break;
      if (!first) body += ',';
      body += api_record(record);
      bytes += record.size();
      after = seq;
      first = false;
    }
    body += ']';
    // A closed shard read to its end has no next iterator: the reader is done with it.
    bool done = s->ended_ms && records.empty();
    if (!done) body += ",\"NextShardIterator\":" + json(make_iterator(*s, after)).dump();
    body += '}';
    return json_result(std::move(body));
  }
};

}  // namespace

std::string stream_shard_id(std::int64_t stream_created_ms, std::string_view stream_arn) {
  return fmt::format("shardId-{:020}-{}", stream_created_ms,
                     util::to_hex(util::sha256_raw(stream_arn)).substr(0, 8));
}

bool is_streams_target(std::string_view target) {
  return target.starts_with(kStreamsPrefix);
}

DynamoResult handle_streams(TableStore& store, std::string_view target, std::string_view body,
                            const std::function<std::int64_t()>& now_ms) {
  try {
    if (!is_streams_target(target)) {
      DynamoError e("UnknownOperationException",
                    "The X-Amz-Target header names no DynamoDB Streams operation");
      e.coral = true;
      throw e;
    }
    json req = rq::parse_body(body);
    StreamsApi api(store, now_ms ? now_ms() : store.now_ms());
    return api.run(target.substr(kStreamsPrefix.size()), req);
  } catch (...) {
    return error_result(std::current_exception());
  }
}

}  // namespace fx::dynamodb
