#pragma once
// A WebSocket connection after the upgrade (internal to the server; only session.cpp includes it).
// One reader loop feeds the endpoint; one writer coroutine, running only while there is something
// to write, drains a bounded queue of shared, already-serialized frames; Beast's keep-alive pings
// detect dead peers; messages above the size limit close the connection with 1009.
#include "core/error.hpp"
#include "http/raw_request.hpp"
#include "http/server.hpp"
#include "http/server_state.hpp"
#include "http/websocket.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/logger.h>

#include <atomic>
#include <list>

namespace parley::http {

template <class Stream>
class WsSession final : public WsConnection, public Drainable, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream stream, std::shared_ptr<WsEndpoint> endpoint, const ServerOptions& options, spdlog::logger& logger)
      : ws_(std::move(stream)), endpoint_(std::move(endpoint)), options_(options), logger_(logger),
        room_(ws_.get_executor()) {}

  // Completes the handshake for `raw`, then runs until the connection closes.
  boost::asio::awaitable<void> run(RawRequest& raw, const std::string& request_id) {
    namespace websocket = boost::beast::websocket;
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    boost::beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options_.read_timeout;
    timeout.idle_timeout = options_.ws_ping_interval * 2;  // a ping after one interval of silence
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(options_.ws_max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator(
        [request_id, protocol = endpoint_->subprotocol()](websocket::response_type& res) {
          res.set("X-Request-Id", request_id);
          if (!protocol.empty()) res.set(boost::beast::http::field::sec_websocket_protocol, protocol);
        }));
    auto [aec] = co_await ws_.async_accept(raw.message, tuple);
    if (aec) co_return;
    // The handshake request's headers are not needed any more, and the HTTP session that owns
    // them waits for this socket's whole life: free them (memory per idle socket).
    raw.message = {};

    accepted_ = true;
    kick_writer();  // a close may have been requested during the handshake
    std::uint16_t close_code = 1006;
    try {
      co_await endpoint_->on_open(*this);
      boost::beast::flat_buffer buffer;
      for (;;) {
        auto [ec, n] = co_await ws_.async_read(buffer, tuple);
        if (ec) {
          if (ec == websocket::error::message_too_big) close_code = 1009;
          else if (ec == websocket::error::closed) close_code = static_cast<std::uint16_t>(ws_.reason().code);
          break;
        }
        auto data = buffer.cdata();
        std::string_view message(static_cast<const char*>(data.data()), data.size());
        co_await endpoint_->on_message(*this, message, !ws_.got_text());
        buffer.consume(buffer.size());
      }
      reader_done_ = true;  // the socket is closed or failed: nothing left to write
    } catch (const AppError& e) {
      close_code = e.status() >= 500 ? 1011 : 1008;
      request_close(close_code, e.public_message());
    } catch (const std::exception& e) {
      logger_.error("websocket endpoint failed: {}", e.what());
      close_code = 1011;
      request_close(close_code, "internal error");
    }
    room_.cancel();
    endpoint_->on_close(close_code);
  }

  bool send(std::shared_ptr<const std::string> text) override {
    if (queued_.fetch_add(1) >= options_.ws_send_queue) {
      queued_.fetch_sub(1);
      close(kCloseSlowConsumer, "slow consumer");
      return false;
    }
    boost::asio::post(ws_.get_executor(), [self = this->shared_from_this(), text = std::move(text)]() mutable {
      self->queue_.push_back(std::move(text));
      self->kick_writer();
    });
    return true;
  }

  void close(std::uint16_t code, std::string reason) override {
    boost::asio::post(ws_.get_executor(), [self = this->shared_from_this(), code, reason = std::move(reason)] {
      self->request_close(code, reason);
    });
  }

  void drain() override { close(1001, "server shutting down"); }

  boost::asio::awaitable<void> wait_for_room() override {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    while (queued_.load() * 2 >= options_.ws_send_queue && !close_requested_ && !reader_done_) {
      waiting_for_room_ = true;
      room_.expires_at(boost::asio::steady_timer::time_point::max());
      co_await room_.async_wait(tuple);
      waiting_for_room_ = false;
    }
  }

 private:
  // On the session's executor: the writer sends a close frame with `code` next.
  void request_close(std::uint16_t code, const std::string& reason) {
    if (close_requested_) return;
    close_requested_ = boost::beast::websocket::close_reason(static_cast<boost::beast::websocket::close_code>(code),
                                                             reason.substr(0, 120));
    room_.cancel();
    kick_writer();
  }

  // On the session's executor: starts the writer when there is something to write and none runs.
  // The writer ends when the queue is empty, so an idle socket has no coroutine, frame or timer
  // wait of its own for writing (memory per idle socket).
  void kick_writer() {
    if (writing_ || !accepted_ || reader_done_ || write_ended_) return;
    if (queue_.empty() && !close_requested_) return;
    writing_ = true;
    boost::asio::co_spawn(ws_.get_executor(), writer(this->shared_from_this()), boost::asio::detached);
  }

  static boost::asio::awaitable<void> writer(std::shared_ptr<WsSession> self) {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    auto& ws = self->ws_;
    while (!self->queue_.empty() && !self->close_requested_ && !self->reader_done_) {
      auto frame = std::move(self->queue_.front());
      self->queue_.pop_front();
      const std::size_t left = self->queued_.fetch_sub(1) - 1;
      if (self->waiting_for_room_ && left * 2 < self->options_.ws_send_queue) self->room_.cancel();
      ws.text(true);
      auto [ec, n] = co_await ws.async_write(boost::asio::buffer(*frame), tuple);
      if (ec) {
        self->write_ended_ = true;  // the connection failed: the reader sees it too
        break;
      }
    }
    if (self->close_requested_ && !self->reader_done_ && !self->write_ended_) {
      self->write_ended_ = true;
      co_await ws.async_close(*self->close_requested_, tuple);
    }
    self->writing_ = false;
  }

  boost::beast::websocket::stream<Stream> ws_;
  std::shared_ptr<WsEndpoint> endpoint_;
  const ServerOptions& options_;
  spdlog::logger& logger_;
  boost::asio::steady_timer room_;  // wait_for_room() sleeps on it; the writer cancels it
  bool waiting_for_room_ = false;
  // A list, not a deque: an empty std::deque still holds a 512-byte block, and most sockets are
  // idle most of the time (memory per idle socket).
  std::list<std::shared_ptr<const std::string>> queue_;
  std::atomic<std::size_t> queued_{0};
  std::optional<boost::beast::websocket::close_reason> close_requested_;
  bool reader_done_ = false;
  bool accepted_ = false;     // the handshake is done: frames may be written
  bool writing_ = false;      // a writer coroutine runs
  bool write_ended_ = false;  // a write failed or the close frame went: nothing more to write
};

}  // namespace parley::http
