#include "amqp/session.hpp"

#include <amqp_tcp_socket.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "amqp/table.hpp"

namespace parley::amqp::detail {
namespace {

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval out{};
  out.tv_sec = static_cast<time_t>(duration.count() / 1000);
  out.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return out;
}

const char* exchange_type_name(ExchangeType type) {
  switch (type) {
    case ExchangeType::direct:
      return "direct";
    case ExchangeType::fanout:
      return "fanout";
    case ExchangeType::topic:
      return "topic";
    case ExchangeType::headers:
      return "headers";
  }
  return "direct";
}

// Why a TCP connection to host:port fails ("Connection refused"), for the error message: rabbitmq-c
// says only "a socket error occurred". Tries once more, within `timeout`; "" when it connects now.
std::string probe_connect_error(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return "";
  std::string reason;
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd =
        ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd writable{fd, POLLOUT, 0};
        if (::poll(&writable, 1, static_cast<int>(timeout.count())) <= 0) {
          error = ETIMEDOUT;
        } else {
          socklen_t length = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        }
      }
    }
    ::close(fd);
    if (error == 0) {
      reason.clear();
      break;
    }
    reason = std::strerror(error);
  }
  ::freeaddrinfo(found);
  return reason;
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

std::string reply_of(int code, amqp_bytes_t text) { return std::to_string(code) + " " + to_string(text); }

}  // namespace

Session::Session(ConnectionConfig config) : config_(std::move(config)) {}

Session::~Session() {
  if (conn_ != nullptr) amqp_destroy_connection(conn_);  // closes the socket
}

void Session::die(Error error) {
  if (!death_) death_ = std::make_exception_ptr(error);
  throw error;
}

void Session::check(const amqp_rpc_reply_t& reply, amqp_channel_t channel, const std::string& what,
                    ErrorKind connection_kind) {
  const std::string where = " (" + config_.url.redacted() + ")";
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return;
    case AMQP_RESPONSE_NONE:
      die(Error(connection_kind, what + ": no reply (protocol error)" + where));
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      if (reply.library_error == AMQP_STATUS_TIMEOUT) {
        die(Error(connection_kind,
                  what + ": no reply within " + std::to_string(config_.operation_timeout.count()) + " ms" + where));
      }
      die(Error(connection_kind, what + ": " + amqp_error_string2(reply.library_error) + where));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_connection_close_t*>(reply.reply.decoded);
    const int code = close->reply_code;
    const std::string text = reply_of(code, close->reply_text);
    amqp_connection_close_ok_t ok{};
    amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
    die(Error(connection_kind, what + ": the server closed the connection: " + text + where, code));
  }
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* close = static_cast<const amqp_channel_close_t*>(reply.reply.decoded);
    Error error(ErrorKind::channel_error, what + ": " + reply_of(close->reply_code, close->reply_text),
                close->reply_code);
    amqp_channel_close_ok_t ok{};
    check_status(amqp_send_method(conn_, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok), "channel.close-ok");
    channel_closed_by_server(channel, error);
    throw error;
  }
  die(Error(connection_kind, what + ": unexpected reply " + amqp_method_name(reply.reply.id) + where));
}

void Session::check_status(int status, const std::string& what) {
  if (status == AMQP_STATUS_OK) return;
  die(Error(ErrorKind::connection_lost,
            what + ": " + amqp_error_string2(status) + " (" + config_.url.redacted() + ")"));
}

