#include "ratelimit/memory_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/testing.hpp"

namespace parley::ratelimit {
namespace {

using parley::testing::run_awaitable;

constexpr std::int64_t kNow = 1'700'000'000'000;

RatePolicy policy(std::int64_t interval_ms, std::int64_t burst) {
  return RatePolicy{.interval = std::chrono::milliseconds(interval_ms), .burst = burst};
}

TEST(MemoryRateLimitStoreTest, TwoBucketsAreAllOrNothing) {
  MemoryRateLimitStore store;
  const auto general = policy(100, 100);
  const auto send = policy(200, 2);
  const Bucket buckets[] = {{"user:{u1}", &general}, {"send:{u1}", &send}};
  EXPECT_TRUE(store.take_now(buckets, kNow).allowed);
  EXPECT_TRUE(store.take_now(buckets, kNow).allowed);
  auto refused = store.take_now(buckets, kNow);
  ASSERT_FALSE(refused.allowed);
  EXPECT_FALSE(refused.buckets[1].allowed);
  // The general bucket gave nothing for the refused request: it still shows 98 left.
  EXPECT_TRUE(refused.buckets[0].allowed);
  EXPECT_EQ(refused.buckets[0].remaining, 98);
  const Bucket general_only[] = {{"user:{u1}", &general}};
  EXPECT_EQ(store.take_now(general_only, kNow).buckets[0].remaining, 97);
}

TEST(MemoryRateLimitStoreTest, SubjectsHaveTheirOwnBuckets) {
  MemoryRateLimitStore store;
  const auto p = policy(1000, 1);
  const Bucket alice[] = {{"send:{u1}", &p}};
  const Bucket bob[] = {{"send:{u2}", &p}};
  EXPECT_TRUE(store.take_now(alice, kNow).allowed);
  EXPECT_FALSE(store.take_now(alice, kNow).allowed);
  EXPECT_TRUE(store.take_now(bob, kNow).allowed);
}

TEST(MemoryRateLimitStoreTest, StaysWithinItsBoundUnderAFloodOfKeys) {
  MemoryRateLimitStore store(1'600);
  const auto p = policy(1000, 5);
  for (int i = 0; i < 20'000; ++i) {
    const Bucket bucket[] = {{"anonymous:{10.0." + std::to_string(i) + "}", &p}};
    ASSERT_TRUE(store.take_now(bucket, kNow).allowed);
  }
  EXPECT_LE(store.size(), 1'600u);
}

TEST(MemoryRateLimitStoreTest, ConcurrentTakesAllowExactlyTheBurst) {
  MemoryRateLimitStore store;
  const auto p = policy(60'000, 50);  // nothing refills during the test
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      const auto general = policy(1, 1'000'000);
      for (int i = 0; i < 100; ++i) {
        const Bucket buckets[] = {{"user:{u7}", &general}, {"send:{u7}", &p}};
        if (store.take_now(buckets, kNow).allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 50);
}

TEST(MemoryRateLimitStoreTest, TheAwaitableAnswersLikeTheCore) {
  MemoryRateLimitStore store;
  const auto p = policy(1000, 1);
  const Bucket bucket[] = {{"k", &p}};
  EXPECT_TRUE(run_awaitable(store.take(bucket, kNow)).allowed);
  EXPECT_FALSE(run_awaitable(store.take(bucket, kNow)).allowed);
}

}  // namespace
}  // namespace parley::ratelimit
