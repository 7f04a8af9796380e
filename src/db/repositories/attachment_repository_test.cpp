#include "db/repositories/attachment_repository.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class AttachmentRepoTest : public RepoTest {
 protected:
  // An upload by `uploader_id`; `n` makes the storage key and hash distinct.
  Attachment upload(std::int64_t uploader_id, const std::string& filename, int n) {
    char key[33];
    std::snprintf(key, sizeof key, "%032x", n);
    return run(attachments_.create(*db_, NewAttachment{.uploader_id = uploader_id,
                                                       .filename = filename,
                                                       .content_type = "image/png",
                                                       .size = 100 + n,
                                                       .sha256 = std::string(64, static_cast<char>('a' + n % 6)),
                                                       .storage_key = key}));
  }

  std::vector<std::int64_t> attachment_ids(const std::vector<MessageAttachment>& rows, std::int64_t message_id) {
    std::vector<std::int64_t> out;
    for (const auto& row : rows) {
      if (row.message_id == message_id) out.push_back(row.attachment.id);
    }
    return out;
  }

  // The field errors of a refused attach_to_message.
  FieldErrors refusal(std::int64_t message_id, std::int64_t uploader_id, std::vector<std::int64_t> ids) {
    try {
      run(attachments_.attach_to_message(*db_, message_id, uploader_id, ids));
    } catch (const AppError& e) {
      EXPECT_EQ(e.status(), 400);
      return e.field_errors();
    }
    ADD_FAILURE() << "attach_to_message accepted the ids";
    return {};
  }

  AttachmentRepository attachments_{GetParam()};
};

TEST_P(AttachmentRepoTest, CreatesAndFinds) {
  User a = make_user("a");
  Attachment created = upload(a.id, "report 2026.pdf", 1);
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.uploader_id, a.id);
  EXPECT_EQ(created.filename, "report 2026.pdf");
  EXPECT_EQ(created.content_type, "image/png");
  EXPECT_EQ(created.size, 101);
  EXPECT_EQ(created.storage_key, "00000000000000000000000000000001");
  EXPECT_TRUE(std::regex_match(created.created_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << created.created_at;
  auto found = run(attachments_.find(*db_, created.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->filename, created.filename);
  EXPECT_EQ(found->sha256, created.sha256);
  EXPECT_EQ(found->created_at, created.created_at);
  EXPECT_FALSE(run(attachments_.find(*db_, created.id + 1)));
}

TEST_P(AttachmentRepoTest, SchemaRefusesBadRows) {
  User a = make_user("a");
  NewAttachment good{.uploader_id = a.id,
                     .filename = "x",
                     .content_type = "text/plain",
                     .size = 1,
                     .sha256 = std::string(64, 'f'),
                     .storage_key = "k1"};
  run(attachments_.create(*db_, good));
  NewAttachment same_key = good;
  PARLEY_EXPECT_APP_ERROR(run(attachments_.create(*db_, same_key)), 409);
  NewAttachment slash = good;
  slash.storage_key = "k2";
  slash.filename = "a/b";
  PARLEY_EXPECT_APP_ERROR(run(attachments_.create(*db_, slash)), 400);
  NewAttachment empty = good;
  empty.storage_key = "k3";
  empty.filename = "";
  PARLEY_EXPECT_APP_ERROR(run(attachments_.create(*db_, empty)), 400);
  NewAttachment stranger = good;
  stranger.storage_key = "k4";
  stranger.uploader_id = a.id + 1000;
  PARLEY_EXPECT_APP_ERROR(run(attachments_.create(*db_, stranger)), 400);
}

TEST_P(AttachmentRepoTest, AttachesInOrderAndListsPerMessage) {
  User a = make_user("a");
  Conversation c = make_group({a.id});
  Message m1 = post(c.id, a.id, "one");
  Message m2 = post(c.id, a.id, "two");
  Message bare = post(c.id, a.id, "none");
  Attachment x = upload(a.id, "x.png", 1);
  Attachment y = upload(a.id, "y.png", 2);
  Attachment z = upload(a.id, "z.png", 3);
  std::vector<std::int64_t> second_order{z.id, x.id, y.id};
  run(attachments_.attach_to_message(*db_, m2.id, a.id, second_order));
  std::vector<std::int64_t> first_order{y.id};
  run(attachments_.attach_to_message(*db_, m1.id, a.id, first_order));
  run(attachments_.attach_to_message(*db_, bare.id, a.id, std::vector<std::int64_t>{}));

  std::vector<std::int64_t> page{bare.id, m2.id, m1.id};
  auto rows = run(attachments_.for_messages(*db_, page));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].message_id, m1.id) << "ordered by message id";
  EXPECT_EQ(attachment_ids(rows, m1.id), (std::vector<std::int64_t>{y.id}));
  EXPECT_EQ(attachment_ids(rows, m2.id), second_order) << "in the order given";
  EXPECT_TRUE(attachment_ids(rows, bare.id).empty());
  EXPECT_EQ(rows[1].attachment.filename, "z.png");
  EXPECT_EQ(rows[1].attachment.size, 103);
  EXPECT_TRUE(run(attachments_.for_messages(*db_, std::vector<std::int64_t>{})).empty());
  std::vector<std::int64_t> only_bare{bare.id};
  EXPECT_TRUE(run(attachments_.for_messages(*db_, only_bare)).empty());
}

