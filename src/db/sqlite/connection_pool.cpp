#include "db/sqlite/connection_pool.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace parley::db::sqlite {

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

void ConnectionPool::Lease::reset() noexcept {
  if (connection_ != nullptr) pool_->release(std::exchange(connection_, nullptr));
  pool_ = nullptr;
}

ConnectionPool::ConnectionPool(std::vector<std::unique_ptr<Connection>> connections)
    : connections_(std::move(connections)) {
  for (auto& c : connections_) idle_.push_back(c.get());
}

ConnectionPool::~ConnectionPool() = default;

boost::asio::awaitable<ConnectionPool::Lease> ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      co_return Lease(this, c);
    }
  }
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, Lease)>(
      [this](auto handler) {
        std::unique_lock lock(mutex_);
        if (!idle_.empty()) {  // a lease came back between the two locks
          Connection* c = idle_.back();
          idle_.pop_back();
          lock.unlock();
          auto ex = boost::asio::get_associated_executor(handler);
          boost::asio::post(ex, [h = std::move(handler), lease = Lease(this, c)]() mutable {
            std::move(h)(nullptr, std::move(lease));
          });
          return;
        }
        auto work = boost::asio::make_work_guard(
            boost::asio::any_io_executor(boost::asio::get_associated_executor(handler)));
        waiters_.push_back(Waiter{Handler(std::move(handler)), std::move(work)});
      },
      boost::asio::use_awaitable);
}

PoolStats ConnectionPool::stats(std::string pool) const {
  std::lock_guard lock(mutex_);
  return PoolStats{.pool = std::move(pool),
                   .in_use = connections_.size() - idle_.size(),
                   .idle = idle_.size(),
                   .max = connections_.size(),
                   .waiting = waiters_.size()};
}

void ConnectionPool::release(Connection* connection) noexcept {
  std::unique_lock lock(mutex_);
  if (waiters_.empty()) {
    idle_.push_back(connection);
    return;
  }
  Waiter waiter = std::move(waiters_.front());
  waiters_.pop_front();
  lock.unlock();
  // Hand the connection straight to the oldest waiter, resumed on its own executor.
  auto ex = waiter.work.get_executor();
  boost::asio::post(ex, [h = std::move(waiter.handler), lease = Lease(this, connection)]() mutable {
    std::move(h)(nullptr, std::move(lease));
  });
}

}  // namespace parley::db::sqlite
