// One coroutine per connection: read a request (bounded in size and time), run the pipeline,
// write the response, repeat while keep-alive; hand over to a WebSocket session on upgrade.
// Routes that stream their body get the head only, and the body through a BodyStream; streamed
// responses are written piece by piece as their producer runs.
// Sessions run on a single-threaded io_context, so their members need no locking; drain() and
// abort() are the entry points from other threads and post.
#include "http/raw_request.hpp"
#include "http/serialize.hpp"
#include "http/server_state.hpp"
#include "http/streamed_request_body.hpp"
#include "http/streamed_response_writer.hpp"
#include "http/ws_session.hpp"

#include "core/error.hpp"
#include "core/trace_executor.hpp"
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

#include <array>
#include <optional>
#include <stdexcept>

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

// What an HTTP session hands on when its request upgraded to a WebSocket.
template <class Stream>
struct Upgraded {
  std::shared_ptr<WsSession<Stream>> ws;
  RawRequest raw;  // the handshake request
  std::string request_id;
};

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

  void abort() override {
    asio::post(executor_, [weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->on_abort();
    });
  }

  // Serves requests until the connection ends, or until one upgrades to a WebSocket: then returns
  // it, and the caller runs it. (This coroutine's frame, with every HTTP local in it, is freed
  // meanwhile: a WebSocket lives long and there may be tens of thousands.)
  asio::awaitable<std::optional<Upgraded<Stream>>> run() {
    auto& lowest = beast::get_lowest_layer(stream_);
    const auto& options = state_->options;
    if constexpr (kIsTls<Stream>) {
      lowest.expires_after(options.read_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, kTuple);
      if (ec) co_return std::nullopt;
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
      // The body limit depends on the route (a streamed route may allow more); it is set, and a
      // Content-Length above it refused, once the head is read.
      parser.body_limit(boost::none);
      // One deadline for the whole request: a client trickling bytes cannot hold the connection.
      lowest.expires_after(options.read_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, parser, kTuple);
      if (hec) {
        co_await answer_failure(hec);
        break;
      }
      RawRequest raw;
      std::optional<StreamedRequestBody<Stream>> streamed_body;
      if (parser.is_done()) {
        raw.message = parser.release();
      } else if (const Route* route = streamed_route(parser)) {
        // The handler pulls the body itself; only the head is read now.
        auto limit = route->doc.max_body_bytes > 0 ? route->doc.max_body_bytes : options.max_body_bytes;
        streamed_body.emplace(stream_, buffer_, std::move(parser), limit, options);
        raw.message.base() = streamed_body->head();
      } else {
        auto length = parser.content_length();
        if (length && *length > options.max_body_bytes) {
          unread_request_bytes_ = true;
          co_await answer_failure(bhttp::error::body_limit);
          break;
        }
        parser.body_limit(options.max_body_bytes);
        if (iequals(std::string_view(parser.get()[bhttp::field::expect]), "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          lowest.expires_after(options.write_timeout);
          auto [cec, cn] = co_await asio::async_write(stream_, asio::buffer(kContinue), kTuple);
          if (cec) break;
          lowest.expires_after(options.read_timeout);
        }
        auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, kTuple);
        if (bec) {
          unread_request_bytes_ = bec == bhttp::error::body_limit;
          co_await answer_failure(bec);
          break;
        }
        raw.message = parser.release();
      }
      lowest.expires_never();

      Request req(raw);
      req.peer_ip = peer_ip_;
      req.secure = kIsTls<Stream>;
      if (streamed_body) req.attach_body_stream(&*streamed_body);
      state_->router.match(req);
      Response response = co_await run_pipeline(req);

      if (response.status == kSwitchingProtocols && req.upgrade) {
        auto ws = std::make_shared<WsSession<Stream>>(std::move(stream_), std::move(req.upgrade), state_->options,
                                                     state_->logger);
        if (closing_) ws->drain();
        // This session lives as long as the socket: keep none of its HTTP buffers meanwhile.
        buffer_.shrink_to_fit();
        std::string().swap(out_);
        co_return Upgraded<Stream>{std::move(ws), std::move(raw), std::move(req.request_id)};
      }

      // HTTP/1.0 connections close after each response: we never send "Connection: keep-alive".
      // Body bytes the handler left unread must never be parsed as the next request.
      bool body_consumed = !streamed_body || streamed_body->at_end();
      unread_request_bytes_ = !body_consumed;
      bool keep_alive = req.keep_alive() && raw.message.version() >= 11 && !closing_ && body_consumed;
      bool written = false;
      if (response.streamed) {
        bool http11 = raw.message.version() >= 11;
        written = co_await write_streamed(response, req, http11, keep_alive);
      } else {
        serialize_response(response, req.method() == Method::head, keep_alive, out_);
        lowest.expires_after(options.write_timeout);
        auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
        written = !wec;
      }
      if (!written || !keep_alive || aborted_) break;
    }
    if (!aborted_) co_await close_gracefully();
    co_return std::nullopt;
  }

 private:
  // The streamed-body route for the request whose head `parser` holds, or null.
  const Route* streamed_route(const bhttp::request_parser<bhttp::string_body>& parser) const {
    const auto& head = parser.get();
    auto method = head.method_string();
    auto target = head.target();
    std::string_view path(target.data(), target.size());
    path = path.substr(0, path.find('?'));
    return state_->router.streamed_route(parse_method(std::string_view(method.data(), method.size())), path);
  }

  // Writes a streamed response: the head with the first piece of the body, then piece by piece as
  // the producer writes (see BodyProducer). Returns false when the connection must end.
  asio::awaitable<bool> write_streamed(Response& response, const Request& req, bool http11, bool& keep_alive) {
    std::shared_ptr<StreamedBody> body = response.streamed;  // keeps the finish hooks until the end
    const auto& options = state_->options;
    StreamOutcome outcome{response.status, 0, false};
    body->record(outcome);
    BodyFraming framing = body->length() ? BodyFraming::content_length
                          : http11       ? BodyFraming::chunked
                                         : BodyFraming::until_close;
    if (framing == BodyFraming::until_close) keep_alive = false;
    serialize_stream_head(response, framing, body->length().value_or(0), keep_alive, out_);

    bool bodyless = req.method() == Method::head || response.status < 200 || response.status == 204 ||
                    response.status == 304;
    if (bodyless) {
      auto& lowest = beast::get_lowest_layer(stream_);
      lowest.expires_after(options.write_timeout);
      auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
      outcome.complete = !ec;
      body->record(outcome);
      co_return !ec;
    }

    StreamedResponseWriter<Stream> writer(stream_, out_, framing, body->length(), options);
    std::exception_ptr failure;
    try {
      co_await body->producer()(writer);
      co_await writer.finish();
    } catch (...) {
      failure = std::current_exception();
    }
    outcome.bytes = writer.bytes_sent();
    if (!failure) {
      outcome.complete = true;
      body->record(outcome);
      co_return true;
    }
    body->record(outcome);
    if (writer.connection_failed()) {
      // The client went away or stopped reading: nothing to tell anyone.
      state_->logger.debug("{} {} streamed response ended after {} bytes: the client went away rid={}",
                           req.method_text(), req.path(), outcome.bytes, req.request_id);
      co_return false;
    }
    AppError error = to_app_error(failure);
    if (writer.head_sent()) {
      // Too late for a status: a truncated body is the client's signal. Abort, never finish it.
      state_->logger.error("{} {} streamed response failed after {} bytes: {} rid={}", req.method_text(), req.path(),
                           outcome.bytes,
                           error.internal_detail().empty() ? error.public_message() : error.internal_detail(),
                           req.request_id);
      // A body delimited by the close must not end in a clean close: reset the connection then.
      abort_connection(framing == BodyFraming::until_close);
      co_return false;
    }
    // Nothing went out yet: answer with the problem instead, keeping the generic headers the
    // middleware added (request id, security, CORS) but not those describing the failed body.
    if (error.status() >= 500) {
      state_->logger.error("{} {} failed with {}: {} rid={}", req.method_text(), req.path(), error.status(),
                           error.internal_detail().empty() ? error.public_message() : error.internal_detail(),
                           req.request_id);
    }
    Response problem = problem_response(error, req.path(), req.request_id);
    for (const auto& [name, value] : response.headers) {
      if (!describes_representation(name) && !problem.has_header(name)) problem.headers.emplace_back(name, value);
    }
    problem.set_header("Cache-Control", "no-store");
    problem.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    serialize_response(problem, false, keep_alive, out_);
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.expires_after(options.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), kTuple);
    outcome = StreamOutcome{problem.status, 0, !ec};
    body->record(outcome);
    co_return !ec;
  }

  static AppError to_app_error(std::exception_ptr failure) {
    try {
      std::rethrow_exception(std::move(failure));
    } catch (const AppError& e) {
      return e;
    } catch (const std::exception& e) {
      return AppError::internal(e.what());
    } catch (...) {
      return AppError::internal("unknown exception");
    }
  }

  // Headers about the body a failed stream would have sent, not about the request or connection.
  static bool describes_representation(std::string_view name) {
    static constexpr std::string_view kNames[] = {"Content-Disposition", "Content-Encoding", "Content-Language",
                                                  "Content-Location",    "Content-Range",    "ETag",
                                                  "Last-Modified",       "Accept-Ranges",    "Content-Security-Policy",
                                                  "Cache-Control"};
    for (auto known : kNames) {
      if (iequals(name, known)) return true;
    }
    return false;
  }

  // Ends the connection at once, without TLS close_notify (a TLS client then reports the
  // truncation), with a reset when `reset` (where a clean close would pass for the end of the
  // body); cancels whatever is pending on it. run() then returns without the graceful close.
  void abort_connection(bool reset) {
    aborted_ = true;
    auto& lowest = beast::get_lowest_layer(stream_);
    boost::system::error_code ignored;
    if (reset) lowest.socket().set_option(tcp::socket::linger(true, 0), ignored);
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest.close();
  }

  void on_abort() {
    // The shutdown grace period is over: whatever this connection still does (a long stream, a
    // slow upload) ends now.
    if (aborted_) return;
    closing_ = true;
    abort_connection(false);
  }

  void on_drain() {
    closing_ = true;
    if (idle_) {
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
    if (unread_request_bytes_) co_await discard_unread_input();
    lowest.close();
  }

  // Closing a socket with unread input resets the connection, and a reset can destroy the response
  // before the client reads it. So, like nginx's lingering close, read and drop what the client
  // still sends, for at most 2 seconds and 4 MiB, until it closes its side.
  asio::awaitable<void> discard_unread_input() {
    auto& lowest = beast::get_lowest_layer(stream_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::array<char, 16 * 1024> scratch;
    std::size_t discarded = buffer_.size();
    buffer_.consume(buffer_.size());
    while (discarded < 4 * 1024 * 1024 && std::chrono::steady_clock::now() < deadline) {
      lowest.expires_at(deadline);
      auto [ec, n] = co_await lowest.async_read_some(asio::buffer(scratch), kTuple);
      if (ec) break;
      discarded += n;
    }
    lowest.expires_never();
  }


  std::shared_ptr<Server::State> state_;
  Stream stream_;
  asio::any_io_executor executor_;  // the connection's io_context, valid for the session's lifetime
  std::string peer_ip_;
  beast::flat_buffer buffer_;
  std::string out_;
  bool idle_ = false;
  bool closing_ = false;
  bool aborted_ = false;
  bool unread_request_bytes_ = false;  // the connection ends with request bytes it did not read
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
  auto upgraded = co_await session->run();
  if (!upgraded) co_return;
  // From here the WebSocket is the connection, drained in the HTTP session's place, and the HTTP
  // session goes: with it the impl Beast keeps for a moved-from stream, and its buffers.
  auto ws = std::move(upgraded->ws);
  state->replace_connection(guard.id, ws);
  session.reset();
  if (state->draining) ws->drain();
  co_await ws->run(upgraded->raw, upgraded->request_id);
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
  // The connection's coroutine runs on a SlotExecutor: whatever it does for a request (statements,
  // log lines, enqueued jobs) finds the request's span through trace::current().
  const auto* io = executor.target<asio::io_context::executor_type>();
  if (io == nullptr) throw std::logic_error("HTTP sockets must run on an io_context");
  trace::SlotExecutor traced(*io, std::make_shared<trace::Slot>());
  if (state->tls) {
    TlsStream stream(beast::tcp_stream(std::move(socket)), *state->tls);
    asio::co_spawn(traced, serve(state, std::move(stream), std::move(peer_ip)), asio::detached);
  } else {
    asio::co_spawn(traced, serve(state, PlainStream(std::move(socket)), std::move(peer_ip)), asio::detached);
  }
}

}  // namespace parley::http
