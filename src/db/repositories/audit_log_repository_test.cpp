#include "db/repositories/audit_log_repository.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <regex>
#include <string_view>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

const std::regex kRfc3339Ms(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

// PostgreSQL's jsonb reorders keys and adds spaces, SQLite keeps the text: compare values.
boost::json::value json(std::string_view text) { return boost::json::parse(text); }

std::vector<std::int64_t> ids(const std::vector<AuditRecord>& records) {
  std::vector<std::int64_t> out;
  for (const AuditRecord& r : records) out.push_back(r.id);
  return out;
}

class AuditLogRepoTest : public RepoTest {
 protected:
  AuditRecord record(std::optional<std::int64_t> actor, std::string action, std::optional<AuditTarget> target) {
    return run(
        audit_.record(*db_, AuditEntry{.actor_id = actor, .action = std::move(action), .target = std::move(target)}));
  }

  AuditLogRepository audit_{GetParam()};
};

TEST_P(AuditLogRepoTest, RecordsAnEntry) {
  User admin = make_user("admin");
  AuditRecord rec = run(audit_.record(*db_, AuditEntry{.actor_id = admin.id,
                                                       .action = "user.role_changed",
                                                       .target = AuditTarget{.type = "user", .id = 42},
                                                       .ip = "198.51.100.4",
                                                       .request_id = "req-1",
                                                       .details_json = R"({"from":"member","to":"admin"})"}));
  EXPECT_GT(rec.id, 0);
  EXPECT_EQ(rec.actor_id, std::optional<std::int64_t>(admin.id));
  EXPECT_EQ(rec.action, "user.role_changed");
  ASSERT_TRUE(rec.target);
  EXPECT_EQ(rec.target->type, "user");
  EXPECT_EQ(rec.target->id, 42);
  EXPECT_EQ(rec.ip, std::optional<std::string>("198.51.100.4"));
  EXPECT_EQ(rec.request_id, std::optional<std::string>("req-1"));
  EXPECT_EQ(json(rec.details_json), json(R"({"from":"member","to":"admin"})"));
  EXPECT_TRUE(std::regex_match(rec.created_at, kRfc3339Ms)) << rec.created_at;

  AuditRecord anonymous = record(std::nullopt, "auth.login_failed", std::nullopt);
  EXPECT_FALSE(anonymous.actor_id);
  EXPECT_FALSE(anonymous.target);
  EXPECT_FALSE(anonymous.ip);
  EXPECT_EQ(anonymous.details_json, "{}");

  PARLEY_EXPECT_APP_ERROR(record(admin.id, "Login", std::nullopt), 400);
  PARLEY_EXPECT_APP_ERROR(record(admin.id, "user.deleted", AuditTarget{.type = "planet", .id = 1}), 400);
  PARLEY_EXPECT_APP_ERROR(run(audit_.record(*db_, AuditEntry{.action = "auth.login", .details_json = "{not json"})),
                          400);
}

TEST_P(AuditLogRepoTest, FiltersByActorActionAndTarget) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  AuditRecord a1 = record(ann.id, "auth.login", std::nullopt);
  AuditRecord a2 = record(ann.id, "user.role_changed", AuditTarget{.type = "user", .id = bob.id});
  AuditRecord b1 = record(bob.id, "auth.login", std::nullopt);
  AuditRecord s1 = record(std::nullopt, "user.deactivated", AuditTarget{.type = "user", .id = bob.id});
  AuditRecord s2 = record(std::nullopt, "token.revoked", AuditTarget{.type = "token", .id = bob.id});

  auto all = run(audit_.list(*db_, AuditFilter{}, std::nullopt, 50));
  EXPECT_EQ(ids(all), (std::vector<std::int64_t>{s2.id, s1.id, b1.id, a2.id, a1.id})) << "newest first";
  EXPECT_EQ(ids(run(audit_.list(*db_, AuditFilter{.actor_id = ann.id}, std::nullopt, 50))),
            (std::vector<std::int64_t>{a2.id, a1.id}));
  EXPECT_EQ(ids(run(audit_.list(*db_, AuditFilter{.action = "auth.login"}, std::nullopt, 50))),
            (std::vector<std::int64_t>{b1.id, a1.id}));
  EXPECT_EQ(
      ids(run(audit_.list(*db_, AuditFilter{.target = AuditTarget{.type = "user", .id = bob.id}}, std::nullopt, 50))),
      (std::vector<std::int64_t>{s1.id, a2.id}))
      << "a token with the same id is another target";
  EXPECT_EQ(ids(run(audit_.list(*db_, AuditFilter{.actor_id = bob.id, .action = "auth.login"}, std::nullopt, 50))),
            (std::vector<std::int64_t>{b1.id}));
  EXPECT_TRUE(
      run(audit_.list(*db_, AuditFilter{.actor_id = bob.id, .action = "user.role_changed"}, std::nullopt, 50)).empty());
}

TEST_P(AuditLogRepoTest, PagesNewestFirstByIdCursor) {
  User ann = make_user("ann");
  std::vector<std::int64_t> made;
  for (int i = 0; i < 7; ++i) {
    made.push_back(record(ann.id, i % 2 == 0 ? "auth.login" : "auth.logout", std::nullopt).id);
  }
  std::vector<std::int64_t> seen;
  std::optional<std::int64_t> cursor;
  for (;;) {
    auto page = run(audit_.list(*db_, AuditFilter{.actor_id = ann.id}, cursor, 3));
    ASSERT_LE(page.size(), 3u);
    if (page.empty()) break;
    for (const AuditRecord& r : page) seen.push_back(r.id);
    cursor = page.back().id;
  }
  std::vector<std::int64_t> expected(made.rbegin(), made.rend());
  EXPECT_EQ(seen, expected);

  auto logins = run(audit_.list(*db_, AuditFilter{.action = "auth.login"}, made[4], 50));
  EXPECT_EQ(ids(logins), (std::vector<std::int64_t>{made[2], made[0]}));
  EXPECT_EQ(run(audit_.list(*db_, AuditFilter{}, std::nullopt, 0)).size(), 1u) << "limit clamps to at least 1";
}

PARLEY_INSTANTIATE_REPO_TEST(AuditLogRepoTest);

}  // namespace
}  // namespace parley::db::repositories
