#pragma once
// Internal to the server: the state its sessions share. Includes Beast; only server/session code
// includes this header.
#include "http/metrics.hpp"
#include "http/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace parley::http {

// A connection that can be asked to wind down. drain() and abort() are called from any thread;
// implementations post to their own executor.
class Drainable {
 public:
  virtual ~Drainable() = default;
  // Finish what is in flight, then close.
  virtual void drain() = 0;
  // The shutdown grace period is over: close now, whatever is in flight (a long streamed
  // response or upload). The default leaves it to drain().
  virtual void abort() {}
};

struct Server::State {
  State(ServerOptions o, const Router& r, const Pipeline& p, HttpMetrics& m, spdlog::logger& l)
      : options(std::move(o)), router(r), pipeline(p), metrics(m), logger(l) {}

  ServerOptions options;
  const Router& router;
  const Pipeline& pipeline;
  HttpMetrics& metrics;
  spdlog::logger& logger;
  std::optional<boost::asio::ssl::context> tls;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;

  std::atomic<std::size_t> connections{0};
  std::atomic<bool> draining{false};

  // Registers a live connection; returns its id for unregister().
  std::uint64_t register_connection(std::weak_ptr<Drainable> connection);
  // The connection `id` goes on as `connection` (an HTTP session that upgraded to a WebSocket).
  void replace_connection(std::uint64_t id, std::weak_ptr<Drainable> connection);
  // Forgets a connection; wakes a pending shutdown when it was the last one.
  void unregister(std::uint64_t id);
  // Asks every live connection to drain.
  void drain_all();
  // Asks every live connection to close now.
  void abort_all();
  // Set by shutdown(); cancelled when the last connection goes.
  void set_drained_timer(std::shared_ptr<boost::asio::steady_timer> timer);

 private:
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::weak_ptr<Drainable>> live_;
  std::shared_ptr<boost::asio::steady_timer> drained_timer_;
};

// Runs one accepted connection to completion (HTTP, then WebSocket if it upgrades).
void start_session(std::shared_ptr<Server::State> state, boost::asio::ip::tcp::socket socket);

}  // namespace parley::http
