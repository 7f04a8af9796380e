#pragma once
// The HTTP/1.1 + WebSocket server: one acceptor handing connections round-robin to the IoPool's
// contexts, a coroutine per connection, optional TLS through the same session code.
//
// Limits: header bytes (431), body bytes (413), open connections (503 and close), an idle timeout
// between requests, a read timeout for a whole request (slow clients are dropped), a write timeout.
// Routes that stream their body (RouteDoc::streamed_body) have their own body limit, and the read
// timeout applies to each read of the body (inactivity) instead of the whole request; streamed
// responses (Response::stream) have the write timeout per write.
// Shutdown: stop accepting, close idle keep-alive connections, let in-flight requests finish
// (their responses carry Connection: close), close WebSockets with 1001, all within a grace period;
// HTTP connections still busy when it ends (long streams, slow uploads) are closed then.
#include "http/io_pool.hpp"
#include "http/middleware.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace parley::http {

class HttpMetrics;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds read_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::size_t ws_max_message_bytes = 64 * 1024;
  std::chrono::milliseconds ws_ping_interval{30000};
  std::size_t ws_send_queue = 256;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router, const Pipeline& pipeline, HttpMetrics& metrics,
         spdlog::logger& logger);
  ~Server();

  // Binds, listens and starts accepting on `pool`; returns the bound port (useful with port 0).
  // Throws std::runtime_error with a clear message when the address cannot be bound or TLS files
  // cannot be loaded.
  std::uint16_t start(IoPool& pool);

  // Graceful shutdown; completes when every connection is gone or `grace` has passed.
  // Safe to call from any thread via co_spawn on any executor; idempotent.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  std::size_t open_connections() const noexcept;

  struct State;  // shared with sessions; defined in server_state.hpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace parley::http
