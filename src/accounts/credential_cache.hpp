#pragma once
// A bounded cache of verified credentials: what authentication concluded about a bearer token or
// a session cookie (the Principal), so that a repeated credential costs neither an Ed25519
// verification nor a database read. See docs/security.md "Verified-credential cache".
//
// * Keyed by SHA-256 of (kind, credential): the raw token or cookie is never stored, and a value
//   cached as one kind (a session id) never answers for another (the same text sent as a bearer).
// * An entry lives until the expiry its filler gives (the credential's own: a JWT's exp, a personal
//   token's expires_at, a session's next idle-slide or absolute expiry), and never longer than
//   `max_ttl` after the ticket its filler took: the state behind a credential lives in the
//   database, and a change the process was not told about is seen within max_ttl.
// * Invalidation is per user: invalidate_user(id) makes every entry of that user that was filled
//   from a database read begun before the call invalid at once (a per-user "credentials version"
//   checked on every hit). A filler takes a ticket() *before* its database read, so a read racing
//   a revocation can never store the state from before it. clear() does the same for every user.
// * Bounded: at most `capacity` entries (least recently used evicted first, per shard), and the
//   per-user versions it remembers are pruned after max_ttl (no entry can predate them by more).
//   capacity 0 disables the cache (find always misses, insert stores nothing).
// * Not live (suspend()): find misses and insert stores nothing until resume(), which clears. For
//   when invalidations may be missed (the PostgreSQL listener is down).
//
// Thread-safety: every member may be called from any thread. 16 shards, each with its own mutex
// held only for a hash-map operation; nothing blocks or suspends under a lock.
#include "http/request.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

namespace parley::accounts {

class CredentialCache {
 public:
  using Clock = std::chrono::system_clock;
  enum class Kind : std::uint8_t { bearer = 1, session = 2 };

  struct Options {
    std::size_t capacity = 100'000;            // entries; 0 disables the cache
    std::chrono::milliseconds max_ttl{60'000};  // no entry outlives its ticket by more
  };

  // Taken before the database read whose result insert() stores.
  struct Ticket {
    std::uint64_t epoch = 0;
    Clock::time_point taken_at;
  };

  explicit CredentialCache(Options options);

  bool enabled() const noexcept { return per_shard_ != 0; }

  // The principal cached for `credential` when its entry exists, has not expired at `now`, and its
  // user was not invalidated since the entry's ticket.
  std::optional<http::Principal> find(Kind kind, std::string_view credential, Clock::time_point now);
  Ticket ticket(Clock::time_point now) const noexcept;
  // Remembers `principal` for `credential` until min(expires_at, ticket.taken_at + max_ttl). Stores
  // nothing when that is not after `now`, or when the user was invalidated after `ticket`.
  void insert(Kind kind, std::string_view credential, const http::Principal& principal, Ticket ticket,
              Clock::time_point expires_at, Clock::time_point now);

  // Every entry of `user_id` whose ticket was taken before this call is invalid from now on.
  void invalidate_user(std::int64_t user_id, Clock::time_point now);
  // Every entry whose ticket was taken before this call is invalid from now on.
  void clear();
  // Stops answering and storing until resume(); resume() clears and answers again.
  void suspend();
  void resume();

  // Entries held (expired and invalidated ones count until they are dropped).
  std::size_t size();
  std::size_t remembered_users();

 private:
  using Key = std::array<std::uint8_t, 32>;
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept;
  };
  struct Entry {
    Key key;
    http::Principal principal;
    std::uint64_t epoch;
    Clock::time_point expires_at;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<Key, std::list<Entry>::iterator, KeyHash> index;
  };
  struct Invalidation {
    std::uint64_t epoch;
    Clock::time_point at;
  };
  struct UserShard {
    std::mutex mutex;
    std::unordered_map<std::int64_t, Invalidation> users;
  };
  static constexpr std::size_t kShards = 16;
  // Remembered invalidations per user shard before the old ones are pruned.
  static constexpr std::size_t kPruneAbove = 1024;

  static Key key_of(Kind kind, std::string_view credential);
  // Whether an entry with this ticket epoch for `user_id` is still valid.
  bool current(std::int64_t user_id, std::uint64_t epoch);
  // Makes every ticket taken so far too old (clear()).
  void raise_floor() noexcept;
  UserShard& user_shard(std::int64_t user_id) noexcept { return user_shards_[static_cast<std::uint64_t>(user_id) % kShards]; }

  Options options_;
  std::size_t per_shard_;
  std::atomic<std::uint64_t> epoch_{1};
  std::atomic<std::uint64_t> floor_{0};  // entries with an older ticket are invalid (clear())
  std::atomic<bool> live_{true};
  std::array<Shard, kShards> shards_;
  std::array<UserShard, kShards> user_shards_;
};

}  // namespace parley::accounts
