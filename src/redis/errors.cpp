#include "redis/errors.hpp"

namespace parley::redis {

AppError redis_unavailable(std::string internal_detail, int retry_after_seconds) {
  return AppError::unavailable("A backing service is temporarily unavailable.", "redis: " + std::move(internal_detail),
                               retry_after_seconds);
}

}  // namespace parley::redis
