#include "amqp/connection.hpp"

#include <stdexcept>

#include "amqp/completion.hpp"
#include "amqp/consumer_state.hpp"
#include "amqp/engine.hpp"
#include "amqp/session.hpp"

namespace parley::amqp {

using boost::asio::awaitable;

namespace {

// An operation that runs `work(session)` on the connection's thread and resumes the caller with
// its result. Not a coroutine: the arguments are owned by `work` from the call on.
template <class T, class Work>
awaitable<T> on_thread(const std::shared_ptr<detail::Engine>& engine, Work work) {
  return detail::async_op<T>([engine, work = std::move(work)](std::shared_ptr<detail::Completion<T>> done) mutable {
    engine->submit(detail::Job{[work = std::move(work), done](detail::Session& session) mutable {
                                 if constexpr (std::is_void_v<T>) {
                                   work(session);
                                   done->succeed();
                                 } else {
                                   done->succeed(work(session));
                                 }
                               },
                               [done](std::exception_ptr error) { done->fail(error); }});
  });
}

}  // namespace

Connection::Connection(std::shared_ptr<detail::Engine> engine) : engine_(std::move(engine)) {}

Connection::~Connection() {
  // Nobody awaits this close: its completion has no caller to resume.
  struct Nobody final : detail::Completion<void> {
    void succeed() override {}
    void fail(std::exception_ptr) override {}
  };
  engine_->close(std::make_shared<Nobody>());
  engine_->join();
}

awaitable<std::shared_ptr<Connection>> Connection::open(ConnectionConfig config) {
  auto engine = std::make_shared<detail::Engine>(std::move(config));
  return detail::async_op<std::shared_ptr<Connection>>(
      [engine](std::shared_ptr<detail::Completion<std::shared_ptr<Connection>>> done) {
        engine->start([engine_ptr = std::weak_ptr(engine), done](std::exception_ptr error) {
          if (error) {
            done->fail(error);
            return;
          }
          // Called on the engine's own thread, which holds a reference: lock() succeeds.
          done->succeed(std::shared_ptr<Connection>(new Connection(engine_ptr.lock())));
        });
      });
}

awaitable<void> Connection::declare_exchange(std::string name, ExchangeOptions options) {
  return on_thread<void>(engine_, [name = std::move(name), options = std::move(options)](detail::Session& session) {
    session.declare_exchange(name, options);
  });
}

awaitable<void> Connection::declare_exchange(std::string name) {
  return declare_exchange(std::move(name), ExchangeOptions());
}

awaitable<QueueInfo> Connection::declare_queue(std::string name) {
  return declare_queue(std::move(name), QueueOptions());
}

awaitable<QueueInfo> Connection::declare_queue(std::string name, QueueOptions options) {
  return on_thread<QueueInfo>(engine_,
                              [name = std::move(name), options = std::move(options)](detail::Session& session) {
                                return session.declare_queue(name, options, false);
                              });
}

awaitable<QueueInfo> Connection::inspect_queue(std::string name) {
  return on_thread<QueueInfo>(engine_, [name = std::move(name)](detail::Session& session) {
    return session.declare_queue(name, QueueOptions{}, true);
  });
}

awaitable<void> Connection::bind_queue(std::string queue, std::string exchange, std::string routing_key,
                                       Table arguments) {
  return on_thread<void>(
      engine_, [queue = std::move(queue), exchange = std::move(exchange), routing_key = std::move(routing_key),
                arguments = std::move(arguments)](detail::Session& session) {
        session.bind_queue(queue, exchange, routing_key, arguments);
      });
}

awaitable<void> Connection::bind_queue(std::string queue, std::string exchange, std::string routing_key) {
  return bind_queue(std::move(queue), std::move(exchange), std::move(routing_key), Table());
}

awaitable<void> Connection::unbind_queue(std::string queue, std::string exchange, std::string routing_key) {
  return unbind_queue(std::move(queue), std::move(exchange), std::move(routing_key), Table());
}

awaitable<void> Connection::unbind_queue(std::string queue, std::string exchange, std::string routing_key,
                                         Table arguments) {
  return on_thread<void>(
      engine_, [queue = std::move(queue), exchange = std::move(exchange), routing_key = std::move(routing_key),
                arguments = std::move(arguments)](detail::Session& session) {
        session.unbind_queue(queue, exchange, routing_key, arguments);
      });
}

awaitable<std::uint32_t> Connection::purge_queue(std::string queue) {
  return on_thread<std::uint32_t>(
      engine_, [queue = std::move(queue)](detail::Session& session) { return session.purge_queue(queue); });
}

awaitable<std::uint32_t> Connection::delete_queue(std::string queue) {
  return on_thread<std::uint32_t>(
      engine_, [queue = std::move(queue)](detail::Session& session) { return session.delete_queue(queue); });
}

awaitable<void> Connection::delete_exchange(std::string name) {
  return on_thread<void>(engine_,
                         [name = std::move(name)](detail::Session& session) { session.delete_exchange(name); });
}

awaitable<void> Connection::publish(Message message) {
  // Not through on_thread: the publish completes when its confirm arrives, not when it was sent.
  return detail::async_op<void>(
      [engine = engine_, message = std::move(message)](std::shared_ptr<detail::Completion<void>> done) mutable {
        engine->submit(detail::Job{[message = std::move(message), done](detail::Session& session) mutable {
                                     session.publish(std::move(message), done);
                                   },
                                   [done](std::exception_ptr error) { done->fail(error); }});
      });
}

awaitable<std::shared_ptr<Consumer>> Connection::consume(std::string queue) {
  return consume(std::move(queue), ConsumeOptions());
}

awaitable<std::shared_ptr<Consumer>> Connection::consume(std::string queue, ConsumeOptions options) {
  if (options.prefetch == 0) {
    throw std::invalid_argument("a consumer's prefetch must be at least 1 (0 would let the server send without bound)");
  }
  auto state = std::make_shared<detail::ConsumerState>(std::move(queue), options.prefetch);
  return on_thread<std::shared_ptr<Consumer>>(
      engine_, [engine = engine_, state, options = std::move(options)](detail::Session& session) {
        session.consume(state, options);
        return std::make_shared<Consumer>(engine, state);
      });
}

awaitable<void> Connection::close() {
  return detail::async_op<void>(
      [engine = engine_](std::shared_ptr<detail::Completion<void>> done) { engine->close(std::move(done)); });
}

bool Connection::is_open() const noexcept { return engine_->is_open(); }

std::string Connection::failure() const { return engine_->failure(); }

const ConnectionConfig& Connection::config() const noexcept { return engine_->config(); }

}  // namespace parley::amqp
