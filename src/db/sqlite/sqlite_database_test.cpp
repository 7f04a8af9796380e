#include "db/sqlite/sqlite_database.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/error.hpp"
#include "db/errors.hpp"
#include "db/testing.hpp"

namespace parley::db::sqlite {
namespace {

using boost::asio::awaitable;
using testing::run_awaitable;

constexpr Query kCreate{"", R"sql(
  CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    qty INTEGER NOT NULL CHECK (qty > 0),
    price REAL,
    flag INTEGER);
  CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
  INSERT INTO counter VALUES (1, 0);
)sql"};
constexpr Query kInsertParent{"test.insert_parent", "INSERT INTO parent (name) VALUES ($1) RETURNING id"};
constexpr Query kInsertChild{"test.insert_child",
                             "INSERT INTO child (parent_id, qty, price, flag) VALUES ($1, $2, $3, $4)"};
constexpr Query kParentByName{"test.parent_by_name", "SELECT id, name FROM parent WHERE name = $1"};
constexpr Query kCountParents{"test.count_parents", "SELECT count(*) FROM parent"};
constexpr Query kCounter{"test.counter", "SELECT n FROM counter WHERE id = 1"};
constexpr Query kBumpCounter{"test.bump_counter", "UPDATE counter SET n = $1 WHERE id = 1"};

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<SqliteDatabase>(SqliteOptions{.path = (dir_.path() / "t.db").string(), .readers = 3});
    run_awaitable(io_, db_->execute_script(kCreate.sql));
  }

  template <typename T>
  T run(awaitable<T> task) {
    return run_awaitable(io_, std::move(task));
  }

  awaitable<std::int64_t> insert_parent(std::string name) {
    std::array<Value, 1> params{std::move(name)};
    auto rs = co_await db_->execute(kInsertParent, params);
    co_return rs.one().int64(0);
  }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(SqliteDatabaseTest, BindsAndReadsTypedValues) {
  std::int64_t parent = run(insert_parent("alpha"));
  std::array<Value, 4> params{parent, std::int64_t{3}, 2.5, true};
  ResultSet inserted = run(db_->execute(kInsertChild, params));
  EXPECT_EQ(inserted.affected_rows, 1);

  std::array<Value, 4> with_null{parent, std::int64_t{1}, nullptr, false};
  run(db_->execute(kInsertChild, with_null));

  constexpr Query kChildren{"test.children", "SELECT qty, price, flag FROM child WHERE parent_id = $1 ORDER BY id"};
  std::array<Value, 1> by_parent{parent};
  ResultSet rs = run(db_->execute(kChildren, by_parent));
  ASSERT_EQ(rs.rows.size(), 2u);
  EXPECT_EQ(rs.rows[0].int64(rs.rows[0].index("qty")), 3);
  EXPECT_DOUBLE_EQ(rs.rows[0].float64(1), 2.5);
  EXPECT_TRUE(rs.rows[0].boolean(2));
  EXPECT_TRUE(rs.rows[1].is_null(1));
  EXPECT_FALSE(rs.rows[1].boolean(2));
}

TEST_F(SqliteDatabaseTest, ParameterUsedTwiceBindsOnce) {
  run(insert_parent("x"));
  constexpr Query kTwice{"test.twice", "SELECT count(*) FROM parent WHERE name = $1 OR name = $1 || ''"};
  std::array<Value, 1> params{std::string("x")};
  EXPECT_EQ(run(db_->execute(kTwice, params)).one().int64(0), 1);
}

TEST_F(SqliteDatabaseTest, RejectsWrongParameterCountAndMultipleStatements) {
  std::array<Value, 2> two{std::string("a"), std::string("b")};
  EXPECT_THROW(run(db_->execute(kParentByName, two)), AppError);
  constexpr Query kTwoStatements{"test.two", "SELECT 1; SELECT 2"};
  EXPECT_THROW(run(db_->execute(kTwoStatements)), AppError);
}

TEST_F(SqliteDatabaseTest, MapsConstraintViolations) {
  std::int64_t parent = run(insert_parent("dup"));
  try {
    run(insert_parent("dup"));
    FAIL() << "expected a unique violation";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_EQ(e.code(), "conflict");
    EXPECT_EQ(e.public_message().find("parent"), std::string::npos) << "public text must not leak the schema";
  }
  std::array<Value, 4> bad_ref{std::int64_t{999}, std::int64_t{1}, nullptr, nullptr};
  try {
    run(db_->execute(kInsertChild, bad_ref));
    FAIL() << "expected a foreign-key violation";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "invalid_reference");
  }
  std::array<Value, 4> bad_check{parent, std::int64_t{0}, nullptr, nullptr};
  try {
    run(db_->execute(kInsertChild, bad_check));
    FAIL() << "expected a check violation";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_EQ(e.code(), "constraint_violation");
  }
}

