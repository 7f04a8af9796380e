// Consumers against the RabbitMQ test server: prefetch, acks, nacks, cancelling.
#include "amqp/consumer.hpp"

#include <gtest/gtest.h>

#include "amqp/connection.hpp"
#include "amqp/testing.hpp"

namespace parley::amqp {
namespace {

using boost::asio::awaitable;
using testing::unique_name;

class AmqpConsumer : public testing::ServerTest {};

awaitable<void> publish_bodies(Connection& conn, const std::string& queue, const std::vector<std::string>& bodies) {
  for (const auto& body : bodies) {
    Message message;
    message.routing_key = queue;
    message.body = body;
    co_await conn.publish(message);
  }
}

TEST_F(AmqpConsumer, PrefetchBoundsTheDeliveriesInFlight) {
  auto conn = open();
  const std::string queue = unique_name("prefetch");
  run([&]() -> awaitable<void> {
    co_await conn->declare_queue(queue);
    const std::vector<std::string> bodies{"1", "2", "3", "4", "5"};  // named: GCC 12 rejects a braced list here
    co_await publish_bodies(*conn, queue, bodies);
    ConsumeOptions options;
    options.prefetch = 2;
    auto consumer = co_await conn->consume(queue, options);
    auto first = co_await consumer->next();
    auto second = co_await consumer->next();
    EXPECT_TRUE(first && second);
    if (!first || !second) co_return;
    EXPECT_EQ(first->body, "1");
    EXPECT_EQ(second->body, "2");
    // Two unacknowledged deliveries: the server holds the other three back.
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 3u);
    co_await consumer->ack(first->delivery_tag);
    auto third = co_await consumer->next();
    EXPECT_TRUE(third.has_value());
    if (!third) co_return;
    EXPECT_EQ(third->body, "3");
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 2u);
    // multiple: settles the second and the third at once.
    co_await consumer->ack(third->delivery_tag, true);
    auto fourth = co_await consumer->next();
    auto fifth = co_await consumer->next();
    EXPECT_TRUE(fourth && fifth);
    EXPECT_EQ((co_await conn->inspect_queue(queue)).messages, 0u);
    co_await consumer->cancel();
    // Cancelling hands the two unacknowledged deliveries back to the queue.
    EXPECT_EQ(co_await conn->delete_queue(queue), 2u);
  }());
}

TEST_F(AmqpConsumer, NackWithRequeueRedelivers) {
  auto conn = open();
  const std::string queue = unique_name("requeue");
  run([&]() -> awaitable<void> {
    co_await conn->declare_queue(queue);
    const std::vector<std::string> bodies{"again"};
    co_await publish_bodies(*conn, queue, bodies);
    auto consumer = co_await conn->consume(queue);
    auto delivery = co_await consumer->next();
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    EXPECT_FALSE(delivery->redelivered);
    co_await consumer->nack(delivery->delivery_tag, true);
    auto again = co_await consumer->next();
    EXPECT_TRUE(again.has_value());
    if (!again) co_return;
    EXPECT_EQ(again->body, "again");
    EXPECT_TRUE(again->redelivered);
    // reject with requeue does the same.
    co_await consumer->reject(again->delivery_tag, true);
    auto third = co_await consumer->next();
    EXPECT_TRUE(third && third->redelivered);
    if (!third) co_return;
    co_await consumer->ack(third->delivery_tag);
    co_await consumer->cancel();
    EXPECT_EQ(co_await conn->delete_queue(queue), 0u);
  }());
}

