#pragma once
// The frames a client may send on the real-time socket (docs/api.md "Real-time events"):
//   {"type": "typing", "conversation_id": N}
//   {"type": "presence", "status": "active" | "idle"}
//   {"type": "ping"}
// Anything else is refused with the WebSocket close code and reason to use: 1003 for binary
// frames, 1007 for text that is not a JSON object, 1008 for a JSON object of the wrong shape.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::realtime {

struct TypingFrame {
  std::int64_t conversation_id = 0;
};
enum class PresenceStatus { offline, idle, active };  // ordered: a user's status is their sockets' best
struct PresenceFrame {
  PresenceStatus status = PresenceStatus::active;
};
struct PingFrame {};
struct RefusedFrame {
  std::uint16_t close_code = 1008;
  std::string reason;  // short (a close reason is at most 123 bytes)
};

using ClientFrame = std::variant<TypingFrame, PresenceFrame, PingFrame, RefusedFrame>;

ClientFrame parse_client_frame(std::string_view message, bool binary);

std::string_view presence_name(PresenceStatus status) noexcept;

}  // namespace parley::realtime
