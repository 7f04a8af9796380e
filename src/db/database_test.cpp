#include "db/database.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "db/errors.hpp"
#include "db/sql_script.hpp"

namespace parley::db {
namespace {

Row make_row(const std::vector<std::string>* columns, std::vector<std::optional<std::string>> cells) {
  return Row(columns, std::move(cells));
}

TEST(RowTest, ConvertsCells) {
  std::vector<std::string> columns{"id", "score", "ok", "name", "missing"};
  Row row = make_row(&columns, {"42", "1.5", "t", "ann", std::nullopt});
  EXPECT_EQ(row.int64(0), 42);
  EXPECT_DOUBLE_EQ(row.float64(1), 1.5);
  EXPECT_TRUE(row.boolean(2));
  EXPECT_EQ(row.text(3), "ann");
  EXPECT_EQ(row.index("name"), 3u);
  EXPECT_TRUE(row.is_null(4));
  EXPECT_EQ(row.opt_int64(4), std::nullopt);
  EXPECT_EQ(row.opt_text(4), std::nullopt);
  EXPECT_EQ(row.opt_int64(0), 42);
}

TEST(RowTest, RejectsBadConversions) {
  std::vector<std::string> columns{"a", "b"};
  Row row = make_row(&columns, {"12x", std::nullopt});
  EXPECT_THROW(row.int64(0), AppError);
  EXPECT_THROW(row.boolean(0), AppError);
  EXPECT_THROW(row.int64(1), AppError);
  EXPECT_THROW(row.text(1), AppError);
  EXPECT_THROW(row.index("nope"), AppError);
  EXPECT_THROW(row.int64(7), AppError);
}

TEST(RowTest, BooleansFromBothDialects) {
  std::vector<std::string> columns{"a", "b", "c", "d"};
  Row row = make_row(&columns, {"1", "0", "f", "true"});
  EXPECT_TRUE(row.boolean(0));
  EXPECT_FALSE(row.boolean(1));
  EXPECT_FALSE(row.boolean(2));
  EXPECT_TRUE(row.boolean(3));
}

TEST(ResultSetTest, OneThrowsNotFoundWhenEmpty) {
  ResultSet rs;
  try {
    rs.one();
    FAIL();
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

TEST(ErrorsTest, MapsSqlstates) {
  EXPECT_EQ(from_sqlstate("23505", "dup").status(), 409);
  EXPECT_EQ(from_sqlstate("23503", "fk").code(), "invalid_reference");
  EXPECT_EQ(from_sqlstate("23514", "check").code(), "constraint_violation");
  EXPECT_TRUE(is_retryable(from_sqlstate("40001", "ser")));
  EXPECT_TRUE(is_retryable(from_sqlstate("40P01", "deadlock")));
  AppError down = from_sqlstate("57P01", "admin shutdown");
  EXPECT_EQ(down.status(), 503);
  ASSERT_FALSE(down.headers().empty());
  EXPECT_EQ(down.headers().front().first, "Retry-After");
  EXPECT_EQ(from_sqlstate("42601", "syntax").status(), 500);
  EXPECT_EQ(from_sqlstate("42601", "syntax").public_message().find("syntax"), std::string::npos);
}

TEST(SqlScriptTest, SplitsOnTopLevelSemicolons) {
  auto parts = split_sql_script("CREATE TABLE a (x TEXT DEFAULT ';');\n-- comment; here\nSELECT 1 /* ; */;\n\n");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "CREATE TABLE a (x TEXT DEFAULT ';')");
  EXPECT_EQ(parts[1], "-- comment; here\nSELECT 1 /* ; */");
}

TEST(SqlScriptTest, KeepsDollarQuotedBodiesAndTriggers) {
  auto parts = split_sql_script(
      "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END $fn$ LANGUAGE plpgsql;"
      "CREATE TRIGGER t AFTER INSERT ON a BEGIN INSERT INTO b VALUES (CASE WHEN 1 THEN 2 END); DELETE FROM c; END;"
      "SELECT $1;");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_NE(parts[0].find("$fn$ LANGUAGE plpgsql"), std::string_view::npos);
  EXPECT_EQ(parts[1].substr(parts[1].size() - 3), "END");
  EXPECT_EQ(parts[2], "SELECT $1");
}

TEST(SqlScriptTest, DropsCommentOnlyTail) {
  auto parts = split_sql_script("SELECT 'it''s;';\n-- the end\n");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], "SELECT 'it''s;'");
}

}  // namespace
}  // namespace parley::db
