#include "db/pg/pg_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "db/errors.hpp"

namespace parley::db::pg {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// How often the supervisor looks at the connection; a dropped connection is noticed by its
// reader at once, this only bounds the delay before reconnecting.
constexpr std::chrono::milliseconds kSuperviseInterval{100};

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

}  // namespace

PgListener::PgListener(asio::any_io_executor executor, PgConfig config)
    : strand_(asio::make_strand(std::move(executor))), config_(std::move(config)), timer_(strand_) {}

// Not coroutines: co_spawn's awaitable owns the captures (GCC 12 destroys lambda captures inside
// a co_await expression twice).
awaitable<std::uint64_t> PgListener::subscribe(std::string channel, Callback callback) {
  return asio::co_spawn(
      strand_,
      [self = shared_from_this(), channel = std::move(channel), callback = std::move(callback)]() mutable {
        return self->do_subscribe(std::move(channel), std::move(callback));
      },
      use_awaitable);
}

awaitable<void> PgListener::unsubscribe(std::uint64_t id) {
  return asio::co_spawn(
      strand_, [self = shared_from_this(), id] { return self->do_unsubscribe(id); }, use_awaitable);
}

void PgListener::on_reconnect(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  reconnect_callbacks_.push_back(std::move(callback));
}

void PgListener::on_disconnect(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  disconnect_callbacks_.push_back(std::move(callback));
}

int PgListener::backend_pid() const {
  std::lock_guard lock(mutex_);
  return conn_ ? conn_->backend_pid() : 0;
}

awaitable<std::uint64_t> PgListener::do_subscribe(std::string channel, Callback callback) {
  auto conn = co_await connection();
  std::uint64_t id = 0;
  bool first = true;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [_, sub] : subscriptions_) first = first && sub.channel != channel;
    id = next_id_++;
    subscriptions_.emplace(id, Subscription{channel, std::move(callback)});
  }
  if (first) {
    const std::string sql = "LISTEN " + quote_identifier(channel);
    try {
      co_await conn->execute(Query{"", sql});
    } catch (...) {
      std::lock_guard lock(mutex_);
      subscriptions_.erase(id);
      throw;
    }
  }
  if (!supervising_) {
    supervising_ = true;
    asio::co_spawn(strand_, [self = shared_from_this()] { return self->supervise(); }, asio::detached);
  }
  co_return id;
}

awaitable<void> PgListener::do_unsubscribe(std::uint64_t id) {
  std::string channel;
  bool last = true;
  std::shared_ptr<PgConnection> conn;
  {
    std::lock_guard lock(mutex_);
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) co_return;
    channel = it->second.channel;
    subscriptions_.erase(it);
    for (const auto& [_, sub] : subscriptions_) last = last && sub.channel != channel;
    conn = conn_;
  }
  if (last && conn && !conn->broken()) {
    const std::string sql = "UNLISTEN " + quote_identifier(channel);
    co_await conn->execute(Query{"", sql});
  }
}

awaitable<std::shared_ptr<PgConnection>> PgListener::connection() {
  bool reconnect = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) throw database_unavailable("listener is closed");
    if (conn_ && !conn_->broken()) co_return conn_;
    reconnect = conn_ != nullptr;
  }
  if (reconnect && !down_) {
    down_ = true;
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      callbacks = disconnect_callbacks_;
    }
    for (auto& callback : callbacks) callback();
  }
  auto conn = co_await PgConnection::connect(strand_, config_.url, config_.connect_timeout,
                                             std::chrono::milliseconds{0});
  std::weak_ptr<PgListener> weak = weak_from_this();
  conn->set_notify_callback([weak](std::string_view channel, std::string_view payload) {
    if (auto self = weak.lock()) self->deliver(channel, payload);
  });
  std::set<std::string> channels;
  {
    std::lock_guard lock(mutex_);
    if (conn_ && !conn_->broken()) {
      // Another subscriber connected while we did: keep theirs.
      conn->close();
      co_return conn_;
    }
    for (const auto& [_, sub] : subscriptions_) channels.insert(sub.channel);
  }
  for (const auto& channel : channels) {
    const std::string sql = "LISTEN " + quote_identifier(channel);
    co_await conn->execute(Query{"", sql});
  }
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (conn_) conn_->close();
    conn_ = conn;
    if (reconnect) callbacks = reconnect_callbacks_;
    down_ = false;
  }
  for (auto& callback : callbacks) callback();
  co_return conn;
}

awaitable<void> PgListener::supervise() {
  auto delay = config_.reconnect_backoff_initial;
  for (;;) {
    bool broken = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_) co_return;
      broken = conn_ && conn_->broken() && !subscriptions_.empty();
    }
    auto wait = kSuperviseInterval;
    if (broken) {
      try {
        co_await connection();
        delay = config_.reconnect_backoff_initial;
      } catch (const std::exception&) {
        wait = delay;
        delay = std::min(delay * 2, config_.reconnect_backoff_max);
      }
    }
    timer_.expires_after(wait);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void PgListener::deliver(std::string_view channel, std::string_view payload) {
  std::vector<Callback> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [_, sub] : subscriptions_) {
      if (sub.channel == channel) targets.push_back(sub.callback);
    }
  }
  for (auto& callback : targets) callback(channel, payload);
}

void PgListener::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    std::lock_guard lock(self->mutex_);
    self->closed_ = true;
    if (self->conn_) self->conn_->close();
    self->timer_.cancel();
  });
}

}  // namespace parley::db::pg
