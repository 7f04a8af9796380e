#include "db/repositories/message_repository.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class MessageRepoTest : public RepoTest {
 protected:
  std::vector<std::int64_t> ids(const MessagePage& page) {
    std::vector<std::int64_t> out;
    for (const Message& m : page.messages) out.push_back(m.id);
    return out;
  }
};

TEST_P(MessageRepoTest, InsertsAndFinds) {
  User a = make_user("a");
  Conversation c = make_group({a.id});
  InsertedMessage in = run(messages_.insert(
      *db_, NewMessage{.conversation_id = c.id, .sender_id = a.id, .body = "hi", .html = "<p>hi</p>", .mentions_everyone = true}));
  EXPECT_TRUE(in.created);
  const Message& m = in.message;
  EXPECT_EQ(m.body, "hi");
  EXPECT_EQ(m.html, "<p>hi</p>");
  EXPECT_TRUE(m.mentions_everyone);
  EXPECT_FALSE(m.parent_id);
  EXPECT_FALSE(m.client_msg_id);
  EXPECT_EQ(m.reply_count, 0);
  EXPECT_FALSE(m.deleted());
  EXPECT_EQ(m.created_at.size(), 24u) << m.created_at;
  auto found = run(messages_.find(*db_, m.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->created_at, m.created_at);
  EXPECT_FALSE(run(messages_.find(*db_, m.id + 1)));
  PARLEY_EXPECT_APP_ERROR(run(messages_.insert(*db_, NewMessage{.conversation_id = c.id,
                                                                 .sender_id = a.id,
                                                                 .body = std::string(10001, 'x'),
                                                                 .html = ""})),
                          400);
}

TEST_P(MessageRepoTest, ClientMsgIdMakesInsertIdempotent) {
  User a = make_user("a");
  User b = make_user("b");
  Conversation c = make_group({a.id, b.id});
  Conversation other = make_group({a.id}, "other");
  NewMessage first{.conversation_id = c.id, .sender_id = a.id, .body = "once", .html = "", .client_msg_id = "k1"};
  InsertedMessage original = run(messages_.insert(*db_, first));
  EXPECT_TRUE(original.created);
  NewMessage retry = first;
  retry.body = "changed on retry";
  InsertedMessage again = run(messages_.insert(*db_, retry));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.message.id, original.message.id);
  EXPECT_EQ(again.message.body, "once");
  EXPECT_EQ(again.message.client_msg_id, std::optional<std::string>("k1"));
  // Another sender may use the same key.
  NewMessage by_b = first;
  by_b.sender_id = b.id;
  EXPECT_TRUE(run(messages_.insert(*db_, by_b)).created);
  // The same key in another conversation is a conflict, not a silent replay.
  NewMessage elsewhere = first;
  elsewhere.conversation_id = other.id;
  PARLEY_EXPECT_APP_ERROR(run(messages_.insert(*db_, elsewhere)), 409);
  auto page = run(messages_.page(*db_, c.id, PageQuery{}));
  EXPECT_EQ(page.messages.size(), 2u) << "no duplicate";
}