void Session::connect() {
  const std::string where = config_.url.redacted();
  conn_ = amqp_new_connection();
  if (conn_ == nullptr) throw std::bad_alloc();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (socket == nullptr) throw std::bad_alloc();
  const timeval connect_timeout = to_timeval(config_.connect_timeout);
  const int status = amqp_socket_open_noblock(socket, config_.url.host.c_str(), config_.url.port, &connect_timeout);
  if (status != AMQP_STATUS_OK) {
    std::string detail = "could not connect to " + where + ": " + amqp_error_string2(status);
    if (status == AMQP_STATUS_SOCKET_ERROR) {
      const std::string reason =
          probe_connect_error(config_.url.host, config_.url.port,
                              std::min<std::chrono::milliseconds>(config_.connect_timeout, std::chrono::seconds(2)));
      if (!reason.empty()) detail += " (" + reason + ")";
    }
    die(Error(ErrorKind::connect_failed, detail));
  }
  amqp_set_handshake_timeout(conn_, &connect_timeout);
  const timeval rpc_timeout = to_timeval(config_.operation_timeout);
  amqp_set_rpc_timeout(conn_, &rpc_timeout);

  // Merged by rabbitmq-c with its own properties and capabilities. consumer_cancel_notify: the
  // server tells a consumer whose queue went away (basic.cancel) instead of leaving it idle forever.
  // connection.blocked: it says when a resource alarm makes it stop reading from publishers, so
  // publish() fails at once instead of writing into a socket nobody reads (which could block this
  // thread, and every operation behind it, until the alarm clears).
  amqp_table_entry_t capabilities[2];
  capabilities[0].key = amqp_cstring_bytes("consumer_cancel_notify");
  capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[0].value.value.boolean = 1;
  capabilities[1].key = amqp_cstring_bytes("connection.blocked");
  capabilities[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[1].value.value.boolean = 1;
  amqp_table_entry_t properties[2];
  properties[0].key = amqp_cstring_bytes("connection_name");
  properties[0].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[0].value.value.bytes = amqp_cstring_bytes(config_.connection_name.c_str());
  properties[1].key = amqp_cstring_bytes("capabilities");
  properties[1].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[1].value.value.table = amqp_table_t{2, capabilities};
  const amqp_table_t table{2, properties};
  const amqp_rpc_reply_t login = amqp_login_with_properties(
      conn_, config_.url.vhost.c_str(), 0, config_.frame_max, static_cast<int>(config_.heartbeat.count()), &table,
      AMQP_SASL_METHOD_PLAIN, config_.url.username.c_str(), config_.url.password.c_str());
  check(login, 0, "login as " + quoted(config_.url.username) + " to vhost " + quoted(config_.url.vhost),
        ErrorKind::connect_failed);
  channel_max_ = amqp_get_channel_max(conn_);
  if (channel_max_ <= 0 || channel_max_ > 65535) channel_max_ = 65535;
  try {
    ensure_declare_channel();
    ensure_publish_channel();
  } catch (const Error& e) {
    die(Error(ErrorKind::connect_failed, e.what(), e.reply_code()));
  }
  amqp_maybe_release_buffers(conn_);
}

void Session::ensure_declare_channel() {
  if (declare_open_) return;
  amqp_channel_open(conn_, kDeclareChannel);
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, "open the declare channel");
  declare_open_ = true;
}

void Session::ensure_publish_channel() {
  if (publish_open_) return;
  amqp_channel_open(conn_, kPublishChannel);
  check(amqp_get_rpc_reply(conn_), kPublishChannel, "open the publish channel");
  amqp_confirm_select(conn_, kPublishChannel);
  check(amqp_get_rpc_reply(conn_), kPublishChannel, "confirm.select on the publish channel");
  publish_open_ = true;
  next_publish_tag_ = 1;  // confirm mode numbers a channel's publishes from 1
}

void Session::declare_exchange(const std::string& name, const ExchangeOptions& options) {
  ensure_declare_channel();
  Encoder encoder;
  amqp_exchange_declare(conn_, kDeclareChannel, encoder.bytes(name),
                        amqp_cstring_bytes(exchange_type_name(options.type)), 0, options.durable, options.auto_delete,
                        0, encoder.table(options.arguments));
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, "declare exchange " + quoted(name));
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
}

QueueInfo Session::declare_queue(const std::string& name, const QueueOptions& options, bool passive) {
  ensure_declare_channel();
  Encoder encoder;
  const amqp_queue_declare_ok_t* ok =
      amqp_queue_declare(conn_, kDeclareChannel, encoder.bytes(name), passive, options.durable, options.exclusive,
                         options.auto_delete, encoder.table(passive ? Table{} : options.to_arguments()));
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, (passive ? "look up queue " : "declare queue ") + quoted(name));
  QueueInfo info{to_string(ok->queue), ok->message_count, ok->consumer_count};
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
  return info;
}

