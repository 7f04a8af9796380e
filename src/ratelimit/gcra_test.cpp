#include "ratelimit/gcra.hpp"

#include <gtest/gtest.h>

namespace parley::ratelimit {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;  // ms since the epoch

// Runs requests against one bucket like a store would: stores the TAT only when allowed.
struct Bucket {
  std::int64_t interval;
  std::int64_t burst;
  std::int64_t tat = 0;
  BucketState take(std::int64_t now) {
    auto step = gcra_step(tat, now, interval, burst);
    if (step.state.allowed) tat = step.new_tat;
    return step.state;
  }
};

TEST(GcraTest, AFullBucketAllowsExactlyItsBurstAtOnce) {
  Bucket bucket{.interval = 200, .burst = 20};  // 5/s burst 20
  for (int i = 0; i < 20; ++i) {
    auto state = bucket.take(kStart);
    ASSERT_TRUE(state.allowed) << "request " << i;
    EXPECT_EQ(state.remaining, 19 - i);
  }
  auto refused = bucket.take(kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after.count(), 200);        // one interval until one more fits
  EXPECT_EQ(refused.reset_after.count(), 20 * 200);   // a full burst to refill
}

TEST(GcraTest, TheEdgeOfTheIntervalIsExact) {
  Bucket bucket{.interval = 1000, .burst = 1};  // 1/s, no burst
  EXPECT_TRUE(bucket.take(kStart).allowed);
  EXPECT_FALSE(bucket.take(kStart + 999).allowed);  // one millisecond early
  EXPECT_TRUE(bucket.take(kStart + 1000).allowed);  // exactly on time
  EXPECT_FALSE(bucket.take(kStart + 1000).allowed);
}

TEST(GcraTest, NoWindowEdgeLetsTwiceTheQuotaThrough) {
  // A fixed window of 10/10s lets 10 through at 9.999 s and 10 more at 10.000 s. GCRA with the
  // same rate and burst lets through 10 at once, then one per second.
  Bucket bucket{.interval = 1000, .burst = 10};
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += bucket.take(kStart + 9'999).allowed;
  for (int i = 0; i < 10; ++i) allowed += bucket.take(kStart + 10'000).allowed;
  EXPECT_EQ(allowed, 10);  // 10 from the full bucket; at 10.000 s only 1 ms has refilled
  EXPECT_TRUE(bucket.take(kStart + 10'999).allowed);
}

TEST(GcraTest, ARefusedRequestChangesNothing) {
  Bucket bucket{.interval = 100, .burst = 2};
  bucket.take(kStart);
  bucket.take(kStart);
  const auto tat = bucket.tat;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(bucket.take(kStart + 50).allowed);
  EXPECT_EQ(bucket.tat, tat);  // hammering while refused does not push the wait further out
  EXPECT_TRUE(bucket.take(kStart + 100).allowed);
}

TEST(GcraTest, AnIdleBucketRefillsToItsBurstAndNoFurther) {
  Bucket bucket{.interval = 100, .burst = 3};
  for (int i = 0; i < 3; ++i) bucket.take(kStart);
  auto state = bucket.take(kStart + 3600'000);  // an hour later: full, not 36,000 requests' worth
  EXPECT_TRUE(state.allowed);
  EXPECT_EQ(state.remaining, 2);
}

TEST(GcraTest, UntakenReportsTheStateBeforeTheStep) {
  const auto step = gcra_step(0, kStart, 100, 5);
  const auto state = untaken(step, 0, kStart);
  EXPECT_EQ(state.remaining, 5);
  EXPECT_EQ(state.reset_after.count(), 0);
}

}  // namespace
}  // namespace parley::ratelimit