TEST_F(SqliteDatabaseTest, PoolStatsShowTheWriterHeldByATransaction) {
  auto idle = db_->pool_stats();
  ASSERT_EQ(idle.size(), 2u);
  EXPECT_EQ(idle[0].pool, "sqlite_writer");
  EXPECT_EQ(idle[0].max, 1u);
  EXPECT_EQ(idle[0].idle, 1u);
  EXPECT_EQ(idle[1].pool, "sqlite_readers");
  EXPECT_EQ(idle[1].max, 3u);
  EXPECT_EQ(idle[1].in_use, 0u);
  auto tx = run(db_->begin());
  auto busy = db_->pool_stats();
  EXPECT_EQ(busy[0].in_use, 1u);
  EXPECT_EQ(busy[0].idle, 0u);
  run(tx->rollback());
}

TEST_F(SqliteDatabaseTest, ConcurrentReadsUseReaders) {
  run(insert_parent("r"));
  constexpr int kReaders = 24;
  int finished = 0;
  auto before = db_->stats();
  for (int i = 0; i < kReaders; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          std::array<Value, 1> params{std::string("r")};
          auto rs = co_await db_->execute(kParentByName, params);
          EXPECT_EQ(rs.one().text(1), "r");
          ++finished;
        },
        boost::asio::detached);
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(finished, kReaders);
  auto after = db_->stats();
  EXPECT_EQ(after.reader_statements - before.reader_statements, static_cast<std::uint64_t>(kReaders));
  EXPECT_EQ(after.writer_statements, before.writer_statements);
}

TEST_F(SqliteDatabaseTest, BatchRunsInOrderOnAReaderOnceItsStatementsAreKnownToRead) {
  run(insert_parent("a"));
  run(insert_parent("b"));
  const std::array<Value, 1> a{std::string("a")};
  const std::array<Value, 1> b{std::string("b")};
  const std::array<Statement, 3> batch{Statement{kParentByName, b}, Statement{kCountParents, {}},
                                       Statement{kParentByName, a}};
  auto first = run(db_->execute_all(batch));  // learns that the statements only read
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].one().text(1), "b");
  EXPECT_EQ(first[1].one().int64(0), 2);
  EXPECT_EQ(first[2].one().text(1), "a");

  auto before = db_->stats();
  auto again = run(db_->execute_all(batch));
  EXPECT_EQ(again[2].one().text(1), "a");
  auto after = db_->stats();
  EXPECT_EQ(after.reader_statements - before.reader_statements, 3u);
  EXPECT_EQ(after.writer_statements, before.writer_statements);

  // A write in a batch is never sent to a reader: it runs on the writer, in order.
  const std::array<Value, 1> seven{std::int64_t{7}};
  const std::array<Statement, 2> mixed{Statement{kBumpCounter, seven}, Statement{kCounter, {}}};
  auto results = run(db_->execute_all(mixed));
  EXPECT_EQ(results[1].one().int64(0), 7);
}

TEST_F(SqliteDatabaseTest, BatchInATransactionSeesItsOwnWrites) {
  auto n = run([](SqliteDatabase& db) -> awaitable<std::int64_t> {
    auto tx = co_await db.begin();
    const std::array<Value, 1> five{std::int64_t{5}};
    const std::array<Statement, 2> batch{Statement{kBumpCounter, five}, Statement{kCounter, {}}};
    auto results = co_await tx->execute_all(batch);
    co_await tx->commit();
    co_return results[1].one().int64(0);
  }(*db_));
  EXPECT_EQ(n, 5);
}

TEST_F(SqliteDatabaseTest, ConcurrentTransactionsAreSerialized) {
  // Read-modify-write without locking in SQL: a lost update would show if two transactions ran
  // interleaved on the writer.
  constexpr int kWriters = 30;
  int finished = 0;
  for (int i = 0; i < kWriters; ++i) {
    boost::asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          co_await with_transaction(*db_, Isolation::serializable, [&](Transaction& tx) -> awaitable<void> {
            auto n = (co_await tx.execute(kCounter)).one().int64(0);
            std::array<Value, 1> params{n + 1};
            co_await tx.execute(kBumpCounter, params);
          });
          ++finished;
        },
        boost::asio::detached);
  }
  io_.restart();
  io_.run();
  EXPECT_EQ(finished, kWriters);
  EXPECT_EQ(run(db_->execute(kCounter)).one().int64(0), kWriters);
}

