// The batching loader: keys asked for by every item of a list are fetched in one call.
#include "graphql/test_support.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

constexpr const char* kSdl = R"GQL(
type Query { messages(n: Int = 50): [Message!]! }
type Message { id: ID! sender: User reactions: [Reaction!]! late: User }
type Reaction { emoji: String! user: User }
type User { id: ID! name: String! }
)GQL";

// Counts the batch calls of each loader, as a stand-in for SQL statements.
struct Counters {
  int user_batches = 0;
  int reaction_batches = 0;
  std::vector<std::size_t> user_batch_sizes;
  bool fail_users = false;
};

awaitable<void> suspend() {
  auto executor = co_await boost::asio::this_coro::executor;
  co_await boost::asio::post(executor, boost::asio::use_awaitable);
}

Loader<std::int64_t, json::object>& users(const ResolveInfo& info) {
  return info.loader<std::int64_t, json::object>(
      "users", [c = info.context<Counters>()](std::vector<std::int64_t> ids) -> awaitable<std::map<std::int64_t, json::object>> {
        ++c->user_batches;
        c->user_batch_sizes.push_back(ids.size());
        co_await suspend();  // the "database round trip"
        if (c->fail_users) throw FieldError("users are down", "UNAVAILABLE");
        std::map<std::int64_t, json::object> out;
        for (auto id : ids)
          if (id != 7) out[id] = json::object{{"id", std::to_string(id)}, {"name", "user" + std::to_string(id)}};
        co_return out;
      });
}

std::shared_ptr<Schema> make_schema() {
  auto schema = build_schema_or_throw(kSdl);
  using Args = const json::object&;
  using Info = const ResolveInfo&;
  schema->resolve_sync("Query", "messages", [](const Value&, Args args, Info) {
    json::array out;
    for (std::int64_t i = 0; i < args.at("n").as_int64(); ++i)
      out.push_back(json::object{{"id", std::to_string(i)}, {"sender_id", i % 10 + 1}});
    return Value(std::move(out));
  });
  schema->resolve("Message", "sender", [](const Value& parent, Args, Info info) -> awaitable<Value> {
    auto id = parent.json().at("sender_id").as_int64();
    auto user = co_await users(info).load(id);
    co_return user ? Value(std::move(*user)) : Value();
  });
  // Waits on a timer (real I/O) before using the loader: the batch must still wait for it.
  schema->resolve("Message", "late", [](const Value& parent, Args, Info info) -> awaitable<Value> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto id = parent.json().at("sender_id").as_int64();
    boost::asio::steady_timer timer(executor, std::chrono::milliseconds(id % 3));
    co_await timer.async_wait(boost::asio::use_awaitable);
    auto user = co_await users(info).load(id + 100);
    co_return user ? Value(std::move(*user)) : Value();
  });
  schema->resolve("Message", "reactions", [](const Value& parent, Args, Info info) -> awaitable<Value> {
    auto& loader = info.loader<std::int64_t, json::array>(
        "reactions", [c = info.context<Counters>()](std::vector<std::int64_t> ids) -> awaitable<std::map<std::int64_t, json::array>> {
          ++c->reaction_batches;
          co_await suspend();
          std::map<std::int64_t, json::array> out;
          for (auto id : ids)
            out[id] = json::array{json::object{{"emoji", "+1"}, {"user_id", id + 20}}, json::object{{"emoji", "heart"}, {"user_id", 1}}};
          co_return out;
        });
    auto id = std::stoll(std::string(parent.json().at("id").as_string()));
    auto reactions = co_await loader.load(id);
    co_return Value(reactions ? json::value(std::move(*reactions)) : json::value(json::array{}));
  });
  schema->resolve("Reaction", "user", [](const Value& parent, Args, Info info) -> awaitable<Value> {
    auto user = co_await users(info).load(parent.json().at("user_id").as_int64());
    co_return user ? Value(std::move(*user)) : Value();
  });
  return schema;
}

TEST(GraphqlLoader, FiftyItemsCostOneBatch) {
  Engine engine(make_schema());
  Counters counters;
  auto r = test::run(engine, "{ messages { id sender { id name } } }", {}, &counters);
  ASSERT_FALSE(r.contains("errors")) << r;
  const auto& messages = r["data"].at("messages").as_array();
  ASSERT_EQ(messages.size(), 50u);
  EXPECT_EQ(messages[0].at("sender").at("name"), "user1");
  EXPECT_EQ(messages[49].at("sender").at("id"), "10");
  EXPECT_EQ(counters.user_batches, 1);
  EXPECT_EQ(counters.user_batch_sizes, std::vector<std::size_t>{10});  // distinct keys, fetched once each
}

