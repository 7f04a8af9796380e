#include "cache/memory_backend.hpp"

#include <functional>

namespace parley::cache {

using boost::asio::awaitable;

MemoryBackend::MemoryBackend(Options options, prometheus::Counter* evictions)
    : options_(options), shard_budget_(options.max_bytes / kShards), evictions_(evictions) {}

MemoryBackend::Shard& MemoryBackend::shard_of(std::string_view key) noexcept {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::optional<std::string> MemoryBackend::find(std::string_view key, Clock::time_point now) {
  Shard& shard = shard_of(key);
  std::shared_ptr<const std::string> value;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return std::nullopt;
    auto entry = it->second;
    if (entry->expires_at <= now) {
      shard.bytes -= entry->cost;
      shard.index.erase(it);
      shard.lru.erase(entry);
      return std::nullopt;
    }
    shard.lru.splice(shard.lru.begin(), shard.lru, entry);
    value = entry->value;
  }
  return *value;
}

void MemoryBackend::store(std::string key, std::string value, Clock::time_point expires_at) {
  const std::size_t cost = key.size() + value.size() + kEntryOverhead;
  Shard& shard = shard_of(key);
  if (cost > shard_budget_) {
    remove(key);  // a smaller, older value must not outlive this write
    return;
  }
  auto shared = std::make_shared<const std::string>(std::move(value));
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    auto entry = it->second;
    shard.bytes = shard.bytes - entry->cost + cost;
    entry->value = std::move(shared);
    entry->expires_at = expires_at;
    entry->cost = cost;
    shard.lru.splice(shard.lru.begin(), shard.lru, entry);
  } else {
    shard.lru.push_front(Entry{std::move(key), std::move(shared), expires_at, cost});
    shard.index.emplace(shard.lru.front().key, shard.lru.begin());
    shard.bytes += cost;
  }
  while (shard.bytes > shard_budget_ && shard.lru.size() > 1) {
    const Entry& victim = shard.lru.back();
    shard.bytes -= victim.cost;
    shard.index.erase(victim.key);
    shard.lru.pop_back();
    if (evictions_) evictions_->Increment();
  }
}

void MemoryBackend::remove(std::string_view key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return;
  auto entry = it->second;
  shard.bytes -= entry->cost;
  shard.index.erase(it);
  shard.lru.erase(entry);
}

std::uint64_t MemoryBackend::version(std::string_view ns) {
  std::lock_guard lock(versions_mutex_);
  // Heterogeneous lookup needs C++20 transparent hashing; namespaces are short, a copy is cheap.
  auto it = versions_.find(std::string(ns));
  return it == versions_.end() ? floor_ : it->second;
}

void MemoryBackend::bump_now(std::span<const std::string> namespaces) {
  std::lock_guard lock(versions_mutex_);
  if (versions_.size() + namespaces.size() > options_.max_namespaces) {
    versions_.clear();
    floor_ = ++clock_;  // every namespace moves past every version it ever had
  }
  for (const auto& ns : namespaces) versions_[ns] = ++clock_;
}

std::size_t MemoryBackend::bytes() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

std::size_t MemoryBackend::entries() {
  std::size_t total = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.lru.size();
  }
  return total;
}

awaitable<std::optional<std::string>> MemoryBackend::get(std::string key) { co_return find(key, Clock::now()); }

awaitable<void> MemoryBackend::set(std::string key, std::string value, std::chrono::milliseconds ttl) {
  store(std::move(key), std::move(value), Clock::now() + ttl);
  co_return;
}

awaitable<void> MemoryBackend::erase(std::string key) {
  remove(key);
  co_return;
}

awaitable<std::vector<std::uint64_t>> MemoryBackend::versions(std::vector<std::string> namespaces) {
  std::vector<std::uint64_t> out;
  out.reserve(namespaces.size());
  for (const auto& ns : namespaces) out.push_back(version(ns));
  co_return out;
}

awaitable<void> MemoryBackend::bump(std::vector<std::string> namespaces) {
  bump_now(namespaces);
  co_return;
}

}  // namespace parley::cache
