#pragma once
// Where rate-limit buckets live: in this process (MemoryRateLimitStore) or in Redis, shared by
// every replica (RedisRateLimitStore). Both run the same GCRA steps (gcra.hpp).
#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/rate_policy.hpp"
#include "ratelimit/gcra.hpp"

namespace parley::ratelimit {

// A request takes from at most this many buckets (its general scope and its route's scope).
inline constexpr std::size_t kMaxBuckets = 2;

struct Bucket {
  std::string key;                    // distinct within one take()
  const RatePolicy* policy = nullptr;  // enabled; outlives the take
};

struct Decision {
  bool allowed = false;  // every bucket allowed it, and each gave one token
  std::size_t count = 0;
  std::array<BucketState, kMaxBuckets> buckets{};  // in the order given; the first `count`
};

class RateLimitStore {
 public:
  virtual ~RateLimitStore() = default;
  // One request against every bucket, all or nothing: when any bucket refuses, none changes (a
  // refused request has no effect, not even on the other bucket). At most kMaxBuckets buckets.
  // May throw a 503 AppError when the store cannot be reached (the Redis store). `buckets` must
  // stay valid until the awaitable completes.
  virtual boost::asio::awaitable<Decision> take(std::span<const Bucket> buckets, std::int64_t now_ms) = 0;
  // "memory" or "redis", for logs and metrics.
  virtual std::string_view name() const noexcept = 0;
};

}  // namespace parley::ratelimit
