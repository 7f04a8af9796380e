#pragma once
// Rate-limit buckets in Redis, shared by every replica: one string key per bucket holding its TAT
// (ms since the epoch) and expiring at it, updated by one Lua script per request (EVALSHA), so a
// take is atomic across both buckets and costs one round trip. The GCRA steps in the script are
// gcra.hpp's, line for line.
//
// The time is the caller's clock, passed in: replicas need synchronised clocks (NTP), as JWT
// expiry already requires; a replica whose clock runs ahead by d lets through d's worth of
// refill early. Keys: "<prefix><scope>:{<subject>}" — the subject is the hash tag, so the
// buckets of one request share a Redis Cluster slot.
#include <memory>

#include "ratelimit/store.hpp"
#include "redis/client.hpp"

namespace parley::ratelimit {

class RedisRateLimitStore final : public RateLimitStore {
 public:
  explicit RedisRateLimitStore(std::shared_ptr<redis::Client> client);

  // Throws the client's 503 AppError when Redis cannot be reached; an unexpected reply (a script
  // error) is a 500.
  boost::asio::awaitable<Decision> take(std::span<const Bucket> buckets, std::int64_t now_ms) override;
  std::string_view name() const noexcept override { return "redis"; }

 private:
  std::shared_ptr<redis::Client> client_;
};

}  // namespace parley::ratelimit
