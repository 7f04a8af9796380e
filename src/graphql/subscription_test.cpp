// Subscriptions on the engine side: a source stream from the root field's subscribe resolver,
// each event mapped through the selection set.
#include "graphql/test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include <thread>

namespace parley::graphql {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

constexpr const char* kSdl = R"GQL(
type Query { a: Int }
type Subscription {
  messageCreated(conversationId: ID): Message
  typing: String
  broken: String
}
type Message { id: ID! body: String! upper: String! }
)GQL";

struct Hub {
  std::shared_ptr<QueueEventStream> stream = std::make_shared<QueueEventStream>(4);
  std::string conversation;
};

std::shared_ptr<Schema> schema() {
  auto s = build_schema_or_throw(kSdl);
  s->subscribe("messageCreated", [](const Value&, const json::object& args, const ResolveInfo& info)
                                     -> awaitable<std::shared_ptr<EventStream>> {
    Hub* hub = info.context<Hub>();
    if (auto it = args.find("conversationId"); it != args.end() && !it->value().is_null())
      hub->conversation = std::string(it->value().as_string());
    if (hub->conversation == "forbidden") throw FieldError("not a member", "FORBIDDEN");
    co_return hub->stream;
  });
  s->subscribe("typing", [](const Value&, const json::object&, const ResolveInfo& info) -> awaitable<std::shared_ptr<EventStream>> {
    co_return info.context<Hub>()->stream;
  });
  s->resolve_sync("Message", "upper", [](const Value& parent, const json::object&, const ResolveInfo&) {
    std::string body(parent.json().at("body").as_string());
    for (auto& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return Value(body);
  });
  return s;
}

SubscribeResult subscribe(const Engine& engine, const std::string& query, Hub& hub, json::object vars = {}) {
  Request r;
  r.query = query;
  r.context = &hub;
  r.variables = std::move(vars);
  return parley::testing::run_awaitable(engine.subscribe(std::move(r)));
}

TEST(GraphqlSubscription, MapsEachEventThroughTheSelection) {
  Engine engine(schema());
  Hub hub;
  auto result = subscribe(engine, "subscription ($c: ID) { messageCreated(conversationId: $c) { id upper } }", hub, {{"c", "42"}});
  ASSERT_TRUE(result.subscription) << result.response;
  EXPECT_EQ(hub.conversation, "42");
  // Events carry the root field's value under its name (or are the value itself).
  hub.stream->push(Value(json::object{{"messageCreated", json::object{{"id", "1"}, {"body", "hi"}}}}));
  hub.stream->push(Value(json::object{{"id", "2"}, {"body", "yo"}}));
  hub.stream->push(Value(json::object{{"id", "3"}}));  // body missing: a field error in that event only
  hub.stream->finish();
  auto& sub = *result.subscription;
  auto first = parley::testing::run_awaitable(sub.next());
  ASSERT_TRUE(first);
  EXPECT_EQ(json::value(*first), json::parse(R"({"data":{"messageCreated":{"id":"1","upper":"HI"}}})"));
  auto second = parley::testing::run_awaitable(sub.next());
  EXPECT_EQ(json::value(*second), json::parse(R"({"data":{"messageCreated":{"id":"2","upper":"YO"}}})"));
  auto third = parley::testing::run_awaitable(sub.next());
  EXPECT_EQ((*third)["data"].at("messageCreated"), nullptr);
  EXPECT_EQ((*third)["errors"].at(0).at("path"), json::parse(R"(["messageCreated","upper"])"));
  EXPECT_FALSE(parley::testing::run_awaitable(sub.next()));
}

TEST(GraphqlSubscription, WaitsForEventsPushedFromAnotherThread) {
  Engine engine(schema());
  Hub hub;
  auto result = subscribe(engine, "subscription { typing }", hub);
  ASSERT_TRUE(result.subscription);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hub.stream->push(Value(json::object{{"typing", "alice"}}));
  });
  auto event = parley::testing::run_awaitable(result.subscription->next());
  producer.join();
  ASSERT_TRUE(event);
  EXPECT_EQ((*event)["data"].at("typing"), "alice");
  result.subscription->close();
  EXPECT_FALSE(parley::testing::run_awaitable(result.subscription->next()));
}

TEST(GraphqlSubscription, DropsTheOldestEventsWhenFull) {
  QueueEventStream stream(2);
  for (int i = 0; i < 5; ++i) stream.push(Value(i));
  stream.finish();
  EXPECT_EQ(stream.dropped(), 3u);
  auto first = parley::testing::run_awaitable(stream.next());
  EXPECT_EQ(first->json(), 3);
}

TEST(GraphqlSubscription, ReportsErrorsInsteadOfAStream) {
  Engine engine(schema());
  Hub hub;
  auto r = subscribe(engine, "subscription { typing broken }", hub);
  EXPECT_FALSE(r.subscription);
  EXPECT_EQ(r.response["errors"].at(0).at("extensions").at("code"), "GRAPHQL_VALIDATION_FAILED");
  r = subscribe(engine, "subscription { messageCreated(conversationId: \"forbidden\") { id } }", hub);
  EXPECT_FALSE(r.subscription);
  EXPECT_EQ(json::value(r.response), json::parse(R"({"errors":[{"message":"not a member","locations":[{"line":1,"column":16}],
    "path":["messageCreated"],"extensions":{"code":"FORBIDDEN"}}]})"));
  r = subscribe(engine, "subscription { broken }", hub);  // no subscribe resolver: an internal error
  EXPECT_EQ(r.response["errors"].at(0).at("extensions").at("code"), "INTERNAL_SERVER_ERROR");
  r = subscribe(engine, "{ a }", hub);
  EXPECT_EQ(r.response["errors"].at(0).at("extensions").at("code"), "OPERATION_RESOLUTION_FAILURE");
  // execute() refuses subscriptions: they need a streaming transport.
  auto e = test::run(engine, "subscription { typing }");
  EXPECT_EQ(e["errors"].at(0).at("extensions").at("code"), "OPERATION_RESOLUTION_FAILURE");
}

}  // namespace
}  // namespace parley::graphql
