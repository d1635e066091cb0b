#include "core/sources/dynamodb_stream_source.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dynamodb/streams_api.h"
#include "core/dynamodb/table_store.h"
#include "core/lambda/types.h"
#include "core/sources/stream_checkpoints.h"
#include "core/util/time.h"

namespace fx::sources {

using nlohmann::json;

namespace {

// Retries of a failing batch wait a little longer each time (100 ms, doubled, at most 5 s), so
// that a function that always fails, retried forever by default, does not spin.
std::int64_t retry_delay_ms(int attempts) {
  return std::min<std::int64_t>(5000, 100LL << std::min(attempts > 0 ? attempts - 1 : 0, 6));
}

// "2026-12-07T10:00:00Z": the DDBStreamBatchInfo's arrival times have whole seconds.
std::string iso_seconds(std::int64_t epoch_s) {
  std::string ms = util::iso8601_ms(epoch_s * 1000);
  return ms.substr(0, ms.size() - 5) + "Z";
}

std::string sequence_number(const DynamoStreamSource::Record& r) {
  auto j = json::parse(r.json, nullptr, false);
  if (j.is_object() && j.contains("dynamodb") && j["dynamodb"].contains("SequenceNumber"))
    return j["dynamodb"]["SequenceNumber"].get<std::string>();
  return fmt::format("{:021}", r.seq);
}

DynamoStreamSource::Record record_of(std::int64_t seq, std::string text) {
  DynamoStreamSource::Record r;
  r.seq = seq;
  auto j = json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("dynamodb") && j["dynamodb"].is_object()) {
    const json& t = j["dynamodb"].value("ApproximateCreationDateTime", json());
    if (t.is_number()) r.created_s = static_cast<std::int64_t>(t.get<double>());
  }
  r.json = std::move(text);
  return r;
}

}  // namespace

// One batch of the stream: `all_` the records read (what success moves the checkpoint past),
// `delivered_` those the filter passed.
class StreamBatch : public Batch {
 public:
  StreamBatch(DynamoStreamSource& source, std::vector<DynamoStreamSource::Record> records,
              int attempts)
      : source_(source), all_(std::move(records)), delivered_(all_), attempts_(attempts) {}

  std::size_t size() const override { return delivered_.size(); }

  std::string filter(const events::EventFilter& filter) override {
    std::erase_if(delivered_, [&](const auto& r) { return !filter.passes_record(r.json); });
    // Nothing to invoke: the records are done, as Lambda moves past filtered-out records.
    if (delivered_.empty()) source_.done(all_.back().seq);
    return "";
  }

  std::string event_json() const override {
    std::string out = R"({"Records":[)";
    const std::string arn = json(source_.mapping_.source_arn).dump();
    bool first = true;
    for (const auto& r : delivered_) {
      // The stored record is GetRecords' JSON object: Lambda adds eventSourceARN to it.
      std::string_view body(r.json);
      while (!body.empty() && body.back() != '}') body.remove_suffix(1);
      if (body.size() < 2) continue;
      body.remove_suffix(1);
      out += first ? "" : ",";
      out += body;
      out += body.size() > 1 ? R"(,"eventSourceARN":)" : R"("eventSourceARN":)";
      out += arn;
      out += "}";
      first = false;
    }
    return out + "]}";
  }

