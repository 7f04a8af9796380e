#include "redis/client.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "redis/errors.hpp"
#include "redis/resp.hpp"

namespace parley::redis {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

Client::Client(asio::any_io_executor executor, ClientConfig config)
    : strand_(asio::make_strand(std::move(executor))),
      config_(std::move(config)),
      lanes_(std::max<std::size_t>(config_.connections, 1)),
      backoff_(config_.reconnect_backoff_initial),
      stats_conns_(lanes_.size()) {}

Client::~Client() {
  // Nothing else holds us, so nothing else touches the lanes. Each connection's own handlers keep
  // it alive until its socket is closed.
  for (auto& lane : lanes_) {
    if (lane.conn) lane.conn->close("client destroyed");
  }
}

awaitable<Reply> Client::command(std::initializer_list<std::string_view> args) {
  std::vector<std::string> owned(args.begin(), args.end());
  return command(owned);
}

// Not a coroutine: the arguments are encoded now, while the caller's strings are valid, and the
// co_spawn below owns the bytes (GCC 12 destroys captures built inside a co_await expression twice).
awaitable<Reply> Client::command(const std::vector<std::string>& args) {
  std::string bytes = encode_command(args);
  const std::size_t lane = pick_lane();
  return asio::co_spawn(
      strand_,
      [self = shared_from_this(), bytes = std::move(bytes), lane]() mutable {
        return self->run_one(std::move(bytes), lane);
      },
      use_awaitable);
}

awaitable<std::vector<Reply>> Client::pipeline(std::span<const std::vector<std::string>> commands) {
  std::string bytes;
  for (const auto& args : commands) append_command(bytes, args);
  const std::size_t count = commands.size();
  const std::size_t lane = pick_lane();
  return asio::co_spawn(
      strand_,
      [self = shared_from_this(), bytes = std::move(bytes), count, lane]() mutable {
        return self->run_all(std::move(bytes), count, lane);
      },
      use_awaitable);
}

// On the strand. Connection::execute takes the bytes by rvalue reference: no temporary is built
// inside the co_await expressions below.
awaitable<Reply> Client::run_one(std::string bytes, std::size_t lane) {
  auto conn = co_await connection(lane);
  auto replies = co_await conn->execute(std::move(bytes), 1);
  co_return std::move(replies.front());
}

awaitable<std::vector<Reply>> Client::run_all(std::string bytes, std::size_t count, std::size_t lane) {
  if (count == 0) co_return std::vector<Reply>{};
  auto conn = co_await connection(lane);
  co_return co_await conn->execute(std::move(bytes), count);
}

// On the strand: the lane's live connection, or a new one. One connect per lane at a time;
// callers arriving meanwhile wait for its outcome (bounded: the attempt has connect_timeout).
awaitable<std::shared_ptr<Connection>> Client::connection(std::size_t index) {
  Lane& lane = lanes_[index];  // lanes_ never resizes: the reference survives the suspensions
  for (;;) {
    if (closed_) throw redis_unavailable("client is closed");
    if (lane.conn && !lane.conn->broken()) co_return lane.conn;
    if (lane.connecting) {
      auto waiter = std::make_shared<core::OneShot>(strand_, Clock::now() + config_.connect_timeout * 2);
      lane.connect_waiters.push_back(waiter);
      if (!co_await waiter->wait()) throw redis_unavailable("timed out waiting for the connect in progress");
      continue;
    }
    if (Clock::now() < next_connect_at_) {
      throw redis_unavailable("reconnect backing off after: " + last_failure_, retry_after_seconds());
    }
    lane.connecting = true;
    std::shared_ptr<Connection> conn;
    std::exception_ptr failure;
    try {
      conn = co_await Connection::connect(strand_, config_);
    } catch (...) {
      failure = std::current_exception();
    }
    finish_connect(lane, index, conn, failure);
    if (failure) std::rethrow_exception(failure);
    co_return conn;
  }
}

void Client::finish_connect(Lane& lane, std::size_t index, const std::shared_ptr<Connection>& conn,
                            std::exception_ptr failure) {
  lane.connecting = false;
  if (failure) {
    next_connect_at_ = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, config_.reconnect_backoff_max);
    try {
      std::rethrow_exception(failure);
    } catch (const AppError& e) {
      last_failure_ = e.internal_detail();
    } catch (const std::exception& e) {
      last_failure_ = e.what();
    }
  } else {
    backoff_ = config_.reconnect_backoff_initial;
    if (closed_) {
      conn->close("client closed");
      failure = std::make_exception_ptr(redis_unavailable("client is closed"));
    } else {
      lane.conn = conn;
      ++connects_;
      std::lock_guard lock(stats_mutex_);
      stats_conns_[index] = conn;
    }
  }
  auto waiters = std::move(lane.connect_waiters);
  lane.connect_waiters.clear();
  for (auto& waiter : waiters) waiter->complete(failure);
}

int Client::retry_after_seconds() const {
  const auto remaining = std::chrono::ceil<std::chrono::seconds>(next_connect_at_ - Clock::now());
  return std::max<int>(1, static_cast<int>(remaining.count()));
}

void Client::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->closed_ = true;
    for (auto& lane : self->lanes_) {
      if (lane.conn) lane.conn->close("client closed");
    }
  });
}

Client::Stats Client::stats() const {
  std::lock_guard lock(stats_mutex_);
  Stats stats;
  stats.connects = connects_.load();
  for (const auto& conn : stats_conns_) {
    if (!conn) continue;
    stats.connected = stats.connected || !conn->broken();
    stats.max_in_flight = std::max(stats.max_in_flight, conn->max_in_flight());
  }
  return stats;
}

}  // namespace parley::redis
