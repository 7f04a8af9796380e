#pragma once
// One `Shard` per thread for an object that many threads update on hot paths (metrics): a thread
// finds its own shard through a thread-local cache without taking a shared lock, and a reader (a
// scrape) visits them all. The shard's own synchronization is the caller's (typically a mutex
// that only its thread and a reader take).
//
// Shards live as long as the object (a thread that ends leaves its shard, still counted). Several
// objects of one Shard type are told apart in a thread's cache by an instance number, never by
// address (a new object may reuse a destroyed one's address).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace parley::core {

namespace detail {
inline std::uint64_t next_thread_shards_instance() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace detail

template <typename Shard>
class ThreadShards {
 public:
  // The calling thread's shard, made on its first call.
  Shard& local() {
    thread_local std::uint64_t cached_instance = 0;
    thread_local Shard* cached = nullptr;
    if (cached_instance == instance_) return *cached;
    std::lock_guard lock(mutex_);
    auto& slot = shards_[std::this_thread::get_id()];
    if (!slot) slot = std::make_unique<Shard>();
    cached_instance = instance_;
    cached = slot.get();
    return *cached;
  }

  // Calls visit(shard) for every shard; one for_each at a time (threads may still add to their
  // shards meanwhile, under the shard's own synchronization).
  template <typename Visit>
  void for_each(Visit&& visit) {
    std::lock_guard lock(mutex_);
    for (auto& [thread, shard] : shards_) visit(*shard);
  }

 private:
  const std::uint64_t instance_ = detail::next_thread_shards_instance();
  std::mutex mutex_;
  std::unordered_map<std::thread::id, std::unique_ptr<Shard>> shards_;
};

}  // namespace parley::core
