// Parley's GraphQL schema over the real actions and a real database (SQLite and PostgreSQL): a
// page of messages with senders, reactions and attachments costs the same statements for 5
// messages as for 50; mutations go through the actions (their rules and errors); cursors page.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>


#include "accounts/accounts.hpp"
#include "accounts/credential_cache.hpp"
#include "accounts/credential_invalidator.hpp"
#include "accounts/personal_tokens.hpp"
#include "api/graphql/parley_schema.hpp"
#include "auth/jwt.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "db/repositories/counting_database.hpp"
#include "db/repositories/repo_test_fixture.hpp"
#include "events/event_stream.hpp"
#include "graphql/engine.hpp"
#include "graphql/printer.hpp"
#include "messaging/conversations.hpp"
#include "messaging/incoming_webhooks.hpp"
#include "messaging/messages.hpp"
#include "ratelimit/throttle_store.hpp"

#include <chrono>

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
    incoming_webhooks_ = std::make_unique<messaging::IncomingWebhooks>(*ctx_, *messages_service_);
    invalidator_ = std::make_unique<accounts::CredentialInvalidator>(
        credential_cache_, [](std::string) -> boost::asio::awaitable<void> { co_return; }, logger_);
    config_.password_hash_threads = 1;
    accounts_ = std::make_unique<accounts::Accounts>(config_, *counting_, auth::KeySet::generate(), logger_,
                                                     *invalidator_, throttle_store_);
    tokens_ = std::make_unique<accounts::PersonalTokens>(*counting_, *invalidator_);
    gql::EngineOptions options;
    options.map_exception = map_app_error;
    engine_ = std::make_unique<gql::Engine>(
        build_schema(Services{.database = *counting_,
                              .users = users_,
                              .conversations = *conversations_service_,
                              .messages = *messages_service_,
                              .accounts = accounts_.get(),
                              .personal_tokens = tokens_.get(),
                              .incoming_webhooks = incoming_webhooks_.get(),
                              .public_url = "https://chat.example.com"}),
        options);
  }

  // Runs `query` as `user` (none: anonymous) with `role`, and returns the response.
  json::object execute(std::optional<std::int64_t> user, std::string query, json::object variables = {},
                       std::string role = "member") {
    RequestContext context;
    if (user) context.principal = http::Principal{.user_id = *user, .role = std::move(role)};
    gql::Request request;
    request.query = std::move(query);
    request.variables = std::move(variables);
    request.context = &context;
    return run(engine_->execute(std::move(request)));
  }

  std::int64_t send_as(std::int64_t user, std::int64_t conversation, std::string body) { return send(user, conversation, std::move(body)); }

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
  std::unique_ptr<messaging::IncomingWebhooks> incoming_webhooks_;
  accounts::CredentialCache credential_cache_{{.capacity = 100, .max_ttl = std::chrono::seconds(60)}};
  std::unique_ptr<accounts::CredentialInvalidator> invalidator_;
  ratelimit::InMemoryThrottleStore throttle_store_;
  Config config_;
  std::unique_ptr<accounts::Accounts> accounts_;
  std::unique_ptr<accounts::PersonalTokens> tokens_;
  std::unique_ptr<gql::Engine> engine_;
};

// The payload of mutation `name` in `response` (a copy: responses are temporaries), after checking
// there is no GraphQL error.
json::object payload_of(const json::object& response, const char* name) {
  EXPECT_FALSE(response.contains("errors")) << json::serialize(response);
  if (!response.contains("data") || !response.at("data").is_object()) return {};
  return response.at("data").at(name).as_object();
}

// The fields named by the payload's `errors`, in order.
std::vector<std::string> error_fields(const json::object& payload) {
  std::vector<std::string> out;
  if (!payload.contains("errors")) return out;
  for (const auto& e : payload.at("errors").as_array()) out.emplace_back(e.at("field").as_string());
  return out;
}

std::string code_of(const json::object& response) {
  if (!response.contains("errors")) return "(no error)";
  return std::string(response.at("errors").at(0).at("extensions").at("code").as_string());
}

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

