// Integration tests of redis::Subscriber against a real redis-server. Skipped unless
// PARLEY_TEST_REDIS_URL is set (scripts/test-servers start <dir> writes it to <dir>/env).
#include "redis/subscriber.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "redis/client.hpp"
#include "redis/testing.hpp"

namespace parley::redis {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace std::chrono_literals;

using Message = std::pair<std::string, std::string>;  // channel, payload

awaitable<Reply> one(std::shared_ptr<Client> client, std::vector<std::string> args) {
  co_return co_await client->command(args);
}

awaitable<std::uint64_t> subscribe_to(std::shared_ptr<Subscriber> subscriber, std::string channel,
                                      testing::Inbox<Message>* inbox) {
  co_return co_await subscriber->subscribe(std::move(channel), [inbox](std::string_view channel, std::string_view payload) {
    inbox->push(Message(channel, payload));
  });
}

awaitable<void> unsubscribe_from(std::shared_ptr<Subscriber> subscriber, std::uint64_t id) {
  co_await subscriber->unsubscribe(id);
}

class RedisSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto url = testing::url_from_env();
    if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL not set (see scripts/test-servers)";
    config_.url = *url;
    config_.command_timeout = 5s;
    config_.reconnect_backoff_initial = 20ms;
    config_.reconnect_backoff_max = 200ms;
    prefix_ = "parley:test:" + std::to_string(::getpid()) + ":" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ":";
    publisher_ = std::make_shared<Client>(threads_.io().get_executor(), config_);
    subscriber_ = std::make_shared<Subscriber>(threads_.io().get_executor(), config_);
  }
  void TearDown() override {
    if (subscriber_) subscriber_->close();
    if (publisher_) publisher_->close();
  }

  std::uint64_t subscribe(const std::string& channel, testing::Inbox<Message>& inbox) {
    return threads_.run(subscribe_to(subscriber_, channel, &inbox));
  }
  // PUBLISH's reply: how many subscribers the server delivered the message to.
  std::int64_t publish(const std::string& channel, const std::string& payload) {
    const Reply reply = threads_.run(one(publisher_, {"PUBLISH", channel, payload}));
    EXPECT_EQ(reply.type, Reply::Type::integer) << reply.debug_string();
    return reply.integer;
  }

  testing::IoThreads threads_{2};
  ClientConfig config_;
  std::string prefix_;
  std::shared_ptr<Client> publisher_;
  std::shared_ptr<Subscriber> subscriber_;
};

TEST_F(RedisSubscriberTest, DeliversMessagesInOrder) {
  testing::Inbox<Message> inbox;
  const std::string channel = prefix_ + "events";
  subscribe(channel, inbox);
  // Published concurrently through the pipelined client: the order they reach Redis is the order
  // the replies say (each PUBLISH answers after it was delivered), and callbacks follow it.
  constexpr int kMessages = 200;
  std::vector<std::vector<std::string>> batch;
  for (int i = 0; i < kMessages; ++i) batch.push_back({"PUBLISH", channel, "m" + std::to_string(i)});
  auto replies = threads_.run([](std::shared_ptr<Client> c, std::vector<std::vector<std::string>> batch)
                                  -> awaitable<std::vector<Reply>> { co_return co_await c->pipeline(batch); }(publisher_, batch));
  for (const auto& reply : replies) EXPECT_EQ(reply, Reply::number(1));
  auto got = inbox.wait_for(kMessages);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(got[i], Message(channel, "m" + std::to_string(i)));
  // Binary payloads and channel names pass through untouched.
  const std::string odd_channel = prefix_ + std::string("bin\0\r\n", 6);
  subscribe(odd_channel, inbox);
  EXPECT_EQ(publish(odd_channel, std::string("\0\xff\r\n", 4)), 1);
  got = inbox.wait_for(kMessages + 1);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kMessages + 1));
  EXPECT_EQ(got.back(), Message(odd_channel, std::string("\0\xff\r\n", 4)));
}

TEST_F(RedisSubscriberTest, SeveralCallbacksAndUnsubscribe) {
  testing::Inbox<Message> first, second, other;
  const std::string channel = prefix_ + "shared";
  const auto id1 = subscribe(channel, first);
  const auto id2 = subscribe(channel, second);
  subscribe(prefix_ + "other", other);
  EXPECT_EQ(publish(channel, "both"), 1);  // one connection subscribed, two callbacks
  EXPECT_EQ(first.wait_for(1).size(), 1u);
  EXPECT_EQ(second.wait_for(1).size(), 1u);

  threads_.run(unsubscribe_from(subscriber_, id1));
  EXPECT_EQ(publish(channel, "second only"), 1);  // still subscribed for the other callback
  EXPECT_EQ(second.wait_for(2).back(), Message(channel, "second only"));

  threads_.run(unsubscribe_from(subscriber_, id2));
  EXPECT_EQ(publish(channel, "nobody"), 0);  // the server confirmed UNSUBSCRIBE before we returned
  EXPECT_EQ(publish(prefix_ + "other", "still here"), 1);
  EXPECT_EQ(other.wait_for(1).back(), Message(prefix_ + "other", "still here"));
  EXPECT_EQ(first.size(), 1u);
  EXPECT_EQ(second.size(), 2u);

  // Subscribing again after the last unsubscribe works.
  subscribe(channel, first);
  EXPECT_EQ(publish(channel, "again"), 1);
  EXPECT_EQ(first.wait_for(2).back(), Message(channel, "again"));
}

