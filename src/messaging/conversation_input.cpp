#include "messaging/conversation_input.hpp"

#include "core/validation.hpp"
#include "messaging/incoming_webhooks.hpp"
#include "messaging/input_rules.hpp"

namespace parley::messaging {
namespace {

// `name` of a group or channel: 1 to 80 characters on one line, trimmed.
Field<std::string> read_name(ObjectReader& in, bool nullable) {
  return in.string("name", {.nullable = nullable,
                            .trim = true,
                            .min_length = 1,
                            .max_length = kMaxConversationName,
                            .single_line = true});
}

Field<std::string> read_topic(ObjectReader& in) {
  return in.string("topic", {.trim = true, .allow_blank = true, .max_length = kMaxTopic, .single_line = true});
}

}  // namespace

NewConversationInput read_new_conversation(const boost::json::value& body) {
  ObjectReader in(body);
  NewConversationInput input;
  auto kind = in.enumeration("kind", {"direct", "group", "channel"}, {.required = true});
  auto name = read_name(in, true);
  auto topic = read_topic(in);
  auto visibility = in.enumeration("visibility", {"public", "private"});
  auto members =
      in.integer_list("member_ids", {.max_items = kMaxMembersPerRequest, .min = 1, .max = kMaxSafeInteger});
  in.finish();
  input.kind = *kind;
  if (name) input.name = *name;
  if (topic) input.topic = *topic;
  if (visibility) input.visibility = *visibility;
  if (members) input.member_ids = *members;
  return input;
}

db::repositories::ConversationUpdate read_conversation_update(const boost::json::value& body) {
  ObjectReader in(body);
  auto name = read_name(in, false);
  auto topic = read_topic(in);
  in.finish();
  db::repositories::ConversationUpdate update;
  if (name) update.name = *name;
  if (topic) update.topic = *topic;
  return update;
}

MembersToAdd read_members_to_add(const boost::json::value& body) {
  ObjectReader in(body);
  auto ids = in.integer_list(
      "user_ids", {.required = true, .min_items = 1, .max_items = kMaxMembersPerRequest, .min = 1, .max = kMaxSafeInteger});
  auto role = in.enumeration("role", {"member", "admin"});
  in.finish();
  MembersToAdd out;
  out.user_ids = std::move(*ids);
  if (role) out.role = *role;
  return out;
}

std::string read_member_role(const boost::json::value& body) {
  ObjectReader in(body);
  auto role = in.enumeration("role", {"owner", "admin", "member"}, {.required = true});
  in.finish();
  return *role;
}

std::string read_incoming_webhook_name(const boost::json::value& body) {
  ObjectReader in(body);
  auto name = in.string("name", {.required = true,
                                 .trim = true,
                                 .max_length = IncomingWebhooks::kMaxNameLength,
                                 .single_line = true});
  in.finish();
  return *name;
}

}  // namespace parley::messaging
