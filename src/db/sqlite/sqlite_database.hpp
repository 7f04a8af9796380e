#pragma once
// The embedded SQLite backend of parley::db::Database.
//
// One writer connection and N reader connections to one database file in WAL mode. Every SQLite
// call runs on the backend's own thread pool, never on the caller's I/O thread; results and errors
// come back on the awaiting coroutine's executor. Statements outside a transaction that SQLite
// reports read-only (sqlite3_stmt_readonly) go to a reader, so reads proceed in parallel with each
// other and with the writer; everything else, and every transaction (BEGIN IMMEDIATE), uses the
// single writer, so writes are serialized in-process instead of failing with SQLITE_BUSY.
// Isolation levels are accepted and ignored: SQLite transactions are always serializable.
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "db/database.hpp"
#include "db/sqlite/connection_pool.hpp"

namespace parley::db::sqlite {

struct SqliteOptions {
  // A file path, or a "file:" URI. ":memory:" (or any shared-nothing in-memory name) forces
  // `readers = 0`, since readers would each see their own empty database.
  std::string path;
  std::size_t readers = 4;
  std::chrono::milliseconds busy_timeout{5000};
  // Hears of every statement (metrics, spans); owned by the composition root; may be null.
  StatementObserver* observer = nullptr;
};

// Counts of statements by the connection that ran them, for tests and metrics.
struct SqliteStats {
  std::uint64_t reader_statements = 0;
  std::uint64_t writer_statements = 0;
};

class SqliteDatabase final : public Database {
 public:
  // Opens the connections (blocking: call at startup, not on an I/O thread). Throws AppError 503
  // when the file cannot be opened.
  explicit SqliteDatabase(SqliteOptions options);
  // Waits for work in flight on the pool, then closes the connections (close() alone keeps them
  // open, so that leases still held are returned safely). Every Transaction must be destroyed
  // before the database.
  ~SqliteDatabase() override;

  Dialect dialect() const noexcept override { return Dialect::sqlite; }
  boost::asio::awaitable<ResultSet> execute(Query query, Params params = {}) override;
  boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch) override;
  // The writer ("sqlite_writer", one connection) and the readers ("sqlite_readers") when there are any.
  std::vector<PoolStats> pool_stats() const override;
  boost::asio::awaitable<void> execute_script(std::string_view sql) override;
  boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation = Isolation::read_committed) override;
  boost::asio::awaitable<void> stream(Query query, Params params, std::size_t batch_size,
                                      std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) override;
  boost::asio::awaitable<void> ping() override;
  void close() override;

  SqliteStats stats() const noexcept;
  std::size_t reader_count() const noexcept { return readers_ ? readers_->size() : 0; }

 private:
  friend class SqliteTransaction;
  using Lease = ConnectionPool::Lease;

  // The connection for a statement outside a transaction: a reader when it is read-only.
  boost::asio::awaitable<Lease> lease_for(Query query);
  // True when every statement of the batch is named and was seen to only read.
  bool known_read_only(std::span<const Statement> batch);
  void check_open() const;
  void count(const Connection& connection) noexcept;

  StatementObserver* observer_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<ConnectionPool> writer_;
  std::unique_ptr<ConnectionPool> readers_;  // null when there are no readers
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> reader_statements_{0};
  std::atomic<std::uint64_t> writer_statements_{0};
  // Query name -> read-only, learned on first use so a write never prepares on a reader twice.
  std::mutex read_only_mutex_;
  std::unordered_map<std::string, bool> read_only_;
};

}  // namespace parley::db::sqlite
