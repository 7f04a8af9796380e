#pragma once
// Test support: a Database that forwards to a real one and counts every statement sent through it
// (in its transactions too, begin/commit/rollback included), for the tests that check a request
// costs a constant number of statements.
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

// Forwards to a real transaction and counts its statements into `statements`.
class CountingTransaction final : public Transaction {
 public:
  CountingTransaction(std::unique_ptr<Transaction> inner, std::atomic<int>& statements)
      : inner_(std::move(inner)), statements_(statements) {}
  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    ++statements_;
    co_return co_await inner_->execute(query, params);
  }
  boost::asio::awaitable<void> commit() override {
    ++statements_;
    co_await inner_->commit();
  }
  boost::asio::awaitable<void> rollback() override {
    ++statements_;
    co_await inner_->rollback();
  }

 private:
  std::unique_ptr<Transaction> inner_;
  std::atomic<int>& statements_;
};

// Forwards to a real database and counts every statement sent through it, in transactions too.
class CountingDatabase final : public Database {
 public:
  explicit CountingDatabase(Database& inner) : inner_(inner) {}
  std::atomic<int> statements{0};

  Dialect dialect() const noexcept override { return inner_.dialect(); }
  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    ++statements;
    co_return co_await inner_.execute(query, params);
  }
  boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation) override {
    ++statements;
    auto tx = co_await inner_.begin(isolation);
    co_return std::make_unique<CountingTransaction>(std::move(tx), statements);
  }
  boost::asio::awaitable<void> stream(
      Query query, Params params, std::size_t batch_size,
      std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) override {
    ++statements;
    co_await inner_.stream(query, params, batch_size, on_batch);
  }
  boost::asio::awaitable<void> ping() override { co_await inner_.ping(); }
  void close() override {}

 private:
  Database& inner_;
};

}  // namespace parley::db::repositories
