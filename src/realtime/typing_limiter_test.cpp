#include "realtime/typing_limiter.hpp"

#include <gtest/gtest.h>

namespace parley::realtime {
namespace {

using namespace std::chrono_literals;

TEST(TypingLimiterTest, ABurstThenOnePerInterval) {
  TypingLimiter limiter(3, 2s);
  const auto t0 = TypingLimiter::Clock::now();
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_FALSE(limiter.allow(t0));
  EXPECT_FALSE(limiter.allow(t0 + 1999ms));
  EXPECT_TRUE(limiter.allow(t0 + 2s));
  EXPECT_FALSE(limiter.allow(t0 + 3s));
  EXPECT_TRUE(limiter.allow(t0 + 4s));
}

TEST(TypingLimiterTest, AQuietSocketGetsItsBurstBackButNoMore) {
  TypingLimiter limiter(2, 1s);
  const auto t0 = TypingLimiter::Clock::now();
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_TRUE(limiter.allow(t0));
  EXPECT_FALSE(limiter.allow(t0));
  const auto later = t0 + 1h;
  EXPECT_TRUE(limiter.allow(later));
  EXPECT_TRUE(limiter.allow(later));
  EXPECT_FALSE(limiter.allow(later)) << "an hour of silence is worth one burst, not 3,600 frames";
}

}  // namespace
}  // namespace parley::realtime
