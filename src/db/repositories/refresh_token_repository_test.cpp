#include "db/repositories/refresh_token_repository.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>

#include "core/error.hpp"
#include "db/repositories/auth_test_support.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

using namespace std::chrono_literals;
using test_support::Clock;
using test_support::fake_hash;

class RefreshTokenRepoTest : public RepoTest {
 protected:
  CreatedRefreshFamily login(std::int64_t user_id, int hash) {
    return run(tokens_.create_family(*db_, NewRefreshFamily{.user_id = user_id,
                                                            .user_agent = "test-agent/1.0",
                                                            .ip = "203.0.113.7",
                                                            .token_hash = fake_hash(hash),
                                                            .expires_at = clock_.at(24h * 30)}));
  }

  Clock clock_;
  RefreshTokenRepository tokens_{GetParam()};
};

TEST_P(RefreshTokenRepoTest, CreatesFamilyAndFindsTokenByHash) {
  User ann = make_user("ann");
  CreatedRefreshFamily created = login(ann.id, 1);
  EXPECT_GT(created.family.id, 0);
  EXPECT_EQ(created.family.user_id, ann.id);
  EXPECT_EQ(created.family.ip, std::optional<std::string>("203.0.113.7"));
  EXPECT_EQ(created.family.user_agent, std::optional<std::string>("test-agent/1.0"));
  EXPECT_FALSE(created.family.revoked_at);
  EXPECT_EQ(created.token.family_id, created.family.id);
  EXPECT_EQ(created.token.expires_at, clock_.at(24h * 30));
  EXPECT_FALSE(created.token.used_at);

  auto found = run(tokens_.find_by_hash(*db_, fake_hash(1), clock_.now()));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->token.id, created.token.id);
  EXPECT_EQ(found->family.id, created.family.id);
  EXPECT_EQ(found->family.user_id, ann.id);
  EXPECT_TRUE(found->user_is_active);
  EXPECT_FALSE(found->family_revoked);
  EXPECT_FALSE(found->used);
  EXPECT_FALSE(found->expired);

  auto later = run(tokens_.find_by_hash(*db_, fake_hash(1), clock_.at(24h * 30 + 1ms)));
  ASSERT_TRUE(later);
  EXPECT_TRUE(later->expired);
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(2), clock_.now())));

  PARLEY_EXPECT_APP_ERROR(login(ann.id, 1), 409);
  PARLEY_EXPECT_APP_ERROR(
      run(tokens_.create_family(
          *db_, NewRefreshFamily{.user_id = ann.id, .token_hash = fake_hash(3), .expires_at = clock_.at(-1h)})),
      400);
}

TEST_P(RefreshTokenRepoTest, RotatesOnceThenReportsReuse) {
  User ann = make_user("ann");
  CreatedRefreshFamily created = login(ann.id, 1);

  auto tx = run(db_->begin());
  RotateResult first = run(tokens_.rotate(*tx, created.token.id, fake_hash(2), clock_.at(24h * 30)));
  run(tx->commit());
  ASSERT_EQ(first.status, RotateStatus::rotated);
  ASSERT_TRUE(first.token);
  EXPECT_EQ(first.token->family_id, created.family.id);
  EXPECT_NE(first.token->id, created.token.id);

  auto old = run(tokens_.find_by_hash(*db_, fake_hash(1), clock_.now()));
  ASSERT_TRUE(old);
  EXPECT_TRUE(old->used);
  EXPECT_TRUE(old->token.used_at);
  auto successor = run(tokens_.find_by_hash(*db_, fake_hash(2), clock_.now()));
  ASSERT_TRUE(successor);
  EXPECT_FALSE(successor->used);
  EXPECT_EQ(successor->family.id, created.family.id);

  // Presenting the rotated token again is reuse: nothing is inserted.
  RotateResult again = run(tokens_.rotate(*db_, created.token.id, fake_hash(3), clock_.at(24h * 30)));
  EXPECT_EQ(again.status, RotateStatus::already_used);
  EXPECT_FALSE(again.token);
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(3), clock_.now())));

  EXPECT_EQ(run(tokens_.rotate(*db_, successor->token.id + 100, fake_hash(4), clock_.at(1h))).status,
            RotateStatus::not_found);
}

