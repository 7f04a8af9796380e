// Connections that fail or end, against the RabbitMQ test server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "amqp/connection.hpp"
#include "amqp/testing.hpp"

namespace parley::amqp {
namespace {

using boost::asio::awaitable;
using testing::unique_name;

class AmqpFailure : public testing::ServerTest {};

// A loopback port bound to a socket that does not listen: connecting to it is refused.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST_F(AmqpFailure, ConnectionRefusedIsAClearConnectError) {
  RefusingPort refusing;
  config_.url.host = "127.0.0.1";
  config_.url.port = refusing.port();
  try {
    open();
    ADD_FAILURE() << "connected to a port nobody listens on";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::connect_failed) << what;
    EXPECT_TRUE(e.connection_gone());
    EXPECT_EQ(e.status(), 503);
    EXPECT_NE(what.find("could not connect to amqp://"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(refusing.port())), std::string::npos) << what;
    EXPECT_NE(what.find("refused"), std::string::npos) << what;
    EXPECT_EQ(what.find(config_.url.password), std::string::npos) << what;
  }
}

TEST_F(AmqpFailure, WrongPasswordIsRefusedWithoutShowingIt) {
  config_.url.password = "not-the-password-" + unique_name("pw");
  try {
    open();
    ADD_FAILURE() << "logged in with a wrong password";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::connect_failed) << what;
    EXPECT_EQ(e.reply_code(), 403) << what;
    EXPECT_NE(what.find("ACCESS_REFUSED"), std::string::npos) << what;
    EXPECT_EQ(what.find(config_.url.password), std::string::npos) << what;
  }
}

TEST_F(AmqpFailure, UnknownVhostIsRefused) {
  config_.url.vhost = unique_name("vhost");
  try {
    open();
    ADD_FAILURE() << "opened a vhost that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connect_failed) << e.what();
    EXPECT_NE(std::string(e.what()).find(config_.url.vhost), std::string::npos) << e.what();
  }
}

// The server closes the connection (rabbitmqctl close_connection, as an operator or a failover
// would): what was pending fails with connection_lost, later calls too, and a new connection
// works and gets the unacknowledged delivery again.
TEST_F(AmqpFailure, ServerSideCloseFailsPendingOperationsAndANewConnectionWorks) {
  const std::string queue = unique_name("survives");
  auto conn = open();
  std::shared_ptr<Consumer> consumer;
  std::optional<Delivery> unacknowledged;
  run([&]() -> awaitable<void> {
    co_await conn->declare_queue(queue);
    Message message;
    message.routing_key = queue;
    message.body = "in flight";
    co_await conn->publish(message);
    ConsumeOptions options;
    options.prefetch = 1;
    consumer = co_await conn->consume(queue, options);
    unacknowledged = co_await consumer->next();
  }());
  ASSERT_TRUE(unacknowledged.has_value());
  EXPECT_FALSE(unacknowledged->redelivered);
  // Pending when the connection goes: a coroutine waiting for the next delivery.
  auto pending = boost::asio::co_spawn(io_.io(), consumer->next(), boost::asio::use_future);

  ASSERT_EQ(testing::close_connections_named(config_.connection_name, "closed by the failure test"), 1);

  ASSERT_EQ(pending.wait_for(testing::kDeadline), std::future_status::ready);
  try {
    pending.get();
    ADD_FAILURE() << "next() survived the connection";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), ErrorKind::connection_lost) << what;
    EXPECT_EQ(e.reply_code(), 320) << what;
    EXPECT_NE(what.find("CONNECTION_FORCED"), std::string::npos) << what;
    EXPECT_NE(what.find("closed by the failure test"), std::string::npos) << what;
    EXPECT_EQ(e.status(), 503);
  }
  EXPECT_FALSE(conn->is_open());
  EXPECT_NE(conn->failure().find("CONNECTION_FORCED"), std::string::npos) << conn->failure();
  // Everything after fails the same way, at once.
  try {
    Message later;
    later.routing_key = queue;
    later.body = "too late";
    run(conn->publish(later));
    ADD_FAILURE() << "published on a lost connection";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::connection_lost) << e.what();
  }
  try {
    run(consumer->ack(unacknowledged->delivery_tag));
    ADD_FAILURE() << "acknowledged on a lost connection";
  } catch (const Error& e) {
    EXPECT_TRUE(e.connection_gone()) << e.what();
  }
  run(conn->close());  // harmless after a loss

  auto fresh = open();
  run([&]() -> awaitable<void> {
    auto again = co_await fresh->consume(queue);
    auto delivery = co_await again->next();
    EXPECT_TRUE(delivery.has_value());
    if (!delivery) co_return;
    EXPECT_EQ(delivery->body, "in flight");
    EXPECT_TRUE(delivery->redelivered);  // RabbitMQ requeued it when the old connection went
    co_await again->ack(delivery->delivery_tag);
    co_await again->cancel();
    EXPECT_EQ(co_await fresh->delete_queue(queue), 0u);
  }());
}

TEST_F(AmqpFailure, CloseEndsConsumersCleanlyAndLaterCallsFail) {
  const std::string queue = unique_name("closing");
  auto conn = open();
  QueueOptions options;
  options.auto_delete = true;  // goes with its consumer
  run(conn->declare_queue(queue, options));
  auto consumer = run(conn->consume(queue));
  auto waiting = boost::asio::co_spawn(io_.io(), consumer->next(), boost::asio::use_future);
  run(conn->close());
  ASSERT_EQ(waiting.wait_for(testing::kDeadline), std::future_status::ready);
  EXPECT_FALSE(waiting.get().has_value());  // a clean end, not an error
  EXPECT_TRUE(consumer->ended());
  EXPECT_FALSE(conn->is_open());
  EXPECT_EQ(conn->failure(), "");
  try {
    run(conn->declare_queue(queue));
    ADD_FAILURE() << "declared on a closed connection";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::closed) << e.what();
    EXPECT_EQ(e.status(), 503);
  }
  try {
    Message message;
    message.routing_key = queue;
    run(conn->publish(message));
    ADD_FAILURE() << "published on a closed connection";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::closed) << e.what();
  }
  run(conn->close());  // again: harmless
}

}  // namespace
}  // namespace parley::amqp
