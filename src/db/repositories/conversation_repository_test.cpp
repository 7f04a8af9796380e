#include "db/repositories/conversation_repository.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class ConversationRepoTest : public RepoTest {};

TEST_P(ConversationRepoTest, CreatesFindsUpdatesAndArchives) {
  User ann = make_user("ann");
  Conversation c = run(conversations_.create(*db_, NewConversation{.kind = "channel",
                                                                    .name = "general",
                                                                    .topic = "hello",
                                                                    .visibility = "public",
                                                                    .created_by = ann.id}));
  EXPECT_EQ(c.kind, "channel");
  EXPECT_EQ(c.visibility, "public");
  EXPECT_EQ(c.name, std::optional<std::string>("general"));
  EXPECT_EQ(c.created_by, std::optional<std::int64_t>(ann.id));
  EXPECT_FALSE(c.archived_at);
  EXPECT_EQ(c.created_at.size(), 24u) << c.created_at;

  auto found = run(conversations_.find_by_id(*db_, c.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->topic, "hello");
  EXPECT_FALSE(run(conversations_.find_by_id(*db_, c.id + 1)));

  auto renamed = run(conversations_.update(*db_, c.id, ConversationUpdate{.name = "random"}));
  EXPECT_EQ(renamed->name, std::optional<std::string>("random"));
  EXPECT_EQ(renamed->topic, "hello");
  auto topic = run(conversations_.update(*db_, c.id, ConversationUpdate{.topic = "new topic"}));
  EXPECT_EQ(topic->name, std::optional<std::string>("random"));
  EXPECT_EQ(topic->topic, "new topic");
  EXPECT_FALSE(run(conversations_.update(*db_, c.id + 1, ConversationUpdate{.name = "x"})));

  auto archived = run(conversations_.archive(*db_, c.id));
  ASSERT_TRUE(archived->archived_at);
  EXPECT_EQ(run(conversations_.archive(*db_, c.id))->archived_at, archived->archived_at) << "keeps the first time";

  // A channel needs a name: CHECK -> 400.
  PARLEY_EXPECT_APP_ERROR(run(conversations_.create(*db_, NewConversation{.kind = "channel"})), 400);
}

TEST_P(ConversationRepoTest, DirectConversationIsUniquePerPair) {
  User a = make_user("a");
  User b = make_user("b");
  User c = make_user("c");
  DirectConversation first = run(conversations_.create_direct(*db_, a.id, b.id, a.id));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.conversation.kind, "direct");
  EXPECT_EQ(first.conversation.visibility, "private");
  DirectConversation again = run(conversations_.create_direct(*db_, b.id, a.id, b.id));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.conversation.id, first.conversation.id);
  EXPECT_EQ(again.conversation.created_by, std::optional<std::int64_t>(a.id)) << "the original row";
  DirectConversation other = run(conversations_.create_direct(*db_, a.id, c.id, a.id));
  EXPECT_TRUE(other.created);
  EXPECT_NE(other.conversation.id, first.conversation.id);
  EXPECT_EQ(run(conversations_.find_direct(*db_, b.id, a.id))->id, first.conversation.id);
  EXPECT_FALSE(run(conversations_.find_direct(*db_, b.id, c.id)));
  EXPECT_EQ(ConversationRepository::direct_key(9, 3), "3:9");
}

