#pragma once
// The in-process event bus: domain events, already appended to each recipient's event log by a
// committed transaction, are handed to every subscriber (the real-time hub, webhooks, tests).
//
// publish() calls each subscriber synchronously on the publishing thread, so a handler must be
// quick and must not block: copy what it needs and post the work to its own executor. Handlers
// may run concurrently on several I/O threads. Subscribing and unsubscribing are thread-safe,
// also from inside a handler.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

namespace spdlog {
class logger;
}

namespace parley::events {

// One event as one recipient sees it: API.md's server frame {"id", "type", "data"}.
struct UserEvent {
  std::int64_t user_id = 0;
  std::int64_t event_id = 0;                // per user, gapless, increasing
  std::string type;                         // message.created, reaction.added, ...
  std::shared_ptr<const std::string> data;  // the JSON of "data", shared by every recipient

  // {"id": event_id, "type": type, "data": data} as JSON text.
  std::string frame() const;
};

class EventBus {
 public:
  using Handler = std::function<void(std::span<const UserEvent>)>;

  // Unsubscribes when destroyed. Must not outlive the bus.
  class Subscription {
   public:
    Subscription() = default;
    Subscription(EventBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription();
    void reset();

   private:
    EventBus* bus_ = nullptr;
    std::uint64_t id_ = 0;
  };

  explicit EventBus(spdlog::logger& logger) : logger_(logger) {}

  [[nodiscard]] Subscription subscribe(Handler handler);
  // Delivers `events` (one committed transaction's) to every subscriber. A handler that throws
  // is logged and does not stop delivery to the others.
  void publish(std::span<const UserEvent> events) const;

 private:
  void unsubscribe(std::uint64_t id);

  spdlog::logger& logger_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Handler>> handlers_;
};

}  // namespace parley::events
