#pragma once
// The one async database interface. Services and repositories talk to `Database` and never know
// whether PostgreSQL or SQLite is behind it. Every call is an awaitable; the SQLite backend runs
// its work on its own thread pool, the PostgreSQL backend drives libpq non-blocking on the I/O
// threads. Errors surface as AppError (503 for unavailable/timeouts, 409 for unique violations,
// 400 for foreign-key/check violations) with the driver's text only in internal_detail.
//
// SQL uses `$1, $2, ...` placeholders in both dialects. A `Query` is named: the name labels
// metrics and logs and keys the per-connection prepared-statement cache.
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/trace.hpp"

namespace parley::db {

enum class Dialect { postgres, sqlite };

enum class Isolation { read_committed, repeatable_read, serializable };

// A named SQL statement. Both strings must outlive every use (string literals in repositories).
// An empty name marks a one-off statement (migrations, scripts, tools): backends run it without
// putting it in their prepared-statement cache.
struct Query {
  std::string_view name;
  std::string_view sql;
};

// A bound parameter. Text is copied on bind; times are passed as RFC 3339 text or epoch integers
// by the repositories, not as a separate type, so both dialects agree.
using Value = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string>;
using Params = std::span<const Value>;

// One result row; cells are text as the driver returned them (NULL is std::nullopt) and are
// converted on access, so a row costs one allocation per non-null cell at most.
class Row {
 public:
  Row(const std::vector<std::string>* columns, std::vector<std::optional<std::string>> cells)
      : columns_(columns), cells_(std::move(cells)) {}

  std::size_t size() const noexcept { return cells_.size(); }
  bool is_null(std::size_t i) const { return !cells_.at(i).has_value(); }
  // Throws AppError::internal on NULL or a value that does not convert.
  std::int64_t int64(std::size_t i) const;
  double float64(std::size_t i) const;
  bool boolean(std::size_t i) const;  // accepts t/f (PostgreSQL) and 1/0 (SQLite)
  const std::string& text(std::size_t i) const;
  std::optional<std::int64_t> opt_int64(std::size_t i) const;
  std::optional<std::string> opt_text(std::size_t i) const;
  // Column index by name; throws AppError::internal when absent.
  std::size_t index(std::string_view column) const;

 private:
  const std::vector<std::string>* columns_;
  std::vector<std::optional<std::string>> cells_;
};

struct ResultSet {
  std::shared_ptr<std::vector<std::string>> columns = std::make_shared<std::vector<std::string>>();
  std::vector<Row> rows;
  std::int64_t affected_rows = 0;

  bool empty() const noexcept { return rows.empty(); }
  const Row& one() const;  // throws AppError::not_found when empty
};

// One statement of a batch (see Executor::execute_all); its parameters must outlive the call.
struct Statement {
  Query query;
  Params params;
};

// One statement a backend ran, as its StatementObserver hears of it.
struct StatementSample {
  std::string_view name;  // the Query's name; empty for one-off statements
  std::string_view sql;   // for one-off statements' labels (BEGIN, COMMIT, ...)
  std::int64_t start_unix_nano = 0;
  std::chrono::nanoseconds elapsed{0};
  bool failed = false;
  std::optional<trace::SpanContext> parent;  // the span current when it was issued
};

// Hears of every statement (the parley_db_statement_* metrics and the statements' spans). Given
// to a backend by the composition root; called on whatever thread finished the statement, so it
// must be thread-safe, cheap, and must not throw.
class StatementObserver {
 public:
  virtual ~StatementObserver() = default;
  virtual void on_statement(const StatementSample& sample) noexcept = 0;
};

// Times one statement for an observer (none: does nothing). Reports a failure unless succeeded()
// was called before it is destroyed, so an exception on the way is reported too. The parent span
// is the caller's current one, unless given (for work handed to another thread).
class StatementTimer {
 public:
  StatementTimer(StatementObserver* observer, Query query) noexcept
      : StatementTimer(observer, query, observer != nullptr ? to_optional(trace::current()) : std::nullopt) {}
  StatementTimer(StatementObserver* observer, Query query, std::optional<trace::SpanContext> parent) noexcept
      : observer_(observer), query_(query), parent_(parent) {
    if (observer_ != nullptr) {
      start_ = std::chrono::steady_clock::now();
      start_unix_nano_ = trace::now_unix_nanos();
    }
  }
  ~StatementTimer() { report(true); }
  StatementTimer(StatementTimer&& other) noexcept
      : observer_(std::exchange(other.observer_, nullptr)), query_(other.query_), parent_(other.parent_),
        start_(other.start_), start_unix_nano_(other.start_unix_nano_) {}
  StatementTimer& operator=(StatementTimer&&) = delete;

  void succeeded() noexcept { report(false); }
  void finished(bool failed) noexcept { report(failed); }

