// GraphQL transports (docs/graphql.md "Transports"): GraphQL over HTTP (status codes, GET, persisted
// queries, scopes, rate limits, introspection switch) and the graphql-transport-ws WebSocket
// (subscriptions fed by the real-time hub, and each close code of the protocol), against the real
// server on SQLite and PostgreSQL.
#include "messaging_fixture.hpp"
#include "ws_client.hpp"

#include "app/route_helpers.hpp"
#include "auth/tokens.hpp"

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kGraphqlResponse = "application/graphql-response+json";

class GraphqlTest : public MessagingTest {
 protected:
  // POST /graphql as `u` (anonymous when null) with `accept`.
  HttpResult post(const TestUser* u, const json::value& body, const std::string& accept = kGraphqlResponse) {
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!accept.empty()) headers["Accept"] = accept;
    if (u != nullptr) headers["Authorization"] = "Bearer " + u->access;
    return http_request(port(), "POST", "/graphql", headers, json::serialize(body));
  }
  HttpResult query(const TestUser& u, const std::string& text, json::object variables = {}) {
    return post(&u, json::object{{"query", text}, {"variables", std::move(variables)}});
  }
  HttpResult get(const TestUser* u, const std::string& query_string, const std::string& accept = kGraphqlResponse) {
    std::map<std::string, std::string> headers{{"Accept", accept}};
    if (u != nullptr) headers["Authorization"] = "Bearer " + u->access;
    return http_request(port(), "GET", "/graphql?" + query_string, headers);
  }
  static std::string code_of(const HttpResult& r) {
    return std::string(r.json().at("errors").at(0).at("extensions").at("code").as_string());
  }

  // A graphql-transport-ws connection; `authorization` goes in connection_init unless empty.
  std::unique_ptr<WsClient> connect(std::map<std::string, std::string> headers = {}) {
    headers["Sec-WebSocket-Protocol"] = "graphql-transport-ws";
    auto ws = std::make_unique<WsClient>(port(), "/graphql", headers);
    EXPECT_TRUE(ws->accepted()) << ws->status();
    return ws;
  }
  std::unique_ptr<WsClient> acknowledged(const TestUser& u) {
    auto ws = connect();
    ws->send(json::serialize(json::object{{"type", "connection_init"},
                                          {"payload", json::object{{"authorization", "Bearer " + u.access}}}}));
    EXPECT_EQ(ws->next().at("type").as_string(), "connection_ack");
    return ws;
  }
  static void subscribe(WsClient& ws, const std::string& id, const std::string& query, json::object variables = {}) {
    ws.send(json::serialize(json::object{
        {"id", id}, {"type", "subscribe"}, {"payload", json::object{{"query", query}, {"variables", variables}}}}));
  }
  // A ping's pong comes after every message queued before it: nothing else may come first.
  static void expect_nothing_but_pong(WsClient& ws) {
    ws.send(R"({"type":"ping"})");
    EXPECT_EQ(ws.next().at("type").as_string(), "pong");
  }
  void settle() { on_app(app().event_stream().flush()); }
};

