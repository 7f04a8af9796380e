// Parley's GraphQL schema over the real actions and a real database (SQLite and PostgreSQL): a
// page of messages with senders, reactions and attachments costs the same statements for 5
// messages as for 50; mutations go through the actions (their rules and errors); cursors page.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>


#include "api/graphql/parley_schema.hpp"
#include "core/error.hpp"
#include "db/repositories/counting_database.hpp"
#include "db/repositories/repo_test_fixture.hpp"
#include "events/event_stream.hpp"
#include "graphql/engine.hpp"
#include "graphql/printer.hpp"
#include "messaging/conversations.hpp"
#include "messaging/messages.hpp"

namespace parley::api::graphql {
namespace {

using namespace db;
using namespace db::repositories;
namespace json = boost::json;
namespace gql = parley::graphql;

class GraphqlSchemaTest : public RepoTest {
 protected:
  void SetUp() override {
    RepoTest::SetUp();
    if (IsSkipped()) return;
    counting_ = std::make_unique<CountingDatabase>(*db_);
    stream_ = std::make_unique<events::EventStream>(*counting_, bus_, io_.get_executor(), logger_);
    ctx_ = std::make_unique<messaging::MessagingContext>(*counting_, *stream_, messaging::MessagingSettings{});
    messages_service_ = std::make_unique<messaging::Messages>(*ctx_);
    conversations_service_ = std::make_unique<messaging::Conversations>(*ctx_);
    gql::EngineOptions options;
    options.map_exception = map_app_error;
    engine_ = std::make_unique<gql::Engine>(
        build_schema(Services{.database = *counting_,
                              .users = users_,
                              .conversations = *conversations_service_,
                              .messages = *messages_service_}),
        options);
  }

  // Runs `query` as `user` (none: anonymous) and returns the response.
  json::object execute(std::optional<std::int64_t> user, std::string query, json::object variables = {}) {
    RequestContext context;
    if (user) context.principal = http::Principal{.user_id = *user, .role = "member"};
    gql::Request request;
    request.query = std::move(query);
    request.variables = std::move(variables);
    request.context = &context;
    return run(engine_->execute(std::move(request)));
  }

  std::int64_t send(std::int64_t user, std::int64_t conversation, std::string body) {
    http::Principal by{.user_id = user, .role = "member"};
    auto sent = run(messages_service_->send(by, conversation, messaging::SendInput{.body = std::move(body)}));
    return json::parse(sent.json).as_object().at("id").as_int64();
  }

