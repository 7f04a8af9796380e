// The real schema (migrations/sqlite) enforces its rules: foreign keys, CHECKs, uniqueness,
// full-text sync; and docs/erd.md matches it.
#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "db/erd.hpp"
#include "db/migrations.hpp"
#include "db/sqlite/sqlite_database.hpp"
#include "db/testing.hpp"

namespace parley::db {
namespace {

using testing::run_awaitable;

const std::filesystem::path kSourceDir = PARLEY_SOURCE_DIR;

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<sqlite::SqliteDatabase>(sqlite::SqliteOptions{.path = (temp_.path() / "s.db").string()});
    Migrator migrator(*db_, migrations_dir(kSourceDir / "migrations", Dialect::sqlite));
    run_awaitable(io_, migrator.migrate());
    exec("INSERT INTO users (id, username, email, password_hash) VALUES (1, 'Ann', 'ann@example.com', 'h')");
    exec("INSERT INTO users (id, username, email, password_hash) VALUES (2, 'bob', 'bob@example.com', 'h')");
    exec(
        "INSERT INTO conversations (id, kind, visibility, name, created_by) VALUES (1, 'channel', 'public', 'general', "
        "1)");
    exec("INSERT INTO conversation_members (conversation_id, user_id, role) VALUES (1, 1, 'owner')");
  }

  ResultSet exec(std::string_view sql) { return run_awaitable(io_, db_->execute(Query{"", sql})); }

  // The AppError an insert fails with.
  AppError failure(std::string_view sql) {
    try {
      exec(sql);
    } catch (const AppError& e) {
      return e;
    }
    ADD_FAILURE() << "expected failure: " << sql;
    return AppError::internal("none");
  }

  testing::TempDir temp_;
  boost::asio::io_context io_;
  std::unique_ptr<sqlite::SqliteDatabase> db_;
};

TEST_F(SchemaTest, UsernamesAreUniqueIgnoringCase) {
  EXPECT_EQ(failure("INSERT INTO users (username, email) VALUES ('ANN', 'other@example.com')").status(), 409);
  EXPECT_EQ(failure("INSERT INTO users (username, email) VALUES ('carl', 'ann@example.com')").status(), 409);
}

TEST_F(SchemaTest, ChecksRejectBadValues) {
  EXPECT_EQ(failure("INSERT INTO users (username, email) VALUES ('dan', 'Dan@Example.com')").code(),
            "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO users (username, email) VALUES ('has space', 'e@example.com')").code(),
            "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO users (username, email, role) VALUES ('eve', 'eve@example.com', 'root')").code(),
            "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO conversations (kind) VALUES ('forum')").code(), "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO conversations (kind, visibility) VALUES ('direct', 'private')").code(),
            "constraint_violation")
      << "a direct conversation needs its direct_key";
  EXPECT_EQ(failure("INSERT INTO conversations (kind, visibility, name) VALUES ('channel', 'public', NULL)").code(),
            "constraint_violation");
  EXPECT_EQ(
      failure(
          "INSERT INTO messages (conversation_id, sender_id, body, html) VALUES (1, 1, printf('%.*c', 10001, 'x'), '')")
          .code(),
      "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO events (user_id, type, payload) VALUES (1, 'message.created', 'not json')").code(),
            "constraint_violation");
  EXPECT_EQ(failure("INSERT INTO events (type, payload) VALUES ('message.created', '{}')").code(),
            "constraint_violation")
      << "an event needs an audience";
}

TEST_F(SchemaTest, ForeignKeysAreEnforced) {
  EXPECT_EQ(failure("INSERT INTO messages (conversation_id, sender_id, body, html) VALUES (99, 1, 'hi', 'hi')").code(),
            "invalid_reference");
  EXPECT_EQ(failure("INSERT INTO conversation_members (conversation_id, user_id) VALUES (1, 99)").code(),
            "invalid_reference");
  exec("INSERT INTO messages (id, conversation_id, sender_id, body, html) VALUES (10, 1, 1, 'hi', 'hi')");
  // A user with messages cannot be deleted (RESTRICT); deleting the conversation cascades.
  EXPECT_EQ(failure("DELETE FROM users WHERE id = 1").code(), "invalid_reference");
  exec("INSERT INTO reactions (message_id, user_id, emoji) VALUES (10, 2, 'thumbsup')");
  exec("DELETE FROM conversations WHERE id = 1");
  EXPECT_EQ(exec("SELECT count(*) FROM messages").one().int64(0), 0);
  EXPECT_EQ(exec("SELECT count(*) FROM reactions").one().int64(0), 0);
  EXPECT_EQ(exec("SELECT count(*) FROM conversation_members").one().int64(0), 0);
}