TEST_P(GraphqlTest, PostAnswersQueriesWithTheStatusCodesOfGraphqlOverHttp) {
  auto alice = user("alice");
  auto ok = query(alice, "{ me { username } }");
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("Content-Type"), "application/graphql-response+json; charset=utf-8");
  EXPECT_EQ(ok.json().at("data").at("me").at("username").as_string(), "alice");

  // A document that cannot run: 400 for graphql-response+json, 200 for application/json.
  auto invalid = query(alice, "{ me { nope } }");
  EXPECT_EQ(invalid.status, 400) << invalid.body;
  EXPECT_EQ(code_of(invalid), "GRAPHQL_VALIDATION_FAILED");
  EXPECT_FALSE(invalid.json().as_object().contains("data"));
  auto legacy = post(&alice, json::object{{"query", "{ me { nope } }"}}, "application/json");
  EXPECT_EQ(legacy.status, 200) << legacy.body;
  EXPECT_EQ(legacy.header("Content-Type"), "application/json; charset=utf-8");
  auto syntax = query(alice, "{ me { ");
  EXPECT_EQ(syntax.status, 400);
  EXPECT_EQ(code_of(syntax), "GRAPHQL_PARSE_FAILED");
  // No Accept: application/json, as the spec says.
  auto no_accept = post(&alice, json::object{{"query", "{ me { username } }"}}, "");
  EXPECT_EQ(no_accept.status, 200);
  EXPECT_EQ(no_accept.header("Content-Type"), "application/json; charset=utf-8");

  // Not a GraphQL request at all: 400 either way, as a GraphQL response.
  auto headers = std::map<std::string, std::string>{{"Content-Type", "application/json"}, {"Accept", kGraphqlResponse}};
  for (const std::string body : {"{not json", "[]", R"({"query": 5})", R"({"query": "{me{id}}", "variables": [1]})", "{}"}) {
    auto r = http_request(port(), "POST", "/graphql", headers, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(code_of(r), "BAD_REQUEST") << body;
  }
  // Accept nothing GraphQL produces: 406; a body that is not JSON: 415 (both problem+json).
  EXPECT_EQ(post(&alice, json::object{{"query", "{ me { id } }"}}, "text/csv").status, 406);
  EXPECT_EQ(http_request(port(), "POST", "/graphql", {{"Content-Type", "text/plain"}}, "{ me { id } }").status, 415);

  // Anonymous: the operation runs and its fields refuse, as REST's 401 would.
  auto anonymous = post(nullptr, json::object{{"query", "{ me { username } }"}});
  EXPECT_EQ(anonymous.status, 200) << anonymous.body;
  EXPECT_TRUE(anonymous.json().at("data").is_null());
  EXPECT_EQ(code_of(anonymous), "UNAUTHENTICATED");
  // Variables and operationName.
  auto named = post(&alice, json::object{{"query", "query A { me { id } } query B($x: Boolean!) { me { username @include(if: $x) } }"},
                                         {"operationName", "B"},
                                         {"variables", json::object{{"x", true}}}});
  EXPECT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.json().at("data").at("me").at("username").as_string(), "alice");
}

