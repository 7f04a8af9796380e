// Declaring, publishing with confirms and consuming against the RabbitMQ test server.
#include "amqp/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <set>

#include "amqp/testing.hpp"

namespace parley::amqp {
namespace {

using boost::asio::awaitable;
using testing::unique_name;

class AmqpConnection : public testing::ServerTest {};

Message to_queue(const std::string& queue, std::string body) {
  Message message;
  message.routing_key = queue;  // the default exchange routes by queue name
  message.body = std::move(body);
  return message;
}

TEST_F(AmqpConnection, PublishConfirmConsumeAckRoundTrip) {
  auto conn = open();
  EXPECT_TRUE(conn->is_open());
  const std::string exchange = unique_name("work");
  const std::string queue = unique_name("jobs");
  run([&]() -> awaitable<void> {
    ExchangeOptions exchange_options;
    exchange_options.type = ExchangeType::direct;
    co_await conn->declare_exchange(exchange, exchange_options);
    QueueOptions queue_options;
    const QueueInfo info = co_await conn->declare_queue(queue, queue_options);
    EXPECT_EQ(info.name, queue);
    EXPECT_EQ(info.messages, 0u);
    const std::string key = "mail.send";
    co_await conn->bind_queue(queue, exchange, key);

    Message message;
    message.exchange = exchange;
    message.routing_key = key;
    message.body = R"({"to":"ada@example.com"})";
    message.properties.message_id = "job-42";
    message.properties.content_type = "application/json";
    message.properties.correlation_id = "req-7";
    message.properties.type = "mail.send";
    message.properties.timestamp = 1700000000;
    message.properties.headers["attempt"] = 3;
    message.properties.headers["queue"] = "default";
    message.properties.headers["urgent"] = true;
    message.properties.headers["big"] = std::int64_t{1} << 40;
    message.properties.headers["trace"] = boost::json::object{{"span", "abc"}, {"depth", 2}};
    co_await conn->publish(message);  // returns once confirmed

    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 1u);
    ConsumeOptions consume_options;
    consume_options.prefetch = 1;
    auto consumer = co_await conn->consume(queue, consume_options);
    EXPECT_FALSE(consumer->tag().empty());
    const std::optional<Delivery> delivery = co_await consumer->next();
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    EXPECT_EQ(delivery->body, message.body);
    EXPECT_EQ(delivery->exchange, exchange);
    EXPECT_EQ(delivery->routing_key, key);
    EXPECT_EQ(delivery->consumer_tag, consumer->tag());
    EXPECT_FALSE(delivery->redelivered);
    EXPECT_GT(delivery->delivery_tag, 0u);
    EXPECT_EQ(delivery->properties.message_id, "job-42");
    EXPECT_EQ(delivery->properties.content_type, "application/json");
    EXPECT_EQ(delivery->properties.correlation_id, "req-7");
    EXPECT_EQ(delivery->properties.type, "mail.send");
    EXPECT_EQ(delivery->properties.timestamp, 1700000000);
    EXPECT_TRUE(delivery->properties.persistent);
    EXPECT_EQ(boost::json::serialize(delivery->properties.headers), boost::json::serialize(message.properties.headers));
    co_await consumer->ack(delivery->delivery_tag);
    // Acknowledged: cancelling (which would requeue an unacknowledged delivery) leaves the queue empty.
    co_await consumer->cancel();
    EXPECT_TRUE(consumer->ended());
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 0u);
    EXPECT_EQ(co_await conn->delete_queue(queue), 0u);
    co_await conn->delete_exchange(exchange);
  }());
}

TEST_F(AmqpConnection, UnroutableMandatoryPublishFailsAndTheConnectionGoesOn) {
  auto conn = open();
  const std::string exchange = unique_name("nowhere");
  const std::string queue = unique_name("somewhere");
  run([&]() -> awaitable<void> {
    ExchangeOptions options;
    options.durable = false;
    options.auto_delete = false;
    co_await conn->declare_exchange(exchange, options);
    Message message;
    message.exchange = exchange;
    message.routing_key = "no.binding";
    message.body = "lost";
    message.properties.message_id = "m-1";
    try {
      co_await conn->publish(message);
      ADD_FAILURE() << "an unroutable mandatory publish succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::unroutable) << e.what();
      EXPECT_EQ(e.reply_code(), 312) << e.what();
      EXPECT_NE(std::string(e.what()).find("NO_ROUTE"), std::string::npos) << e.what();
      EXPECT_EQ(e.status(), 500);
    }
    // Not mandatory: the server drops it and confirms.
    message.mandatory = false;
    co_await conn->publish(message);
    // The same channel still publishes what is routable.
    QueueOptions queue_options;
    queue_options.auto_delete = true;
    co_await conn->declare_queue(queue, queue_options);
    Message routable = to_queue(queue, "found");
    co_await conn->publish(routable);
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 1u);
    co_await conn->delete_queue(queue);
    co_await conn->delete_exchange(exchange);
  }());
}

