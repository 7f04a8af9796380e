#pragma once
// The bus between the `parley serve` replicas of one deployment (docs/realtime.md "Across
// instances"). Stored events do not travel on it: every process tails the event log itself
// (events/event_stream.hpp), so the bus only carries
//   - "log" wake-ups: the log grew to position P, tail it now rather than at the next sweep;
//   - typing: ephemeral, never stored;
//   - presence announcements.
// Losing a wake-up delays delivery by at most one sweep interval; losing typing or presence costs
// one indicator until the next announcement. Nothing a client must not miss depends on the bus.
//
// Backends: Redis pub/sub (PARLEY_REDIS_URL set), PostgreSQL LISTEN/NOTIFY (PostgreSQL without
// Redis), or none (one process: SQLite, or a single instance).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "realtime/presence.hpp"

namespace parley::realtime {

struct FanoutMessage {
  enum class Kind { log, typing, presence };
  Kind kind = Kind::log;
  std::uint64_t from = 0;             // the sending instance (receivers skip their own)
  std::int64_t position = 0;          // log
  std::int64_t conversation_id = 0;   // typing
  std::int64_t user_id = 0;           // typing
  std::vector<UserStatus> statuses;   // presence
};

// Compact JSON; every message fits PostgreSQL's 8,000-byte NOTIFY limit when a presence message
// carries at most kMaxStatusesPerMessage statuses.
inline constexpr std::size_t kMaxStatusesPerMessage = 200;
std::string encode(const FanoutMessage& message);
// std::nullopt for anything malformed (a message from a newer or broken instance is skipped).
std::optional<FanoutMessage> decode(std::string_view text);

class Fanout {
 public:
  using Receiver = std::function<void(std::string_view text)>;
  virtual ~Fanout() = default;
  virtual std::string_view name() const noexcept = 0;
  // Starts delivering other instances' messages to `receiver` (on the backend's thread; it must
  // not block) and returns once subscribed. `on_gap` is called when messages may have been lost
  // (the backend's connection dropped and came back).
  virtual boost::asio::awaitable<void> start(Receiver receiver, std::function<void()> on_gap) = 0;
  // Sends to every instance, this one included (receivers skip their own). Never blocks and never
  // throws: failures are logged.
  virtual void publish(std::string text) = 0;
};

// One process: nothing to carry.
class LocalFanout final : public Fanout {
 public:
  std::string_view name() const noexcept override { return "in-process"; }
  boost::asio::awaitable<void> start(Receiver, std::function<void()>) override { co_return; }
  void publish(std::string) override {}
};

}  // namespace parley::realtime
