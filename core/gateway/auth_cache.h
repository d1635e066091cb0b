// The answers of Lambda authorizers, kept for their resultTtlInSeconds as API Gateway keeps
// them: keyed on the authorizer and the request's identity (its identity sources' values), so
// a request carrying the same token within the TTL does not call the authorizer again. A
// cached IAM policy is evaluated again on each request's method ARN, as API Gateway does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace fx::gateway {

class AuthCache {
 public:
  explicit AuthCache(std::size_t max_entries = 10000) : max_entries_(max_entries) {}

  // The answer kept for `key`, if still fresh at `now_ms`.
  std::optional<std::string> get(const std::string& key, std::int64_t now_ms);
  // Keeps `answer` until now_ms + ttl_s seconds; ttl 0 keeps nothing.
  void put(const std::string& key, std::string answer, int ttl_s, std::int64_t now_ms);
  // Forgets every answer (a redeploy may have changed the authorizers).
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

  // The key of one authorizer's answer for one identity.
  static std::string key(const std::string& authorizer, const std::string& function,
                         const std::string& identity);

 private:
  struct Entry {
    std::string answer;
    std::int64_t expires_ms;
  };
  std::unordered_map<std::string, Entry> entries_;
  std::size_t max_entries_;
};

}  // namespace fx::gateway
