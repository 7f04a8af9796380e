#include "accounts/login_throttle.hpp"

#include "core/testing.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace parley::accounts {
namespace {

using std::chrono::seconds;
using parley::testing::run_awaitable;

// A clock the test moves by hand.
struct FakeClock {
  ThrottleClock::time_point now = ThrottleClock::time_point(seconds(1'700'000'000));
  LoginThrottle::Now source() {
    return [this] { return now; };
  }
  void advance(seconds by) { now += by; }
};

class LoginThrottleTest : public ::testing::Test {
 protected:
  LoginThrottle::Attempt begin(const std::string& login, const std::string& ip = "192.0.2.1") {
    // Tests key by the login as typed (no account lookup), as for an unknown login.
    return run_awaitable(throttle_.begin(LoginThrottle::account_key(std::nullopt, login), ip));
  }
  // One attempt that fails; returns it (refused or not).
  LoginThrottle::Attempt fail(const std::string& login, const std::string& ip = "192.0.2.1") {
    return begin(login, ip);  // a failed attempt stays counted: nothing to close
  }
  void succeed(const LoginThrottle::Attempt& attempt) { run_awaitable(throttle_.succeeded(attempt)); }

  FakeClock clock_;
  InMemoryThrottleStore store_;
  LoginThrottle throttle_{store_, LoginThrottle::Options{}, clock_.source()};
};

TEST(ThrottlePolicyTest, DelaysDoubleFromTheBudgetAndStopAtTheCap) {
  ThrottlePolicy policy;  // 5 free, 1 s doubling, capped at 15 min
  EXPECT_EQ(policy.delay_for(1), seconds(0));
  EXPECT_EQ(policy.delay_for(4), seconds(0));
  EXPECT_EQ(policy.delay_for(5), seconds(1));
  EXPECT_EQ(policy.delay_for(6), seconds(2));
  EXPECT_EQ(policy.delay_for(7), seconds(4));
  EXPECT_EQ(policy.delay_for(14), seconds(512));
  EXPECT_EQ(policy.delay_for(15), seconds(900));
  EXPECT_EQ(policy.delay_for(1'000'000), seconds(900));
  EXPECT_EQ(policy.delay_for(std::numeric_limits<int>::max()), seconds(900));
}

TEST_F(LoginThrottleTest, BackoffSequenceAfterTheBudget) {
  for (int i = 1; i <= 4; ++i) {
    auto attempt = fail("alice");
    ASSERT_TRUE(attempt.allowed) << i;
    EXPECT_TRUE(throttle_.failed(attempt).empty()) << i;
  }
  // The fifth failure starts the first block (1 s), reported once as a lockout.
  auto fifth = fail("alice");
  ASSERT_TRUE(fifth.allowed);
  auto lockouts = throttle_.failed(fifth);
  ASSERT_EQ(lockouts.size(), 1u);
  EXPECT_EQ(lockouts[0].scope, ThrottleScope::account);
  EXPECT_EQ(lockouts[0].duration, seconds(1));
  EXPECT_EQ(lockouts[0].attempts, 5);

  for (seconds expected : {seconds(1), seconds(2), seconds(4), seconds(8), seconds(16)}) {
    // During the block: refused, with the time left, and nothing more is counted.
    auto refused = begin("alice");
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.refused_by, ThrottleScope::account);
    EXPECT_EQ(refused.retry_after, expected);
    EXPECT_TRUE(refused.started.empty());
    clock_.advance(expected - seconds(1));
    if (expected > seconds(1)) {
      auto later = begin("alice");
      EXPECT_FALSE(later.allowed);
      EXPECT_EQ(later.retry_after, seconds(1));
    }
    clock_.advance(seconds(1));
    // The block is over: one more attempt is checked and, failing, doubles the block.
    auto next = fail("alice");
    ASSERT_TRUE(next.allowed) << expected.count();
    auto started = throttle_.failed(next);
    ASSERT_EQ(started.size(), 1u);
    EXPECT_EQ(started[0].duration, expected * 2);
  }
}

TEST_F(LoginThrottleTest, BackoffIsCappedAndPersistsWhileAttacked) {
  for (int i = 0; i < 5; ++i) fail("bob");
  seconds block{1};
  for (int round = 0; round < 20; ++round) {
    clock_.advance(block);
    auto attempt = fail("bob");
    ASSERT_TRUE(attempt.allowed);
    block = throttle_.failed(attempt).at(0).duration;
  }
  EXPECT_EQ(block, seconds(15 * 60));
  // Waiting out the cap exactly does not restore the free budget: the count outlives the block.
  clock_.advance(block);
  auto attempt = fail("bob");
  ASSERT_TRUE(attempt.allowed);
  EXPECT_EQ(throttle_.failed(attempt).at(0).duration, seconds(15 * 60));
}

TEST_F(LoginThrottleTest, CountsAreForgottenAfterAQuietWindow) {
  for (int i = 0; i < 4; ++i) fail("carol");
  clock_.advance(seconds(15 * 60));
  for (int i = 0; i < 4; ++i) {
    auto attempt = fail("carol");
    ASSERT_TRUE(attempt.allowed);
    EXPECT_TRUE(throttle_.failed(attempt).empty()) << "the earlier failures should have expired";
  }
}

TEST_F(LoginThrottleTest, SuccessResetsTheAccountCounter) {
  for (int i = 0; i < 4; ++i) fail("dave");
  auto good = begin("dave");
  ASSERT_TRUE(good.allowed);
  succeed(good);
  for (int i = 0; i < 4; ++i) {
    auto attempt = fail("dave");
    ASSERT_TRUE(attempt.allowed);
    EXPECT_TRUE(throttle_.failed(attempt).empty());
  }
}

TEST_F(LoginThrottleTest, SuccessOnTheAttemptThatHitTheBudgetLiftsTheBlock) {
  for (int i = 0; i < 4; ++i) fail("erin");
  auto fifth = begin("erin");
  ASSERT_TRUE(fifth.allowed);
  succeed(fifth);
  EXPECT_TRUE(begin("erin").allowed);
}

TEST_F(LoginThrottleTest, LoginKeysIgnoreCaseAndSurroundingBlanks) {
  for (int i = 0; i < 5; ++i) fail(i % 2 ? "Frank" : "  frank ");
  auto refused = begin("FRANK");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(LoginThrottle::account_key(std::nullopt, "Frank"), LoginThrottle::account_key(std::nullopt, "frank"));
  EXPECT_NE(LoginThrottle::account_key(std::nullopt, "frank"), LoginThrottle::account_key(std::nullopt, "franky"));
  // The store never holds the login itself.
  EXPECT_EQ(LoginThrottle::account_key(std::nullopt, "frank").find("frank"), std::string::npos);
}

TEST_F(LoginThrottleTest, AKnownAccountHasOneKeyWhateverLoginNamesIt) {
  // Username and email of account 42 are one budget: the key is the account, not the login.
  EXPECT_EQ(LoginThrottle::account_key(42, "frank"), LoginThrottle::account_key(42, "frank@example.com"));
  EXPECT_NE(LoginThrottle::account_key(42, "frank"), LoginThrottle::account_key(std::nullopt, "frank"));
  for (int i = 0; i < 5; ++i) {
    run_awaitable(throttle_.begin(LoginThrottle::account_key(42, i % 2 ? "frank" : "frank@example.com"), "192.0.2.9"));
  }
  auto refused = run_awaitable(throttle_.begin(LoginThrottle::account_key(42, "frank"), "192.0.2.10"));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, ThrottleScope::account);
}

TEST_F(LoginThrottleTest, UnknownAndKnownLoginsAreThrottledAlike) {
  // The throttle never consults the user table: any two logins follow the same sequence.
  std::vector<std::pair<bool, seconds>> first, second;
  for (int i = 0; i < 8; ++i) {
    auto a = begin("existing-user");
    auto b = begin("no-such-user-anywhere");
    first.emplace_back(a.allowed, a.allowed ? seconds(0) : a.retry_after);
    second.emplace_back(b.allowed, b.allowed ? seconds(0) : b.retry_after);
  }
  EXPECT_EQ(first, second);
  EXPECT_FALSE(first.back().first);
}

TEST_F(LoginThrottleTest, OneAccountsLockoutDoesNotBlockOthers) {
  for (int i = 0; i < 5; ++i) fail("grace");
  EXPECT_FALSE(begin("grace").allowed);
  EXPECT_TRUE(begin("heidi").allowed);
}

TEST_F(LoginThrottleTest, PerIpBudgetSpansAccounts) {
  // 50 failures from one address on 50 different logins: no account reaches its budget, the IP does.
  for (int i = 1; i <= 49; ++i) {
    auto attempt = fail("user" + std::to_string(i), "198.51.100.7");
    ASSERT_TRUE(attempt.allowed) << i;
    EXPECT_TRUE(throttle_.failed(attempt).empty()) << i;
  }
  auto fiftieth = fail("user50", "198.51.100.7");
  ASSERT_TRUE(fiftieth.allowed);
  auto started = throttle_.failed(fiftieth);
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].scope, ThrottleScope::ip);
  EXPECT_EQ(started[0].attempts, 50);

  auto refused = begin("someone-new", "198.51.100.7");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.refused_by, ThrottleScope::ip);
  EXPECT_EQ(refused.retry_after, seconds(1));
  // Another address is not affected, and the refused attempt did not count against the account.
  for (int i = 0; i < 4; ++i) {
    auto attempt = fail("someone-new", "203.0.113.9");
    ASSERT_TRUE(attempt.allowed);
    EXPECT_TRUE(throttle_.failed(attempt).empty()) << i;
  }
}

