#pragma once
// Redis pub/sub on a dedicated connection in subscribe mode (never the Client's: a connection in
// subscribe mode accepts no other commands). The API and contract mirror db/pg/pg_listener.hpp.
//
// subscribe() returns once Redis has confirmed SUBSCRIBE, so a PUBLISH sent afterwards (from any
// connection) is delivered. Callbacks run on the subscriber's strand, in the server's order; they
// must not block (hand work to an executor). When the connection drops, the subscriber reconnects
// with exponential backoff and re-SUBSCRIBEs every channel; messages published meanwhile are lost
// (pub/sub is fire-and-forget), so `on_disconnect` callbacks are told as soon as the drop is
// noticed and `on_reconnect` callbacks once subscribed again, and can resynchronise. A silently
// dead connection is found by a PING every health_interval.
//
// Thread-safety: every member may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis/config.hpp"
#include "redis/connection.hpp"
#include "core/one_shot.hpp"

namespace parley::redis {

class Subscriber : public std::enable_shared_from_this<Subscriber> {
 public:
  using Callback = std::function<void(std::string_view channel, std::string_view payload)>;

  Subscriber(boost::asio::any_io_executor executor, ClientConfig config);
  ~Subscriber();
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // SUBSCRIBEs to `channel` (any bytes) and calls `callback` for each message on it. Returns an id
  // for unsubscribe(). Throws a 503 AppError when the server cannot be reached, does not confirm
  // within command_timeout, or the subscriber is reconnecting.
  boost::asio::awaitable<std::uint64_t> subscribe(std::string channel, Callback callback);
  // Like subscribe(), but when Redis cannot be reached the subscription is kept and the reconnect
  // loop makes it (with backoff) once Redis answers, then runs the on_reconnect callbacks; so a
  // process can start during a Redis outage. Returns whether it is subscribed already.
  boost::asio::awaitable<bool> subscribe_or_retry(std::string channel, Callback callback);
  // Stops the callback; UNSUBSCRIBEs when it was the channel's last subscriber. Does not throw for
  // connection trouble: a channel nobody listens to is not re-subscribed after a reconnect anyway.
  boost::asio::awaitable<void> unsubscribe(std::uint64_t id);
  // Called (on the subscriber's strand) after a reconnect: messages may have been missed.
  void on_reconnect(std::function<void()> callback);
  // Called (on the subscriber's strand) once per outage, when a dropped connection is noticed and
  // before reconnecting: messages are being missed from now until on_reconnect.
  void on_disconnect(std::function<void()> callback);
  void close();

  // Successful connects so far, the first included; tests use it.
  std::uint64_t connects() const;

 private:
  struct Subscription {
    std::string channel;
    Callback callback;
  };
  // An answer awaited from Redis: the confirmation of ("subscribe" | "unsubscribe", channel), or
  // the "pong" of a health check (channel empty).
  using Expectation = std::pair<std::string, std::string>;

  boost::asio::awaitable<std::uint64_t> do_subscribe(std::string channel, Callback callback);
  boost::asio::awaitable<bool> do_subscribe_or_retry(std::string channel, Callback callback);
  boost::asio::awaitable<void> do_unsubscribe(std::uint64_t id);
  boost::asio::awaitable<void> ready();
  boost::asio::awaitable<void> connect_once();
  boost::asio::awaitable<void> supervise();
  boost::asio::awaitable<void> health_check();
  std::shared_ptr<core::OneShot> expect(const std::string& kind, const std::string& channel);
  boost::asio::awaitable<void> await_confirmation(const std::shared_ptr<Connection>& conn,
                                                  const std::shared_ptr<core::OneShot>& waiter, std::string_view what);
  void on_push(const std::shared_ptr<Connection>& conn, Reply reply);
  void on_closed(const std::shared_ptr<Connection>& conn, const std::string& reason);
  void fail_expectations(const std::string& reason);
  bool has_subscribers(const std::string& channel) const;
  void send(const std::shared_ptr<Connection>& conn, std::vector<std::string> command);
  void wake_supervisor();

  Strand strand_;
  ClientConfig config_;
  boost::asio::steady_timer timer_;  // the supervisor's sleep; cancelled to wake it
  // Strand only.
  std::shared_ptr<Connection> conn_;     // subscribed and confirmed
  std::shared_ptr<Connection> attempt_;  // being connected and re-subscribed
  std::shared_ptr<core::OneShot> connecting_;  // completed when the attempt in progress ends
  std::map<std::uint64_t, Subscription> subscriptions_;
  std::set<std::string> confirmed_;  // channels SUBSCRIBEd and confirmed on conn_
  std::map<Expectation, std::deque<std::shared_ptr<core::OneShot>>> expected_;
  std::uint64_t next_id_ = 1;
  bool down_ = false;  // a drop was announced to on_disconnect callbacks and not yet mended
  bool supervising_ = false;
  bool closed_ = false;
  // Any thread.
  mutable std::mutex mutex_;
  std::vector<std::function<void()>> reconnect_callbacks_;
  std::vector<std::function<void()>> disconnect_callbacks_;
  std::uint64_t connects_ = 0;
};

}  // namespace parley::redis
