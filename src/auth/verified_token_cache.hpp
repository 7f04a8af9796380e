#pragma once
// A bounded cache of access tokens whose signature and claims were verified: token -> (subject,
// expiry). It spares the Ed25519 verification (~115 µs, a quarter of a page read's CPU) on every
// request after a token's first. Only what the signed token itself says is cached: the account
// behind it (active? which role?) is still read on every request, so deactivation and role
// changes take effect at once on every process without any invalidation.
//
// Keyed by the token's SHA-256 (the raw token is never stored). Thread-safe: 16 shards, each
// with its own mutex held only for a hash-map operation. Bounded: a full shard first drops its
// expired entries, then everything (a refill costs one verification per active token).
#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::auth {

class VerifiedTokenCache {
 public:
  using Clock = std::chrono::system_clock;

  // At most `capacity` tokens (0 disables the cache).
  explicit VerifiedTokenCache(std::size_t capacity);

  // The subject of `token` when it was verified before and has not expired at `now`.
  std::optional<std::string> find(std::string_view token, Clock::time_point now);
  // Remembers a verified token until `expires_at`.
  void insert(std::string_view token, std::string subject, Clock::time_point expires_at, Clock::time_point now);
  std::size_t size();

 private:
  struct Entry {
    std::string subject;
    Clock::time_point expires_at;
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_of(const std::string& key);

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace parley::auth
