#include "db/pg/pg_pool.hpp"

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "db/errors.hpp"

namespace parley::db::pg {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

// A caller queued for a connection. `resume` is set under the pool mutex and taken exactly once,
// by whoever completes the wait first: a release (true) or the deadline (false).
struct PgPool::Waiter {
  std::function<void(bool)> resume;
  std::optional<asio::steady_timer> timer;
};

PgPool::PgPool(std::vector<asio::any_io_executor> executors, PgConfig config)
    : executors_(std::move(executors)),
      config_(std::move(config)),
      backoff_(config_.reconnect_backoff_initial),
      maintenance_timer_(asio::make_strand(executors_.at(0))) {
  config_.pool_max = std::max<std::size_t>(config_.pool_max, 1);
  config_.pool_min = std::min(config_.pool_min, config_.pool_max);
}

PgPool::~PgPool() {
  for (auto& slot : slots_) slot.conn->close();
}

void PgPool::start() {
  asio::co_spawn(maintenance_timer_.get_executor(), [self = shared_from_this()] { return self->maintain(); },
                 asio::detached);
}

awaitable<std::shared_ptr<PgConnection>> PgPool::shared() { return acquire(false); }

awaitable<std::shared_ptr<PgConnection>> PgPool::pin() { return acquire(true); }

// acquire() decides and records under mutex_ in plain functions (decide, finish_connect): its
// coroutine frame never holds the lock, so no suspension, and no resumption on another thread, can
// leave the lock held. (An earlier version kept a std::unique_lock in the frame and, under
// concurrent transactions, left the mutex locked with no thread holding it.)
PgPool::Decision PgPool::decide(bool exclusive, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  if (closed_) throw database_unavailable("pool is closed");
  prune_locked();
  Slot* best = nullptr;
  for (auto& slot : slots_) {
    if (slot.pinned || slot.retiring) continue;
    if (best == nullptr || slot.conn->in_flight() < best->conn->in_flight()) best = &slot;
  }
  const auto now = Clock::now();
  const bool can_grow = slots_.size() + connecting_ < config_.pool_max;
  const bool may_connect = can_grow && now >= next_connect_at_;
  const bool busy = best != nullptr && best->conn->in_flight() > 0;
  if (best != nullptr && (!exclusive || !busy || !may_connect)) {
    // Pinning a connection with statements still in flight is safe: the pipeline runs them
    // before the transaction's BEGIN.
    if (exclusive) best->pinned = true;
    Decision d{Decision::use, best->conn, 0, asio::any_io_executor()};
    if (!exclusive && busy && may_connect && connecting_ == 0) {
      ++connecting_;
      d.grow_on = next_executor_locked();
    }
    return d;
  }
  if (may_connect) {
    ++connecting_;
    return Decision{Decision::connect, nullptr, 0, asio::any_io_executor()};
  }
  if (can_grow && connecting_ == 0) {
    // Nothing usable and reconnecting is backing off: fail fast, the server is down.
    throw database_unavailable("no database connection (reconnect backing off)", retry_after_seconds_locked());
  }
  if (now >= deadline) {
    throw database_unavailable("timed out after " + std::to_string(config_.acquire_timeout.count()) +
                               " ms waiting for a database connection");
  }
  return Decision{Decision::wait, nullptr, version_, asio::any_io_executor()};
}

std::shared_ptr<PgConnection> PgPool::finish_connect(std::shared_ptr<PgConnection> conn, std::exception_ptr failure,
                                                     bool exclusive) {
  std::lock_guard lock(mutex_);
  --connecting_;
  forget_handshake_locked(conn);
  if (failure) {
    connect_failed_locked();
    std::rethrow_exception(failure);
  }
  backoff_ = config_.reconnect_backoff_initial;
  if (closed_) {
    conn->close();
    throw database_unavailable("pool is closed");
  }
  slots_.push_back(Slot{conn, exclusive, false});
  if (!exclusive) wake_one_locked();
  return conn;
}

awaitable<std::shared_ptr<PgConnection>> PgPool::acquire(bool exclusive) {
  const auto deadline = Clock::now() + config_.acquire_timeout;
  for (;;) {
    Decision d = decide(exclusive, deadline);
    if (d.action == Decision::use) {
      if (d.grow_on) {
        asio::co_spawn(d.grow_on, [self = shared_from_this()] { return self->grow_in_background(); }, asio::detached);
      }
      co_return d.conn;
    }
    if (d.action == Decision::connect) {
      std::shared_ptr<PgConnection> conn;
      std::exception_ptr failure;
      try {
        conn = co_await open_connection();
      } catch (...) {
        failure = std::current_exception();
      }
      co_return finish_connect(std::move(conn), failure, exclusive);
    }
    co_await wait(d.seen_version, deadline);
  }
}

// Not a coroutine (see PgConnection::execute): the awaitable owns the initiation's captures.
awaitable<bool> PgPool::wait(std::uint64_t seen_version, Clock::time_point deadline) {
  return asio::async_initiate<decltype(use_awaitable), void(bool)>(
      [this, waiter = std::make_shared<Waiter>(), seen_version, deadline](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        std::function<void(bool)> resume = [executor, shared](bool woken) {
          asio::post(executor, [shared, woken]() mutable { (*shared)(woken); });
        };
        std::lock_guard lock(mutex_);
        if (version_ != seen_version || closed_) {
          resume(true);  // something changed since the caller looked: try again at once
          return;
        }
        waiter->resume = std::move(resume);
        waiter->timer.emplace(executor, deadline);
        waiters_.push_back(waiter);
        waiter->timer->async_wait([self = shared_from_this(), waiter](boost::system::error_code ec) {
          if (ec) return;
          std::function<void(bool)> resume;
          {
            std::lock_guard lock(self->mutex_);
            self->waiters_.remove(waiter);
            resume = std::move(waiter->resume);
          }
          if (resume) resume(false);
        });
      },
      use_awaitable);
}

void PgPool::wake_one_locked() {
  ++version_;
  while (!waiters_.empty()) {
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    if (!waiter->resume) continue;
    auto resume = std::move(waiter->resume);
    waiter->resume = nullptr;
    resume(true);
    // The timer belongs to the waiter's executor; cancel it there.
    asio::post(waiter->timer->get_executor(), [waiter] { waiter->timer->cancel(); });
    return;
  }
}

void PgPool::release(const std::shared_ptr<PgConnection>& conn) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.conn == conn; });
  if (it == slots_.end()) {
    conn->close();
    return;
  }
  it->pinned = false;
  const bool expired = Clock::now() - conn->created_at() > config_.max_lifetime;
  if (conn->broken() || it->retiring || expired || closed_) {
    conn->close();
    slots_.erase(it);
  }
  wake_one_locked();
}

