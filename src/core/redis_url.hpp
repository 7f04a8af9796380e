#pragma once
// PARLEY_REDIS_URL: redis://[[user]:password@]host[:port][/db]
//
// Lives in core, not in src/redis/, because the configuration table (core/config.cpp) validates
// the variable at start and core sits below every other module; the Redis client (src/redis/)
// takes the parsed RedisUrl.
#include <cstdint>
#include <string>
#include <string_view>

namespace parley {

inline constexpr std::string_view kRedisUrlForm = "redis://[[user]:password@]host[:port][/db]";

struct RedisUrl {
  std::string host;           // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 6379;
  std::string username;       // empty: the default user (AUTH <password>)
  std::string password;       // empty: no AUTH
  int database = 0;           // SELECTed on connect when not 0

  // The URL with the password masked, for logs and `parley check`.
  std::string redacted() const;
};

// Parses and validates `url`; user name and password are percent-decoded. Throws AppError
// (500, "invalid_redis_url") whose public message says precisely what is wrong (the expected form,
// kRedisUrlForm, is in its internal detail) and never contains the password. rediss:// (TLS) is refused: not supported yet.
RedisUrl parse_redis_url(std::string_view url);

}  // namespace parley