TEST_F(AmqpConnection, PublishToAMissingExchangeIsAChannelErrorAndTheNextPublishWorks) {
  auto conn = open();
  const std::string queue = unique_name("after");
  run([&]() -> awaitable<void> {
    Message message;
    message.exchange = unique_name("missing");
    message.body = "x";
    try {
      co_await conn->publish(message);
      ADD_FAILURE() << "a publish to a missing exchange succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::channel_error) << e.what();
      EXPECT_EQ(e.reply_code(), 404) << e.what();
      EXPECT_FALSE(e.connection_gone());
    }
    EXPECT_TRUE(conn->is_open());
    co_await conn->declare_queue(queue);
    Message next = to_queue(queue, "y");
    co_await conn->publish(next);
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 1u);
    co_await conn->delete_queue(queue);
  }());
}

TEST_F(AmqpConnection, RefusedDeclareLeavesTheConnectionUsable) {
  auto conn = open();
  const std::string queue = unique_name("ttl");
  run([&]() -> awaitable<void> {
    QueueOptions first;
    first.message_ttl = std::chrono::seconds(1);
    co_await conn->declare_queue(queue, first);
    QueueOptions other = first;
    other.message_ttl = std::chrono::seconds(2);
    try {
      co_await conn->declare_queue(queue, other);
      ADD_FAILURE() << "a queue was re-declared with other arguments";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::channel_error) << e.what();
      EXPECT_EQ(e.reply_code(), 406) << e.what();
      EXPECT_NE(std::string(e.what()).find("PRECONDITION_FAILED"), std::string::npos) << e.what();
    }
    try {
      co_await conn->inspect_queue(unique_name("absent"));
      ADD_FAILURE() << "a missing queue was found";
    } catch (const Error& e) {
      EXPECT_EQ(e.reply_code(), 404) << e.what();
    }
    // The same declaration again is fine: declaring is idempotent.
    EXPECT_EQ((co_await conn->declare_queue(queue, first)).name, queue);
    co_await conn->delete_queue(queue);
  }());
}

TEST_F(AmqpConnection, ServerNamedQueue) {
  auto conn = open();
  run([&]() -> awaitable<void> {
    QueueOptions options;
    options.durable = false;
    options.exclusive = true;
    const std::string empty;
    const QueueInfo info = co_await conn->declare_queue(empty, options);
    EXPECT_TRUE(info.name.starts_with("amq.gen-")) << info.name;
  }());
}

TEST_F(AmqpConnection, ServerRefusedPublishIsNacked) {
  auto conn = open();
  const std::string queue = unique_name("full");
  run([&]() -> awaitable<void> {
    QueueOptions options;
    options.arguments["x-max-length"] = 1;
    options.arguments["x-overflow"] = "reject-publish";
    co_await conn->declare_queue(queue, options);
    Message first = to_queue(queue, "fits");
    co_await conn->publish(first);
    Message second = to_queue(queue, "does not fit");
    try {
      co_await conn->publish(second);
      ADD_FAILURE() << "a publish into a full reject-publish queue was confirmed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::nacked) << e.what();
      EXPECT_EQ(e.status(), 503);
    }
    EXPECT_EQ(co_await conn->delete_queue(queue), 1u);
  }());
}

TEST_F(AmqpConnection, HeaderValueAmqpCannotCarryIsRefusedBeforeSending) {
  auto conn = open();
  const std::string queue = unique_name("headers");
  run([&]() -> awaitable<void> {
    co_await conn->declare_queue(queue);
    Message message = to_queue(queue, "x");
    message.properties.headers["huge"] = std::uint64_t{1} << 63;
    EXPECT_THROW(co_await conn->publish(message), std::invalid_argument);
    message.properties.headers.erase("huge");
    co_await conn->publish(message);
    EXPECT_EQ(co_await conn->delete_queue(queue), 1u);
  }());
}

