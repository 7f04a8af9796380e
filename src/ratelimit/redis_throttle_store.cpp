#include "ratelimit/redis_throttle_store.hpp"

#include <spdlog/logger.h>

#include "core/error.hpp"
#include "redis/script.hpp"

namespace parley::ratelimit {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// KEYS[1]; ARGV: now, max_attempts, window, base_delay, max_delay (ms). InMemoryThrottleStore's
// acquire_now: refused while blocked; else counts the attempt and, once past the budget, blocks
// for base_delay doubled per attempt beyond it, capped. Returns {allowed, blocked_for_ms, attempts,
// imposed_ms}.
const redis::Script kAcquire(R"lua(
local now, max_attempts, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local base, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local entry = redis.call('HMGET', KEYS[1], 'a', 'b')
local attempts = tonumber(entry[1]) or 0
local blocked = tonumber(entry[2]) or 0
if blocked > now then return {0, blocked - now, attempts, 0} end
attempts = attempts + 1
local delay = 0
if attempts >= max_attempts then
  delay = base
  local doublings = attempts - max_attempts
  while doublings > 0 and delay < cap do
    delay = delay * 2
    doublings = doublings - 1
  end
  if delay > cap then delay = cap end
  blocked = now + delay
end
redis.call('HSET', KEYS[1], 'a', attempts, 'b', string.format('%.0f', blocked))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.max(now, blocked) + window - now))
return {1, 0, attempts, delay}
)lua");

// KEYS[1]; ARGV[1]: max_attempts. Takes one attempt back; lifts the block once within budget.
const redis::Script kRelease(R"lua(
local attempts = tonumber(redis.call('HGET', KEYS[1], 'a'))
if not attempts then return 0 end
if attempts <= 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
attempts = attempts - 1
redis.call('HSET', KEYS[1], 'a', attempts)
if attempts < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'b', 0) end
return attempts
)lua");

std::int64_t to_ms(ThrottleClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::int64_t element(const redis::Reply& reply, std::size_t i) {
  if (!reply.is_array() || i >= reply.elements.size() || reply.elements[i].type != redis::Reply::Type::integer) {
    throw AppError::internal("throttle script replied " + reply.debug_string());
  }
  return reply.elements[i].integer;
}

}  // namespace

RedisThrottleStore::RedisThrottleStore(std::shared_ptr<redis::Client> client, ThrottleStore& fallback,
                                       spdlog::logger& logger, std::string prefix)
    : client_(std::move(client)), fallback_(fallback), logger_(logger), prefix_(std::move(prefix)) {}

asio::awaitable<AcquireResult> RedisThrottleStore::acquire(const std::string& key, ThrottleClock::time_point now,
                                                           const ThrottlePolicy& policy) {
  const std::array<std::string, 1> keys{prefix_ + key};
  const std::array<std::string, 5> args{std::to_string(to_ms(now)), std::to_string(policy.max_attempts),
                                        std::to_string(milliseconds(policy.window).count()),
                                        std::to_string(milliseconds(policy.base_delay).count()),
                                        std::to_string(milliseconds(policy.max_delay).count())};
  redis::Reply reply;
  try {
    reply = co_await kAcquire.run(*client_, keys, args);
  } catch (const AppError& e) {
    if (e.status() != 503) throw;
    note_fallback(e);
    reply = redis::Reply::nil();
  }
  if (reply.is_null()) co_return co_await fallback_.acquire(key, now, policy);
  AcquireResult result;
  result.allowed = element(reply, 0) == 1;
  result.attempts = static_cast<int>(element(reply, 2));
  if (!result.allowed) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(milliseconds(element(reply, 1)));
    result.retry_after = std::max(left, std::chrono::seconds(1));
  }
  result.imposed_block = std::chrono::duration_cast<std::chrono::seconds>(milliseconds(element(reply, 3)));
  co_return result;
}

asio::awaitable<void> RedisThrottleStore::release(const std::string& key, ThrottleClock::time_point now,
                                                  const ThrottlePolicy& policy) {
  const std::array<std::string, 1> keys{prefix_ + key};
  const std::array<std::string, 1> args{std::to_string(policy.max_attempts)};
  bool failed = false;
  try {
    auto reply = co_await kRelease.run(*client_, keys, args);
    if (reply.is_error()) throw AppError::internal("throttle release script: " + reply.text);
  } catch (const AppError& e) {
    if (e.status() != 503) throw;
    note_fallback(e);
    failed = true;
  }
  if (failed) co_await fallback_.release(key, now, policy);
}

asio::awaitable<void> RedisThrottleStore::reset(const std::string& key) {
  std::vector<std::string> del{"DEL", prefix_ + key};
  try {
    co_await client_->command(del);
  } catch (const AppError& e) {
    if (e.status() != 503) throw;
    note_fallback(e);
  }
  // The fallback may hold counts from an outage: forget them too.
  co_await fallback_.reset(key);
}

void RedisThrottleStore::note_fallback(const AppError& error) {
  ++fallbacks_;
  const auto now = to_ms(ThrottleClock::now());
  auto last = last_warning_ms_.load();
  if (now - last >= 60'000 && last_warning_ms_.compare_exchange_strong(last, now)) {
    logger_.warn("login throttle: Redis unreachable, counting in this process meanwhile: {}", error.internal_detail());
  }
}

}  // namespace parley::ratelimit