void PgPool::forget_handshake_locked(const std::shared_ptr<PgConnection>& conn) {
  std::erase_if(handshaking_, [&](const auto& weak) {
    const auto other = weak.lock();
    return other == nullptr || other == conn;
  });
}

void PgPool::prune_locked() {
  const auto before = slots_.size();
  std::erase_if(slots_, [](const Slot& s) {
    if (!s.conn->broken()) return false;
    s.conn->close();
    return true;
  });
  if (slots_.size() != before) ++version_;
}

void PgPool::connect_failed_locked() {
  next_connect_at_ = Clock::now() + backoff_;
  backoff_ = std::min(backoff_ * 2, config_.reconnect_backoff_max);
  // Every waiter may now fail fast instead of waiting out its deadline.
  while (!waiters_.empty()) wake_one_locked();
}

int PgPool::retry_after_seconds_locked() const {
  const auto remaining = std::chrono::ceil<std::chrono::seconds>(next_connect_at_ - Clock::now());
  return std::max<int>(1, static_cast<int>(remaining.count()));
}

asio::any_io_executor PgPool::next_executor_locked() { return executors_[next_executor_++ % executors_.size()]; }

awaitable<std::shared_ptr<PgConnection>> PgPool::open_connection() {
  asio::any_io_executor executor;
  {
    std::lock_guard lock(mutex_);
    executor = next_executor_locked();
  }
  auto on_started = [self = shared_from_this()](const std::shared_ptr<PgConnection>& conn) {
    std::lock_guard lock(self->mutex_);
    if (self->closed_) {
      conn->close();
      return;
    }
    std::erase_if(self->handshaking_, [](const auto& weak) { return weak.expired(); });
    self->handshaking_.push_back(conn);
  };
  auto conn = co_await PgConnection::connect(executor, config_.url, config_.connect_timeout,
                                             config_.statement_timeout, std::move(on_started));
  conn->set_statement_observer(config_.observer);  // before anyone else has the connection
  co_return conn;
}

