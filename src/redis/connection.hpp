#pragma once
// One TCP connection to Redis on an Asio strand, in one of two modes:
//
// Request/reply (the default): command() sends at once, pipelined behind whatever is in flight,
// and queues a pending slot; the reader takes replies off the socket and completes the slots in
// order (Redis answers in order). Nobody waits for another caller's round trip. A reply late by
// more than command_timeout fails every pending command with 503 and closes the connection:
// replies arriving later would be matched to the wrong callers.
//
// Push (subscribe mode, for Subscriber): after enter_push_mode(), every reply goes to the push
// handler in the order received, and send() writes commands that get no slot.
//
// Either way, a broken connection (EOF, I/O error, malformed reply, timeout, close()) fails what
// is pending with 503, calls the close handler once, and stays broken: the owner opens a new one.
//
// Thread-safety: command(), close(), broken() and the counters may be called from any thread;
// enter_push_mode(), send() and on_close() only on the strand. Handlers run on the strand.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redis/config.hpp"
#include "redis/reply.hpp"
#include "redis/resp.hpp"

namespace parley::redis {

using Strand = boost::asio::strand<boost::asio::any_io_executor>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  using Completion = std::function<void(std::exception_ptr, std::vector<Reply>)>;
  using PushHandler = std::function<void(Reply)>;
  using CloseHandler = std::function<void(const std::string& reason)>;

  // Resolves url.host, connects, and runs the handshake pipelined: AUTH [user] password when the
  // URL has a password, SELECT db when db != 0, then PING (so a server that wants a password
  // fails here, clearly, not on the first command). All of it within connect_timeout. Throws a
  // 503 AppError naming the step that failed and Redis' message (WRONGPASS, NOAUTH, ...).
  // Not a coroutine: the arguments are copied before it returns. Runs on `strand`, which the
  // connection then uses for all its work (the owner's strand: one strand per client).
  static boost::asio::awaitable<std::shared_ptr<Connection>> connect(const Strand& strand, const ClientConfig& config);

  Connection(const Strand& strand, const ClientConfig& config);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends commands already encoded (resp.hpp: append_command) holding `count` commands, and
  // completes with their `count` replies in order, or the connection's failure. Not a coroutine:
  // `encoded` is taken now. Resumes the caller on its own executor.
  boost::asio::awaitable<std::vector<Reply>> execute(std::string&& encoded, std::size_t count);

  void enter_push_mode(PushHandler on_push);
  void send(std::span<const std::string> args);
  // The handler runs once, posted to the strand, when the connection breaks (at once when it
  // already has).
  void on_close(CloseHandler handler);

  // Fails everything pending with `reason` and closes the socket.
  void close(std::string reason = "connection closed");

  bool broken() const noexcept { return broken_.load(); }
  std::size_t in_flight() const noexcept { return in_flight_.load(); }
  // Highest number of commands in flight at once (the pipelining proof in tests).
  std::size_t max_in_flight() const noexcept { return max_in_flight_.load(); }
  const Strand& strand() const noexcept { return strand_; }

 private:
  struct Pending {
    std::size_t expected = 1;
    std::vector<Reply> replies;
    Clock::time_point deadline;
    Completion done;
  };

  boost::asio::awaitable<std::shared_ptr<Connection>> open();
  void check_handshake(const std::vector<Reply>& replies, const std::vector<std::string>& steps) const;
  void start(std::string bytes, std::size_t count, Completion done);  // on the strand
  void write();
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void deliver(Reply reply);
  void arm_timer();
  void on_timer();
  void fail_all(const std::string& reason);

  Strand strand_;
  ClientConfig config_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;          // command deadlines
  boost::asio::steady_timer connect_timer_;  // the connect deadline
  Parser parser_;
  std::deque<Pending> pending_;
  std::string outbox_;   // encoded commands not yet handed to the socket
  std::string sending_;  // the bytes of the write in progress
  bool writing_ = false;
  bool timer_armed_ = false;
  bool connect_timed_out_ = false;
  PushHandler on_push_;
  CloseHandler on_close_;
  std::atomic<bool> broken_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> max_in_flight_{0};
};

}  // namespace parley::redis
