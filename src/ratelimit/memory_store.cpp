#include "ratelimit/memory_store.hpp"

#include <algorithm>
#include <cassert>

namespace parley::ratelimit {

MemoryRateLimitStore::MemoryRateLimitStore(std::size_t max_entries)
    : max_per_shard_(std::max<std::size_t>(max_entries / kShards, 1)) {}

std::size_t MemoryRateLimitStore::shard_of(const std::string& key) noexcept {
  return std::hash<std::string>{}(key) % kShards;
}

boost::asio::awaitable<Decision> MemoryRateLimitStore::take(std::span<const Bucket> buckets, std::int64_t now_ms) {
  co_return take_now(buckets, now_ms);
}

Decision MemoryRateLimitStore::take_now(std::span<const Bucket> buckets, std::int64_t now_ms) {
  assert(buckets.size() <= kMaxBuckets);
  // Lock each distinct shard once, lowest index first.
  std::array<std::size_t, kMaxBuckets> shard_index{};
  for (std::size_t i = 0; i < buckets.size(); ++i) shard_index[i] = shard_of(buckets[i].key);
  std::array<std::size_t, kMaxBuckets> order = shard_index;
  std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(buckets.size()));
  std::array<std::unique_lock<std::mutex>, kMaxBuckets> locks;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (i > 0 && order[i] == order[i - 1]) continue;
    locks[i] = std::unique_lock(shards_[order[i]].mutex);
  }

  Decision decision;
  decision.allowed = true;
  decision.count = buckets.size();
  std::array<GcraStep, kMaxBuckets> steps{};
  std::array<std::int64_t, kMaxBuckets> tats{};
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const auto& tats_of_shard = shards_[shard_index[i]].tats;
    auto it = tats_of_shard.find(buckets[i].key);
    tats[i] = it == tats_of_shard.end() ? 0 : it->second;
    const auto& policy = *buckets[i].policy;
    steps[i] = gcra_step(tats[i], now_ms, policy.interval.count(), policy.burst);
    decision.buckets[i] = steps[i].state;
    if (!steps[i].state.allowed) decision.allowed = false;
  }
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    if (decision.allowed) {
      store(shards_[shard_index[i]], buckets[i].key, steps[i].new_tat, now_ms);
    } else if (steps[i].state.allowed) {
      decision.buckets[i] = untaken(steps[i], tats[i], now_ms);
    }
  }
  return decision;
}

void MemoryRateLimitStore::store(Shard& shard, const std::string& key, std::int64_t tat, std::int64_t now_ms) {
  if (auto it = shard.tats.find(key); it != shard.tats.end()) {
    it->second = tat;
    return;
  }
  if (shard.tats.size() >= max_per_shard_) {
    std::erase_if(shard.tats, [now_ms](const auto& entry) { return entry.second <= now_ms; });
    if (shard.tats.size() >= max_per_shard_) {
      std::size_t drop = std::max<std::size_t>(shard.tats.size() / 8, 1);
      for (auto it = shard.tats.begin(); it != shard.tats.end() && drop > 0; --drop) it = shard.tats.erase(it);
    }
  }
  shard.tats.emplace(key, tat);
}

std::size_t MemoryRateLimitStore::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.tats.size();
  }
  return total;
}

}  // namespace parley::ratelimit
