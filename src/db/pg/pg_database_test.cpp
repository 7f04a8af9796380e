// Integration tests of the PostgreSQL backend against a real server. Skipped unless
// PARLEY_TEST_PG_URL is set (scripts/test-servers start <dir> writes it to <dir>/env).
#include "db/pg/pg_database.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <future>
#include <thread>

#include "core/error.hpp"

namespace parley::db::pg {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

const char* env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

class PgDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = env("PARLEY_TEST_PG_URL");
    if (url == nullptr) GTEST_SKIP() << "PARLEY_TEST_PG_URL not set (see scripts/test-servers)";
    config_.url = url;
    config_.pool_min = 0;
    config_.pool_max = 1;
    config_.acquire_timeout = 2s;
    config_.health_interval = 200ms;
    config_.reconnect_backoff_initial = 20ms;
    config_.reconnect_backoff_max = 200ms;
    thread_ = std::thread([this] { io_.run(); });
    suffix_ = std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : suffix_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }

  void TearDown() override {
    for (auto& db : dbs_) db->close();
    dbs_.clear();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // A transaction on a database of its own that holds advisory lock `key` until it ends, so that
  // statements waiting for the lock stay in flight meanwhile.
  std::unique_ptr<Transaction> hold_advisory_lock(std::int64_t key) {
    return run([](PgDatabase& db, std::int64_t key) -> awaitable<std::unique_ptr<Transaction>> {
      auto tx = co_await db.begin();
      const std::vector<Value> params{key};
      co_await tx->execute(Query{"", "SELECT pg_advisory_xact_lock($1)"}, params);
      co_return tx;
    }(open(config_), key));
  }

  PgDatabase& open(PgConfig config) {
    dbs_.push_back(make_postgres(io_, std::move(config)));
    return *dbs_.back();
  }
  PgDatabase& db() {
    if (dbs_.empty()) open(config_);
    return *dbs_.front();
  }

  // Runs `task` on the I/O thread and waits (bounded) for its result.
  template <typename T>
  T run(awaitable<T> task) {
    auto future = asio::co_spawn(io_, std::move(task), asio::use_future);
    if (future.wait_for(60s) != std::future_status::ready) throw std::runtime_error("test task timed out");
    return future.get();
  }
  void run(awaitable<void> task) {
    auto future = asio::co_spawn(io_, std::move(task), asio::use_future);
    if (future.wait_for(60s) != std::future_status::ready) throw std::runtime_error("test task timed out");
    future.get();
  }
  void exec(std::string sql) {
    run([](PgDatabase& db, std::string sql) -> awaitable<void> {
      co_await db.execute(Query{"", sql});
    }(db(), std::move(sql)));
  }

  std::string table(std::string_view base) const { return std::string(base) + "_" + suffix_; }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::thread thread_;
  PgConfig config_;
  std::vector<std::unique_ptr<PgDatabase>> dbs_;
  std::string suffix_;
};

int expect_app_error(const std::function<void()>& f, int status) {
  try {
    f();
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), status) << e.code() << ": " << e.internal_detail();
    return e.status();
  }
  ADD_FAILURE() << "expected an AppError with status " << status;
  return 0;
}

TEST_F(PgDatabaseTest, PoolStatsCountATransactionsConnectionAsInUse) {
  auto& database = db();
  exec("SELECT 1");  // one connection open, shared
  auto idle = database.pool_stats();
  ASSERT_EQ(idle.size(), 1u);
  EXPECT_EQ(idle[0].pool, "postgres");
  EXPECT_EQ(idle[0].max, 1u);
  EXPECT_EQ(idle[0].in_use, 0u);
  EXPECT_EQ(idle[0].idle, 1u);
  auto tx = run([](PgDatabase& db) -> awaitable<std::unique_ptr<Transaction>> { co_return co_await db.begin(); }(database));
  auto busy = database.pool_stats();
  EXPECT_EQ(busy[0].in_use, 1u);
  EXPECT_EQ(busy[0].idle, 0u);
  run([](Transaction& tx) -> awaitable<void> { co_await tx.rollback(); }(*tx));
  tx.reset();
}

