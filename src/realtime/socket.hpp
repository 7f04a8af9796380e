#pragma once
// One real-time WebSocket (GET /api/v1/realtime): attaches to the hub, replays the user's stream
// after the client's last_event_id, then streams live; handles the client's typing, presence and
// ping frames (docs/realtime.md).
//
// No gap, no duplicate: the socket attaches to the hub BEFORE it reads the log, so every event
// published from then on reaches it; while it replays, live events are held. The replay ends at
// the stream's head, read before the last page; going live sends the held events above that
// position and drops the others (the replay had them). From then on a live event is sent only when
// its position is above the last one sent.
#include <cstdint>
#include <vector>
#include <mutex>
#include <optional>

#include "http/websocket.hpp"
#include "realtime/hub.hpp"
#include "realtime/typing_limiter.hpp"

namespace parley::realtime {

class Realtime;

class RealtimeSocket final : public http::WsEndpoint, public Listener {
 public:
  RealtimeSocket(Realtime& realtime, std::int64_t user_id, std::optional<std::int64_t> last_event_id);

  boost::asio::awaitable<void> on_open(http::WsConnection& connection) override;
  boost::asio::awaitable<void> on_message(http::WsConnection& connection, std::string_view message,
                                          bool binary) override;
  void on_close(std::uint16_t code) override;

  void deliver(std::int64_t position, const Frame& frame) override;
  void deliver_ephemeral(const Frame& frame) override;
  void lost() override;

 private:
  // Sends the held events above `replayed_to` (with room in the queue for each), then the ready
  // frame; live from then on.
  boost::asio::awaitable<void> go_live(http::WsConnection& connection, std::int64_t replayed_to);
  void send(const Frame& frame);  // under mutex_

  Realtime& realtime_;
  const std::int64_t user_id_;
  const std::optional<std::int64_t> last_event_id_;
  TypingLimiter typing_;
  bool attached_ = false;  // touched on the socket's executor only

  std::mutex mutex_;  // guards everything below (deliver() runs on the event stream's thread)
  http::WsConnection* connection_ = nullptr;
  bool live_ = false;
  bool closed_ = false;
  std::int64_t sent_up_to_ = 0;  // the position of the last event sent
  // Events held while replaying, sent from held_[next_held_] on when going live. A vector: it
  // allocates only when something is held (an empty std::deque holds a 512-byte block).
  std::vector<std::pair<std::int64_t, Frame>> held_;
  std::size_t next_held_ = 0;
};

}  // namespace parley::realtime