// CLIENT KILL TYPE pubsub drops the subscriber's connection: on_disconnect is called once, the
// subscriber reconnects and re-subscribes every channel, then calls on_reconnect; messages flow
// again on every channel.
TEST_F(RedisSubscriberTest, ReconnectsAndResubscribesAfterTheServerKillsItsConnection) {
  testing::Inbox<int> disconnects, reconnects;
  subscriber_->on_disconnect([&] { disconnects.push(1); });
  testing::Inbox<Message> a, b;
  const std::string channel_a = prefix_ + "a", channel_b = prefix_ + "b";
  subscriber_->on_reconnect([&] { reconnects.push(1); });
  subscribe(channel_a, a);
  subscribe(channel_b, b);
  EXPECT_EQ(subscriber_->connects(), 1u);

  const Reply killed = threads_.run(one(publisher_, {"CLIENT", "KILL", "TYPE", "pubsub"}));
  EXPECT_EQ(killed, Reply::number(1));
  ASSERT_EQ(disconnects.wait_for(1).size(), 1u);
  ASSERT_EQ(reconnects.wait_for(1).size(), 1u);
  EXPECT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(subscriber_->connects(), 2u);
  // on_reconnect came after the re-SUBSCRIBE was confirmed: publishing now reaches both channels.
  EXPECT_EQ(publish(channel_a, "after a"), 1);
  EXPECT_EQ(publish(channel_b, "after b"), 1);
  EXPECT_EQ(a.wait_for(1).back(), Message(channel_a, "after a"));
  EXPECT_EQ(b.wait_for(1).back(), Message(channel_b, "after b"));

  // A second outage is announced again.
  EXPECT_EQ(threads_.run(one(publisher_, {"CLIENT", "KILL", "TYPE", "pubsub"})), Reply::number(1));
  ASSERT_EQ(disconnects.wait_for(2).size(), 2u);
  ASSERT_EQ(reconnects.wait_for(2).size(), 2u);
  EXPECT_EQ(publish(channel_a, "again"), 1);
  EXPECT_EQ(a.wait_for(2).back(), Message(channel_a, "again"));
}

// The publishing client and the subscriber both recover when the server kills every connection
// of both kinds.
TEST_F(RedisSubscriberTest, ClientAndSubscriberBothRecover) {
  testing::Inbox<int> reconnects;
  subscriber_->on_reconnect([&] { reconnects.push(1); });
  testing::Inbox<Message> inbox;
  const std::string channel = prefix_ + "c";
  subscribe(channel, inbox);
  EXPECT_EQ(publish(channel, "before"), 1);
  auto admin = std::make_shared<Client>(threads_.io().get_executor(), config_);
  EXPECT_EQ(threads_.run(one(admin, {"CLIENT", "KILL", "TYPE", "pubsub"})), Reply::number(1));
  // Once re-subscribed (until then its new connection is of TYPE normal too), kill the publisher's.
  ASSERT_EQ(reconnects.wait_for(1).size(), 1u);
  EXPECT_EQ(threads_.run(one(admin, {"CLIENT", "KILL", "TYPE", "normal"})), Reply::number(1));
  EXPECT_EQ(testing::eventually([&] { return publish(channel, "after"); }), 1);
  EXPECT_EQ(inbox.wait_for(2).back(), Message(channel, "after"));
  EXPECT_EQ(publisher_->stats().connects, 2u);
  admin->close();
}

TEST_F(RedisSubscriberTest, WrongPasswordFailsSubscribeWithAClearError) {
  ClientConfig config = config_;
  config.url.password = "wrong";
  auto subscriber = std::make_shared<Subscriber>(threads_.io().get_executor(), config);
  testing::Inbox<Message> inbox;
  try {
    threads_.run(subscribe_to(subscriber, prefix_ + "x", &inbox));
    ADD_FAILURE() << "expected an AppError";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_NE(e.internal_detail().find("WRONGPASS"), std::string::npos) << e.internal_detail();
  }
  subscriber->close();
}

TEST_F(RedisSubscriberTest, ClosedSubscriberRefusesSubscribe) {
  subscriber_->close();
  testing::Inbox<Message> inbox;
  EXPECT_THROW(subscribe(prefix_ + "x", inbox), AppError);
}

}  // namespace
}  // namespace parley::redis
