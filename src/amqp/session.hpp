#pragma once
// Internal: one rabbitmq-c connection and the protocol around it: channels, publisher confirms,
// returns, deliveries and the server's closes. Engine (engine.hpp) owns it on its own thread.
//
// Not thread-safe: everything runs on the connection's thread. Operations block on the socket for
// at most ConnectionConfig::operation_timeout (rabbitmq-c's RPC timeout) and throw Error; an error
// that ends the connection also marks the session dead (dead(), death()), after which only
// fail_everything() and the destructor may be called.
//
// Channels: 1 declares and binds; 2 publishes in confirm mode; each consumer has its own, from 3
// up, never reused before the numbers wrap, so a late frame of a closed channel cannot reach a new
// consumer. A channel the server closed (a refused declare, a publish to a missing exchange) is
// opened again by the next operation that needs it.
#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "amqp/completion.hpp"
#include "amqp/config.hpp"
#include "amqp/consumer_state.hpp"
#include "amqp/error.hpp"
#include "amqp/types.hpp"

namespace parley::amqp::detail {

class Session {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Session(ConnectionConfig config);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // TCP, handshake, login, the declare channel and the confirm-mode publish channel. Throws
  // Error(connect_failed).
  void connect();

  void declare_exchange(const std::string& name, const ExchangeOptions& options);
  QueueInfo declare_queue(const std::string& name, const QueueOptions& options, bool passive);
  void bind_queue(const std::string& queue, const std::string& exchange, const std::string& routing_key,
                  const Table& arguments);
  void unbind_queue(const std::string& queue, const std::string& exchange, const std::string& routing_key,
                    const Table& arguments);
  std::uint32_t purge_queue(const std::string& queue);
  std::uint32_t delete_queue(const std::string& queue);
  void delete_exchange(const std::string& name);

  // Sends the message; `done` completes when the server confirms it (or fails: see Error's kinds).
  void publish(Message message, std::shared_ptr<Completion<void>> done);

  // Opens the consumer's channel, sets its prefetch and starts consuming.
  void consume(const std::shared_ptr<ConsumerState>& consumer, const ConsumeOptions& options);
  enum class Settle { ack, nack, reject };
  void settle(const std::shared_ptr<ConsumerState>& consumer, std::uint64_t delivery_tag, Settle how, bool multiple,
              bool requeue);
  // Stops the consumer and closes its channel (RabbitMQ requeues what it did not acknowledge); ends it cleanly.
  void cancel(const std::shared_ptr<ConsumerState>& consumer);

  // The socket to poll for input, and whether input is already buffered (then do not poll).
  int socket_fd() const;
  bool has_buffered_input() const;
  // Reads and handles up to `max_frames` frames that are available now.
  void pump(int max_frames);
  // Fails the publishes whose confirm is overdue; returns when the next one falls due.
  std::optional<Clock::time_point> expire_publishes(Clock::time_point now);
  bool publishes_pending() const noexcept { return !pending_.empty(); }

  bool dead() const noexcept { return death_ != nullptr; }
  std::exception_ptr death() const noexcept { return death_; }

  // Ends every consumer and fails every unconfirmed publish with `error` (null: consumers end
  // cleanly and publishes fail as closed).
  void fail_everything(std::exception_ptr error);
  // The closing handshake (connection.close), bounded by operation_timeout; then the socket closes.
  void close();

 private:
  struct PendingPublish {
    std::shared_ptr<Completion<void>> done;
    Clock::time_point deadline;
    std::string exchange;
    std::string routing_key;
    std::string message_id;
    std::string body;
    // Set by basic.return, which comes before the basic.ack of the same message.
    std::optional<Error> returned;
  };
  struct ConsumerEntry {
    std::shared_ptr<ConsumerState> state;
    std::string tag;
  };

  [[noreturn]] void die(Error error);
  // Throws (and, when the connection ended, dies) unless `reply` is a normal reply.
  void check(const amqp_rpc_reply_t& reply, amqp_channel_t channel, const std::string& what,
             ErrorKind library_kind = ErrorKind::connection_lost);
  void check_status(int status, const std::string& what);
  void ensure_declare_channel();
  void ensure_publish_channel();
  amqp_channel_t allocate_consumer_channel();
  void channel_closed_by_server(amqp_channel_t channel, const Error& error);
  void dispatch(const amqp_frame_t& frame);
  // Reads the content (header and body frames) that follows a basic.deliver or basic.return.
  bool read_content(amqp_channel_t channel, amqp_message_t& message);
  void on_deliver(amqp_channel_t channel, const amqp_basic_deliver_t& method);
  void on_return(const amqp_basic_return_t& method);
  void on_confirm(std::uint64_t delivery_tag, bool multiple, bool ack);
  void on_server_cancel(amqp_channel_t channel, const amqp_basic_cancel_t& method);
  void fail_publishes(std::exception_ptr error);

  static constexpr amqp_channel_t kDeclareChannel = 1;
  static constexpr amqp_channel_t kPublishChannel = 2;
  static constexpr amqp_channel_t kFirstConsumerChannel = 3;

  const ConnectionConfig config_;
  amqp_connection_state_t conn_ = nullptr;
  std::exception_ptr death_;
  bool declare_open_ = false;
  bool publish_open_ = false;
  std::uint64_t next_publish_tag_ = 1;  // the delivery tag the next publish gets in confirm mode
  std::map<std::uint64_t, PendingPublish> pending_;
  std::map<amqp_channel_t, ConsumerEntry> consumers_;
  amqp_channel_t next_consumer_channel_ = kFirstConsumerChannel;
  int channel_max_ = 0;
  // Set while the server blocks publishers (connection.blocked), with its reason.
  std::optional<std::string> blocked_;
};

}  // namespace parley::amqp::detail
