// The cache on Redis: against the shared test server (PARLEY_TEST_REDIS_URL), and against a
// redis-server of the test's own that it stops and restarts: the cache is bypassed during the
// outage and used again, without a restart, once Redis answers.
#include "cache/redis_backend.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <thread>

#include "cache/cache.hpp"
#include "redis/testing.hpp"

namespace parley::cache {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

redis::ClientConfig client_config(RedisUrl url) {
  redis::ClientConfig config{.url = std::move(url)};
  config.connect_timeout = 1s;
  config.command_timeout = 1s;
  config.reconnect_backoff_initial = 20ms;
  config.reconnect_backoff_max = 100ms;
  return config;
}

class CacheRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = redis::testing::url_from_env();
    if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set (see scripts/test-servers)";
    client_ = std::make_shared<redis::Client>(threads_.io().get_executor(), client_config(*url));
    prefix_ = "parley:test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
  }
  void TearDown() override {
    if (client_) client_->close();
  }

  std::shared_ptr<spdlog::logger> logger_ =
      std::make_shared<spdlog::logger>("cache-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  prometheus::Registry registry_;
  redis::testing::IoThreads threads_{2};
  std::shared_ptr<redis::Client> client_;
  std::string prefix_;
};

TEST_F(CacheRedisTest, GetSetEraseWithTtl) {
  RedisBackend store(client_, prefix_);
  EXPECT_EQ(threads_.run(store.get("k")), std::nullopt);
  threads_.run(store.set("k", std::string("a\0b", 3), 150ms));
  EXPECT_EQ(threads_.run(store.get("k")), std::string("a\0b", 3));
  std::this_thread::sleep_for(250ms);  // the TTL itself is what is tested
  EXPECT_EQ(threads_.run(store.get("k")), std::nullopt);
  threads_.run(store.set("k", "v", 1min));
  threads_.run(store.erase("k"));
  EXPECT_EQ(threads_.run(store.get("k")), std::nullopt);
}

TEST_F(CacheRedisTest, VersionsAreSharedByEveryClient) {
  RedisBackend one(client_, prefix_);
  auto other_client = std::make_shared<redis::Client>(threads_.io().get_executor(),
                                                      client_config(*redis::testing::url_from_env()));
  RedisBackend other(other_client, prefix_);
  EXPECT_EQ(threads_.run(one.versions({"a", "b"})), (std::vector<std::uint64_t>{0, 0}));
  threads_.run(one.bump({"a", "b"}));
  threads_.run(one.bump({"a"}));
  EXPECT_EQ(threads_.run(other.versions({"a", "b", "c"})), (std::vector<std::uint64_t>{2, 1, 0}));
  other_client->close();
}

TEST_F(CacheRedisTest, OneLoadForAHundredConcurrentMisses) {
  Cache cache(std::make_unique<RedisBackend>(client_, prefix_), registry_, *logger_);
  auto stats = cache.stats("test");
  std::atomic<int> loads{0};
  auto slow_loader = [&]() -> awaitable<std::string> {
    ++loads;
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    co_await timer.async_wait(asio::use_awaitable);
    co_return "loaded";
  };
  std::vector<std::future<std::string>> answers;
  for (int i = 0; i < 100; ++i) {
    answers.push_back(
        asio::co_spawn(threads_.io(), cache.get_or_load(stats, {"ns"}, "hot", 1min, slow_loader), asio::use_future));
  }
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(20s), std::future_status::ready);
    EXPECT_EQ(answer.get(), "loaded");
  }
  // 100 version reads may finish before or after the first lookup stored the value; either way
  // no key is loaded twice at once.
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(stats.hits->Value() + stats.misses->Value(), 100);
  // Another process (a second client) sees the entry and the bump.
  Cache second(std::make_unique<RedisBackend>(
                   std::make_shared<redis::Client>(threads_.io().get_executor(),
                                                   client_config(*redis::testing::url_from_env())),
                   prefix_),
               registry_, *logger_);
  auto from_second = [&](std::string fallback) {
    return threads_.run(second.get_or_load(stats, {"ns"}, "hot", 1min, [fallback]() -> awaitable<std::string> {
      co_return fallback;
    }));
  };
  EXPECT_EQ(from_second("not cached"), "loaded");
  threads_.run(cache.bump({"ns"}));
  EXPECT_EQ(from_second("reloaded"), "reloaded");
}

TEST(CacheRedisOutage, BypassedWhileRedisIsDownAndUsedAgainWhenItReturns) {
  if (!redis::testing::OwnServer::installed()) GTEST_SKIP() << "no redis-server";
  auto logger = std::make_shared<spdlog::logger>("cache-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  prometheus::Registry registry;
  redis::testing::IoThreads threads(2);
  redis::testing::OwnServer server;
  server.start();
  auto client = std::make_shared<redis::Client>(
      threads.io().get_executor(), client_config(parse_redis_url("redis://127.0.0.1:" + std::to_string(server.port()))));
  Cache cache(std::make_unique<RedisBackend>(client), registry, *logger);
  auto stats = cache.stats("outage");
  std::atomic<int> loads{0};
  auto get = [&] {
    return threads.run(cache.get_or_load(stats, {"ns"}, "k", 1min, [&]() -> awaitable<std::string> {
      co_return "v" + std::to_string(++loads);
    }));
  };
  EXPECT_EQ(get(), "v1");
  EXPECT_EQ(get(), "v1");
  EXPECT_EQ(stats.hits->Value(), 1);

  server.stop();
  // Every request is still answered, from the loader; the failures are counted.
  EXPECT_EQ(get(), "v2");
  EXPECT_EQ(get(), "v3");
  EXPECT_GE(stats.errors->Value(), 2);
  threads.run(cache.bump({"ns"}));  // a write meanwhile: its invalidation cannot reach Redis
  EXPECT_EQ(get(), "v4");
  EXPECT_GE(stats.bypassed->Value(), 1);

  server.start();  // empty again (no persistence), on the same port; the App is not restarted
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  std::string value;
  do {
    value = get();
    std::this_thread::sleep_for(20ms);
  } while (stats.hits->Value() < 2 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(stats.hits->Value(), 2) << "the cache was not used again after Redis returned";
  EXPECT_EQ(get(), value);  // and keeps hitting
  client->close();
}

}  // namespace
}  // namespace parley::cache