TEST_P(AttachmentRepoTest, RefusesForeignUnknownRepeatedAndTooManyIds) {
  User a = make_user("a");
  User b = make_user("b");
  Conversation c = make_group({a.id, b.id});
  Message m = post(c.id, a.id, "hi");
  Attachment mine = upload(a.id, "mine", 1);
  Attachment theirs = upload(b.id, "theirs", 2);

  EXPECT_TRUE(refusal(m.id, a.id, {mine.id, theirs.id}).contains("attachment_ids"));
  EXPECT_TRUE(refusal(m.id, a.id, {mine.id + theirs.id + 100}).contains("attachment_ids"));
  EXPECT_TRUE(refusal(m.id, a.id, {mine.id, mine.id}).contains("attachment_ids"));
  std::vector<std::int64_t> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(upload(a.id, "f" + std::to_string(i), 10 + i).id);
  EXPECT_TRUE(refusal(m.id, a.id, eleven).contains("attachment_ids"));
  std::vector<std::int64_t> page{m.id};
  EXPECT_TRUE(run(attachments_.for_messages(*db_, page)).empty()) << "nothing linked by a refused call";

  eleven.pop_back();
  run(attachments_.attach_to_message(*db_, m.id, a.id, eleven));
  EXPECT_EQ(run(attachments_.for_messages(*db_, page)).size(), 10u) << "ten is the maximum, and allowed";
}

TEST_P(AttachmentRepoTest, VisibleToMembersOfWhereItWasPosted) {
  User owner = make_user("owner");
  User member = make_user("member");
  User banned = make_user("banned");
  User stranger = make_user("stranger");
  Conversation c = make_group({owner.id, member.id, banned.id});
  Conversation elsewhere = make_group({stranger.id}, "elsewhere");
  Attachment file = upload(owner.id, "f", 1);
  Attachment unposted = upload(owner.id, "g", 2);
  EXPECT_FALSE(run(attachments_.visible_in_conversation_of(*db_, file.id, member.id))) << "not posted yet";

  Message m = post(c.id, owner.id, "here");
  std::vector<std::int64_t> ids{file.id};
  run(attachments_.attach_to_message(*db_, m.id, owner.id, ids));
  post(elsewhere.id, stranger.id, "unrelated");
  run(members_.ban(*db_, c.id, banned.id));

  EXPECT_TRUE(run(attachments_.visible_in_conversation_of(*db_, file.id, member.id)));
  EXPECT_TRUE(run(attachments_.visible_in_conversation_of(*db_, file.id, owner.id)));
  EXPECT_FALSE(run(attachments_.visible_in_conversation_of(*db_, file.id, banned.id)));
  EXPECT_FALSE(run(attachments_.visible_in_conversation_of(*db_, file.id, stranger.id)));
  EXPECT_FALSE(run(attachments_.visible_in_conversation_of(*db_, unposted.id, member.id)));

  // Deleting the message takes the file out of the conversation's view.
  run(messages_.soft_delete(*db_, m.id));
  EXPECT_FALSE(run(attachments_.visible_in_conversation_of(*db_, file.id, member.id)));
}

PARLEY_INSTANTIATE_REPO_TEST(AttachmentRepoTest);

}  // namespace
}  // namespace parley::db::repositories