void Session::bind_queue(const std::string& queue, const std::string& exchange, const std::string& routing_key,
                         const Table& arguments) {
  ensure_declare_channel();
  Encoder encoder;
  amqp_queue_bind(conn_, kDeclareChannel, encoder.bytes(queue), encoder.bytes(exchange), encoder.bytes(routing_key),
                  encoder.table(arguments));
  check(amqp_get_rpc_reply(conn_), kDeclareChannel,
        "bind queue " + quoted(queue) + " to exchange " + quoted(exchange) + " with key " + quoted(routing_key));
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
}

void Session::unbind_queue(const std::string& queue, const std::string& exchange, const std::string& routing_key,
                           const Table& arguments) {
  ensure_declare_channel();
  Encoder encoder;
  amqp_queue_unbind(conn_, kDeclareChannel, encoder.bytes(queue), encoder.bytes(exchange), encoder.bytes(routing_key),
                    encoder.table(arguments));
  check(amqp_get_rpc_reply(conn_), kDeclareChannel,
        "unbind queue " + quoted(queue) + " from exchange " + quoted(exchange) + " with key " + quoted(routing_key));
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
}

std::uint32_t Session::purge_queue(const std::string& queue) {
  ensure_declare_channel();
  Encoder encoder;
  const amqp_queue_purge_ok_t* ok = amqp_queue_purge(conn_, kDeclareChannel, encoder.bytes(queue));
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, "purge queue " + quoted(queue));
  const std::uint32_t count = ok->message_count;
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
  return count;
}

std::uint32_t Session::delete_queue(const std::string& queue) {
  ensure_declare_channel();
  Encoder encoder;
  const amqp_queue_delete_ok_t* ok = amqp_queue_delete(conn_, kDeclareChannel, encoder.bytes(queue), 0, 0);
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, "delete queue " + quoted(queue));
  const std::uint32_t count = ok->message_count;
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
  return count;
}

void Session::delete_exchange(const std::string& name) {
  ensure_declare_channel();
  Encoder encoder;
  amqp_exchange_delete(conn_, kDeclareChannel, encoder.bytes(name), 0);
  check(amqp_get_rpc_reply(conn_), kDeclareChannel, "delete exchange " + quoted(name));
  amqp_maybe_release_buffers_on_channel(conn_, kDeclareChannel);
}

void Session::publish(Message message, std::shared_ptr<Completion<void>> done) {
  if (blocked_) {
    throw Error(ErrorKind::blocked, "the server blocks publishing (" + *blocked_ + "); publish to exchange " +
                                        quoted(message.exchange) + " not sent");
  }
  ensure_publish_channel();
  Encoder encoder;
  const amqp_basic_properties_t properties = encoder.properties(message.properties);
  const amqp_bytes_t body{message.body.size(), message.body.data()};
  const int status = amqp_basic_publish(conn_, kPublishChannel, encoder.bytes(message.exchange),
                                        encoder.bytes(message.routing_key), message.mandatory, 0, &properties, body);
  check_status(status, "publish to exchange " + quoted(message.exchange));
  PendingPublish pending;
  pending.done = std::move(done);
  pending.deadline = Clock::now() + config_.operation_timeout;
  pending.exchange = std::move(message.exchange);
  pending.routing_key = std::move(message.routing_key);
  if (message.mandatory) {  // kept to recognise the message if the server returns it
    pending.message_id = std::move(message.properties.message_id);
    pending.body = std::move(message.body);
  }
  pending_.emplace(next_publish_tag_++, std::move(pending));
}

amqp_channel_t Session::allocate_consumer_channel() {
  for (int tries = 0; tries < channel_max_; ++tries) {
    const amqp_channel_t channel = next_consumer_channel_;
    next_consumer_channel_ = channel >= channel_max_ ? kFirstConsumerChannel : static_cast<amqp_channel_t>(channel + 1);
    if (!consumers_.contains(channel)) return channel;
  }
  throw Error(ErrorKind::channel_error,
              "no free channel for another consumer (" + std::to_string(channel_max_) + " channels at most)");
}

