#include "db/repositories/password_reset_repository.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "core/error.hpp"
#include "db/repositories/auth_test_support.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;
using test_support::fake_hash;

class PasswordResetRepoTest : public RepoTest {
 protected:
  Clock clock_;
  PasswordResetRepository resets_{GetParam()};
};

TEST_P(PasswordResetRepoTest, ConsumesOnce) {
  User ann = make_user("ann");
  PasswordResetToken t = run(resets_.create(*db_, ann.id, fake_hash(1), clock_.at(1h)));
  EXPECT_GT(t.id, 0);
  EXPECT_EQ(t.user_id, ann.id);
  EXPECT_EQ(t.expires_at, clock_.at(1h));
  EXPECT_FALSE(t.used_at);

  EXPECT_EQ(run(resets_.consume(*db_, fake_hash(1), clock_.now())), std::optional<std::int64_t>(ann.id));
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(1), clock_.now()))) << "single use";
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(2), clock_.now())));
  PARLEY_EXPECT_APP_ERROR(run(resets_.create(*db_, ann.id, fake_hash(1), clock_.at(1h))), 409);
  PARLEY_EXPECT_APP_ERROR(run(resets_.create(*db_, ann.id + 100, fake_hash(3), clock_.at(1h))), 400);
}

TEST_P(PasswordResetRepoTest, ExpiredTokenIsRefusedAndNotUsedUp) {
  User ann = make_user("ann");
  run(resets_.create(*db_, ann.id, fake_hash(1), clock_.at(1h)));
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(1), clock_.at(1h))));
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(1), clock_.at(2h))));
  EXPECT_EQ(run(resets_.consume(*db_, fake_hash(1), clock_.at(59min))), std::optional<std::int64_t>(ann.id));
}

TEST_P(PasswordResetRepoTest, InvalidatesEveryOutstandingTokenOfAUser) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  run(resets_.create(*db_, ann.id, fake_hash(1), clock_.at(1h)));
  run(resets_.create(*db_, ann.id, fake_hash(2), clock_.at(1h)));
  run(resets_.create(*db_, ann.id, fake_hash(3), clock_.at(1h)));
  run(resets_.create(*db_, bob.id, fake_hash(4), clock_.at(1h)));
  ASSERT_TRUE(run(resets_.consume(*db_, fake_hash(1), clock_.now())));

  EXPECT_EQ(run(resets_.invalidate_all_for_user(*db_, ann.id)), 2);
  EXPECT_EQ(run(resets_.invalidate_all_for_user(*db_, ann.id)), 0);
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(2), clock_.now())));
  EXPECT_FALSE(run(resets_.consume(*db_, fake_hash(3), clock_.now())));
  EXPECT_EQ(run(resets_.consume(*db_, fake_hash(4), clock_.now())), std::optional<std::int64_t>(bob.id));
}

PARLEY_INSTANTIATE_REPO_TEST(PasswordResetRepoTest);

}  // namespace
}  // namespace parley::db::repositories
