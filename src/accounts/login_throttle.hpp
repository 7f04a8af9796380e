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
// One key per account: the caller looks the login up first (the lookup every login does anyway,
// for known and unknown logins alike), so a login by username and one by email count against the
// same budget. A login that names no account is keyed by the login as typed (trimmed, ASCII
// lower-case, then SHA-256): unknown logins are throttled exactly like known ones, and the store
// never holds a raw username or email.
//
// The counters live in a ratelimit::ThrottleStore: this process's, or Redis (shared by replicas;
// PARLEY_RATE_LIMIT_STORE), with the limits from PARLEY_LOGIN_* (docs/rate-limits.md).
#include <boost/asio/awaitable.hpp>

#include "ratelimit/throttle_store.hpp"

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

using ratelimit::AcquireResult;
using ratelimit::InMemoryThrottleStore;
using ratelimit::ThrottleClock;
using ratelimit::ThrottlePolicy;
using ratelimit::ThrottleStore;

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

  // Counts an attempt against the account (account_key()) and the IP (IP first, then account).
  // Refused when either key is blocked; a refused attempt leaves both counts as they were.
  boost::asio::awaitable<Attempt> begin(std::string account_key, std::string_view ip);
  // The password was right: the account's count is reset and the IP's attempt taken back.
  boost::asio::awaitable<void> succeeded(const Attempt& attempt);
  // The password was wrong (or the account unknown or inactive): the attempt stays counted.
  // Returns the lockouts this attempt started, each to be audited once.
  std::vector<Lockout> failed(const Attempt& attempt) const { return attempt.started; }

  // The store key of an account: its id when the login names one, else the login as typed.
  static std::string account_key(std::optional<std::int64_t> user_id, std::string_view login);
  static std::string ip_key(std::string_view ip);

  const Options& options() const noexcept { return options_; }

 private:
  ThrottleStore& store_;
  Options options_;
  Now now_;
};

}  // namespace parley::accounts
