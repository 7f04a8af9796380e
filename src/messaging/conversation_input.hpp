#pragma once
// The inputs of the conversation and member writes, read from JSON with every rule of their
// fields: a REST body as sent, or a GraphQL input with its keys in snake_case. Each reader throws
// one AppError::validation (400) listing every field error (unknown fields included), so both APIs
// apply the same rules, written once here. The actions (conversations.hpp) check what depends on
// the data (permissions, existence, kinds).
#include "db/repositories/conversation_repository.hpp"
#include "messaging/conversations.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace parley::messaging {

// {kind (required: direct | group | channel), name, topic, visibility (public | private), member_ids}
NewConversationInput read_new_conversation(const boost::json::value& body);
// {name, topic}: a rename or a new topic.
db::repositories::ConversationUpdate read_conversation_update(const boost::json::value& body);

struct MembersToAdd {
  std::vector<std::int64_t> user_ids;  // 1 to kMaxMembersPerRequest ids
  std::string role = "member";         // member | admin
};
// {user_ids (required), role}
MembersToAdd read_members_to_add(const boost::json::value& body);
// {role (required: owner | admin | member)}
std::string read_member_role(const boost::json::value& body);
// {name (required)}: an incoming webhook's name (and its bot's display name).
std::string read_incoming_webhook_name(const boost::json::value& body);

}  // namespace parley::messaging
