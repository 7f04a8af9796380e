#include "amqp/error.hpp"

namespace parley::amqp {
namespace {

// The public side of an AppError: 503 for what a retry later may fix, 500 for what it will not.
bool unavailable(ErrorKind kind) { return kind != ErrorKind::channel_error && kind != ErrorKind::unroutable; }

AppError make_app_error(ErrorKind kind, const std::string& detail) {
  if (unavailable(kind)) {
    return AppError::unavailable("A backing service is temporarily unavailable.", "amqp: " + detail);
  }
  return AppError::internal("amqp: " + detail);
}

}  // namespace

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::connect_failed:
      return "connect_failed";
    case ErrorKind::connection_lost:
      return "connection_lost";
    case ErrorKind::closed:
      return "closed";
    case ErrorKind::channel_error:
      return "channel_error";
    case ErrorKind::unroutable:
      return "unroutable";
    case ErrorKind::nacked:
      return "nacked";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::blocked:
      return "blocked";
    case ErrorKind::consumer_cancelled:
      return "consumer_cancelled";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string detail, int reply_code)
    : AppError(make_app_error(kind, detail)), kind_(kind), reply_code_(reply_code), detail_(std::move(detail)) {}

}  // namespace parley::amqp
