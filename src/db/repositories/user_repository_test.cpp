#include "db/repositories/user_repository.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

const std::regex kRfc3339Ms(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

class UserRepoTest : public RepoTest {};

TEST_P(UserRepoTest, CreatesAndFindsByIdAndLogin) {
  User ann = run(users_.create(*db_, NewUser{.username = "Ann", .email = "Ann@Example.com", .display_name = "Ann A"}));
  EXPECT_GT(ann.id, 0);
  EXPECT_EQ(ann.username, "Ann");
  EXPECT_EQ(ann.email, "ann@example.com") << "emails are stored lower-cased";
  EXPECT_EQ(ann.role, "member");
  EXPECT_TRUE(ann.is_active);
  EXPECT_FALSE(ann.is_bot);
  EXPECT_TRUE(std::regex_match(ann.created_at, kRfc3339Ms)) << ann.created_at;
  EXPECT_FALSE(ann.last_seen_at);

  auto by_id = run(users_.find_by_id(*db_, ann.id));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "Ann");
  EXPECT_EQ(by_id->created_at, ann.created_at);
  EXPECT_FALSE(run(users_.find_by_id(*db_, ann.id + 100)));

  for (std::string login : {"ann", "ANN", "Ann", "ann@example.com", "ANN@EXAMPLE.COM"}) {
    auto found = run(users_.find_by_login(*db_, login));
    ASSERT_TRUE(found) << login;
    EXPECT_EQ(found->id, ann.id);
  }
  EXPECT_FALSE(run(users_.find_by_login(*db_, "bob")));
}

TEST_P(UserRepoTest, SearchVisibleToShowsOnlyPeopleSharingAConversation) {
  User guest = make_user("guest");
  User peer = make_user("peer");
  User stranger = make_user("stranger");
  make_group({peer.id, guest.id});
  auto visible = run(users_.search(*db_, "", std::nullopt, 50, guest.id));
  std::vector<std::int64_t> ids;
  for (const auto& u : visible) ids.push_back(u.id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{guest.id, peer.id}));
  EXPECT_EQ(run(users_.search(*db_, "", std::nullopt, 50)).size(), 3u);
  (void)stranger;
}

TEST_P(UserRepoTest, UsernameAndEmailAreUniqueIgnoringCase) {
  make_user("carol");
  PARLEY_EXPECT_APP_ERROR(run(users_.create(*db_, NewUser{.username = "CAROL", .email = "other@example.com"})), 409);
  PARLEY_EXPECT_APP_ERROR(run(users_.create(*db_, NewUser{.username = "carol2", .email = "Carol@Example.COM"})), 409);
  PARLEY_EXPECT_APP_ERROR(run(users_.create(*db_, NewUser{.username = "bad name!", .email = "x@example.com"})), 400);
  User dave = make_user("dave");
  PARLEY_EXPECT_APP_ERROR(run(users_.update_profile(*db_, dave.id, ProfileUpdate{.email = "CAROL@example.com"})), 409);
}

TEST_P(UserRepoTest, PasswordHash) {
  User u = run(users_.create(*db_, NewUser{.username = "p", .email = "p@example.com", .password_hash = "h1"}));
  EXPECT_EQ(run(users_.password_hash(*db_, u.id)), std::optional<std::string>("h1"));
  EXPECT_TRUE(run(users_.set_password_hash(*db_, u.id, "h2")));
  EXPECT_EQ(run(users_.password_hash(*db_, u.id)), std::optional<std::string>("h2"));
  EXPECT_FALSE(run(users_.set_password_hash(*db_, u.id + 1, "h3")));
  User oidc = make_user("oidc");
  EXPECT_FALSE(run(users_.password_hash(*db_, oidc.id)));
}

TEST_P(UserRepoTest, SearchIsCaseInsensitiveWithIdCursor) {
  std::vector<User> made;
  for (std::string name : {"alpha", "Alphonse", "beta", "ALPINE", "gamma"}) made.push_back(make_user(name));
  auto page1 = run(users_.search(*db_, "alp", std::nullopt, 2));
  ASSERT_EQ(page1.size(), 2u);
  EXPECT_EQ(page1[0].username, "alpha");
  EXPECT_EQ(page1[1].username, "Alphonse");
  auto page2 = run(users_.search(*db_, "ALP", page1.back().id, 2));
  ASSERT_EQ(page2.size(), 1u);
  EXPECT_EQ(page2[0].username, "ALPINE");
  EXPECT_EQ(run(users_.search(*db_, "", std::nullopt, 50)).size(), 5u);
  // LIKE metacharacters are literal.
  EXPECT_TRUE(run(users_.search(*db_, "%", std::nullopt, 50)).empty());
  EXPECT_TRUE(run(users_.search(*db_, "a_p", std::nullopt, 50)).empty());
}