TEST_F(AmqpConnection, PriorityQueueDeliversTheHighestFirst) {
  auto conn = open();
  const std::string queue = unique_name("priority");
  run([&]() -> awaitable<void> {
    QueueOptions options;
    options.max_priority = 10;
    co_await conn->declare_queue(queue, options);
    for (const int priority : {1, 9, 5}) {
      Message message = to_queue(queue, "p" + std::to_string(priority));
      message.properties.priority = static_cast<std::uint8_t>(priority);
      co_await conn->publish(message);
    }
    ConsumeOptions consume_options;
    consume_options.prefetch = 3;
    auto consumer = co_await conn->consume(queue, consume_options);
    std::vector<std::string> order;
    for (int i = 0; i < 3; ++i) {
      auto delivery = co_await consumer->next();
      if (!delivery) break;
      order.push_back(delivery->body);
      EXPECT_TRUE(delivery->properties.priority.has_value());
      co_await consumer->ack(delivery->delivery_tag);
    }
    EXPECT_EQ(order, (std::vector<std::string>{"p9", "p5", "p1"}));
    co_await consumer->cancel();
    co_await conn->delete_queue(queue);
  }());
}

TEST_F(AmqpConnection, UnbindAndPurge) {
  auto conn = open();
  const std::string exchange = unique_name("exchange");
  const std::string queue = unique_name("queue");
  run([&]() -> awaitable<void> {
    co_await conn->declare_exchange(exchange);
    co_await conn->declare_queue(queue);
    const std::string key = "k";
    co_await conn->bind_queue(queue, exchange, key);
    Message message;
    message.exchange = exchange;
    message.routing_key = key;
    message.body = "routed";
    co_await conn->publish(message);
    co_await conn->unbind_queue(queue, exchange, key);
    try {
      co_await conn->publish(message);
      ADD_FAILURE() << "published through a binding that was removed";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::unroutable) << e.what();
    }
    EXPECT_EQ(co_await conn->purge_queue(queue), 1u);
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 0u);
    co_await conn->delete_queue(queue);
    co_await conn->delete_exchange(exchange);
  }());
}

TEST_F(AmqpConnection, QuorumQueueWithADeadLetterExchange) {
  auto conn = open();
  const std::string queue = unique_name("quorum");
  const std::string dead = unique_name("quorum-dead");
  run([&]() -> awaitable<void> {
    co_await conn->declare_queue(dead);
    QueueOptions options;
    options.queue_type = "quorum";
    options.dead_letter_exchange = "";  // the default exchange: by queue name
    options.dead_letter_routing_key = dead;
    co_await conn->declare_queue(queue, options);
    Message message;
    message.routing_key = queue;
    message.body = "replicated";
    co_await conn->publish(message);
    auto consumer = co_await conn->consume(queue);
    auto delivery = co_await consumer->next();
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    EXPECT_EQ(delivery->body, "replicated");
    co_await consumer->reject(delivery->delivery_tag, false);
    auto dead_consumer = co_await conn->consume(dead);
    auto dead_letter = co_await dead_consumer->next();
    EXPECT_TRUE(dead_letter && dead_letter->body == "replicated");
    if (dead_letter) co_await dead_consumer->ack(dead_letter->delivery_tag);
    co_await consumer->cancel();
    co_await dead_consumer->cancel();
    co_await conn->delete_queue(queue);
    co_await conn->delete_queue(dead);
  }());
}

// Many coroutines on several threads publish at once on one connection; each gets its own confirm.
TEST_F(AmqpConnection, ConcurrentPublishesFromSeveralThreadsAreAllConfirmed) {
  constexpr int kPublishes = 300;
  testing::IoThreads publishers(4);
  auto conn = open();
  const std::string queue = unique_name("many");
  run(conn->declare_queue(queue));
  std::vector<std::future<void>> confirmed;
  for (int i = 0; i < kPublishes; ++i) {
    Message message = to_queue(queue, "m" + std::to_string(i));
    message.properties.message_id = "id-" + std::to_string(i);
    confirmed.push_back(
        boost::asio::co_spawn(publishers.io(), conn->publish(std::move(message)), boost::asio::use_future));
  }
  for (auto& future : confirmed) {
    ASSERT_EQ(future.wait_for(testing::kDeadline), std::future_status::ready);
    future.get();
  }
  run([&]() -> awaitable<void> {
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, static_cast<std::uint32_t>(kPublishes));
    ConsumeOptions options;
    options.prefetch = 50;
    auto consumer = co_await conn->consume(queue, options);
    std::set<std::string> ids;
    while (ids.size() < kPublishes) {
      auto delivery = co_await consumer->next();
      if (!delivery) break;
      ids.insert(delivery->properties.message_id);
      co_await consumer->ack(delivery->delivery_tag);
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(kPublishes));
    co_await consumer->cancel();
    EXPECT_EQ(co_await conn->delete_queue(queue), 0u);
  }());
}

}  // namespace
}  // namespace parley::amqp
