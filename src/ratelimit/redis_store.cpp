#include "ratelimit/redis_store.hpp"

#include "core/error.hpp"
#include "redis/script.hpp"

namespace parley::ratelimit {

namespace {

// KEYS[i]: a bucket. ARGV[1]: now (ms); ARGV[2i], ARGV[2i+1]: the interval (ms) and burst of
// KEYS[i]. Returns {allowed, then for each key: allowed, remaining, reset_after_ms, retry_after_ms}.
// Integers up to 2^53 are exact in Lua's doubles; TATs are about 2^41.
const redis::Script kTake(R"lua(
local now = tonumber(ARGV[1])
local all = 1
local out = {0}
local tats, new_tats = {}, {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local stored = tonumber(redis.call('GET', KEYS[i]) or 0)
  tats[i] = stored
  local tat = math.max(stored, now)
  local new_tat = tat + interval
  local allow_at = new_tat - burst * interval
  local at = 1 + (i - 1) * 4
  if now < allow_at then
    all = 0
    out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 0, 0, tat - now, allow_at - now
  else
    new_tats[i] = new_tat
    out[at + 1], out[at + 2], out[at + 3], out[at + 4] = 1, math.floor((now - allow_at) / interval), new_tat - now, 0
  end
end
for i = 1, #KEYS do
  local at = 1 + (i - 1) * 4
  if all == 1 then
    redis.call('SET', KEYS[i], string.format('%.0f', new_tats[i]), 'PX', string.format('%.0f', new_tats[i] - now))
  elseif out[at + 1] == 1 then
    out[at + 2] = out[at + 2] + 1
    out[at + 3] = math.max(0, tats[i] - now)
  end
end
out[1] = all
return out
)lua");

std::int64_t integer_at(const redis::Reply& reply, std::size_t index) {
  if (index >= reply.elements.size() || reply.elements[index].type != redis::Reply::Type::integer) {
    throw AppError::internal("rate limit script replied " + reply.debug_string());
  }
  return reply.elements[index].integer;
}

}  // namespace

RedisRateLimitStore::RedisRateLimitStore(std::shared_ptr<redis::Client> client) : client_(std::move(client)) {}

boost::asio::awaitable<Decision> RedisRateLimitStore::take(std::span<const Bucket> buckets, std::int64_t now_ms) {
  std::array<std::string, kMaxBuckets> keys;
  std::array<std::string, 1 + 2 * kMaxBuckets> args;
  args[0] = std::to_string(now_ms);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    keys[i] = buckets[i].key;
    args[1 + 2 * i] = std::to_string(buckets[i].policy->interval.count());
    args[2 + 2 * i] = std::to_string(buckets[i].policy->burst);
  }
  const std::span<const std::string> key_span(keys.data(), buckets.size());
  const std::span<const std::string> arg_span(args.data(), 1 + 2 * buckets.size());
  redis::Reply reply = co_await kTake.run(*client_, key_span, arg_span);
  if (reply.is_error()) {
    throw AppError::internal("rate limit script: " + reply.text);
  }
  Decision decision;
  decision.allowed = integer_at(reply, 0) == 1;
  decision.count = buckets.size();
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    auto& state = decision.buckets[i];
    state.allowed = integer_at(reply, 1 + 4 * i) == 1;
    state.remaining = integer_at(reply, 2 + 4 * i);
    state.reset_after = std::chrono::milliseconds(integer_at(reply, 3 + 4 * i));
    state.retry_after = std::chrono::milliseconds(integer_at(reply, 4 + 4 * i));
  }
  co_return decision;
}

}  // namespace parley::ratelimit