 private:
  static std::optional<trace::SpanContext> to_optional(const trace::SpanContext* span) noexcept {
    return span != nullptr ? std::optional<trace::SpanContext>(*span) : std::nullopt;
  }
  void report(bool failed) noexcept {
    if (observer_ == nullptr) return;
    observer_->on_statement(StatementSample{query_.name, query_.sql, start_unix_nano_,
                                            std::chrono::steady_clock::now() - start_, failed, parent_});
    observer_ = nullptr;
  }

  StatementObserver* observer_;
  Query query_;
  std::optional<trace::SpanContext> parent_;
  std::chrono::steady_clock::time_point start_{};
  std::int64_t start_unix_nano_ = 0;
};

// Something that runs statements: a Database (autocommit) or an open Transaction.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual boost::asio::awaitable<ResultSet> execute(Query query, Params params = {}) = 0;
  // Runs statements that do not depend on each other's effects and returns their results in
  // order, or throws the first error. The default runs them one after another. PostgreSQL outside a transaction sends them together on one
  // connection (one round trip, each statement still its own implicit transaction); SQLite runs
  // them in one hop to its pool on one connection (a reader when every statement only reads).
  virtual boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch);
  // Runs a write whose result the caller does not read. A PostgreSQL transaction holds it back and
  // sends it with its next statement or with its COMMIT, in the same round trip: a row lock it
  // takes is then held for no client round trip. Its error surfaces there (that statement or
  // commit() throws, and the transaction is rolled back), so use it only for writes whose failure
  // fails the whole transaction anyway. The query's text must outlive the transaction (constexpr
  // Queries do); the parameters are copied. The default runs it at once.
  virtual boost::asio::awaitable<void> execute_later(Query query, Params params);
  // Runs a multi-statement SQL script without parameters (a migration file). The default splits
  // it with split_sql_script() (quotes, comments, dollar quotes and trigger bodies respected) and
  // runs each statement through execute() as a one-off Query; backends override it with their
  // native multi-statement call (sqlite3_exec, the PostgreSQL simple query protocol).
  virtual boost::asio::awaitable<void> execute_script(std::string_view sql);
};

// An open transaction. Leaving scope without commit() rolls back (the connection is returned to
// its pool only after the rollback ran). Not thread-safe: one coroutine uses it at a time.
class Transaction : public Executor {
 public:
  virtual boost::asio::awaitable<void> commit() = 0;
  virtual boost::asio::awaitable<void> rollback() = 0;
};

// How one connection pool of a database is used (the parley_db_pool_* metrics).
struct PoolStats {
  std::string pool;          // "postgres", "sqlite_readers", ...
  std::size_t in_use = 0;    // held by a transaction
  std::size_t idle = 0;      // open and free
  std::size_t max = 0;       // the most it opens
  std::size_t waiting = 0;   // callers waiting for a connection
};

// How transactions ended, counted by the implementations (the parley_db_transactions_total and
// parley_db_retries_total metrics). A commit that fails counts as rolled back.
struct TransactionCounters {
  std::atomic<std::uint64_t> committed{0};
  std::atomic<std::uint64_t> rolled_back{0};
  std::atomic<std::uint64_t> retries{0};  // with_transaction's retries of serialization failures
};

class Database : public Executor {
 public:
  TransactionCounters& transaction_counters() noexcept { return transaction_counters_; }
  const TransactionCounters& transaction_counters() const noexcept { return transaction_counters_; }
  virtual Dialect dialect() const noexcept = 0;
  // One entry per pool (thread-safe; a few atomic reads or a short lock).
  virtual std::vector<PoolStats> pool_stats() const { return {}; }
  virtual boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation = Isolation::read_committed) = 0;
  // Streams rows in batches straight from a cursor; `on_batch` is awaited before the next batch is
  // fetched, so memory is bounded by batch_size whatever the result size.
  virtual boost::asio::awaitable<void> stream(Query query, Params params, std::size_t batch_size,
                                              std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) = 0;
  // Cheap liveness probe for /readyz.
  virtual boost::asio::awaitable<void> ping() = 0;
  virtual void close() = 0;
  // close(), and returns once every statement still pending has been failed and its caller told
  // (not merely scheduled): run before the I/O threads stop, so that no completion is left
  // holding what it belongs to when the io_contexts are torn down.
  virtual boost::asio::awaitable<void> close_and_drain() {
    close();
    co_return;
  }

 private:
  TransactionCounters transaction_counters_;
};

// Runs `body` in a transaction, retrying serialization failures and deadlocks (SQLSTATE 40001,
// 40P01; SQLITE_BUSY) up to `attempts` times with jittered backoff.
boost::asio::awaitable<void> with_transaction(Database& db, Isolation isolation,
                                              std::function<boost::asio::awaitable<void>(Transaction&)> body,
                                              int attempts = 5);

}  // namespace parley::db