TEST_P(ConversationRepoTest, ListsMostRecentlyActiveFirstWithCursor) {
  User me = make_user("me");
  User you = make_user("you");
  Conversation quiet = make_group({me.id, you.id}, "quiet");
  Conversation busy = make_group({me.id, you.id}, "busy");
  Conversation mid = make_group({me.id, you.id}, "mid");
  Conversation not_mine = make_group({you.id}, "not mine");
  post(busy.id, you.id, "1");
  post(mid.id, you.id, "2");
  Message last = post(busy.id, you.id, "3");
  post(not_mine.id, you.id, "x");

  auto all = run(conversations_.list_for_user(*db_, me.id, std::nullopt, std::nullopt, 50));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].conversation.id, busy.id);
  EXPECT_EQ(all[1].conversation.id, mid.id);
  EXPECT_EQ(all[2].conversation.id, quiet.id);
  EXPECT_EQ(all[0].my_role, "owner");
  EXPECT_EQ(all[0].member_count, 2);
  EXPECT_EQ(all[0].unread_count, 2);
  ASSERT_TRUE(all[0].last_message);
  EXPECT_EQ(all[0].last_message->id, last.id);
  EXPECT_EQ(all[0].last_message->body, "3");
  EXPECT_EQ(all[0].last_message->created_at, last.created_at);
  EXPECT_EQ(all[0].activity_id, last.id);
  EXPECT_FALSE(all[2].last_message);
  EXPECT_EQ(all[2].activity_id, 0);

  // Pages of one, following the cursor, give the same order without gaps or repeats.
  std::vector<std::int64_t> seen;
  std::optional<ConversationCursor> cursor;
  for (int i = 0; i < 5; ++i) {
    auto page = run(conversations_.list_for_user(*db_, me.id, std::nullopt, cursor, 1));
    if (page.empty()) break;
    ASSERT_EQ(page.size(), 1u);
    seen.push_back(page[0].conversation.id);
    cursor = ConversationCursor{page[0].activity_id, page[0].conversation.id};
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{busy.id, mid.id, quiet.id}));

  // Reading moves the unread count; kind filters.
  run(members_.mark_read(*db_, busy.id, me.id, last.id));
  auto after_read = run(conversations_.list_for_user(*db_, me.id, std::string("group"), std::nullopt, 1));
  EXPECT_EQ(after_read.at(0).unread_count, 0);
  EXPECT_TRUE(run(conversations_.list_for_user(*db_, me.id, std::string("channel"), std::nullopt, 50)).empty());

  // Banned from a conversation: it leaves the list.
  run(members_.ban(*db_, mid.id, me.id));
  EXPECT_EQ(run(conversations_.list_for_user(*db_, me.id, std::nullopt, std::nullopt, 50)).size(), 2u);
}

TEST_P(ConversationRepoTest, BrowsesPublicChannelsByName) {
  User me = make_user("me");
  User owner = make_user("owner");
  auto channel = [&](std::string name, std::string visibility) {
    Conversation c = run(conversations_.create(
        *db_, NewConversation{.kind = "channel", .name = name, .visibility = visibility, .created_by = owner.id}));
    run(members_.add(*db_, c.id, owner.id, "owner"));
    return c;
  };
  Conversation dev = channel("Dev", "public");
  Conversation devops = channel("devops", "public");
  channel("secret-dev", "private");
  Conversation old = channel("dev-old", "public");
  run(conversations_.archive(*db_, old.id));
  Conversation banned = channel("dev-banned", "public");
  run(members_.ban(*db_, banned.id, me.id));
  channel("random", "public");

  auto page = run(conversations_.browse_public(*db_, me.id, "DEV", std::nullopt, 1));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].conversation.id, dev.id);
  EXPECT_EQ(page[0].member_count, 1);
  auto next = run(conversations_.browse_public(
      *db_, me.id, "dev", ChannelCursor{*page[0].conversation.name, page[0].conversation.id}, 10));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].conversation.id, devops.id);
  EXPECT_EQ(run(conversations_.browse_public(*db_, me.id, "", std::nullopt, 50)).size(), 3u);
}

class MemberRepoTest : public RepoTest {};

