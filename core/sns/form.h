// A Query-protocol request body (application/x-www-form-urlencoded, as the AWS CLI and SDKs
// send SNS's calls) read into its parameters, and the flattened lists and maps the Query
// protocol spells out in them (Attributes.entry.N.key, Tags.member.N.Key, ...).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/util/encoding.h"

namespace fx::sns {

// Why a body is not a form: a malformed %-escape, or a name or value that is not UTF-8.
class FormError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using util::valid_utf8;  // core/util/encoding.h

class Form {
 public:
  // Throws FormError. A parameter given twice keeps its last value, as AWS's front end does.
  static Form parse(std::string_view body);

  bool has(const std::string& key) const { return params_.count(key) > 0; }
  // "" when absent.
  const std::string& get(const std::string& key) const;
  const std::map<std::string, std::string>& params() const { return params_; }

  // PREFIX.entry.N.key / PREFIX.entry.N.value for N = 1, 2, ... until one is missing.
  std::vector<std::pair<std::string, std::string>> entries(const std::string& prefix,
                                                           const char* key = "key",
                                                           const char* value = "value") const;
  // PREFIX.member.N for N = 1, 2, ...
  std::vector<std::string> members(const std::string& prefix) const;
  // How many PREFIX.member.N (or .entry.N) with any suffix there are, counting from 1.
  int count(const std::string& prefix, const char* kind = "member") const;

 private:
  std::map<std::string, std::string> params_;
};

}  // namespace fx::sns
