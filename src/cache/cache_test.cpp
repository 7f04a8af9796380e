// The cache front on the in-process store and on a store that fails: versioned keys, TTL,
// single-flight under 100 concurrent misses, loader errors, and the outage rule.
#include "cache/cache.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <stdexcept>
#include <thread>

#include "cache/memory_backend.hpp"
#include "redis/testing.hpp"

namespace parley::cache {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

// A store that fails every call while `down` is set, and otherwise forwards to memory.
class FlakyBackend final : public Backend {
 public:
  std::atomic<bool> down{false};
  std::atomic<int> calls{0};
  MemoryBackend memory{{}};

  std::string_view kind() const noexcept override { return "flaky"; }
  bool shared() const noexcept override { return true; }
  awaitable<std::optional<std::string>> get(std::string key) override {
    check();
    co_return co_await memory.get(std::move(key));
  }
  awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override {
    check();
    co_await memory.set(std::move(key), std::move(value), ttl);
  }
  awaitable<void> erase(std::string key) override {
    check();
    co_await memory.erase(std::move(key));
  }
  awaitable<std::vector<std::uint64_t>> versions(std::vector<std::string> namespaces) override {
    check();
    co_return co_await memory.versions(std::move(namespaces));
  }
  awaitable<void> bump(std::vector<std::string> namespaces) override {
    check();
    co_await memory.bump(std::move(namespaces));
  }

 private:
  void check() {
    ++calls;
    if (down) throw std::runtime_error("store down");
  }
};

class CacheTest : public ::testing::Test {
 protected:
  std::shared_ptr<spdlog::logger> logger_ =
      std::make_shared<spdlog::logger>("cache-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  prometheus::Registry registry_;
  redis::testing::IoThreads threads_{2};
};

TEST_F(CacheTest, LoadsOnceThenHitsUntilTheTtlPasses) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
  auto stats = cache.stats("test");
  int loads = 0;
  auto get = [&] {
    return threads_.run(cache.get_or_load(stats, {"ns:1"}, "key", 150ms, [&]() -> awaitable<std::string> {
      ++loads;
      co_return "value " + std::to_string(loads);
    }));
  };
  EXPECT_EQ(get(), "value 1");
  EXPECT_EQ(get(), "value 1");
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(stats.hits->Value(), 1);
  EXPECT_EQ(stats.misses->Value(), 1);
  std::this_thread::sleep_for(200ms);  // the TTL itself is what is tested
  EXPECT_EQ(get(), "value 2");
  EXPECT_EQ(loads, 2);
}

TEST_F(CacheTest, ABumpInvalidatesEveryKeyOfTheNamespaceAndNoOther) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
  auto stats = cache.stats("test");
  int loads = 0;
  auto get = [&](std::string ns, std::string key) {
    return threads_.run(cache.get_or_load(stats, {ns}, key, 1min, [&]() -> awaitable<std::string> {
      ++loads;
      co_return key + "#" + std::to_string(loads);
    }));
  };
  EXPECT_EQ(get("a", "x"), "x#1");
  EXPECT_EQ(get("a", "y"), "y#2");
  EXPECT_EQ(get("b", "x"), "x#3");
  threads_.run(cache.bump({"a"}));
  EXPECT_EQ(get("a", "x"), "x#4");
  EXPECT_EQ(get("a", "y"), "y#5");
  EXPECT_EQ(get("b", "x"), "x#3");
  threads_.run(cache.bump({std::string(kGlobalNamespace)}));
  EXPECT_EQ(get("b", "x"), "x#6");
}

TEST_F(CacheTest, ALoaderThatReadBeforeABumpStoresUnderTheOldVersion) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
  auto stats = cache.stats("test");
  // The loader sees the old state, and the write's bump lands while it runs.
  auto stale = threads_.run(cache.get_or_load(stats, {"conv"}, "page", 1min, [&]() -> awaitable<std::string> {
    const std::vector<std::string> conv{"conv"};
    co_await cache.bump(conv);
    co_return "old";
  }));
  EXPECT_EQ(stale, "old");
  auto fresh = threads_.run(cache.get_or_load(stats, {"conv"}, "page", 1min, []() -> awaitable<std::string> {
    co_return "new";
  }));
  EXPECT_EQ(fresh, "new");
}

