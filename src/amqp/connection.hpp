#pragma once
// An AMQP 0-9-1 connection to RabbitMQ (rabbitmq-c on a thread of its own), awaited from Boost.Asio
// coroutines. What a job broker needs: durable exchanges and queues with dead-lettering, TTLs and
// priorities; publishes confirmed by the server; consumers with a prefetch and manual acks.
//
//   amqp::ConnectionConfig config{.url = amqp::parse_url(broker_url)};
//   std::shared_ptr<amqp::Connection> conn = co_await amqp::Connection::open(config);
//   co_await conn->declare_exchange(exchange, exchange_options);
//   amqp::QueueInfo info = co_await conn->declare_queue(queue, queue_options);
//   co_await conn->bind_queue(queue, exchange, routing_key);
//   co_await conn->publish(message);                 // returns once RabbitMQ confirmed it
//   auto consumer = co_await conn->consume(queue, consume_options);
//   while (std::optional<amqp::Delivery> d = co_await consumer->next()) {
//     ...; co_await consumer->ack(d->delivery_tag);
//   }
//   co_await conn->close();
//
// Threads. rabbitmq-c is blocking and not thread-safe, so every connection runs it on a thread of
// its own (detail::Engine) that performs the operations one at a time, in the order they were
// called, and reads what the server sends meanwhile. Every member function may be called from any
// thread and any coroutine, concurrently; the awaiting coroutine resumes on its own executor, which
// counts as busy meanwhile. Close or destroy the connection before those executors' io_contexts.
//
// Publishing. The connection's publish channel is in confirm mode (confirm.select once). publish()
// completes when the server has taken responsibility for the message (basic.ack: for a persistent
// message in a durable queue, once it is on disk), and throws Error otherwise: unroutable (a
// mandatory message no queue is bound for: basic.return), nacked, channel_error (e.g. 404: no such
// exchange; every publish then awaiting its confirm fails with it, delivered or not), timeout (no
// confirm within operation_timeout; it may still be delivered), blocked (the server announced that
// a memory or disk alarm blocks publishers: nothing is sent until it lifts), or the connection's
// end. Delivery is at least once: a publish that failed may have been delivered, so consumers must
// tolerate duplicates (jobs carry their id in message_id).
//
// Declaring. A refused declare or bind (406 PRECONDITION_FAILED: the queue exists with other
// arguments; 404: no such exchange) throws Error(channel_error); the connection stays usable.
//
// Failures. When the connection ends without close() (the server closed it, e.g. 320
// CONNECTION_FORCED; the socket broke; heartbeats stopped; a reply came later than
// operation_timeout) every pending and later operation fails with Error(connection_lost) saying
// why, consumers' next() included. A Connection is not re-opened: open a new one, declare the
// topology again and consume again. RabbitMQ requeues the deliveries that were not acknowledged on
// the old connection and delivers them again with redelivered set; an ack that did not reach it
// is lost the same way (the job runs twice).
//
// Limits. Replies are bounded by operation_timeout, writes are not: rabbitmq-c waits as long as
// it takes for a socket the server stopped reading (it does so for publishers during an alarm,
// hence `blocked` above); meanwhile the connection's other operations wait too. A silent peer is
// found by heartbeats only between writes.
//
// The operations are plain functions, not coroutines: they take their arguments (by value) when
// called and return the awaitable. GCC 12 frees a braced temporary of an aggregate (Message,
// QueueOptions{...}, ...) inside a co_await expression at a wrong address: build messages and
// options as named variables (string literals and other non-aggregate temporaries are fine). For
// the same reason the defaults are overloads, not default arguments.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "amqp/config.hpp"
#include "amqp/consumer.hpp"
#include "amqp/error.hpp"
#include "amqp/types.hpp"

namespace parley::amqp {

namespace detail {
class Engine;
}

class Connection {
 public:
  // Connects (TCP, handshake, login, the channels it needs) within connect_timeout. Throws
  // Error(connect_failed) saying why (refused, ACCESS_REFUSED, no such vhost, ...).
  static boost::asio::awaitable<std::shared_ptr<Connection>> open(ConnectionConfig config);

  // Closes as close() does (without awaiting it) and waits for the connection's thread to end:
  // about 2 x operation_timeout at most with publishes unconfirmed (unless a write is stuck: see
  // Limits). Prefer co_await close() first.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  boost::asio::awaitable<void> declare_exchange(std::string name, ExchangeOptions options);
  boost::asio::awaitable<void> declare_exchange(std::string name);  // durable, direct
  // "" lets the server name the queue (QueueInfo::name), e.g. for an exclusive reply queue.
  boost::asio::awaitable<QueueInfo> declare_queue(std::string name, QueueOptions options);
  boost::asio::awaitable<QueueInfo> declare_queue(std::string name);  // durable, no arguments
  // The queue's counts without declaring it (passive); Error(channel_error, 404) when it does not exist.
  boost::asio::awaitable<QueueInfo> inspect_queue(std::string name);
  boost::asio::awaitable<void> bind_queue(std::string queue, std::string exchange, std::string routing_key,
                                          Table arguments);
  boost::asio::awaitable<void> bind_queue(std::string queue, std::string exchange, std::string routing_key);
  boost::asio::awaitable<void> unbind_queue(std::string queue, std::string exchange, std::string routing_key,
                                            Table arguments);
  boost::asio::awaitable<void> unbind_queue(std::string queue, std::string exchange, std::string routing_key);
  // Each returns how many messages the queue held (ready ones).
  boost::asio::awaitable<std::uint32_t> purge_queue(std::string queue);
  boost::asio::awaitable<std::uint32_t> delete_queue(std::string queue);
  boost::asio::awaitable<void> delete_exchange(std::string name);

  // Publishes and waits for the server's confirm (see above). A header value AMQP cannot carry
  // (an unsigned integer above INT64_MAX) throws std::invalid_argument and sends nothing.
  boost::asio::awaitable<void> publish(Message message);

  // Starts a consumer on a channel of its own with manual acks. Throws Error(channel_error) when
  // the server refuses (404: no such queue; 403: an exclusive consumer is there), and
  // std::invalid_argument for a prefetch of 0.
  boost::asio::awaitable<std::shared_ptr<Consumer>> consume(std::string queue, ConsumeOptions options);
  boost::asio::awaitable<std::shared_ptr<Consumer>> consume(std::string queue);  // prefetch 1

  // A clean close: operations called before it run, publishes awaiting a confirm get it (or fail
  // after operation_timeout), consumers end (their next() gives nullopt; RabbitMQ requeues what
  // they did not acknowledge), then connection.close. Later operations fail with Error(closed).
  // Returns once the connection has ended, however it ended; calling it again is harmless.
  boost::asio::awaitable<void> close();

  // Open: connected, not closing, not ended.
  bool is_open() const noexcept;
  // Why the connection ended without close() ("" while open or after close()).
  std::string failure() const;
  const ConnectionConfig& config() const noexcept;

 private:
  explicit Connection(std::shared_ptr<detail::Engine> engine);
  std::shared_ptr<detail::Engine> engine_;
};

}  // namespace parley::amqp