TEST_P(MemberRepoTest, AddRemoveRoleMuteAndList) {
  User a = make_user("a");
  User b = make_user("b");
  User c = make_user("c");
  Conversation conv = make_group({a.id});
  AddedMember added = run(members_.add(*db_, conv.id, b.id));
  EXPECT_TRUE(added.added);
  EXPECT_EQ(added.member.role, "member");
  EXPECT_FALSE(added.member.muted);
  EXPECT_FALSE(added.member.banned());
  EXPECT_FALSE(added.member.last_read_message_id);
  EXPECT_EQ(added.member.joined_at.size(), 24u);
  AddedMember again = run(members_.add(*db_, conv.id, b.id, "admin"));
  EXPECT_FALSE(again.added);
  EXPECT_EQ(again.member.role, "member") << "existing row unchanged";
  run(members_.add(*db_, conv.id, c.id));

  EXPECT_EQ(run(members_.set_role(*db_, conv.id, b.id, "admin"))->role, "admin");
  EXPECT_FALSE(run(members_.set_role(*db_, conv.id, b.id + 100, "admin")));
  PARLEY_EXPECT_APP_ERROR(run(members_.set_role(*db_, conv.id, b.id, "king")), 400);
  EXPECT_TRUE(run(members_.set_muted(*db_, conv.id, b.id, true))->muted);
  EXPECT_TRUE(run(members_.find(*db_, conv.id, b.id))->muted);

  auto first = run(members_.list(*db_, conv.id, std::nullopt, 2));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].user_id, a.id);
  EXPECT_EQ(first[1].user_id, b.id);
  auto rest = run(members_.list(*db_, conv.id, first.back().user_id, 2));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].user_id, c.id);
  EXPECT_EQ(run(members_.count(*db_, conv.id)), 3);

  EXPECT_TRUE(run(members_.remove(*db_, conv.id, c.id)));
  EXPECT_FALSE(run(members_.remove(*db_, conv.id, c.id)));
  EXPECT_FALSE(run(members_.find(*db_, conv.id, c.id)));
  PARLEY_EXPECT_APP_ERROR(run(members_.add(*db_, conv.id + 100, a.id)), 400);
}

TEST_P(MemberRepoTest, BansStickAndHideFromLists) {
  User a = make_user("a");
  User b = make_user("b");
  User stranger = make_user("stranger");
  Conversation conv = make_group({a.id, b.id});
  Member banned = run(members_.ban(*db_, conv.id, b.id));
  ASSERT_TRUE(banned.banned());
  EXPECT_EQ(run(members_.ban(*db_, conv.id, b.id)).banned_at, banned.banned_at) << "keeps the first ban time";
  AddedMember readd = run(members_.add(*db_, conv.id, b.id));
  EXPECT_FALSE(readd.added);
  EXPECT_TRUE(readd.member.banned());
  EXPECT_EQ(run(members_.count(*db_, conv.id)), 1);
  EXPECT_EQ(run(members_.list(*db_, conv.id, std::nullopt, 50)).size(), 1u);
  // Banning a non-member keeps them out too.
  EXPECT_TRUE(run(members_.ban(*db_, conv.id, stranger.id)).banned());
  EXPECT_FALSE(run(members_.add(*db_, conv.id, stranger.id)).added);
  // Removing the row lifts the ban.
  EXPECT_TRUE(run(members_.remove(*db_, conv.id, b.id)));
  EXPECT_TRUE(run(members_.add(*db_, conv.id, b.id)).added);
}

TEST_P(MemberRepoTest, MarkReadOnlyMovesForward) {
  User a = make_user("a");
  User b = make_user("b");
  Conversation conv = make_group({a.id, b.id});
  Conversation other = make_group({a.id}, "other");
  Message m1 = post(conv.id, a.id, "1");
  Message m2 = post(conv.id, a.id, "2");
  Message elsewhere = post(other.id, a.id, "x");
  EXPECT_EQ(run(members_.mark_read(*db_, conv.id, b.id, m2.id))->last_read_message_id, m2.id);
  EXPECT_EQ(run(members_.mark_read(*db_, conv.id, b.id, m1.id))->last_read_message_id, m2.id) << "never backwards";
  PARLEY_EXPECT_APP_ERROR(run(members_.mark_read(*db_, conv.id, b.id, elsewhere.id)), 400);
  User outsider = make_user("outsider");
  EXPECT_FALSE(run(members_.mark_read(*db_, conv.id, outsider.id, m2.id)));
}

PARLEY_INSTANTIATE_REPO_TEST(ConversationRepoTest);
PARLEY_INSTANTIATE_REPO_TEST(MemberRepoTest);

}  // namespace
}  // namespace parley::db::repositories
