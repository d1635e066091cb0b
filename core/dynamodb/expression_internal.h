// Helpers shared by the expression parser and evaluator (not part of the dynamodb API).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/dynamodb/expression.h"

namespace fx::dynamodb::detail {

// `text` with every byte that is not part of valid UTF-8 replaced by U+FFFD, so that a message
// quoting the user's input can always go into a JSON answer.
std::string utf8_safe(std::string_view text);

// The length of `text` in UTF-16 code units: Java's String.length(), which DynamoDB's limits
// and size() count in.
std::size_t utf16_length(std::string_view text);

// The name DynamoDB gives an operator or function in messages: "=", "BETWEEN", "size", ...
std::string_view operator_name(Node::Op op);

}  // namespace fx::dynamodb::detail
