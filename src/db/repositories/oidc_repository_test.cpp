#include "db/repositories/oidc_repository.hpp"

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

class OidcRepoTest : public RepoTest {
 protected:
  NewOidcLoginState state(int n, std::string provider = "corp") const {
    return NewOidcLoginState{.state_key = fake_hash(n),
                             .provider = std::move(provider),
                             .nonce = "nonce-" + std::to_string(n),
                             .code_verifier = std::string(43, 'v'),
                             .redirect_to = "/app",
                             .expires_at = clock_.at(10min)};
  }

  Clock clock_;
  OidcRepository oidc_{GetParam()};
};

TEST_P(OidcRepoTest, ConsumesALoginStateOnce) {
  run(oidc_.save_state(*db_, state(1)));
  auto got = run(oidc_.consume_state(*db_, fake_hash(1), "corp", clock_.now()));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->provider, "corp");
  EXPECT_EQ(got->nonce, "nonce-1");
  EXPECT_EQ(got->code_verifier, std::string(43, 'v'));
  EXPECT_EQ(got->redirect_to, "/app");
  EXPECT_EQ(got->expires_at, clock_.at(10min));
  EXPECT_FALSE(run(oidc_.consume_state(*db_, fake_hash(1), "corp", clock_.now()))) << "single use";
  EXPECT_FALSE(run(oidc_.consume_state(*db_, fake_hash(2), "corp", clock_.now())));
}

TEST_P(OidcRepoTest, StateIsBoundToItsProviderAndExpires) {
  run(oidc_.save_state(*db_, state(1)));
  NewOidcLoginState no_redirect = state(2);
  no_redirect.redirect_to.reset();
  run(oidc_.save_state(*db_, no_redirect));
  EXPECT_FALSE(run(oidc_.consume_state(*db_, fake_hash(1), "other", clock_.now())));
  EXPECT_FALSE(run(oidc_.consume_state(*db_, fake_hash(1), "corp", clock_.at(10min)))) << "expired";
  EXPECT_TRUE(run(oidc_.consume_state(*db_, fake_hash(1), "corp", clock_.at(9min))));
  auto second = run(oidc_.consume_state(*db_, fake_hash(2), "corp", clock_.now()));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->redirect_to);
}

TEST_P(OidcRepoTest, RefusesDuplicateAndMalformedStates) {
  run(oidc_.save_state(*db_, state(1)));
  PARLEY_EXPECT_APP_ERROR(run(oidc_.save_state(*db_, state(1))), 409);
  NewOidcLoginState short_verifier = state(2);
  short_verifier.code_verifier = "too-short";
  PARLEY_EXPECT_APP_ERROR(run(oidc_.save_state(*db_, short_verifier)), 400);
  NewOidcLoginState short_key = state(3);
  short_key.state_key = "abc";
  PARLEY_EXPECT_APP_ERROR(run(oidc_.save_state(*db_, short_key)), 400);
}

TEST_P(OidcRepoTest, PurgesExpiredStates) {
  run(oidc_.save_state(*db_, state(1)));
  NewOidcLoginState later = state(2);
  later.expires_at = clock_.at(1h);
  run(oidc_.save_state(*db_, later));
  EXPECT_EQ(run(oidc_.purge_expired_states(*db_, clock_.at(30min))), 1);
  EXPECT_EQ(run(oidc_.purge_expired_states(*db_, clock_.at(30min))), 0);
  EXPECT_FALSE(run(oidc_.consume_state(*db_, fake_hash(1), "corp", clock_.now())));
  EXPECT_TRUE(run(oidc_.consume_state(*db_, fake_hash(2), "corp", clock_.now())));
}

TEST_P(OidcRepoTest, LinksAndFindsIdentities) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  OidcIdentity linked = run(oidc_.link_identity(
      *db_, NewOidcIdentity{.user_id = ann.id, .provider = "corp", .subject = "sub-1", .email = "ann@corp.example"}));
  EXPECT_GT(linked.id, 0);
  EXPECT_EQ(linked.user_id, ann.id);
  EXPECT_EQ(linked.email, "ann@corp.example");
  EXPECT_FALSE(linked.created_at.empty());
  EXPECT_FALSE(linked.last_login_at);
  run(oidc_.link_identity(*db_, NewOidcIdentity{.user_id = ann.id, .provider = "google", .subject = "sub-1"}));

  EXPECT_EQ(run(oidc_.find_user_by_identity(*db_, "corp", "sub-1")), std::optional<std::int64_t>(ann.id));
  EXPECT_FALSE(run(oidc_.find_user_by_identity(*db_, "corp", "sub-2")));
  EXPECT_FALSE(run(oidc_.find_user_by_identity(*db_, "other", "sub-1")));
  // One identity, one account.
  PARLEY_EXPECT_APP_ERROR(
      run(oidc_.link_identity(*db_, NewOidcIdentity{.user_id = bob.id, .provider = "corp", .subject = "sub-1"})), 409);
  PARLEY_EXPECT_APP_ERROR(
      run(oidc_.link_identity(*db_, NewOidcIdentity{.user_id = ann.id + 100, .provider = "corp", .subject = "x"})),
      400);

  EXPECT_EQ(run(oidc_.record_login(*db_, "corp", "sub-1", std::string("ann@new.example"))),
            std::optional<std::int64_t>(ann.id));
  EXPECT_FALSE(run(oidc_.record_login(*db_, "corp", "nobody", std::nullopt)));
  std::vector<OidcIdentity> mine = run(oidc_.list_for_user(*db_, ann.id));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].provider, "corp");
  EXPECT_EQ(mine[0].email, "ann@new.example");
  EXPECT_TRUE(mine[0].last_login_at);
  EXPECT_EQ(mine[1].provider, "google");
  EXPECT_TRUE(run(oidc_.list_for_user(*db_, bob.id)).empty());

  EXPECT_TRUE(run(oidc_.unlink(*db_, ann.id, "google")));
  EXPECT_FALSE(run(oidc_.unlink(*db_, ann.id, "google")));
  EXPECT_FALSE(run(oidc_.unlink(*db_, bob.id, "corp"))) << "only the owner's identity";
  EXPECT_EQ(run(oidc_.list_for_user(*db_, ann.id)).size(), 1u);
}

PARLEY_INSTANTIATE_REPO_TEST(OidcRepoTest);

}  // namespace
}  // namespace parley::db::repositories
