#pragma once
// Failed-attempt counters in Redis, shared by every replica: one hash per key {a: attempts,
// b: blocked until (ms since the epoch)} expiring when the entry would be forgotten, changed by
// Lua scripts (EVALSHA) that follow InMemoryThrottleStore's rules step for step.
//
// When Redis cannot be reached, each operation falls back to a store in this process (logged at
// most once a minute): the lockout then counts per replica for the length of the outage — weaker,
// but never off, and a login never fails because Redis did. Counts in the fallback are not carried
// back into Redis when it returns.
#include <atomic>
#include <memory>

#include "ratelimit/throttle_store.hpp"
#include "redis/client.hpp"

namespace spdlog {
class logger;
}

namespace parley {
class AppError;
}

namespace parley::ratelimit {

class RedisThrottleStore final : public ThrottleStore {
 public:
  // `prefix` starts every key ("parley:throttle:"); `fallback` and `logger` are borrowed.
  RedisThrottleStore(std::shared_ptr<redis::Client> client, ThrottleStore& fallback, spdlog::logger& logger,
                     std::string prefix = "parley:throttle:");

  boost::asio::awaitable<AcquireResult> acquire(const std::string& key, ThrottleClock::time_point now,
                                                const ThrottlePolicy& policy) override;
  boost::asio::awaitable<void> release(const std::string& key, ThrottleClock::time_point now,
                                       const ThrottlePolicy& policy) override;
  boost::asio::awaitable<void> reset(const std::string& key) override;

  // Operations answered by the fallback store because Redis could not be reached.
  std::uint64_t fallbacks() const noexcept { return fallbacks_.load(); }

 private:
  void note_fallback(const AppError& error);

  std::shared_ptr<redis::Client> client_;
  ThrottleStore& fallback_;
  spdlog::logger& logger_;
  std::string prefix_;
  std::atomic<std::uint64_t> fallbacks_{0};
  std::atomic<std::int64_t> last_warning_ms_{0};
};

}  // namespace parley::ratelimit