TEST_P(UserRepoTest, UpdatesProfileRoleStateAndLastSeen) {
  User u = make_user("erin");
  auto updated = run(users_.update_profile(*db_, u.id, ProfileUpdate{.display_name = "Erin E"}));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->display_name, "Erin E");
  EXPECT_EQ(updated->email, "erin@example.com");
  updated = run(users_.update_profile(*db_, u.id, ProfileUpdate{.email = "NEW@example.com"}));
  EXPECT_EQ(updated->email, "new@example.com");
  EXPECT_EQ(updated->display_name, "Erin E");
  EXPECT_FALSE(run(users_.update_profile(*db_, u.id + 1, ProfileUpdate{.display_name = "x"})));

  EXPECT_EQ(run(users_.set_role(*db_, u.id, "admin"))->role, "admin");
  PARLEY_EXPECT_APP_ERROR(run(users_.set_role(*db_, u.id, "emperor")), 400);

  auto off = run(users_.deactivate(*db_, u.id));
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->is_active);
  EXPECT_FALSE(run(users_.deactivate(*db_, u.id))->is_active) << "idempotent";

  run(users_.touch_last_seen(*db_, u.id));
  auto seen = run(users_.find_by_id(*db_, u.id));
  ASSERT_TRUE(seen->last_seen_at);
  EXPECT_TRUE(std::regex_match(*seen->last_seen_at, kRfc3339Ms)) << *seen->last_seen_at;
  EXPECT_GE(*seen->last_seen_at, seen->created_at);
}

TEST_P(UserRepoTest, TouchLastSeenManyMarksExactlyTheListedUsers) {
  User a = make_user("seen_a");
  User b = make_user("seen_b");
  User c = make_user("unseen_c");
  const std::vector<std::int64_t> ids{a.id, b.id};
  run(users_.touch_last_seen_many(*db_, ids));
  run(users_.touch_last_seen_many(*db_, std::span<const std::int64_t>{}));  // nothing to do
  EXPECT_TRUE(run(users_.find_by_id(*db_, a.id))->last_seen_at);
  EXPECT_TRUE(run(users_.find_by_id(*db_, b.id))->last_seen_at);
  EXPECT_FALSE(run(users_.find_by_id(*db_, c.id))->last_seen_at);
}

TEST_P(UserRepoTest, SettingsDefaultThenUpsert) {
  User u = make_user("fay");
  auto defaults = run(users_.settings(*db_, u.id));
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->email_notifications, "mentions");
  EXPECT_EQ(defaults->timezone, "UTC");
  EXPECT_TRUE(std::regex_match(defaults->updated_at, kRfc3339Ms));
  EXPECT_FALSE(run(users_.settings(*db_, u.id + 1)));

  UserSettings s = run(users_.update_settings(*db_, u.id, SettingsUpdate{.timezone = "Europe/Paris"}));
  EXPECT_EQ(s.timezone, "Europe/Paris");
  EXPECT_EQ(s.email_notifications, "mentions");
  s = run(users_.update_settings(*db_, u.id, SettingsUpdate{.email_notifications = "all"}));
  EXPECT_EQ(s.timezone, "Europe/Paris");
  EXPECT_EQ(s.email_notifications, "all");
  EXPECT_EQ(run(users_.settings(*db_, u.id))->email_notifications, "all");
  PARLEY_EXPECT_APP_ERROR(run(users_.update_settings(*db_, u.id, SettingsUpdate{.email_notifications = "daily"})), 400);
  PARLEY_EXPECT_APP_ERROR(run(users_.update_settings(*db_, u.id + 1, SettingsUpdate{})), 400);
}

PARLEY_INSTANTIATE_REPO_TEST(UserRepoTest);

}  // namespace
}  // namespace parley::db::repositories
