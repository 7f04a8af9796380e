#pragma once
// Login throttling (ASVS 2.2.1, issue 4 item 7): failed password logins are counted per account
// and per client IP; once a key has used its budget, each further attempt first waits out an
// exponentially growing block (1 s, 2 s, 4 s, ... capped), and attempts during a block are refused
// with 429 before any password is checked.
//
// Counting is pessimistic: an attempt is counted when it starts (`begin`), not when it fails, and
// `succeeded` takes the count back. So a burst of concurrent guesses cannot all pass the check
// before the first failure is recorded; the Nth concurrent attempt already meets the block.
//
// Keys are derived from the login as typed (trimmed, ASCII lower-case, then SHA-256), never from
// a database lookup: an unknown login is throttled exactly like a known one, and the store never
// holds a raw username or email. A login by username and one by email are two keys for the same
// account (a factor of two on its budget, the price of not looking the account up first).
//
// Storage is behind ThrottleStore so that several replicas can share counters (Redis, later); the
// state changes are single atomic operations with the policy passed in, which is what a Redis Lua
// script would receive as arguments.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::accounts {

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

enum class ThrottleScope { account, ip };
std::string_view to_string(ThrottleScope scope) noexcept;

// A block that an attempt started, for the `auth.lockout` audit row.
struct Lockout {
  ThrottleScope scope = ThrottleScope::account;
  std::chrono::seconds duration{0};
  int attempts = 0;
};

// The password-login policy on top of a ThrottleStore. Thread-safe if the store is.
class LoginThrottle {
 public:
  struct Options {
    ThrottlePolicy account{};
    ThrottlePolicy ip{.max_attempts = 50};
  };
  using Now = std::function<ThrottleClock::time_point()>;

  // `store` is borrowed and must outlive the throttle; `now` is the clock (tests inject one).
  LoginThrottle(ThrottleStore& store, Options options, Now now = &ThrottleClock::now);

  // The outcome of `begin`: either refused (429 with Retry-After) or an attempt in progress that
  // must be closed with `succeeded` or `failed`.
  struct Attempt {
    bool allowed = false;
    std::chrono::seconds retry_after{0};  // when refused
    ThrottleScope refused_by = ThrottleScope::account;
    std::string account_key;
    std::string ip_key;
    std::vector<Lockout> started;  // blocks this attempt started (reported by failed())
  };

  // Counts an attempt for `login` from `ip` against both budgets (IP first, then account).
  // Refused when either key is blocked; a refused attempt leaves both counts as they were.
  boost::asio::awaitable<Attempt> begin(std::string_view login, std::string_view ip);
  // The password was right: the account's count is reset and the IP's attempt taken back.
  boost::asio::awaitable<void> succeeded(const Attempt& attempt);
  // The password was wrong (or the account unknown or inactive): the attempt stays counted.
  // Returns the lockouts this attempt started, each to be audited once.
  std::vector<Lockout> failed(const Attempt& attempt) const { return attempt.started; }

  // The store key for a login / an IP (exposed for tests and for the session login).
  static std::string account_key(std::string_view login);
  static std::string ip_key(std::string_view ip);

  const Options& options() const noexcept { return options_; }

 private:
  ThrottleStore& store_;
  Options options_;
  Now now_;
};

}  // namespace parley::accounts
