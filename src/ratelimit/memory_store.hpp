#pragma once
// Rate-limit buckets in this process: the embedded default, and exact for one replica only (N
// replicas each allow the full rate). Sharded maps of key -> TAT under one mutex per shard; a
// take locks the shards of its buckets in index order, so two-bucket takes cannot deadlock.
//
// Bounded: a shard holds at most max_entries / kShards buckets. A full shard first drops the
// buckets that are full again (TAT in the past: the same as absent); if none is, it drops an
// eighth of its entries, which then start full — under a flood of distinct keys some subjects
// get a fresh burst, the price of bounded memory (the Redis store has no such limit).
#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ratelimit/store.hpp"

namespace parley::ratelimit {

class MemoryRateLimitStore final : public RateLimitStore {
 public:
  static constexpr std::size_t kShards = 16;

  explicit MemoryRateLimitStore(std::size_t max_entries = 1'000'000);

  boost::asio::awaitable<Decision> take(std::span<const Bucket> buckets, std::int64_t now_ms) override;
  std::string_view name() const noexcept override { return "memory"; }

  // The synchronous core of take().
  Decision take_now(std::span<const Bucket> buckets, std::int64_t now_ms);
  // Buckets held, full ones included.
  std::size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::int64_t> tats;
  };
  static std::size_t shard_of(const std::string& key) noexcept;
  void store(Shard& shard, const std::string& key, std::int64_t tat, std::int64_t now_ms);  // shard locked

  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace parley::ratelimit
