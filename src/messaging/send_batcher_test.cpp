// Group commit of sends (send_batcher.hpp), on PostgreSQL: sends queued together are checked and
// written in one transaction whose statements do not grow with the number of sends; a send the
// check refuses and a known client_msg_id are handed back (sent alone, each gets its own answer);
// a batch that fails hands every send back and writes nothing.
#include "messaging/send_batcher.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/json/parse.hpp>

#include <map>
#include <set>

#include "core/error.hpp"
#include "db/repositories/counting_database.hpp"
#include "db/repositories/repo_test_fixture.hpp"
#include "events/event_stream.hpp"

namespace parley::messaging {
namespace {

using namespace db;
using namespace db::repositories;

class SendBatcherTest : public RepoTest {
 protected:
  void SetUp() override {
    RepoTest::SetUp();
    if (IsSkipped()) return;
    if (dialect() != Dialect::postgres) GTEST_SKIP() << "sends are batched on PostgreSQL only";
  }

  static BatchedSend send_of(const User& sender, std::int64_t conversation_id, std::string body,
                      std::optional<std::string> client_msg_id = std::nullopt,
                      std::vector<std::int64_t> mentions = {}) {
    return BatchedSend{.message = {.conversation_id = conversation_id,
                                   .sender_id = sender.id,
                                   .body = body,
                                   .html = "<p>" + body + "</p>",
                                   .client_msg_id = std::move(client_msg_id)},
                       .mentions = std::move(mentions),
                       .span = std::nullopt};
  }

  struct Outcome {
    std::optional<std::string> json;  // nullopt: handed back
    int failed = 0;                   // the AppError's status when the send failed
  };

  // Queues every send before any runs, so they form one batch; returns each outcome.
  std::vector<Outcome> write_all(SendBatcher& batcher, std::vector<BatchedSend> sends) {
    std::vector<Outcome> outcomes(sends.size());
    std::size_t done = 0;
    for (std::size_t i = 0; i < sends.size(); ++i) {
      boost::asio::co_spawn(io_, batcher.write(std::move(sends[i])),
                            [this, &outcomes, &done, i](std::exception_ptr error, std::optional<std::string> answer) {
                              outcomes[i].json = std::move(answer);
                              if (error) {
                                try {
                                  std::rethrow_exception(error);
                                } catch (const AppError& e) {
                                  outcomes[i].failed = e.status();
                                } catch (...) {
                                  ADD_FAILURE() << "not an AppError";
                                }
                              }
                              if (++done == outcomes.size()) io_.stop();  // the pool's loops keep io_ busy
                            });
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(done, outcomes.size());
    return outcomes;
  }

  // The same when no send may fail: each answer.
  std::vector<std::optional<std::string>> write_together(SendBatcher& batcher, std::vector<BatchedSend> sends) {
    std::vector<std::optional<std::string>> answers;
    for (auto& outcome : write_all(batcher, std::move(sends))) {
      EXPECT_EQ(outcome.failed, 0) << "no send may fail here";
      answers.push_back(std::move(outcome.json));
    }
    return answers;
  }

  // A one-number query. Its text must be a literal: connections keep prepared statements keyed by
  // the text they were given, for as long as they live.
  std::int64_t count(const char* sql, std::vector<Value> params = {}) {
    return run(db_->execute(Query{sql, sql}, params)).one().int64(0);
  }

  spdlog::logger logger_{"send-batcher", std::make_shared<spdlog::sinks::null_sink_mt>()};
  events::EventBus bus_{logger_};
};

TEST_P(SendBatcherTest, ABatchCostsTheStatementsOfOneSendAndAnswersEachSend) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation group = make_group({alice.id, bob.id});
  CountingDatabase counting(*db_);
  events::EventStream stream(counting, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(counting, stream, MessagingSettings{});
  SendBatcher batcher(ctx);

  auto one = write_together(batcher, {send_of(alice, group.id, "alone", std::nullopt, {bob.id})});
  ASSERT_TRUE(one[0]);
  const int alone = counting.statements.exchange(0);

  // 60 sends: alternating senders, one mentioning bob, one retry of "k-1" inside the batch.
  std::vector<BatchedSend> sends;
  for (int i = 0; i < 60; ++i) {
    const User& sender = i % 2 == 0 ? alice : bob;
    std::optional<std::string> client_id;
    if (i == 10 || i == 12) client_id = "k-1";  // both alice's: the second is a retry
    sends.push_back(send_of(sender, group.id, "m" + std::to_string(i), client_id,
                            i == 7 ? std::vector<std::int64_t>{alice.id} : std::vector<std::int64_t>{}));
  }
  auto answers = write_together(batcher, std::move(sends));
  EXPECT_EQ(counting.statements.load(), alone) << "the statements of a batch do not grow with its sends";

  std::set<std::int64_t> ids;
  std::int64_t last_id = 0;
  std::map<std::int64_t, std::int64_t> newest_of;  // sender -> their newest message
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (i == 12) {
      EXPECT_FALSE(answers[i]) << "a known client_msg_id is handed back, to be answered with the original";
      continue;
    }
    ASSERT_TRUE(answers[i]) << i;
    auto message = boost::json::parse(*answers[i]).as_object();
    EXPECT_EQ(message.at("body").as_string(), "m" + std::to_string(i));
    EXPECT_EQ(message.at("sender").as_object().at("id").as_int64(), i % 2 == 0 ? alice.id : bob.id);
    const std::int64_t id = message.at("id").as_int64();
    EXPECT_GT(id, last_id) << "ids ascend in the order the sends were queued";
    last_id = id;
    ids.insert(id);
    newest_of[message.at("sender").as_object().at("id").as_int64()] = id;
    if (i == 7) {
      EXPECT_EQ(message.at("mentions"), boost::json::parse("[" + std::to_string(alice.id) + "]"));
    }
  }
  EXPECT_EQ(ids.size(), 59u);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 60);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE type = 'message.created'"), 60);
  EXPECT_EQ(count("SELECT count(*) FROM mentions"), 2);
  for (const auto& [sender, newest] : newest_of) {
    EXPECT_EQ(count("SELECT last_read_message_id FROM conversation_members WHERE user_id = $1", {sender}), newest)
        << "each sender has read up to their own newest message";
  }
}

// More sends than one batch holds: the next batch starts while the previous one commits (two
// transactions at once, never three), and ids and event positions still follow the queue's order.
TEST_P(SendBatcherTest, BatchesOverlapTwoAtATimeAndKeepTheQueuesOrder) {
  User alice = make_user("alice");
  Conversation group = make_group({alice.id});
  CountingDatabase counting(*db_);
  events::EventStream stream(counting, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(counting, stream, MessagingSettings{});
  SendBatcher batcher(ctx);

  constexpr std::size_t kSends = 3 * SendBatcher::kMaxBatch + 10;
  std::vector<BatchedSend> sends;
  for (std::size_t i = 0; i < kSends; ++i) sends.push_back(send_of(alice, group.id, "m" + std::to_string(i)));
  auto answers = write_together(batcher, std::move(sends));
  EXPECT_EQ(counting.max_open_transactions.load(), 2) << "the next batch overlaps the one committing, no more";

  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < kSends; ++i) {
    ASSERT_TRUE(answers[i]) << i;
    auto message = boost::json::parse(*answers[i]).as_object();
    EXPECT_EQ(message.at("body").as_string(), "m" + std::to_string(i));
    ids.push_back(message.at("id").as_int64());
    if (i > 0) {
      EXPECT_GT(ids[i], ids[i - 1]) << "ids ascend in the order the sends were queued";
    }
  }
  auto by_position = run(db_->execute(
      Query{"test.events_by_position",
            "SELECT CAST(payload ->> 'id' AS bigint) FROM events WHERE type = 'message.created' ORDER BY position"}));
  ASSERT_EQ(by_position.rows.size(), kSends);
  for (std::size_t i = 0; i < kSends; ++i) {
    EXPECT_EQ(by_position.rows[i].int64(0), ids[i]) << "events in the same order";
  }
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE position IS NULL"), 0) << "each batch numbered its own events";
}

TEST_P(SendBatcherTest, AFailedBatchHandsEverySendBackAndWritesNothing) {
  User alice = make_user("alice");
  Conversation group = make_group({alice.id});
  events::EventStream stream(*db_, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(*db_, stream, MessagingSettings{});
  SendBatcher batcher(ctx);

  // The insert fails: a body the table's CHECK refuses (the request's validation would have).
  auto at_insert =
      write_together(batcher, {send_of(alice, group.id, "fine"), send_of(alice, group.id, std::string(10001, 'x'))});
  EXPECT_FALSE(at_insert[0]);
  EXPECT_FALSE(at_insert[1]);
  // A held-back write fails at COMMIT: a mention of a user that does not exist.
  auto at_commit = write_together(
      batcher, {send_of(alice, group.id, "fine"), send_of(alice, group.id, "bad mention", std::nullopt, {987654})});
  EXPECT_FALSE(at_commit[0]);
  EXPECT_FALSE(at_commit[1]);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0);

  // The batcher goes on: the next batch is written.
  auto after = write_together(batcher, {send_of(alice, group.id, "later")});
  EXPECT_TRUE(after[0]);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 1);
}

