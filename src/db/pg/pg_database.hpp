#pragma once
// The PostgreSQL implementation of parley::db::Database: a pool of pipelined libpq connections,
// RAII transactions pinned to one connection, cursor streaming, and LISTEN/NOTIFY.
//
//   auto db = parley::db::pg::make_postgres(io.get_executor(), {.url = "postgresql://..."});
//   auto rs = co_await db->execute({"user_by_id", "SELECT id, username FROM users WHERE id = $1"}, params);
//
// Thread-safety: every member may be called from any thread; a Transaction is used by one
// coroutine at a time.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "db/database.hpp"
#include "db/pg/pg_config.hpp"
#include "db/pg/pg_listener.hpp"
#include "db/pg/pg_pool.hpp"

namespace parley::db::pg {

class PgDatabase final : public Database {
 public:
  // Connections are spread round-robin over `executors` (one per io_context thread).
  PgDatabase(std::vector<boost::asio::any_io_executor> executors, PgConfig config);
  ~PgDatabase() override;

  Dialect dialect() const noexcept override { return Dialect::postgres; }
  boost::asio::awaitable<ResultSet> execute(Query query, Params params = {}) override;
  boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch) override;
  boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation = Isolation::read_committed) override;
  // DECLARE ... NO SCROLL CURSOR inside a read-only transaction, then FETCH batch_size at a time.
  boost::asio::awaitable<void> stream(Query query, Params params, std::size_t batch_size,
                                      std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) override;
  boost::asio::awaitable<void> ping() override;
  void close() override;
  boost::asio::awaitable<void> close_and_drain() override;
  // The pool: pinned connections (a transaction's) are in use; shared ones carry pipelined
  // statements and count as idle.
  std::vector<PoolStats> pool_stats() const override;

  // SELECT pg_notify(channel, payload) on a pooled connection.
  boost::asio::awaitable<void> notify(std::string_view channel, std::string_view payload);
  // The LISTEN side; created with the database, connects on first subscribe.
  PgListener& listener() noexcept { return *listener_; }
  PgPool& pool() noexcept { return *pool_; }

 private:
  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<PgListener> listener_;
};

std::unique_ptr<PgDatabase> make_postgres(boost::asio::any_io_executor executor, PgConfig config);
std::unique_ptr<PgDatabase> make_postgres(boost::asio::io_context& io, PgConfig config);
std::unique_ptr<PgDatabase> make_postgres(std::vector<boost::asio::any_io_executor> executors, PgConfig config);

}  // namespace parley::db::pg