TEST_P(MessageRepoTest, PagesBeforeAfterAroundWithLimit) {
  User a = make_user("a");
  Conversation c = make_group({a.id});
  Conversation other = make_group({a.id}, "other");
  std::vector<std::int64_t> all;
  for (int i = 0; i < 10; ++i) {
    all.push_back(post(c.id, a.id, "m" + std::to_string(i)).id);
    post(other.id, a.id, "noise");
  }
  post(c.id, a.id, "reply", all[0]);  // replies are not top level

  MessagePage latest = run(messages_.page(*db_, c.id, PageQuery{.limit = 3}));
  EXPECT_EQ(ids(latest), (std::vector<std::int64_t>{all[7], all[8], all[9]}));
  EXPECT_TRUE(latest.has_older);
  EXPECT_FALSE(latest.has_newer);

  MessagePage before = run(messages_.page(*db_, c.id, PageQuery{.before = all[7], .limit = 3}));
  EXPECT_EQ(ids(before), (std::vector<std::int64_t>{all[4], all[5], all[6]}));
  EXPECT_TRUE(before.has_older);
  EXPECT_TRUE(before.has_newer);

  MessagePage oldest = run(messages_.page(*db_, c.id, PageQuery{.before = all[2], .limit = 3}));
  EXPECT_EQ(ids(oldest), (std::vector<std::int64_t>{all[0], all[1]}));
  EXPECT_FALSE(oldest.has_older);
  EXPECT_TRUE(oldest.has_newer);

  MessagePage after = run(messages_.page(*db_, c.id, PageQuery{.after = all[1], .limit = 3}));
  EXPECT_EQ(ids(after), (std::vector<std::int64_t>{all[2], all[3], all[4]}));
  EXPECT_TRUE(after.has_older);
  EXPECT_TRUE(after.has_newer);

  MessagePage tail = run(messages_.page(*db_, c.id, PageQuery{.after = all[7], .limit = 3}));
  EXPECT_EQ(ids(tail), (std::vector<std::int64_t>{all[8], all[9]}));
  EXPECT_FALSE(tail.has_newer);

  MessagePage around = run(messages_.page(*db_, c.id, PageQuery{.around = all[5], .limit = 4}));
  EXPECT_EQ(ids(around), (std::vector<std::int64_t>{all[3], all[4], all[5], all[6]}));
  EXPECT_TRUE(around.has_older);
  EXPECT_TRUE(around.has_newer);
  MessagePage around_start = run(messages_.page(*db_, c.id, PageQuery{.around = all[0], .limit = 4}));
  EXPECT_EQ(ids(around_start), (std::vector<std::int64_t>{all[0], all[1]}));
  EXPECT_FALSE(around_start.has_older);
  EXPECT_TRUE(around_start.has_newer);

  MessagePage empty = run(messages_.page(*db_, c.id, PageQuery{.after = all[9], .limit = 3}));
  EXPECT_TRUE(empty.messages.empty());
  EXPECT_TRUE(empty.has_older);
  EXPECT_FALSE(empty.has_newer);
}

TEST_P(MessageRepoTest, PagingStaysExactWhileMessagesArrive) {
  User a = make_user("a");
  Conversation c = make_group({a.id});
  std::vector<std::int64_t> existing;
  for (int i = 0; i < 7; ++i) existing.push_back(post(c.id, a.id, "old").id);

  // Walk backwards from the newest while new messages keep arriving between pages.
  std::vector<std::int64_t> walked;
  MessagePage page = run(messages_.page(*db_, c.id, PageQuery{.limit = 2}));
  std::vector<std::int64_t> arrived;
  while (true) {
    for (auto it = page.messages.rbegin(); it != page.messages.rend(); ++it) walked.push_back(it->id);
    arrived.push_back(post(c.id, a.id, "new").id);
    if (!page.has_older) break;
    page = run(messages_.page(*db_, c.id, PageQuery{.before = page.messages.front().id, .limit = 2}));
  }
  EXPECT_EQ(walked, std::vector<std::int64_t>(existing.rbegin(), existing.rend())) << "no gaps, no repeats";

  // Walking forwards from the start picks up everything, including what arrived meanwhile.
  std::vector<std::int64_t> forward;
  std::optional<std::int64_t> cursor = 0;
  for (int guard = 0; guard < 20; ++guard) {
    MessagePage next = run(messages_.page(*db_, c.id, PageQuery{.after = cursor, .limit = 3}));
    for (const Message& m : next.messages) forward.push_back(m.id);
    if (forward.size() == 9) post(c.id, a.id, "during forward walk");
    if (!next.has_newer) break;
    cursor = next.messages.back().id;
  }
  std::set<std::int64_t> unique(forward.begin(), forward.end());
  EXPECT_EQ(unique.size(), forward.size());
  EXPECT_TRUE(std::is_sorted(forward.begin(), forward.end()));
  EXPECT_EQ(forward.size(), existing.size() + arrived.size() + 1);
}

