#include "core/gateway/auth_cache.h"

#include <iterator>

namespace fx::gateway {

std::optional<std::string> AuthCache::get(const std::string& key, std::int64_t now_ms) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires_ms <= now_ms) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.answer;
}

void AuthCache::put(const std::string& key, std::string answer, int ttl_s, std::int64_t now_ms) {
  if (ttl_s <= 0) return;
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    // Full of distinct identities (a client trying tokens): drop the stale ones, and if that
    // frees nothing, everything; the cost is only more authorizer calls.
    std::erase_if(entries_, [&](const auto& e) { return e.second.expires_ms <= now_ms; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = Entry{std::move(answer), now_ms + static_cast<std::int64_t>(ttl_s) * 1000};
}

std::string AuthCache::key(const std::string& authorizer, const std::string& function,
                           const std::string& identity) {
  std::string k;
  k.reserve(authorizer.size() + function.size() + identity.size() + 2);
  k += authorizer;
  k += '\n';
  k += function;
  k += '\n';
  k += identity;
  return k;
}

}  // namespace fx::gateway