// Two refreshes racing with the same token, each in its own transaction: on PostgreSQL the second
// UPDATE waits for the first's row lock and then matches nothing; SQLite serializes the writers.
TEST_P(RefreshTokenRepoTest, ConcurrentRotationsHaveExactlyOneWinner) {
  namespace asio = boost::asio;
  User ann = make_user("ann");
  CreatedRefreshFamily created = login(ann.id, 1);
  std::array<RotateStatus, 2> results{RotateStatus::not_found, RotateStatus::not_found};
  auto rotate_in_tx = [&](int i) -> asio::awaitable<void> {
    auto tx = co_await db_->begin();
    RotateResult r = co_await tokens_.rotate(*tx, created.token.id, fake_hash(10 + i), clock_.at(1h));
    co_await tx->commit();
    results[static_cast<std::size_t>(i)] = r.status;
  };
  run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto [order, e0, e1] =
        co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, rotate_in_tx(0), asio::deferred),
                                                         asio::co_spawn(ex, rotate_in_tx(1), asio::deferred))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    if (e0) std::rethrow_exception(e0);
    if (e1) std::rethrow_exception(e1);
  }());
  std::sort(results.begin(), results.end());
  EXPECT_EQ(results, (std::array<RotateStatus, 2>{RotateStatus::rotated, RotateStatus::already_used}));
  int successors = 0;
  for (int i : {10, 11}) successors += run(tokens_.find_by_hash(*db_, fake_hash(i), clock_.now())) ? 1 : 0;
  EXPECT_EQ(successors, 1);
}

TEST_P(RefreshTokenRepoTest, RotationRolledBackLeavesTokenUnused) {
  User ann = make_user("ann");
  CreatedRefreshFamily created = login(ann.id, 1);
  {
    auto tx = run(db_->begin());
    EXPECT_EQ(run(tokens_.rotate(*tx, created.token.id, fake_hash(2), clock_.at(1h))).status, RotateStatus::rotated);
    run(tx->rollback());
  }
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(1), clock_.now()))->used);
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(2), clock_.now())));
}

TEST_P(RefreshTokenRepoTest, RevokedFamilyIsFoundRevokedAndDoesNotRotate) {
  User ann = make_user("ann");
  CreatedRefreshFamily created = login(ann.id, 1);
  RotateResult rotated = run(tokens_.rotate(*db_, created.token.id, fake_hash(2), clock_.at(1h)));
  ASSERT_EQ(rotated.status, RotateStatus::rotated);

  EXPECT_TRUE(run(tokens_.revoke_family(*db_, created.family.id, RefreshRevokeReason::reuse_detected)));
  EXPECT_FALSE(run(tokens_.revoke_family(*db_, created.family.id, RefreshRevokeReason::logout)))
      << "already revoked; the first reason stays";

  for (int hash : {1, 2}) {
    auto found = run(tokens_.find_by_hash(*db_, fake_hash(hash), clock_.now()));
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->family_revoked);
    EXPECT_TRUE(found->family.revoked_at);
    EXPECT_EQ(found->family.revoked_reason, std::optional<std::string>("reuse_detected"));
  }
  EXPECT_EQ(run(tokens_.rotate(*db_, rotated.token->id, fake_hash(3), clock_.at(1h))).status,
            RotateStatus::family_revoked);
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(2), clock_.now()))->used);
  EXPECT_EQ(run(tokens_.rotate(*db_, created.token.id, fake_hash(3), clock_.at(1h))).status,
            RotateStatus::already_used);
  EXPECT_FALSE(run(tokens_.revoke_family(*db_, created.family.id + 100, RefreshRevokeReason::logout)));
}

TEST_P(RefreshTokenRepoTest, RevokesAllFamiliesOfOneUser) {
  User ann = make_user("ann");
  User bob = make_user("bob");
  CreatedRefreshFamily a1 = login(ann.id, 1);
  login(ann.id, 2);
  login(bob.id, 3);
  EXPECT_TRUE(run(tokens_.revoke_family(*db_, a1.family.id, RefreshRevokeReason::logout)));
  EXPECT_EQ(run(tokens_.revoke_all_for_user(*db_, ann.id, RefreshRevokeReason::password_changed)), 1);
  EXPECT_EQ(run(tokens_.revoke_all_for_user(*db_, ann.id, RefreshRevokeReason::deactivated)), 0);
  EXPECT_EQ(run(tokens_.find_by_hash(*db_, fake_hash(1), clock_.now()))->family.revoked_reason,
            std::optional<std::string>("logout"));
  EXPECT_EQ(run(tokens_.find_by_hash(*db_, fake_hash(2), clock_.now()))->family.revoked_reason,
            std::optional<std::string>("password_changed"));
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(3), clock_.now()))->family_revoked);

  run(users_.deactivate(*db_, bob.id));
  EXPECT_FALSE(run(tokens_.find_by_hash(*db_, fake_hash(3), clock_.now()))->user_is_active);
}

PARLEY_INSTANTIATE_REPO_TEST(RefreshTokenRepoTest);

}  // namespace
}  // namespace parley::db::repositories
