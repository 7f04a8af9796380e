#pragma once
// What WebSocket endpoints see. The server owns the socket, the read loop, keep-alive pings and
// one writer coroutine draining a bounded queue; an endpoint reacts to messages and sends frames.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace parley::http {

// Close codes Parley uses beyond RFC 6455's (1000 normal, 1001 going away, 1008 policy, 1009 too big).
inline constexpr std::uint16_t kCloseSlowConsumer = 4008;

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Queues a text frame. Thread-safe; the payload is shared, never copied per recipient.
  // Returns false when the queue is full: the connection then closes with 4008 (the client resumes).
  virtual bool send(std::shared_ptr<const std::string> text) = 0;
  // Starts a close handshake with `code`. Thread-safe; idempotent.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // Returns once the send queue is at most half full (or the connection is closing): a sender of
  // many frames (a replay) awaits it between sends instead of overflowing the queue. Only from the
  // endpoint's own coroutines (on_open, on_message), which run on the connection's executor.
  virtual boost::asio::awaitable<void> wait_for_room() = 0;
};

class WsEndpoint {
 public:
  virtual ~WsEndpoint() = default;
  // The subprotocol the handshake answers in Sec-WebSocket-Protocol (one the client offered);
  // empty: none.
  virtual std::string subprotocol() const { return {}; }
  virtual boost::asio::awaitable<void> on_open(WsConnection&) { co_return; }
  // One complete message. Throwing AppError closes the connection with 1008 (policy) or 1011.
  virtual boost::asio::awaitable<void> on_message(WsConnection& connection, std::string_view message, bool binary) = 0;
  // Called once when the connection is gone, whatever the reason.
  virtual void on_close(std::uint16_t /*code*/) {}
};

}  // namespace parley::http
