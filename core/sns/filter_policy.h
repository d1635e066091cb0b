// SNS subscription filter policies: which published messages a subscription receives. A
// policy applies to the message's attributes (FilterPolicyScope MessageAttributes, the
// default) or to its body as JSON (MessageBody). Its operators are EventBridge's, but matched
// as SNS documents them: a String.Array attribute matches when any element does, numeric
// conditions match Number attributes only, string conditions String ones, and a missing
// attribute matches only {"exists": false}.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fx::sns {

// A message attribute as Publish takes it.
struct MessageAttribute {
  std::string name;
  std::string data_type;     // String, Number, Binary or String.Array (String/Number/Binary
                             // may carry a ".label")
  std::string string_value;  // String, Number, String.Array
  std::string binary_value;  // Binary: the raw bytes
};

// Why a policy is refused; AWS's words after "Invalid parameter: FilterPolicy: ".
class PolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FilterPolicy {
 public:
  FilterPolicy();  // no policy: every message matches
  ~FilterPolicy();
  FilterPolicy(const FilterPolicy&);
  FilterPolicy& operator=(const FilterPolicy&);

  // Throws PolicyError: not a JSON object, an empty one, a condition list that is not a list,
  // an unknown or malformed operator, more than 5 keys or 150 combinations of values, nested
  // objects in an attribute-scope policy.
  static FilterPolicy parse(std::string_view json_text, bool body_scope);

  bool empty() const;
  bool body_scope() const;
  // Whether a message with these attributes and this body passes.
  bool matches(const std::vector<MessageAttribute>& attributes, std::string_view message) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace fx::sns