TEST_F(SqliteDatabaseTest, ScopeExitByExceptionRollsBack) {
  auto task = [&]() -> awaitable<void> {
    auto tx = co_await db_->begin();
    std::array<Value, 1> params{std::string("ghost")};
    co_await tx->execute(kInsertParent, params);
    throw std::runtime_error("leaving the scope");
  };
  EXPECT_THROW(run(task()), std::runtime_error);
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), 0);
  // The writer came back after the rollback: a new transaction commits.
  run([&]() -> awaitable<void> {
    auto tx = co_await db_->begin();
    std::array<Value, 1> params{std::string("real")};
    co_await tx->execute(kInsertParent, params);
    co_await tx->commit();
  }());
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), 1);
}

TEST_F(SqliteDatabaseTest, WithTransactionRollsBackOnError) {
  auto task = with_transaction(*db_, Isolation::read_committed, [&](Transaction& tx) -> awaitable<void> {
    std::array<Value, 1> params{std::string("gone")};
    co_await tx.execute(kInsertParent, params);
    throw AppError::bad_request("no");
  });
  EXPECT_THROW(run(std::move(task)), AppError);
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), 0);
}

TEST_F(SqliteDatabaseTest, WithTransactionRetriesSerializationFailures) {
  int attempts = 0;
  run(with_transaction(*db_, Isolation::serializable, [&](Transaction& tx) -> awaitable<void> {
    ++attempts;
    std::array<Value, 1> params{std::string("p" + std::to_string(attempts))};
    co_await tx.execute(kInsertParent, params);
    if (attempts < 3) throw serialization_failure("simulated");
  }));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), 1);

  int tries = 0;
  auto give_up = with_transaction(
      *db_, Isolation::serializable,
      [&](Transaction&) -> awaitable<void> {
        ++tries;
        throw serialization_failure("always");
        co_return;
      },
      2);
  try {
    run(std::move(give_up));
    FAIL();
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_EQ(e.code(), kSerializationFailureCode);
  }
  EXPECT_EQ(tries, 2);
}

TEST_F(SqliteDatabaseTest, StreamsInBoundedBatches) {
  constexpr int kRows = 1000;
  run([&]() -> awaitable<void> {
    auto tx = co_await db_->begin();
    for (int i = 0; i < kRows; ++i) {
      std::array<Value, 1> params{std::string("n") + std::to_string(i)};
      co_await tx->execute(kInsertParent, params);
    }
    co_await tx->commit();
  }());
  constexpr Query kAll{"test.all_parents", "SELECT id FROM parent WHERE id > $1 ORDER BY id"};
  std::array<Value, 1> params{std::int64_t{0}};
  std::size_t total = 0;
  std::size_t largest = 0;
  std::int64_t last = 0;
  run(db_->stream(kAll, params, 64, [&](std::vector<Row>& rows) -> awaitable<void> {
    largest = std::max(largest, rows.size());
    for (const Row& row : rows) {
      EXPECT_GT(row.int64(0), last);
      last = row.int64(0);
    }
    total += rows.size();
    co_return;
  }));
  EXPECT_EQ(total, static_cast<std::size_t>(kRows));
  EXPECT_EQ(largest, 64u);
  // The reader went back to the pool: a plain read still works.
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), kRows);
}

TEST_F(SqliteDatabaseTest, StreamStopsWhenTheConsumerThrows) {
  for (int i = 0; i < 10; ++i) run(insert_parent("s" + std::to_string(i)));
  constexpr Query kAll{"test.all_names", "SELECT name FROM parent"};
  int batches = 0;
  auto task = db_->stream(kAll, {}, 3, [&](std::vector<Row>&) -> awaitable<void> {
    ++batches;
    throw std::runtime_error("consumer gave up");
    co_return;
  });
  EXPECT_THROW(run(std::move(task)), std::runtime_error);
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(run(db_->execute(kCountParents)).one().int64(0), 10);
}

TEST_F(SqliteDatabaseTest, PingAndClose) {
  run(db_->ping());
  db_->close();
  EXPECT_THROW(run(db_->ping()), AppError);
}

TEST(SqliteMemoryTest, InMemoryDatabaseUsesOnlyTheWriter) {
  boost::asio::io_context io;
  SqliteDatabase db(SqliteOptions{.path = ":memory:"});
  EXPECT_EQ(db.reader_count(), 0u);
  run_awaitable(io, db.execute_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7);"));
  constexpr Query kSelect{"mem.select", "SELECT x FROM t"};
  EXPECT_EQ(run_awaitable(io, db.execute(kSelect)).one().int64(0), 7);
}

}  // namespace
}  // namespace parley::db::sqlite
