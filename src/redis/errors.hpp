#pragma once
// The AppError every Redis failure that callers see becomes: 503 with Retry-After. The detail
// (server address, Redis' own message) goes to internal_detail only.
#include <string>

#include "core/error.hpp"

namespace parley::redis {

AppError redis_unavailable(std::string internal_detail, int retry_after_seconds = 1);

}  // namespace parley::redis
