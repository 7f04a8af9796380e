// The conversation list and the unread counts cost a constant number of statements however many
// conversations a user is in (issue 5: checked with 500), and a send costs the same statements
// whatever the number of members (issue 10), on SQLite and PostgreSQL.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "db/repositories/repo_test_fixture.hpp"
#include "events/event_stream.hpp"
#include "messaging/conversations.hpp"
#include "messaging/messages.hpp"

namespace parley::messaging {
namespace {

using namespace db;
using namespace db::repositories;

// Forwards to a real transaction and counts its statements into `statements`.
class CountingTransaction final : public Transaction {
 public:
  CountingTransaction(std::unique_ptr<Transaction> inner, std::atomic<int>& statements)
      : inner_(std::move(inner)), statements_(statements) {}
  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    ++statements_;
    co_return co_await inner_->execute(query, params);
  }
  boost::asio::awaitable<void> commit() override {
    ++statements_;
    co_await inner_->commit();
  }
  boost::asio::awaitable<void> rollback() override {
    ++statements_;
    co_await inner_->rollback();
  }

 private:
  std::unique_ptr<Transaction> inner_;
  std::atomic<int>& statements_;
};

// Forwards to a real database and counts every statement sent through it, in transactions too.
class CountingDatabase final : public Database {
 public:
  explicit CountingDatabase(Database& inner) : inner_(inner) {}
  std::atomic<int> statements{0};

  Dialect dialect() const noexcept override { return inner_.dialect(); }
  boost::asio::awaitable<ResultSet> execute(Query query, Params params) override {
    ++statements;
    co_return co_await inner_.execute(query, params);
  }
  boost::asio::awaitable<std::unique_ptr<Transaction>> begin(Isolation isolation) override {
    ++statements;
    auto tx = co_await inner_.begin(isolation);
    co_return std::make_unique<CountingTransaction>(std::move(tx), statements);
  }
  boost::asio::awaitable<void> stream(
      Query query, Params params, std::size_t batch_size,
      std::function<boost::asio::awaitable<void>(std::vector<Row>&)> on_batch) override {
    ++statements;
    co_await inner_.stream(query, params, batch_size, on_batch);
  }
  boost::asio::awaitable<void> ping() override { co_await inner_.ping(); }
  void close() override {}

 private:
  Database& inner_;
};

class QueryCountTest : public RepoTest {
 protected:
  spdlog::logger logger_{"query-count", std::make_shared<spdlog::sinks::null_sink_mt>()};
  events::EventBus bus_{logger_};

  // `n` groups of `owner` and `other`, each with one message by `other`, in one transaction.
  void make_conversations(const User& owner, const User& other, int n) {
    run([&]() -> boost::asio::awaitable<void> {
      auto tx = co_await db_->begin();
      for (int i = 0; i < n; ++i) {
        NewConversation group{.kind = "group", .name = "g" + std::to_string(i), .created_by = owner.id};
        auto c = co_await conversations_.create(*tx, group);
        co_await members_.add(*tx, c.id, owner.id, "owner");
        co_await members_.add(*tx, c.id, other.id, "member");
        NewMessage message{.conversation_id = c.id, .sender_id = other.id, .body = "hi", .html = "<p>hi</p>"};
        co_await messages_.insert(*tx, message);
      }
      co_await tx->commit();
    }());
  }

  int statements_for(const User& user, CountingDatabase& counting, Conversations& service) {
    http::Principal by{.user_id = user.id, .role = "member"};
    counting.statements = 0;
    auto page = run(service.list(by, std::nullopt, "", std::nullopt, 200));
    auto unread = run(service.unread(by));
    EXPECT_FALSE(page.conversations.empty());
    EXPECT_FALSE(unread.empty());
    for (const auto& s : page.conversations) EXPECT_EQ(s.unread_count, 1);
    return counting.statements.load();
  }
};

TEST_P(QueryCountTest, ListAndUnreadAreConstantInTheNumberOfConversations) {
  User many = make_user("many");
  User few = make_user("few");
  User other = make_user("other");
  make_conversations(many, other, 500);
  make_conversations(few, other, 3);
  CountingDatabase counting(*db_);
  events::EventStream stream(counting, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(counting, stream, MessagingSettings{});
  Conversations service(ctx);
  const int for_few = statements_for(few, counting, service);
  const int for_many = statements_for(many, counting, service);
  EXPECT_EQ(for_few, for_many);
  EXPECT_LE(for_many, 2);  // one statement for the page, one for the unread counts
  http::Principal by{.user_id = many.id, .role = "member"};
  auto unread = run(service.unread(by));
  EXPECT_EQ(unread.size(), 500u);
}

TEST_P(QueryCountTest, ASendCostsTheSameStatementsWhateverTheAudience) {
  std::vector<std::int64_t> many_ids, few_ids;
  for (int i = 0; i < 300; ++i) many_ids.push_back(make_user("u" + std::to_string(i)).id);
  few_ids = {many_ids[0], many_ids[1]};
  Conversation two = make_group(few_ids, "two");
  Conversation crowd = make_group(many_ids, "crowd");
  CountingDatabase counting(*db_);
  events::EventStream stream(counting, bus_, io_.get_executor(), logger_);
  MessagingContext ctx(counting, stream, MessagingSettings{});
  Messages messages(ctx);
  http::Principal by{.user_id = many_ids[0], .role = "member"};
  auto count = [&](const Conversation& c) {
    counting.statements = 0;
    auto sent = run(messages.send(by, c.id, SendInput{.body = "hello *all*"}));
    EXPECT_TRUE(sent.created);
    return counting.statements.load();
  };
  const int for_two = count(two);
  const int for_crowd = count(crowd);
  EXPECT_EQ(for_two, for_crowd);
  // BEGIN, the conversation with the caller's membership, the insert, the sender, the read
  // marker, the event, COMMIT.
  EXPECT_LE(for_crowd, 7);
}

PARLEY_INSTANTIATE_REPO_TEST(QueryCountTest);

}  // namespace
}  // namespace parley::messaging
