#pragma once
// A consumer of one queue, with manual acknowledgements and a prefetch (Connection::consume).
//
//   while (std::optional<amqp::Delivery> delivery = co_await consumer->next()) {
//     if (handled(*delivery)) co_await consumer->ack(delivery->delivery_tag);
//     else co_await consumer->nack(delivery->delivery_tag, /*requeue=*/false);  // to the dead-letter exchange
//   }
//
// The server sends at most `prefetch` deliveries that are not acknowledged yet; they wait here
// until next() takes them. Delivery tags belong to this consumer's channel: settle a delivery
// through the consumer it came from, once (a tag the server does not know closes the channel:
// the consumer then ends with Error(channel_error, 406)).
//
// The consumer ends cleanly (next() gives nullopt) after cancel() or the connection's close(); it
// ends with an Error (next() throws it) when the server cancels it (consumer_cancelled: its queue
// was deleted), closes its channel (channel_error) or the connection is lost (connection_lost).
// Once it has ended, deliveries it had not handed out are dropped and ack/nack/reject throw: their
// channel is closed, so RabbitMQ requeues them and delivers them again, redelivered.
//
// Thread-safe: any thread or coroutine may call any member; several coroutines may await next()
// at once (each delivery goes to one of them, in order). Destroying a consumer that has not ended
// cancels it in the background.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "amqp/types.hpp"

namespace parley::amqp {

namespace detail {
class Engine;
class ConsumerState;
}  // namespace detail

class Consumer {
 public:
  Consumer(std::shared_ptr<detail::Engine> engine, std::shared_ptr<detail::ConsumerState> state);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // The next delivery, waiting as long as it takes; nullopt once ended cleanly; throws Error once
  // ended otherwise. Not cancellable through Asio's cancellation slots: stop waiting with cancel().
  boost::asio::awaitable<std::optional<Delivery>> next();

  // Each completes once the frame is handed to the socket (the server does not answer these).
  // multiple: also every earlier delivery of this consumer not settled yet.
  boost::asio::awaitable<void> ack(std::uint64_t delivery_tag, bool multiple = false);
  // requeue = false sends the message to its queue's dead-letter exchange (or drops it without one).
  boost::asio::awaitable<void> nack(std::uint64_t delivery_tag, bool requeue, bool multiple = false);
  boost::asio::awaitable<void> reject(std::uint64_t delivery_tag, bool requeue);

  // Stops the deliveries and closes the consumer's channel; ends the consumer cleanly. Deliveries
  // not acknowledged by then go back to the queue. Harmless once ended.
  boost::asio::awaitable<void> cancel();

  const std::string& queue() const noexcept;
  std::string tag() const;  // the server's consumer tag
  bool ended() const;

 private:
  std::shared_ptr<detail::Engine> engine_;
  std::shared_ptr<detail::ConsumerState> state_;
};

}  // namespace parley::amqp