TEST_P(MessageRepoTest, ThreadsMaintainReplyCountAndLastReply) {
  User a = make_user("a");
  User b = make_user("b");
  Conversation c = make_group({a.id, b.id});
  Conversation other = make_group({a.id}, "other");
  Message root = post(c.id, a.id, "root");
  EXPECT_FALSE(root.last_reply_at);
  Message r1 = post(c.id, b.id, "r1", root.id);
  Message r2 = post(c.id, a.id, "r2", root.id);
  EXPECT_EQ(r1.parent_id, std::optional<std::int64_t>(root.id));
  auto updated = run(messages_.find(*db_, root.id));
  EXPECT_EQ(updated->reply_count, 2);
  EXPECT_EQ(updated->last_reply_at, std::optional<std::string>(r2.created_at));

  MessagePage thread = run(messages_.page(*db_, c.id, PageQuery{.parent_id = root.id, .limit = 1}));
  EXPECT_EQ(ids(thread), (std::vector<std::int64_t>{r1.id})) << "threads start at the oldest reply";
  EXPECT_TRUE(thread.has_newer);
  EXPECT_FALSE(thread.has_older);
  thread = run(messages_.page(*db_, c.id, PageQuery{.parent_id = root.id, .before = r2.id + 1, .limit = 5}));
  EXPECT_EQ(ids(thread), (std::vector<std::int64_t>{r1.id, r2.id}));
  EXPECT_EQ(ids(run(messages_.page(*db_, c.id, PageQuery{}))), (std::vector<std::int64_t>{root.id}));

  // Replies to replies, and replies across conversations, are refused.
  PARLEY_EXPECT_APP_ERROR(post(c.id, a.id, "nested", r1.id), 400);
  PARLEY_EXPECT_APP_ERROR(post(other.id, a.id, "cross", root.id), 400);
  EXPECT_EQ(run(messages_.find(*db_, root.id))->reply_count, 2);
}

TEST_P(MessageRepoTest, EditKeepsHistory) {
  User a = make_user("a");
  User admin = make_user("admin");
  Conversation c = make_group({a.id});
  Message m = post(c.id, a.id, "v1");
  auto v2 = run(messages_.edit(*db_, m.id, a.id, "v2", "<p>v2</p>"));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->body, "v2");
  ASSERT_TRUE(v2->edited_at);
  EXPECT_GE(*v2->edited_at, m.created_at);
  run(messages_.edit(*db_, m.id, admin.id, "v3", "<p>v3</p>"));
  auto history = run(messages_.history(*db_, m.id));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].previous_body, "v1");
  EXPECT_EQ(history[0].previous_html, "<p>v1</p>");
  EXPECT_EQ(history[0].editor_id, a.id);
  EXPECT_EQ(history[1].previous_body, "v2");
  EXPECT_EQ(history[1].editor_id, admin.id);
  EXPECT_EQ(history[1].edited_at.size(), 24u);
  EXPECT_EQ(run(messages_.find(*db_, m.id))->body, "v3");
  EXPECT_FALSE(run(messages_.edit(*db_, m.id + 100, a.id, "x", "x")));
}

