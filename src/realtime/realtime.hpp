#pragma once
// Real-time delivery (docs/realtime.md): the WebSocket endpoint, the long poll, connect tickets,
// typing and presence, on top of the event stream (events/event_stream.hpp) and the bus between
// replicas (realtime/fanout.hpp). One per process, built by the composition root.
//
// Thread-safety: every member is thread-safe.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>

#include "core/sharded_counter.hpp"
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "db/database.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/realtime_ticket_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "events/event_stream.hpp"
#include "http/websocket.hpp"
#include "realtime/fanout.hpp"
#include "realtime/hub.hpp"
#include "realtime/presence.hpp"

namespace spdlog {
class logger;
}

namespace parley::realtime {

struct RealtimeSettings {
  std::chrono::seconds ticket_lifetime{30};
  // A socket silent for longer counts as offline; instances re-announce their users every third.
  std::chrono::milliseconds presence_ttl{60000};
  // How often presence is swept: also the window in which presence changes are coalesced.
  std::chrono::milliseconds presence_sweep{1000};
  int typing_burst = 5;                          // typing frames per socket at once,
  std::chrono::milliseconds typing_interval{2000};  // then one per interval
  std::chrono::seconds long_poll_max{60};        // the largest ?timeout= honoured
  int replay_page = 500;                         // events read per statement while replaying
  std::size_t held_limit = 10000;                // live events held per socket during its replay
};

class Realtime {
 public:
  Realtime(db::Database& db, events::EventStream& stream, events::EventBus& bus, std::unique_ptr<Fanout> fanout,
           boost::asio::any_io_executor executor, spdlog::logger& logger, RealtimeSettings settings = {});
  ~Realtime();
  Realtime(const Realtime&) = delete;
  Realtime& operator=(const Realtime&) = delete;

  // Subscribes to the bus between replicas and starts the presence loop. Call once, before serving.
  boost::asio::awaitable<void> start();
  // Stops the presence loop and publishing on the bus (call before the database closes: a
  // PostgreSQL bus publishes through it).
  void stop();

  // The endpoint of one authenticated WebSocket: replays after `last_event_id` (when given), then
  // streams live.
  std::shared_ptr<http::WsEndpoint> open_socket(std::int64_t user_id, std::optional<std::int64_t> last_event_id);
  // GET /api/v1/events: the JSON body {"events": [...], "last_event_id": N}.
  boost::asio::awaitable<std::string> poll(std::int64_t user_id, std::optional<std::int64_t> last_event_id,
                                           std::chrono::milliseconds timeout);
  // A single-use connect ticket for `user_id`, valid for settings().ticket_lifetime.
  boost::asio::awaitable<std::string> issue_ticket(std::int64_t user_id);
  // The ticket's user, once: std::nullopt when unknown, spent, expired or its user deactivated.
  boost::asio::awaitable<std::optional<std::int64_t>> redeem_ticket(std::string_view ticket);

  // A typing frame from `user_id`'s socket (already rate-limited): to the conversation's other
  // members on every instance. False when the user is not a member (the frame is dropped).
  bool typing(std::int64_t user_id, std::int64_t conversation_id);

  Hub& hub() noexcept { return hub_; }
  const Hub& hub() const noexcept { return hub_; }
  PresenceTracker& presence() noexcept { return presence_; }
  events::EventStream& stream() noexcept { return stream_; }
  const RealtimeSettings& settings() const noexcept { return settings_; }
  std::string_view fanout_name() const noexcept { return fanout_->name(); }

  struct Counters {
    std::atomic<std::uint64_t> typing_dropped{0};   // over the limit or not a member
    std::atomic<std::uint64_t> slow_consumers{0};   // sockets closed with 4008
    std::atomic<std::uint64_t> refused_frames{0};   // sockets closed for a malformed frame
    std::atomic<std::int64_t> open_sockets{0};      // WebSockets attached to the hub now
    // Hot paths (every frame, every event to every socket) count without sharing a cache line.
    core::ShardedCounter frames_in;   // client frames received
    core::ShardedCounter frames_out;  // frames queued to sockets (events, pongs, ready, typing)
    core::ShardedCounter deliveries;  // events (with an id) queued to sockets, live or replayed
  };
  Counters& counters() noexcept { return counters_; }
  const Counters& counters() const noexcept { return counters_; }

 private:
  void received(std::string_view text);
  boost::asio::awaitable<void> presence_loop();
  boost::asio::awaitable<void> tell_presence(const std::vector<UserStatus>& changes);
  // users.last_seen_at = now for the users who became active here, stopped being active here, or
  // (when `all_active`) are active here: what tells `parley worker` who is away
  // (docs/notifications.md). On the strand.
  boost::asio::awaitable<void> mark_seen(const std::vector<UserStatus>& local_changes, bool all_active);
  void announce(const std::vector<UserStatus>& statuses);

  db::Database& db_;
  events::EventStream& stream_;
  std::unique_ptr<Fanout> fanout_;
  spdlog::logger& logger_;
  RealtimeSettings settings_;
  std::uint64_t instance_;  // random: tells this process's bus messages from the others'
  db::repositories::MemberRepository members_;
  db::repositories::RealtimeTicketRepository tickets_;
  db::repositories::UserRepository users_;
  std::unordered_set<std::int64_t> active_here_;  // users with an active socket here (strand only)
  PresenceTracker presence_;
  Counters counters_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer presence_timer_;
  std::atomic<bool> stopped_{false};
  Hub hub_;  // last: it stops routing (unsubscribes) before anything above goes
};

}  // namespace parley::realtime
