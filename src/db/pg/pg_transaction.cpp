#include "db/pg/pg_transaction.hpp"

#include <array>
#include <utility>

#include "core/error.hpp"

namespace parley::db::pg {

PgTransaction::PgTransaction(std::shared_ptr<PgPool> pool, std::shared_ptr<PgConnection> conn,
                             TransactionCounters& counters, std::string_view begin_sql)
    : counters_(counters), pool_(std::move(pool)), conn_(std::move(conn)), begin_sql_(begin_sql) {}

PgTransaction::~PgTransaction() {
  if (!conn_) return;
  ++counters_.rolled_back;
  if (!begin_sql_.empty()) {  // nothing was sent
    pool_->release(conn_);
    return;
  }
  conn_->execute_async(Query{"", "ROLLBACK"}, {},
                       [pool = pool_, conn = conn_](std::exception_ptr, ResultSet) { pool->release(conn); });
}

boost::asio::awaitable<ResultSet> PgTransaction::execute(Query query, Params params) {
  if (!conn_) throw AppError::internal("statement on a finished transaction");
  if (begin_sql_.empty() && held_back_.empty()) co_return co_await conn_->execute(query, params);
  const std::array<Statement, 1> one{Statement{query, params}};
  auto results = co_await send_with_pending(*conn_, one);
  co_return std::move(results.front());
}

boost::asio::awaitable<std::vector<ResultSet>> PgTransaction::execute_all(std::span<const Statement> batch) {
  if (!conn_) throw AppError::internal("statement on a finished transaction");
  if (batch.empty()) co_return std::vector<ResultSet>{};
  if (begin_sql_.empty() && held_back_.empty()) co_return co_await conn_->execute_all(batch);
  co_return co_await send_with_pending(*conn_, batch);
}

boost::asio::awaitable<void> PgTransaction::execute_later(Query query, Params params) {
  if (!conn_) throw AppError::internal("statement on a finished transaction");
  held_back_.push_back(HeldBack{query, std::vector<Value>(params.begin(), params.end())});
  co_return;
}

boost::asio::awaitable<std::vector<ResultSet>> PgTransaction::send_with_pending(PgConnection& conn,
                                                                               std::span<const Statement> batch) {
  // Owned here until the pipeline is sent: the statements below point into it.
  std::vector<HeldBack> held_back = std::exchange(held_back_, {});
  std::vector<Statement> pipeline;
  pipeline.reserve(1 + held_back.size() + batch.size());
  if (!begin_sql_.empty()) pipeline.push_back(Statement{Query{"", begin_sql_}, {}});
  for (const HeldBack& write : held_back) pipeline.push_back(Statement{write.query, write.params});
  const std::size_t ahead = pipeline.size();
  pipeline.insert(pipeline.end(), batch.begin(), batch.end());
  begin_sql_ = {};
  auto results = co_await conn.execute_all(pipeline);
  results.erase(results.begin(), results.begin() + static_cast<std::ptrdiff_t>(ahead));
  co_return results;
}

boost::asio::awaitable<void> PgTransaction::commit() {
  if (!conn_) throw AppError::internal("commit of a finished transaction");
  if (!begin_sql_.empty() && held_back_.empty()) {  // nothing ran: nothing to commit
    pool_->release(std::exchange(conn_, nullptr));
    ++counters_.committed;
    co_return;
  }
  if (conn_->transaction_failed()) {
    held_back_.clear();
    co_await finish("ROLLBACK");
    throw AppError::internal("commit of a transaction in which a statement failed; rolled back");
  }
  if (held_back_.empty()) {
    co_await finish("COMMIT");
    co_return;
  }
  // The held-back writes and the COMMIT in one round trip. Each has its own sync point, so a
  // failing write leaves the transaction aborted and PostgreSQL answers the COMMIT with a
  // ROLLBACK: the connection is out of the transaction either way, and the write's error is
  // rethrown.
  auto conn = std::exchange(conn_, nullptr);
  std::exception_ptr failure;
  try {
    const std::array<Statement, 1> commit{Statement{Query{"", "COMMIT"}, {}}};
    co_await send_with_pending(*conn, commit);
  } catch (...) {
    failure = std::current_exception();
  }
  pool_->release(conn);
  ++(failure ? counters_.rolled_back : counters_.committed);
  if (failure) std::rethrow_exception(failure);
}

boost::asio::awaitable<void> PgTransaction::rollback() {
  if (conn_ && !begin_sql_.empty()) {
    pool_->release(std::exchange(conn_, nullptr));
    ++counters_.rolled_back;
  } else if (conn_) {
    co_await finish("ROLLBACK");
  }
}

boost::asio::awaitable<void> PgTransaction::finish(std::string_view sql) {
  auto conn = std::move(conn_);
  conn_ = nullptr;
  std::exception_ptr failure;
  try {
    co_await conn->execute(Query{"", sql});
  } catch (...) {
    failure = std::current_exception();
  }
  pool_->release(conn);
  ++(sql == "COMMIT" && !failure ? counters_.committed : counters_.rolled_back);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace parley::db::pg
