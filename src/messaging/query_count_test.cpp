// The conversation list and the unread counts cost a constant number of statements however many
// conversations a user is in (issue 5: checked with 500), and a send costs the same statements
// whatever the number of members (issue 10), on SQLite and PostgreSQL.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>


#include "cache/memory_backend.hpp"
#include "core/error.hpp"
#include "db/repositories/counting_database.hpp"
#include "db/repositories/repo_test_fixture.hpp"
#include "events/event_stream.hpp"
#include "messaging/conversations.hpp"
#include "messaging/messages.hpp"

namespace parley::messaging {
namespace {

using namespace db;
using namespace db::repositories;

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
  // SQLite: BEGIN, the conversation with the caller's membership, the sender, the insert, the
  // read marker, the event, COMMIT. PostgreSQL, where the send is a batch of one
  // (send_batcher_test.cpp): BEGIN, the SET LOCAL of generic plans, the insert that checks the
  // membership, the sender, the read marker, the event, COMMIT.
  EXPECT_LE(for_crowd, 7);
}

// The message page through the cache: a repeated read costs no statement; every write through an
// action is visible to the very next read (never a stale page after the write returned), and so
// is a membership change.
TEST_P(QueryCountTest, ACachedPageCostsNoStatementAndNoWriteLeavesItStale) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation group = make_group({bob.id, alice.id});  // bob owns it
  CountingDatabase counting(*db_);
  events::EventStream stream(counting, bus_, io_.get_executor(), logger_);
  prometheus::Registry registry;
  cache::Cache cache(std::make_unique<cache::MemoryBackend>(cache::MemoryBackend::Options{}), registry, logger_);
  MessagingContext ctx(counting, stream, MessagingSettings{},
                       MessagingCache{.cache = &cache, .pages = cache.stats("message_pages"), .ttl = std::chrono::minutes(1)});
  Messages messages(ctx);
  Conversations conversations(ctx);
  http::Principal as_alice{.user_id = alice.id, .role = "member"};
  http::Principal as_bob{.user_id = bob.id, .role = "member"};
  auto first = run(messages.send(as_bob, group.id, SendInput{.body = "first"}));
  db::repositories::PageQuery query;
  auto page_of = [&](const http::Principal& by, int& statements) {
    counting.statements = 0;
    auto json = run(messages.page(by, group.id, query));
    statements = counting.statements.load();
    return json;
  };
  int uncached = 0, cached = 0;
  auto before = page_of(as_alice, uncached);
  EXPECT_EQ(page_of(as_alice, cached), before);
  // The membership, the page, and the batch of senders, reactions, mentions and attachments.
  EXPECT_EQ(uncached, 6);
  EXPECT_EQ(cached, 0);
  EXPECT_EQ(cache.stats("message_pages").hits->Value(), 1);

  // A send: the next page has it.
  auto sent = run(messages.send(as_bob, group.id, SendInput{.body = "second"}));
  int statements = 0;
  auto after_send = page_of(as_alice, statements);
  EXPECT_NE(after_send.find("second"), std::string::npos);
  EXPECT_GT(statements, 0);
  auto id_of = [](const std::string& json) { return boost::json::parse(json).as_object().at("id").as_int64(); };
  const auto second_id = id_of(sent.json);
  const auto first_id = id_of(first.json);

  // A reaction: `me` differs by viewer, and both see the count at once.
  page_of(as_bob, statements);  // bob's page cached too
  run(messages.react(as_alice, second_id, "thumbsup", true));
  auto alice_page = boost::json::parse(page_of(as_alice, statements));
  auto bob_page = boost::json::parse(page_of(as_bob, statements));
  auto reactions_of = [&](const boost::json::value& page) {
    return page.at("results").as_array().back().at("reactions").as_array();
  };
  ASSERT_EQ(reactions_of(alice_page).size(), 1u);
  EXPECT_EQ(reactions_of(alice_page)[0].at("me"), true);
  ASSERT_EQ(reactions_of(bob_page).size(), 1u);
  EXPECT_EQ(reactions_of(bob_page)[0].at("me"), false);

  // An edit and a delete.
  run(messages.edit(as_bob, second_id, "second, edited"));
  EXPECT_NE(page_of(as_alice, statements).find("second, edited"), std::string::npos);
  run(messages.remove(as_bob, first_id));
  auto after_delete = boost::json::parse(page_of(as_alice, statements));
  EXPECT_EQ(after_delete.at("results").as_array().front().at("deleted"), true);

  // Removed from the conversation: 404 at once, though the page was cached a moment ago.
  page_of(as_alice, statements);
  EXPECT_EQ(statements, 0);
  run(conversations.remove_member(as_bob, group.id, alice.id, false));
  try {
    page_of(as_alice, statements);
    ADD_FAILURE() << "a removed member still reads the page";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 404);
  }
}

PARLEY_INSTANTIATE_REPO_TEST(QueryCountTest);

}  // namespace
}  // namespace parley::messaging
