#pragma once
// A transaction pinned to one pooled connection. Statements pipeline like autocommit ones but
// nothing else runs on the connection until commit(), rollback() or destruction. Destroying an
// open transaction sends ROLLBACK without waiting; the connection goes back to the pool when the
// ROLLBACK has completed (pipeline order guarantees it runs before anything later on it).
#include <memory>

#include "db/database.hpp"
#include "db/pg/pg_connection.hpp"
#include "db/pg/pg_pool.hpp"

namespace parley::db::pg {

class PgTransaction final : public Transaction {
 public:
  // `conn` is pinned and already inside BEGIN.
  PgTransaction(std::shared_ptr<PgPool> pool, std::shared_ptr<PgConnection> conn);
  ~PgTransaction() override;

  boost::asio::awaitable<ResultSet> execute(Query query, Params params = {}) override;
  // Throws when the transaction had failed (PostgreSQL would turn COMMIT into ROLLBACK silently).
  boost::asio::awaitable<void> commit() override;
  // No-op when already finished.
  boost::asio::awaitable<void> rollback() override;

 private:
  boost::asio::awaitable<void> finish(std::string_view sql);

  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<PgConnection> conn_;  // null once finished
};

}  // namespace parley::db::pg
