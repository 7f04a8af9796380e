// Retention of deleted messages (messaging/retention.hpp) on SQLite and PostgreSQL: the daily
// messages.purge_deleted job removes old tombstones, and leaves those that live replies hang
// below or that a read marker points at.
#include "messaging_fixture.hpp"

#include <gtest/gtest.h>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class RetentionTest : public MessagingTest {
 protected:
  std::int64_t count(const std::string& sql) {
    return on_app([this, sql]() -> boost::asio::awaitable<std::int64_t> {
      auto rs = co_await app().database().execute(db::Query{"", sql});
      co_return rs.one().int64(0);
    }());
  }
  void execute(const std::string& sql) {
    on_app([this, sql]() -> boost::asio::awaitable<void> { co_await app().database().execute(db::Query{"", sql}); }());
  }
  bool exists(std::int64_t message_id) {
    return count("SELECT count(*) FROM messages WHERE id = " + std::to_string(message_id)) == 1;
  }
  void remove(const TestUser& by, std::int64_t message_id) {
    auto r = call(by, "DELETE", "/api/v1/messages/" + std::to_string(message_id));
    ASSERT_EQ(r.status, 204) << r.body;
  }
  void run_purge() {
    on_app([this]() -> boost::asio::awaitable<void> {
      auto id = co_await app().jobs().enqueue(app().database(), "messages.purge_deleted", json::object{});
      EXPECT_TRUE(id);
      app().jobs().committed();
    }());
  }
};

TEST_P(RetentionTest, OldTombstonesArePurgedUnlessRepliesOrReadMarkersHoldThem) {
  auto alice = user("alice");
  auto bob = user("bob");
  const auto room = group(alice, {bob.id});
  const auto lone = send(alice, room, "delete me").at("id").as_int64();
  const auto parent = send(alice, room, "a thread").at("id").as_int64();
  const auto live_reply = send(bob, room, "still here", {{"parent_id", parent}}).at("id").as_int64();
  const auto thread = send(alice, room, "another thread").at("id").as_int64();
  const auto gone_reply = send(bob, room, "regret", {{"parent_id", thread}}).at("id").as_int64();
  const auto marked = send(alice, room, "bob read up to here").at("id").as_int64();
  ASSERT_EQ(call(alice, "PUT", "/api/v1/messages/" + std::to_string(lone) + "/reactions/%F0%9F%91%8D").status / 100, 2);
  auto read = call(bob, "POST", conversation_path(room) + "/read", json::object{{"up_to_message_id", marked}});
  ASSERT_EQ(read.status / 100, 2) << read.body;
  const auto recent = send(alice, room, "deleted just now").at("id").as_int64();
  for (auto id : {lone, parent, marked, recent}) remove(alice, id);
  remove(bob, gone_reply);
  // Deleted long ago, except `recent`.
  execute("UPDATE messages SET deleted_at = '2000-01-01T00:00:00.000Z' WHERE deleted_at IS NOT NULL AND id <> " +
          std::to_string(recent));
  ASSERT_EQ(count("SELECT reply_count FROM messages WHERE id = " + std::to_string(thread)), 1);

  run_purge();
  EXPECT_TRUE(eventually([&] { return !exists(lone) && !exists(gone_reply); }, 10s));
  EXPECT_EQ(count("SELECT count(*) FROM reactions WHERE message_id = " + std::to_string(lone)), 0);
  EXPECT_TRUE(exists(parent)) << "a live reply hangs below it";
  EXPECT_TRUE(exists(live_reply));
  EXPECT_TRUE(exists(marked)) << "bob's read marker points at it";
  EXPECT_TRUE(exists(recent)) << "deleted within the retention period";
  EXPECT_TRUE(exists(thread));
  EXPECT_EQ(count("SELECT reply_count FROM messages WHERE id = " + std::to_string(thread)), 0)
      << "the purged reply is off its parent's count";
  auto unread = call(bob, "GET", "/api/v1/unread");
  ASSERT_EQ(unread.status, 200) << unread.body;

  // Once the reply goes and bob reads on, the rest can go too.
  remove(bob, live_reply);
  const auto later = send(alice, room, "news").at("id").as_int64();
  ASSERT_EQ(call(bob, "POST", conversation_path(room) + "/read", json::object{{"up_to_message_id", later}}).status / 100,
            2);
  execute("UPDATE messages SET deleted_at = '2000-01-01T00:00:00.000Z' WHERE deleted_at IS NOT NULL AND id <> " +
          std::to_string(recent));
  run_purge();
  EXPECT_TRUE(eventually([&] { return !exists(parent) && !exists(live_reply) && !exists(marked); }, 10s));
  EXPECT_TRUE(exists(later));
}

INSTANTIATE_TEST_SUITE_P(Backends, RetentionTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
