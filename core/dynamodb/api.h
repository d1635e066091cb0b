// DynamoDB's JSON 1.0 protocol over a TableStore: what the AWS CLI, boto3 and the other SDKs
// send (POST / with `X-Amz-Target: DynamoDB_20120810.<Operation>` and an
// application/x-amz-json-1.0 body) and the answers they expect, errors as
// {"__type": "com.amazonaws.dynamodb.v20120810#<Type>", "message": ...} with DynamoDB's
// status codes. Synchronous: the emulator runs it on a worker thread, never on its I/O thread.
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fx::dynamodb {

class TableStore;

struct DynamoResult {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// True for the X-Amz-Target values handle_dynamodb serves ("DynamoDB_20120810.<Operation>").
bool is_dynamodb_target(std::string_view target);

// Runs one request. Never throws: every failure is a DynamoDB error answer (500
// InternalServerError for unexpected ones, whose details go to stderr).
DynamoResult handle_dynamodb(TableStore& store, std::string_view target, std::string_view body);

// The answers the Streams API shares with DynamoDB's: a JSON body, and the error answer for
// what a request threw (DynamoError, ValidationError; a 500 for anything else).
DynamoResult json_result(std::string body);
DynamoResult error_result(std::exception_ptr error);

// The largest request DynamoDB takes (a BatchWriteItem of 25 items of 400 KB and its JSON).
inline constexpr std::size_t kMaxRequestBytes = 16 * 1024 * 1024;

}  // namespace fx::dynamodb
