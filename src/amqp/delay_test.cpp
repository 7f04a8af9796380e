// Delayed messages with the API, the standard RabbitMQ pattern a job broker uses for retries with
// backoff: a delay queue nobody consumes, whose messages expire (per message, or after the queue's
// TTL) and are dead-lettered back to the work exchange.
//
//   publish --> "" --(routing key = delay queue)--> [delay queue, x-dead-letter-exchange = work]
//                                                        | expired
//                                                        v
//                                  work exchange --(x-dead-letter-routing-key)--> [work queue] --> consumer
#include <gtest/gtest.h>

#include "amqp/connection.hpp"
#include "amqp/testing.hpp"

namespace parley::amqp {
namespace {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::unique_name;

class AmqpDelay : public testing::ServerTest {
 protected:
  // The work exchange and queue (bound with "run"), and a delay queue that dead-letters to them.
  awaitable<void> declare(Connection& conn, std::optional<milliseconds> queue_ttl) {
    ExchangeOptions direct;
    co_await conn.declare_exchange(work_exchange_, direct);
    co_await conn.declare_queue(work_queue_);
    co_await conn.bind_queue(work_queue_, work_exchange_, run_key_);
    QueueOptions delay;
    delay.dead_letter_exchange = work_exchange_;
    delay.dead_letter_routing_key = run_key_;
    delay.message_ttl = queue_ttl;
    co_await conn.declare_queue(delay_queue_, delay);
  }
  awaitable<void> remove(Connection& conn) {
    co_await conn.delete_queue(delay_queue_);
    co_await conn.delete_queue(work_queue_);
    co_await conn.delete_exchange(work_exchange_);
  }
  // Checks that `delivery` went through the delay queue by expiring there.
  void expect_expired_from_delay_queue(const Delivery& delivery) {
    EXPECT_EQ(delivery.exchange, work_exchange_);
    EXPECT_EQ(delivery.routing_key, run_key_);
    const auto& death = delivery.properties.headers.at("x-death").as_array().at(0).as_object();
    EXPECT_EQ(death.at("reason").as_string(), "expired");
    EXPECT_EQ(death.at("queue").as_string(), delay_queue_);
  }

  const std::string work_exchange_ = unique_name("work");
  const std::string work_queue_ = unique_name("work");
  const std::string delay_queue_ = unique_name("delay");
  const std::string run_key_ = "run";
};

TEST_F(AmqpDelay, PerMessageExpirationDelaysTheMessage) {
  auto conn = open();
  run([&]() -> awaitable<void> {
    co_await declare(*conn, std::nullopt);
    auto consumer = co_await conn->consume(work_queue_);
    Message message;
    message.routing_key = delay_queue_;  // the default exchange: straight into the delay queue
    message.body = "retry me";
    message.properties.message_id = "job-7";
    message.properties.expiration = milliseconds(300);
    const auto published = Clock::now();
    co_await conn->publish(message);
    EXPECT_EQ((co_await conn->inspect_queue(delay_queue_)).messages, 1u);
    auto delivery = co_await consumer->next();
    const auto waited = Clock::now() - published;
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    EXPECT_EQ(delivery->body, "retry me");
    EXPECT_EQ(delivery->properties.message_id, "job-7");
    expect_expired_from_delay_queue(*delivery);
    // It could not have expired before its TTL (a lower bound only: tests never bound timings above).
    EXPECT_GE(waited, milliseconds(300));
    co_await consumer->ack(delivery->delivery_tag);
    co_await consumer->cancel();
    co_await remove(*conn);
  }());
}

TEST_F(AmqpDelay, QueueTtlDelaysEveryMessage) {
  auto conn = open();
  run([&]() -> awaitable<void> {
    co_await declare(*conn, milliseconds(200));
    auto consumer = co_await conn->consume(work_queue_);
    const auto published = Clock::now();
    for (const char* body : {"a", "b"}) {
      Message message;
      message.routing_key = delay_queue_;
      message.body = body;
      co_await conn->publish(message);
    }
    std::vector<std::string> bodies;
    for (int i = 0; i < 2; ++i) {
      auto delivery = co_await consumer->next();
      EXPECT_TRUE(delivery.has_value());
      if (!delivery) co_return;
      expect_expired_from_delay_queue(*delivery);
      bodies.push_back(delivery->body);
      co_await consumer->ack(delivery->delivery_tag);
    }
    EXPECT_GE(Clock::now() - published, milliseconds(200));
    EXPECT_EQ(bodies, (std::vector<std::string>{"a", "b"}));
    co_await consumer->cancel();
    co_await remove(*conn);
  }());
}

}  // namespace
}  // namespace parley::amqp
