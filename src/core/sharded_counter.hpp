#pragma once
// A counter many threads increment on hot paths (frames, deliveries) without sharing one cache
// line: each thread adds to one of a few padded atomics picked by its thread, and a reader (a
// metrics scrape) sums them. Reads are a snapshot: increments racing with a read land in the next.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>

namespace parley::core {

class ShardedCounter {
 public:
  void add(std::uint64_t n = 1) noexcept { shards_[index()].value.fetch_add(n, std::memory_order_relaxed); }
  ShardedCounter& operator++() noexcept {
    add(1);
    return *this;
  }
  std::uint64_t load() const noexcept {
    std::uint64_t total = 0;
    for (const auto& shard : shards_) total += shard.value.load(std::memory_order_relaxed);
    return total;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct alignas(64) Shard {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t index() noexcept {
    thread_local const std::size_t mine = std::hash<std::thread::id>{}(std::this_thread::get_id()) % kShards;
    return mine;
  }
  std::array<Shard, kShards> shards_{};
};

}  // namespace parley::core
