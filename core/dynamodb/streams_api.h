// DynamoDB Streams' JSON 1.0 protocol over a TableStore's streams: what the AWS CLI's
// `dynamodbstreams` commands and boto3's `dynamodbstreams` client send (POST / with
// `X-Amz-Target: DynamoDBStreams_20120810.<Operation>`, the endpoint
// AWS_ENDPOINT_URL_DYNAMODB_STREAMS names) and the answers they expect: ListStreams,
// DescribeStream, GetShardIterator and GetRecords, errors as DynamoDB's (api.h).
//
// Each stream has one shard, open while the stream is on and closed (EndingSequenceNumber) once
// it is off or its table is gone; its records stay readable for their 24 hours. A shard
// iterator is `STREAM_ARN|1|` and a base64 token holding the stream, the position (the last
// sequence number read) and when it was issued, signed with a key kept in the store (HMAC):
// a forged or garbled iterator is a ValidationException, one older than 15 minutes an
// ExpiredIteratorException. Synchronous: the emulator runs it on DynamoDB's worker thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/dynamodb/api.h"

namespace fx::dynamodb {

inline constexpr std::int64_t kIteratorLifetimeMs = 15 * 60 * 1000;

// The id of a stream's one shard, made from the stream's creation time and ARN, so it is the
// same on every call and across restarts. The stream event source names it too (a discarded
// batch's DDBStreamBatchInfo), so the two must agree.
std::string stream_shard_id(std::int64_t stream_created_ms, std::string_view stream_arn);

// True for "DynamoDBStreams_20120810.<Operation>".
bool is_streams_target(std::string_view target);

// Runs one request; never throws. `now_ms` is the clock iterators are issued and expire by (the
// store's when empty; the emulator's runs faster under FX_EMULATOR_CLOCK_SPEED).
DynamoResult handle_streams(TableStore& store, std::string_view target, std::string_view body,
                            const std::function<std::int64_t()>& now_ms = {});

}  // namespace fx::dynamodb