// The work queue's dead-letter exchange (fanout) routes what a worker gives up on to a dead queue.
TEST_F(AmqpConsumer, NackWithoutRequeueGoesToTheDeadLetterQueue) {
  auto conn = open();
  const std::string dlx = unique_name("dlx");
  const std::string dead = unique_name("dead");
  const std::string work = unique_name("work");
  run([&]() -> awaitable<void> {
    ExchangeOptions fanout;
    fanout.type = ExchangeType::fanout;
    co_await conn->declare_exchange(dlx, fanout);
    co_await conn->declare_queue(dead);
    const std::string any_key;
    co_await conn->bind_queue(dead, dlx, any_key);
    QueueOptions work_options;
    work_options.dead_letter_exchange = dlx;
    co_await conn->declare_queue(work, work_options);

    Message message;
    message.routing_key = work;
    message.body = "poison";
    message.properties.message_id = "job-poison";
    co_await conn->publish(message);
    auto consumer = co_await conn->consume(work);
    auto delivery = co_await consumer->next();
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    co_await consumer->nack(delivery->delivery_tag, false);

    auto dead_consumer = co_await conn->consume(dead);
    auto dead_letter = co_await dead_consumer->next();
    EXPECT_TRUE(dead_letter.has_value());
    if (!dead_letter) co_return;
    EXPECT_EQ(dead_letter->body, "poison");
    EXPECT_EQ(dead_letter->properties.message_id, "job-poison");
    EXPECT_EQ(dead_letter->exchange, dlx);
    // RabbitMQ records why and from where: x-death is an array of tables, the latest first.
    const auto& death = dead_letter->properties.headers.at("x-death").as_array().at(0).as_object();
    EXPECT_EQ(death.at("reason").as_string(), "rejected");
    EXPECT_EQ(death.at("queue").as_string(), work);
    EXPECT_EQ(death.at("count").as_int64(), 1);
    co_await dead_consumer->ack(dead_letter->delivery_tag);
    EXPECT_EQ((co_await conn->inspect_queue(work)).messages, 0u);
    co_await consumer->cancel();
    co_await dead_consumer->cancel();
    co_await conn->delete_queue(work);
    co_await conn->delete_queue(dead);
    co_await conn->delete_exchange(dlx);
  }());
}

TEST_F(AmqpConsumer, CancelEndsTheConsumerCleanlyAndWakesItsWaiters) {
  auto conn = open();
  const std::string queue = unique_name("cancel");
  run(conn->declare_queue(queue));
  auto consumer = run(conn->consume(queue));
  // A coroutine waits for a delivery that never comes; cancel() wakes it with nullopt.
  auto waiting = boost::asio::co_spawn(io_.io(), consumer->next(), boost::asio::use_future);
  run(consumer->cancel());
  ASSERT_EQ(waiting.wait_for(testing::kDeadline), std::future_status::ready);
  EXPECT_FALSE(waiting.get().has_value());
  EXPECT_TRUE(consumer->ended());
  EXPECT_FALSE(run(consumer->next()).has_value());
  // Its deliveries can no longer be settled.
  try {
    run(consumer->ack(1));
    ADD_FAILURE() << "an ended consumer acknowledged";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::closed) << e.what();
  }
  run(consumer->cancel());  // harmless once ended
  run(conn->delete_queue(queue));
}

TEST_F(AmqpConsumer, DeletingTheQueueCancelsItsConsumer) {
  auto conn = open();
  const std::string queue = unique_name("deleted");
  run(conn->declare_queue(queue));
  auto consumer = run(conn->consume(queue));
  auto waiting = boost::asio::co_spawn(io_.io(), consumer->next(), boost::asio::use_future);
  run(conn->delete_queue(queue));
  ASSERT_EQ(waiting.wait_for(testing::kDeadline), std::future_status::ready);
  try {
    waiting.get();
    ADD_FAILURE() << "next() did not fail when its queue was deleted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::consumer_cancelled) << e.what();
    EXPECT_NE(std::string(e.what()).find(queue), std::string::npos) << e.what();
  }
  EXPECT_TRUE(conn->is_open());
}

TEST_F(AmqpConsumer, ConsumingAMissingQueueIsAChannelError) {
  auto conn = open();
  const std::string queue = unique_name("absent");
  try {
    run(conn->consume(queue));
    ADD_FAILURE() << "consumed a missing queue";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::channel_error) << e.what();
    EXPECT_EQ(e.reply_code(), 404) << e.what();
  }
  ConsumeOptions zero;
  zero.prefetch = 0;
  EXPECT_THROW(run(conn->consume(queue, zero)), std::invalid_argument);
  EXPECT_TRUE(conn->is_open());
}

// Acknowledging a tag the server never gave closes the consumer's channel (406), which ends that
// consumer only.
TEST_F(AmqpConsumer, AnUnknownDeliveryTagEndsOnlyThatConsumer) {
  auto conn = open();
  const std::string queue = unique_name("unknown-tag");
  run(conn->declare_queue(queue));
  auto consumer = run(conn->consume(queue));
  auto waiting = boost::asio::co_spawn(io_.io(), consumer->next(), boost::asio::use_future);
  run(consumer->ack(999));
  ASSERT_EQ(waiting.wait_for(testing::kDeadline), std::future_status::ready);
  try {
    waiting.get();
    ADD_FAILURE() << "the consumer survived an unknown delivery tag";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::channel_error) << e.what();
    EXPECT_EQ(e.reply_code(), 406) << e.what();
  }
  EXPECT_TRUE(conn->is_open());
  run(conn->delete_queue(queue));
}

}  // namespace
}  // namespace parley::amqp
