// The in-process store: TTL, the byte cap with LRU eviction, versions that are never reused.
#include "cache/memory_backend.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "cache/cache.hpp"

namespace parley::cache {
namespace {

using namespace std::chrono_literals;
using Clock = MemoryBackend::Clock;

TEST(MemoryBackend, StoresUntilTheTtlPasses) {
  MemoryBackend store({});
  const auto now = Clock::now();
  store.store("k", "value", now + 100ms);
  EXPECT_EQ(store.find("k", now), "value");
  EXPECT_EQ(store.find("k", now + 99ms), "value");
  EXPECT_EQ(store.find("k", now + 100ms), std::nullopt);
  EXPECT_EQ(store.entries(), 0u);  // an expired entry found is dropped
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(MemoryBackend, ReplacesAndErases) {
  MemoryBackend store({});
  const auto later = Clock::now() + 1min;
  store.store("k", "one", later);
  store.store("k", "two", later);
  EXPECT_EQ(store.find("k", Clock::now()), "two");
  EXPECT_EQ(store.entries(), 1u);
  store.remove("k");
  EXPECT_EQ(store.find("k", Clock::now()), std::nullopt);
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(MemoryBackend, EvictsTheLeastRecentlyUsedToStayUnderItsBytes) {
  prometheus::Registry registry;
  auto& evictions = memory_evictions_counter(registry);
  // 16 shards of 4 KiB: 1 KiB values, so about three fit per shard.
  MemoryBackend store({.max_bytes = 64 * 1024}, &evictions);
  const std::string value(1000, 'x');
  const auto later = Clock::now() + 1min;
  for (int i = 0; i < 1000; ++i) store.store("key" + std::to_string(i), value, later);
  EXPECT_LE(store.bytes(), 64u * 1024);
  EXPECT_GT(store.entries(), 16u);
  EXPECT_EQ(evictions.Value(), 1000.0 - static_cast<double>(store.entries()));
  EXPECT_EQ(store.find("key999", Clock::now()), value);  // the newest stay
  EXPECT_EQ(store.find("key0", Clock::now()), std::nullopt);

  // A read makes an entry recent: it survives the next writes into its shard.
  MemoryBackend small({.max_bytes = 16 * 3 * 1200});
  small.store("a", value, later);
  std::vector<std::string> same_shard;
  for (int i = 0; same_shard.size() < 3; ++i) {
    std::string key = "b" + std::to_string(i);
    if (std::hash<std::string_view>{}(key) % MemoryBackend::kShards ==
        std::hash<std::string_view>{}("a") % MemoryBackend::kShards) {
      same_shard.push_back(key);
    }
  }
  small.store(same_shard[0], value, later);
  small.store(same_shard[1], value, later);
  EXPECT_TRUE(small.find("a", Clock::now()));  // "a" is now the most recent
  small.store(same_shard[2], value, later);     // evicts same_shard[0], the least recent
  EXPECT_TRUE(small.find("a", Clock::now()));
  EXPECT_FALSE(small.find(same_shard[0], Clock::now()));
}

TEST(MemoryBackend, AValueLargerThanAShardIsNotStoredAndDropsTheOldOne) {
  MemoryBackend store({.max_bytes = 16 * 1024});
  const auto later = Clock::now() + 1min;
  store.store("k", "small", later);
  store.store("k", std::string(2000, 'x'), later);
  EXPECT_EQ(store.find("k", Clock::now()), std::nullopt);
}

TEST(MemoryBackend, VersionsRiseAndAreNeverReused) {
  MemoryBackend store({.max_namespaces = 4});
  EXPECT_EQ(store.version("a"), 0u);
  const std::vector<std::string> a{"a"};
  store.bump_now(a);
  const auto a1 = store.version("a");
  EXPECT_GT(a1, 0u);
  EXPECT_EQ(store.version("b"), 0u);
  store.bump_now(a);
  EXPECT_GT(store.version("a"), a1);
  // Past max_namespaces everything is forgotten: every namespace reads a version above all issued.
  std::uint64_t highest = store.version("a");
  const std::vector<std::string> many{"b", "c", "d", "e"};
  store.bump_now(many);
  for (const auto& ns : many) highest = std::max(highest, store.version(ns));
  const std::vector<std::string> f{"f"};
  store.bump_now(f);
  EXPECT_GT(store.version("a"), highest);
  EXPECT_GT(store.version("zzz"), 0u);
}

}  // namespace
}  // namespace parley::cache
