#include "db/repositories/event_log_repository.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>

#include "core/error.hpp"
#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class EventLogRepoTest : public RepoTest {
 protected:
  EventLogRepository log_{GetParam()};

  // Appends one event in a transaction of its own; returns what append() returned.
  std::optional<std::int64_t> append(EventAudience audience, std::string type = "message.created", bool commit = true) {
    return run([&]() -> boost::asio::awaitable<std::optional<std::int64_t>> {
      auto tx = co_await db_->begin();
      auto position = co_await log_.append(*tx, audience, type, R"({"id":1})");
      if (commit)
        co_await tx->commit();
      else
        co_await tx->rollback();
      co_return position;
    }());
  }
  // Numbers what is pending (PostgreSQL; a no-op on SQLite) and returns it.
  std::vector<LoggedEvent> number() { return run(log_.sequence_pending(*db_, 1000)); }

  std::vector<std::int64_t> stream_of(std::int64_t user, std::int64_t after = 0) {
    std::vector<std::int64_t> positions;
    for (const auto& e : run(log_.after(*db_, user, after, 1000))) positions.push_back(e.position);
    return positions;
  }
};

TEST_P(EventLogRepoTest, NumbersAtInsertOnSqliteAndAfterCommitOnPostgres) {
  User a = make_user("a");
  auto first = append({.conversation_id = std::nullopt, .user_id = a.id});
  auto second = append({.conversation_id = std::nullopt, .user_id = a.id}, "read.updated");
  auto numbered = number();
  if (dialect() == Dialect::sqlite) {
    ASSERT_TRUE(first && second);
    EXPECT_EQ(*second, *first + 1);
    EXPECT_TRUE(numbered.empty());
  } else {
    EXPECT_FALSE(first || second) << "PostgreSQL numbers only committed rows, later";
    ASSERT_EQ(numbered.size(), 2u);
    EXPECT_EQ(numbered[1].position, numbered[0].position + 1);
    EXPECT_EQ(numbered[1].type, "read.updated");
    EXPECT_EQ(numbered[0].audience.user_id, a.id);
    EXPECT_TRUE(number().empty()) << "numbered once";
  }
  EXPECT_EQ(run(log_.head(*db_)), 2);
  EXPECT_EQ(run(log_.oldest(*db_)), 1);
  auto tail = run(log_.tail(*db_, 0, 10));
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].position, 1);
  EXPECT_EQ(boost::json::parse(tail[0].payload), boost::json::parse(R"({"id":1})"));
  auto replay = run(log_.after(*db_, a.id, 0, 100));
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].type, "message.created");
  EXPECT_EQ(replay[0].created_at.size(), 24u);
  EXPECT_EQ(stream_of(a.id, 1), std::vector<std::int64_t>{2});
}

