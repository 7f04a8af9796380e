// One coroutine per connection: read a request (bounded in size and time), run the pipeline,
// write the response, repeat while keep-alive; hand over to a WebSocket session on upgrade.
// Sessions run on a single-threaded io_context, so their members need no locking; drain() is
// the one entry point from other threads and posts.
#include "http/raw_request.hpp"
#include "http/serialize.hpp"
#include "http/server_state.hpp"
#include "http/ws_session.hpp"

#include "core/error.hpp"
#include "http/problem.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/logger.h>

#include <optional>

namespace parley::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

// Maps a failed read to the answer the client gets, if any (timeouts and closed sockets get none).
std::optional<AppError> read_failure(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit)
    return AppError{431, "headers_too_large", "Request header fields too large",
                    "The request head is larger than this server accepts."};
  if (ec == bhttp::error::body_limit) return AppError::payload_too_large("The request body is larger than this server accepts.");
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
    return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
    return AppError::bad_request("Malformed HTTP request: " + ec.message() + ".", "malformed_request");
  return std::nullopt;
}

template <class Stream>
class HttpSession final : public Drainable, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(std::shared_ptr<Server::State> state, Stream stream, std::string peer_ip)
      : state_(std::move(state)), stream_(std::move(stream)), executor_(stream_.get_executor()),
        peer_ip_(std::move(peer_ip)) {}

  void drain() override {
    // Not stream_.get_executor(): after a WebSocket upgrade stream_ is moved-from, and a moved-from
    // beast::ssl_stream has no executor to give.
    asio::post(executor_, [weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->on_drain();
    });
  }

  asio::awaitable<void> run() {
    auto& lowest = beast::get_lowest_layer(stream_);
    const auto& options = state_->options;
    if constexpr (kIsTls<Stream>) {
      lowest.expires_after(options.read_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) co_return;
    }
    while (!closing_) {
      if (buffer_.size() == 0) {
        // Idle between requests: the only state where a drain may drop the connection.
        idle_ = true;
        lowest.expires_after(options.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
        idle_ = false;
        if (ec) break;
        buffer_.commit(n);
      }
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      parser.body_limit(options.max_body_bytes);
      // One deadline for the whole request: a client trickling bytes cannot hold the connection.
      lowest.expires_after(options.read_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, parser, kTuple);
      if (hec) {
        co_await answer_failure(hec);
        break;
      }
      if (!parser.is_done()) {
        if (iequals(std::string_view(parser.get()[bhttp::field::expect]), "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          lowest.expires_after(options.write_timeout);
          auto [cec, cn] = co_await asio::async_write(stream_, asio::buffer(kContinue), kTuple);
          if (cec) break;
          lowest.expires_after(options.read_timeout);
        }
        auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, kTuple);
        if (bec) {
          co_await answer_failure(bec);
          break;
        }
      }
      lowest.expires_never();

      RawRequest raw{parser.release()};
      Request req(raw);
      req.peer_ip = peer_ip_;
      req.secure = kIsTls<Stream>;
      state_->router.match(req);
      Response response = co_await run_pipeline(req);

      if (response.status == kSwitchingProtocols && req.upgrade) {
        auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), std::move(req.upgrade), state_->options,
                                                     state_->logger);
        upgraded_ = ws;
        if (closing_) ws->drain();
        co_await ws->run(raw, req.request_id);
        co_return;
      }

      // HTTP/1.0 connections close after each response: we never send "Connection: keep-alive".
      bool keep_alive = req.keep_alive() && raw.message.version() >= 11 && !closing_;
      serialize_response(response, req.method() == Method::head, keep_alive, out_);
      lowest.expires_after(options.write_timeout);
      auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
      if (wec || !keep_alive) break;
    }
    co_await close_gracefully();
  }

 private:
  void on_drain() {
    closing_ = true;
    if (upgraded_) {
      upgraded_->drain();
    } else if (idle_) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(stream_).socket().cancel(ignored);
    }
  }

  asio::awaitable<Response> run_pipeline(Request& req) {
    std::optional<AppError> escaped;
    try {
      co_return co_await state_->pipeline(req);
    } catch (const std::exception& e) {
      // Only reachable when a layer outside the error middleware throws.
      escaped = AppError::internal(e.what());
    }
    state_->logger.error("request escaped the error middleware: {}", escaped->internal_detail());
    co_return problem_response(*escaped, req.path(), req.request_id);
  }

  // Answers a request that could not be read (431, 413, 400) and lets the loop close.
  asio::awaitable<void> answer_failure(const boost::system::error_code& ec) {
    auto error = read_failure(ec);
    if (!error) co_return;
    Response response = problem_response(*error, "", "");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Cache-Control", "no-store");
    state_->metrics.observe(0xffff, "OTHER", "unreadable", response.status, 0.0);
    serialize_response(response, false, false, out_);
    beast::get_lowest_layer(stream_).expires_after(state_->options.write_timeout);
    co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
  }

  asio::awaitable<void> close_gracefully() {
    auto& lowest = beast::get_lowest_layer(stream_);
    if constexpr (kIsTls<Stream>) {
      lowest.expires_after(std::chrono::seconds(2));
      co_await stream_.async_shutdown(kTuple);
    }
    boost::system::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest.close();
  }

  std::shared_ptr<Server::State> state_;
  Stream stream_;
  asio::any_io_executor executor_;  // the connection's io_context, valid for the session's lifetime
  std::string peer_ip_;
  beast::flat_buffer buffer_;
  std::string out_;
  bool idle_ = false;
  bool closing_ = false;
  std::shared_ptr<Drainable> upgraded_;
};

// Keeps the connection counted and registered for exactly the session's lifetime.
struct ConnectionGuard {
  std::shared_ptr<Server::State> state;
  std::uint64_t id;
  ~ConnectionGuard() {
    state->metrics.open_connections.Decrement();
    state->unregister(id);
  }
};

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<Server::State> state, Stream stream, std::string peer_ip) {
  auto session = std::make_shared<HttpSession<Stream>>(state, std::move(stream), std::move(peer_ip));
  ConnectionGuard guard{state, state->register_connection(session)};
  if (state->draining) session->drain();
  co_await session->run();
}

asio::awaitable<void> refuse(std::shared_ptr<Server::State> state, tcp::socket socket) {
  AppError error = AppError::unavailable("The server has too many open connections; retry shortly.");
  std::string out;
  serialize_response(problem_response(error, "", ""), false, false, out);
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(2));
  co_await asio::async_write(stream, asio::buffer(out), kTuple);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  state->connections.fetch_sub(1);
}

}  // namespace

void start_session(std::shared_ptr<Server::State> state, tcp::socket socket) {
  auto executor = socket.get_executor();
  if (state->connections.fetch_add(1) >= state->options.max_connections) {
    state->metrics.rejected_connections.Increment();
    asio::co_spawn(executor, refuse(state, std::move(socket)), asio::detached);
    return;
  }
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  std::string peer_ip = ec ? std::string("unknown") : endpoint.address().to_string();
  socket.set_option(tcp::no_delay(true), ec);
  state->metrics.open_connections.Increment();
  if (state->tls) {
    TlsStream stream(beast::tcp_stream(std::move(socket)), *state->tls);
    asio::co_spawn(executor, serve(state, std::move(stream), std::move(peer_ip)), asio::detached);
  } else {
    asio::co_spawn(executor, serve(state, PlainStream(std::move(socket)), std::move(peer_ip)), asio::detached);
  }
}

}  // namespace parley::http
