#include "messaging/access.hpp"

#include "core/error.hpp"

namespace parley::messaging {

std::string_view ConversationAccess::effective_role(const http::Principal& by) const noexcept {
  if (!member) return {};
  if (member->role == "member" && by.is_admin()) return "admin";
  return member->role;
}

bool ConversationAccess::can_manage(const http::Principal& by) const noexcept {
  auto role = effective_role(by);
  return role == "owner" || role == "admin";
}

boost::asio::awaitable<ConversationAccess> load_access(MessagingContext& ctx, db::Executor& db,
                                                       std::int64_t conversation_id, const http::Principal& by) {
  co_return access_from(co_await ctx.conversations.find_with_member(db, conversation_id, by.user_id));
}

ConversationAccess access_from(std::optional<db::repositories::ConversationWithMember> found) {
  if (!found) throw AppError::not_found();
  ConversationAccess access{std::move(found->conversation), std::nullopt, false};
  if (found->member && found->member->banned()) {
    access.banned = true;
  } else if (found->member) {
    access.member = std::move(found->member);
  }
  return access;
}

void require_member(const ConversationAccess& access) {
  if (!access.member) throw AppError::not_found();
}

void require_visible(const ConversationAccess& access, const http::Principal& by) {
  if (access.member) return;
  const bool public_channel = access.conversation.kind == "channel" && access.conversation.visibility == "public";
  if (!public_channel || access.banned || by.role == "guest") throw AppError::not_found();
}

boost::asio::awaitable<void> tell_members(db::Executor& tx, events::PendingEvents& events, std::int64_t conversation_id,
                                          std::string_view type, const boost::json::object& data) {
  co_await events.record(tx, type, data, {.conversation_id = conversation_id, .user_id = std::nullopt});
}

boost::asio::awaitable<void> tell_members(db::Executor& tx, events::PendingEvents& events, std::int64_t conversation_id,
                                          std::string_view type, std::string_view data_json) {
  co_await events.record(tx, type, data_json, {.conversation_id = conversation_id, .user_id = std::nullopt});
}

void require_not_archived(const ConversationAccess& access) {
  if (access.conversation.archived_at) {
    throw AppError::conflict("This conversation is archived and read-only.", "conversation_archived");
  }
}

void require_manager(const ConversationAccess& access, const http::Principal& by) {
  if (!access.can_manage(by)) throw AppError::forbidden("Only an owner or admin of this conversation may do this.");
}

}  // namespace parley::messaging
