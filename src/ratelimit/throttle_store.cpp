#include "ratelimit/throttle_store.hpp"

#include <algorithm>

namespace parley::ratelimit {

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

}  // namespace parley::ratelimit
