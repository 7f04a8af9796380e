#pragma once
// The cache store in Redis (cache/backend.hpp), on the process's one redis::Client. Every
// process reads and writes the same entries and versions, so a bump is seen by all replicas at
// once.
//
//   value    parley:cache:<key>      SET PX <ttl>, GET, DEL
//   version  parley:cache:ns:<ns>    INCR; read with one MGET for every namespace of a key
//
// Versions carry no TTL: Redis must not evict them (maxmemory-policy volatile-lru, volatile-ttl
// or noeviction; an allkeys-* policy could drop a version and bring old entries back, see
// docs/caching.md). A Redis error reply is thrown like an unreachable server (std::runtime_error).
#include <memory>

#include "cache/backend.hpp"
#include "redis/client.hpp"

namespace parley::cache {

class RedisBackend final : public Backend {
 public:
  explicit RedisBackend(std::shared_ptr<redis::Client> client, std::string prefix = "parley:cache:");

  std::string_view kind() const noexcept override { return "redis"; }
  bool shared() const noexcept override { return true; }
  boost::asio::awaitable<std::optional<std::string>> get(std::string key) override;
  boost::asio::awaitable<void> set(std::string key, std::string value, std::chrono::milliseconds ttl) override;
  boost::asio::awaitable<void> erase(std::string key) override;
  boost::asio::awaitable<std::vector<std::uint64_t>> versions(std::vector<std::string> namespaces) override;
  boost::asio::awaitable<void> bump(std::vector<std::string> namespaces) override;

 private:
  std::shared_ptr<redis::Client> client_;
  std::string prefix_;
};

}  // namespace parley::cache
