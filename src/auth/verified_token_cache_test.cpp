#include "auth/verified_token_cache.hpp"

#include <gtest/gtest.h>

namespace parley::auth {
namespace {

using namespace std::chrono_literals;
using Clock = VerifiedTokenCache::Clock;

TEST(VerifiedTokenCache, RemembersATokenUntilItExpires) {
  VerifiedTokenCache cache(100);
  const auto now = Clock::now();
  EXPECT_FALSE(cache.find("tok", now));
  cache.insert("tok", "42", now + 60s, now);
  EXPECT_EQ(cache.find("tok", now + 59s), "42");
  EXPECT_FALSE(cache.find("other", now));
  EXPECT_FALSE(cache.find("tok", now + 60s)) << "expired entries are gone";
  EXPECT_EQ(cache.size(), 0u);
  cache.insert("late", "7", now - 1s, now);
  EXPECT_EQ(cache.size(), 0u) << "an expired token is not cached";
}

TEST(VerifiedTokenCache, StaysWithinItsCapacity) {
  VerifiedTokenCache cache(64);
  const auto now = Clock::now();
  for (int i = 0; i < 10000; ++i) cache.insert("t" + std::to_string(i), "1", now + 1h, now);
  EXPECT_LE(cache.size(), 64u);
  cache.insert("fresh", "9", now + 1h, now);
  EXPECT_EQ(cache.find("fresh", now), "9");
}

TEST(VerifiedTokenCache, ZeroCapacityDisablesIt) {
  VerifiedTokenCache cache(0);
  const auto now = Clock::now();
  cache.insert("tok", "42", now + 60s, now);
  EXPECT_FALSE(cache.find("tok", now));
}

}  // namespace
}  // namespace parley::auth
