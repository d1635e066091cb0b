// The errors DynamoDB answers, as the store and the API raise them: the error's shape name
// (ResourceNotFoundException, ConditionalCheckFailedException, ...) and HTTP status. A
// ValidationException is value.h's ValidationError; everything else is a DynamoError.
#pragma once

#include <stdexcept>
#include <string>

namespace fx::dynamodb {

class DynamoError : public std::runtime_error {
 public:
  DynamoError(std::string type, const std::string& message, int status = 400)
      : std::runtime_error(message), type_(std::move(type)), status_(status) {}
  // The name after '#' in `__type`: "ResourceNotFoundException".
  const std::string& type() const { return type_; }
  int status() const { return status_; }
  // More members of the error's JSON beside __type and message (the Item of a failed
  // condition, a transaction's CancellationReasons): a JSON object's text, or "".
  std::string extra;
  // Where the error's shape lives: DynamoDB's own namespace, or coral's for protocol errors
  // (SerializationException, UnknownOperationException).
  bool coral = false;

 private:
  std::string type_;
  int status_;
};

// "Requested resource not found" (GetItem and friends on a missing table).
inline DynamoError table_not_found() {
  return DynamoError("ResourceNotFoundException", "Requested resource not found");
}
// DescribeTable's and DeleteTable's longer words.
inline DynamoError table_not_found(const std::string& name) {
  return DynamoError("ResourceNotFoundException",
                     "Requested resource not found: Table: " + name + " not found");
}

}  // namespace fx::dynamodb
