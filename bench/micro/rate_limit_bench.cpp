// The rate limiter's own cost per request (make bench runs it):
//   parley_micro_bench --benchmark_filter=RateLimit
// - the in-process store's two-bucket take (general scope + route scope), one thread and two
//   threads on different users (the shards' mutexes);
// - the whole RateLimiter::take a request pays, keys and RateLimit fields included, run on an
//   io_context (its co_spawn and run() add about a microsecond: an upper bound);
// - the Redis store's take: one EVALSHA round trip on loopback, when PARLEY_TEST_REDIS_URL or
//   PARLEY_BENCH_REDIS_URL names a server (skipped otherwise).
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "core/redis_url.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "ratelimit/redis_store.hpp"

namespace {

namespace asio = boost::asio;
using namespace parley;
using namespace parley::ratelimit;

// Generous policies: every take is allowed, as for almost every real request.
const RatePolicy kGeneral{.interval = std::chrono::milliseconds(1), .burst = 1'000'000'000};
const RatePolicy kRoute{.interval = std::chrono::milliseconds(1), .burst = 1'000'000'000};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void BM_RateLimitMemoryStoreTake(benchmark::State& state) {
  static MemoryRateLimitStore store;
  const std::string user = "u" + std::to_string(state.thread_index());
  const Bucket buckets[] = {{"parley:rl:user:{" + user + "}", &kGeneral},
                            {"parley:rl:message_send:{" + user + "}", &kRoute}};
  const auto now = now_ms();
  for (auto _ : state) benchmark::DoNotOptimize(store.take_now(buckets, now));
}
BENCHMARK(BM_RateLimitMemoryStoreTake)->Threads(1)->Threads(2);

void BM_RateLimiterTakePerRequest(benchmark::State& state) {
  prometheus::Registry registry;
  auto logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto policies = default_rate_policies();
  policies["user"] = kGeneral;
  policies["message_send"] = kRoute;
  RateLimiter limiter(policies, std::make_unique<MemoryRateLimitStore>(), registry, *logger);
  asio::io_context io;
  for (auto _ : state) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto outcome = co_await limiter.take("user", "message_send", "u42");
          benchmark::DoNotOptimize(outcome);
        },
        asio::detached);
    io.run();
    io.restart();
  }
}
BENCHMARK(BM_RateLimiterTakePerRequest);

void BM_RateLimitRedisStoreTake(benchmark::State& state) {
  const char* url = std::getenv("PARLEY_BENCH_REDIS_URL");
  if (url == nullptr || *url == '\0') url = std::getenv("PARLEY_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') {
    state.SkipWithError("set PARLEY_BENCH_REDIS_URL (or PARLEY_TEST_REDIS_URL) to measure the Redis store");
    return;
  }
  asio::io_context io;
  auto client = std::make_shared<redis::Client>(io.get_executor(), redis::ClientConfig{.url = parse_redis_url(url)});
  RedisRateLimitStore store(client);
  const Bucket buckets[] = {{"parley:bench:rl:user:{u1}", &kGeneral}, {"parley:bench:rl:send:{u1}", &kRoute}};
  for (auto _ : state) {
    bool done = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const auto now = now_ms();
          auto decision = co_await store.take(buckets, now);
          benchmark::DoNotOptimize(decision);
          done = true;
        },
        asio::detached);
    // Not run(): the connection's reader keeps the context busy between commands. A context that
    // ran out of work (between connects) stops and must be restarted.
    while (!done) {
      if (io.run_one() == 0) io.restart();
    }
  }
  client->close();
  io.poll();
}
BENCHMARK(BM_RateLimitRedisStoreTake)->UseRealTime();

}  // namespace
