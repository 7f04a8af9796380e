#pragma once
// A Lua script run the way production Redis clients run them: EVALSHA with the script's SHA-1,
// and, when the server does not have it (NOSCRIPT: after a restart, a failover or SCRIPT FLUSH),
// EVAL with the source, which also loads it for the next call. One round trip in the common case.
//
//   static const redis::Script kTake{"return redis.call('INCR', KEYS[1])"};
//   std::vector<std::string> keys{"counter"};
//   redis::Reply reply = co_await kTake.run(client, keys, {});
//
// A script runs atomically on the server: nothing else runs between its commands. Keys must all
// be passed in `keys` (Redis Cluster routes by them; give keys of one call one hash tag).
#include <boost/asio/awaitable.hpp>
#include <span>
#include <string>

#include "redis/client.hpp"
#include "redis/reply.hpp"

namespace parley::redis {

class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const noexcept { return source_; }
  const std::string& sha1() const noexcept { return sha1_; }  // 40 lower-case hex digits

  // The script's reply; an error the script raised comes back as an error reply (data), a
  // failure to reach Redis as the client's 503. `keys` and `args` must stay valid until the
  // returned awaitable completes (co_await it at once).
  boost::asio::awaitable<Reply> run(Client& client, std::span<const std::string> keys,
                                    std::span<const std::string> args) const;

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace parley::redis
