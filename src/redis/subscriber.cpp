#include "redis/subscriber.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "redis/errors.hpp"

namespace parley::redis {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

Subscriber::Subscriber(asio::any_io_executor executor, ClientConfig config)
    : strand_(asio::make_strand(std::move(executor))), config_(std::move(config)), timer_(strand_) {}

Subscriber::~Subscriber() {
  // Nothing else holds us; the connections' own handlers keep them alive until closed.
  if (conn_) conn_->close("subscriber destroyed");
  if (attempt_) attempt_->close("subscriber destroyed");
}

// Not coroutines: co_spawn's function object owns the arguments (GCC 12 destroys captures built
// inside a co_await expression twice).
awaitable<std::uint64_t> Subscriber::subscribe(std::string channel, Callback callback) {
  return asio::co_spawn(
      strand_,
      [self = shared_from_this(), channel = std::move(channel), callback = std::move(callback)]() mutable {
        return self->do_subscribe(std::move(channel), std::move(callback));
      },
      use_awaitable);
}

awaitable<bool> Subscriber::subscribe_or_retry(std::string channel, Callback callback) {
  return asio::co_spawn(
      strand_,
      [self = shared_from_this(), channel = std::move(channel), callback = std::move(callback)]() mutable {
        return self->do_subscribe_or_retry(std::move(channel), std::move(callback));
      },
      use_awaitable);
}

awaitable<void> Subscriber::unsubscribe(std::uint64_t id) {
  return asio::co_spawn(strand_, [self = shared_from_this(), id] { return self->do_unsubscribe(id); }, use_awaitable);
}

void Subscriber::on_reconnect(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  reconnect_callbacks_.push_back(std::move(callback));
}

void Subscriber::on_disconnect(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  disconnect_callbacks_.push_back(std::move(callback));
}

std::uint64_t Subscriber::connects() const {
  std::lock_guard lock(mutex_);
  return connects_;
}

void Subscriber::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->closed_ = true;
    self->fail_expectations("subscriber closed");
    if (self->conn_) self->conn_->close("subscriber closed");
    if (self->attempt_) self->attempt_->close("subscriber closed");
    self->timer_.cancel();
  });
}

awaitable<std::uint64_t> Subscriber::do_subscribe(std::string channel, Callback callback) {
  co_await ready();
  auto conn = conn_;
  const std::uint64_t id = next_id_++;
  const bool confirmed = confirmed_.contains(channel);
  subscriptions_.emplace(id, Subscription{channel, std::move(callback)});
  if (confirmed) co_return id;
  auto waiter = expect("subscribe", channel);
  send(conn, {"SUBSCRIBE", channel});
  try {
    co_await await_confirmation(conn, waiter, "SUBSCRIBE");
  } catch (...) {
    subscriptions_.erase(id);
    // The server may have subscribed after all; nobody listens there now.
    if (conn_ == conn && !has_subscribers(channel)) send(conn, {"UNSUBSCRIBE", channel});
    throw;
  }
  co_return id;
}

// On the strand. A failed subscribe leaves nothing behind; here the subscription is put back and
// the outage announced, so the supervisor (started if this was the first connect) retries it.
awaitable<bool> Subscriber::do_subscribe_or_retry(std::string channel, Callback callback) {
  Callback kept = callback;
  bool failed = false;
  try {
    co_await do_subscribe(channel, std::move(callback));
  } catch (const AppError& e) {
    if (e.status() != 503 || closed_) throw;
    failed = true;
  }
  if (!failed) co_return true;
  subscriptions_.emplace(next_id_++, Subscription{std::move(channel), std::move(kept)});
  down_ = true;
  if (!supervising_) {
    supervising_ = true;
    asio::co_spawn(strand_, [self = shared_from_this()] { return self->supervise(); }, asio::detached);
  }
  timer_.cancel();  // a supervisor asleep on a health interval retries now
  co_return false;
}