// conversation(id) { messages } checks the conversation once: it costs the statements of
// Messages::list alone (REST's page), and a conversation the caller may not see is still
// NOT_FOUND at ["conversation"].
TEST_P(GraphqlSchemaTest, AConversationsMessagesCostWhatTheRestPageCosts) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  User carol = make_user("carol");
  Conversation group = make_group({alice.id, bob.id}, "g");
  for (int i = 0; i < 3; ++i) send(bob.id, group.id, "m" + std::to_string(i));
  http::Principal as_alice{.user_id = alice.id, .role = "member"};
  counting_->statements = 0;
  run(messages_service_->list(as_alice, group.id, db::repositories::PageQuery{}));
  const int rest = counting_->statements.load();

  const std::string query = R"(query($id: ID!) { conversation(id: $id) { id messages(last: 50) { edges { node { id body } } } } })";
  counting_->statements = 0;
  auto page = execute(alice.id, query, json::object{{"id", std::to_string(group.id)}});
  EXPECT_EQ(counting_->statements.load(), rest);
  ASSERT_FALSE(page.contains("errors")) << json::serialize(page);
  EXPECT_EQ(page.at("data").at("conversation").at("messages").at("edges").as_array().size(), 3u);

  auto hidden = execute(carol.id, query, json::object{{"id", std::to_string(group.id)}});
  EXPECT_EQ(hidden.at("data").at("conversation"), nullptr);
  EXPECT_EQ(code_of(hidden), "NOT_FOUND");
  EXPECT_EQ(hidden.at("errors").at(0).at("path"), json::parse(R"(["conversation"])"));
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

TEST_P(GraphqlSchemaTest, UserAndUsersApplyTheDirectoryRulesOfRest) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  User guest = make_user("gus");
  User carol = make_user("carol");
  make_group({alice.id, guest.id}, "with the guest");
  run(users_.deactivate(*db_, carol.id));
  const std::string one = "query($id: ID!) { user(id: $id) { id username email isActive } }";

  // The email: the user themself and admins only.
  auto as_alice = execute(alice.id, one, json::object{{"id", std::to_string(bob.id)}});
  ASSERT_FALSE(as_alice.contains("errors")) << json::serialize(as_alice);
  EXPECT_EQ(as_alice.at("data").at("user").at("username"), "bob");
  EXPECT_TRUE(as_alice.at("data").at("user").at("email").is_null());
  auto as_bob = execute(bob.id, one, json::object{{"id", std::to_string(bob.id)}});
  EXPECT_EQ(as_bob.at("data").at("user").at("email"), "bob@example.com");
  auto as_admin = execute(alice.id, one, json::object{{"id", std::to_string(bob.id)}}, "admin");
  EXPECT_EQ(as_admin.at("data").at("user").at("email"), "bob@example.com");
  // Deactivated users are shown (as REST does); unknown ones are NOT_FOUND.
  auto deactivated = execute(alice.id, one, json::object{{"id", std::to_string(carol.id)}});
  EXPECT_EQ(deactivated.at("data").at("user").at("isActive"), false);
  EXPECT_EQ(code_of(execute(alice.id, one, json::object{{"id", "999999"}})), "NOT_FOUND");
  EXPECT_EQ(code_of(execute(std::nullopt, one, json::object{{"id", std::to_string(bob.id)}})), "UNAUTHENTICATED");

  // The directory pages by id with cursors; `query` filters; emails for admins only.
  const std::string page = R"(query($after: String, $q: String) {
    users(first: 2, after: $after, query: $q) { edges { cursor node { username email } } pageInfo { hasNextPage hasPreviousPage endCursor } }
  })";
  auto first = execute(alice.id, page);
  ASSERT_FALSE(first.contains("errors")) << json::serialize(first);
  const auto& users = first.at("data").at("users").as_object();
  ASSERT_EQ(users.at("edges").as_array().size(), 2u);
  EXPECT_EQ(users.at("edges").at(0).at("node").at("username"), "alice");
  EXPECT_TRUE(users.at("edges").at(0).at("node").at("email").is_null());
  EXPECT_EQ(users.at("pageInfo").at("hasNextPage"), true);
  EXPECT_EQ(users.at("pageInfo").at("hasPreviousPage"), false);
  auto second = execute(alice.id, page, json::object{{"after", users.at("pageInfo").at("endCursor")}});
  const auto& rest = second.at("data").at("users").as_object();
  ASSERT_EQ(rest.at("edges").as_array().size(), 2u);
  EXPECT_EQ(rest.at("edges").at(0).at("node").at("username"), "gus");
  EXPECT_EQ(rest.at("pageInfo").at("hasNextPage"), false);
  EXPECT_EQ(rest.at("pageInfo").at("hasPreviousPage"), true);
  auto filtered = execute(alice.id, page, json::object{{"q", "CAR"}}, "admin");
  ASSERT_EQ(filtered.at("data").at("users").at("edges").as_array().size(), 1u);
  EXPECT_EQ(filtered.at("data").at("users").at("edges").at(0).at("node").at("email"), "carol@example.com");
  // A guest sees only themself and the people they share a conversation with.
  auto as_guest = execute(guest.id, page, json::object{}, "guest");
  ASSERT_FALSE(as_guest.contains("errors")) << json::serialize(as_guest);
  const auto& seen = as_guest.at("data").at("users").at("edges").as_array();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen.at(0).at("node").at("username"), "alice");
  EXPECT_EQ(seen.at(1).at("node").at("username"), "gus");
  EXPECT_EQ(code_of(execute(alice.id, page, json::object{{"after", "user:x"}})), "BAD_USER_INPUT");
}

