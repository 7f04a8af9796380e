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

// Forwards to a real transaction and counts its statements into `statements`; decrements `open`
// when it ends.
class CountingTransaction final : public Transaction {
 public:
  CountingTransaction(std::unique_ptr<Transaction> inner, std::atomic<int>& statements, std::atomic<int>& open)
      : inner_(std::move(inner)), statements_(statements), open_(open) {}
  ~CountingTransaction() override { --open_; }
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
  std::atomic<int>& open_;
};

// Forwards to a real database and counts every statement sent through it, in transactions too,
// and the transactions open at once (the most there ever were: `max_open_transactions`).
class CountingDatabase final : public Database {
 public:
  explicit CountingDatabase(Database& inner) : inner_(inner) {}
  std::atomic<int> statements{0};
  std::atomic<int> open_transactions{0};
  std::atomic<int> max_open_transactions{0};

  Dialect dialect() const noexcept override { return inner_.dialect(); }
  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    ++statements;
    co_return co_await inner_.execute(query, params);
  }
  boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation) override {
    ++statements;
    const int open = ++open_transactions;
    int seen = max_open_transactions.load();
    while (open > seen && !max_open_transactions.compare_exchange_weak(seen, open)) {
    }
    std::unique_ptr<Transaction> tx;
    try {
      tx = co_await inner_.begin(isolation);
    } catch (...) {
      --open_transactions;
      throw;
    }
    co_return std::make_unique<CountingTransaction>(std::move(tx), statements, open_transactions);
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
