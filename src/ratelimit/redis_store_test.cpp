// The Redis stores against a real redis-server (skipped without PARLEY_TEST_REDIS_URL): the
// rate-limit script decides exactly as the in-process store on the same sequence of requests, and
// the lockout scripts follow InMemoryThrottleStore step for step.
#include "ratelimit/redis_store.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "ratelimit/memory_store.hpp"
#include "ratelimit/redis_throttle_store.hpp"
#include "redis/testing.hpp"

namespace parley::ratelimit {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr std::int64_t kNow = 1'700'000'000'000;

asio::awaitable<Decision> take(RateLimitStore* store, std::vector<Bucket> buckets, std::int64_t now) {
  co_return co_await store->take(buckets, now);
}

class RedisStoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = redis::testing::url_from_env();
    if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set (see scripts/test-servers)";
    client_ = std::make_shared<redis::Client>(threads_.io().get_executor(), redis::ClientConfig{.url = *url});
    prefix_ = "parley:test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }
  void TearDown() override {
    if (client_) client_->close();
  }
  redis::testing::IoThreads threads_;
  std::shared_ptr<redis::Client> client_;
  std::string prefix_;
};

TEST_F(RedisStoresTest, TheScriptDecidesExactlyAsTheInProcessStore) {
  RedisRateLimitStore redis_store(client_);
  MemoryRateLimitStore memory_store;
  const RatePolicy general{.interval = 50ms, .burst = 8};
  const RatePolicy send{.interval = 200ms, .burst = 3};
  std::mt19937 random(42);
  std::int64_t now = kNow;
  for (int i = 0; i < 300; ++i) {
    now += std::uniform_int_distribution<int>(0, 120)(random);
    std::vector<Bucket> buckets{{prefix_ + "user:{u1}", &general}};
    if (i % 3 != 0) buckets.push_back({prefix_ + "send:{u1}", &send});
    auto from_redis = threads_.run(take(&redis_store, buckets, now));
    auto from_memory = memory_store.take_now(buckets, now);
    ASSERT_EQ(from_redis.allowed, from_memory.allowed) << "request " << i;
    ASSERT_EQ(from_redis.count, from_memory.count);
    for (std::size_t b = 0; b < from_redis.count; ++b) {
      EXPECT_EQ(from_redis.buckets[b].allowed, from_memory.buckets[b].allowed) << "request " << i << " bucket " << b;
      EXPECT_EQ(from_redis.buckets[b].remaining, from_memory.buckets[b].remaining) << "request " << i;
      EXPECT_EQ(from_redis.buckets[b].reset_after, from_memory.buckets[b].reset_after) << "request " << i;
      EXPECT_EQ(from_redis.buckets[b].retry_after, from_memory.buckets[b].retry_after) << "request " << i;
    }
  }
}

TEST_F(RedisStoresTest, ABucketExpiresInRedisWhenItIsFullAgain) {
  RedisRateLimitStore store(client_);
  const RatePolicy policy{.interval = 1000ms, .burst = 5};
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  threads_.run(take(&store, {{prefix_ + "k", &policy}}, now));
  std::vector<std::string> pttl{"PTTL", prefix_ + "k"};
  auto ttl = threads_.run([](std::shared_ptr<redis::Client> c, std::vector<std::string> args) -> asio::awaitable<redis::Reply> {
    co_return co_await c->command(args);
  }(client_, pttl));
  EXPECT_GT(ttl.integer, 0);
  EXPECT_LE(ttl.integer, 1000);  // one interval taken: full again (and gone) within a second
}

asio::awaitable<AcquireResult> acquire(ThrottleStore* store, std::string key, ThrottleClock::time_point now,
                                       ThrottlePolicy policy) {
  co_return co_await store->acquire(key, now, policy);
}
asio::awaitable<void> release(ThrottleStore* store, std::string key, ThrottleClock::time_point now,
                              ThrottlePolicy policy) {
  co_await store->release(key, now, policy);
}
asio::awaitable<void> reset(ThrottleStore* store, std::string key) { co_await store->reset(key); }

TEST_F(RedisStoresTest, LockoutsFollowTheInProcessRules) {
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  InMemoryThrottleStore fallback;
  RedisThrottleStore redis_store(client_, fallback, *logger, prefix_);
  InMemoryThrottleStore memory_store;
  const ThrottlePolicy policy{.max_attempts = 3, .window = 60s, .base_delay = 1s, .max_delay = 8s};
  auto now = ThrottleClock::time_point(std::chrono::milliseconds(kNow));
  const std::string key = "login:user:1";
  for (int step = 0; step < 40; ++step) {
    if (step == 20) {  // a success in the middle: both forget the account
      threads_.run(reset(&redis_store, key));
      memory_store.reset_now(key);
    }
    if (step % 7 == 6) {
      threads_.run(release(&redis_store, key, now, policy));
      memory_store.release_now(key, now, policy);
    }
    auto a = threads_.run(acquire(&redis_store, key, now, policy));
    auto b = memory_store.acquire_now(key, now, policy);
    ASSERT_EQ(a.allowed, b.allowed) << "step " << step;
    EXPECT_EQ(a.attempts, b.attempts) << "step " << step;
    EXPECT_EQ(a.retry_after, b.retry_after) << "step " << step;
    EXPECT_EQ(a.imposed_block, b.imposed_block) << "step " << step;
    now += std::chrono::milliseconds(700);
  }
  EXPECT_EQ(redis_store.fallbacks(), 0u);
  EXPECT_EQ(fallback.size(), 0u);
}

TEST(RedisThrottleFallbackTest, WithoutRedisTheLockoutCountsInThisProcess) {
  // A port nothing listens on: every operation falls back, and the lockout still works.
  redis::testing::IoThreads threads;
  auto client = std::make_shared<redis::Client>(
      threads.io().get_executor(),
      redis::ClientConfig{.url = parse_redis_url("redis://127.0.0.1:1"), .connect_timeout = 500ms});
  auto logger = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  InMemoryThrottleStore fallback;
  RedisThrottleStore store(client, fallback, *logger);
  const ThrottlePolicy policy{.max_attempts = 2, .window = 60s};
  const auto now = ThrottleClock::time_point(std::chrono::milliseconds(kNow));
  EXPECT_TRUE(threads.run(acquire(&store, "k", now, policy)).allowed);
  auto second = threads.run(acquire(&store, "k", now, policy));
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.imposed_block, 1s);
  EXPECT_FALSE(threads.run(acquire(&store, "k", now, policy)).allowed);
  EXPECT_EQ(store.fallbacks(), 3u);
  client->close();
}

}  // namespace
}  // namespace parley::ratelimit
