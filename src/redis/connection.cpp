#include "redis/connection.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "redis/errors.hpp"

namespace parley::redis {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

std::string endpoint_text(const RedisUrl& url) {
  return (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

}  // namespace

Connection::Connection(const Strand& strand, const ClientConfig& config)
    : strand_(strand),
      config_(config),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_),
      connect_timer_(strand_),
      parser_(config_.limits) {}

Connection::~Connection() = default;

awaitable<std::shared_ptr<Connection>> Connection::connect(const Strand& strand, const ClientConfig& config) {
  auto self = std::make_shared<Connection>(strand, config);
  return asio::co_spawn(self->strand_, [self] { return self->open(); }, use_awaitable);
}

awaitable<std::shared_ptr<Connection>> Connection::open() {
  const std::string where = endpoint_text(config_.url);
  // The deadline closes everything: the resolve, connect or handshake in progress then fails.
  connect_timer_.expires_after(config_.connect_timeout);
  connect_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->broken_) return;
    self->connect_timed_out_ = true;
    self->resolver_.cancel();
    self->fail_all("connect to " + endpoint_text(self->config_.url) + ": timed out after " +
                   std::to_string(self->config_.connect_timeout.count()) + " ms");
  });
  try {
    auto endpoints = co_await resolver_.async_resolve(config_.url.host, std::to_string(config_.url.port), use_awaitable);
    co_await asio::async_connect(socket_, endpoints, use_awaitable);
  } catch (const boost::system::system_error& e) {
    connect_timer_.cancel();
    const std::string reason = connect_timed_out_ ? "timed out after " + std::to_string(config_.connect_timeout.count()) + " ms"
                                                  : e.code().message();
    fail_all("connect to " + where + ": " + reason);
    throw redis_unavailable("connect to " + where + ": " + reason);
  }
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);
  read();

  std::vector<std::string> steps;
  std::string handshake;
  if (!config_.url.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!config_.url.username.empty()) auth.push_back(config_.url.username);
    auth.push_back(config_.url.password);
    append_command(handshake, auth);
    steps.push_back(config_.url.username.empty() ? "AUTH" : "AUTH as user '" + config_.url.username + "'");
  }
  if (config_.url.database != 0) {
    const std::vector<std::string> select{"SELECT", std::to_string(config_.url.database)};
    append_command(handshake, select);
    steps.push_back("SELECT " + std::to_string(config_.url.database));
  }
  const std::vector<std::string> ping{"PING"};
  append_command(handshake, ping);
  steps.push_back("PING");
  const std::size_t count = steps.size();
  std::vector<Reply> replies;
  try {
    replies = co_await execute(std::move(handshake), count);
  } catch (...) {
    connect_timer_.cancel();
    throw;
  }
  connect_timer_.cancel();
  try {
    check_handshake(replies, steps);
  } catch (...) {
    fail_all("handshake failed");
    throw;
  }
  co_return shared_from_this();
}

void Connection::check_handshake(const std::vector<Reply>& replies, const std::vector<std::string>& steps) const {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (!replies[i].is_error()) continue;
    std::string detail = steps[i] + " on " + endpoint_text(config_.url) + " failed: " + replies[i].text;
    if (replies[i].error_code() == "NOAUTH") detail += " (the server wants a password: put it in the URL)";
    throw redis_unavailable(std::move(detail));
  }
}

// Not a coroutine (see db/pg/pg_connection.cpp): the bytes are moved into the initiation now and
// the returned awaitable owns them. Completion is posted to the caller's executor.
awaitable<std::vector<Reply>> Connection::execute(std::string&& encoded, std::size_t count) {
  return asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, std::vector<Reply>)>(
      [self = shared_from_this(), bytes = std::move(encoded), count](auto handler) mutable {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        Completion done = [executor, shared](std::exception_ptr error, std::vector<Reply> replies) {
          asio::post(executor, [shared, error, replies = std::move(replies)]() mutable {
            (*shared)(error, std::move(replies));
          });
        };
        asio::dispatch(self->strand_, [self, bytes = std::move(bytes), count, done = std::move(done)]() mutable {
          self->start(std::move(bytes), count, std::move(done));
        });
      },
      use_awaitable);
}