TEST_F(PgDatabaseTest, TransactionsAreCountedByHowTheyEnded) {
  auto& database = db();
  const auto& counters = database.transaction_counters();
  run([](PgDatabase& db) -> awaitable<void> {
    auto committed = co_await db.begin();
    co_await committed->execute(Query{"", "SELECT 1"});
    co_await committed->commit();
    auto rolled_back = co_await db.begin();
    co_await rolled_back->execute(Query{"", "SELECT 1"});
    co_await rolled_back->rollback();
    auto dropped = co_await db.begin();
    co_await dropped->execute(Query{"", "SELECT 1"});  // left without commit: rolled back
  }(database));
  EXPECT_EQ(counters.committed.load(), 1u);
  EXPECT_EQ(counters.rolled_back.load(), 2u);
  EXPECT_EQ(counters.retries.load(), 0u);
}

TEST_F(PgDatabaseTest, RunsParameterizedQueriesWithTypedRows) {
  auto rs = run([](PgDatabase& db) -> awaitable<ResultSet> {
    const std::vector<Value> params{std::int64_t{42}, std::string("it's \"quoted\""), true, 2.5, nullptr};
    co_return co_await db.execute(
        Query{"typed_row", "SELECT $1::bigint AS n, $2::text AS s, $3::boolean AS b, $4::float8 AS f, "
                           "$5::text AS z, 'x' || $2 AS concat"},
        params);
  }(db()));
  ASSERT_EQ(rs.rows.size(), 1u);
  const Row& row = rs.one();
  EXPECT_EQ(row.int64(0), 42);
  EXPECT_EQ(row.text(row.index("s")), "it's \"quoted\"");
  EXPECT_TRUE(row.boolean(2));
  EXPECT_DOUBLE_EQ(row.float64(3), 2.5);
  EXPECT_TRUE(row.is_null(4));
  EXPECT_EQ(row.opt_text(4), std::nullopt);
  EXPECT_EQ(row.text(5), "xit's \"quoted\"");
}

TEST_F(PgDatabaseTest, ReportsAffectedRowsAndEmptyResults) {
  const std::string t = table("affected");
  exec("CREATE TABLE " + t + " (id bigint PRIMARY KEY)");
  auto counts = run([](PgDatabase& db, std::string t) -> awaitable<std::pair<std::int64_t, bool>> {
    const std::string insert = "INSERT INTO " + t + " SELECT generate_series(1, 7)";
    auto inserted = co_await db.execute(Query{"", insert});
    const std::string select = "SELECT id FROM " + t + " WHERE id > $1";
    const std::vector<Value> params{std::int64_t{100}};
    auto none = co_await db.execute(Query{"", select}, params);
    co_return std::pair{inserted.affected_rows, none.empty()};
  }(db(), t));
  EXPECT_EQ(counts.first, 7);
  EXPECT_TRUE(counts.second);
  exec("DROP TABLE " + t);
}