TEST_F(LoginThrottleTest, SuccessfulLoginsDoNotUseTheIpBudget) {
  // A shared address (an office NAT) with many good logins never reaches the IP budget.
  for (int i = 0; i < 200; ++i) {
    auto attempt = begin("user" + std::to_string(i % 7), "192.0.2.50");
    ASSERT_TRUE(attempt.allowed) << i;
    succeed(attempt);
  }
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(LoginThrottleTest, AnAccountRefusalCostsTheIpNothing) {
  for (int i = 0; i < 5; ++i) fail("ivan", "192.0.2.77");
  // 45 failures on other accounts bring the IP to 50 exactly; refusals on ivan must not count.
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(begin("ivan", "192.0.2.77").allowed);
  for (int i = 0; i < 44; ++i) ASSERT_TRUE(fail("other" + std::to_string(i), "192.0.2.77").allowed);
  auto fiftieth = fail("last", "192.0.2.77");
  ASSERT_TRUE(fiftieth.allowed);
  ASSERT_EQ(throttle_.failed(fiftieth).size(), 1u);
}

TEST_F(LoginThrottleTest, ConcurrentAttemptsCannotExceedTheBudget) {
  // Counting at begin(): 8 threads x 50 simultaneous guesses on one account get exactly 5 through
  // (the fifth starts the block; the fake clock does not move).
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto attempt = run_awaitable(throttle_.begin("judy", "10.0.0." + std::to_string(t)));
        if (attempt.allowed) ++allowed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 5);
}

