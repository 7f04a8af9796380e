#pragma once
// One PostgreSQL connection driven by libpq in non-blocking pipeline mode on an Asio strand.
//
// Any number of coroutines, on any thread, may call execute() at the same time: each statement is
// sent at once (its own sync point, so one failing statement does not abort the others) and a
// pending slot is queued; a single reader coroutine per connection takes results off the socket
// and completes the slots in order. Nobody waits for another caller's round trip.
//
// Thread-safety: every public member may be called from any thread. All libpq calls happen on the
// connection's strand. Completion resumes the caller on its own executor.
#include <libpq-fe.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/database.hpp"

namespace parley::db::pg {

// The outcome of one statement: a result or the mapped AppError.
using Completion = std::function<void(std::exception_ptr, ResultSet)>;
// LISTEN deliveries: channel, payload. Called on the connection's strand; must not block.
using NotifyCallback = std::function<void(std::string_view channel, std::string_view payload)>;

class PgConnection : public std::enable_shared_from_this<PgConnection> {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens a connection without blocking (PQconnectStartParams + PQconnectPoll on the socket),
  // enters pipeline mode and sets statement_timeout. Throws a 503 AppError on failure or timeout.
  // `on_started`, when set, receives the connection as soon as it exists, before the handshake:
  // an owner that shuts down meanwhile can close() it (which fails the handshake at once) instead
  // of leaving it half-open when the I/O threads stop.
  using StartedCallback = std::function<void(const std::shared_ptr<PgConnection>&)>;
  static boost::asio::awaitable<std::shared_ptr<PgConnection>> connect(
      boost::asio::any_io_executor executor, std::string url, std::chrono::milliseconds connect_timeout,
      std::chrono::milliseconds statement_timeout, StartedCallback on_started = {});

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement. A named query is prepared once per connection and then executed by name;
  // an empty name runs it unnamed (utility statements, one-off SQL).
  boost::asio::awaitable<ResultSet> execute(Query query, Params params = {});
  // Sends every statement of a non-empty batch at once (each with its own sync point) and
  // completes when the last result is in: the results in order, or the first error.
  boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch);
  // Callback flavour of execute(): `done` runs on the strand. Used where nobody can await
  // (a transaction's destructor issuing its rollback).
  void execute_async(Query query, Params params, Completion done);

  // Hears of every statement this connection runs (set once, before the connection is shared).
  void set_statement_observer(StatementObserver* observer) noexcept { observer_ = observer; }

  // Delivery target of NOTIFY messages (set once, before LISTEN).
  void set_notify_callback(NotifyCallback callback);

  // Fails every pending statement and closes the socket; later calls fail with 503.
  void close();
  // Completes once the connection's strand has run everything queued before the call (a close()
  // included): after close(), no statement is pending any more.
  boost::asio::awaitable<void> drained();

  bool broken() const noexcept { return broken_.load(); }
  std::size_t in_flight() const noexcept { return in_flight_.load(); }
  // Highest number of statements that were in flight at once (the pipelining proof in tests).
  std::size_t max_in_flight() const noexcept { return max_in_flight_.load(); }
  // True when the last statement left an explicit transaction in the failed state (COMMIT would
  // silently roll back). Exact when no statement is in flight, as in a pinned transaction.
  bool transaction_failed() const noexcept { return transaction_failed_.load(); }
  std::size_t prepared_count() const noexcept { return prepared_count_.load(); }
  Clock::time_point created_at() const noexcept { return created_at_; }
  Clock::time_point last_used() const noexcept { return Clock::time_point(Clock::duration(last_used_.load())); }
  int backend_pid() const noexcept { return backend_pid_; }
  const boost::asio::strand<boost::asio::any_io_executor>& strand() const noexcept { return strand_; }

  struct Pending;  // one statement waiting for its results (defined in the .cpp)

  PgConnection(boost::asio::any_io_executor executor, PGconn* conn);

 private:
  boost::asio::awaitable<void> finish_connect(std::chrono::milliseconds timeout);
  void start(std::shared_ptr<Pending> op);  // on the strand
  void flush();                             // on the strand
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> read_loop();
  // Forgets every pending statement without completing it (no handler may run any more) and
  // refuses new ones: for when the read loop ends without failing them (io_context shutdown).
  void drop_pending();
  void drain_results();  // on the strand
  void drain_notifies();
  void fail_all(const std::string& reason);
  void finish(std::shared_ptr<Pending> op);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  PGconn* conn_;
  boost::asio::posix::stream_descriptor socket_;
  std::deque<std::shared_ptr<Pending>> pending_;
  // Query text -> server-side statement name. Keyed by the SQL (string literals outlive us).
  std::unordered_map<std::string_view, std::string> prepared_;
  NotifyCallback on_notify_;
  StatementObserver* observer_ = nullptr;
  bool writing_ = false;
  bool reading_ = false;
  std::atomic<bool> broken_{false};
  std::atomic<bool> transaction_failed_{false};
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> max_in_flight_{0};
  std::atomic<std::size_t> prepared_count_{0};
  std::atomic<Clock::rep> last_used_;
  Clock::time_point created_at_ = Clock::now();
  int backend_pid_ = 0;
};

}  // namespace parley::db::pg