  spdlog::logger logger_{"graphql-schema", std::make_shared<spdlog::sinks::null_sink_mt>()};
  events::EventBus bus_{logger_};
  std::unique_ptr<CountingDatabase> counting_;
  std::unique_ptr<events::EventStream> stream_;
  std::unique_ptr<messaging::MessagingContext> ctx_;
  std::unique_ptr<messaging::Messages> messages_service_;
  std::unique_ptr<messaging::Conversations> conversations_service_;
  std::unique_ptr<gql::Engine> engine_;
};

constexpr const char* kPageQuery = R"(query Page($id: ID!) {
  conversation(id: $id) {
    id name memberCount
    messages(last: 50) {
      edges { cursor node { id body html createdAt sender { id username displayName }
                            reactions { emoji count me } attachments { id filename } mentions } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
})";

TEST_P(GraphqlSchemaTest, TheSdlBuildsAndPrintsTheRelayShapes) {
  auto printed = gql::print_schema(engine_->schema());
  EXPECT_NE(printed.find("sendMessage(input: SendMessageInput!): SendMessagePayload!"), std::string::npos);
  EXPECT_NE(printed.find("messages(first: Int, after: String, last: Int, before: String, parentId: ID)"),
            std::string::npos);
  EXPECT_NE(printed.find("scalar DateTime"), std::string::npos);
}

TEST_P(GraphqlSchemaTest, AMessagePageCostsTheSameStatementsForFiveAndFiftyMessages) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation small = make_group({alice.id, bob.id}, "small");
  Conversation big = make_group({alice.id, bob.id}, "big");
  for (int i = 0; i < 5; ++i) send(bob.id, small.id, "small " + std::to_string(i));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(send(i % 2 ? bob.id : alice.id, big.id, "big *" + std::to_string(i) + "*"));
  http::Principal as_alice{.user_id = alice.id, .role = "member"};
  for (int i = 0; i < 50; i += 3) run(messages_service_->react(as_alice, ids[static_cast<std::size_t>(i)], "thumbsup", true));

  auto count = [&](const Conversation& c, json::object& response) {
    counting_->statements = 0;
    response = execute(alice.id, kPageQuery, json::object{{"id", std::to_string(c.id)}});
    return counting_->statements.load();
  };
  json::object small_page, big_page;
  const int for_small = count(small, small_page);
  const int for_big = count(big, big_page);
  ASSERT_FALSE(big_page.contains("errors")) << json::serialize(big_page);
  const auto& edges = big_page.at("data").at("conversation").at("messages").at("edges").as_array();
  ASSERT_EQ(edges.size(), 50u);
  EXPECT_EQ(edges[0].at("node").at("body"), "big *0*");
  EXPECT_EQ(edges[0].at("node").at("sender").at("username"), "alice");
  EXPECT_EQ(edges[0].at("node").at("reactions").as_array().size(), 1u);
  EXPECT_EQ(edges[0].at("node").at("reactions").at(0).at("me"), true);
  EXPECT_EQ(edges[1].at("node").at("reactions").as_array().size(), 0u);
  EXPECT_EQ(edges[0].at("node").at("id"), json::value(std::to_string(ids[0])));  // IDs are strings
  EXPECT_EQ(small_page.at("data").at("conversation").at("messages").at("edges").as_array().size(), 5u);
  EXPECT_EQ(for_small, for_big);
  // The conversation; then the page: membership, messages, and the batch of senders, reactions,
  // mentions and attachments.
  EXPECT_LE(for_big, 8);
}

TEST_P(GraphqlSchemaTest, CursorsPageBothWays) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation group = make_group({alice.id, bob.id}, "g");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(send(bob.id, group.id, "m" + std::to_string(i)));
  auto page = [&](const std::string& args) {
    auto response = execute(alice.id, "query($id: ID!) { conversation(id: $id) { messages(" + args +
                                          ") { edges { cursor node { body } } pageInfo { hasNextPage hasPreviousPage "
                                          "endCursor startCursor } } } }",
                            json::object{{"id", std::to_string(group.id)}});
    EXPECT_FALSE(response.contains("errors")) << json::serialize(response);
    return response.at("data").at("conversation").at("messages").as_object();
  };
  auto first = page("first: 2");
  ASSERT_EQ(first.at("edges").as_array().size(), 2u);
  EXPECT_EQ(first.at("edges").at(0).at("node").at("body"), "m0");
  EXPECT_EQ(first.at("pageInfo").at("hasNextPage"), true);
  auto next = page("first: 2, after: " + json::serialize(first.at("pageInfo").at("endCursor")));
  EXPECT_EQ(next.at("edges").at(0).at("node").at("body"), "m2");
  auto last = page("last: 2");
  EXPECT_EQ(last.at("edges").at(1).at("node").at("body"), "m4");
  EXPECT_EQ(last.at("pageInfo").at("hasPreviousPage"), true);
  auto before = page("last: 2, before: " + json::serialize(last.at("pageInfo").at("startCursor")));
  EXPECT_EQ(before.at("edges").at(0).at("node").at("body"), "m1");