void Session::consume(const std::shared_ptr<ConsumerState>& consumer, const ConsumeOptions& options) {
  Encoder encoder;  // first: a table it refuses must not leave a channel open
  const amqp_bytes_t queue = encoder.bytes(consumer->queue());
  const amqp_bytes_t requested_tag = encoder.bytes(options.consumer_tag);
  const amqp_table_t arguments = encoder.table(options.arguments);
  const amqp_channel_t channel = allocate_consumer_channel();
  const std::string what = "consume from queue " + quoted(consumer->queue());
  amqp_channel_open(conn_, channel);
  check(amqp_get_rpc_reply(conn_), channel, what + ": open its channel");
  // A refusal from here on (no such queue, an exclusive consumer there) closes the channel.
  amqp_basic_qos(conn_, channel, 0, options.prefetch, 0);
  check(amqp_get_rpc_reply(conn_), channel, what + ": basic.qos");
  const amqp_basic_consume_ok_t* ok =
      amqp_basic_consume(conn_, channel, queue, requested_tag, 0, 0, options.exclusive, arguments);
  check(amqp_get_rpc_reply(conn_), channel, what);
  std::string tag = to_string(ok->consumer_tag);
  consumer->set_tag(tag);
  consumers_[channel] = ConsumerEntry{consumer, std::move(tag)};
  amqp_maybe_release_buffers_on_channel(conn_, channel);
}

void Session::settle(const std::shared_ptr<ConsumerState>& consumer, std::uint64_t delivery_tag, Settle how,
                     bool multiple, bool requeue) {
  auto it = consumers_.begin();
  while (it != consumers_.end() && it->second.state != consumer) ++it;
  if (it == consumers_.end()) {
    if (const std::exception_ptr error = consumer->end_error()) std::rethrow_exception(error);
    throw Error(ErrorKind::closed, "the consumer on queue " + quoted(consumer->queue()) +
                                       " has ended: its deliveries can no longer be acknowledged (RabbitMQ requeues "
                                       "the unacknowledged ones)");
  }
  const amqp_channel_t channel = it->first;
  int status = AMQP_STATUS_OK;
  switch (how) {
    case Settle::ack:
      status = amqp_basic_ack(conn_, channel, delivery_tag, multiple);
      break;
    case Settle::nack:
      status = amqp_basic_nack(conn_, channel, delivery_tag, multiple, requeue);
      break;
    case Settle::reject:
      status = amqp_basic_reject(conn_, channel, delivery_tag, requeue);
      break;
  }
  check_status(status, "acknowledge delivery " + std::to_string(delivery_tag));
}

void Session::cancel(const std::shared_ptr<ConsumerState>& consumer) {
  auto it = consumers_.begin();
  while (it != consumers_.end() && it->second.state != consumer) ++it;
  consumer->end(nullptr);
  if (it == consumers_.end()) return;  // ended already
  const amqp_channel_t channel = it->first;
  const std::string tag = it->second.tag;
  consumers_.erase(it);
  Encoder encoder;
  amqp_basic_cancel(conn_, channel, encoder.bytes(tag));
  check(amqp_get_rpc_reply(conn_), channel, "cancel the consumer on queue " + quoted(consumer->queue()));
  // Closing the channel hands its unacknowledged deliveries back to their queues.
  const amqp_rpc_reply_t reply = amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
  check(reply, channel, "close the channel of the consumer on queue " + quoted(consumer->queue()));
  amqp_maybe_release_buffers_on_channel(conn_, channel);
}

int Session::socket_fd() const { return conn_ == nullptr ? -1 : amqp_get_sockfd(conn_); }

bool Session::has_buffered_input() const {
  return conn_ != nullptr && (amqp_frames_enqueued(conn_) != 0 || amqp_data_in_buffer(conn_) != 0);
}

void Session::pump(int max_frames) {
  for (int i = 0; i < max_frames && !dead(); ++i) {
    amqp_frame_t frame;
    // A zero timeout still sends a heartbeat that is due and notices one that is overdue.
    timeval now{0, 0};
    const int status = amqp_simple_wait_frame_noblock(conn_, &frame, &now);
    if (status == AMQP_STATUS_TIMEOUT) return;
    try {
      check_status(status, "reading from the server");
      dispatch(frame);
    } catch (const Error&) {
      if (dead()) return;
      // A channel error while handling a frame (closing a cancelled consumer's channel) ended
      // only what it concerned.
    }
    amqp_maybe_release_buffers_on_channel(conn_, frame.channel);
  }
}

