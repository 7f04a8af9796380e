#include "db/pg/pg_database.hpp"

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>

#include "db/pg/pg_transaction.hpp"

namespace parley::db::pg {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

std::string_view begin_sql(Isolation isolation) {
  switch (isolation) {
    case Isolation::repeatable_read:
      return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case Isolation::serializable:
      return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case Isolation::read_committed:
      break;
  }
  return "BEGIN ISOLATION LEVEL READ COMMITTED";
}

}  // namespace

PgDatabase::PgDatabase(std::vector<asio::any_io_executor> executors, PgConfig config)
    : pool_(std::make_shared<PgPool>(executors, config)),
      listener_(std::make_shared<PgListener>(executors.at(0), std::move(config))) {
  pool_->start();
}

PgDatabase::~PgDatabase() { close(); }

awaitable<ResultSet> PgDatabase::execute(Query query, Params params) {
  auto conn = co_await pool_->shared();
  co_return co_await conn->execute(query, params);
}

awaitable<std::vector<ResultSet>> PgDatabase::execute_all(std::span<const Statement> batch) {
  if (batch.empty()) co_return std::vector<ResultSet>{};
  auto conn = co_await pool_->shared();
  co_return co_await conn->execute_all(batch);
}

awaitable<std::unique_ptr<Transaction>> PgDatabase::begin(Isolation isolation) {
  auto conn = co_await pool_->pin();
  // BEGIN goes out with the transaction's first statement.
  co_return std::make_unique<PgTransaction>(pool_, std::move(conn), transaction_counters(), begin_sql(isolation));
}

awaitable<void> PgDatabase::stream(Query query, Params params, std::size_t batch_size,
                                   std::function<awaitable<void>(std::vector<Row>&)> on_batch) {
  batch_size = std::max<std::size_t>(batch_size, 1);
  auto conn = co_await pool_->pin();
  PgTransaction tx(pool_, conn, transaction_counters());
  co_await tx.execute(Query{"", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"});
  const std::string declare = "DECLARE parley_stream NO SCROLL CURSOR FOR " + std::string(query.sql);
  co_await tx.execute(Query{"", declare}, params);
  const std::string fetch = "FETCH FORWARD " + std::to_string(batch_size) + " FROM parley_stream";
  for (;;) {
    ResultSet batch = co_await tx.execute(Query{"", fetch});
    if (batch.rows.empty()) break;
    const bool last = batch.rows.size() < batch_size;
    co_await on_batch(batch.rows);
    if (last) break;
  }
  co_await tx.commit();
}

awaitable<void> PgDatabase::ping() { co_await execute(Query{"", "SELECT 1"}); }

void PgDatabase::close() {
  pool_->close();
  listener_->close();
}

awaitable<void> PgDatabase::close_and_drain() {
  co_await pool_->close_and_drain();
  listener_->close();
}

awaitable<void> PgDatabase::notify(std::string_view channel, std::string_view payload) {
  const std::vector<Value> params{std::string(channel), std::string(payload)};
  co_await execute(Query{"pg_notify", "SELECT pg_notify($1, $2)"}, params);
}

std::unique_ptr<PgDatabase> make_postgres(std::vector<asio::any_io_executor> executors, PgConfig config) {
  return std::make_unique<PgDatabase>(std::move(executors), std::move(config));
}

std::unique_ptr<PgDatabase> make_postgres(asio::any_io_executor executor, PgConfig config) {
  return make_postgres(std::vector<asio::any_io_executor>{std::move(executor)}, std::move(config));
}

std::unique_ptr<PgDatabase> make_postgres(asio::io_context& io, PgConfig config) {
  return make_postgres(asio::any_io_executor(io.get_executor()), std::move(config));
}

std::vector<PoolStats> PgDatabase::pool_stats() const {
  const auto stats = pool_->stats();
  return {PoolStats{.pool = "postgres",
                    .in_use = stats.pinned,
                    .idle = stats.open - stats.pinned,
                    .max = pool_->config().pool_max,
                    .waiting = stats.waiting}};
}

}  // namespace parley::db::pg