  // Lambda's rules for a stream's partial batch response: no answer, null, an empty object or
  // an empty or null list is success; anything it cannot read, or an identifier that is not a
  // sequence number of the batch, fails the whole batch.
  std::optional<std::set<std::string>> item_failures(std::string_view function_result) override {
    std::set<std::string> failed;
    if (function_result.empty()) return failed;
    const json j = json::parse(function_result, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    if (j.is_null()) return failed;
    if (!j.is_object()) return std::nullopt;
    auto list = j.find("batchItemFailures");
    if (list == j.end() || list->is_null()) return failed;
    if (!list->is_array()) return std::nullopt;
    for (const auto& f : *list) {
      if (!f.is_object() || !f.contains("itemIdentifier") || !f["itemIdentifier"].is_string())
        return std::nullopt;
      const std::string id = f["itemIdentifier"].get<std::string>();
      const bool ours = std::any_of(delivered_.begin(), delivered_.end(),
                                    [&](const auto& r) { return sequence_number(r) == id; });
      if (!ours) return std::nullopt;
      failed.insert(id);
    }
    return failed;
  }

  void succeeded(const std::set<std::string>& failed) override {
    if (failed.empty()) return source_.done(all_.back().seq);
    // Done up to the first failed record; the batch is retried from it.
    std::int64_t first_failed = 0;
    for (const auto& r : delivered_)
      if (failed.contains(sequence_number(r))) {
        first_failed = r.seq;
        break;
      }
    std::vector<DynamoStreamSource::Record> rest;
    for (const auto& r : all_)
      if (r.seq >= first_failed) rest.push_back(r);
    const auto before = std::find_if(all_.rbegin(), all_.rend(),
                                     [&](const auto& r) { return r.seq < first_failed; });
    if (before != all_.rend()) source_.done(before->seq);
    InvokeResult partial;
    partial.body = "partial batch failure";
    source_.retry(std::move(rest), attempts_, partial);
  }

  void failed(const InvokeResult& result) override {
    source_.failed(std::move(all_), attempts_, result);
  }

 private:
  DynamoStreamSource& source_;
  std::vector<DynamoStreamSource::Record> all_, delivered_;
  int attempts_;
};

DynamoStreamSource::DynamoStreamSource(dynamodb::TableStore& store, StreamCheckpoints& checkpoints,
                                       const EventSourceMapping& mapping, Host host)
    : store_(store), checkpoints_(checkpoints), mapping_(mapping), host_(std::move(host)) {
  // LATEST: what the stream holds now is not the mapping's; TRIM_HORIZON: all of it is.
  const std::int64_t start = mapping_.starting_position == "LATEST" ? store_.last_seq() : 0;
  checkpoint_ = checkpoints_.start(mapping_.uuid, mapping_.service, start);
}

std::string DynamoStreamSource::describe() const {
  return "stream " + mapping_.source_arn;
}

std::int64_t DynamoStreamSource::now_ms() const {
  return store_.now_ms();
}

std::vector<std::pair<std::int64_t, std::string>> DynamoStreamSource::records_after_checkpoint(
    int max) {
  if (!stream_id_)
    if (auto row = store_.find_stream(mapping_.source_arn)) stream_id_ = row->id;
  if (!stream_id_) return {};
  return store_.stream_records(*stream_id_, checkpoint_, max);
}

bool DynamoStreamSource::has_ready(int n) {
  if (!retries_.empty()) return true;
  return static_cast<int>(records_after_checkpoint(n).size()) >= n;
}

std::optional<std::int64_t> DynamoStreamSource::next_ready_ms() {
  if (!retries_.empty()) return retries_.front().ready_ms;
  if (records_after_checkpoint(1).empty()) return std::nullopt;
  return now_ms();
}

std::unique_ptr<Batch> DynamoStreamSource::read(int max) {
  std::vector<Record> records;
  int attempts = 0;
  for (int round = 0; records.empty() && round < 100; ++round) {
    if (!retries_.empty()) {
      records = std::move(retries_.front().records);
      attempts = retries_.front().attempts;
      retries_.pop_front();
    } else {
      for (auto& [seq, text] : records_after_checkpoint(max))
        records.push_back(record_of(seq, std::move(text)));
      if (records.empty()) return nullptr;
    }
    // maximumRecordAgeInSeconds: records older are discarded unseen (oldest first).
    if (mapping_.max_record_age_s >= 0) {
      const std::int64_t oldest = now_ms() / 1000 - mapping_.max_record_age_s;
      auto young = std::find_if(records.begin(), records.end(),
                                [&](const Record& r) { return r.created_s >= oldest; });
      if (young != records.begin()) {
        std::vector<Record> old(records.begin(), young);
        discard(old, "RecordAgeExceeded", attempts, nullptr);
        done(old.back().seq);
        records.erase(records.begin(), young);
      }
    }
  }
  if (records.empty()) return nullptr;
  return std::make_unique<StreamBatch>(*this, std::move(records), attempts);
}

void DynamoStreamSource::done(std::int64_t seq) {
  if (seq <= checkpoint_) return;
  checkpoint_ = seq;
  try {
    checkpoints_.advance(mapping_.uuid, seq);
  } catch (const std::exception& e) {
    // Kept in memory: after a restart the batch comes again, which at-least-once allows.
    host_.log(fmt::format("fx: cannot save the checkpoint of {}: {}", describe(), e.what()));
  }
}

void DynamoStreamSource::failed(std::vector<Record> records, int attempts,
                                const InvokeResult& result) {
  if (records.empty()) return;
  if (mapping_.bisect_on_function_error && records.size() > 1) {
    // Two halves, the first retried first; splitting uses none of the retries.
    const auto half = records.begin() + static_cast<std::ptrdiff_t>(records.size() / 2);
    const std::int64_t now = now_ms();
    retries_.push_front({std::vector<Record>(half, records.end()), attempts, now});
    retries_.push_front({std::vector<Record>(records.begin(), half), attempts, now});
    return;
  }
  retry(std::move(records), attempts, result);
}

void DynamoStreamSource::retry(std::vector<Record> records, int attempts,
                               const InvokeResult& result) {
  ++attempts;
  if (mapping_.max_retry_attempts >= 0 && attempts > mapping_.max_retry_attempts) {
    discard(records, "RetryAttemptsExhausted", attempts, &result);
    done(records.back().seq);
    return;
  }
  retries_.push_front({std::move(records), attempts, now_ms() + retry_delay_ms(attempts)});
}

void DynamoStreamSource::discard(const std::vector<Record>& records, const std::string& condition,
                                 int invocations, const InvokeResult* result) {
  const auto& first = records.front();
  const auto& last = records.back();
  // The stream has a row once it has a record: these records are its.
  const auto stream = store_.find_stream(mapping_.source_arn);
  json info = {
      {"shardId", dynamodb::stream_shard_id(stream ? stream->created_ms : 0, mapping_.source_arn)},
      {"startSequenceNumber", sequence_number(first)},
      {"endSequenceNumber", sequence_number(last)},
      {"approximateArrivalOfFirstRecord", iso_seconds(first.created_s)},
      {"approximateArrivalOfLastRecord", iso_seconds(last.created_s)},
      {"batchSize", records.size()},
      {"streamArn", mapping_.source_arn}};
  const std::string request_id = mapping_uuid(mapping_.uuid, condition, sequence_number(first),
                                              static_cast<int>(records.size()));
  json record = {{"requestContext",
                  {{"requestId", request_id},
                   {"functionArn", fmt::format("arn:aws:lambda:{}:{}:function:{}", host_.region,
                                               lambda::kLocalAccount, mapping_.function)},
                   {"condition", condition},
                   {"approximateInvokeCount", invocations}}},
                 {"version", "1.0"},
                 {"timestamp", util::iso8601_ms(util::now_ms())},
                 {"DDBStreamBatchInfo", info}};
  if (result) {
    json response = {{"statusCode", result->status}, {"executedVersion", "$LATEST"}};
    if (!result->function_error.empty()) response["functionError"] = result->function_error;
    record["responseContext"] = response;
  }
  const std::string what = fmt::format(
      "{} record{} of {} (sequence numbers {} to {}), {}", records.size(),
      records.size() == 1 ? "" : "s", describe(), sequence_number(first), sequence_number(last),
      condition == "RecordAgeExceeded"
          ? fmt::format("older than maximumRecordAgeInSeconds ({})", mapping_.max_record_age_s)
          : fmt::format("after {} failed invocation{}", invocations, invocations == 1 ? "" : "s"));
  if (mapping_.on_failure.empty()) {
    host_.log(fmt::format("fx: discarded {}; no onFailure destination keeps them", what));
    return;
  }
  if (mapping_.on_failure.find(":sqs:") == std::string::npos) {
    host_.log(
        fmt::format("fx: discarded {}; the emulator has no SNS topics, so this record for "
                    "{} is only logged: {}",
                    what, mapping_.on_failure, record.dump()));
    return;
  }
  const std::string error = host_.send(mapping_.on_failure, record.dump());
  if (error.empty())
    host_.log(fmt::format("fx: discarded {}; sent to {}", what, mapping_.on_failure));
  else
    host_.log(fmt::format("fx: discarded {}; cannot send it to {}: {}", what, mapping_.on_failure,
                          error));
}

}  // namespace fx::sources
