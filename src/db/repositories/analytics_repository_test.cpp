#include "db/repositories/analytics_repository.hpp"

#include <gtest/gtest.h>

#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class AnalyticsRepoTest : public RepoTest {
 protected:
  AnalyticsRepository analytics_{GetParam()};
};

// Text the PostgreSQL array literals must quote (quotes, backslashes, commas, braces, "NULL"), a
// user deleted since (recorded as no user) and absent fields come back as they went in.
TEST_P(AnalyticsRepoTest, InsertsEventsWithAnyTextAndNoUserForAMissingOne) {
  User alice = make_user("alice");
  const std::vector<AnalyticsRepository::NewEvent> events{
      {.at = "2026-12-05T10:00:00.250Z",
       .name = "message_sent",
       .user_id = alice.id,
       .status_code = 201,
       .route = R"(/a "quoted", {braced} \ back)"},
      {.at = "2026-12-05T10:00:01Z", .name = "active", .user_id = 999999, .status_code = std::nullopt, .route = ""},
      {.at = "2026-12-05T10:00:02Z", .name = "error", .user_id = std::nullopt, .status_code = 500, .route = "NULL"}};
  run(analytics_.insert_events(*db_, events));
  run(analytics_.insert_events(*db_, std::span<const AnalyticsRepository::NewEvent>{}));

  const Query read = GetParam() == Dialect::postgres
                         ? Query{"t", "SELECT name, user_id, status_code, properties ->> 'route' FROM analytics_events "
                                      "ORDER BY occurred_at"}
                         : Query{"t", "SELECT name, user_id, status_code, json_extract(properties, '$.route') "
                                      "FROM analytics_events ORDER BY occurred_at"};
  auto rows = run(db_->execute(read));
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0].text(0), "message_sent");
  EXPECT_EQ(rows.rows[0].opt_int64(1), std::optional<std::int64_t>(alice.id));
  EXPECT_EQ(rows.rows[0].opt_int64(2), std::optional<std::int64_t>(201));
  EXPECT_EQ(rows.rows[0].text(3), R"(/a "quoted", {braced} \ back)");
  EXPECT_EQ(rows.rows[1].text(0), "active");
  EXPECT_FALSE(rows.rows[1].opt_int64(1)) << "no such user: recorded as no user";
  EXPECT_FALSE(rows.rows[1].opt_int64(2));
  EXPECT_TRUE(rows.rows[1].is_null(3)) << "no route: no properties";
  EXPECT_FALSE(rows.rows[2].opt_int64(1));
  EXPECT_EQ(rows.rows[2].text(3), "NULL") << "the text NULL, not a NULL element";
}

PARLEY_INSTANTIATE_REPO_TEST(AnalyticsRepoTest);

}  // namespace
}  // namespace parley::db::repositories
