#pragma once
// A fixed set of connections handed out one at a time. acquire() never blocks a thread: when
// every connection is leased, the caller's coroutine waits in a FIFO queue and is resumed on its
// own executor when a lease is returned. Thread-safe.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "db/sqlite/connection.hpp"

namespace parley::db::sqlite {

class ConnectionPool {
 public:
  // Exclusive use of one connection until destroyed (or reset); movable, returns it on release.
  class Lease {
   public:
    Lease() = default;
    Lease(ConnectionPool* pool, Connection* connection) : pool_(pool), connection_(connection) {}
    Lease(Lease&& other) noexcept { *this = std::move(other); }
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { reset(); }

    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_; }
    explicit operator bool() const noexcept { return connection_ != nullptr; }
    void reset() noexcept;

   private:
    ConnectionPool* pool_ = nullptr;
    Connection* connection_ = nullptr;
  };

  explicit ConnectionPool(std::vector<std::unique_ptr<Connection>> connections);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  std::size_t size() const noexcept { return connections_.size(); }
  boost::asio::awaitable<Lease> acquire();
  // How the pool is used now, under the name `pool` (the parley_db_pool_* gauges).
  PoolStats stats(std::string pool) const;

 private:
  using Handler = boost::asio::any_completion_handler<void(std::exception_ptr, Lease)>;
  struct Waiter {
    Handler handler;
    boost::asio::executor_work_guard<boost::asio::any_io_executor> work;
  };
  void release(Connection* connection) noexcept;

  std::vector<std::unique_ptr<Connection>> connections_;
  mutable std::mutex mutex_;
  std::vector<Connection*> idle_;
  std::deque<Waiter> waiters_;
};

}  // namespace parley::db::sqlite
