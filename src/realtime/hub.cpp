#include "realtime/hub.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <exception>

namespace parley::realtime {
namespace {

// The users a membership event adds or removes: member.added/member.removed name one
// (`user_id`), conversation.created lists the founding members (`member_ids`).
std::vector<std::int64_t> users_named(const events::Event& event) {
  std::vector<std::int64_t> users;
  if (!event.data) return users;
  boost::system::error_code ec;
  auto data = boost::json::parse(*event.data, ec);
  if (ec || !data.is_object()) return users;
  const auto& object = data.as_object();
  if (event.type == "conversation.created") {
    if (const auto* ids = object.if_contains("member_ids"); ids != nullptr && ids->is_array()) {
      for (const auto& id : ids->as_array()) {
        if (id.is_int64()) users.push_back(id.as_int64());
      }
    }
  } else if (const auto* id = object.if_contains("user_id"); id != nullptr && id->is_int64()) {
    users.push_back(id->as_int64());
  }
  return users;
}

bool adds_members(const events::Event& event) {
  return event.type == "conversation.created" || event.type == "member.added";
}

}  // namespace

Hub::Hub(events::EventBus& bus, MembershipLoader loader) : loader_(std::move(loader)) {
  subscription_ = bus.subscribe([this](std::span<const events::Event> events) { on_events(events); });
}

Hub::~Hub() { subscription_.reset(); }

boost::asio::awaitable<void> Hub::attach(std::int64_t user_id, Listener* listener) {
  bool must_load = false;
  {
    std::lock_guard lock(mutex_);
    auto& entry = users_[user_id];
    entry.user_id = user_id;
    entry.listeners.push_back(listener);
    if (!entry.loaded && !entry.loading) {
      entry.loading = true;
      loading_.insert(&entry);
      must_load = true;
    }
  }
  if (!must_load) co_return;
  std::vector<std::int64_t> conversations;
  std::exception_ptr failure;
  try {
    conversations = co_await loader_(user_id);
  } catch (...) {
    failure = std::current_exception();
  }
  {
    std::lock_guard lock(mutex_);
    auto it = users_.find(user_id);
    if (it != users_.end()) {
      if (failure) {
        std::erase(it->second.listeners, listener);
        fail_load_locked(it->second);
      } else {
        finish_load_locked(it->second, conversations);
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

void Hub::detach(std::int64_t user_id, Listener* listener) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return;
  auto& entry = it->second;
  std::erase(entry.listeners, listener);
  if (!entry.listeners.empty() || entry.loading) return;  // a loading entry is erased when its load returns
  for (auto conversation_id : entry.conversations) {
    auto members = members_.find(conversation_id);
    if (members == members_.end()) continue;
    members->second.erase(&entry);
    if (members->second.empty()) members_.erase(members);
  }
  users_.erase(it);
}

void Hub::finish_load_locked(UserEntry& entry, const std::vector<std::int64_t>& conversations) {
  entry.loading = false;
  loading_.erase(&entry);
  if (entry.listeners.empty()) {  // every listener left while loading
    users_.erase(entry.user_id);
    return;
  }
  entry.loaded = true;
  for (auto conversation_id : conversations) join_locked(entry, conversation_id);
  // The held events in order, as if they had been routed when published; the load may already
  // include some of their membership changes, and joining or leaving twice changes nothing.
  auto held = std::move(entry.held);
  entry.held.clear();
  for (const auto& event : held) {
    apply_membership_locked(entry, event, true);
    const bool audience = (event.user_id && *event.user_id == entry.user_id) ||
                          (event.conversation_id && entry.conversations.contains(*event.conversation_id));
    if (audience) {
      auto frame = std::make_shared<const std::string>(event.frame());
      for (auto* listener : entry.listeners) listener->deliver(event.position, frame);
    }
    apply_membership_locked(entry, event, false);
  }
}

void Hub::fail_load_locked(UserEntry& entry) {
  entry.loading = false;
  loading_.erase(&entry);
  entry.held.clear();
  // Listeners that attached meanwhile were promised this load: they cannot be served.
  for (auto* listener : entry.listeners) listener->lost();
  users_.erase(entry.user_id);
}

void Hub::join_locked(UserEntry& entry, std::int64_t conversation_id) {
  if (entry.conversations.insert(conversation_id).second) members_[conversation_id].insert(&entry);
}

void Hub::leave_locked(UserEntry& entry, std::int64_t conversation_id) {
  if (entry.conversations.erase(conversation_id) == 0) return;
  auto members = members_.find(conversation_id);
  if (members == members_.end()) return;
  members->second.erase(&entry);
  if (members->second.empty()) members_.erase(members);
}

void Hub::apply_membership_locked(UserEntry& entry, const events::Event& event, bool before) {
  if (!event.conversation_id) return;
  const bool joins = adds_members(event);
  if (joins != before || (!joins && event.type != "member.removed")) return;
  for (auto user_id : users_named(event)) {
    if (user_id != entry.user_id) continue;
    if (joins) {
      join_locked(entry, *event.conversation_id);
    } else {
      leave_locked(entry, *event.conversation_id);
    }
  }
}

void Hub::on_events(std::span<const events::Event> events) {
  std::lock_guard lock(mutex_);
  for (const auto& event : events) route_locked(event);
}

void Hub::route_locked(const events::Event& event) {
  for (auto* entry : loading_) entry->held.push_back(event);
  const bool membership = adds_members(event) || event.type == "member.removed";
  // Joins first, so a new member receives the event that adds them.
  std::vector<std::int64_t> named;
  if (membership && event.conversation_id) {
    named = users_named(event);
    if (adds_members(event)) {
      for (auto user_id : named) {
        auto it = users_.find(user_id);
        if (it != users_.end() && it->second.loaded) join_locked(it->second, *event.conversation_id);
      }
    }
  }
  Frame frame;
  auto send = [&](UserEntry& entry) {
    if (!frame) frame = std::make_shared<const std::string>(event.frame());
    for (auto* listener : entry.listeners) listener->deliver(event.position, frame);
  };
  UserEntry* addressed = nullptr;
  if (event.user_id) {
    auto it = users_.find(*event.user_id);
    if (it != users_.end() && it->second.loaded) addressed = &it->second;
  }
  if (event.conversation_id) {
    if (auto members = members_.find(*event.conversation_id); members != members_.end()) {
      for (auto* entry : members->second) {
        if (entry == addressed) addressed = nullptr;  // a member and the addressee: once
        send(*entry);
      }
    }
  }
  if (addressed != nullptr) send(*addressed);
  if (frame && event.created_us > 0) {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    delivery_latency_.observe(now - std::chrono::microseconds(event.created_us));
  }
  if (event.type == "member.removed" && event.conversation_id) {
    for (auto user_id : named) {
      auto it = users_.find(user_id);
      if (it != users_.end() && it->second.loaded) leave_locked(it->second, *event.conversation_id);
    }
  }
}

bool Hub::is_member(std::int64_t user_id, std::int64_t conversation_id) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  return it != users_.end() && it->second.loaded && it->second.conversations.contains(conversation_id);
}

void Hub::send_to_conversation(std::int64_t conversation_id, const Frame& frame, std::int64_t except_user) {
  std::lock_guard lock(mutex_);
  auto members = members_.find(conversation_id);
  if (members == members_.end()) return;
  for (auto* entry : members->second) {
    if (entry->user_id == except_user) continue;
    for (auto* listener : entry->listeners) listener->deliver_ephemeral(frame);
  }
}

void Hub::send_to_users(std::span<const std::int64_t> users, const Frame& frame) {
  std::lock_guard lock(mutex_);
  for (auto user_id : users) {
    auto it = users_.find(user_id);
    if (it == users_.end()) continue;
    for (auto* listener : it->second.listeners) listener->deliver_ephemeral(frame);
  }
}

std::optional<std::vector<std::int64_t>> Hub::conversations_of(std::int64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end() || !it->second.loaded) return std::nullopt;
  return std::vector<std::int64_t>(it->second.conversations.begin(), it->second.conversations.end());
}

Hub::Stats Hub::stats() const {
  std::lock_guard lock(mutex_);
  Stats stats;
  stats.users = users_.size();
  stats.conversations = members_.size();
  for (const auto& [id, entry] : users_) stats.listeners += entry.listeners.size();
  return stats;
}

}  // namespace parley::realtime
