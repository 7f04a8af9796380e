#pragma once
// Settings of a Redis client or subscriber. The composition root builds it from PARLEY_REDIS_URL
// (parse_redis_url); tests fill it directly.
#include <chrono>

#include "core/redis_url.hpp"
#include "redis/resp.hpp"

namespace parley::redis {

struct ClientConfig {
  RedisUrl url;
  // Pipelined connections a Client keeps (at least 1); commands take them in turn.
  std::size_t connections = 1;
  // Resolving, TCP connect, AUTH and SELECT together; beyond it the attempt fails with 503.
  std::chrono::milliseconds connect_timeout{5000};
  // A reply not received this long after its command was sent fails the command with 503 and
  // resets the connection (the replies behind it would otherwise be matched to the wrong callers).
  // Also bounds a Subscriber's wait for SUBSCRIBE confirmations and PING answers.
  std::chrono::milliseconds command_timeout{5000};
  // After a failed connect, the next attempt waits this long, doubling up to the max; meanwhile
  // commands fail at once with 503 and Retry-After.
  std::chrono::milliseconds reconnect_backoff_initial{50};
  std::chrono::milliseconds reconnect_backoff_max{2000};
  // A Subscriber PINGs its idle connection this often, so a silently dead peer (no FIN, e.g. a
  // vanished host) is noticed within health_interval + command_timeout.
  std::chrono::milliseconds health_interval{10000};
  ParserLimits limits;
};

}  // namespace parley::redis
