#include "auth/verified_token_cache.hpp"

#include <functional>

#include "auth/tokens.hpp"

namespace parley::auth {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

VerifiedTokenCache::Shard& VerifiedTokenCache::shard_of(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

std::optional<std::string> VerifiedTokenCache::find(std::string_view token, Clock::time_point now) {
  if (per_shard_ == 0) return std::nullopt;
  const std::string key = token_hash(token);
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return std::nullopt;
  if (now >= it->second.expires_at) {
    shard.entries.erase(it);
    return std::nullopt;
  }
  return it->second.subject;
}

void VerifiedTokenCache::insert(std::string_view token, std::string subject, Clock::time_point expires_at,
                                Clock::time_point now) {
  if (per_shard_ == 0 || now >= expires_at) return;
  std::string key = token_hash(token);
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= per_shard_) {
    std::erase_if(shard.entries, [now](const auto& entry) { return now >= entry.second.expires_at; });
    if (shard.entries.size() >= per_shard_) shard.entries.clear();
  }
  shard.entries.insert_or_assign(std::move(key), Entry{std::move(subject), expires_at});
}

std::size_t VerifiedTokenCache::size() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.entries.size();
  }
  return total;
}

}  // namespace parley::auth
