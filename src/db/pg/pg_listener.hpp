#pragma once
// LISTEN/NOTIFY on a dedicated connection (never one of the pool's: a pooled connection is shared
// by pipelined statements and may be recycled, which would drop its LISTENs).
//
// subscribe() returns once the server has confirmed LISTEN, so a NOTIFY sent afterwards is
// delivered. Callbacks run on the listener connection's strand, in the server's order; they must
// not block (hand work to an executor). When the connection drops, the listener reconnects with
// backoff and re-issues every LISTEN; notifications sent meanwhile are lost, so `on_disconnect`
// callbacks are told as soon as the drop is noticed (within ~100 ms) and `on_reconnect` callbacks
// once LISTENing again, and can resynchronise.
//
// Thread-safety: every member may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "db/pg/pg_config.hpp"
#include "db/pg/pg_connection.hpp"

namespace parley::db::pg {

class PgListener : public std::enable_shared_from_this<PgListener> {
 public:
  using Callback = std::function<void(std::string_view channel, std::string_view payload)>;

  PgListener(boost::asio::any_io_executor executor, PgConfig config);

  // LISTENs on `channel` (any text; quoted as an identifier) and calls `callback` for each
  // notification on it. Returns an id for unsubscribe(). Throws a 503 AppError when the server
  // cannot be reached.
  boost::asio::awaitable<std::uint64_t> subscribe(std::string channel, Callback callback);
  // Stops the callback; UNLISTENs when it was the channel's last subscriber.
  boost::asio::awaitable<void> unsubscribe(std::uint64_t id);
  // Called (on the listener's strand) after a reconnect: notifications may have been missed.
  void on_reconnect(std::function<void()> callback);
  // Called (on the listener's strand) once per outage, when a dropped connection is noticed and
  // before reconnecting: notifications are being missed from now until on_reconnect.
  void on_disconnect(std::function<void()> callback);
  void close();

  // The listener connection's server process id (0 before the first subscribe); tests use it.
  int backend_pid() const;

 private:
  struct Subscription {
    std::string channel;
    Callback callback;
  };
  boost::asio::awaitable<std::uint64_t> do_subscribe(std::string channel, Callback callback);
  boost::asio::awaitable<void> do_unsubscribe(std::uint64_t id);
  boost::asio::awaitable<std::shared_ptr<PgConnection>> connection();
  boost::asio::awaitable<void> supervise();
  void deliver(std::string_view channel, std::string_view payload);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  PgConfig config_;
  // Everything below is touched only on strand_, except subscriptions_ reads in deliver() (also
  // on a strand: the connection's), hence the mutex.
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Subscription> subscriptions_;
  std::vector<std::function<void()>> reconnect_callbacks_;
  std::vector<std::function<void()>> disconnect_callbacks_;
  bool down_ = false;  // a drop was announced to disconnect_callbacks_ and not yet mended
  std::shared_ptr<PgConnection> conn_;
  std::uint64_t next_id_ = 1;
  bool supervising_ = false;
  bool closed_ = false;
  boost::asio::steady_timer timer_;
};

}  // namespace parley::db::pg
