#include "db/repositories/user_event_repository.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <set>

#include "db/repositories/repo_test_fixture.hpp"

namespace parley::db::repositories {
namespace {

class UserEventRepoTest : public RepoTest {
 protected:
  UserEventRepository events_{GetParam()};

  std::vector<LoggedEvent> append_in_transaction(std::vector<std::int64_t> recipients, bool commit) {
    return run([&]() -> boost::asio::awaitable<std::vector<LoggedEvent>> {
      auto tx = co_await db_->begin();
      auto logged = co_await events_.append(*tx, recipients, "message.created", R"({"id":1})");
      if (commit)
        co_await tx->commit();
      else
        co_await tx->rollback();
      co_return logged;
    }());
  }
};

TEST_P(UserEventRepoTest, NumbersEventsPerUserFromOne) {
  User a = make_user("a");
  User b = make_user("b");
  auto first = append_in_transaction({a.id, b.id}, true);
  ASSERT_EQ(first.size(), 2u);
  for (const auto& e : first) EXPECT_EQ(e.event_id, 1);
  auto second = append_in_transaction({b.id}, true);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].user_id, b.id);
  EXPECT_EQ(second[0].event_id, 2);
  EXPECT_EQ(run(events_.last_event_id(*db_, a.id)), 1);
  EXPECT_EQ(run(events_.last_event_id(*db_, b.id)), 2);

  auto replay = run(events_.after(*db_, b.id, 0, 100));
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].event_id, 1);
  EXPECT_EQ(replay[1].event_id, 2);
  EXPECT_EQ(replay[0].type, "message.created");
  EXPECT_EQ(boost::json::parse(replay[0].payload), boost::json::parse(R"({"id":1})"));
  EXPECT_EQ(replay[0].created_at.size(), 24u);
  EXPECT_EQ(run(events_.after(*db_, b.id, 1, 100)).size(), 1u);
  EXPECT_TRUE(run(events_.after(*db_, b.id, 2, 100)).empty());
}

TEST_P(UserEventRepoTest, RollbackLeavesNoEventAndNoGap) {
  User a = make_user("a");
  append_in_transaction({a.id}, false);
  EXPECT_EQ(run(events_.last_event_id(*db_, a.id)), 0);
  EXPECT_TRUE(run(events_.after(*db_, a.id, 0, 100)).empty());
  auto next = append_in_transaction({a.id}, true);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].event_id, 1);
}

TEST_P(UserEventRepoTest, ConcurrentAppendsGetDistinctGaplessIds) {
  User a = make_user("a");
  User b = make_user("b");
  constexpr int kWriters = 12;
  int done = 0;
  // The writers run concurrently; the test waits on a timer that the last one cancels (the
  // database's own timers keep io_ busy, so io_.run() would not return by itself).
  run([&]() -> boost::asio::awaitable<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer all_done(executor, boost::asio::steady_timer::time_point::max());
    for (int i = 0; i < kWriters; ++i) {
      boost::asio::co_spawn(
          executor,
          [&]() -> boost::asio::awaitable<void> {
            std::vector<std::int64_t> recipients{a.id, b.id};
            co_await with_transaction(*db_, Isolation::read_committed,
                                      [&](Transaction& tx) -> boost::asio::awaitable<void> {
                                        co_await events_.append(tx, recipients, "reaction.added", "{}");
                                      });
            if (++done == kWriters) all_done.cancel();
          },
          boost::asio::detached);
    }
    co_await all_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }());
  ASSERT_EQ(done, kWriters);
  for (std::int64_t user : {a.id, b.id}) {
    auto all = run(events_.after(*db_, user, 0, 1000));
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kWriters));
    for (int i = 0; i < kWriters; ++i) EXPECT_EQ(all[static_cast<std::size_t>(i)].event_id, i + 1);
  }
}

PARLEY_INSTANTIATE_REPO_TEST(UserEventRepoTest);

}  // namespace
}  // namespace parley::db::repositories
