#include "db/repositories/personal_token_repository.hpp"

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

class PersonalTokenRepoTest : public RepoTest {
 protected:
  PersonalToken make_token(std::int64_t user_id, int hash, std::vector<std::string> scopes = {"read"},
                           std::optional<std::string> expires_at = std::nullopt) {
    return run(tokens_.create(*db_, NewPersonalToken{.user_id = user_id,
                                                     .name = "token " + std::to_string(hash),
                                                     .token_prefix = "pat_" + std::to_string(hash),
                                                     .token_hash = fake_hash(hash),
                                                     .scopes = std::move(scopes),
                                                     .expires_at = std::move(expires_at)}));
  }

  Clock clock_;
  PersonalTokenRepository tokens_{GetParam()};
};

TEST_P(PersonalTokenRepoTest, CreatesListsAndFindsWithScopes) {
  User ann = make_user("ann");
  PersonalToken first = make_token(ann.id, 1, {"write", "read", "read"});
  EXPECT_GT(first.id, 0);
  EXPECT_EQ(first.user_id, ann.id);
  EXPECT_EQ(first.name, "token 1");
  EXPECT_EQ(first.token_prefix, "pat_1");
  EXPECT_EQ(first.scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_FALSE(first.expires_at);
  EXPECT_FALSE(first.last_used_at);
  PersonalToken second = make_token(ann.id, 2, {"admin"}, clock_.at(1h));
  EXPECT_EQ(second.expires_at, std::optional<std::string>(clock_.at(1h)));

  auto listed = run(tokens_.list_for_user(*db_, ann.id));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, second.id) << "newest first";
  EXPECT_EQ(listed[0].scopes, (std::vector<std::string>{"admin"}));
  EXPECT_EQ(listed[1].scopes, (std::vector<std::string>{"read", "write"}));

  auto found = run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.now()));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->token.id, first.id);
  EXPECT_EQ(found->token.scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_TRUE(found->owner_is_active);

  run(tokens_.touch_last_used(*db_, first.id));
  found = run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.now()));
  ASSERT_TRUE(found->token.last_used_at);
  EXPECT_GE(*found->token.last_used_at, found->token.created_at);

  run(users_.deactivate(*db_, ann.id));
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.now()))->owner_is_active);
}

TEST_P(PersonalTokenRepoTest, LookupIgnoresRevokedAndExpired) {
  User ann = make_user("ann");
  make_token(ann.id, 1, {"read"}, clock_.at(1h));
  PersonalToken revoked = make_token(ann.id, 2);
  EXPECT_TRUE(run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.at(59min))));
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.at(1h))));
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.at(2h))));

  EXPECT_TRUE(run(tokens_.revoke(*db_, ann.id, revoked.id)));
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(2), clock_.now())));
  auto listed = run(tokens_.list_for_user(*db_, ann.id));
  ASSERT_EQ(listed.size(), 1u) << "revoked tokens are not listed; expired ones are";
  EXPECT_EQ(listed[0].token_prefix, "pat_1");
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(3), clock_.now())));
}

TEST_P(PersonalTokenRepoTest, RevokeIsOwnerScoped) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  PersonalToken anns = make_token(ann.id, 1);
  make_token(ann.id, 2);
  make_token(bob.id, 3);

  EXPECT_FALSE(run(tokens_.revoke(*db_, bob.id, anns.id))) << "not bob's token";
  EXPECT_TRUE(run(tokens_.find_active_by_hash(*db_, fake_hash(1), clock_.now())));
  EXPECT_TRUE(run(tokens_.revoke(*db_, ann.id, anns.id)));
  EXPECT_FALSE(run(tokens_.revoke(*db_, ann.id, anns.id))) << "already revoked";
  EXPECT_FALSE(run(tokens_.revoke(*db_, ann.id, anns.id + 100)));

  EXPECT_EQ(run(tokens_.revoke_all_for_user(*db_, ann.id)), 1);
  EXPECT_FALSE(run(tokens_.find_active_by_hash(*db_, fake_hash(2), clock_.now())));
  EXPECT_TRUE(run(tokens_.find_active_by_hash(*db_, fake_hash(3), clock_.now())));
  EXPECT_TRUE(run(tokens_.list_for_user(*db_, ann.id)).empty());
  EXPECT_EQ(run(tokens_.list_for_user(*db_, bob.id)).size(), 1u);
}

TEST_P(PersonalTokenRepoTest, ConstraintsSurfaceAsAppErrors) {
  User ann = make_user("ann");
  make_token(ann.id, 1);
  PARLEY_EXPECT_APP_ERROR(make_token(ann.id, 1), 409);
  PARLEY_EXPECT_APP_ERROR(make_token(ann.id, 2, {"Read Everything"}), 400);
  PARLEY_EXPECT_APP_ERROR(
      run(tokens_.create(
          *db_, NewPersonalToken{.user_id = ann.id, .name = "x", .token_prefix = "tok_1", .token_hash = fake_hash(4)})),
      400);
}

PARLEY_INSTANTIATE_REPO_TEST(PersonalTokenRepoTest);

}  // namespace
}  // namespace parley::db::repositories
