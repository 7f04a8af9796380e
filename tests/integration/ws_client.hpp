#pragma once
// A blocking WebSocket client for integration tests, with a deadline on every read.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parley::testing {

class WsClient {
 public:
  // Connects to ws://127.0.0.1:<port><target> sending `headers` with the handshake. When the
  // server refuses the upgrade, accepted() is false and status() tells the HTTP status.
  // `receive_buffer_bytes` (0: the system's) shrinks the socket's receive buffer, and so the TCP
  // window: a client that stops reading then blocks the server's writes after a few frames.
  WsClient(std::uint16_t port, const std::string& target, const std::map<std::string, std::string>& headers = {},
           int receive_buffer_bytes = 0);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  bool accepted() const noexcept { return accepted_; }
  int status() const noexcept { return status_; }

  void send(const std::string& text);
  void send_binary(const std::string& bytes);
  // One message; std::nullopt once the connection closed (close_code() tells why). Throws when
  // nothing arrives before the deadline.
  std::optional<std::string> read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next message as JSON; throws when the connection closed or the deadline passed.
  boost::json::object next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until a frame of `type` arrives and returns it (frames before it are dropped).
  boost::json::object next_of(const std::string& type, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until the server closes; returns its close code (1006 when the TCP connection just ended).
  int wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  int close_code() const;
  // Reads (answering pings, as a real client does) until `count` pings arrived or the deadline;
  // the connection is dropped afterwards.
  bool wait_for_pings(int count, std::chrono::milliseconds timeout);
  // Sends a close frame and waits for the server's answer.
  void close();
  // Drops the TCP connection without a close handshake (a client that vanished).
  void drop();

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  int pings_ = 0;
  bool accepted_ = false;
  bool closed_ = false;
  int status_ = 0;
};

// The message ids of the next `count` message.created frames (other frames skipped), in arrival order.
std::vector<std::int64_t> next_created_message_ids(WsClient& ws, std::size_t count,
                                                   std::chrono::milliseconds per_frame = std::chrono::seconds(5));

}  // namespace parley::testing
