#include "accounts/credential_cache.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace parley::accounts {
namespace {

using namespace std::chrono_literals;
using Clock = CredentialCache::Clock;
using Kind = CredentialCache::Kind;

http::Principal principal_of(std::int64_t user_id, std::string role = "member") {
  return http::Principal{.user_id = user_id, .role = std::move(role)};
}

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

TEST(CredentialCache, RemembersACredentialUntilItsExpiry) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  EXPECT_FALSE(cache.find(Kind::bearer, "tok", kNow));
  cache.insert(Kind::bearer, "tok", principal_of(42, "admin"), cache.ticket(kNow), kNow + 10s, kNow);
  auto hit = cache.find(Kind::bearer, "tok", kNow + 9s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->user_id, 42);
  EXPECT_EQ(hit->role, "admin");
  EXPECT_FALSE(cache.find(Kind::bearer, "other", kNow));
  EXPECT_FALSE(cache.find(Kind::bearer, "tok", kNow + 10s)) << "gone at its expiry";
  EXPECT_EQ(cache.size(), 0u) << "an expired entry is dropped when met";
  cache.insert(Kind::bearer, "late", principal_of(7), cache.ticket(kNow), kNow - 1s, kNow);
  EXPECT_EQ(cache.size(), 0u) << "an expired credential is not stored";
}

TEST(CredentialCache, NoEntryOutlivesMaxTtlAfterItsTicket) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  auto ticket = cache.ticket(kNow);
  cache.insert(Kind::bearer, "tok", principal_of(1), ticket, kNow + 1h, kNow + 5s);
  EXPECT_TRUE(cache.find(Kind::bearer, "tok", kNow + 59s));
  EXPECT_FALSE(cache.find(Kind::bearer, "tok", kNow + 60s)) << "max_ttl counts from the ticket, not the insert";
}

TEST(CredentialCache, KindsDoNotAnswerForEachOther) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  cache.insert(Kind::session, "same-text", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  EXPECT_TRUE(cache.find(Kind::session, "same-text", kNow));
  EXPECT_FALSE(cache.find(Kind::bearer, "same-text", kNow));
}

TEST(CredentialCache, StaysWithinItsCapacityAndEvictsTheLeastRecentlyUsed) {
  CredentialCache cache({.capacity = 64, .max_ttl = 1h});
  cache.insert(Kind::bearer, "kept", principal_of(1), cache.ticket(kNow), kNow + 1h, kNow);
  for (int i = 0; i < 10'000; ++i) {
    cache.insert(Kind::bearer, "t" + std::to_string(i), principal_of(2), cache.ticket(kNow), kNow + 1h, kNow);
    ASSERT_TRUE(cache.find(Kind::bearer, "kept", kNow)) << "used all the time, so never the eviction victim";
  }
  EXPECT_LE(cache.size(), 64u);
  EXPECT_FALSE(cache.find(Kind::bearer, "t0", kNow)) << "unused since long ago";
  EXPECT_TRUE(cache.find(Kind::bearer, "t9999", kNow));
}

