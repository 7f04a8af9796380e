#pragma once
// Counters of failed attempts with exponentially growing lockouts (the login throttle's store,
// accounts/login_throttle.hpp), in this process or in Redis (redis_throttle_store.hpp): the same
// stores as the request rate limits, a different algorithm — a lockout counts failures, not
// requests, and doubles while they go on.
//
// Storage is behind ThrottleStore so that replicas can share counters; each state change is one
// atomic operation with the policy passed in, which is what the Redis store's Lua scripts receive
// as arguments.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::ratelimit {

using ThrottleClock = std::chrono::system_clock;

// One budget: `max_attempts` counted attempts are free within `window`; attempt number
// max_attempts + k (k >= 0) blocks the key for min(base_delay * 2^k, max_delay) from its start.
// A key's count is forgotten `window` after its last attempt or the end of its block, whichever
// is later, so a persistent attacker stays at max_delay instead of getting a fresh budget.
struct ThrottlePolicy {
  int max_attempts = 5;
  std::chrono::seconds window{15 * 60};
  std::chrono::seconds base_delay{1};
  std::chrono::seconds max_delay{15 * 60};

  // The block that attempt number `attempts` (1-based, counted) imposes; zero within the budget.
  std::chrono::seconds delay_for(int attempts) const noexcept;
};

// What one atomic `acquire` decided.
struct AcquireResult {
  bool allowed = false;
  // When refused: how long until the block ends (at least 1 s).
  std::chrono::seconds retry_after{0};
  // When allowed and this attempt started a block: its length (a new lockout).
  std::chrono::seconds imposed_block{0};
  int attempts = 0;  // the count after this call
};

// Shared counters keyed by opaque strings. Implementations are thread-safe; each operation is
// atomic with respect to the others on the same key. Times come from the caller (injected clock).
// Reference arguments must stay alive until the returned awaitable completes.
class ThrottleStore {
 public:
  virtual ~ThrottleStore() = default;
  // If `key` is blocked at `now`: refuses and changes nothing. Otherwise counts one attempt and,
  // once past the budget, blocks the key for policy.delay_for(count) from `now`.
  virtual boost::asio::awaitable<AcquireResult> acquire(const std::string& key, ThrottleClock::time_point now,
                                                        const ThrottlePolicy& policy) = 0;
  // Takes one counted attempt back (not below zero); lifts the block if the count falls back
  // within the budget. Used when an attempt turned out not to be a failure.
  virtual boost::asio::awaitable<void> release(const std::string& key, ThrottleClock::time_point now,
                                               const ThrottlePolicy& policy) = 0;
  // Forgets `key` entirely (count and block).
  virtual boost::asio::awaitable<void> reset(const std::string& key) = 0;
};

// In-process ThrottleStore for one replica (the embedded default). Holds at most `max_entries`
// keys: expired entries are dropped lazily and, when the map is full, swept; if it is still full
// the tenth of the entries closest to expiry are evicted (amortised O(1) per insert). Under a
// flood of distinct keys an evicted key loses its count; keys being actively attacked expire last
// and so are evicted last.
class InMemoryThrottleStore final : public ThrottleStore {
 public:
  explicit InMemoryThrottleStore(std::size_t max_entries = 100'000);

  boost::asio::awaitable<AcquireResult> acquire(const std::string& key, ThrottleClock::time_point now,
                                                const ThrottlePolicy& policy) override;
  boost::asio::awaitable<void> release(const std::string& key, ThrottleClock::time_point now, const ThrottlePolicy& policy) override;
  boost::asio::awaitable<void> reset(const std::string& key) override;

  // Synchronous cores of the operations above (the awaitables only wrap them).
  AcquireResult acquire_now(const std::string& key, ThrottleClock::time_point now, const ThrottlePolicy& policy);
  void release_now(const std::string& key, ThrottleClock::time_point now, const ThrottlePolicy& policy);
  void reset_now(const std::string& key);

  // Entries currently held, expired or not. Thread-safe.
  std::size_t size() const;

 private:
  struct Entry {
    int attempts = 0;
    ThrottleClock::time_point blocked_until{};
    ThrottleClock::time_point expires_at{};
  };
  // Requires mutex_. Makes room for one more entry.
  void make_room(ThrottleClock::time_point now);

  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace parley::ratelimit