  auto bad = execute(alice.id, "query($id: ID!) { conversation(id: $id) { messages(first: 1, last: 1) { pageInfo { hasNextPage } } } }",
                     json::object{{"id", std::to_string(group.id)}});
  EXPECT_EQ(bad.at("errors").at(0).at("extensions").at("code"), "BAD_USER_INPUT");
  auto forged = execute(alice.id, "query($id: ID!) { conversation(id: $id) { messages(after: \"nope\") { pageInfo { hasNextPage } } } }",
                        json::object{{"id", std::to_string(group.id)}});
  EXPECT_EQ(forged.at("errors").at(0).at("extensions").at("code"), "BAD_USER_INPUT");
}

TEST_P(GraphqlSchemaTest, MutationsGoThroughTheActionsAndReportFieldErrorsInThePayload) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  User eve = make_user("eve");
  Conversation group = make_group({alice.id, bob.id}, "g");
  const std::string send = R"(mutation($input: SendMessageInput!) {
    sendMessage(input: $input) { message { id body html sender { username } } created errors { field messages } clientMutationId }
  })";
  json::object input{{"conversationId", std::to_string(group.id)}, {"body", "hello **there**"},
                     {"clientMsgId", "c-1"}, {"clientMutationId", "m1"}};
  auto sent = execute(alice.id, send, json::object{{"input", input}});
  ASSERT_FALSE(sent.contains("errors")) << json::serialize(sent);
  const auto& payload = sent.at("data").at("sendMessage");
  EXPECT_EQ(payload.at("message").at("body"), "hello **there**");
  EXPECT_NE(payload.at("message").at("html").as_string().find("<strong>there</strong>"), std::string::npos);
  EXPECT_EQ(payload.at("created"), true);
  EXPECT_EQ(payload.at("clientMutationId"), "m1");
  EXPECT_TRUE(payload.at("errors").as_array().empty());

  // The same clientMsgId: the original, not a duplicate.
  auto replay = execute(alice.id, send, json::object{{"input", input}});
  EXPECT_EQ(replay.at("data").at("sendMessage").at("created"), false);
  EXPECT_EQ(replay.at("data").at("sendMessage").at("message").at("id"), payload.at("message").at("id"));

  // Invalid input: DRF-shaped errors in the payload, camelCase field names, no message.
  input["clientMsgId"] = "has spaces";
  input.erase("body");
  auto invalid = execute(alice.id, send, json::object{{"input", input}});
  ASSERT_FALSE(invalid.contains("errors")) << json::serialize(invalid);
  const auto& errors = invalid.at("data").at("sendMessage").at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("field"), "body");
  EXPECT_EQ(errors[1].at("field"), "clientMsgId");
  EXPECT_TRUE(invalid.at("data").at("sendMessage").at("message").is_null());

  // Not a member: the action's 404, as a GraphQL error (mutation payloads are non-null: data is null).
  json::object intruder{{"conversationId", std::to_string(group.id)}, {"body", "hi"}};
  auto refused = execute(eve.id, send, json::object{{"input", intruder}});
  EXPECT_EQ(refused.at("errors").at(0).at("extensions").at("code"), "NOT_FOUND");
  EXPECT_EQ(refused.at("errors").at(0).at("extensions").at("status"), 404);

  // Anonymous: UNAUTHENTICATED.
  auto anonymous = execute(std::nullopt, "{ me { id } }");
  EXPECT_EQ(anonymous.at("errors").at(0).at("extensions").at("code"), "UNAUTHENTICATED");

  // Edit, react, read, delete.
  const std::string id(payload.at("message").at("id").as_string());
  auto edited = execute(alice.id, R"(mutation($id: ID!) { editMessage(input: {id: $id, body: "edited"}) { message { body editedAt } errors { field } } })",
                        json::object{{"id", id}});
  EXPECT_EQ(edited.at("data").at("editMessage").at("message").at("body"), "edited");
  auto reacted = execute(bob.id, R"(mutation($id: ID!) { addReaction(input: {messageId: $id, emoji: "thumbsup"}) { message { reactions { emoji count me } } } })",
                         json::object{{"id", id}});
  EXPECT_EQ(reacted.at("data").at("addReaction").at("message").at("reactions").at(0).at("count"), 1);
  auto read = execute(bob.id, R"(mutation($c: ID!, $m: ID!) { markRead(input: {conversationId: $c, messageId: $m}) { unread { unreadCount } } })",
                      json::object{{"c", std::to_string(group.id)}, {"m", id}});
  EXPECT_EQ(read.at("data").at("markRead").at("unread").at("unreadCount"), 0);
  auto by_bob = execute(bob.id, R"(mutation($id: ID!) { deleteMessage(input: {id: $id}) { deletedMessageId } })",
                        json::object{{"id", id}});
  EXPECT_EQ(by_bob.at("errors").at(0).at("extensions").at("status"), 403) << json::serialize(by_bob);
  auto deleted = execute(alice.id, R"(mutation($id: ID!) { deleteMessage(input: {id: $id}) { deletedMessageId } })",
                         json::object{{"id", id}});
  EXPECT_EQ(deleted.at("data").at("deleteMessage").at("deletedMessageId"), json::value(id));

  // me and conversations.
  auto me = execute(alice.id, "{ me { username email } conversations { edges { node { name myRole } } } }");
  ASSERT_FALSE(me.contains("errors")) << json::serialize(me);
  EXPECT_EQ(me.at("data").at("me").at("username"), "alice");
  EXPECT_EQ(me.at("data").at("conversations").at("edges").as_array().size(), 1u);
}

