#include "accounts/login_throttle.hpp"

#include "auth/tokens.hpp"

#include <algorithm>

namespace parley::accounts {

namespace asio = boost::asio;
using std::chrono::seconds;

std::chrono::seconds ThrottlePolicy::delay_for(int attempts) const noexcept {
  if (attempts < max_attempts) return seconds(0);
  auto doublings = attempts - max_attempts;
  auto delay = base_delay;
  // Doubling stops at the cap, so no shift can overflow however large `attempts` grows.
  for (int i = 0; i < doublings && delay < max_delay; ++i) delay *= 2;
  return std::min(delay, max_delay);
}

namespace {

// Whole seconds until `until`, rounded up and at least 1 (a Retry-After of 0 invites a retry storm).
seconds seconds_until(ThrottleClock::time_point until, ThrottleClock::time_point now) {
  auto left = std::chrono::ceil<seconds>(until - now);
  return std::max(left, seconds(1));
}

}  // namespace

InMemoryThrottleStore::InMemoryThrottleStore(std::size_t max_entries) : max_entries_(std::max<std::size_t>(max_entries, 1)) {}

AcquireResult InMemoryThrottleStore::acquire_now(const std::string& key, ThrottleClock::time_point now,
                                                 const ThrottlePolicy& policy) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.expires_at <= now) {
    entries_.erase(it);
    it = entries_.end();
  }
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) make_room(now);
    it = entries_.emplace(key, Entry{}).first;
  }
  auto& entry = it->second;
  AcquireResult result;
  if (entry.blocked_until > now) {
    result.retry_after = seconds_until(entry.blocked_until, now);
    result.attempts = entry.attempts;
    return result;
  }
  result.allowed = true;
  entry.attempts = entry.attempts < std::numeric_limits<int>::max() ? entry.attempts + 1 : entry.attempts;
  result.attempts = entry.attempts;
  auto delay = policy.delay_for(entry.attempts);
  if (delay > seconds(0)) {
    entry.blocked_until = now + delay;
    result.imposed_block = delay;
  }
  entry.expires_at = std::max(now, entry.blocked_until) + policy.window;
  return result;
}

void InMemoryThrottleStore::release_now(const std::string& key, ThrottleClock::time_point now,
                                        const ThrottlePolicy& policy) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  auto& entry = it->second;
  if (entry.expires_at <= now || entry.attempts <= 1) {
    entries_.erase(it);
    return;
  }
  --entry.attempts;
  if (entry.attempts < policy.max_attempts) entry.blocked_until = {};
}

void InMemoryThrottleStore::reset_now(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

std::size_t InMemoryThrottleStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void InMemoryThrottleStore::make_room(ThrottleClock::time_point now) {
  std::erase_if(entries_, [now](const auto& item) { return item.second.expires_at <= now; });
  if (entries_.size() < max_entries_) return;
  // Still full of live entries: evict the tenth (at least one) closest to expiry, the least
  // recently active ones. Evicting a batch keeps the O(n) scan rare.
  std::vector<ThrottleClock::time_point> expiries;
  expiries.reserve(entries_.size());
  for (const auto& item : entries_) expiries.push_back(item.second.expires_at);
  auto batch = std::max<std::size_t>(entries_.size() / 10, 1);
  std::nth_element(expiries.begin(), expiries.begin() + static_cast<std::ptrdiff_t>(batch - 1), expiries.end());
  auto cutoff = expiries[batch - 1];
  std::size_t evicted = 0;
  for (auto it = entries_.begin(); it != entries_.end() && evicted < batch;) {
    if (it->second.expires_at <= cutoff) {
      it = entries_.erase(it);
      ++evicted;
    } else {
      ++it;
    }
  }
}

asio::awaitable<AcquireResult> InMemoryThrottleStore::acquire(const std::string& key, ThrottleClock::time_point now,
                                                              const ThrottlePolicy& policy) {
  co_return acquire_now(key, now, policy);
}

asio::awaitable<void> InMemoryThrottleStore::release(const std::string& key, ThrottleClock::time_point now,
                                                     const ThrottlePolicy& policy) {
  release_now(key, now, policy);
  co_return;
}

asio::awaitable<void> InMemoryThrottleStore::reset(const std::string& key) {
  reset_now(key);
  co_return;
}

std::string_view to_string(ThrottleScope scope) noexcept {
  return scope == ThrottleScope::account ? "account" : "ip";
}

LoginThrottle::LoginThrottle(ThrottleStore& store, Options options, Now now)
    : store_(store), options_(options), now_(std::move(now)) {}

std::string LoginThrottle::account_key(std::string_view login) {
  while (!login.empty() && (login.front() == ' ' || login.front() == '\t')) login.remove_prefix(1);
  while (!login.empty() && (login.back() == ' ' || login.back() == '\t')) login.remove_suffix(1);
  std::string normalized(login);
  for (auto& c : normalized) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return "login:acct:" + auth::token_hash(normalized);
}

std::string LoginThrottle::ip_key(std::string_view ip) { return "login:ip:" + std::string(ip); }

asio::awaitable<LoginThrottle::Attempt> LoginThrottle::begin(std::string_view login, std::string_view ip) {
  Attempt attempt;
  attempt.account_key = account_key(login);
  attempt.ip_key = ip_key(ip);
  auto now = now_();
  // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
  auto ip_result = co_await store_.acquire(attempt.ip_key, now, options_.ip);
  if (!ip_result.allowed) {
    attempt.retry_after = ip_result.retry_after;
    attempt.refused_by = ThrottleScope::ip;
    co_return attempt;
  }
  auto account_result = co_await store_.acquire(attempt.account_key, now, options_.account);
  if (!account_result.allowed) {
    co_await store_.release(attempt.ip_key, now, options_.ip);  // refused attempts cost the IP nothing
    attempt.retry_after = account_result.retry_after;
    attempt.refused_by = ThrottleScope::account;
    co_return attempt;
  }
  attempt.allowed = true;
  if (ip_result.imposed_block > seconds(0)) {
    attempt.started.push_back(Lockout{ThrottleScope::ip, ip_result.imposed_block, ip_result.attempts});
  }
  if (account_result.imposed_block > seconds(0)) {
    attempt.started.push_back(Lockout{ThrottleScope::account, account_result.imposed_block, account_result.attempts});
  }
  co_return attempt;
}

asio::awaitable<void> LoginThrottle::succeeded(const Attempt& attempt) {
  auto now = now_();
  co_await store_.reset(attempt.account_key);
  co_await store_.release(attempt.ip_key, now, options_.ip);
}

}  // namespace parley::accounts
