#include "realtime/fanout.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::realtime {
namespace {

std::optional<PresenceStatus> status_from(std::string_view name) {
  if (name == "active") return PresenceStatus::active;
  if (name == "idle") return PresenceStatus::idle;
  if (name == "offline") return PresenceStatus::offline;
  return std::nullopt;
}

std::optional<std::int64_t> int_field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->as_int64();
}

}  // namespace

std::string encode(const FanoutMessage& message) {
  boost::json::object out;
  // The instance id as text: JSON numbers above 2^53 are not safe everywhere.
  out["from"] = std::to_string(message.from);
  switch (message.kind) {
    case FanoutMessage::Kind::log:
      out["kind"] = "log";
      out["position"] = message.position;
      break;
    case FanoutMessage::Kind::typing:
      out["kind"] = "typing";
      out["conversation_id"] = message.conversation_id;
      out["user_id"] = message.user_id;
      break;
    case FanoutMessage::Kind::presence: {
      out["kind"] = "presence";
      boost::json::array statuses;
      for (const auto& [user_id, status] : message.statuses) {
        statuses.push_back(boost::json::array{user_id, presence_name(status)});
      }
      out["statuses"] = std::move(statuses);
      break;
    }
  }
  return boost::json::serialize(out);
}

std::optional<FanoutMessage> decode(std::string_view text) {
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& object = value.as_object();
  const auto* from = object.if_contains("from");
  const auto* kind = object.if_contains("kind");
  if (from == nullptr || !from->is_string() || kind == nullptr || !kind->is_string()) return std::nullopt;
  FanoutMessage message;
  try {
    message.from = std::stoull(std::string(from->as_string()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string_view name = kind->as_string();
  if (name == "log") {
    auto position = int_field(object, "position");
    if (!position) return std::nullopt;
    message.kind = FanoutMessage::Kind::log;
    message.position = *position;
  } else if (name == "typing") {
    auto conversation_id = int_field(object, "conversation_id");
    auto user_id = int_field(object, "user_id");
    if (!conversation_id || !user_id) return std::nullopt;
    message.kind = FanoutMessage::Kind::typing;
    message.conversation_id = *conversation_id;
    message.user_id = *user_id;
  } else if (name == "presence") {
    const auto* statuses = object.if_contains("statuses");
    if (statuses == nullptr || !statuses->is_array()) return std::nullopt;
    message.kind = FanoutMessage::Kind::presence;
    for (const auto& entry : statuses->as_array()) {
      if (!entry.is_array() || entry.as_array().size() != 2) return std::nullopt;
      const auto& pair = entry.as_array();
      if (!pair[0].is_int64() || !pair[1].is_string()) return std::nullopt;
      auto status = status_from(pair[1].as_string());
      if (!status) return std::nullopt;
      message.statuses.emplace_back(pair[0].as_int64(), *status);
    }
  } else {
    return std::nullopt;
  }
  return message;
}

}  // namespace parley::realtime
