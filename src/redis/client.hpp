#pragma once
// An asynchronous Redis client: a small pool of pipelined connections shared by every caller.
//
//   auto redis = std::make_shared<redis::Client>(executor, redis::ClientConfig{.url = parse_redis_url(url)});
//   const std::vector<std::string> set{"SET", key, value};
//   redis::Reply reply = co_await redis->command(set);                  // +OK
//   auto get = redis->command({"GET", key});                            // a braced list: see below
//   redis::Reply value = co_await std::move(get);
//
// Any number of coroutines, on any thread, may call command() at once: each command is written
// at once behind those in flight on its connection and its reply is matched to it in order, so
// nobody waits for another caller's round trip. With ClientConfig::connections > 1 (the pool,
// PARLEY_REDIS_CONNECTIONS) commands take the connections in turn, so one large reply does not
// hold up the small ones behind it; commands that must reach Redis in the order they were issued
// without awaiting each other then need one pipeline() call. Each connection is opened on first
// use (AUTH and SELECT from the URL) and re-opened on the next command after it broke.
//
// Failures are 503 AppErrors with Retry-After: the server unreachable, AUTH refused, a reply later
// than command_timeout (the connection is then reset: later replies would be out of step), or the
// connection lost while a command was in flight (it may or may not have run; nothing is retried).
// After a failed connect, attempts back off exponentially (reconnect_backoff_initial..max) and
// meanwhile commands fail at once instead of piling onto a dead server, as PgPool does.
// A Redis error reply (-ERR ..., NOSCRIPT, WRONGTYPE) is not a failure: it comes back as a Reply
// of type error for the caller to inspect (Reply::throw_if_error()).
//
// Arguments are encoded before command() returns, so they need not outlive the call. GCC 12 and
// co_await: temporaries built inside a co_await expression are destroyed twice, and a braced list
// there does not compile ("array used as initializer"); build the arguments in a named variable,
// or call command() in a statement of its own and co_await the awaitable it returned.
//
// Thread-safety: every member may be called from any thread. All I/O runs on one strand of the
// given executor; callers resume on their own executor.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/config.hpp"
#include "redis/connection.hpp"
#include "core/one_shot.hpp"
#include "redis/reply.hpp"

namespace parley::redis {

class Client : public std::enable_shared_from_this<Client> {
 public:
  using Clock = std::chrono::steady_clock;

  Client(boost::asio::any_io_executor executor, ClientConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One command; its reply (an error reply included). Throws a 503 AppError (see above).
  boost::asio::awaitable<Reply> command(std::initializer_list<std::string_view> args);
  boost::asio::awaitable<Reply> command(const std::vector<std::string>& args);
  // Several commands sent together, their replies in order; one round trip.
  boost::asio::awaitable<std::vector<Reply>> pipeline(std::span<const std::vector<std::string>> commands);

  // Closes the connection; commands in flight and later ones fail with 503.
  void close();

  struct Stats {
    bool connected = false;           // some connection is up
    std::uint64_t connects = 0;       // successful connects, the first included
    std::size_t max_in_flight = 0;    // on one current connection
  };
  Stats stats() const;

 private:
  // One pooled connection and its connect in progress. Strand only.
  struct Lane {
    std::shared_ptr<Connection> conn;
    bool connecting = false;
    std::vector<std::shared_ptr<core::OneShot>> connect_waiters;
  };

  std::size_t pick_lane() noexcept { return next_lane_.fetch_add(1, std::memory_order_relaxed) % lanes_.size(); }
  boost::asio::awaitable<Reply> run_one(std::string bytes, std::size_t lane);
  boost::asio::awaitable<std::vector<Reply>> run_all(std::string bytes, std::size_t count, std::size_t lane);
  boost::asio::awaitable<std::shared_ptr<Connection>> connection(std::size_t lane);
  void finish_connect(Lane& lane, std::size_t index, const std::shared_ptr<Connection>& conn,
                      std::exception_ptr failure);
  int retry_after_seconds() const;

  Strand strand_;
  ClientConfig config_;
  std::atomic<std::size_t> next_lane_{0};
  // Strand only. The backoff is the server's, shared by the lanes: a refused connect on one lane
  // means the others would be refused too.
  std::vector<Lane> lanes_;
  Clock::time_point next_connect_at_{};
  std::chrono::milliseconds backoff_;
  std::string last_failure_;
  bool closed_ = false;
  // Any thread.
  mutable std::mutex stats_mutex_;
  std::vector<std::shared_ptr<Connection>> stats_conns_;
  std::atomic<std::uint64_t> connects_{0};
};

}  // namespace parley::redis
