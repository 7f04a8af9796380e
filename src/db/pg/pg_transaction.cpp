#include "db/pg/pg_transaction.hpp"

#include "core/error.hpp"

namespace parley::db::pg {

PgTransaction::PgTransaction(std::shared_ptr<PgPool> pool, std::shared_ptr<PgConnection> conn)
    : pool_(std::move(pool)), conn_(std::move(conn)) {}

PgTransaction::~PgTransaction() {
  if (!conn_) return;
  conn_->execute_async(Query{"", "ROLLBACK"}, {},
                       [pool = pool_, conn = conn_](std::exception_ptr, ResultSet) { pool->release(conn); });
}

boost::asio::awaitable<ResultSet> PgTransaction::execute(Query query, Params params) {
  if (!conn_) throw AppError::internal("statement on a finished transaction");
  co_return co_await conn_->execute(query, params);
}

boost::asio::awaitable<void> PgTransaction::commit() {
  if (!conn_) throw AppError::internal("commit of a finished transaction");
  if (conn_->transaction_failed()) {
    co_await finish("ROLLBACK");
    throw AppError::internal("commit of a transaction in which a statement failed; rolled back");
  }
  co_await finish("COMMIT");
}

boost::asio::awaitable<void> PgTransaction::rollback() {
  if (conn_) co_await finish("ROLLBACK");
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
  if (failure) std::rethrow_exception(failure);
}

}  // namespace parley::db::pg