TEST_P(MessageRepoTest, SoftDeleteKeepsThePlaceAndDropsTheContent) {
  User a = make_user("a");
  User b = make_user("b");
  Conversation c = make_group({a.id, b.id});
  Message before = post(c.id, a.id, "before");
  Message m = post(c.id, a.id, "secret");
  Message after = post(c.id, a.id, "after");
  run(messages_.edit(*db_, m.id, a.id, "secret v2", "<p>secret v2</p>"));
  run(reactions_.add(*db_, m.id, b.id, "👍"));

  auto deleted = run(messages_.soft_delete(*db_, m.id));
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->deleted());
  EXPECT_EQ(deleted->body, "");
  EXPECT_EQ(deleted->html, "");
  EXPECT_EQ(deleted->id, m.id);
  EXPECT_EQ(deleted->created_at, m.created_at);
  EXPECT_TRUE(run(messages_.history(*db_, m.id)).empty());
  std::vector<std::int64_t> page_ids{m.id};
  EXPECT_TRUE(run(reactions_.counts(*db_, page_ids, b.id)).empty());

  auto again = run(messages_.soft_delete(*db_, m.id));
  EXPECT_EQ(again->deleted_at, deleted->deleted_at) << "idempotent";
  EXPECT_FALSE(run(messages_.edit(*db_, m.id, a.id, "revive", "")));
  EXPECT_FALSE(run(messages_.soft_delete(*db_, after.id + 100)));

  MessagePage page = run(messages_.page(*db_, c.id, PageQuery{}));
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{before.id, m.id, after.id}));
  EXPECT_TRUE(page.messages[1].deleted());
}

class ReactionRepoTest : public RepoTest {};

TEST_P(ReactionRepoTest, IdempotentWithCountsAndMe) {
  User a = make_user("a");
  User b = make_user("b");
  User c = make_user("c");
  Conversation conv = make_group({a.id, b.id, c.id});
  Message m1 = post(conv.id, a.id, "1");
  Message m2 = post(conv.id, a.id, "2");
  Message m3 = post(conv.id, a.id, "3");
  EXPECT_TRUE(run(reactions_.add(*db_, m1.id, a.id, "👍")));
  EXPECT_FALSE(run(reactions_.add(*db_, m1.id, a.id, "👍"))) << "idempotent";
  EXPECT_TRUE(run(reactions_.add(*db_, m1.id, b.id, "👍")));
  EXPECT_TRUE(run(reactions_.add(*db_, m1.id, b.id, "🎉")));
  EXPECT_TRUE(run(reactions_.add(*db_, m2.id, c.id, "👍")));

  std::vector<std::int64_t> page{m1.id, m2.id, m3.id};
  auto counts = run(reactions_.counts(*db_, page, a.id));
  ASSERT_EQ(counts.size(), 3u);
  // By message; within a message by first use (ties within a millisecond on SQLite: by emoji).
  auto of = [&](std::int64_t message_id, std::string emoji) {
    for (const ReactionCount& r : counts) {
      if (r.message_id == message_id && r.emoji == emoji) return r;
    }
    ADD_FAILURE() << "no count for " << message_id << " " << emoji;
    return ReactionCount{};
  };
  EXPECT_EQ(counts[0].message_id, m1.id);
  EXPECT_EQ(counts[1].message_id, m1.id);
  EXPECT_EQ(of(m1.id, "👍").count, 2);
  EXPECT_TRUE(of(m1.id, "👍").me);
  EXPECT_EQ(of(m1.id, "🎉").count, 1);
  EXPECT_FALSE(of(m1.id, "🎉").me);
  EXPECT_EQ(counts[2].message_id, m2.id);
  EXPECT_EQ(of(m2.id, "👍").count, 1);
  EXPECT_FALSE(of(m2.id, "👍").me);

  EXPECT_TRUE(run(reactions_.remove(*db_, m1.id, a.id, "👍")));
  EXPECT_FALSE(run(reactions_.remove(*db_, m1.id, a.id, "👍"))) << "idempotent";
  counts = run(reactions_.counts(*db_, page, a.id));
  EXPECT_EQ(of(m1.id, "👍").count, 1);
  EXPECT_FALSE(of(m1.id, "👍").me);
  EXPECT_TRUE(run(reactions_.counts(*db_, std::vector<std::int64_t>{}, a.id)).empty());
  PARLEY_EXPECT_APP_ERROR(run(reactions_.add(*db_, m3.id + 100, a.id, "x")), 400);
}

PARLEY_INSTANTIATE_REPO_TEST(MessageRepoTest);
PARLEY_INSTANTIATE_REPO_TEST(ReactionRepoTest);

}  // namespace
}  // namespace parley::db::repositories