TEST_F(PgDatabaseTest, PipelinesConcurrentQueriesOnOneConnection) {
  // A second database holds an advisory lock, so the first statement on the pipelined connection
  // blocks in the server and every other one queues behind it: all 64 are in flight together.
  constexpr int kQueries = 64;
  const std::int64_t key = 424242 + ::getpid();
  PgDatabase& piped = db();
  auto lock_tx = hold_advisory_lock(key);
  auto conn = run(piped.pool().shared());

  std::atomic<int> done{0};
  for (int i = 0; i < kQueries; ++i) {
    asio::co_spawn(io_, [](PgDatabase& db, std::int64_t key, int i, std::atomic<int>& done) -> awaitable<void> {
      const std::vector<Value> params{key, std::int64_t{i}};
      auto rs = co_await db.execute(Query{"lock_shared", "SELECT pg_advisory_xact_lock_shared($1), $2::int"}, params);
      if (rs.one().int64(1) == i) ++done;
    }(piped, key, i, done), asio::detached);
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (conn->in_flight() < kQueries && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(conn->in_flight(), static_cast<std::size_t>(kQueries));
  EXPECT_EQ(done.load(), 0);
  run([](std::unique_ptr<Transaction> tx) -> awaitable<void> { co_await tx->commit(); }(std::move(lock_tx)));
  while (done.load() < kQueries && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(done.load(), kQueries);
  EXPECT_GE(conn->max_in_flight(), static_cast<std::size_t>(kQueries));
  EXPECT_EQ(piped.pool().stats().open, 1u);
}

TEST_F(PgDatabaseTest, BatchIsSentTogetherAndAnswersInOrder) {
  // The blocker holds an advisory lock, so the batch's first statement waits in the server: every
  // statement of the batch is then in flight at once, which proves they went out together.
  const std::int64_t key = 434343 + ::getpid();
  PgDatabase& piped = db();
  auto lock_tx = hold_advisory_lock(key);
  auto conn = run(piped.pool().shared());

  std::vector<std::int64_t> answers;
  std::atomic<bool> finished{false};
  asio::co_spawn(
      io_,
      [](PgDatabase& db, std::int64_t key, std::vector<std::int64_t>& answers) -> awaitable<void> {
        const std::vector<Value> locked{key};
        const std::vector<Value> one{std::int64_t{1}}, two{std::int64_t{2}};
        const std::array<Statement, 3> batch{Statement{{"batch_lock", "SELECT pg_advisory_xact_lock_shared($1), 0::bigint"}, locked},
                                             Statement{{"batch_echo", "SELECT $1::bigint"}, one},
                                             Statement{{"batch_echo", "SELECT $1::bigint"}, two}};
        auto results = co_await db.execute_all(batch);
        answers = {results[0].one().int64(1), results[1].one().int64(0), results[2].one().int64(0)};
      }(piped, key, answers),
      [&](std::exception_ptr) { finished = true; });
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (conn->in_flight() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(conn->in_flight(), 3u);
  run([](std::unique_ptr<Transaction> tx) -> awaitable<void> { co_await tx->commit(); }(std::move(lock_tx)));
  while (!finished && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(answers, (std::vector<std::int64_t>{0, 1, 2}));
}

TEST_F(PgDatabaseTest, BeginTravelsWithTheFirstStatementAndAnIdleTransactionSendsNothing) {
  PgDatabase& fresh = open(config_);  // one connection (pool_max 1), nothing sent on it yet
  auto level = run([](PgDatabase& db) -> awaitable<std::string> {
    {
      auto idle = co_await db.begin(Isolation::serializable);
      co_await idle->commit();  // nothing ran: nothing is sent
    }
    auto tx = co_await db.begin(Isolation::repeatable_read);
    auto rs = co_await tx->execute(Query{"", "SHOW transaction_isolation"});
    co_await tx->commit();
    co_return rs.one().text(0);
  }(fresh));
  EXPECT_EQ(level, "repeatable read") << "the deferred BEGIN carried the isolation level";
  auto conn = run(fresh.pool().shared());
  EXPECT_GE(conn->max_in_flight(), 2u) << "BEGIN and the first statement were in flight together";
  EXPECT_EQ(fresh.pool().stats().pinned, 0u);
}

TEST_F(PgDatabaseTest, BatchThrowsTheFirstErrorAfterTheOthersRan) {
  auto outcome = run([](PgDatabase& db) -> awaitable<int> {
    const std::array<Statement, 3> batch{Statement{{"", "SELECT 1"}, {}}, Statement{{"", "SELEC nonsense"}, {}},
                                         Statement{{"", "SELECT 3"}, {}}};
    try {
      co_await db.execute_all(batch);
    } catch (const AppError& e) {
      co_return e.status();
    }
    co_return 0;
  }(db()));
  EXPECT_EQ(outcome, 500);
  auto still = run([](PgDatabase& db) -> awaitable<std::int64_t> {
    auto rs = co_await db.execute(Query{"", "SELECT 4"});
    co_return rs.one().int64(0);
  }(db()));
  EXPECT_EQ(still, 4) << "the connection stays usable";
}

TEST_F(PgDatabaseTest, CachesPreparedStatementsPerConnection) {
  auto counts = run([](PgDatabase& db) -> awaitable<std::pair<std::size_t, std::int64_t>> {
    for (std::int64_t i = 0; i < 5; ++i) {
      const std::vector<Value> params{i};
      co_await db.execute(Query{"cached_select", "SELECT $1::bigint + 1"}, params);
    }
    co_await db.execute(Query{"", "SELECT 1"});  // unnamed: not cached
    auto conn = co_await db.pool().shared();
    auto server = co_await db.execute(Query{"", "SELECT count(*) FROM pg_prepared_statements"});
    co_return std::pair{conn->prepared_count(), server.one().int64(0)};
  }(db()));
  EXPECT_EQ(counts.first, 1u);
  EXPECT_EQ(counts.second, 1);
}

TEST_F(PgDatabaseTest, BadStatementFailsAloneAndIsNotCached) {
  auto outcome = run([](PgDatabase& db) -> awaitable<std::pair<int, std::int64_t>> {
    int status = 0;
    try {
      co_await db.execute(Query{"broken", "SELEC nonsense"});
    } catch (const AppError& e) {
      status = e.status();
    }
    auto conn = co_await db.pool().shared();
    auto rs = co_await db.execute(Query{"fine", "SELECT 7"});
    co_return std::pair{status + static_cast<int>(conn->prepared_count()) * 1000, rs.one().int64(0)};
  }(db()));
  EXPECT_EQ(outcome.first, 1500);  // a 500 and only "fine" prepared
  EXPECT_EQ(outcome.second, 7);
}

TEST_F(PgDatabaseTest, CommitsAndRollsBackWhenScopeExitsByException) {
  const std::string t = table("tx");
  exec("CREATE TABLE " + t + " (id bigint PRIMARY KEY)");
  auto count = run([](PgDatabase& db, std::string t) -> awaitable<std::int64_t> {
    const std::string insert = "INSERT INTO " + t + " VALUES ($1)";
    {
      auto tx = co_await db.begin(Isolation::serializable);
      const std::vector<Value> one{std::int64_t{1}};
      co_await tx->execute(Query{"", insert}, one);
      co_await tx->commit();
    }
    try {
      auto tx = co_await db.begin();
      const std::vector<Value> two{std::int64_t{2}};
      co_await tx->execute(Query{"", insert}, two);
      throw std::runtime_error("leave the scope");
    } catch (const std::runtime_error&) {
    }
    // pool_max is 1: this waits until the dropped transaction's ROLLBACK returned the connection.
    const std::string count = "SELECT count(*), max(id) FROM " + t;
    auto rs = co_await db.execute(Query{"", count});
    co_return rs.one().int64(0) * 10 + rs.one().int64(1);
  }(db(), t));
  EXPECT_EQ(count, 11);  // one row, id 1
  exec("DROP TABLE " + t);
}

TEST_F(PgDatabaseTest, CommitOfFailedTransactionThrows) {
  auto status = run([](PgDatabase& db) -> awaitable<int> {
    auto tx = co_await db.begin();
    try {
      co_await tx->execute(Query{"", "SELECT 1/0"});
    } catch (const AppError&) {
    }
    try {
      co_await tx->commit();
    } catch (const AppError& e) {
      co_return e.status();
    }
    co_return 0;
  }(db()));
  EXPECT_EQ(status, 500);
}

// execute_later(): held back and sent with the next statement or the COMMIT, in order, in the
// same round trip; a held-back write that fails fails the commit and rolls everything back.
TEST_F(PgDatabaseTest, HeldBackWritesGoOutWithTheCommitAndFailItWhenTheyFail) {
  const std::string t = table("later");
  exec("CREATE TABLE " + t + " (id bigint PRIMARY KEY)");
  PgDatabase& fresh = open(config_);  // one connection (pool_max 1), nothing sent on it yet
  auto outcome = run([](PgDatabase& db, std::string t) -> awaitable<std::vector<std::int64_t>> {
    const std::string insert_sql = "INSERT INTO " + t + " VALUES ($1)", count_sql = "SELECT count(*) FROM " + t,
                      summary_sql = "SELECT count(*), max(id) FROM " + t;
    const Query insert{"", insert_sql}, count{"", count_sql}, summary{"", summary_sql};
    std::vector<std::int64_t> out;
    {
      auto tx = co_await db.begin();
      const std::vector<Value> one{std::int64_t{1}}, two{std::int64_t{2}}, three{std::int64_t{3}};
      co_await tx->execute_later(insert, one);
      co_await tx->execute_later(insert, two);
      auto seen = co_await tx->execute(count);  // the held-back rows went first
      out.push_back(seen.one().int64(0));
      co_await tx->execute_later(insert, three);
      co_await tx->commit();  // row 3 rides with the COMMIT
    }
    {
      auto tx = co_await db.begin();
      const std::vector<Value> four{std::int64_t{4}}, duplicate{std::int64_t{1}};
      co_await tx->execute(insert, four);
      co_await tx->execute_later(insert, duplicate);
      try {
        co_await tx->commit();
        out.push_back(0);
      } catch (const AppError& e) {
        out.push_back(e.status());
      }
    }
    auto rs = co_await db.execute(summary);  // the connection is usable again
    out.push_back(rs.one().int64(0) * 10 + rs.one().int64(1));
    co_return out;
  }(fresh, t));
  ASSERT_EQ(outcome.size(), 3u);
  EXPECT_EQ(outcome[0], 2);    // seen inside the transaction
  EXPECT_EQ(outcome[1], 409);  // the duplicate key, reported by commit()
  EXPECT_EQ(outcome[2], 33);   // rows 1-3 committed; row 4 rolled back with the failed write
  auto conn = run(fresh.pool().shared());
  EXPECT_GE(conn->max_in_flight(), 3u) << "held-back writes travelled with the next statement";
  auto counters = &fresh.transaction_counters();
  EXPECT_EQ(counters->committed.load(), 1u);
  EXPECT_EQ(counters->rolled_back.load(), 1u);
  exec("DROP TABLE " + t);
}

TEST_F(PgDatabaseTest, MapsConstraintViolations) {
  const std::string parent = table("parent"), child = table("child");
  exec("CREATE TABLE " + parent + " (id bigint PRIMARY KEY, name text UNIQUE NOT NULL CHECK (name <> ''))");
  exec("CREATE TABLE " + child + " (id bigint PRIMARY KEY, parent_id bigint NOT NULL REFERENCES " + parent + ")");
  exec("INSERT INTO " + parent + " VALUES (1, 'a')");
  auto attempt = [&](std::string sql) { return [this, sql] { exec(sql); }; };
  expect_app_error(attempt("INSERT INTO " + parent + " VALUES (2, 'a')"), 409);
  expect_app_error(attempt("INSERT INTO " + child + " VALUES (1, 99)"), 400);
  expect_app_error(attempt("INSERT INTO " + parent + " VALUES (3, '')"), 400);
  expect_app_error(attempt("INSERT INTO " + parent + " VALUES (4, NULL)"), 400);
  try {
    exec("INSERT INTO " + parent + " VALUES (1, 'b')");
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "conflict");
    EXPECT_EQ(e.public_message().find(parent), std::string::npos) << "driver text leaked";
    EXPECT_NE(e.internal_detail().find("23505"), std::string::npos);
  }
  exec("DROP TABLE " + child);
  exec("DROP TABLE " + parent);
}

TEST_F(PgDatabaseTest, ExhaustedPoolAnswers503AfterAcquireTimeout) {
  config_.acquire_timeout = 150ms;
  auto outcome = run([](PgDatabase& db) -> awaitable<std::string> {
    auto tx = co_await db.begin();  // pins the only connection
    std::string retry_after;
    try {
      co_await db.execute(Query{"", "SELECT 1"});
    } catch (const AppError& e) {
      for (const auto& [name, value] : e.headers()) {
        if (name == "Retry-After") retry_after = std::to_string(e.status()) + "/" + value;
      }
    }
    co_await tx->commit();
    co_await db.execute(Query{"", "SELECT 1"});  // usable again once released
    co_return retry_after;
  }(db()));
  EXPECT_EQ(outcome, "503/1");
}

TEST_F(PgDatabaseTest, StreamsInBoundedBatches) {
  struct Seen {
    std::size_t batches = 0, rows = 0, largest = 0;
    std::int64_t sum = 0;
  };
  auto seen = run([](PgDatabase& db) -> awaitable<Seen> {
    Seen seen;
    const std::vector<Value> params{std::int64_t{1000}};
    co_await db.stream(Query{"series", "SELECT g FROM generate_series(1, $1::int) AS g"}, params, 64,
                       [&seen](std::vector<Row>& rows) -> awaitable<void> {
                         ++seen.batches;
                         seen.rows += rows.size();
                         seen.largest = std::max(seen.largest, rows.size());
                         for (const Row& r : rows) seen.sum += r.int64(0);
                         co_return;
                       });
    co_await db.execute(Query{"", "SELECT 1"});  // the connection came back
    co_return seen;
  }(db()));
  EXPECT_EQ(seen.rows, 1000u);
  EXPECT_EQ(seen.batches, 16u);
  EXPECT_EQ(seen.largest, 64u);
  EXPECT_EQ(seen.sum, 500500);
}

TEST_F(PgDatabaseTest, ListenNotifyRoundTrip) {
  const std::string channel = "parley events " + suffix_;  // needs quoting as an identifier
  std::promise<std::string> received;
  auto future = received.get_future();
  run([](PgDatabase& db, std::string channel, std::promise<std::string>& received) -> awaitable<void> {
    co_await db.listener().subscribe(channel, [&received](std::string_view, std::string_view payload) {
      received.set_value(std::string(payload));
    });
    co_await db.notify(channel, "hello 'world'");
  }(db(), channel, received));
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(future.get(), "hello 'world'");
}

// Stops and starts the server under the pool (pg_ctl -m fast): statements fail with 503 while it
// is down, then succeed again on the same pool. Not for parallel runs against a shared server.
TEST_F(PgDatabaseTest, PoolRecoversWhenServerRestarts) {
  const char* bin = env("PARLEY_TEST_PG_BIN");
  const char* data = env("PARLEY_TEST_PG_DATA");
  if (bin == nullptr || data == nullptr) GTEST_SKIP() << "PARLEY_TEST_PG_BIN/PARLEY_TEST_PG_DATA not set";
  const char* user = env("PARLEY_TEST_PG_USER");
  const std::string as_user = (::geteuid() == 0 && user != nullptr) ? "runuser -u " + std::string(user) + " -- " : "";
  const std::string pg_ctl = as_user + bin + "/pg_ctl -D " + data + " -w -t 60 ";

  config_.pool_max = 2;
  PgDatabase& database = db();
  run([](PgDatabase& db) -> awaitable<void> { co_await db.ping(); }(database));

  ASSERT_EQ(std::system((pg_ctl + "-m fast stop >/dev/null").c_str()), 0);
  int outage_status = 0;
  try {
    run([](PgDatabase& db) -> awaitable<void> { co_await db.ping(); }(database));
  } catch (const AppError& e) {
    outage_status = e.status();
  }
  EXPECT_EQ(outage_status, 503);
  const std::string log = std::string(data) + "/../server.log";
  ASSERT_EQ(std::system((pg_ctl + "-l " + log + " start >/dev/null").c_str()), 0);

  // Poll with a deadline until the same pool answers again.
  auto attempts = run([](PgDatabase& db) -> awaitable<int> {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (int attempt = 1;; ++attempt) {
      try {
        co_await db.ping();
        co_return attempt;
      } catch (const AppError& e) {
        if (e.status() != 503 || std::chrono::steady_clock::now() > deadline) throw;
      }
      pause.expires_after(20ms);
      co_await pause.async_wait(use_awaitable);
    }
  }(database));
  EXPECT_GE(attempts, 1);
  // A transaction works too, on a fresh connection.
  run([](PgDatabase& db) -> awaitable<void> {
    auto tx = co_await db.begin();
    co_await tx->execute(Query{"", "SELECT 1"});
    co_await tx->commit();
  }(database));
}

}  // namespace
}  // namespace parley::db::pg
