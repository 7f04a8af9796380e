#pragma once
// The in-process event bus: domain events, numbered in the event log after their transaction
// committed, are handed to every subscriber (the real-time hub, webhooks, tests) in position
// order. An event is published once, for its whole audience; subscribers decide who receives it.
//
// publish() calls each subscriber synchronously on the publishing thread, so a handler must be
// quick and must not block: copy what it needs and post the work to its own executor. Handlers
// may run concurrently on several I/O threads. Subscribing and unsubscribing are thread-safe,
// also from inside a handler. Once unsubscribing returns, the handler is not running and never
// runs again (it waits for a delivery in progress on another thread), so what the handler uses
// may be destroyed right after.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace parley::events {

// One numbered event and its audience (db/repositories/event_log_repository.hpp).
struct Event {
  std::int64_t position = 0;                    // the event id clients see; increasing
  std::optional<std::int64_t> conversation_id;  // the conversation's members receive it
  std::optional<std::int64_t> user_id;          // and/or this user
  std::string type;                             // message.created, reaction.added, ...
  std::shared_ptr<const std::string> data;      // the JSON of "data", shared by every recipient
  std::int64_t created_us = 0;                  // written at, µs since the Unix epoch (0: unknown)

  // docs/api.md's server frame {"id": position, "type": type, "data": data} as JSON text.
  std::string frame() const;
};

// The same frame from its parts (`data_json` is JSON text; empty means {}), for events read back
// from the log.
std::string event_frame(std::int64_t position, std::string_view type, std::string_view data_json);

class EventBus {
 public:
  using Handler = std::function<void(std::span<const Event>)>;

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
  // Delivers `events` (a batch, in position order) to every subscriber. A handler that throws
  // is logged and does not stop delivery to the others.
  void publish(std::span<const Event> events) const;

 private:
  void unsubscribe(std::uint64_t id);

  spdlog::logger& logger_;
  // Held shared by publish() while handlers run, exclusively by unsubscribe() to wait them out.
  mutable std::shared_mutex delivering_;
  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Handler>> handlers_;
};

}  // namespace parley::events