TEST(InMemoryThrottleStoreTest, MemoryIsBounded) {
  InMemoryThrottleStore store(1000);
  ThrottlePolicy policy;
  auto now = ThrottleClock::time_point(seconds(1'700'000'000));
  for (int i = 0; i < 20'000; ++i) {
    store.acquire_now("key" + std::to_string(i), now, policy);
    ASSERT_LE(store.size(), 1000u);
  }
}

TEST(InMemoryThrottleStoreTest, AFloodEvictsTheLeastRecentKeysNotABlockedOne) {
  InMemoryThrottleStore store(100);
  ThrottlePolicy policy;
  ThrottlePolicy harsh{.max_attempts = 1, .base_delay = seconds(900)};
  auto start = ThrottleClock::time_point(seconds(1'700'000'000));
  auto now = start;
  // A key under a 15-minute block: it lives until the block ends plus a window.
  ASSERT_EQ(store.acquire_now("attacked", now, harsh).imposed_block, seconds(900));
  // A flood of one-off keys (expiring a window after their single attempt) fills the store.
  for (int i = 0; i < 10'000; ++i) {
    now += std::chrono::milliseconds(10);
    store.acquire_now("flood" + std::to_string(i), now, policy);
    ASSERT_LE(store.size(), 100u);
  }
  auto probe = store.acquire_now("attacked", now, harsh);
  EXPECT_FALSE(probe.allowed) << "the blocked key was evicted by the flood";
  // Once everything has expired, new keys replace the expired entries, never each other.
  now += seconds(24 * 3600);
  for (int i = 0; i < 60; ++i) store.acquire_now("after" + std::to_string(i), now, policy);
  for (int i = 0; i < 60; ++i) EXPECT_EQ(store.acquire_now("after" + std::to_string(i), now, policy).attempts, 2) << i;
  EXPECT_LE(store.size(), 100u);
  EXPECT_TRUE(store.acquire_now("attacked", now, harsh).allowed);
}

TEST(InMemoryThrottleStoreTest, ReleaseNeverGoesBelowZeroAndResetForgets) {
  InMemoryThrottleStore store;
  ThrottlePolicy policy{.max_attempts = 2};
  auto now = ThrottleClock::time_point(seconds(1'700'000'000));
  store.release_now("k", now, policy);  // unknown key: nothing happens
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.acquire_now("k", now, policy).attempts, 1);
  store.release_now("k", now, policy);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.acquire_now("k", now, policy).attempts, 1);
  EXPECT_EQ(store.acquire_now("k", now, policy).imposed_block, seconds(1));
  EXPECT_FALSE(store.acquire_now("k", now, policy).allowed);
  store.reset_now("k");
  EXPECT_TRUE(store.acquire_now("k", now, policy).allowed);
}

}  // namespace
}  // namespace parley::accounts
