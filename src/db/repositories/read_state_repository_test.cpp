#include "db/repositories/read_state_repository.hpp"

#include <gtest/gtest.h>

#include "db/repositories/mention_repository.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class ReadStateRepoTest : public RepoTest {
 protected:
  ReadStateRepository read_state_{GetParam()};
  MentionRepository mentions_{GetParam()};
};

TEST_P(ReadStateRepoTest, CountsUnreadTopLevelAndMentionsAfterTheMarker) {
  User a = make_user("alice");
  User b = make_user("Bob");
  Conversation c = make_group({a.id, b.id});
  Message first = post(c.id, a.id, "one");
  post(c.id, a.id, "two");
  post(c.id, b.id, "mine do not count");
  post(c.id, a.id, "a reply is not unread", first.id);
  Message mention = post(c.id, a.id, "@bob look");
  std::vector<std::int64_t> bob{b.id};
  run(mentions_.replace(*db_, mention.id, bob));
  run(messages_.insert(
      *db_,
      NewMessage{.conversation_id = c.id, .sender_id = a.id, .body = "@here", .html = "", .mentions_everyone = true}));

  auto counts = run(read_state_.unread(*db_, b.id));
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].conversation_id, c.id);
  EXPECT_EQ(counts[0].unread_count, 4);                               // one, two, @bob, @here
  EXPECT_EQ(counts[0].mention_count, 2);                              // @bob, @here
  EXPECT_TRUE(run(read_state_.unread(*db_, a.id)).empty() == false);  // Bob's message is unread for Alice

  run(members_.mark_read(*db_, c.id, b.id, mention.id));
  auto after = run(read_state_.unread_in(*db_, b.id, c.id));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->unread_count, 1);
  EXPECT_EQ(after->mention_count, 1);
  User stranger = make_user("carol");
  EXPECT_FALSE(run(read_state_.unread_in(*db_, stranger.id, c.id)));
  EXPECT_TRUE(run(read_state_.unread(*db_, stranger.id)).empty());
}

TEST_P(ReadStateRepoTest, ResolvesOnlyMembersAndListsMentionsPerMessage) {
  User a = make_user("alice");
  User b = make_user("Bob");
  User outsider = make_user("carol");
  Conversation c = make_group({a.id, b.id});
  std::vector<std::string> names{"bob", "carol", "nobody"};
  auto resolved = run(mentions_.resolve_members(*db_, c.id, names));
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].username_lower, "bob");
  EXPECT_EQ(resolved[0].user_id, b.id);

  Message m = post(c.id, a.id, "@bob @alice");
  std::vector<std::int64_t> both{b.id, a.id};
  run(mentions_.replace(*db_, m.id, both));
  std::vector<std::int64_t> page{m.id};
  auto rows = run(mentions_.for_messages(*db_, page));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].user_id, a.id);
  std::vector<std::int64_t> only_bob{b.id};
  run(mentions_.replace(*db_, m.id, only_bob));
  EXPECT_EQ(run(mentions_.for_messages(*db_, page)).size(), 1u);
  (void)outsider;
}

PARLEY_INSTANTIATE_REPO_TEST(ReadStateRepoTest);

}  // namespace
}  // namespace parley::db::repositories
