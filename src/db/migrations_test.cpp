#include "db/migrations.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fstream>

#include "core/error.hpp"
#include "db/sqlite/sqlite_database.hpp"
#include "db/testing.hpp"

namespace parley::db {
namespace {

using boost::asio::awaitable;
using testing::run_awaitable;

void write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

constexpr Query kTables{"test.tables", "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't%' ORDER BY name"};

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir());
    write_file(dir() / "0001_first.sql", "CREATE TABLE t1 (id INTEGER PRIMARY KEY);\n");
    write_file(dir() / "0002_second.sql",
               "CREATE TABLE t2 (id INTEGER PRIMARY KEY, t1_id INTEGER REFERENCES t1 (id) ON DELETE CASCADE);\n"
               "INSERT INTO t1 (id) VALUES (1); -- a comment; with a semicolon\n");
    write_file(dir() / "README.md", "not a migration");
    db_ = std::make_unique<sqlite::SqliteDatabase>(sqlite::SqliteOptions{.path = db_path().string()});
  }

  std::filesystem::path dir() const { return temp_.path() / "migrations"; }
  std::filesystem::path db_path() const { return temp_.path() / "m.db"; }

  std::vector<std::string> tables() {
    std::vector<std::string> names;
    for (const Row& row : run_awaitable(io_, db_->execute(kTables)).rows) names.push_back(row.text(0));
    return names;
  }

  testing::TempDir temp_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite::SqliteDatabase> db_;
};

TEST_F(MigrationsTest, LoadsNumberedFilesInOrderWithChecksums) {
  write_file(dir() / "0010_tenth.sql", "SELECT 1;");
  auto files = load_migration_files(dir());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].version, 1);
  EXPECT_EQ(files[1].name, "0002_second.sql");
  EXPECT_EQ(files[2].version, 10);
  EXPECT_EQ(files[0].checksum, sha256_hex("CREATE TABLE t1 (id INTEGER PRIMARY KEY);\n"));
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(MigrationsTest, RejectsDuplicateVersions) {
  write_file(dir() / "0002_again.sql", "SELECT 1;");
  EXPECT_THROW(load_migration_files(dir()), AppError);
}

TEST_F(MigrationsTest, AppliesInOrderThenIsIdempotent) {
  Migrator migrator(*db_, dir());
  EXPECT_EQ(run_awaitable(io_, migrator.pending()).size(), 2u);
  EXPECT_EQ(run_awaitable(io_, migrator.migrate()), 2);
  EXPECT_EQ(tables(), (std::vector<std::string>{"t1", "t2"}));
  auto status = run_awaitable(io_, migrator.status());
  ASSERT_EQ(status.size(), 2u);
  for (const auto& s : status) {
    EXPECT_EQ(s.state, MigrationState::applied) << s.name;
    ASSERT_TRUE(s.applied_at.has_value());
    EXPECT_EQ(s.applied_at->size(), 24u) << *s.applied_at;  // 2026-01-02T03:04:05.678Z
  }
  EXPECT_EQ(run_awaitable(io_, migrator.migrate()), 0);
  EXPECT_TRUE(run_awaitable(io_, migrator.pending()).empty());
}

TEST_F(MigrationsTest, DetectsPendingFiles) {
  Migrator migrator(*db_, dir());
  run_awaitable(io_, migrator.migrate());
  write_file(dir() / "0003_third.sql", "CREATE TABLE t3 (x TEXT);");
  auto pending = run_awaitable(io_, migrator.pending());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].name, "0003_third.sql");
  EXPECT_EQ(run_awaitable(io_, migrator.migrate()), 1);
}

TEST_F(MigrationsTest, RefusesWhenAnAppliedFileChanged) {
  Migrator migrator(*db_, dir());
  run_awaitable(io_, migrator.migrate());
  write_file(dir() / "0001_first.sql", "CREATE TABLE t1 (id INTEGER PRIMARY KEY, extra TEXT);\n");
  write_file(dir() / "0003_third.sql", "CREATE TABLE t3 (x TEXT);");
  try {
    run_awaitable(io_, migrator.migrate());
    FAIL() << "expected a checksum mismatch";
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "migration_checksum_mismatch");
    EXPECT_NE(std::string(e.what()).find("0001_first.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tables(), (std::vector<std::string>{"t1", "t2"})) << "nothing may be applied after a mismatch";
  auto status = run_awaitable(io_, migrator.status());
  EXPECT_EQ(status[0].state, MigrationState::changed);
  EXPECT_EQ(status[2].state, MigrationState::pending);
}

TEST_F(MigrationsTest, FailedMigrationRollsBackAndNamesTheFile) {
  write_file(dir() / "0003_broken.sql", "CREATE TABLE t3 (x TEXT);\nINSERT INTO nowhere VALUES (1);\n");
  Migrator migrator(*db_, dir());
  try {
    run_awaitable(io_, migrator.migrate());
    FAIL() << "expected the broken migration to fail";
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "migration_failed");
    EXPECT_NE(std::string(e.what()).find("0003_broken.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tables(), (std::vector<std::string>{"t1", "t2"}));
  auto pending = run_awaitable(io_, migrator.pending());
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].version, 3);
}

TEST_F(MigrationsTest, ConcurrentMigratorsApplyEachFileOnce) {
  // Two databases on one file stand for two replicas: BEGIN IMMEDIATE serializes them.
  sqlite::SqliteDatabase other(sqlite::SqliteOptions{.path = db_path().string()});
  Migrator a(*db_, dir());
  Migrator b(other, dir());
  int applied_a = -1;
  int applied_b = -1;
  boost::asio::co_spawn(io_, [&]() -> awaitable<void> { applied_a = co_await a.migrate(); }, boost::asio::detached);
  boost::asio::co_spawn(io_, [&]() -> awaitable<void> { applied_b = co_await b.migrate(); }, boost::asio::detached);
  io_.restart();
  io_.run();
  EXPECT_EQ(applied_a + applied_b, 2);
  EXPECT_EQ(tables(), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_TRUE(run_awaitable(io_, a.pending()).empty());
}

TEST(MigrationsDirTest, PicksTheDialectFolder) {
  EXPECT_EQ(migrations_dir("/m", Dialect::postgres), std::filesystem::path("/m/postgres"));
  EXPECT_EQ(migrations_dir("/m", Dialect::sqlite), std::filesystem::path("/m/sqlite"));
}

}  // namespace
}  // namespace parley::db
