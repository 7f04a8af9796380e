#include "db/sqlite/sqlite_database.hpp"

#include <boost/asio/post.hpp>

#include "db/errors.hpp"
#include "db/sqlite/offload.hpp"

namespace parley::db::sqlite {
namespace {

bool is_private_memory(const std::string& path) {
  return path.empty() || path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

std::size_t reader_count_for(const SqliteOptions& options) {
  return is_private_memory(options.path) ? 0 : options.readers;
}

// The span current in the caller, for statements timed on the pool's thread.
std::optional<trace::SpanContext> caller_span(StatementObserver* observer) {
  const trace::SpanContext* span = observer != nullptr ? trace::current() : nullptr;
  return span != nullptr ? std::optional<trace::SpanContext>(*span) : std::nullopt;
}

// Runs and times one statement on the pool's thread.
ResultSet run_one(Connection& c, Query query, Params params, StatementObserver* observer,
                  const std::optional<trace::SpanContext>& parent) {
  StatementTimer timer(observer, query, parent);
  ResultSet result = c.execute(query, params);
  timer.succeeded();
  return result;
}

// Runs a batch on one connection, on the pool's thread.
std::vector<ResultSet> run_all(Connection& c, std::span<const Statement> batch, StatementObserver* observer,
                               const std::optional<trace::SpanContext>& parent) {
  std::vector<ResultSet> results;
  results.reserve(batch.size());
  for (const Statement& statement : batch)
    results.push_back(run_one(c, statement.query, statement.params, observer, parent));
  return results;
}

}  // namespace

// The writer lease held from BEGIN IMMEDIATE to COMMIT/ROLLBACK.
class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase& db, ConnectionPool::Lease lease) : db_(db), lease_(std::move(lease)) {}

  // Leaving without commit: the rollback runs on the pool (never blocking the caller's thread)
  // and the writer is released only after it, so the next transaction starts clean.
  ~SqliteTransaction() override {
    if (!lease_) return;
    ++db_.transaction_counters().rolled_back;
    boost::asio::post(db_.pool_, [lease = std::move(lease_)]() mutable {
      try {
        if (!lease->autocommit()) lease->execute_script("ROLLBACK");
      } catch (...) {
        // The connection stays usable: the next BEGIN fails loudly if it does not.
      }
    });
  }

  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    Connection& c = connection();
    db_.count(c);
    auto parent = caller_span(db_.observer_);
    co_return co_await offload(db_.pool_.get_executor(), [&] { return run_one(c, query, params, db_.observer_, parent); });
  }

  boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch) override {
    Connection& c = connection();
    for (std::size_t i = 0; i < batch.size(); ++i) db_.count(c);
    auto parent = caller_span(db_.observer_);
    co_return co_await offload(db_.pool_.get_executor(), [&] { return run_all(c, batch, db_.observer_, parent); });
  }

  boost::asio::awaitable<void> execute_script(std::string_view sql) override {
    Connection& c = connection();
    co_await offload(db_.pool_.get_executor(), [&] { c.execute_script(sql); });
  }

  boost::asio::awaitable<void> commit() override {
    Connection& c = connection();
    co_await offload(db_.pool_.get_executor(), [&] {
      try {
        c.execute_script("COMMIT");
        ++db_.transaction_counters().committed;
      } catch (...) {  // (counted as rolled back by the destructor, which still holds the lease)
        // A failed COMMIT (e.g. SQLITE_BUSY) can leave the transaction open: end it here.
        if (!c.autocommit()) {
          try {
            c.execute_script("ROLLBACK");
          } catch (...) {
          }
        }
        throw;
      }
    });
    lease_.reset();
  }

  boost::asio::awaitable<void> rollback() override {
    Connection& c = connection();
    co_await offload(db_.pool_.get_executor(), [&] {
      if (!c.autocommit()) c.execute_script("ROLLBACK");
    });
    lease_.reset();
    ++db_.transaction_counters().rolled_back;
  }

 private:
  Connection& connection() {
    if (!lease_) throw AppError::internal("transaction used after commit or rollback");
    return *lease_;
  }

  SqliteDatabase& db_;
  ConnectionPool::Lease lease_;
};

SqliteDatabase::SqliteDatabase(SqliteOptions options)
    : observer_(options.observer), pool_(reader_count_for(options) + 1) {
  std::vector<std::unique_ptr<Connection>> writer;
  writer.push_back(std::make_unique<Connection>(options.path, Role::writer, options.busy_timeout));
  writer_ = std::make_unique<ConnectionPool>(std::move(writer));
  std::size_t readers = reader_count_for(options);
  if (readers > 0) {
    std::vector<std::unique_ptr<Connection>> connections;
    for (std::size_t i = 0; i < readers; ++i) {
      connections.push_back(std::make_unique<Connection>(options.path, Role::reader, options.busy_timeout));
    }
    readers_ = std::make_unique<ConnectionPool>(std::move(connections));
  }
}

SqliteDatabase::~SqliteDatabase() { close(); }

std::vector<PoolStats> SqliteDatabase::pool_stats() const {
  std::vector<PoolStats> out;
  if (closed_) return out;
  out.push_back(writer_->stats("sqlite_writer"));
  if (readers_) out.push_back(readers_->stats("sqlite_readers"));
  return out;
}

