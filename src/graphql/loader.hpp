#pragma once
// Batching (DataLoader-style) for one request.
//
// Batcher counts the request's tasks that can still make progress. The executor runs the items of
// a list concurrently (each one a task on the request's strand); a task that asks a Loader for a
// key parks until the loader's batch is fetched. When every task is parked (on a loader or on its
// own children), the Batcher flushes the loaders that have queued keys: each makes ONE call to its
// batch function with all keys requested at that level, then wakes the parked tasks. Tasks waiting
// on real I/O count as running, so a batch never leaves early while a sibling could still add keys.
//
// Thread-safety: none; everything runs on the request's strand (the executor guarantees it).
// Resolvers may co_await work on other executors: the coroutine resumes on the strand.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

namespace parley::graphql {

class Batcher {
 public:
  explicit Batcher(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  const boost::asio::any_io_executor& executor() const { return executor_; }

  // Bookkeeping by the executor: `n` tasks started; one task finished.
  void enter(int n = 1) { running_ += n; }
  void leave() {
    --running_;
    maybe_flush();
  }

  // Queues a flush (a loader with pending keys) for the next moment every task is parked. It never
  // flushes at once: the caller is about to park on the key it queued, and may queue more first.
  void schedule(std::function<boost::asio::awaitable<void>()> flush) { flushes_.push_back(std::move(flush)); }

  // One parked task. wait() counts the task as parked until wake() (which may come first).
  class Waiter {
   public:
    explicit Waiter(Batcher& batcher) : batcher_(batcher) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    boost::asio::awaitable<void> wait();
    void wake();

   private:
    Batcher& batcher_;
    bool woken_ = false;
    bool parked_ = false;
    std::optional<boost::asio::any_completion_handler<void()>> handler_;
  };

  // How many flush rounds ran (for tests and metrics).
  std::size_t rounds() const { return rounds_; }

 private:
  void maybe_flush();
  boost::asio::awaitable<void> flush_all();

  boost::asio::any_io_executor executor_;
  int running_ = 0;
  bool flushing_ = false;
  std::size_t rounds_ = 0;
  std::vector<std::function<boost::asio::awaitable<void>()>> flushes_;
};

// Loads values by key in batches, caching each key for the request (a key is fetched once).
// Keys need operator< (they index a std::map).
// The batch function receives distinct keys in request order and returns the values it found;
// a key missing from its map loads as std::nullopt. An exception from the batch function is
// rethrown to every load() of that batch.
template <typename Key, typename Val>
class Loader {
 public:
  using BatchFn = std::function<boost::asio::awaitable<std::map<Key, Val>>(std::vector<Key>)>;

  Loader(Batcher& batcher, BatchFn fn) : batcher_(batcher), fn_(std::move(fn)) {}
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  boost::asio::awaitable<std::optional<Val>> load(Key key) {
    std::shared_ptr<Entry> entry = entry_for(key);
    if (!entry->done) {
      Batcher::Waiter waiter(batcher_);
      entry->waiters.push_back(&waiter);
      co_await waiter.wait();
    }
    if (entry->error) std::rethrow_exception(entry->error);
    co_return entry->value;
  }

  // Several keys at once, in one batch with whatever else is pending; results in key order.
  boost::asio::awaitable<std::vector<std::optional<Val>>> load_many(std::vector<Key> keys) {
    std::vector<std::shared_ptr<Entry>> entries;
    entries.reserve(keys.size());
    for (const Key& key : keys) entries.push_back(entry_for(key));
    std::vector<std::optional<Val>> out;
    out.reserve(keys.size());
    for (auto& entry : entries) {
      if (!entry->done) {
        Batcher::Waiter waiter(batcher_);
        entry->waiters.push_back(&waiter);
        co_await waiter.wait();
      }
      if (entry->error) std::rethrow_exception(entry->error);
      out.push_back(entry->value);
    }
    co_return out;
  }

  // Stores a value (e.g. one a list query already returned) so load(key) needs no batch.
  void prime(const Key& key, Val value) {
    auto& slot = cache_[key];
    if (slot) return;
    slot = std::make_shared<Entry>();
    slot->done = true;
    slot->value = std::move(value);
  }

  // The value load() or prime() already holds for `key`; nullptr when there is none (never
  // fetches). The pointer stays valid as long as the loader (entries are never dropped).
  const Val* peek(const Key& key) const {
    auto it = cache_.find(key);
    if (it == cache_.end() || !it->second->done || !it->second->value) return nullptr;
    return &*it->second->value;
  }

  // Number of calls made to the batch function.
  std::size_t batch_calls() const { return batch_calls_; }

 private:
  struct Entry {
    bool done = false;
    std::optional<Val> value;
    std::exception_ptr error;
    std::vector<Batcher::Waiter*> waiters;
  };

  // The cache entry of `key`, queued for the next batch when it is new.
  std::shared_ptr<Entry> entry_for(const Key& key) {
    auto& slot = cache_[key];
    if (!slot) {
      slot = std::make_shared<Entry>();
      queue_.push_back(key);
      if (!scheduled_) {
        scheduled_ = true;
        batcher_.schedule([this] { return flush(); });
      }
    }
    return slot;
  }

  boost::asio::awaitable<void> flush() {
    scheduled_ = false;
    std::vector<Key> keys = std::move(queue_);
    queue_.clear();
    ++batch_calls_;
    std::map<Key, Val> found;
    std::exception_ptr error;
    try {
      auto call = fn_(keys);
      found = co_await std::move(call);
    } catch (...) {
      error = std::current_exception();
    }
    for (const Key& key : keys) {
      auto& entry = cache_[key];
      entry->done = true;
      entry->error = error;
      if (!error) {
        auto it = found.find(key);
        if (it != found.end()) entry->value = std::move(it->second);
      }
      auto waiters = std::move(entry->waiters);
      entry->waiters.clear();
      for (auto* w : waiters) w->wake();
    }
  }

  Batcher& batcher_;
  BatchFn fn_;
  std::map<Key, std::shared_ptr<Entry>> cache_;
  std::vector<Key> queue_;
  bool scheduled_ = false;
  std::size_t batch_calls_ = 0;
};

// The request's loaders by name, created on first use (ResolveInfo::loader).
class LoaderRegistry {
 public:
  explicit LoaderRegistry(Batcher& batcher) : batcher_(batcher) {}

  // The loader called `name`, created with `fn` the first time. Asking for the same name with
  // other Key/Val types throws std::logic_error.
  template <typename Key, typename Val>
  Loader<Key, Val>& get(const std::string& name, typename Loader<Key, Val>::BatchFn fn) {
    auto it = loaders_.find(name);
    if (it == loaders_.end()) {
      auto loader = std::make_shared<Loader<Key, Val>>(batcher_, std::move(fn));
      it = loaders_.emplace(name, Slot{std::type_index(typeid(Loader<Key, Val>)), loader}).first;
    } else if (it->second.type != std::type_index(typeid(Loader<Key, Val>))) {
      throw std::logic_error("graphql loader '" + name + "' requested with different key/value types");
    }
    return *static_cast<Loader<Key, Val>*>(it->second.loader.get());
  }

 private:
  struct Slot {
    std::type_index type;
    std::shared_ptr<void> loader;
  };
  Batcher& batcher_;
  std::map<std::string, Slot> loaders_;
};

}  // namespace parley::graphql
