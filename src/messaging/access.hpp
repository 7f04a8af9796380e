#pragma once
// Object-level permission rules of conversations, in one place. A conversation the caller may not
// see is reported as 404 (never 403), so ids reveal nothing.
//
// Who sees what:
//  - members (not banned) see their conversation, its members and its messages;
//  - anyone but a guest also sees the details of a public channel they are not banned from (to
//    decide whether to join); its messages need membership;
//  - a banned member sees nothing of the conversation.
// Who manages what (conversation roles owner > admin > member):
//  - rename, topic, archive: the conversation's owner or admin;
//  - add members: any member of a group or public channel, an owner or admin of a private channel;
//    nobody in a direct conversation;
//  - change roles, remove and ban: owner or admin; only an owner touches another owner or grants
//    ownership;
//  - send, react, mark read: members of a conversation that is not archived (reading stays open).
// Site admins and owners moderate: they may delete any message they can address and act as an
// admin of every conversation they are a member of.
#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string_view>

#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/member_repository.hpp"
#include "events/pending_events.hpp"
#include "http/request.hpp"
#include "messaging/context.hpp"

namespace parley::messaging {

struct ConversationAccess {
  db::repositories::Conversation conversation;
  std::optional<db::repositories::Member> member;  // set when the caller is a member, not banned
  bool banned = false;

  // The caller's conversation role, raised to "admin" for site admins who are members; "" for
  // non-members.
  std::string_view effective_role(const http::Principal& by) const noexcept;
  bool can_manage(const http::Principal& by) const noexcept;  // owner or admin
};

// Loads the conversation and the caller's membership. 404 when it does not exist.
boost::asio::awaitable<ConversationAccess> load_access(MessagingContext& ctx, db::Executor& db,
                                                       std::int64_t conversation_id, const http::Principal& by);
// The same from a row the caller loaded itself (ConversationRepository::read_with_member in a batch).
ConversationAccess access_from(std::optional<db::repositories::ConversationWithMember> found);
// 404 unless the caller is a member (not banned).
void require_member(const ConversationAccess& access);
// 404 unless the caller may see the conversation's details (members; non-guests for public
// channels they are not banned from).
void require_visible(const ConversationAccess& access, const http::Principal& by);
// Records event `type` with `data` for the members (not banned) of the conversation: one row,
// whatever their number.
boost::asio::awaitable<void> tell_members(db::Executor& tx, events::PendingEvents& events, std::int64_t conversation_id,
                                          std::string_view type, const boost::json::object& data);
boost::asio::awaitable<void> tell_members(db::Executor& tx, events::PendingEvents& events, std::int64_t conversation_id,
                                          std::string_view type, std::string_view data_json);
// 409 when the conversation is archived (it is read-only).
void require_not_archived(const ConversationAccess& access);
// 403 unless the caller is an owner or admin of the conversation.
void require_manager(const ConversationAccess& access, const http::Principal& by);

}  // namespace parley::messaging