// Refuses new statements and waits for the ones on the pool; the connection pools stay until the
// destructor. A caller can still hold a lease here (a statement that has just finished, whose
// coroutine resumes after close(), as the realtime presence loop does at shutdown): freeing the
// pools now made that lease's release write into freed memory (a heap corruption seen once in
// about ten runs of the realtime tests under load).
void SqliteDatabase::close() {
  if (closed_.exchange(true)) return;
  pool_.join();
}

void SqliteDatabase::check_open() const {
  if (closed_) throw database_unavailable("sqlite database is closed");
}

void SqliteDatabase::count(const Connection& connection) noexcept {
  (connection.role() == Role::reader ? reader_statements_ : writer_statements_).fetch_add(1, std::memory_order_relaxed);
}

SqliteStats SqliteDatabase::stats() const noexcept {
  return {reader_statements_.load(std::memory_order_relaxed), writer_statements_.load(std::memory_order_relaxed)};
}

boost::asio::awaitable<ConnectionPool::Lease> SqliteDatabase::lease_for(Query query) {
  check_open();
  if (!readers_) co_return co_await writer_->acquire();
  std::optional<bool> known;
  if (!query.name.empty()) {
    std::lock_guard lock(read_only_mutex_);
    if (auto it = read_only_.find(std::string(query.name)); it != read_only_.end()) known = it->second;
  }
  if (known == false) co_return co_await writer_->acquire();
  Lease reader = co_await readers_->acquire();
  if (known == true) co_return reader;
  Connection& c = *reader;
  bool read_only = co_await offload(pool_.get_executor(), [&] { return c.is_read_only(query); });
  if (!query.name.empty()) {
    std::lock_guard lock(read_only_mutex_);
    read_only_.emplace(std::string(query.name), read_only);
  }
  if (read_only) co_return reader;
  reader.reset();
  co_return co_await writer_->acquire();
}

boost::asio::awaitable<ResultSet> SqliteDatabase::execute(Query query, Params params) {
  Lease lease = co_await lease_for(query);
  Connection& c = *lease;
  count(c);
  auto parent = caller_span(observer_);
  co_return co_await offload(pool_.get_executor(), [&] { return run_one(c, query, params, observer_, parent); });
}

boost::asio::awaitable<std::vector<ResultSet>> SqliteDatabase::execute_all(std::span<const Statement> batch) {
  // Until every statement is known to only read, they go one by one (and are learned on the way).
  if (readers_ && !known_read_only(batch)) co_return co_await Executor::execute_all(batch);
  check_open();
  Lease lease;
  if (readers_) {
    lease = co_await readers_->acquire();
  } else {
    lease = co_await writer_->acquire();
  }
  Connection& c = *lease;
  for (std::size_t i = 0; i < batch.size(); ++i) count(c);
  auto parent = caller_span(observer_);
  co_return co_await offload(pool_.get_executor(), [&] { return run_all(c, batch, observer_, parent); });
}

bool SqliteDatabase::known_read_only(std::span<const Statement> batch) {
  std::lock_guard lock(read_only_mutex_);
  for (const Statement& statement : batch) {
    if (statement.query.name.empty()) return false;
    auto it = read_only_.find(std::string(statement.query.name));
    if (it == read_only_.end() || !it->second) return false;
  }
  return true;
}

boost::asio::awaitable<void> SqliteDatabase::execute_script(std::string_view sql) {
  check_open();
  Lease lease = co_await writer_->acquire();
  Connection& c = *lease;
  count(c);
  co_await offload(pool_.get_executor(), [&] { c.execute_script(sql); });
}

boost::asio::awaitable<std::unique_ptr<Transaction>> SqliteDatabase::begin(Isolation) {
  check_open();
  Lease lease = co_await writer_->acquire();
  Connection& c = *lease;
  count(c);
  // IMMEDIATE takes the write lock now, so a transaction never fails half-way on a lock upgrade.
  co_await offload(pool_.get_executor(), [&] { c.execute_script("BEGIN IMMEDIATE"); });
  co_return std::make_unique<SqliteTransaction>(*this, std::move(lease));
}

boost::asio::awaitable<void> SqliteDatabase::stream(
    Query query, Params params, std::size_t batch_size,
    std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) {
  if (batch_size == 0) throw AppError::internal("stream batch_size must be positive");
  Lease lease = co_await lease_for(query);
  Connection& c = *lease;
  count(c);
  auto executor = pool_.get_executor();
  auto cursor = co_await offload(executor, [&] { return std::make_unique<Connection::Cursor>(c, query, params); });
  std::exception_ptr failure;
  try {
    while (!cursor->done()) {
      std::vector<Row> rows = co_await offload(executor, [&] { return cursor->fetch(batch_size); });
      if (!rows.empty()) co_await on_batch(rows);
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // The statement is reset on the pool, and before the connection goes back to it.
  co_await offload(executor, [&] { cursor.reset(); });
  if (failure) std::rethrow_exception(failure);
}

boost::asio::awaitable<void> SqliteDatabase::ping() {
  static constexpr Query kPing{"sqlite.ping", "SELECT 1"};
  co_await execute(kPing);
}

}  // namespace parley::db::sqlite
