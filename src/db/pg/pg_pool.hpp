#pragma once
// A pool of pipelined PostgreSQL connections.
//
// Autocommit statements share connections (shared()): they go to the least loaded unpinned
// connection and pipeline with whatever else runs there; when every connection is busy and the
// pool may grow, one more is opened in the background. Transactions and cursors pin a connection
// (pin()/release()) so nothing else interleaves with them. When every connection is pinned and
// the pool is at pool_max, callers queue; after acquire_timeout they get a 503.
//
// Broken connections (server restart, network) are dropped as soon as they are seen; new ones
// are opened on demand, with exponential backoff after failures (callers get a 503 with
// Retry-After meanwhile instead of hammering a dead server). A maintenance loop probes idle
// connections, retires those older than max_lifetime and keeps pool_min open.
//
// Thread-safety: every member may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "db/pg/pg_config.hpp"
#include "db/pg/pg_connection.hpp"

namespace parley::db::pg {

class PgPool : public std::enable_shared_from_this<PgPool> {
 public:
  using Clock = std::chrono::steady_clock;

  // `executors`: where connections run, round-robin (one per io_context spreads the libpq work
  // over the I/O threads). Call start() to begin maintenance.
  PgPool(std::vector<boost::asio::any_io_executor> executors, PgConfig config);
  ~PgPool();

  void start();
  boost::asio::awaitable<std::shared_ptr<PgConnection>> shared();
  boost::asio::awaitable<std::shared_ptr<PgConnection>> pin();
  // Returns a pinned connection. Broken, retiring or over-age connections are closed instead.
  void release(const std::shared_ptr<PgConnection>& conn);
  // Closes every connection and fails waiters; later acquisitions throw 503.
  void close();
  // close(), then waits on each connection's strand until its pending statements have been failed
  // (close() only schedules that; Database::close_and_drain says why it matters).
  boost::asio::awaitable<void> close_and_drain();

  struct Stats {
    std::size_t open = 0;
    std::size_t pinned = 0;
    std::size_t connecting = 0;
    std::size_t waiting = 0;
  };
  Stats stats() const;
  const PgConfig& config() const noexcept { return config_; }

 private:
  struct Slot {
    std::shared_ptr<PgConnection> conn;
    bool pinned = false;
    bool retiring = false;  // over max_lifetime: closed once idle
  };
  struct Waiter;

  // What acquire() does next, decided under the lock.
  struct Decision {
    enum Action { use, connect, wait } action = use;
    std::shared_ptr<PgConnection> conn;  // use
    std::uint64_t seen_version = 0;      // wait
    boost::asio::any_io_executor grow_on;  // use: also open one more connection there in the background
  };
  Decision decide(bool exclusive, Clock::time_point deadline);
  std::shared_ptr<PgConnection> finish_connect(std::shared_ptr<PgConnection> conn, std::exception_ptr failure,
                                               bool exclusive);
  void finish_background_connect(std::shared_ptr<PgConnection> conn);
  bool is_closed() const;
  // close(), returning the connections it closed (none when already closed).
  std::vector<std::shared_ptr<PgConnection>> close_all();
  boost::asio::awaitable<std::shared_ptr<PgConnection>> acquire(bool exclusive);
  boost::asio::awaitable<std::shared_ptr<PgConnection>> open_connection();
  boost::asio::awaitable<bool> wait(std::uint64_t seen_version, Clock::time_point deadline);
  boost::asio::awaitable<void> grow_in_background();
  boost::asio::awaitable<void> maintain();
  boost::asio::awaitable<void> check_health();
  void prune_locked();
  void forget_handshake_locked(const std::shared_ptr<PgConnection>& conn);
  void wake_one_locked();
  void connect_failed_locked();
  int retry_after_seconds_locked() const;
  boost::asio::any_io_executor next_executor_locked();

  std::vector<boost::asio::any_io_executor> executors_;
  PgConfig config_;
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
  std::list<std::shared_ptr<Waiter>> waiters_;
  std::size_t connecting_ = 0;
  // Connections still in their handshake: close_all() closes them too, so none is left half-open
  // (and leaked) when the I/O threads stop. Expired entries are pruned as new ones arrive.
  std::vector<std::weak_ptr<PgConnection>> handshaking_;
  std::uint64_t version_ = 0;  // bumped whenever a waiter could now succeed
  Clock::time_point next_connect_at_{};
  std::chrono::milliseconds backoff_;
  std::size_t next_executor_ = 0;
  bool closed_ = false;
  boost::asio::steady_timer maintenance_timer_;
};

}  // namespace parley::db::pg
