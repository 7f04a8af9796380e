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
  if (begin_sql_.empty()) co_return co_await conn_->execute(query, params);
  const std::array<Statement, 1> one{Statement{query, params}};
  auto results = co_await execute_all(one);
  co_return std::move(results.front());
}

boost::asio::awaitable<std::vector<ResultSet>> PgTransaction::execute_all(std::span<const Statement> batch) {
  if (!conn_) throw AppError::internal("statement on a finished transaction");
  if (begin_sql_.empty()) {
    if (batch.empty()) co_return std::vector<ResultSet>{};
    co_return co_await conn_->execute_all(batch);
  }
  std::vector<Statement> with_begin;
  with_begin.reserve(batch.size() + 1);
  with_begin.push_back(Statement{Query{"", begin_sql_}, {}});
  with_begin.insert(with_begin.end(), batch.begin(), batch.end());
  begin_sql_ = {};
  auto results = co_await conn_->execute_all(with_begin);
  results.erase(results.begin());
  co_return results;
}

boost::asio::awaitable<void> PgTransaction::commit() {
  if (!conn_) throw AppError::internal("commit of a finished transaction");
  if (!begin_sql_.empty()) {  // nothing ran: nothing to commit
    pool_->release(std::exchange(conn_, nullptr));
    ++counters_.committed;
    co_return;
  }
  if (conn_->transaction_failed()) {
    co_await finish("ROLLBACK");
    throw AppError::internal("commit of a transaction in which a statement failed; rolled back");
  }
  co_await finish("COMMIT");
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