TEST(CredentialCache, ZeroCapacityDisablesIt) {
  CredentialCache cache({.capacity = 0, .max_ttl = 60s});
  EXPECT_FALSE(cache.enabled());
  cache.insert(Kind::bearer, "tok", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  EXPECT_FALSE(cache.find(Kind::bearer, "tok", kNow));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCache, InvalidatingAUserDropsTheirEntriesOnly) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  cache.insert(Kind::bearer, "alice-1", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  cache.insert(Kind::session, "alice-2", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  cache.insert(Kind::bearer, "bob", principal_of(2), cache.ticket(kNow), kNow + 30s, kNow);
  cache.invalidate_user(1, kNow);
  EXPECT_FALSE(cache.find(Kind::bearer, "alice-1", kNow));
  EXPECT_FALSE(cache.find(Kind::session, "alice-2", kNow));
  EXPECT_TRUE(cache.find(Kind::bearer, "bob", kNow));
  // Filled again after the invalidation (a fresh database read): valid.
  cache.insert(Kind::bearer, "alice-1", principal_of(1, "guest"), cache.ticket(kNow), kNow + 30s, kNow);
  auto hit = cache.find(Kind::bearer, "alice-1", kNow);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->role, "guest");
}

TEST(CredentialCache, AReadThatRacedAnInvalidationIsNotStored) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  auto ticket = cache.ticket(kNow);  // taken before the database read ...
  cache.invalidate_user(1, kNow);    // ... that a revocation then overtook
  cache.insert(Kind::bearer, "tok", principal_of(1), ticket, kNow + 30s, kNow);
  EXPECT_FALSE(cache.find(Kind::bearer, "tok", kNow));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(CredentialCache, ClearInvalidatesEveryEntryAndEveryOlderTicket) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  auto before = cache.ticket(kNow);
  cache.insert(Kind::bearer, "a", principal_of(1), before, kNow + 30s, kNow);
  cache.clear();
  EXPECT_FALSE(cache.find(Kind::bearer, "a", kNow));
  cache.insert(Kind::bearer, "b", principal_of(2), before, kNow + 30s, kNow);
  EXPECT_FALSE(cache.find(Kind::bearer, "b", kNow)) << "a ticket from before the clear";
  cache.insert(Kind::bearer, "c", principal_of(3), cache.ticket(kNow), kNow + 30s, kNow);
  EXPECT_TRUE(cache.find(Kind::bearer, "c", kNow));
}

TEST(CredentialCache, ASuspendedCacheNeitherAnswersNorStores) {
  CredentialCache cache({.capacity = 100, .max_ttl = 60s});
  cache.insert(Kind::bearer, "a", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  cache.suspend();
  EXPECT_FALSE(cache.find(Kind::bearer, "a", kNow));
  cache.insert(Kind::bearer, "b", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  EXPECT_EQ(cache.size(), 0u);
  cache.resume();
  EXPECT_FALSE(cache.find(Kind::bearer, "a", kNow)) << "resume starts empty";
  cache.insert(Kind::bearer, "c", principal_of(1), cache.ticket(kNow), kNow + 30s, kNow);
  EXPECT_TRUE(cache.find(Kind::bearer, "c", kNow));
}

TEST(CredentialCache, RememberedInvalidationsArePrunedOnceNoEntryCanPredateThem) {
  CredentialCache cache({.capacity = 100'000, .max_ttl = 60s});
  for (std::int64_t user = 0; user < 100'000; ++user) cache.invalidate_user(user, kNow + std::chrono::milliseconds(user));
  EXPECT_LE(cache.remembered_users(), 16u * 1025u) << "bounded even under a burst";
  // Later invalidations prune those older than max_ttl.
  for (std::int64_t user = 0; user < 20'000; ++user) cache.invalidate_user(user, kNow + 10min);
  EXPECT_LE(cache.remembered_users(), 16u * 1025u);
  // Whatever was pruned or cleared, an invalidated user's older entries stay invalid.
  auto ticket = cache.ticket(kNow + 10min);
  cache.insert(Kind::bearer, "x", principal_of(5), ticket, kNow + 11min, kNow + 10min);
  EXPECT_TRUE(cache.find(Kind::bearer, "x", kNow + 10min));
  cache.invalidate_user(5, kNow + 10min);
  EXPECT_FALSE(cache.find(Kind::bearer, "x", kNow + 10min));
}

TEST(CredentialCache, ManyThreadsAtOnce) {
  CredentialCache cache({.capacity = 1000, .max_ttl = 60s});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 5000; ++i) {
        auto name = std::to_string(t) + ":" + std::to_string(i % 300);
        if (!cache.find(Kind::bearer, name, kNow)) {
          cache.insert(Kind::bearer, name, principal_of(i % 50), cache.ticket(kNow), kNow + 30s, kNow);
        }
        if (i % 97 == 0) cache.invalidate_user(i % 50, kNow);
        if (i % 1999 == 0) cache.clear();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 1000u + 16u);
}

}  // namespace
}  // namespace parley::accounts
