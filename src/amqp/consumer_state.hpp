#pragma once
// Internal: what a consumer shares between its connection's thread (which pushes deliveries and
// ends it) and the coroutines that await next(). At most `prefetch` deliveries are buffered: the
// server sends no more until some are acknowledged.
//
// Thread-safe.
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "amqp/completion.hpp"
#include "amqp/types.hpp"

namespace parley::amqp::detail {

class ConsumerState {
 public:
  using Waiter = std::shared_ptr<Completion<std::optional<Delivery>>>;

  ConsumerState(std::string queue, std::uint16_t prefetch) : queue_(std::move(queue)), prefetch_(prefetch) {}

  const std::string& queue() const noexcept { return queue_; }
  std::uint16_t prefetch() const noexcept { return prefetch_; }

  // The next delivery, at once if one is buffered; nullopt (ended cleanly) or the end's error once ended.
  void next(Waiter waiter);
  // Connection thread: a delivery arrived. Dropped when the consumer has ended.
  void push(Delivery delivery);
  // Ends the consumer: waiters and later next() calls get nullopt (error null) or the error;
  // buffered deliveries are dropped (their channel closes, so RabbitMQ requeues them). First call wins.
  void end(std::exception_ptr error);
  bool ended() const;
  // Null while running or after a clean end.
  std::exception_ptr end_error() const;

  // Set by the connection's thread when the server confirmed the consumer.
  void set_tag(std::string tag);
  std::string tag() const;

 private:
  const std::string queue_;
  const std::uint16_t prefetch_;
  mutable std::mutex mutex_;
  std::deque<Delivery> buffered_;
  std::deque<Waiter> waiters_;
  bool ended_ = false;
  std::exception_ptr error_;
  std::string tag_;
};

}  // namespace parley::amqp::detail
