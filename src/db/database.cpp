// Backend-independent parts of the database interface: typed row access, the transaction retry
// helper and the default script runner.
#include "db/database.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <random>

#include "core/error.hpp"
#include "db/errors.hpp"
#include "db/sql_script.hpp"

namespace parley::db {
namespace {

const std::string& cell(const std::vector<std::optional<std::string>>& cells, std::size_t i) {
  if (i >= cells.size()) throw AppError::internal("row has no column " + std::to_string(i));
  if (!cells[i]) throw AppError::internal("column " + std::to_string(i) + " is NULL");
  return *cells[i];
}

template <typename T>
T parse_number(const std::string& s, std::size_t i) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    throw AppError::internal("column " + std::to_string(i) + " is not a number: '" + s + "'");
  }
  return value;
}

}  // namespace

std::int64_t Row::int64(std::size_t i) const { return parse_number<std::int64_t>(cell(cells_, i), i); }

double Row::float64(std::size_t i) const { return parse_number<double>(cell(cells_, i), i); }

bool Row::boolean(std::size_t i) const {
  const std::string& s = cell(cells_, i);
  if (s == "t" || s == "1" || s == "true") return true;
  if (s == "f" || s == "0" || s == "false") return false;
  throw AppError::internal("column " + std::to_string(i) + " is not a boolean: '" + s + "'");
}

const std::string& Row::text(std::size_t i) const { return cell(cells_, i); }

std::optional<std::int64_t> Row::opt_int64(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return int64(i);
}

std::optional<std::string> Row::opt_text(std::size_t i) const { return cells_.at(i); }

std::size_t Row::index(std::string_view column) const {
  if (columns_ != nullptr) {
    for (std::size_t i = 0; i < columns_->size(); ++i) {
      if ((*columns_)[i] == column) return i;
    }
  }
  throw AppError::internal("result has no column '" + std::string(column) + "'");
}

const Row& ResultSet::one() const {
  if (rows.empty()) throw AppError::not_found();
  return rows.front();
}

boost::asio::awaitable<std::vector<ResultSet>> Executor::execute_all(std::span<const Statement> batch) {
  std::vector<ResultSet> results;
  results.reserve(batch.size());
  for (const Statement& statement : batch) results.push_back(co_await execute(statement.query, statement.params));
  co_return results;
}

boost::asio::awaitable<void> Executor::execute_later(Query query, Params params) {
  co_await execute(query, params);
}

boost::asio::awaitable<void> Executor::execute_script(std::string_view sql) {
  for (std::string_view statement : split_sql_script(sql)) {
    co_await execute(Query{"", statement});
  }
}

boost::asio::awaitable<void> with_transaction(Database& db, Isolation isolation,
                                              std::function<boost::asio::awaitable<void>(Transaction&)> body,
                                              int attempts) {
  using namespace std::chrono_literals;
  std::minstd_rand rng{std::random_device{}()};
  auto backoff = 10ms;
  for (int attempt = 1;; ++attempt) {
    std::exception_ptr failure;
    bool retry = false;
    std::unique_ptr<Transaction> tx;
    try {
      tx = co_await db.begin(isolation);
      co_await body(*tx);
      co_await tx->commit();
      co_return;
    } catch (const AppError& e) {
      failure = std::current_exception();
      retry = is_retryable(e) && attempt < attempts;
    } catch (...) {
      failure = std::current_exception();
    }
    // Roll back here rather than in the destructor so the next attempt starts on a released
    // connection; a rollback failure is secondary to the error being reported.
    if (tx) {
      try {
        co_await tx->rollback();
      } catch (...) {
      }
      tx.reset();
    }
    if (!retry) std::rethrow_exception(failure);
    ++db.transaction_counters().retries;
    // Full jitter: wait a random time in [backoff/2, backoff], doubling up to 200 ms.
    std::uniform_int_distribution<long> dist(backoff.count() / 2, backoff.count());
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(dist(rng)));
    co_await timer.async_wait(boost::asio::use_awaitable);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
  }
}

}  // namespace parley::db
