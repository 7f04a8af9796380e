#include "http/server.hpp"

#include "http/server_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/logger.h>

#include <stdexcept>

namespace parley::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> state, IoPool& pool) {
  for (;;) {
    auto& target = pool.next();
    auto [ec, socket] = co_await state->acceptor->async_accept(target, kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !state->acceptor->is_open()) co_return;
      // EMFILE and friends: log, back off briefly, keep serving the connections we have.
      state->logger.warn("accept failed: {}", ec.message());
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kTuple);
      continue;
    }
    start_session(state, std::move(socket));
  }
}

}  // namespace

std::uint64_t Server::State::register_connection(std::weak_ptr<Drainable> connection) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  live_.emplace(id, std::move(connection));
  return id;
}

void Server::State::replace_connection(std::uint64_t id, std::weak_ptr<Drainable> connection) {
  std::lock_guard lock(mutex_);
  if (auto it = live_.find(id); it != live_.end()) it->second = std::move(connection);
}

void Server::State::unregister(std::uint64_t id) {
  std::shared_ptr<asio::steady_timer> wake;
  {
    std::lock_guard lock(mutex_);
    live_.erase(id);
    connections.fetch_sub(1);
    if (live_.empty() && drained_timer_) wake = drained_timer_;
  }
  if (wake) asio::post(wake->get_executor(), [wake] { wake->cancel(); });
}

void Server::State::drain_all() {
  std::vector<std::shared_ptr<Drainable>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, weak] : live_) {
      if (auto connection = weak.lock()) targets.push_back(std::move(connection));
    }
  }
  for (auto& connection : targets) connection->drain();
}

void Server::State::abort_all() {
  std::vector<std::shared_ptr<Drainable>> targets;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, weak] : live_) {
      if (auto connection = weak.lock()) targets.push_back(std::move(connection));
    }
  }
  for (auto& connection : targets) connection->abort();
}

void Server::State::set_drained_timer(std::shared_ptr<asio::steady_timer> timer) {
  std::lock_guard lock(mutex_);
  drained_timer_ = std::move(timer);
}

Server::Server(ServerOptions options, const Router& router, const Pipeline& pipeline, HttpMetrics& metrics,
               spdlog::logger& logger)
    : state_(std::make_shared<State>(std::move(options), router, pipeline, metrics, logger)) {}

Server::~Server() = default;

std::uint16_t Server::start(IoPool& pool) {
  auto& options = state_->options;
  if (!options.tls_cert_file.empty()) {
    state_->tls.emplace(asio::ssl::context::tls_server);
    auto& tls = *state_->tls;
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use);
    boost::system::error_code ec;
    tls.use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) throw std::runtime_error("cannot load TLS certificate " + options.tls_cert_file + ": " + ec.message());
    tls.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("cannot load TLS key " + options.tls_key_file + ": " + ec.message());
  }

  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);
  if (ec) throw std::runtime_error("PARLEY_LISTEN: '" + options.host + "' is not an IP address");
  tcp::endpoint endpoint(address, options.port);
  auto acceptor = std::make_unique<tcp::acceptor>(pool.primary());
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                             ec.message());
  }
  auto port = acceptor->local_endpoint().port();
  state_->acceptor = std::move(acceptor);
  asio::co_spawn(pool.primary(), accept_loop(state_, pool), asio::detached);
  return port;
}

asio::awaitable<void> Server::shutdown(std::chrono::milliseconds grace) {
  if (state_->draining.exchange(true)) co_return;
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, grace);
  state_->set_drained_timer(timer);
  if (state_->acceptor) {
    // The acceptor belongs to the primary context; close it there.
    auto acceptor = state_->acceptor.get();
    asio::post(acceptor->get_executor(), [acceptor] {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    });
  }
  state_->drain_all();
  if (state_->connections.load() > 0) co_await timer->async_wait(kTuple);
  if (state_->connections.load() > 0) {
    state_->logger.warn("shutdown grace period over with {} connection(s) still open", state_->connections.load());
    // In-flight streams (downloads, exports, uploads) end here rather than with the process: each
    // connection closes its socket on its own thread, which must still run for that, so wait
    // (briefly) for them to go.
    timer->expires_after(std::chrono::seconds(1));
    state_->abort_all();
    if (state_->connections.load() > 0) co_await timer->async_wait(kTuple);
  }
  state_->set_drained_timer(nullptr);
}

std::size_t Server::open_connections() const noexcept { return state_->connections.load(); }

}  // namespace parley::http
