#include "realtime/presence.hpp"

#include <algorithm>

namespace parley::realtime {

void PresenceTracker::socket_opened(std::int64_t user_id, const void* socket, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  users_[user_id].sockets[socket] = Heard{PresenceStatus::active, now};
}

void PresenceTracker::heartbeat(std::int64_t user_id, const void* socket, std::optional<PresenceStatus> status,
                                Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto user = users_.find(user_id);
  if (user == users_.end()) return;
  auto it = user->second.sockets.find(socket);
  if (it == user->second.sockets.end()) return;
  it->second.at = now;
  if (status) it->second.status = *status;
}

void PresenceTracker::socket_closed(std::int64_t user_id, const void* socket) {
  std::lock_guard lock(mutex_);
  auto user = users_.find(user_id);
  if (user != users_.end()) user->second.sockets.erase(socket);
}

void PresenceTracker::announced(std::uint64_t instance, std::int64_t user_id, PresenceStatus status,
                                Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (status == PresenceStatus::offline) {
    auto user = users_.find(user_id);
    if (user != users_.end()) user->second.instances.erase(instance);
    return;
  }
  users_[user_id].instances[instance] = Heard{status, now + ttl_};
}

PresenceStatus PresenceTracker::local_locked(const UserState& user, Clock::time_point now) const {
  PresenceStatus best = PresenceStatus::offline;
  for (const auto& [socket, heard] : user.sockets) {
    if (now - heard.at <= ttl_) best = std::max(best, heard.status);
  }
  return best;
}

PresenceStatus PresenceTracker::overall_locked(const UserState& user, Clock::time_point now) const {
  PresenceStatus best = local_locked(user, now);
  for (const auto& [instance, heard] : user.instances) {
    if (now < heard.at) best = std::max(best, heard.status);
  }
  return best;
}

PresenceTracker::Changes PresenceTracker::sweep(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Changes changes;
  for (auto it = users_.begin(); it != users_.end();) {
    auto& user = it->second;
    std::erase_if(user.instances, [now](const auto& entry) { return now >= entry.second.at; });
    const auto local = local_locked(user, now);
    const auto overall = overall_locked(user, now);
    if (local != user.told_local) {
      changes.local.emplace_back(it->first, local);
      user.told_local = local;
    }
    if (overall != user.told) {
      changes.statuses.emplace_back(it->first, overall);
      user.told = overall;
    }
    if (user.sockets.empty() && user.instances.empty()) {
      it = users_.erase(it);  // offline and told so
    } else {
      ++it;
    }
  }
  return changes;
}

std::vector<UserStatus> PresenceTracker::local_statuses(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  std::vector<UserStatus> out;
  for (const auto& [user_id, user] : users_) {
    const auto local = local_locked(user, now);
    if (local != PresenceStatus::offline) out.emplace_back(user_id, local);
  }
  return out;
}

PresenceStatus PresenceTracker::status(std::int64_t user_id, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  return it == users_.end() ? PresenceStatus::offline : overall_locked(it->second, now);
}

}  // namespace parley::realtime