PARLEY_INSTANTIATE_REPO_TEST(GraphqlSchemaTest);

TEST(GraphqlNames, SnakeCaseKeysBecomeCamelCaseAtEveryDepth) {
  EXPECT_EQ(camel_case("client_msg_id"), "clientMsgId");
  EXPECT_EQ(camel_case("id"), "id");
  EXPECT_EQ(camel_case("non_field_errors"), "nonFieldErrors");
  auto out = camelize(json::parse(R"({"sender":{"display_name":"A"},"reactions":[{"me":true,"emoji_code":1}],"x_y":[1]})"));
  EXPECT_EQ(json::serialize(out), R"({"sender":{"displayName":"A"},"reactions":[{"me":true,"emojiCode":1}],"xY":[1]})");
}

TEST(GraphqlCursors, RoundTripAndRefuseForgeries) {
  EXPECT_EQ(encode_cursor("message", 42), "message:42");
  EXPECT_EQ(decode_cursor("message:42", "message", 1), std::vector<std::int64_t>{42});
  EXPECT_EQ(decode_cursor(encode_cursor("conversation", 7, 9), "conversation", 2), (std::vector<std::int64_t>{7, 9}));
  EXPECT_FALSE(decode_cursor("message:42", "conversation", 1));
  EXPECT_FALSE(decode_cursor("message:42:1", "message", 1));
  EXPECT_FALSE(decode_cursor("message:-1", "message", 1));
  EXPECT_FALSE(decode_cursor("message:", "message", 1));
  EXPECT_FALSE(decode_cursor("message:4x", "message", 1));
  EXPECT_FALSE(decode_cursor("message:99999999999999999999", "message", 1));
  EXPECT_FALSE(decode_cursor("messages:1", "message", 1));
}

TEST(GraphqlErrors, AppErrorsBecomeCodedErrorsAndOthersStayInternal) {
  auto not_found = map_app_error(std::make_exception_ptr(AppError::not_found()));
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->code(), "NOT_FOUND");
  EXPECT_EQ(not_found->extensions().at("status"), 404);
  auto throttled = map_app_error(std::make_exception_ptr(AppError::too_many_requests(7)));
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->code(), "THROTTLED");
  EXPECT_EQ(throttled->extensions().at("retryAfter"), "7");
  EXPECT_FALSE(map_app_error(std::make_exception_ptr(std::runtime_error("secret detail"))));
}

}  // namespace
}  // namespace parley::api::graphql