awaitable<void> PgPool::grow_in_background() {
  std::shared_ptr<PgConnection> conn;
  try {
    conn = co_await open_connection();
  } catch (const std::exception&) {
    conn = nullptr;
  }
  finish_background_connect(std::move(conn));
}

void PgPool::finish_background_connect(std::shared_ptr<PgConnection> conn) {
  std::lock_guard lock(mutex_);
  --connecting_;
  forget_handshake_locked(conn);
  if (!conn) {
    connect_failed_locked();
    return;
  }
  backoff_ = config_.reconnect_backoff_initial;
  if (closed_) {
    conn->close();
    return;
  }
  slots_.push_back(Slot{conn, false, false});
  wake_one_locked();
}

awaitable<void> PgPool::maintain() {
  for (;;) {
    maintenance_timer_.expires_after(config_.health_interval);
    boost::system::error_code ec;
    co_await maintenance_timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (is_closed()) co_return;
    co_await check_health();
  }
}

bool PgPool::is_closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

awaitable<void> PgPool::check_health() {
  const auto now = Clock::now();
  std::vector<std::shared_ptr<PgConnection>> to_probe;
  std::size_t missing = 0;
  {
    std::lock_guard lock(mutex_);
    prune_locked();
    std::erase_if(slots_, [&](Slot& s) {
      if (now - s.conn->created_at() <= config_.max_lifetime) return false;
      if (s.pinned || s.conn->in_flight() > 0) {
        s.retiring = true;  // closed by release() or the next round once idle
        return false;
      }
      s.conn->close();
      return true;
    });
    for (const auto& s : slots_) {
      if (!s.pinned && s.conn->in_flight() == 0 && now - s.conn->last_used() >= config_.health_interval) {
        to_probe.push_back(s.conn);
      }
    }
    const std::size_t have = slots_.size() + connecting_;
    if (have < config_.pool_min && now >= next_connect_at_) {
      missing = config_.pool_min - have;
      connecting_ += missing;
    }
  }
  for (auto& conn : to_probe) {
    try {
      co_await conn->execute(Query{"", "SELECT 1"});
    } catch (const std::exception&) {
      conn->close();  // pruned on next use
    }
  }
  for (std::size_t i = 0; i < missing; ++i) co_await grow_in_background();
}

std::vector<std::shared_ptr<PgConnection>> PgPool::close_all() {
  std::list<std::shared_ptr<Waiter>> waiters;
  std::vector<std::shared_ptr<PgConnection>> conns;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return {};
    closed_ = true;
    for (auto& slot : slots_) conns.push_back(std::move(slot.conn));
    slots_.clear();
    for (auto& weak : handshaking_) {
      if (auto conn = weak.lock()) conns.push_back(std::move(conn));
    }
    handshaking_.clear();
    waiters.swap(waiters_);
    ++version_;
  }
  // Closed outside the lock: closing fails the connection's pending operations inline, and one of
  // them (a transaction's rollback on destruction) calls release(), which takes the lock.
  for (auto& conn : conns) conn->close();
  for (auto& waiter : waiters) {
    if (auto resume = std::move(waiter->resume)) {
      resume(false);
      asio::post(waiter->timer->get_executor(), [waiter] { waiter->timer->cancel(); });
    }
  }
  asio::post(maintenance_timer_.get_executor(), [self = shared_from_this()] { self->maintenance_timer_.cancel(); });
  return conns;
}

void PgPool::close() { close_all(); }

awaitable<void> PgPool::close_and_drain() {
  auto conns = close_all();
  for (auto& conn : conns) co_await conn->drained();
}

PgPool::Stats PgPool::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats;
  stats.open = slots_.size();
  stats.connecting = connecting_;
  stats.waiting = waiters_.size();
  for (const auto& s : slots_) stats.pinned += s.pinned ? 1 : 0;
  return stats;
}

}  // namespace parley::db::pg
