#include "cache/cache.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

namespace parley::cache {

namespace asio = boost::asio;
using asio::awaitable;

// One load in progress, awaited by the callers that asked for the same key meanwhile.
struct Cache::Flight {
  std::mutex mutex;
  bool done = false;
  std::string value;
  std::exception_ptr error;
  std::vector<std::function<void()>> waiters;  // each resumes one caller on its own executor

  void finish(std::string result, std::exception_ptr failure) {
    std::vector<std::function<void()>> wake;
    {
      std::lock_guard lock(mutex);
      done = true;
      value = std::move(result);
      error = failure;
      wake.swap(waiters);
    }
    for (auto& resume : wake) resume();
  }

  // Returns once finish() ran (at once if it already had).
  awaitable<void> wait() {
    auto initiate = [this](auto handler) {
      auto executor = asio::get_associated_executor(handler);
      auto shared = std::make_shared<decltype(handler)>(std::move(handler));
      std::function<void()> resume = [shared, executor]() { asio::post(executor, std::move(*shared)); };
      std::unique_lock lock(mutex);
      if (done) {
        lock.unlock();
        resume();
        return;
      }
      waiters.push_back(std::move(resume));
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(initiate, asio::use_awaitable);
  }
};

namespace {

prometheus::Family<prometheus::Counter>& family(prometheus::Registry& registry, const std::string& name,
                                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

void increment(prometheus::Counter* counter) {
  if (counter) counter->Increment();
}

}  // namespace

prometheus::Counter& memory_evictions_counter(prometheus::Registry& registry) {
  return family(registry, "parley_cache_evictions_total", "Cache entries evicted for room, by store")
      .Add({{"store", "memory"}});
}

Cache::Cache(std::unique_ptr<Backend> backend, prometheus::Registry& registry, spdlog::logger& logger,
             CacheOptions options)
    : backend_(std::move(backend)),
      logger_(logger),
      options_(options),
      hits_(family(registry, "parley_cache_hits_total", "Cache lookups answered without loading, by cache")),
      misses_(family(registry, "parley_cache_misses_total", "Cache lookups that ran their loader, by cache")),
      errors_(family(registry, "parley_cache_errors_total",
                     "Cache lookups that found the store failing (the loader ran, nothing was stored), by cache")),
      bypassed_(family(registry, "parley_cache_bypassed_total",
                       "Cache lookups skipped while an invalidation could not reach the store, by cache")) {}

Cache::~Cache() = default;

Stats Cache::stats(const std::string& name) {
  const std::map<std::string, std::string> labels{{"cache", name}};
  return Stats{.hits = &hits_.Add(labels),
               .misses = &misses_.Add(labels),
               .errors = &errors_.Add(labels),
               .bypassed = &bypassed_.Add(labels)};
}

void Cache::failed(std::string_view operation, const std::exception& error) {
  failing_.store(true, std::memory_order_relaxed);
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t count = 0;
  {
    std::lock_guard lock(log_mutex_);
    ++errors_since_log_;
    if (now - last_error_log_ < options_.log_interval) return;
    last_error_log_ = now;
    count = errors_since_log_;
    errors_since_log_ = 0;
  }
  logger_.warn("cache: {} store failed ({} failures since the last report); bypassing it: {}: {}", backend_->kind(),
               count, operation, error.what());
}

void Cache::succeeded() {
  if (failing_.exchange(false, std::memory_order_relaxed)) {
    logger_.info("cache: {} store answers again; using it", backend_->kind());
  }
}

awaitable<bool> Cache::usable() {
  if (!owes_invalidation_.load(std::memory_order_acquire)) co_return true;
  // A bump was lost while the store failed: entries it should have killed may still be there.
  // Kill them all before trusting the store again.
  try {
    std::vector<std::string> all{std::string(kGlobalNamespace)};
    co_await backend_->bump(std::move(all));
  } catch (const std::exception& e) {
    failed("bump *", e);
    co_return false;
  }
  owes_invalidation_.store(false, std::memory_order_release);
  succeeded();
  co_return true;
}

awaitable<std::optional<std::string>> Cache::versioned_key(const std::vector<std::string>& namespaces,
                                                          const std::string& key) {
  std::vector<std::string> all;
  all.reserve(namespaces.size() + 1);
  all.emplace_back(kGlobalNamespace);
  all.insert(all.end(), namespaces.begin(), namespaces.end());
  std::vector<std::uint64_t> versions;
  try {
    auto read = backend_->versions(all);
    versions = co_await std::move(read);
  } catch (const std::exception& e) {
    failed("versions", e);
    co_return std::nullopt;
  }
  std::string out;
  out.reserve(key.size() + 24 * all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    out += all[i];
    out += '@';
    out += std::to_string(versions[i]);
    out += '/';
  }
  out += key;
  co_return out;
}

awaitable<std::string> Cache::get_or_load(Stats stats, std::vector<std::string> namespaces, std::string key,
                                          std::chrono::milliseconds ttl, Loader loader) {
  if (!co_await usable()) {
    increment(stats.bypassed);
    co_return co_await loader();
  }
  auto full = co_await versioned_key(namespaces, key);
  if (!full) {
    increment(stats.errors);
    co_return co_await loader();
  }
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(flights_mutex_);
    auto [it, inserted] = flights_.try_emplace(*full);
    if (inserted) it->second = std::make_shared<Flight>();
    flight = it->second;
    leader = inserted;
  }
  if (!leader) {
    co_await flight->wait();
    if (flight->error) std::rethrow_exception(flight->error);
    increment(stats.hits);
    co_return flight->value;
  }
  // The leader: one lookup, at most one load, then everyone waiting gets the outcome.
  std::string value;
  std::exception_ptr failure;
  try {
    std::optional<std::string> cached;
    bool store_ok = true;
    try {
      auto lookup = backend_->get(*full);
      cached = co_await std::move(lookup);
      succeeded();
    } catch (const std::exception& e) {
      failed("get", e);
      store_ok = false;
    }
    if (cached) {
      increment(stats.hits);
      value = std::move(*cached);
    } else {
      increment(store_ok ? stats.misses : stats.errors);
      value = co_await loader();
      if (store_ok) {
        try {
          auto store = backend_->set(*full, value, ttl);
          co_await std::move(store);
        } catch (const std::exception& e) {
          failed("set", e);
        }
      }
    }
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard lock(flights_mutex_);
    flights_.erase(*full);
  }
  flight->finish(failure ? std::string() : value, failure);
  if (failure) std::rethrow_exception(failure);
  co_return value;
}

awaitable<std::optional<std::string>> Cache::get(Stats stats, std::string key) {
  if (!co_await usable()) {
    increment(stats.bypassed);
    co_return std::nullopt;
  }
  try {
    auto lookup = backend_->get(key);
    auto found = co_await std::move(lookup);
    succeeded();
    increment(found ? stats.hits : stats.misses);
    co_return found;
  } catch (const std::exception& e) {
    failed("get", e);
  }
  increment(stats.errors);
  co_return std::nullopt;
}

awaitable<void> Cache::set(std::string key, std::string value, std::chrono::milliseconds ttl) {
  if (!co_await usable()) co_return;
  try {
    auto store = backend_->set(key, std::move(value), ttl);
    co_await std::move(store);
    succeeded();
  } catch (const std::exception& e) {
    failed("set", e);
  }
}

awaitable<void> Cache::erase(std::string key) {
  try {
    auto remove = backend_->erase(key);
    co_await std::move(remove);
    succeeded();
  } catch (const std::exception& e) {
    // The entry may still be there: owe an invalidation of everything.
    owes_invalidation_.store(true, std::memory_order_release);
    failed("erase", e);
  }
}

awaitable<void> Cache::bump(std::vector<std::string> namespaces) {
  try {
    auto raise = backend_->bump(namespaces);
    co_await std::move(raise);
    succeeded();
  } catch (const std::exception& e) {
    owes_invalidation_.store(true, std::memory_order_release);
    failed("bump", e);
  }
}

std::size_t Cache::flights_in_progress() {
  std::lock_guard lock(flights_mutex_);
  return flights_.size();
}

}  // namespace parley::cache
