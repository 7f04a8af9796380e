#pragma once
// A statement prepared by a repository but not yet run (a read, or a write whose returned rows are
// parsed, such as messages.insert_many), so that a caller can run several together:
//
//   auto [users, reactions] = co_await db::read_all(db, users.read_many(ids), reactions.read_counts(ids, me));
//
// read_all() sends the statements as one batch (Executor::execute_all: one round trip on
// PostgreSQL, one hop to the pool on SQLite) and hands each result to its read's parser.
#include <boost/asio/awaitable.hpp>
#include <array>
#include <tuple>
#include <utility>
#include <vector>

#include "db/database.hpp"

namespace parley::db {

template <typename T>
struct Read {
  Query query;
  std::vector<Value> params;
  T (*parse)(const ResultSet&);
};

template <typename T>
boost::asio::awaitable<T> read(Executor& db, Read<T> r) {
  ResultSet rs = co_await db.execute(r.query, r.params);
  co_return r.parse(rs);
}

template <typename... T>
boost::asio::awaitable<std::tuple<T...>> read_all(Executor& db, Read<T>... reads) {
  const std::array<Statement, sizeof...(T)> batch{Statement{reads.query, reads.params}...};
  std::vector<ResultSet> results = co_await db.execute_all(batch);
  co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<T...>{reads.parse(results[I])...};
  }(std::index_sequence_for<T...>{});
}

}  // namespace parley::db