TEST_F(SchemaTest, DirectConversationsAndClientMessageIdsAreUnique) {
  exec("INSERT INTO conversations (kind, visibility, direct_key) VALUES ('direct', 'private', '1:2')");
  EXPECT_EQ(
      failure("INSERT INTO conversations (kind, visibility, direct_key) VALUES ('direct', 'private', '1:2')").status(),
      409);
  exec("INSERT INTO messages (conversation_id, sender_id, body, html, client_msg_id) VALUES (1, 1, 'a', 'a', 'c-1')");
  EXPECT_EQ(
      failure(
          "INSERT INTO messages (conversation_id, sender_id, body, html, client_msg_id) VALUES (1, 1, 'b', 'b', 'c-1')")
          .status(),
      409);
  exec("INSERT INTO messages (conversation_id, sender_id, body, html, client_msg_id) VALUES (1, 2, 'b', 'b', 'c-1')");
}

TEST_F(SchemaTest, MessageIdsAreMonotonicAndSearchable) {
  exec("INSERT INTO messages (conversation_id, sender_id, body, html) VALUES (1, 1, 'deploy the rocket today', '')");
  exec("INSERT INTO messages (conversation_id, sender_id, body, html) VALUES (1, 1, 'lunch?', '')");
  std::int64_t last = exec("SELECT max(id) FROM messages").one().int64(0);
  exec("DELETE FROM messages WHERE id = " + std::to_string(last));
  exec("INSERT INTO messages (conversation_id, sender_id, body, html) VALUES (1, 1, 'again', '')");
  EXPECT_GT(exec("SELECT max(id) FROM messages").one().int64(0), last) << "AUTOINCREMENT never reuses an id";

  EXPECT_EQ(exec("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'rocket'").one().int64(0), 1);
  exec(
      "UPDATE messages SET body = '', html = '', deleted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE body LIKE "
      "'deploy%'");
  EXPECT_EQ(exec("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'rocket'").one().int64(0), 0)
      << "a deleted message leaves the search index";
}

TEST_F(SchemaTest, TimesAreRfc3339UtcWithMilliseconds) {
  std::string created = exec("SELECT created_at FROM users WHERE id = 1").one().text(0);
  ASSERT_EQ(created.size(), 24u) << created;
  EXPECT_EQ(created[10], 'T');
  EXPECT_EQ(created[19], '.');
  EXPECT_EQ(created.back(), 'Z');
}

TEST_F(SchemaTest, CommittedErdMatchesTheSchema) {
  std::string erd = run_awaitable(io_, render_erd(*db_));
  EXPECT_NE(erd.find("erDiagram"), std::string::npos);
  EXPECT_NE(erd.find("  users ||--o{ messages : \"sender_id\""), std::string::npos);
  EXPECT_NE(erd.find("  users ||--o| user_settings : \"user_id\""), std::string::npos);
  EXPECT_NE(erd.find("  users |o--o{ conversations : \"created_by\""), std::string::npos);
  EXPECT_EQ(erd.find("messages_fts"), std::string::npos) << "virtual and shadow tables are not entities";
  std::filesystem::path committed = kSourceDir / "docs" / "erd.md";
  if (const char* update = std::getenv("PARLEY_UPDATE_ERD"); update != nullptr && std::string(update) == "1") {
    std::ofstream(committed, std::ios::binary | std::ios::trunc) << erd;
  }
  std::ifstream in(committed, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), erd) << "docs/erd.md is stale: rerun this test with PARLEY_UPDATE_ERD=1";
}

}  // namespace
}  // namespace parley::db