TEST_P(GraphqlTest, GetRunsQueriesButNotMutationsAndSendsBrowsersToGraphiql) {
  auto alice = user("alice");
  auto ok = get(&alice, "query=" + url_encode("{ me { username } }"));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json().at("data").at("me").at("username").as_string(), "alice");
  auto vars = get(&alice, "query=" + url_encode("query($id: ID!) { conversation(id: $id) { id } }") +
                              "&variables=" + url_encode(R"({"id": "999"})"));
  EXPECT_EQ(vars.status, 200) << vars.body;
  EXPECT_EQ(code_of(vars), "NOT_FOUND");
  EXPECT_EQ(get(&alice, "query=x&variables=" + url_encode("{oops")).status, 400);

  auto mutation = get(&alice, "query=" + url_encode(R"(mutation { markRead(input: {conversationId: "1", messageId: "1"}) { errors { field } } })"));
  EXPECT_EQ(mutation.status, 405) << mutation.body;
  EXPECT_EQ(mutation.header("Allow"), "POST");

  auto browser = http_request(port(), "GET", "/graphql", {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  EXPECT_EQ(browser.status, 302);
  EXPECT_EQ(browser.header("Location"), "/graphiql/");
  // A WebSocket upgrade without the graphql-transport-ws subprotocol is refused.
  WsClient plain(port(), "/graphql");
  EXPECT_FALSE(plain.accepted());
  EXPECT_EQ(plain.status(), 400);
}

TEST_P(GraphqlTest, PersistedQueriesAreKeptByTheirHashOnly) {
  auto alice = user("alice");
  const std::string text = "{ me { username } }";
  const std::string hash = auth::token_hash(text);  // the hex SHA-256
  auto persisted = [&](const std::string& sha) {
    return json::object{{"persistedQuery", json::object{{"version", 1}, {"sha256Hash", sha}}}};
  };
  auto unknown = post(&alice, json::object{{"extensions", persisted(hash)}});
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(code_of(unknown), "PERSISTED_QUERY_NOT_FOUND");
  auto wrong = post(&alice, json::object{{"query", text}, {"extensions", persisted(std::string(64, 'a'))}});
  EXPECT_EQ(code_of(wrong), "PERSISTED_QUERY_HASH_MISMATCH");
  auto registered = post(&alice, json::object{{"query", text}, {"extensions", persisted(hash)}});
  EXPECT_EQ(registered.status, 200) << registered.body;
  // From now on the hash alone runs it, by POST or by GET (a cacheable URL).
  auto by_hash = post(&alice, json::object{{"extensions", persisted(hash)}});
  EXPECT_EQ(by_hash.json().at("data").at("me").at("username").as_string(), "alice") << by_hash.body;
  auto by_get = get(&alice, "extensions=" + url_encode(json::serialize(persisted(hash))));
  EXPECT_EQ(by_get.json().at("data").at("me").at("username").as_string(), "alice") << by_get.body;
}

TEST_P(GraphqlTest, ReadOnlyTokensCannotMutateAndMutationsTakeTheirRestRateLimit) {
  start({{"PARLEY_RATE_LIMITS", "on"}, {"PARLEY_RATE_LIMIT_REGISTER", "off"}, {"PARLEY_RATE_LIMIT_LOGIN", "off"},
         {"PARLEY_RATE_LIMIT_MESSAGE_SEND", "1/m burst=2"}});
  auto alice = user("alice"), bob = user("bob");
  auto conversation = group(alice, {bob.id});
  const std::string send = R"(mutation($c: ID!) { sendMessage(input: {conversationId: $c, body: "hi"}) { message { id } errors { field } } })";
  const json::object vars{{"c", std::to_string(conversation)}};
  // REST and GraphQL draw from one message_send bucket: one REST send, one GraphQL send, then 429.
  this->send(alice, conversation, "rest");
  auto second = query(alice, send, vars);
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_FALSE(second.json().at("data").at("sendMessage").at("message").is_null());
  auto third = query(alice, send, vars);
  EXPECT_EQ(code_of(third), "THROTTLED") << third.body;
  EXPECT_EQ(third.json().at("errors").at(0).at("extensions").at("status").as_int64(), 429);
  EXPECT_TRUE(third.json().at("errors").at(0).at("extensions").as_object().contains("retryAfter"));

  // A personal token with only the read scope queries, and is refused a mutation (403, as REST).
  auto token = call(bob, "POST", "/api/v1/auth/tokens", json::object{{"name", "ro"}, {"scopes", json::array{"read"}}});
  ASSERT_EQ(token.status, 201) << token.body;
  TestUser reader{bob.id, "bob", std::string(token.json().at("token").as_string())};
  EXPECT_EQ(query(reader, "{ me { username } }").json().at("data").at("me").at("username").as_string(), "bob");
  EXPECT_EQ(query(reader, send, vars).status, 403);
}

TEST_P(GraphqlTest, IntrospectionCanBeTurnedOff) {
  auto alice = user("alice");
  auto on = query(alice, "{ __schema { queryType { name } } }");
  EXPECT_EQ(on.json().at("data").at("__schema").at("queryType").at("name").as_string(), "Query") << on.body;
  start({{"PARLEY_GRAPHQL_INTROSPECTION", "0"}});
  auto bob = user("bob");
  auto off = query(bob, "{ __schema { queryType { name } } }");
  EXPECT_EQ(off.status, 400) << off.body;
  EXPECT_EQ(code_of(off), "GRAPHQL_VALIDATION_FAILED");
  EXPECT_EQ(query(bob, "{ me { username } }").status, 200);
}

TEST_P(GraphqlTest, SubscriptionsDeliverTheConversationsEventsLive) {
  auto alice = user("alice"), bob = user("bob"), carol = user("carol");
  auto conversation = group(alice, {bob.id});
  auto other = group(alice, {carol.id}, "other");
  settle();
  auto ws = acknowledged(bob);
  subscribe(*ws, "all", "subscription { messageCreated { body conversationId sender { username } } }");
  subscribe(*ws, "one", "subscription($c: ID) { messageCreated(conversationId: $c) { body } }",
            {{"c", std::to_string(conversation)}});
  subscribe(*ws, "edits", "subscription { messageUpdated { id body } }");
  subscribe(*ws, "events", "subscription { events { id type data } }");
  auto carol_ws = acknowledged(carol);
  subscribe(*carol_ws, "mine", "subscription { messageCreated { body } }");
  // A subscription is live once the hub has the listener: a ping's pong says the subscribe was handled.
  expect_nothing_but_pong(*ws);
  expect_nothing_but_pong(*carol_ws);
  settle();

  auto sent = send(alice, conversation, "hello **bob**");
  std::map<std::string, json::object> got;
  for (int i = 0; i < 3; ++i) {
    auto message = ws->next();
    ASSERT_EQ(message.at("type").as_string(), "next") << json::serialize(message);
    got[std::string(message.at("id").as_string())] = message.at("payload").at("data").as_object();
  }
  EXPECT_EQ(got["all"].at("messageCreated").at("body").as_string(), "hello **bob**");
  EXPECT_EQ(got["all"].at("messageCreated").at("sender").at("username").as_string(), "alice");
  EXPECT_EQ(got["all"].at("messageCreated").at("conversationId").as_string(), std::to_string(conversation));
  EXPECT_EQ(got["one"].at("messageCreated").at("body").as_string(), "hello **bob**");
  EXPECT_EQ(got["events"].at("events").at("type").as_string(), "message.created");
  EXPECT_EQ(json::parse(got["events"].at("events").at("data").as_string()).at("id"), sent.at("id"));
  expect_nothing_but_pong(*ws);
  expect_nothing_but_pong(*carol_ws);  // carol is not in that conversation

  // Another conversation reaches only the unfiltered subscription and the event stream.
  send(alice, other, "to carol");
  EXPECT_EQ(carol_ws->next().at("payload").at("data").at("messageCreated").at("body").as_string(), "to carol");

  // complete stops one subscription; the others go on.
  ws->send(R"({"id":"all","type":"complete"})");
  ws->send(R"({"id":"events","type":"complete"})");
  expect_nothing_but_pong(*ws);  // the completes were handled before the edit below is made
  auto edit = call(alice, "PATCH", "/api/v1/messages/" + std::to_string(sent.at("id").as_int64()),
                   json::object{{"body", "edited"}});
  ASSERT_EQ(edit.status, 200) << edit.body;
  auto edited = ws->next();
  EXPECT_EQ(edited.at("id").as_string(), "edits") << json::serialize(edited);
  EXPECT_EQ(edited.at("payload").at("data").at("messageUpdated").at("body").as_string(), "edited");
  send(alice, conversation, "second");
  auto second = ws->next();
  EXPECT_EQ(second.at("id").as_string(), "one") << json::serialize(second);
  expect_nothing_but_pong(*ws);

  // A conversation the user is not in: NOT_FOUND as an error message, the connection stays.
  subscribe(*ws, "x", "subscription($c: ID) { messageCreated(conversationId: $c) { body } }",
            {{"c", std::to_string(other)}});
  auto refused = ws->next();
  EXPECT_EQ(refused.at("type").as_string(), "error") << json::serialize(refused);
  EXPECT_EQ(refused.at("payload").at(0).at("extensions").at("code").as_string(), "NOT_FOUND");
  // Queries and mutations run over the socket too: next, then complete.
  subscribe(*ws, "q", "{ me { username } }");
  auto result = ws->next();
  EXPECT_EQ(result.at("type").as_string(), "next");
  EXPECT_EQ(result.at("payload").at("data").at("me").at("username").as_string(), "bob");
  EXPECT_EQ(ws->next().at("type").as_string(), "complete");
  // Validation errors are an error message.
  subscribe(*ws, "bad", "subscription { nope }");
  EXPECT_EQ(ws->next().at("type").as_string(), "error");
}

TEST_P(GraphqlTest, ProtocolViolationsCloseWithTheProtocolsCodes) {
  auto alice = user("alice");
  {  // subscribe before connection_ack
    auto ws = connect();
    subscribe(*ws, "1", "subscription { typing { userId } }");
    EXPECT_EQ(ws->wait_closed(), 4401);
  }
  {  // a second connection_init
    auto ws = acknowledged(alice);
    ws->send(R"({"type":"connection_init"})");
    EXPECT_EQ(ws->wait_closed(), 4429);
  }
  {  // bad credentials, and none at all
    auto ws = connect();
    ws->send(R"({"type":"connection_init","payload":{"authorization":"Bearer nope"}})");
    EXPECT_EQ(ws->wait_closed(), 4403);
    auto anonymous = connect();
    anonymous->send(R"({"type":"connection_init"})");
    EXPECT_EQ(anonymous->wait_closed(), 4403);
  }
  {  // credentials of the upgrade request itself are enough
    auto ws = connect({{"Authorization", "Bearer " + alice.access}});
    ws->send(R"({"type":"connection_init"})");
    EXPECT_EQ(ws->next().at("type").as_string(), "connection_ack");
  }
  {  // an id already running
    auto ws = acknowledged(alice);
    subscribe(*ws, "dup", "subscription { typing { userId } }");
    subscribe(*ws, "dup", "subscription { typing { userId } }");
    EXPECT_EQ(ws->wait_closed(), 4409);
  }
  for (const std::string bad : {"not json", R"({"type":"what"})", R"({"id":"1"})", R"({"type":"subscribe","id":"1"})"}) {
    auto ws = acknowledged(alice);
    ws->send(bad);
    EXPECT_EQ(ws->wait_closed(), 4400) << bad;
  }
}

TEST_P(GraphqlTest, AConnectionWithoutConnectionInitIsClosedWith4408) {
  // The server's timer (Transports::init_timeout, 3 s as graphql-ws's connectionInitWaitTimeout)
  // closes it; the client only waits for the close, with room to spare.
  auto ws = connect();
  EXPECT_EQ(ws->wait_closed(std::chrono::seconds(10)), 4408);
}

INSTANTIATE_TEST_SUITE_P(Backends, GraphqlTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
