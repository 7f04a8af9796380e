#include "realtime/socket.hpp"

#include <algorithm>

#include "realtime/client_frame.hpp"
#include "realtime/realtime.hpp"

namespace parley::realtime {

using Clock = std::chrono::steady_clock;

namespace {

const Frame& pong_frame() {
  static const Frame pong = std::make_shared<const std::string>(R"({"type":"pong"})");
  return pong;
}

Frame ready_frame(std::int64_t position) {
  return std::make_shared<const std::string>(R"({"type":"ready","data":{"last_event_id":)" +
                                             std::to_string(position) + "}}");
}

}  // namespace

RealtimeSocket::RealtimeSocket(Realtime& realtime, std::int64_t user_id, std::optional<std::int64_t> last_event_id)
    : realtime_(realtime),
      user_id_(user_id),
      last_event_id_(last_event_id),
      typing_(realtime.settings().typing_burst, realtime.settings().typing_interval) {}

boost::asio::awaitable<void> RealtimeSocket::on_open(http::WsConnection& connection) {
  {
    std::lock_guard lock(mutex_);
    connection_ = &connection;
  }
  co_await realtime_.hub().attach(user_id_, this);
  attached_ = true;
  ++realtime_.counters().open_sockets;
  realtime_.presence().socket_opened(user_id_, this, Clock::now());
  auto& stream = realtime_.stream();
  std::int64_t position = 0;
  if (!last_event_id_) {
    position = co_await stream.head();
  } else {
    position = *last_event_id_;
    const int page_size = realtime_.settings().replay_page;
    for (bool first = true;; first = false) {
      // Two statements, not a conditional with a co_await in each branch (GCC 12 miscompiles it).
      events::StreamPage page;
      if (first) {
        page = co_await stream.resume(user_id_, position, page_size);
      } else {
        page = co_await stream.after(user_id_, position, page_size);
      }
      if (page.resync_required) {
        std::lock_guard lock(mutex_);
        send(std::make_shared<const std::string>(events::event_frame(page.last_event_id, "resync_required", "{}")));
        position = page.last_event_id;
        break;
      }
      for (const auto& event : page.events) {
        co_await connection.wait_for_room();  // the replay never overflows the socket's queue
        auto frame = std::make_shared<const std::string>(events::event_frame(event.position, event.type, event.payload));
        std::lock_guard lock(mutex_);
        if (closed_) co_return;
        sent_up_to_ = event.position;
        send(frame);
        ++realtime_.counters().deliveries;
      }
      position = page.last_event_id;
      if (static_cast<int>(page.events.size()) < page_size) break;
    }
  }
  co_await go_live(connection, position);
}

boost::asio::awaitable<void> RealtimeSocket::go_live(http::WsConnection& connection, std::int64_t replayed_to) {
  {
    std::lock_guard lock(mutex_);
    sent_up_to_ = std::max(sent_up_to_, replayed_to);
  }
  // Events keep arriving (held) while this waits for room; live_ turns true only once none is left.
  for (;;) {
    co_await connection.wait_for_room();
    std::lock_guard lock(mutex_);
    if (closed_) co_return;
    if (next_held_ == held_.size()) {
      live_ = true;
      std::vector<std::pair<std::int64_t, Frame>>().swap(held_);
      send(ready_frame(sent_up_to_));
      co_return;
    }
    auto [position, frame] = std::move(held_[next_held_++]);
    if (position <= sent_up_to_) continue;  // the replay had it
    sent_up_to_ = position;
    send(frame);
    ++realtime_.counters().deliveries;
  }
}

void RealtimeSocket::deliver(std::int64_t position, const Frame& frame) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  if (!live_) {
    if (held_.size() - next_held_ >= realtime_.settings().held_limit) {
      closed_ = true;
      ++realtime_.counters().slow_consumers;
      connection_->close(http::kCloseSlowConsumer, "too many events while replaying; resume");
      return;
    }
    held_.emplace_back(position, frame);
    return;
  }
  if (position <= sent_up_to_) return;
  sent_up_to_ = position;
  send(frame);
  ++realtime_.counters().deliveries;
}

void RealtimeSocket::deliver_ephemeral(const Frame& frame) {
  std::lock_guard lock(mutex_);
  if (live_ && !closed_) send(frame);  // while replaying, a typing hint would only be stale
}

void RealtimeSocket::lost() {
  std::lock_guard lock(mutex_);
  if (closed_ || connection_ == nullptr) return;
  closed_ = true;
  connection_->close(1013, "real-time delivery unavailable; reconnect");
}

void RealtimeSocket::send(const Frame& frame) {
  if (!connection_->send(frame)) {  // the queue overflowed: the connection closes with 4008
    closed_ = true;
    ++realtime_.counters().slow_consumers;
    return;
  }
  ++realtime_.counters().frames_out;
}

boost::asio::awaitable<void> RealtimeSocket::on_message(http::WsConnection& connection, std::string_view message,
                                                        bool binary) {
  const auto now = Clock::now();
  ++realtime_.counters().frames_in;
  auto frame = parse_client_frame(message, binary);
  if (auto* refused = std::get_if<RefusedFrame>(&frame)) {
    ++realtime_.counters().refused_frames;
    connection.close(refused->close_code, std::move(refused->reason));
    co_return;
  }
  std::optional<PresenceStatus> status;
  if (auto* presence = std::get_if<PresenceFrame>(&frame)) status = presence->status;
  realtime_.presence().heartbeat(user_id_, this, status, now);  // every frame is a heartbeat
  if (std::holds_alternative<PingFrame>(frame)) {
    std::lock_guard lock(mutex_);
    if (!closed_) send(pong_frame());
  } else if (auto* typing = std::get_if<TypingFrame>(&frame)) {
    if (!typing_.allow(now) || !realtime_.typing(user_id_, typing->conversation_id)) {
      ++realtime_.counters().typing_dropped;
    }
  }
  co_return;
}

void RealtimeSocket::on_close(std::uint16_t) {
  if (attached_) {
    realtime_.hub().detach(user_id_, this);  // no deliver() after this returns
    realtime_.presence().socket_closed(user_id_, this);
    attached_ = false;
    --realtime_.counters().open_sockets;
  }
  std::lock_guard lock(mutex_);
  closed_ = true;
  connection_ = nullptr;
}

}  // namespace parley::realtime
