#pragma once
// Test-only fixture for the repository tests: every test runs once on SQLite (a temp file,
// migrated) and once on PostgreSQL (a private database from PgTestDatabase, migrated) when
// PARLEY_TEST_PG_URL is set; the PostgreSQL run is skipped otherwise.
//
//   class UserRepoTest : public RepoTest {};
//   TEST_P(UserRepoTest, Creates) { auto u = run(users.create(*db_, {...})); }
//   PARLEY_INSTANTIATE_REPO_TEST(UserRepoTest);
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "db/database.hpp"
#include "db/migrations.hpp"
#include "db/pg/pg_database.hpp"
#include "db/pg_test_database.hpp"
#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/message_repository.hpp"
#include "db/repositories/reaction_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "db/sqlite/sqlite_database.hpp"
#include "db/testing.hpp"

namespace parley::db::repositories {

class RepoTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    const std::filesystem::path root = std::filesystem::path(PARLEY_SOURCE_DIR) / "migrations";
    if (GetParam() == Dialect::postgres) {
      auto admin = testing::PgTestDatabase::admin_url_from_env();
      if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
      pg_scratch_ = std::make_unique<testing::PgTestDatabase>(*admin);
      db_ = pg::make_postgres(io_, pg::PgConfig{.url = pg_scratch_->url(), .pool_min = 1, .pool_max = 4});
    } else {
      db_ = std::make_unique<sqlite::SqliteDatabase>(
          sqlite::SqliteOptions{.path = (dir_.path() / "repo.db").string(), .readers = 2});
    }
    Migrator migrator(*db_, migrations_dir(root, GetParam()));
    run(migrator.migrate());
  }

  void TearDown() override {
    if (db_) db_->close();
  }

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return testing::run_awaitable(io_, std::move(task));
  }
  void run(boost::asio::awaitable<void> task) { testing::run_awaitable(io_, std::move(task)); }

  // A user named `name` with email <name>@example.com.
  User make_user(const std::string& name) {
    return run(users_.create(*db_, NewUser{.username = name, .email = name + "@example.com", .display_name = name}));
  }

  // A group conversation with `members` added (the first as owner).
  Conversation make_group(const std::vector<std::int64_t>& members, std::string name = "group") {
    Conversation c = run(conversations_.create(
        *db_, NewConversation{.kind = "group", .name = std::move(name), .topic = "", .created_by = members.at(0)}));
    for (std::size_t i = 0; i < members.size(); ++i) {
      run(members_.add(*db_, c.id, members[i], i == 0 ? "owner" : "member"));
    }
    return c;
  }

  Message post(std::int64_t conversation_id, std::int64_t sender_id, std::string body,
               std::optional<std::int64_t> parent_id = std::nullopt) {
    return run(messages_.insert(*db_, NewMessage{.conversation_id = conversation_id,
                                                 .sender_id = sender_id,
                                                 .parent_id = parent_id,
                                                 .body = body,
                                                 .html = "<p>" + body + "</p>"}))
        .message;
  }

  Dialect dialect() const { return GetParam(); }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  std::unique_ptr<testing::PgTestDatabase> pg_scratch_;  // outlives db_ (declared before it)
  std::unique_ptr<Database> db_;
  UserRepository users_{GetParam()};
  ConversationRepository conversations_{GetParam()};
  MemberRepository members_{GetParam()};
  MessageRepository messages_{GetParam()};
  ReactionRepository reactions_{GetParam()};
};

inline std::string dialect_name(const ::testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::postgres ? "Postgres" : "Sqlite";
}

// Expects `expr` to throw an AppError with HTTP status `status`.
#define PARLEY_EXPECT_APP_ERROR(expr, expected_status)                       \
  do {                                                              \
    try {                                                           \
      (void)(expr);                                                 \
      ADD_FAILURE() << #expr " did not throw";                      \
    } catch (const ::parley::AppError& e) {                         \
      EXPECT_EQ(e.status(), expected_status) << e.what();                 \
    }                                                               \
  } while (false)

}  // namespace parley::db::repositories

#define PARLEY_INSTANTIATE_REPO_TEST(suite)                                                               \
  INSTANTIATE_TEST_SUITE_P(Dialects, suite,                                                               \
                           ::testing::Values(::parley::db::Dialect::sqlite, ::parley::db::Dialect::postgres), \
                           ::parley::db::repositories::dialect_name)