// 100 concurrent misses of one key on two threads: one load, 100 answers.
TEST_F(CacheTest, OneLoadForAHundredConcurrentMisses) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
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
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(stats.misses->Value(), 1);
  EXPECT_EQ(stats.hits->Value(), 99);
  EXPECT_EQ(cache.flights_in_progress(), 0u);
}

TEST_F(CacheTest, ALoaderErrorReachesEveryWaiterAndNothingIsCached) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
  auto stats = cache.stats("test");
  std::atomic<int> loads{0};
  auto failing = [&]() -> awaitable<std::string> {
    ++loads;
    asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
    co_await timer.async_wait(asio::use_awaitable);
    throw std::runtime_error("database down");
  };
  std::vector<std::future<std::string>> answers;
  for (int i = 0; i < 100; ++i) {
    answers.push_back(
        asio::co_spawn(threads_.io(), cache.get_or_load(stats, {"ns"}, "k", 1min, failing), asio::use_future));
  }
  for (auto& answer : answers) {
    ASSERT_EQ(answer.wait_for(20s), std::future_status::ready);
    EXPECT_THROW(answer.get(), std::runtime_error);
  }
  EXPECT_EQ(loads.load(), 1);
  auto after = threads_.run(
      cache.get_or_load(stats, {"ns"}, "k", 1min, []() -> awaitable<std::string> { co_return "ok"; }));
  EXPECT_EQ(after, "ok");
}

TEST_F(CacheTest, AFailingStoreIsBypassedAndUsedAgainWhenItAnswers) {
  auto flaky = std::make_unique<FlakyBackend>();
  FlakyBackend& store = *flaky;
  Cache cache(std::move(flaky), registry_, *logger_);
  auto stats = cache.stats("test");
  int loads = 0;
  auto get = [&] {
    return threads_.run(cache.get_or_load(stats, {"ns"}, "k", 1min, [&]() -> awaitable<std::string> {
      ++loads;
      co_return "v" + std::to_string(loads);
    }));
  };
  EXPECT_EQ(get(), "v1");
  EXPECT_EQ(get(), "v1");
  store.down = true;
  EXPECT_EQ(get(), "v2");  // served from the loader
  EXPECT_EQ(get(), "v3");
  EXPECT_EQ(stats.errors->Value(), 2);
  store.down = false;
  EXPECT_EQ(get(), "v1");  // the store answers again; nothing was invalidated meanwhile
  EXPECT_EQ(stats.hits->Value(), 2);
}

TEST_F(CacheTest, ABumpLostInAnOutageInvalidatesEverythingBeforeTheStoreIsTrustedAgain) {
  auto flaky = std::make_unique<FlakyBackend>();
  FlakyBackend& store = *flaky;
  Cache cache(std::move(flaky), registry_, *logger_);
  auto stats = cache.stats("test");
  int loads = 0;
  auto get = [&] {
    return threads_.run(cache.get_or_load(stats, {"ns"}, "k", 1min, [&]() -> awaitable<std::string> {
      ++loads;
      co_return "v" + std::to_string(loads);
    }));
  };
  EXPECT_EQ(get(), "v1");
  store.down = true;
  threads_.run(cache.bump({"ns"}));  // a write during the outage: its bump is lost
  EXPECT_EQ(get(), "v2");
  EXPECT_EQ(stats.bypassed->Value(), 1);
  store.down = false;
  EXPECT_EQ(get(), "v3");  // not the stale v1: everything was invalidated first
  EXPECT_EQ(get(), "v3");
}

TEST_F(CacheTest, PlainEntries) {
  Cache cache(std::make_unique<MemoryBackend>(MemoryBackend::Options{}), registry_, *logger_);
  auto stats = cache.stats("plain");
  EXPECT_EQ(threads_.run(cache.get(stats, "k")), std::nullopt);
  threads_.run(cache.set("k", "v", 1min));
  EXPECT_EQ(threads_.run(cache.get(stats, "k")), "v");
  threads_.run(cache.erase("k"));
  EXPECT_EQ(threads_.run(cache.get(stats, "k")), std::nullopt);
  EXPECT_EQ(stats.hits->Value(), 1);
  EXPECT_EQ(stats.misses->Value(), 2);
}

}  // namespace
}  // namespace parley::cache
