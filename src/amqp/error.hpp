#pragma once
// The exception every AMQP operation fails with. It is an AppError, so an HTTP request that enqueues
// a job and meets a broker outage answers 503 with Retry-After without a translation layer; the
// kind tells the job broker what happened and what to do about it.
//
// what() (the AppError's internal detail) says what failed in plain words, with the server's reply
// code and text when there was one, and the redacted URL for connection failures; never a password.
#include <string>

#include "core/error.hpp"

namespace parley::amqp {

enum class ErrorKind {
  connect_failed,      // TCP connect, AMQP handshake or login failed (refused, unreachable, bad credentials, no
                       // such vhost, timeout). 503.
  connection_lost,     // an open connection ended without our asking: the server closed it (connection.close,
                       // e.g. 320 CONNECTION_FORCED), the socket broke, heartbeats stopped, or a reply came too
                       // late. Everything pending on it failed. 503.
  closed,              // the application closed the connection (close() or its destructor) first. 503.
  channel_error,       // the server refused this operation and closed its channel (404 NOT_FOUND, 406
                       // PRECONDITION_FAILED, ...); the connection stays usable. 500.
  unroutable,          // a mandatory publish matched no queue (basic.return, 312 NO_ROUTE). 500.
  nacked,              // the server refused a publish (basic.nack: e.g. a full queue with reject-publish). 503.
  timeout,             // a publish not confirmed within operation_timeout; it may still be delivered. 503.
  blocked,             // the server blocks publishers (connection.blocked: a memory or disk alarm); nothing was
                       // sent. 503.
  consumer_cancelled,  // the server cancelled a consumer (its queue was deleted). 503.
};

const char* to_string(ErrorKind kind) noexcept;

class Error : public AppError {
 public:
  // `detail` becomes what(), prefixed with "amqp: ". `reply_code` is the server's AMQP reply code (0: none).
  Error(ErrorKind kind, std::string detail, int reply_code = 0);

  ErrorKind kind() const noexcept { return kind_; }
  // what() without its "amqp: " prefix.
  const std::string& detail() const noexcept { return detail_; }
  int reply_code() const noexcept { return reply_code_; }
  // Whether the connection is unusable: open a new one (and declare the topology again).
  bool connection_gone() const noexcept {
    return kind_ == ErrorKind::connect_failed || kind_ == ErrorKind::connection_lost || kind_ == ErrorKind::closed;
  }

 private:
  ErrorKind kind_;
  int reply_code_;
  std::string detail_;
};

}  // namespace parley::amqp
