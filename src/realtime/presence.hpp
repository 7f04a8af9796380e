#pragma once
// Presence bookkeeping of one process (docs/realtime.md "Presence"), without I/O.
//
// A local socket reports `active` or `idle` (opening counts as `active`); every client frame is a
// heartbeat, and a socket silent for longer than the TTL counts as offline while it stays open.
// A user's local status is the best of their sockets' (active > idle > offline). Other instances
// announce the statuses of their users; an announcement holds for one TTL unless renewed, so an
// instance that dies takes its users offline within a TTL. A user's status is the best of the
// local one and every instance's unexpired announcement.
//
// sweep() returns what changed since the previous sweep, coalesced: a user who went idle and came
// back in between does not appear. Cost: O(users tracked) per sweep.
//
// Thread-safety: every member is thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "realtime/client_frame.hpp"

namespace parley::realtime {

using UserStatus = std::pair<std::int64_t, PresenceStatus>;

class PresenceTracker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit PresenceTracker(std::chrono::milliseconds ttl) : ttl_(ttl) {}

  void socket_opened(std::int64_t user_id, const void* socket, Clock::time_point now);
  // Any frame from the socket; `status` when it was a presence frame.
  void heartbeat(std::int64_t user_id, const void* socket, std::optional<PresenceStatus> status, Clock::time_point now);
  void socket_closed(std::int64_t user_id, const void* socket);
  // Another instance's announcement; offline withdraws it.
  void announced(std::uint64_t instance, std::int64_t user_id, PresenceStatus status, Clock::time_point now);

  struct Changes {
    std::vector<UserStatus> statuses;  // users whose overall status changed: tell who shares a conversation
    std::vector<UserStatus> local;     // users whose status on this instance changed: tell the other instances
  };
  Changes sweep(Clock::time_point now);
  // This instance's users that are not offline here (what it re-announces every TTL / 3).
  std::vector<UserStatus> local_statuses(Clock::time_point now) const;
  PresenceStatus status(std::int64_t user_id, Clock::time_point now) const;
  std::chrono::milliseconds ttl() const noexcept { return ttl_; }

 private:
  struct Heard {
    PresenceStatus status = PresenceStatus::offline;
    Clock::time_point at;
  };
  struct UserState {
    std::unordered_map<const void*, Heard> sockets;
    std::unordered_map<std::uint64_t, Heard> instances;  // announcements, `at` = when they expire
    PresenceStatus told = PresenceStatus::offline;        // overall status last returned by sweep()
    PresenceStatus told_local = PresenceStatus::offline;
  };
  PresenceStatus local_locked(const UserState& user, Clock::time_point now) const;
  PresenceStatus overall_locked(const UserState& user, Clock::time_point now) const;

  std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, UserState> users_;
};

}  // namespace parley::realtime
