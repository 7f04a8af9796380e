#include "amqp/consumer.hpp"

#include "amqp/completion.hpp"
#include "amqp/consumer_state.hpp"
#include "amqp/engine.hpp"
#include "amqp/session.hpp"

namespace parley::amqp {

using boost::asio::awaitable;

Consumer::Consumer(std::shared_ptr<detail::Engine> engine, std::shared_ptr<detail::ConsumerState> state)
    : engine_(std::move(engine)), state_(std::move(state)) {}

Consumer::~Consumer() {
  if (state_->ended()) return;
  engine_->submit(
      detail::Job{[state = state_](detail::Session& session) { session.cancel(state); }, [](std::exception_ptr) {}});
}

awaitable<std::optional<Delivery>> Consumer::next() {
  return detail::async_op<std::optional<Delivery>>(
      [state = state_](std::shared_ptr<detail::Completion<std::optional<Delivery>>> done) {
        state->next(std::move(done));
      });
}

namespace {

awaitable<void> settle(const std::shared_ptr<detail::Engine>& engine,
                       const std::shared_ptr<detail::ConsumerState>& state, std::uint64_t delivery_tag,
                       detail::Session::Settle how, bool multiple, bool requeue) {
  return detail::async_op<void>(
      [engine, state, delivery_tag, how, multiple, requeue](std::shared_ptr<detail::Completion<void>> done) {
        engine->submit(detail::Job{[state, delivery_tag, how, multiple, requeue, done](detail::Session& session) {
                                     session.settle(state, delivery_tag, how, multiple, requeue);
                                     done->succeed();
                                   },
                                   [done](std::exception_ptr error) { done->fail(error); }});
      });
}

}  // namespace

awaitable<void> Consumer::ack(std::uint64_t delivery_tag, bool multiple) {
  return settle(engine_, state_, delivery_tag, detail::Session::Settle::ack, multiple, false);
}

awaitable<void> Consumer::nack(std::uint64_t delivery_tag, bool requeue, bool multiple) {
  return settle(engine_, state_, delivery_tag, detail::Session::Settle::nack, multiple, requeue);
}

awaitable<void> Consumer::reject(std::uint64_t delivery_tag, bool requeue) {
  return settle(engine_, state_, delivery_tag, detail::Session::Settle::reject, false, requeue);
}

awaitable<void> Consumer::cancel() {
  return detail::async_op<void>([engine = engine_, state = state_](std::shared_ptr<detail::Completion<void>> done) {
    engine->submit(detail::Job{[state, done](detail::Session& session) {
                                 session.cancel(state);
                                 done->succeed();
                               },
                               // The connection has ended, and the consumer with it.
                               [state, done](std::exception_ptr) {
                                 state->end(nullptr);
                                 done->succeed();
                               }});
  });
}

const std::string& Consumer::queue() const noexcept { return state_->queue(); }

std::string Consumer::tag() const { return state_->tag(); }

bool Consumer::ended() const { return state_->ended(); }

}  // namespace parley::amqp