TEST_P(GraphqlSchemaTest, AUsersPageCostsTheSameStatementsForThreeAndThirtyUsers) {
  User alice = make_user("alice");
  for (int i = 0; i < 40; ++i) make_user("user" + std::to_string(i));
  auto count = [&](int first) {
    counting_->statements = 0;
    auto response = execute(alice.id, "query($n: Int) { users(first: $n) { edges { node { id username displayName role isActive createdAt lastSeenAt } } pageInfo { hasNextPage } } }",
                            json::object{{"n", first}});
    EXPECT_FALSE(response.contains("errors")) << json::serialize(response);
    EXPECT_EQ(response.at("data").at("users").at("edges").as_array().size(), static_cast<std::size_t>(first));
    return counting_->statements.load();
  };
  const int for_three = count(3);
  const int for_thirty = count(30);
  EXPECT_EQ(for_three, for_thirty);
  EXPECT_EQ(for_thirty, 1);  // one search statement, whatever the page size
}

TEST_P(GraphqlSchemaTest, MessageInputRulesAreTheActionsAndComeBackAsPayloadErrors) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation group = make_group({alice.id, bob.id}, "g");
  const std::string send = R"(mutation($input: SendMessageInput!) {
    sendMessage(input: $input) { message { id } errors { field messages } }
  })";
  json::object input{{"conversationId", std::to_string(group.id)}, {"body", std::string(10'001, 'x')},
                     {"clientMsgId", std::string(65, 'c')}, {"attachmentIds", json::array{"7", "7"}}};
  const auto& refused = payload_of(execute(alice.id, send, json::object{{"input", input}}), "sendMessage");
  EXPECT_EQ(error_fields(refused), (std::vector<std::string>{"attachmentIds", "body", "clientMsgId"}));
  EXPECT_EQ(refused.at("errors").at(1).at("messages").at(0), "Ensure this field has no more than 10000 characters.");
  EXPECT_EQ(refused.at("errors").at(2).at("messages").at(0), "Ensure this field has no more than 64 characters.");
  EXPECT_EQ(refused.at("errors").at(0).at("messages").at(0), "Duplicate values are not allowed.");
  json::object blank{{"conversationId", std::to_string(group.id)}, {"body", "  "}};
  const auto& blank_payload = payload_of(execute(alice.id, send, json::object{{"input", blank}}), "sendMessage");
  EXPECT_EQ(blank_payload.at("errors").at(0).at("messages").at(0), "This field may not be blank.");

  const auto id = send_as(alice.id, group.id, "hello");
  auto edit = execute(alice.id, R"(mutation($id: ID!) { editMessage(input: {id: $id, body: ""}) { message { id } errors { field messages } } })",
                      json::object{{"id", std::to_string(id)}});
  EXPECT_EQ(error_fields(payload_of(edit, "editMessage")), std::vector<std::string>{"body"});
  auto react = execute(bob.id, R"(mutation($id: ID!) { addReaction(input: {messageId: $id, emoji: "not an emoji"}) { message { id } errors { field messages } } })",
                       json::object{{"id", std::to_string(id)}});
  const auto& reacted = payload_of(react, "addReaction");
  EXPECT_EQ(error_fields(reacted), std::vector<std::string>{"emoji"});
  EXPECT_EQ(reacted.at("errors").at(0).at("messages").at(0),
            "The emoji must be a shortcode like thumbsup or an emoji sequence.");
}

TEST_P(GraphqlSchemaTest, ConversationAndMemberMutationsGoThroughTheActions) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  User carol = make_user("carol");
  User eve = make_user("eve");
  const std::string create = R"(mutation($input: CreateConversationInput!) {
    createConversation(input: $input) { conversation { id kind name topic visibility myRole memberCount } created errors { field messages } clientMutationId }
  })";
  json::object input{{"kind", "GROUP"}, {"name", "launch"}, {"topic", "the plan"},
                     {"memberIds", json::array{std::to_string(bob.id)}}, {"clientMutationId", "c1"}};
  const auto& created = payload_of(execute(alice.id, create, json::object{{"input", input}}), "createConversation");
  ASSERT_TRUE(created.at("conversation").is_object()) << json::serialize(created);
  EXPECT_EQ(created.at("conversation").at("kind"), "group");
  EXPECT_EQ(created.at("conversation").at("myRole"), "owner");
  EXPECT_EQ(created.at("conversation").at("memberCount"), 2);
  EXPECT_EQ(created.at("created"), true);
  EXPECT_EQ(created.at("clientMutationId"), "c1");
  const std::string group(created.at("conversation").at("id").as_string());

  // The reader's rules, as payload errors in camelCase (memberIds.0: an id that is not one).
  json::object bad{{"kind", "CHANNEL"}, {"name", std::string(81, 'n')}, {"memberIds", json::array{"x"}}};
  const auto& refused = payload_of(execute(alice.id, create, json::object{{"input", bad}}), "createConversation");
  EXPECT_EQ(error_fields(refused), (std::vector<std::string>{"memberIds.0", "name"}));
  EXPECT_EQ(refused.at("errors").at(1).at("messages").at(0), "Ensure this field has no more than 80 characters.");
  EXPECT_TRUE(refused.at("conversation").is_null());

  // A direct conversation again: the existing one, created false.
  json::object direct{{"kind", "DIRECT"}, {"memberIds", json::array{std::to_string(bob.id)}}};
  const auto& d1 = payload_of(execute(alice.id, create, json::object{{"input", direct}}), "createConversation");
  const auto& d2 = payload_of(execute(alice.id, create, json::object{{"input", direct}}), "createConversation");
  EXPECT_EQ(d2.at("created"), false);
  EXPECT_EQ(d2.at("conversation").at("id"), d1.at("conversation").at("id"));

  // Rename: owners and admins only; others' conversations are NOT_FOUND.
  const std::string update = R"(mutation($id: ID!, $name: String) { updateConversation(input: {id: $id, name: $name}) { conversation { name } errors { field messages } } })";
  auto renamed = execute(alice.id, update, json::object{{"id", group}, {"name", "  liftoff "}});
  EXPECT_EQ(payload_of(renamed, "updateConversation").at("conversation").at("name"), "liftoff");
  EXPECT_EQ(code_of(execute(bob.id, update, json::object{{"id", group}, {"name", "mine"}})), "PERMISSION_DENIED");
  EXPECT_EQ(code_of(execute(eve.id, update, json::object{{"id", group}, {"name", "mine"}})), "NOT_FOUND");
  auto blank = execute(alice.id, update, json::object{{"id", group}, {"name", ""}});
  EXPECT_EQ(error_fields(payload_of(blank, "updateConversation")), std::vector<std::string>{"name"});

  // Members: add, change the role, refuse an OWNER added, remove.
  const std::string add = R"(mutation($c: ID!, $u: [ID!]!, $r: MemberRole) { addMembers(input: {conversationId: $c, userIds: $u, role: $r}) { members { user { username email } role } errors { field messages } } })";
  auto added = execute(alice.id, add, json::object{{"c", group}, {"u", json::array{std::to_string(carol.id)}}});
  const json::array members = payload_of(added, "addMembers").at("members").as_array();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members.at(0).at("user").at("username"), "carol");
  EXPECT_TRUE(members.at(0).at("user").at("email").is_null());
  auto as_owner = execute(alice.id, add, json::object{{"c", group}, {"u", json::array{std::to_string(eve.id)}}, {"r", "OWNER"}});
  EXPECT_EQ(error_fields(payload_of(as_owner, "addMembers")), std::vector<std::string>{"role"});
  auto role = execute(alice.id, R"(mutation($c: ID!, $u: ID!) { changeMemberRole(input: {conversationId: $c, userId: $u, role: ADMIN}) { member { role user { id } } } })",
                      json::object{{"c", group}, {"u", std::to_string(carol.id)}});
  EXPECT_EQ(payload_of(role, "changeMemberRole").at("member").at("role"), "admin");
  auto by_bob = execute(bob.id, R"(mutation($c: ID!, $u: ID!) { removeMember(input: {conversationId: $c, userId: $u}) { removedUserId } })",
                        json::object{{"c", group}, {"u", std::to_string(carol.id)}});
  EXPECT_EQ(code_of(by_bob), "PERMISSION_DENIED");
  auto removed = execute(alice.id, R"(mutation($c: ID!, $u: ID!) { removeMember(input: {conversationId: $c, userId: $u, ban: true}) { removedUserId } })",
                         json::object{{"c", group}, {"u", std::to_string(carol.id)}});
  EXPECT_EQ(payload_of(removed, "removeMember").at("removedUserId"), json::value(std::to_string(carol.id)));

  // Leave, archive; a public channel to join.
  auto left = execute(bob.id, R"(mutation($id: ID!) { leaveConversation(input: {id: $id}) { leftConversationId } })",
                      json::object{{"id", group}});
  EXPECT_EQ(payload_of(left, "leaveConversation").at("leftConversationId"), json::value(group));
  auto archived = execute(alice.id, R"(mutation($id: ID!) { archiveConversation(input: {id: $id}) { archivedConversationId } })",
                          json::object{{"id", group}});
  EXPECT_EQ(payload_of(archived, "archiveConversation").at("archivedConversationId"), json::value(group));
  json::object channel{{"kind", "CHANNEL"}, {"name", "general"}, {"visibility", "PUBLIC"}};
  const auto& made = payload_of(execute(alice.id, create, json::object{{"input", channel}}), "createConversation");
  const std::string general(made.at("conversation").at("id").as_string());
  EXPECT_EQ(made.at("conversation").at("visibility"), "public");
  auto joined = execute(eve.id, R"(mutation($id: ID!) { joinConversation(input: {id: $id}) { conversation { myRole memberCount } } })",
                        json::object{{"id", general}});
  EXPECT_EQ(payload_of(joined, "joinConversation").at("conversation").at("myRole"), "member");
  // A guest may not join: the action refuses, as REST's 403.
  User gus = make_user("gus");
  EXPECT_EQ(code_of(execute(gus.id, R"(mutation($id: ID!) { joinConversation(input: {id: $id}) { conversation { id } } })",
                            json::object{{"id", general}}, "guest")),
            "PERMISSION_DENIED");
}

