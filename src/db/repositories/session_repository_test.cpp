#include "db/repositories/session_repository.hpp"

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

constexpr std::chrono::seconds kIdle = 30min;

class SessionRepoTest : public RepoTest {
 protected:
  Session make_session(std::int64_t user_id, int hash) {
    return run(sessions_.create(*db_, NewSession{.user_id = user_id,
                                                 .token_hash = fake_hash(hash),
                                                 .csrf_token_hash = fake_hash(1000 + hash),
                                                 .expires_at = clock_.at(8h),
                                                 .ip = "2001:db8::1",
                                                 .user_agent = "browser"}));
  }
  std::optional<ActiveSession> find(int hash, std::string now) {
    return run(sessions_.find_active(*db_, fake_hash(hash), now, kIdle));
  }

  Clock clock_;
  SessionRepository sessions_{GetParam()};
};

TEST_P(SessionRepoTest, CreatesAndFindsActive) {
  User ann = make_user("ann");
  Session s = make_session(ann.id, 1);
  EXPECT_GT(s.id, 0);
  EXPECT_EQ(s.user_id, ann.id);
  EXPECT_EQ(s.csrf_token_hash, fake_hash(1001));
  EXPECT_EQ(s.expires_at, clock_.at(8h));
  EXPECT_EQ(s.last_used_at, s.created_at);
  EXPECT_EQ(s.ip, std::optional<std::string>("2001:db8::1"));
  EXPECT_EQ(s.user_agent, std::optional<std::string>("browser"));
  EXPECT_FALSE(s.revoked_at);

  auto found = find(1, clock_.now());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->session.id, s.id);
  EXPECT_TRUE(found->user_is_active);
  EXPECT_FALSE(find(2, clock_.now()));
  PARLEY_EXPECT_APP_ERROR(make_session(ann.id, 1), 409);

  run(users_.deactivate(*db_, ann.id));
  EXPECT_FALSE(find(1, clock_.now())->user_is_active);
}

TEST_P(SessionRepoTest, IdleExpirySlidesWithTouch) {
  User ann = make_user("ann");
  Session s = make_session(ann.id, 1);
  EXPECT_TRUE(find(1, clock_.at(29min)));
  EXPECT_FALSE(find(1, clock_.at(31min))) << "idle for longer than the timeout";

  EXPECT_TRUE(run(sessions_.touch(*db_, s.id, clock_.at(20min))));
  EXPECT_TRUE(find(1, clock_.at(31min))) << "the touch moved the idle expiry to 50 min";
  EXPECT_TRUE(find(1, clock_.at(49min)));
  EXPECT_FALSE(find(1, clock_.at(51min)));
  EXPECT_EQ(find(1, clock_.at(21min))->session.last_used_at, clock_.at(20min));

  EXPECT_FALSE(run(sessions_.touch(*db_, s.id, clock_.at(10min)))) << "never moves back";
  EXPECT_EQ(find(1, clock_.at(21min))->session.last_used_at, clock_.at(20min));
}

TEST_P(SessionRepoTest, AbsoluteExpiryHoldsWhateverTheActivity) {
  User ann = make_user("ann");
  Session s = make_session(ann.id, 1);
  for (auto t : {1h, 2h, 3h, 4h, 5h, 6h, 7h, 8h}) {
    EXPECT_TRUE(run(sessions_.touch(*db_, s.id, clock_.at(t - 1min))));
  }
  EXPECT_TRUE(find(1, clock_.at(8h - 1ms)));
  EXPECT_FALSE(find(1, clock_.at(8h))) << "absolute expiry";
  EXPECT_FALSE(find(1, clock_.at(9h)));
}

TEST_P(SessionRepoTest, RevokesOneOrAllOfAUser) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  Session a1 = make_session(ann.id, 1);
  make_session(ann.id, 2);
  make_session(ann.id, 3);
  make_session(bob.id, 4);

  EXPECT_TRUE(run(sessions_.revoke(*db_, a1.id)));
  EXPECT_FALSE(run(sessions_.revoke(*db_, a1.id)));
  EXPECT_FALSE(find(1, clock_.now()));
  EXPECT_FALSE(run(sessions_.touch(*db_, a1.id, clock_.at(1min)))) << "a revoked session is not touched";

  EXPECT_EQ(run(sessions_.revoke_all_for_user(*db_, ann.id)), 2);
  EXPECT_EQ(run(sessions_.revoke_all_for_user(*db_, ann.id)), 0);
  EXPECT_FALSE(find(2, clock_.now()));
  EXPECT_FALSE(find(3, clock_.now()));
  EXPECT_TRUE(find(4, clock_.now()));
}

PARLEY_INSTANTIATE_REPO_TEST(SessionRepoTest);

}  // namespace
}  // namespace parley::db::repositories
