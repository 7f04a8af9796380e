#include "accounts/credential_cache.hpp"

#include "core/error.hpp"

#include <openssl/err.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>

namespace parley::accounts {

std::size_t CredentialCache::KeyHash::operator()(const Key& key) const noexcept {
  std::size_t h = 0;
  std::memcpy(&h, key.data(), sizeof h);  // a SHA-256: any 8 of its bytes are uniform
  return h;
}

CredentialCache::CredentialCache(Options options)
    : options_(options), per_shard_(options.capacity == 0 ? 0 : (options.capacity + kShards - 1) / kShards) {}

CredentialCache::Key CredentialCache::key_of(Kind kind, std::string_view credential) {
  std::string input;
  input.reserve(credential.size() + 1);
  input.push_back(static_cast<char>(kind));
  input.append(credential);
  Key key{};
  if (SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), key.data()) == nullptr) {
    ERR_clear_error();
    throw AppError::internal("SHA256 failed");
  }
  return key;
}

CredentialCache::Ticket CredentialCache::ticket(Clock::time_point now) const noexcept {
  return Ticket{epoch_.load(), now};
}

bool CredentialCache::current(std::int64_t user_id, std::uint64_t epoch) {
  if (epoch < floor_.load()) return false;
  UserShard& shard = user_shard(user_id);
  std::lock_guard lock(shard.mutex);
  auto it = shard.users.find(user_id);
  return it == shard.users.end() || it->second.epoch <= epoch;
}

std::optional<http::Principal> CredentialCache::find(Kind kind, std::string_view credential, Clock::time_point now) {
  if (per_shard_ == 0 || !live_.load()) return std::nullopt;
  const Key key = key_of(kind, credential);
  Shard& shard = shards_[KeyHash{}(key) % kShards];
  std::optional<http::Principal> principal;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return std::nullopt;
    if (now >= it->second->expires_at) {
      shard.lru.erase(it->second);
      shard.index.erase(it);
      return std::nullopt;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    principal = it->second->principal;
    epoch = it->second->epoch;
  }
  // Checked after the shard's lock is released (never two locks at once); an invalidated entry
  // is left for eviction or for the next insert of its key.
  if (!current(principal->user_id, epoch)) return std::nullopt;
  return principal;
}

void CredentialCache::insert(Kind kind, std::string_view credential, const http::Principal& principal, Ticket ticket,
                             Clock::time_point expires_at, Clock::time_point now) {
  if (per_shard_ == 0 || !live_.load()) return;
  expires_at = std::min(expires_at, ticket.taken_at + options_.max_ttl);
  if (now >= expires_at || !current(principal.user_id, ticket.epoch)) return;
  Key key = key_of(kind, credential);
  Shard& shard = shards_[KeyHash{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    it->second->principal = principal;
    it->second->epoch = ticket.epoch;
    it->second->expires_at = expires_at;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return;
  }
  if (shard.index.size() >= per_shard_) {
    shard.index.erase(shard.lru.back().key);
    shard.lru.pop_back();
  }
  shard.lru.push_front(Entry{key, principal, ticket.epoch, expires_at});
  shard.index.emplace(key, shard.lru.begin());
}

void CredentialCache::invalidate_user(std::int64_t user_id, Clock::time_point now) {
  const std::uint64_t epoch = ++epoch_;  // after every ticket taken so far
  UserShard& shard = user_shard(user_id);
  std::lock_guard lock(shard.mutex);
  shard.users.insert_or_assign(user_id, Invalidation{epoch, now});
  if (shard.users.size() > kPruneAbove) {
    // An entry lives at most max_ttl after its ticket, so once an invalidation is older than
    // that, every entry it was invalidating has expired.
    std::erase_if(shard.users, [&](const auto& item) { return item.second.at + options_.max_ttl < now; });
    if (shard.users.size() > kPruneAbove) {
      // Still too many recent ones: forget them all, and every entry with them.
      raise_floor();
      shard.users.clear();
    }
  }
}

void CredentialCache::raise_floor() noexcept {
  const std::uint64_t epoch = ++epoch_;
  // Never lowered: of two concurrent clears, the later epoch stays.
  std::uint64_t floor = floor_.load();
  while (floor < epoch && !floor_.compare_exchange_weak(floor, epoch)) {
  }
}

void CredentialCache::clear() {
  raise_floor();
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.index.clear();
    shard.lru.clear();
  }
}

void CredentialCache::suspend() {
  live_.store(false);
  clear();
}

void CredentialCache::resume() {
  clear();
  live_.store(true);
}

std::size_t CredentialCache::size() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.index.size();
  }
  return total;
}

std::size_t CredentialCache::remembered_users() {
  std::size_t total = 0;
  for (auto& shard : user_shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.users.size();
  }
  return total;
}

}  // namespace parley::accounts
