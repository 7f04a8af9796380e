#pragma once
// The cache: values by key with a TTL, versioned namespaces for invalidation, single-flight
// loading, metrics, and a backend that may fail without failing a request. docs/caching.md lists
// every use, its key, its TTL and what invalidates it.
//
//   std::vector<std::string> namespaces{"conversation:7"};
//   std::string page = co_await cache.get_or_load(stats, namespaces, "page:...", ttl, loader);
//   ... after a write's commit:  co_await cache.bump(namespaces);
//
// * Versioned keys. A key is stored as "<ns>@<version>/.../<key>" with the current version of
//   each of its namespaces (and of the global namespace "*"), read in one round trip before the
//   lookup. bump(ns) raises a version, so every key built with the old one is dead at once,
//   however many there are. A loader's result is stored under the versions read *before* it ran:
//   a write that commits while the loader reads and bumps afterwards leaves that result under an
//   old version, where nobody looks for it.
// * Single-flight. Concurrent get_or_load() calls of one versioned key in this process share one
//   lookup and at most one loader run; the others wait for its result. An exception from the
//   loader reaches every waiter and nothing is cached.
// * Outage. An error from the backend (Redis down, too slow, an error reply) never fails a
//   request: the lookup counts as an error, the loader runs, nothing is stored, and the backend is
//   tried again by the next call (redis::Client fails at once while it backs off). A bump that
//   could not reach the backend leaves entries that may be stale: until a bump of "*" (every
//   namespace) succeeds, this process bypasses the cache. Errors are logged at most once per
//   `log_interval`, and the recovery once.
//
// Thread-safety: every member may be called from any thread at once; no lock is held across a
// suspension.
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cache/backend.hpp"

namespace parley::cache {

// The namespace every key belongs to: bumping it invalidates everything.
inline constexpr std::string_view kGlobalNamespace = "*";

// The counters of one use of the cache (the `cache` label of the metrics).
struct Stats {
  prometheus::Counter* hits = nullptr;    // served from the cache, or from another caller's load
  prometheus::Counter* misses = nullptr;  // the loader ran (and its result was stored)
  prometheus::Counter* errors = nullptr;  // the backend failed; the loader ran, nothing stored
  prometheus::Counter* bypassed = nullptr;  // the cache was not consulted (after lost invalidations)
};

struct CacheOptions {
  std::chrono::seconds log_interval{30};
};

class Cache {
 public:
  using Loader = std::function<boost::asio::awaitable<std::string>()>;

  Cache(std::unique_ptr<Backend> backend, prometheus::Registry& registry, spdlog::logger& logger,
        CacheOptions options = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  Backend& backend() noexcept { return *backend_; }
  // The counters labelled `cache=name` (the same ones for the same name).
  Stats stats(const std::string& name);

  // The value of `key` under the current versions of `namespaces`: cached, or from `loader`
  // (then stored for `ttl`). Throws only what the loader throws.
  // Arguments are taken by value: they live in the coroutine, whatever the caller's temporaries.
  boost::asio::awaitable<std::string> get_or_load(Stats stats, std::vector<std::string> namespaces, std::string key,
                                                  std::chrono::milliseconds ttl, Loader loader);
  // Plain entries, without versions. get() returns nullopt on a miss and when the backend fails;
  // set() and erase() never throw.
  boost::asio::awaitable<std::optional<std::string>> get(Stats stats, std::string key);
  boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl);
  boost::asio::awaitable<void> erase(std::string key);
  // Invalidates every key of `namespaces`. Never throws; when the backend fails, this process
  // bypasses the cache until a bump of every namespace succeeds (see above).
  boost::asio::awaitable<void> bump(std::vector<std::string> namespaces);

  // How many loads are being waited for right now (tests).
  std::size_t flights_in_progress();

 private:
  struct Flight;
  // The versioned key, or nullopt when the cache must be bypassed.
  boost::asio::awaitable<std::optional<std::string>> versioned_key(const std::vector<std::string>& namespaces,
                                                                   const std::string& key);
  // Whether the backend may be used: false while an invalidation is owed and cannot be paid.
  boost::asio::awaitable<bool> usable();
  void failed(std::string_view operation, const std::exception& error);
  void succeeded();

  std::unique_ptr<Backend> backend_;
  spdlog::logger& logger_;
  CacheOptions options_;
  prometheus::Family<prometheus::Counter>& hits_;
  prometheus::Family<prometheus::Counter>& misses_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& bypassed_;
  std::atomic<bool> owes_invalidation_{false};
  std::atomic<bool> failing_{false};
  std::mutex log_mutex_;
  std::chrono::steady_clock::time_point last_error_log_{};
  std::uint64_t errors_since_log_ = 0;
  std::mutex flights_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

// The counter family of entries evicted from memory for room (the memory backend's
// `evictions` argument): parley_cache_evictions_total{store="memory"}.
prometheus::Counter& memory_evictions_counter(prometheus::Registry& registry);

}  // namespace parley::cache