// A send alone would be refused (not a member, no such conversation, archived, sender deleted):
// the batch's insert skips it and hands it back, and writes the others in queue order.
TEST_P(SendBatcherTest, ASendTheCheckRefusesIsHandedBackAndTheOthersAreWritten) {
  User alice = make_user("alice");
  User mallory = make_user("mallory");
  User banned = make_user("banned");
  Conversation group = make_group({alice.id, banned.id});
  run(db_->execute(Query{"test.ban", "UPDATE conversation_members SET banned_at = now() WHERE user_id = $1"},
                   std::vector<Value>{banned.id}));
  Conversation archived = make_group({alice.id}, "archived");
  run(db_->execute(Query{"test.archive", "UPDATE conversations SET archived_at = now() WHERE id = $1"},
                   std::vector<Value>{archived.id}));
  User ghost = mallory;
  ghost.id = 987654;  // a sender deleted since their request was authenticated: no membership left
  events::EventStream stream(*db_, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(*db_, stream, MessagingSettings{});
  SendBatcher batcher(ctx);

  auto answers = write_together(
      batcher, {send_of(alice, group.id, "one"), send_of(mallory, group.id, "not a member"),
                send_of(alice, 987654, "no such conversation"), send_of(alice, archived.id, "archived"),
                send_of(ghost, group.id, "deleted"), send_of(banned, group.id, "banned"), send_of(alice, group.id, "two")});
  ASSERT_TRUE(answers[0]);
  ASSERT_TRUE(answers[6]);
  for (std::size_t i = 1; i < 6; ++i) EXPECT_FALSE(answers[i]) << i;
  const auto one = boost::json::parse(*answers[0]).as_object().at("id").as_int64();
  const auto two = boost::json::parse(*answers[6]).as_object().at("id").as_int64();
  EXPECT_LT(one, two);
  EXPECT_EQ(count("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM events"), 2);
}

PARLEY_INSTANTIATE_REPO_TEST(SendBatcherTest);

}  // namespace
}  // namespace parley::messaging
