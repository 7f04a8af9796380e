#include "realtime/client_frame.hpp"

#include <boost/json/parse.hpp>

namespace parley::realtime {
namespace {

constexpr std::int64_t kMaxId = (std::int64_t{1} << 53) - 1;  // what every JSON client can represent

RefusedFrame shape(std::string reason) { return RefusedFrame{1008, std::move(reason)}; }

// Only the fields a frame of its type allows: a typo is reported, not ignored.
bool only_fields(const boost::json::object& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& field : object) {
    bool known = false;
    for (auto name : allowed) known = known || field.key() == name;
    if (!known) return false;
  }
  return true;
}

}  // namespace

ClientFrame parse_client_frame(std::string_view message, bool binary) {
  if (binary) return RefusedFrame{1003, "binary frames are not accepted; send JSON text"};
  boost::system::error_code ec;
  auto value = boost::json::parse(message, ec);
  if (ec || !value.is_object()) return RefusedFrame{1007, "a frame must be a JSON object"};
  const auto& object = value.as_object();
  const auto* type = object.if_contains("type");
  if (type == nullptr || !type->is_string()) return shape("\"type\" must be a string");
  const std::string_view kind = type->as_string();
  if (kind == "ping") {
    if (!only_fields(object, {"type"})) return shape("ping takes no other fields");
    return PingFrame{};
  }
  if (kind == "typing") {
    if (!only_fields(object, {"type", "conversation_id"})) return shape("typing takes only \"conversation_id\"");
    const auto* id = object.if_contains("conversation_id");
    if (id == nullptr || !id->is_int64() || id->as_int64() < 1 || id->as_int64() > kMaxId) {
      return shape("\"conversation_id\" must be a positive integer");
    }
    return TypingFrame{id->as_int64()};
  }
  if (kind == "presence") {
    if (!only_fields(object, {"type", "status"})) return shape("presence takes only \"status\"");
    const auto* status = object.if_contains("status");
    if (status != nullptr && status->is_string()) {
      if (status->as_string() == "active") return PresenceFrame{PresenceStatus::active};
      if (status->as_string() == "idle") return PresenceFrame{PresenceStatus::idle};
    }
    return shape("\"status\" must be \"active\" or \"idle\"");
  }
  return shape("unknown frame type; expected typing, presence or ping");
}

std::string_view presence_name(PresenceStatus status) noexcept {
  switch (status) {
    case PresenceStatus::active:
      return "active";
    case PresenceStatus::idle:
      return "idle";
    case PresenceStatus::offline:
      break;
  }
  return "offline";
}

}  // namespace parley::realtime
