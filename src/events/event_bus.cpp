#include "events/event_bus.hpp"

#include <spdlog/logger.h>

#include <vector>

namespace parley::events {

std::string event_frame(std::int64_t position, std::string_view type, std::string_view data_json) {
  std::string out;
  out.reserve(48 + type.size() + data_json.size());
  out += "{\"id\":";
  out += std::to_string(position);
  out += ",\"type\":\"";
  out += type;  // event types are [a-z_.] by the schema: nothing to escape
  out += "\",\"data\":";
  out += data_json.empty() ? std::string_view("{}") : data_json;
  out += '}';
  return out;
}

std::string Event::frame() const { return event_frame(position, type, data ? std::string_view(*data) : std::string_view()); }

EventBus::Subscription::Subscription(Subscription&& other) noexcept : bus_(other.bus_), id_(other.id_) {
  other.bus_ = nullptr;
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    bus_ = other.bus_;
    id_ = other.id_;
    other.bus_ = nullptr;
  }
  return *this;
}

EventBus::Subscription::~Subscription() { reset(); }

void EventBus::Subscription::reset() {
  if (bus_ != nullptr) bus_->unsubscribe(id_);
  bus_ = nullptr;
}

EventBus::Subscription EventBus::subscribe(Handler handler) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  handlers_.emplace(id, std::make_shared<Handler>(std::move(handler)));
  return Subscription(this, id);
}

namespace {
// Whether this thread is inside publish(): a handler unsubscribing (itself or another) must not
// wait for the delivery it is part of.
thread_local int publishing_depth = 0;
}  // namespace

void EventBus::unsubscribe(std::uint64_t id) {
  {
    std::lock_guard lock(mutex_);
    handlers_.erase(id);
  }
  if (publishing_depth == 0) std::unique_lock wait_for_deliveries(delivering_);
}

void EventBus::publish(std::span<const Event> events) const {
  if (events.empty()) return;
  // Before the snapshot: an unsubscribe() that removed a handler after this snapshot took it
  // waits until this delivery is over.
  std::shared_lock delivering(delivering_);
  // A snapshot, so handlers run without the lock (they may subscribe or unsubscribe).
  std::vector<std::shared_ptr<Handler>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot.reserve(handlers_.size());
    for (const auto& [id, handler] : handlers_) snapshot.push_back(handler);
  }
  ++publishing_depth;
  struct Leave {
    ~Leave() { --publishing_depth; }
  } leave;
  for (const auto& handler : snapshot) {
    try {
      (*handler)(events);
    } catch (const std::exception& e) {
      logger_.error("event subscriber failed on {} ({} events): {}", events.front().type, events.size(), e.what());
    }
  }
}

}  // namespace parley::events
