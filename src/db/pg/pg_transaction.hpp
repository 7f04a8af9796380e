#pragma once
// A transaction pinned to one pooled connection. Statements pipeline like autocommit ones but
// nothing else runs on the connection until commit(), rollback() or destruction. Destroying an
// open transaction sends ROLLBACK without waiting; the connection goes back to the pool when the
// ROLLBACK has completed (pipeline order guarantees it runs before anything later on it).
//
// A transaction opened by PgDatabase::begin() sends its BEGIN together with its first statement
// (one round trip instead of two; PostgreSQL takes the snapshot at the first statement anyway, so
// nothing changes for isolation). A failing BEGIN surfaces as the first statement's error. One that
// never ran a statement sends nothing at all: commit, rollback and destruction just return the
// connection.
#include <memory>
#include <vector>

#include "db/database.hpp"
#include "db/pg/pg_connection.hpp"
#include "db/pg/pg_pool.hpp"

namespace parley::db::pg {

class PgTransaction final : public Transaction {
 public:
  // `conn` is pinned. With `begin_sql`, that BEGIN goes out with the first statement; without,
  // the caller sends its own BEGIN first.
  // `counters` (the database's) must outlive the transaction.
  PgTransaction(std::shared_ptr<PgPool> pool, std::shared_ptr<PgConnection> conn, TransactionCounters& counters,
                std::string_view begin_sql = {});
  ~PgTransaction() override;

  boost::asio::awaitable<ResultSet> execute(Query query, Params params = {}) override;
  // Pipelined on the connection: one round trip for the whole batch.
  boost::asio::awaitable<std::vector<ResultSet>> execute_all(std::span<const Statement> batch) override;
  // Queued (its parameters copied) and sent ahead of the next statement or the COMMIT.
  boost::asio::awaitable<void> execute_later(Query query, Params params) override;
  // Throws when the transaction had failed (PostgreSQL would turn COMMIT into ROLLBACK silently),
  // or when a statement held back by execute_later() failed (sent with the COMMIT, which
  // PostgreSQL then turns into a ROLLBACK).
  boost::asio::awaitable<void> commit() override;
  // No-op when already finished.
  boost::asio::awaitable<void> rollback() override;

 private:
  boost::asio::awaitable<void> finish(std::string_view sql);
  // `batch` after what has not been sent yet (the BEGIN, the held-back writes), in one pipeline;
  // the results of `batch` only.
  boost::asio::awaitable<std::vector<ResultSet>> send_with_pending(PgConnection& conn, std::span<const Statement> batch);

  struct HeldBack {
    Query query;
    std::vector<Value> params;
  };

  TransactionCounters& counters_;
  std::shared_ptr<PgPool> pool_;
  std::shared_ptr<PgConnection> conn_;  // null once finished
  std::string_view begin_sql_;           // not sent yet when non-empty
  std::vector<HeldBack> held_back_;      // execute_later()'s, not sent yet
};

}  // namespace parley::db::pg
