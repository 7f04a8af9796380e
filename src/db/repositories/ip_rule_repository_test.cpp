#include "db/repositories/ip_rule_repository.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

std::vector<std::int64_t> ids(const std::vector<IpRuleRecord>& rules) {
  std::vector<std::int64_t> out;
  for (const auto& r : rules) out.push_back(r.id);
  return out;
}

class IpRuleRepoTest : public RepoTest {
 protected:
  IpRuleRecord create(std::string cidr, std::string action, std::optional<std::string> expires_at = std::nullopt,
                      std::optional<std::int64_t> by = std::nullopt) {
    return run(rules_.create(*db_, NewIpRule{.cidr = std::move(cidr),
                                             .action = std::move(action),
                                             .note = "n",
                                             .created_by = by,
                                             .expires_at = std::move(expires_at)}));
  }

  IpRuleRepository rules_{GetParam()};
};

TEST_P(IpRuleRepoTest, CreatesFindsAndRemoves) {
  User admin = make_user("admin");
  auto v4 = create("203.0.113.0/24", "deny", "2999-01-01T00:00:00+01:00", admin.id);
  EXPECT_GT(v4.id, 0);
  EXPECT_EQ(v4.cidr, "203.0.113.0/24");
  EXPECT_EQ(v4.action, "deny");
  EXPECT_EQ(v4.note, "n");
  EXPECT_EQ(v4.created_by, std::optional<std::int64_t>(admin.id));
  EXPECT_EQ(v4.expires_at, std::optional<std::string>("2998-12-31T23:00:00.000Z"));
  auto host = create("2001:db8::1/128", "allow");
  EXPECT_EQ(host.cidr, "2001:db8::1/128");
  EXPECT_FALSE(host.expires_at);
  EXPECT_FALSE(host.created_by);

  auto found = run(rules_.find(*db_, v4.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->cidr, v4.cidr);
  EXPECT_EQ(found->created_at, v4.created_at);

  auto removed = run(rules_.remove(*db_, v4.id));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->cidr, "203.0.113.0/24");
  EXPECT_FALSE(run(rules_.find(*db_, v4.id)));
  EXPECT_FALSE(run(rules_.remove(*db_, v4.id)));
}

TEST_P(IpRuleRepoTest, ListsNewestFirstAndUnexpiredOnes) {
  auto a = create("10.0.0.0/8", "allow");
  auto b = create("192.0.2.0/24", "deny", "2999-01-01T00:00:00Z");
  auto c = create("198.51.100.0/24", "deny", "2100-01-01T00:00:00Z");
  EXPECT_EQ(ids(run(rules_.list(*db_, std::nullopt, 10))), (std::vector<std::int64_t>{c.id, b.id, a.id}));
  EXPECT_EQ(ids(run(rules_.list(*db_, c.id, 1))), (std::vector<std::int64_t>{b.id}));
  // "Now" is given: in 2200, the rule expiring in 2100 is gone.
  EXPECT_EQ(ids(run(rules_.list_unexpired(*db_, "2026-12-04T12:00:00Z"))),
            (std::vector<std::int64_t>{a.id, b.id, c.id}));
  EXPECT_EQ(ids(run(rules_.list_unexpired(*db_, "2200-01-01T00:00:00Z"))), (std::vector<std::int64_t>{a.id, b.id}));
  EXPECT_EQ(ids(run(rules_.list_unexpired(*db_, "2100-01-01T00:00:00.000Z"))), (std::vector<std::int64_t>{a.id, b.id}))
      << "a rule is expired at its expires_at";
}

TEST_P(IpRuleRepoTest, TheSchemaRefusesWhatTheActionsNeverWrite) {
  EXPECT_THROW(create("10.0.0.0/8", "block"), AppError);
  EXPECT_THROW(create("10.0.0.0/8", "deny", "2000-01-01T00:00:00Z"), AppError) << "an expiry before creation";
  EXPECT_THROW(create("not-a-block", "deny"), AppError);
  if (GetParam() == Dialect::postgres) {
    EXPECT_THROW(create("10.0.0.1/8", "deny"), AppError) << "PostgreSQL's cidr refuses host bits";
  }
}

PARLEY_INSTANTIATE_REPO_TEST(IpRuleRepoTest);

}  // namespace
}  // namespace parley::db::repositories