void Session::dispatch(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) {
    die(Error(ErrorKind::connection_lost, "protocol error: content outside a message on channel " +
                                              std::to_string(frame.channel) + " (" + config_.url.redacted() + ")"));
  }
  const amqp_method_t& method = frame.payload.method;
  switch (method.id) {
    case AMQP_CONNECTION_CLOSE_METHOD: {
      const auto* close = static_cast<const amqp_connection_close_t*>(method.decoded);
      const int code = close->reply_code;
      const std::string text = reply_of(code, close->reply_text);
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      die(Error(ErrorKind::connection_lost,
                "the server closed the connection: " + text + " (" + config_.url.redacted() + ")", code));
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
      const auto* close = static_cast<const amqp_channel_close_t*>(method.decoded);
      const Error error(ErrorKind::channel_error,
                        "the server closed channel " + std::to_string(frame.channel) + ": " +
                            reply_of(close->reply_code, close->reply_text),
                        close->reply_code);
      amqp_channel_close_ok_t ok{};
      check_status(amqp_send_method(conn_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok), "channel.close-ok");
      channel_closed_by_server(frame.channel, error);
      return;
    }
    case AMQP_CONNECTION_BLOCKED_METHOD: {
      const std::string reason = to_string(static_cast<const amqp_connection_blocked_t*>(method.decoded)->reason);
      blocked_ = reason.empty() ? "a resource alarm" : reason;
      return;
    }
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
      blocked_.reset();
      return;
    case AMQP_BASIC_DELIVER_METHOD:
      on_deliver(frame.channel, *static_cast<const amqp_basic_deliver_t*>(method.decoded));
      return;
    case AMQP_BASIC_RETURN_METHOD:
      on_return(*static_cast<const amqp_basic_return_t*>(method.decoded));
      return;
    case AMQP_BASIC_ACK_METHOD:
      if (frame.channel == kPublishChannel) {
        const auto* ack = static_cast<const amqp_basic_ack_t*>(method.decoded);
        on_confirm(ack->delivery_tag, ack->multiple != 0, true);
      }
      return;
    case AMQP_BASIC_NACK_METHOD:
      if (frame.channel == kPublishChannel) {
        const auto* nack = static_cast<const amqp_basic_nack_t*>(method.decoded);
        on_confirm(nack->delivery_tag, nack->multiple != 0, false);
      }
      return;
    case AMQP_BASIC_CANCEL_METHOD:
      on_server_cancel(frame.channel, *static_cast<const amqp_basic_cancel_t*>(method.decoded));
      return;
    default:
      return;  // channel.flow, late replies, ...: nothing to do
  }
}

bool Session::read_content(amqp_channel_t channel, amqp_message_t& message) {
  const amqp_rpc_reply_t reply = amqp_read_message(conn_, channel, &message, 0);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return true;
  check(reply, channel, "read a message on channel " + std::to_string(channel));
  die(Error(ErrorKind::connection_lost, "read a message on channel " + std::to_string(channel) + ": protocol error"));
}

void Session::on_deliver(amqp_channel_t channel, const amqp_basic_deliver_t& method) {
  // The method's fields live in the channel's memory: copied before reading on.
  Delivery delivery;
  delivery.delivery_tag = method.delivery_tag;
  delivery.redelivered = method.redelivered != 0;
  delivery.exchange = to_string(method.exchange);
  delivery.routing_key = to_string(method.routing_key);
  delivery.consumer_tag = to_string(method.consumer_tag);
  amqp_message_t message;
  read_content(channel, message);
  delivery.body = to_string(message.body);
  delivery.properties = to_properties(message.properties);
  amqp_destroy_message(&message);
  const auto it = consumers_.find(channel);
  // None: its consumer ended and its channel is closing; RabbitMQ requeues the message.
  if (it != consumers_.end()) it->second.state->push(std::move(delivery));
}

void Session::on_return(const amqp_basic_return_t& method) {
  const int code = method.reply_code;
  const std::string text = reply_of(code, method.reply_text);
  const std::string exchange = to_string(method.exchange);
  const std::string routing_key = to_string(method.routing_key);
  amqp_message_t message;
  read_content(kPublishChannel, message);
  const std::string body = to_string(message.body);
  const Properties properties = to_properties(message.properties);
  amqp_destroy_message(&message);
  // The return comes before the confirm of the same message, and does not carry its delivery tag:
  // it is the oldest unconfirmed publish of that very message not returned yet.
  for (auto& [tag, pending] : pending_) {
    if (!pending.returned && pending.exchange == exchange && pending.routing_key == routing_key &&
        pending.message_id == properties.message_id && pending.body == body) {
      pending.returned.emplace(ErrorKind::unroutable,
                               "the publish to exchange " + quoted(exchange) + " with routing key " +
                                   quoted(routing_key) + " was returned: " + text,
                               code);
      return;
    }
  }
}