TEST(GraphqlLoader, NestedListsCostOneBatchPerLevel) {
  Engine engine(make_schema());
  Counters counters;
  auto r = test::run(engine, "{ messages { sender { name } reactions { emoji user { name } } } }", {}, &counters);
  ASSERT_FALSE(r.contains("errors")) << r;
  EXPECT_EQ(r["data"].at("messages").at(3).at("reactions").at(0).at("user").at("name"), "user23");
  EXPECT_EQ(counters.reaction_batches, 1);
  // Senders (keys 1..10), then the reactions' users (new keys 20..69; 1 is cached): two batches.
  EXPECT_EQ(counters.user_batches, 2);
  EXPECT_EQ(counters.user_batch_sizes, (std::vector<std::size_t>{10, 50}));
}

TEST(GraphqlLoader, WaitsForSiblingsDoingIoBeforeFlushing) {
  Engine engine(make_schema());
  Counters counters;
  auto r = test::run(engine, "{ messages { late { name } } }", {}, &counters);
  ASSERT_FALSE(r.contains("errors")) << r;
  EXPECT_EQ(r["data"].at("messages").at(4).at("late").at("name"), "user105");
  EXPECT_EQ(counters.user_batches, 1);
}

TEST(GraphqlLoader, MissingKeysAreNullAndFailuresReachEveryField) {
  Engine engine(make_schema());
  Counters counters;
  auto r = test::run(engine, "{ messages(n: 13) { sender { id } } }", {}, &counters);
  EXPECT_FALSE(r.contains("errors")) << r;
  EXPECT_EQ(r["data"].at("messages").at(6).at("sender"), nullptr);  // user 7 does not exist
  EXPECT_EQ(r["data"].at("messages").at(5).at("sender").at("id"), "6");
  Counters failing;
  failing.fail_users = true;
  r = test::run(engine, "{ messages(n: 3) { sender { id } } }", {}, &failing);
  ASSERT_EQ(r["errors"].as_array().size(), 3u) << r;
  EXPECT_EQ(r["errors"].at(0).at("extensions").at("code"), "UNAVAILABLE");
  EXPECT_EQ(r["data"].at("messages").at(0).at("sender"), nullptr);
  EXPECT_EQ(failing.user_batches, 1);
}

}  // namespace
}  // namespace parley::graphql

namespace parley::graphql {
namespace {

TEST(GraphqlLoader, RegistryRefusesASecondTypeForOneName) {
  boost::asio::io_context io;
  Batcher batcher(io.get_executor());
  LoaderRegistry registry(batcher);
  auto fn = [](std::vector<int>) -> boost::asio::awaitable<std::map<int, int>> { co_return std::map<int, int>{}; };
  auto& a = registry.get<int, int>("x", fn);
  EXPECT_EQ((&registry.get<int, int>("x", fn)), &a);
  EXPECT_THROW((registry.get<int, std::string>("x", {})), std::logic_error);
}

TEST(GraphqlLoader, PrimedKeysNeedNoBatch) {
  boost::asio::io_context io;
  Batcher batcher(io.get_executor());
  int calls = 0;
  Loader<int, std::string> loader(batcher, [&calls](std::vector<int> keys) -> boost::asio::awaitable<std::map<int, std::string>> {
    ++calls;
    std::map<int, std::string> out;
    for (int k : keys) out[k] = "v" + std::to_string(k);
    co_return out;
  });
  EXPECT_EQ(loader.peek(1), nullptr);
  loader.prime(1, "primed");
  ASSERT_NE(loader.peek(1), nullptr);
  EXPECT_EQ(*loader.peek(1), "primed");
  auto one = parley::testing::run_awaitable(io, loader.load(1));
  EXPECT_EQ(*one, "primed");
  EXPECT_EQ(calls, 0);
  auto two = parley::testing::run_awaitable(io, loader.load(2));  // outside an execution: a batch per load
  EXPECT_EQ(*two, "v2");
  EXPECT_EQ(loader.batch_calls(), 1u);
  EXPECT_EQ(*loader.peek(2), "v2");  // a loaded key too; peek() itself never fetches
  EXPECT_EQ(loader.peek(5), nullptr);
  EXPECT_EQ(loader.batch_calls(), 1u);
  auto many = parley::testing::run_awaitable(io, loader.load_many({3, 1, 4, 2}));
  ASSERT_EQ(many.size(), 4u);
  EXPECT_EQ(*many[0], "v3");
  EXPECT_EQ(*many[1], "primed");
  EXPECT_EQ(*many[3], "v2");
  EXPECT_EQ(loader.batch_calls(), 2u);  // 3 and 4 in one batch; 1 and 2 were cached
}

}  // namespace
}  // namespace parley::graphql
