#pragma once
// The in-process cache store: an LRU bounded in bytes, with a TTL per entry, and the namespace
// versions as counters in memory (cache/backend.hpp).
//
// * Bytes: an entry costs its key, its value and kEntryOverhead (list node, hash slot, strings'
//   headers); the least recently used entries of a shard are evicted while the shard holds more
//   than max_bytes / kShards. A value larger than a shard's budget is not stored.
// * TTL: an expired entry is never returned; it is dropped when found, or evicted as it ages.
// * Versions: bump() sets a namespace's version to the next value of one process-wide counter,
//   so a version is never reused. At most max_namespaces are remembered; past that they are all
//   forgotten and every namespace reads a new floor (one more than any version issued), which
//   invalidates every entry once rather than ever answering for a forgotten bump.
//
// Thread-safety: every member may be called from any thread. kShards shards, each with its own
// mutex held only for a hash-map operation; values are shared (a hit copies outside the lock).
#include <prometheus/counter.h>

#include <array>
#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cache/backend.hpp"

namespace parley::cache {

class MemoryBackend final : public Backend {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kEntryOverhead = 128;

  struct Options {
    std::size_t max_bytes = 64u << 20;
    std::size_t max_namespaces = 1'000'000;
  };

  // `evictions` (optional) counts entries evicted for room (not expiries or erasures).
  explicit MemoryBackend(Options options, prometheus::Counter* evictions = nullptr);

  std::string_view kind() const noexcept override { return "memory"; }
  bool shared() const noexcept override { return false; }
  boost::asio::awaitable<std::optional<std::string>> get(std::string key) override;
  boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override;
  boost::asio::awaitable<void> erase(std::string key) override;
  boost::asio::awaitable<std::vector<std::uint64_t>> versions(std::vector<std::string> namespaces) override;
  boost::asio::awaitable<void> bump(std::vector<std::string> namespaces) override;

  // The same, synchronously (the awaitable members call these; tests and event handlers too).
  std::optional<std::string> find(std::string_view key, Clock::time_point now);
  void store(std::string key, std::string value, Clock::time_point expires_at);
  void remove(std::string_view key);
  std::uint64_t version(std::string_view ns);
  void bump_now(std::span<const std::string> namespaces);

  // Bytes and entries held (expired ones count until dropped).
  std::size_t bytes();
  std::size_t entries();

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> value;
    Clock::time_point expires_at;
    std::size_t cost;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;  // most recently used first
    // Keys point into the entries' own `key` (list nodes never move).
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    std::size_t bytes = 0;
  };
  Shard& shard_of(std::string_view key) noexcept;

  Options options_;
  std::size_t shard_budget_;
  prometheus::Counter* evictions_;
  std::array<Shard, kShards> shards_;
  std::mutex versions_mutex_;
  std::unordered_map<std::string, std::uint64_t> versions_;
  std::uint64_t clock_ = 0;  // the last version issued; under versions_mutex_
  std::uint64_t floor_ = 0;  // the version of a namespace not remembered; under versions_mutex_
};

}  // namespace parley::cache