awaitable<void> Subscriber::do_unsubscribe(std::uint64_t id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) co_return;
  const std::string channel = it->second.channel;
  subscriptions_.erase(it);
  if (has_subscribers(channel) || !conn_ || !confirmed_.contains(channel)) co_return;
  // Forgotten now, not at the confirmation: a subscribe() for the same channel meanwhile must
  // SUBSCRIBE again (Redis handles the two in order).
  confirmed_.erase(channel);
  auto conn = conn_;
  auto waiter = expect("unsubscribe", channel);
  send(conn, {"UNSUBSCRIBE", channel});
  try {
    co_await await_confirmation(conn, waiter, "UNSUBSCRIBE");
  } catch (const AppError&) {
    // The connection dropped or was reset: the channel is not re-subscribed on reconnect, so the
    // caller's intent holds either way.
  }
}

// On the strand: returns once conn_ is usable; connects on first use. During an outage the
// supervisor owns reconnecting (with backoff), and callers get a 503 meanwhile.
awaitable<void> Subscriber::ready() {
  for (;;) {
    if (closed_) throw redis_unavailable("subscriber is closed");
    if (conn_) co_return;
    if (auto attempt = connecting_) {
      if (!co_await attempt->wait()) throw redis_unavailable("timed out waiting for the connect in progress");
      continue;
    }
    if (down_) throw redis_unavailable("subscriber reconnecting after a dropped connection");
    co_await connect_once();
  }
}

// On the strand: connects, enters subscribe mode, SUBSCRIBEs every channel that has subscribers
// and waits for all confirmations; only then is the connection conn_.
awaitable<void> Subscriber::connect_once() {
  auto done = std::make_shared<core::OneShot>(strand_, Clock::time_point::max());
  connecting_ = done;
  std::exception_ptr failure;
  try {
    auto conn = co_await Connection::connect(strand_, config_);
    attempt_ = conn;
    std::weak_ptr<Subscriber> weak_self = weak_from_this();
    std::weak_ptr<Connection> weak_conn = conn;
    conn->enter_push_mode([weak_self, weak_conn](Reply reply) {
      auto self = weak_self.lock();
      auto conn = weak_conn.lock();
      if (self && conn) self->on_push(conn, std::move(reply));
    });
    conn->on_close([weak_self, weak_conn](const std::string& reason) {
      auto self = weak_self.lock();
      auto conn = weak_conn.lock();
      if (self && conn) self->on_closed(conn, reason);
    });
    std::set<std::string> channels;
    for (const auto& [_, sub] : subscriptions_) channels.insert(sub.channel);
    if (!channels.empty()) {
      std::vector<std::shared_ptr<core::OneShot>> waiters;
      std::vector<std::string> command{"SUBSCRIBE"};
      for (const auto& channel : channels) {
        waiters.push_back(expect("subscribe", channel));
        command.push_back(channel);
      }
      send(conn, std::move(command));
      for (auto& waiter : waiters) co_await await_confirmation(conn, waiter, "SUBSCRIBE");
    }
    if (closed_) throw redis_unavailable("subscriber closed");
    attempt_.reset();
    conn_ = conn;
    confirmed_ = std::move(channels);
    std::lock_guard lock(mutex_);
    ++connects_;
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure && attempt_) {
    attempt_->close("subscribing failed");
    attempt_.reset();
  }
  connecting_.reset();
  done->complete(failure);
  if (failure) std::rethrow_exception(failure);
  if (!supervising_) {
    supervising_ = true;
    asio::co_spawn(strand_, [self = shared_from_this()] { return self->supervise(); }, asio::detached);
  }
}