void Session::on_confirm(std::uint64_t delivery_tag, bool multiple, bool ack) {
  const auto settle = [&](PendingPublish& pending) {
    if (!ack) {
      pending.done->fail(std::make_exception_ptr(
          Error(ErrorKind::nacked, "the server refused the publish to exchange " + quoted(pending.exchange) +
                                       " with routing key " + quoted(pending.routing_key) + " (basic.nack)")));
    } else if (pending.returned) {
      pending.done->fail(std::make_exception_ptr(*pending.returned));
    } else {
      pending.done->succeed();
    }
  };
  if (multiple) {
    auto it = pending_.begin();
    while (it != pending_.end() && it->first <= delivery_tag) {
      settle(it->second);
      it = pending_.erase(it);
    }
  } else if (const auto it = pending_.find(delivery_tag); it != pending_.end()) {
    settle(it->second);
    pending_.erase(it);
  }
  // Otherwise the publish timed out before its confirm: its caller was told already.
}

void Session::on_server_cancel(amqp_channel_t channel, const amqp_basic_cancel_t& method) {
  const std::string tag = to_string(method.consumer_tag);
  const bool nowait = method.nowait != 0;
  const auto it = consumers_.find(channel);
  if (it == consumers_.end()) return;
  const std::shared_ptr<ConsumerState> consumer = it->second.state;
  consumers_.erase(it);
  consumer->end(std::make_exception_ptr(
      Error(ErrorKind::consumer_cancelled,
            "the server cancelled the consumer on queue " + quoted(consumer->queue()) + " (was the queue deleted?)")));
  if (!nowait) {
    amqp_basic_cancel_ok_t ok{};
    ok.consumer_tag = amqp_cstring_bytes(tag.c_str());
    check_status(amqp_send_method(conn_, channel, AMQP_BASIC_CANCEL_OK_METHOD, &ok), "basic.cancel-ok");
  }
  check(amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS), channel, "close a cancelled consumer's channel");
}

void Session::channel_closed_by_server(amqp_channel_t channel, const Error& error) {
  if (channel == kDeclareChannel) {
    declare_open_ = false;
  } else if (channel == kPublishChannel) {
    publish_open_ = false;
    fail_publishes(std::make_exception_ptr(
        Error(ErrorKind::channel_error,
              error.detail() +
                  " (the publish channel closed: publishes awaiting a confirm then may or may not have been delivered)",
              error.reply_code())));
  } else if (const auto it = consumers_.find(channel); it != consumers_.end()) {
    const std::shared_ptr<ConsumerState> consumer = it->second.state;
    consumers_.erase(it);
    consumer->end(std::make_exception_ptr(error));
  }
}

std::optional<Session::Clock::time_point> Session::expire_publishes(Clock::time_point now) {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->second.deadline > now) return it->second.deadline;
    it->second.done->fail(std::make_exception_ptr(Error(
        ErrorKind::timeout, "no confirm for the publish to exchange " + quoted(it->second.exchange) +
                                " with routing key " + quoted(it->second.routing_key) + " within " +
                                std::to_string(config_.operation_timeout.count()) + " ms; it may still be delivered")));
    pending_.erase(it);
  }
  return std::nullopt;
}

void Session::fail_publishes(std::exception_ptr error) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [tag, publish] : pending) publish.done->fail(error);
}

void Session::fail_everything(std::exception_ptr error) {
  auto consumers = std::move(consumers_);
  consumers_.clear();
  for (auto& [channel, entry] : consumers) entry.state->end(error);
  fail_publishes(error ? error
                       : std::make_exception_ptr(Error(ErrorKind::closed,
                                                       "the connection was closed before the publish was confirmed; "
                                                       "it may have been delivered")));
}

void Session::close() {
  if (conn_ == nullptr || dead()) return;
  // Bounded by the RPC timeout; whatever the outcome, the destructor closes the socket.
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
}

}  // namespace parley::amqp::detail
