// Migrations against a real PostgreSQL 15 (scripts/test-servers start <dir>; then source <dir>/env).
// Skipped when PARLEY_TEST_PG_URL is unset.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cstdlib>

#include "core/error.hpp"
#include "db/erd.hpp"
#include "db/migrations.hpp"
#include "db/pg/pg_database.hpp"
#include "db/testing.hpp"

namespace parley::db {
namespace {

using boost::asio::awaitable;
using testing::run_awaitable;

const std::filesystem::path kSourceDir = PARLEY_SOURCE_DIR;

class PgMigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("PARLEY_TEST_PG_URL");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
    url_ = url;
    db_ = pg::make_postgres(io_, pg::PgConfig{.url = url_});
    // Each test starts from an empty schema.
    run_awaitable(io_, db_->execute_script("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"));
  }
  void TearDown() override {
    if (db_) db_->close();
  }

  std::string url_;
  boost::asio::io_context io_;
  std::unique_ptr<pg::PgDatabase> db_;
};

TEST_F(PgMigrationsTest, TwoConcurrentMigratorsApplyTheSchemaOnce) {
  auto other = pg::make_postgres(io_, pg::PgConfig{.url = url_});
  std::filesystem::path dir = migrations_dir(kSourceDir / "migrations", Dialect::postgres);
  Migrator a(*db_, dir);
  Migrator b(*other, dir);
  int applied_a = -1;
  int applied_b = -1;
  int done = 0;
  auto finish = [&](std::exception_ptr e) {
    EXPECT_FALSE(e);
    if (++done == 2) io_.stop();  // the pools' health loops would keep run() going
  };
  boost::asio::co_spawn(io_, [&]() -> awaitable<void> { applied_a = co_await a.migrate(); }, finish);
  boost::asio::co_spawn(io_, [&]() -> awaitable<void> { applied_b = co_await b.migrate(); }, finish);
  io_.restart();
  io_.run();
  EXPECT_EQ(applied_a + applied_b, static_cast<int>(load_migration_files(dir).size()));
  EXPECT_TRUE(run_awaitable(io_, a.pending()).empty());
  EXPECT_EQ(run_awaitable(io_, b.migrate()), 0);
  other->close();
}

TEST_F(PgMigrationsTest, SchemaRejectsBadRowsAndRendersAnErd) {
  Migrator migrator(*db_, migrations_dir(kSourceDir / "migrations", Dialect::postgres));
  run_awaitable(io_, migrator.migrate());
  auto exec = [&](std::string_view sql) { return run_awaitable(io_, db_->execute(Query{"", sql})); };
  exec("INSERT INTO users (username, email) VALUES ('Ann', 'ann@example.com')");
  try {
    exec("INSERT INTO users (username, email) VALUES ('ANN', 'x@example.com')");
    FAIL();
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 409);
  }
  try {
    exec("INSERT INTO conversation_members (conversation_id, user_id) VALUES (42, 1)");
    FAIL();
  } catch (const AppError& e) {
    EXPECT_EQ(e.code(), "invalid_reference");
  }
  std::string erd = run_awaitable(io_, render_erd(*db_));
  EXPECT_NE(erd.find("users ||--o{ messages : \"sender_id\""), std::string::npos);
  EXPECT_EQ(erd.find("analytics_events_default"), std::string::npos) << "partitions are not entities";
}

}  // namespace
}  // namespace parley::db
