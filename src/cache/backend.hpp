#pragma once
// Where a Cache keeps its entries and its namespace versions: in this process (MemoryBackend) or
// in Redis (RedisBackend). cache/cache.hpp is what callers use; it adds versioned keys,
// single-flight loading, metrics and the outage rule (a failing backend is bypassed).
//
// Every member may throw when the store cannot answer (Redis: a 503 AppError); the Cache turns
// that into a bypass. Thread-safety: every member may be called from any thread at once.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cache {

class Backend {
 public:
  virtual ~Backend() = default;

  // "memory" or "redis" (logs, metrics, docs/caching.md).
  virtual std::string_view kind() const noexcept = 0;
  // Whether every process sees the same entries and versions (Redis). When false, other
  // processes learn of writes from the committed events on their EventBus (docs/caching.md).
  virtual bool shared() const noexcept = 0;

  // The value stored under `key`, nullopt when absent or expired.
  virtual boost::asio::awaitable<std::optional<std::string>> get(std::string key) = 0;
  // Stores `value` under `key` for `ttl` (> 0), replacing what was there.
  virtual boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) = 0;
  virtual boost::asio::awaitable<void> erase(std::string key) = 0;
  // The current version of each namespace, in order (0 for one never bumped); one round trip.
  virtual boost::asio::awaitable<std::vector<std::uint64_t>> versions(std::vector<std::string> namespaces) = 0;
  // Raises the version of each namespace: every key built with an older version is dead from the
  // moment this returns. One round trip.
  virtual boost::asio::awaitable<void> bump(std::vector<std::string> namespaces) = 0;
};

}  // namespace parley::cache