// Runs from the first connect until close(): reconnects with backoff after a drop (then tells
// on_reconnect callbacks), and health-checks the live connection every health_interval.
awaitable<void> Subscriber::supervise() {
  auto delay = config_.reconnect_backoff_initial;
  for (;;) {
    if (closed_) co_return;
    auto pause = config_.health_interval;
    if (!conn_ && down_ && !connecting_) {
      if (subscriptions_.empty()) {
        down_ = false;  // everyone unsubscribed during the outage: nothing to resume
      } else {
        try {
          co_await connect_once();
          delay = config_.reconnect_backoff_initial;
          down_ = false;
          std::vector<std::function<void()>> callbacks;
          {
            std::lock_guard lock(mutex_);
            callbacks = reconnect_callbacks_;
          }
          for (auto& callback : callbacks) callback();
          continue;
        } catch (const std::exception&) {
          pause = delay;
          delay = std::min(delay * 2, config_.reconnect_backoff_max);
        }
      }
    } else if (conn_) {
      timer_.expires_after(pause);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (closed_) co_return;
      if (conn_) co_await health_check();
      continue;
    }
    timer_.expires_after(pause);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> Subscriber::health_check() {
  auto conn = conn_;
  auto waiter = expect("pong", "");
  send(conn, {"PING"});
  try {
    co_await await_confirmation(conn, waiter, "PING");
  } catch (const AppError&) {
    // Reset or dropped: on_closed has announced it and woken the supervisor.
  }
}

std::shared_ptr<core::OneShot> Subscriber::expect(const std::string& kind, const std::string& channel) {
  auto waiter = std::make_shared<core::OneShot>(strand_, Clock::now() + config_.command_timeout);
  expected_[{kind, channel}].push_back(waiter);
  return waiter;
}

// Waits for Redis' answer. Silence beyond command_timeout means the connection is unusable:
// it is closed (the supervisor reconnects) and the caller gets a 503.
// References, not copies: the arguments are the caller's named locals, so no temporary is built
// inside the caller's co_await expression (GCC 12 destroys those twice).
awaitable<void> Subscriber::await_confirmation(const std::shared_ptr<Connection>& conn,
                                               const std::shared_ptr<core::OneShot>& waiter, std::string_view what) {
  if (co_await waiter->wait()) co_return;
  const std::string reason = std::string(what) + " not answered within " + std::to_string(config_.command_timeout.count()) + " ms";
  conn->close(reason);
  throw redis_unavailable(reason);
}

void Subscriber::on_push(const std::shared_ptr<Connection>& conn, Reply reply) {
  if (conn != conn_ && conn != attempt_) return;
  if (reply.is_error()) {
    conn->close("error reply in subscribe mode: " + reply.text);
    return;
  }
  if (!reply.is_array() || reply.elements.size() < 2 || !reply.elements[0].is_string() ||
      !reply.elements[1].is_string()) {
    conn->close("unexpected reply in subscribe mode: " + reply.debug_string().substr(0, 200));
    return;
  }
  const std::string& kind = reply.elements[0].text;
  const std::string& channel = reply.elements[1].text;
  if (kind == "message" && reply.elements.size() == 3 && conn == conn_) {
    std::vector<Callback> targets;
    for (const auto& [_, sub] : subscriptions_) {
      if (sub.channel == channel) targets.push_back(sub.callback);
    }
    for (auto& callback : targets) callback(channel, reply.elements[2].text);
    return;
  }
  if (kind == "subscribe" || kind == "unsubscribe" || kind == "pong") {
    const Expectation key{kind, kind == "pong" ? std::string() : channel};
    if (kind == "subscribe" && conn == conn_) confirmed_.insert(channel);
    auto it = expected_.find(key);
    if (it == expected_.end()) return;  // e.g. the UNSUBSCRIBE after a failed subscribe()
    auto waiter = std::move(it->second.front());
    it->second.pop_front();
    if (it->second.empty()) expected_.erase(it);
    waiter->complete();
  }
  // Other pushes (pmessage, ...) belong to commands this class never sends.
}

void Subscriber::on_closed(const std::shared_ptr<Connection>& conn, const std::string& reason) {
  if (conn == attempt_) {
    fail_expectations(reason);  // connect_once fails and reports it
    return;
  }
  if (conn != conn_) return;
  conn_.reset();
  confirmed_.clear();
  fail_expectations(reason);
  if (closed_ || subscriptions_.empty()) return;  // nothing is being missed; the next subscribe connects
  if (!down_) {
    down_ = true;
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      callbacks = disconnect_callbacks_;
    }
    for (auto& callback : callbacks) callback();
  }
  wake_supervisor();
}

void Subscriber::fail_expectations(const std::string& reason) {
  auto expected = std::move(expected_);
  expected_.clear();
  auto error = std::make_exception_ptr(redis_unavailable(reason));
  for (auto& [_, waiters] : expected) {
    for (auto& waiter : waiters) waiter->complete(error);
  }
}

bool Subscriber::has_subscribers(const std::string& channel) const {
  for (const auto& [_, sub] : subscriptions_) {
    if (sub.channel == channel) return true;
  }
  return false;
}

void Subscriber::send(const std::shared_ptr<Connection>& conn, std::vector<std::string> command) {
  conn->send(command);
}

void Subscriber::wake_supervisor() { timer_.cancel(); }

}  // namespace parley::redis