// A batch's events are numbered by its own transaction on PostgreSQL (nothing left for the
// sequencer), after whatever the sequencer had already numbered and before what it numbers next;
// every reader gets the payload back as the writer's text, byte for byte.
TEST_P(EventLogRepoTest, AppendManyNumbersInItsTransactionAndKeepsTheWritersText) {
  User a = make_user("a");
  auto earlier = append({.conversation_id = std::nullopt, .user_id = a.id});  // pending on PostgreSQL
  const std::string first = R"({"z":1, "a":{"k":"v"},"id":2})";  // jsonb would reorder and respace it
  const std::string second = R"({"id":3,"text":"\u00e9 \"q\""})";
  const std::vector<NewEvent> batch{
      {.audience = {.conversation_id = std::nullopt, .user_id = a.id}, .type = "message.created", .payload_json = first},
      {.audience = {.conversation_id = std::nullopt, .user_id = a.id},
       .type = "message.created",
       .payload_json = second,
       .traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  run([&]() -> boost::asio::awaitable<void> {
    auto tx = co_await db_->begin();
    co_await log_.append_many_later(*tx, batch);
    co_await tx->commit();
  }());
  auto later = append({.conversation_id = std::nullopt, .user_id = a.id}, "read.updated");
  auto numbered = number();
  if (dialect() == Dialect::postgres) {
    EXPECT_FALSE(earlier || later);
    ASSERT_EQ(numbered.size(), 2u) << "the batch's events were not left to the sequencer";
    // The earlier row committed first but was still unnumbered: it comes after the batch's 1 and 2.
    EXPECT_EQ(numbered[0].position, 3);
    EXPECT_EQ(numbered[1].position, 4);
    EXPECT_EQ(numbered[1].type, "read.updated");
  } else {
    EXPECT_EQ(earlier, std::optional<std::int64_t>(1));
    EXPECT_EQ(later, std::optional<std::int64_t>(4));
  }
  EXPECT_EQ(run(log_.head(*db_)), 4);
  auto tail = run(log_.tail(*db_, 0, 10));
  ASSERT_EQ(tail.size(), 4u);
  std::vector<std::string> payloads;
  for (const auto& e : tail) payloads.push_back(e.payload);
  const auto at = [&](std::string_view text) { return std::find(payloads.begin(), payloads.end(), text) - payloads.begin(); };
  EXPECT_EQ(at(first) + 1, at(second)) << "in order, as written";
  ASSERT_LT(at(second), static_cast<std::ptrdiff_t>(payloads.size()));
  auto replay = run(log_.after(*db_, a.id, 0, 100));
  ASSERT_EQ(replay.size(), tail.size());
  EXPECT_EQ(replay[static_cast<std::size_t>(at(first))].payload, first);
}

TEST_P(EventLogRepoTest, RollbackLeavesNoEvent) {
  User a = make_user("a");
  append({.conversation_id = std::nullopt, .user_id = a.id}, "message.created", false);
  EXPECT_TRUE(number().empty());
  EXPECT_TRUE(stream_of(a.id).empty());
  EXPECT_EQ(run(log_.head(*db_)), 0);
  PARLEY_EXPECT_APP_ERROR(run(log_.append(*db_, EventAudience{}, "message.created", "{}")), 500);
}

TEST_P(EventLogRepoTest, AUserSeesTheirConversationsFromWhenTheyJoinedAndTheirOwnEvents) {
  User a = make_user("a");
  User b = make_user("b");
  User c = make_user("c");
  Conversation ab = make_group({a.id, b.id});
  append({.conversation_id = ab.id, .user_id = std::nullopt});  // 1: before c joined
  number();
  run(members_.add(*db_, ab.id, c.id, "member"));
  append({.conversation_id = ab.id, .user_id = std::nullopt});  // 2
  append({.conversation_id = std::nullopt, .user_id = b.id});   // 3: b's own
  append({.conversation_id = ab.id, .user_id = b.id});          // 4: both ways for b, once
  number();
  EXPECT_EQ(stream_of(a.id), (std::vector<std::int64_t>{1, 2, 4}));
  EXPECT_EQ(stream_of(b.id), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(stream_of(c.id), (std::vector<std::int64_t>{2, 4})) << "nothing from before c joined";
  EXPECT_EQ(stream_of(b.id, 2), (std::vector<std::int64_t>{3, 4}));
  run(members_.ban(*db_, ab.id, c.id));
  EXPECT_TRUE(stream_of(c.id).empty()) << "a banned member sees nothing of the conversation";
  run(members_.remove(*db_, ab.id, a.id));
  EXPECT_TRUE(stream_of(a.id).empty());
}

TEST_P(EventLogRepoTest, ConcurrentWritersGetDistinctIncreasingPositionsWithoutGaps) {
  User a = make_user("a");
  constexpr int kWriters = 12;
  int done = 0;
  // The writers and sequencers run concurrently; the test waits on a timer that the last writer
  // cancels (the database's own timers keep io_ busy, so io_.run() would not return by itself).
  run([&]() -> boost::asio::awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer all_done(executor, boost::asio::steady_timer::time_point::max());
    for (int i = 0; i < kWriters; ++i) {
      boost::asio::co_spawn(
          executor,
          [&]() -> boost::asio::awaitable<void> {
            const EventAudience audience{.conversation_id = std::nullopt, .user_id = a.id};
            co_await with_transaction(*db_, Isolation::read_committed,
                                      [&](Transaction& tx) -> boost::asio::awaitable<void> {
                                        co_await log_.append(tx, audience, "reaction.added", "{}");
                                      });
            co_await log_.sequence_pending(*db_, 3);
            if (++done == kWriters) all_done.cancel();
          },
          boost::asio::detached);
    }
    co_await all_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }());
  ASSERT_EQ(done, kWriters);
  while (!number().empty()) {
  }
  auto all = stream_of(a.id);
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters));
  for (int i = 0; i < kWriters; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)], i + 1);
}

PARLEY_INSTANTIATE_REPO_TEST(EventLogRepoTest);

}  // namespace
}  // namespace parley::db::repositories