void Connection::start(std::string bytes, std::size_t count, Completion done) {
  if (broken_) {
    done(std::make_exception_ptr(redis_unavailable("connection to " + endpoint_text(config_.url) + " is closed")), {});
    return;
  }
  if (on_push_) {
    done(std::make_exception_ptr(AppError::internal("redis: command() on a connection in subscribe mode")), {});
    return;
  }
  Pending op;
  op.expected = count;
  op.replies.reserve(count);
  op.deadline = Clock::now() + config_.command_timeout;
  op.done = std::move(done);
  pending_.push_back(std::move(op));
  const std::size_t now_in_flight = in_flight_ += count;
  std::size_t seen = max_in_flight_.load();
  while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
  }
  outbox_ += bytes;
  arm_timer();
  write();
}

void Connection::enter_push_mode(PushHandler on_push) { on_push_ = std::move(on_push); }

void Connection::send(std::span<const std::string> args) {
  if (broken_) return;  // the close handler has been or will be told
  append_command(outbox_, args);
  write();
}

void Connection::on_close(CloseHandler handler) {
  if (broken_) {
    asio::post(strand_, [handler = std::move(handler)] { handler("the connection broke before it was watched"); });
    return;
  }
  on_close_ = std::move(handler);
}

void Connection::close(std::string reason) {
  asio::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)] { self->fail_all(reason); });
}

// One write at a time; whatever was queued meanwhile goes out together in the next one, so a burst
// of callers costs few system calls.
void Connection::write() {
  if (writing_ || outbox_.empty() || broken_) return;
  writing_ = true;
  sending_.swap(outbox_);
  outbox_.clear();
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->fail_all("write: " + ec.message());
                        return;
                      }
                      self->sending_.clear();
                      self->write();
                    });
}

// Reads for the connection's whole life, also when idle, so a server that goes away is noticed at
// once (and pushes arrive without a command).
void Connection::read() {
  auto space = parser_.prepare(kReadChunk);
  socket_.async_read_some(asio::buffer(space.data(), space.size()),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
                            self->on_read(ec, bytes);
                          });
}

void Connection::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  if (broken_) return;
  if (ec) {
    fail_all(ec == asio::error::eof ? "the server closed the connection" : "read: " + ec.message());
    return;
  }
  parser_.commit(bytes);
  try {
    while (auto reply = parser_.next()) {
      deliver(std::move(*reply));
      if (broken_) return;
    }
  } catch (const AppError& e) {
    fail_all(e.internal_detail());
    return;
  }
  read();
}

void Connection::deliver(Reply reply) {
  if (on_push_) {
    on_push_(std::move(reply));
    return;
  }
  if (pending_.empty()) {
    fail_all("a reply with no command waiting for it: " + reply.debug_string().substr(0, 200));
    return;
  }
  Pending& front = pending_.front();
  front.replies.push_back(std::move(reply));
  --in_flight_;
  if (front.replies.size() < front.expected) return;
  Pending done = std::move(front);
  pending_.pop_front();
  done.done(nullptr, std::move(done.replies));
}

// One timer for all pending commands: they share one timeout and are answered in order, so the
// oldest has the nearest deadline. The timer is re-armed only when it fires, not per reply.
void Connection::arm_timer() {
  if (timer_armed_ || pending_.empty() || broken_) return;
  timer_armed_ = true;
  timer_.expires_at(pending_.front().deadline);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code&) { self->on_timer(); });
}

void Connection::on_timer() {
  timer_armed_ = false;
  if (broken_ || pending_.empty()) return;
  if (pending_.front().deadline <= Clock::now()) {
    fail_all("no reply within " + std::to_string(config_.command_timeout.count()) + " ms; connection reset");
    return;
  }
  arm_timer();
}

void Connection::fail_all(const std::string& reason) {
  if (broken_.exchange(true)) return;
  auto error = std::make_exception_ptr(redis_unavailable(reason));
  auto pending = std::move(pending_);
  pending_.clear();
  in_flight_ = 0;
  for (auto& op : pending) op.done(error, {});
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  connect_timer_.cancel();
  if (auto handler = std::move(on_close_)) {
    // Posted: the owner's handler may replace this connection, which must not happen inside our
    // own read or write completion.
    asio::post(strand_, [handler = std::move(handler), reason] { handler(reason); });
  }
}

}  // namespace parley::redis