TEST_P(GraphqlSchemaTest, AccountTokenAndIncomingWebhookMutationsGoThroughTheActions) {
  User alice = make_user("alice");
  User bob = make_user("bob");
  Conversation group = make_group({alice.id, bob.id}, "g");

  // Profile and settings.
  auto profile = execute(alice.id, R"(mutation { updateProfile(input: {displayName: " Alice L. ", clientMutationId: "p"}) { user { displayName email } errors { field } clientMutationId } })");
  const auto& changed = payload_of(profile, "updateProfile");
  EXPECT_EQ(changed.at("user").at("displayName"), "Alice L.");
  EXPECT_EQ(changed.at("user").at("email"), "alice@example.com");
  EXPECT_EQ(changed.at("clientMutationId"), "p");
  auto bad_email = execute(alice.id, R"(mutation { updateProfile(input: {email: "nope"}) { user { id } errors { field } } })");
  EXPECT_EQ(error_fields(payload_of(bad_email, "updateProfile")), std::vector<std::string>{"email"});
  auto password = execute(alice.id, R"(mutation { changePassword(input: {currentPassword: "wrong", password: "a much longer passphrase 42"}) { user { id } errors { field messages } } })");
  EXPECT_EQ(error_fields(payload_of(password, "changePassword")), std::vector<std::string>{"currentPassword"});
  auto settings = execute(alice.id, R"(mutation { updateSettings(input: {emailNotifications: "mentions", timezone: "Europe/Paris"}) { settings { emailNotifications timezone } errors { field } } })");
  EXPECT_EQ(payload_of(settings, "updateSettings").at("settings").at("timezone"), "Europe/Paris");
  auto bad_settings = execute(alice.id, R"(mutation { updateSettings(input: {emailNotifications: "sometimes", timezone: "not a zone"}) { settings { timezone } errors { field } } })");
  EXPECT_EQ(error_fields(payload_of(bad_settings, "updateSettings")),
            (std::vector<std::string>{"emailNotifications", "timezone"}));

  // Personal tokens: the secret once; revoking someone else's is NOT_FOUND.
  auto token = execute(alice.id, R"(mutation { createPersonalToken(input: {name: "ci", scopes: ["read", "write"], expiresInDays: 30}) { personalToken { id name scopes expiresAt } token errors { field } } })");
  const auto& minted = payload_of(token, "createPersonalToken");
  ASSERT_TRUE(minted.at("personalToken").is_object()) << json::serialize(minted);
  EXPECT_EQ(std::string(minted.at("token").as_string()).substr(0, 4), "pat_");
  EXPECT_FALSE(minted.at("personalToken").at("expiresAt").is_null());
  const std::string token_id(minted.at("personalToken").at("id").as_string());
  auto bad_scopes = execute(alice.id, R"(mutation { createPersonalToken(input: {name: "x", scopes: ["read", "read"]}) { token errors { field messages } } })");
  EXPECT_EQ(error_fields(payload_of(bad_scopes, "createPersonalToken")), std::vector<std::string>{"scopes"});
  auto admin_scope = execute(alice.id, R"(mutation { createPersonalToken(input: {name: "x", scopes: ["admin"]}) { token } })");
  EXPECT_EQ(code_of(admin_scope), "PERMISSION_DENIED");
  const std::string revoke = R"(mutation($id: ID!) { revokePersonalToken(input: {id: $id}) { revokedTokenId } })";
  EXPECT_EQ(code_of(execute(bob.id, revoke, json::object{{"id", token_id}})), "NOT_FOUND");
  auto revoked = execute(alice.id, revoke, json::object{{"id", token_id}});
  EXPECT_EQ(payload_of(revoked, "revokePersonalToken").at("revokedTokenId"), json::value(token_id));

  // Incoming webhooks: owners and admins of the conversation.
  const std::string create_hook = R"(mutation($c: ID!, $name: String!) { createIncomingWebhook(input: {conversationId: $c, name: $name}) { incomingWebhook { id name bot { username } } token url errors { field } } })";
  EXPECT_EQ(code_of(execute(bob.id, create_hook, json::object{{"c", std::to_string(group.id)}, {"name", "CI"}})),
            "PERMISSION_DENIED");
  auto blank_hook = execute(alice.id, create_hook, json::object{{"c", std::to_string(group.id)}, {"name", " "}});
  EXPECT_EQ(error_fields(payload_of(blank_hook, "createIncomingWebhook")), std::vector<std::string>{"name"});
  auto hook = execute(alice.id, create_hook, json::object{{"c", std::to_string(group.id)}, {"name", "CI"}});
  const auto& made = payload_of(hook, "createIncomingWebhook");
  ASSERT_TRUE(made.at("incomingWebhook").is_object()) << json::serialize(made);
  EXPECT_EQ(made.at("url"), json::value("https://chat.example.com/hooks/" + std::string(made.at("token").as_string())));
  auto gone = execute(alice.id, R"(mutation($c: ID!, $id: ID!) { revokeIncomingWebhook(input: {conversationId: $c, id: $id}) { revokedIncomingWebhookId } })",
                      json::object{{"c", std::to_string(group.id)}, {"id", made.at("incomingWebhook").at("id")}});
  EXPECT_EQ(payload_of(gone, "revokeIncomingWebhook").at("revokedIncomingWebhookId"), made.at("incomingWebhook").at("id"));

  // Outgoing webhooks: the reader's field errors first; without the service, SERVICE_UNAVAILABLE.
  const std::string create_webhook = R"(mutation($url: String!) { createWebhook(input: {url: $url, events: ["message.created"]}) { webhook { id } errors { field } } })";
  auto bad_url = execute(alice.id, create_webhook, json::object{{"url", "ftp://example.com"}});
  EXPECT_EQ(error_fields(payload_of(bad_url, "createWebhook")), std::vector<std::string>{"url"});
  EXPECT_EQ(code_of(execute(alice.id, create_webhook, json::object{{"url", "https://example.com/hook"}})),
            "SERVICE_UNAVAILABLE");
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
