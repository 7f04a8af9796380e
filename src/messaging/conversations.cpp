#include "messaging/conversations.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "events/pending_events.hpp"
#include "messaging/cache_keys.hpp"
#include "messaging/access.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/views.hpp"

namespace parley::messaging {
namespace {

using boost::asio::awaitable;
using db::repositories::ConversationSummary;
using db::repositories::User;
namespace json = boost::json;

AppError field_error(std::string_view field, std::string message) {
  return AppError::validation({{std::string(field), {std::move(message)}}});
}

// The users of `ids` (distinct), each existing and active; 400 on `field` otherwise.
awaitable<std::vector<User>> require_active_users(MessagingContext& ctx, db::Executor& db,
                                                  const std::vector<std::int64_t>& ids, std::string_view field) {
  std::vector<User> users = co_await ctx.users.find_many(db, ids);
  for (auto id : ids) {
    auto it = std::find_if(users.begin(), users.end(), [id](const User& u) { return u.id == id; });
    if (it == users.end() || !it->is_active)
      throw field_error(field, "Unknown or deactivated user " + std::to_string(id) + ".");
  }
  co_return users;
}

std::vector<std::int64_t> distinct(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

json::object member_event(std::int64_t conversation_id, std::int64_t user_id) {
  return json::object{{"conversation_id", conversation_id}, {"user_id", user_id}};
}

// The caller's view of a conversation inside the transaction (it exists: the caller checked).
awaitable<ConversationSummary> summary_of(MessagingContext& ctx, db::Executor& db, std::int64_t id,
                                          std::int64_t viewer) {
  auto summary = co_await ctx.conversations.summary(db, id, viewer);
  if (!summary) throw AppError::not_found();
  co_return std::move(*summary);
}

}  // namespace

awaitable<CreatedConversation> Conversations::create(http::Principal by, NewConversationInput in) {
  const bool direct = in.kind == "direct";
  if (by.role == "guest" && !direct) throw AppError::forbidden("Guests can only start direct conversations.");
  if (in.member_ids.size() > kMaxMembersPerRequest) {
    throw field_error("member_ids", "Add at most " + std::to_string(kMaxMembersPerRequest) + " members at once.");
  }
  std::vector<std::int64_t> others = distinct(in.member_ids);
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  CreatedConversation out;
  std::int64_t conversation_id = 0;
  std::vector<std::int64_t> founders;  // conversation.created's member_ids (the real-time hub routes by them)
  if (direct) {
    if (in.name || !in.topic.empty() || in.visibility) {
      throw AppError::bad_request("Direct conversations have no name, topic or visibility.", "invalid_direct");
    }
    if (others.size() != 1) throw field_error("member_ids", "A direct conversation takes exactly one other user.");
    const std::int64_t other = others.front();
    co_await require_active_users(ctx_, *tx, others, "member_ids");
    if (by.role == "guest" && other != by.user_id) {
      const bool shared = co_await ctx_.members.share_conversation(*tx, by.user_id, other);
      if (!shared) throw field_error("member_ids", "Guests can only message people they share a conversation with.");
    }
    std::optional<std::int64_t> creator = by.user_id;
    auto pair = co_await ctx_.conversations.create_direct(*tx, by.user_id, other, creator);
    conversation_id = pair.conversation.id;
    out.created = pair.created;
    if (pair.created) {
      co_await ctx_.members.add(*tx, conversation_id, by.user_id, "member");
      if (other != by.user_id) co_await ctx_.members.add(*tx, conversation_id, other, "member");
      founders = {by.user_id};
      if (other != by.user_id) founders.push_back(other);
    } else {
      // The pair's conversation exists; the caller must still be in it (a ban is a ban).
      auto mine = co_await ctx_.members.find(*tx, conversation_id, by.user_id);
      if (!mine || mine->banned()) throw AppError::forbidden("You cannot rejoin this direct conversation.");
    }
  } else {
    const bool channel = in.kind == "channel";
    std::string visibility = in.visibility.value_or(channel ? "public" : "private");
    if (!channel && visibility != "private") throw field_error("visibility", "Groups are always private.");
    if (channel && !in.name) throw field_error("name", "A channel needs a name.");
    std::erase(others, by.user_id);
    co_await require_active_users(ctx_, *tx, others, "member_ids");
    db::repositories::NewConversation fresh{
        .kind = in.kind, .name = in.name, .topic = in.topic, .visibility = visibility, .created_by = by.user_id};
    auto conversation = co_await ctx_.conversations.create(*tx, fresh);
    conversation_id = conversation.id;
    out.created = true;
    co_await ctx_.members.add(*tx, conversation_id, by.user_id, "owner");
    for (auto id : others) co_await ctx_.members.add(*tx, conversation_id, id, "member");
    founders = {by.user_id};
    founders.insert(founders.end(), others.begin(), others.end());
  }
  out.conversation = co_await summary_of(ctx_, *tx, conversation_id, by.user_id);
  if (out.created) {
    auto data = conversation_event_json(out.conversation.conversation, out.conversation.member_count);
    data["member_ids"] = boost::json::array(founders.begin(), founders.end());
    co_await tell_members(*tx, events, conversation_id, "conversation.created", data);
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return out;
}

awaitable<ConversationPage> Conversations::list(http::Principal by, std::optional<std::string> kind, std::string q,
                                                std::optional<db::repositories::ConversationCursor> after, int limit) {
  ConversationPage page;
  page.conversations = co_await ctx_.conversations.list_for_user(ctx_.db, by.user_id, kind, after, limit + 1, q);
  page.more = page.conversations.size() > static_cast<std::size_t>(limit);
  if (page.more) page.conversations.pop_back();
  co_return page;
}

awaitable<ConversationSummary> Conversations::get(http::Principal by, std::int64_t id) {
  auto access = co_await load_access(ctx_, ctx_.db, id, by);
  require_visible(access, by);
  co_return co_await summary_of(ctx_, ctx_.db, id, by.user_id);
}

awaitable<ConversationAccess> Conversations::check_visible(http::Principal by, std::int64_t id) {
  auto access = co_await load_access(ctx_, ctx_.db, id, by);
  require_visible(access, by);
  co_return access;
}

awaitable<ConversationSummary> Conversations::update(http::Principal by, std::int64_t id,
                                                     db::repositories::ConversationUpdate update) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::bad_request("Direct conversations have no name or topic.", "invalid_direct");
  }
  require_manager(access, by);
  require_not_archived(access);
  auto changed = co_await ctx_.conversations.update(*tx, id, update);
  if (!changed) throw AppError::not_found();
  auto summary = co_await summary_of(ctx_, *tx, id, by.user_id);
  auto data = conversation_event_json(summary.conversation, summary.member_count);
  co_await tell_members(*tx, events, id, "conversation.updated", data);
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return summary;
}

awaitable<void> Conversations::archive(http::Principal by, std::int64_t id) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::bad_request("Direct conversations cannot be archived.", "invalid_direct");
  }
  require_manager(access, by);
  if (access.conversation.archived_at) co_return;  // idempotent: already archived, nothing to tell
  auto archived = co_await ctx_.conversations.archive(*tx, id);
  if (!archived) throw AppError::not_found();
  auto count = co_await ctx_.members.count(*tx, id);
  auto data = conversation_event_json(*archived, count);
  co_await tell_members(*tx, events, id, "conversation.updated", data);
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
}

awaitable<ChannelPage> Conversations::browse(http::Principal by, std::string q,
                                             std::optional<db::repositories::ChannelCursor> after, int limit) {
  if (by.role == "guest") throw AppError::forbidden("Guests cannot browse channels.");
  ChannelPage page;
  page.channels = co_await ctx_.conversations.browse_public(ctx_.db, by.user_id, q, after, limit + 1);
  page.more = page.channels.size() > static_cast<std::size_t>(limit);
  if (page.more) page.channels.pop_back();
  co_return page;
}

awaitable<ConversationSummary> Conversations::join(http::Principal by, std::int64_t id) {
  // Here, not in a route's permissions, so that REST and GraphQL answer alike (403).
  if (by.role == "guest") throw AppError::forbidden("Guests cannot join channels.");
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  if (!access.member) {
    require_visible(access, by);  // 404 for private conversations, guests and the banned
    require_not_archived(access);
    co_await ctx_.members.add(*tx, id, by.user_id, "member");
  }
  auto summary = co_await summary_of(ctx_, *tx, id, by.user_id);
  if (!access.member) {
    auto data = member_event(id, by.user_id);
    data["role"] = "member";
    data["conversation"] = conversation_event_json(summary.conversation, summary.member_count);
    co_await tell_members(*tx, events, id, "member.added", data);
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return summary;
}

awaitable<void> Conversations::leave(http::Principal by, std::int64_t id) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::conflict("Direct conversations cannot be left.", "invalid_direct");
  }
  co_await ctx_.members.remove(*tx, id, by.user_id);
  auto data = member_event(id, by.user_id);
  data["banned"] = false;
  data["by"] = by.user_id;
  // The members who stay, and the leaver (no longer a member) on their own.
  co_await events.record(*tx, "member.removed", data, {.conversation_id = id, .user_id = by.user_id});
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
}

awaitable<MemberPage> Conversations::members(http::Principal by, std::int64_t id, std::optional<std::int64_t> after,
                                             int limit) {
  auto access = co_await load_access(ctx_, ctx_.db, id, by);
  require_visible(access, by);
  auto rows = co_await ctx_.members.list(ctx_.db, id, after, limit + 1);
  MemberPage page;
  page.more = rows.size() > static_cast<std::size_t>(limit);
  if (page.more) rows.pop_back();
  std::vector<std::int64_t> ids;
  ids.reserve(rows.size());
  for (const auto& m : rows) ids.push_back(m.user_id);
  auto users = co_await ctx_.users.find_many(ctx_.db, ids);  // ascending by id, like rows
  for (auto& m : rows) {
    auto it = std::lower_bound(users.begin(), users.end(), m.user_id,
                               [](const User& u, std::int64_t uid) { return u.id < uid; });
    if (it != users.end() && it->id == m.user_id) page.members.push_back(MemberView{std::move(m), *it});
  }
  co_return page;
}

awaitable<std::vector<MemberView>> Conversations::add_members(http::Principal by, std::int64_t id,
                                                              std::vector<std::int64_t> user_ids, std::string role) {
  if (by.role == "guest") throw AppError::forbidden("Guests cannot add members.");
  if (user_ids.empty() || user_ids.size() > kMaxMembersPerRequest) {
    throw field_error("user_ids", "Give 1 to " + std::to_string(kMaxMembersPerRequest) + " user ids.");
  }
  std::vector<std::int64_t> ids = distinct(std::move(user_ids));
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::bad_request("Direct conversations have exactly their two members.", "invalid_direct");
  }
  require_not_archived(access);
  const bool private_channel = access.conversation.kind == "channel" && access.conversation.visibility == "private";
  if ((private_channel || role != "member") && !access.can_manage(by)) {
    throw AppError::forbidden(role != "member" ? "Only an owner or admin may add admins."
                                               : "Only an owner or admin may add members to a private channel.");
  }
  auto users = co_await require_active_users(ctx_, *tx, ids, "user_ids");
  std::vector<MemberView> added;
  for (const auto& user : users) {
    auto result = co_await ctx_.members.add(*tx, id, user.id, role);
    if (result.member.banned()) {
      throw AppError::conflict(
          "User " + std::to_string(user.id) + " is banned from this conversation; remove the ban first.",
          "member_banned");
    }
    if (result.added) added.push_back(MemberView{std::move(result.member), user});
  }
  if (!added.empty()) {
    auto summary = co_await summary_of(ctx_, *tx, id, by.user_id);
    auto conversation = conversation_event_json(summary.conversation, summary.member_count);
    for (const auto& view : added) {
      auto data = member_event(id, view.user.id);
      data["role"] = view.member.role;
      data["by"] = by.user_id;
      data["conversation"] = conversation;
      co_await tell_members(*tx, events, id, "member.added", data);
    }
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return added;
}

awaitable<MemberView> Conversations::set_member_role(http::Principal by, std::int64_t id, std::int64_t user_id,
                                                     std::string role) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::bad_request("Direct conversations have no roles.", "invalid_direct");
  }
  require_manager(access, by);
  auto target = co_await ctx_.members.find(*tx, id, user_id);
  if (!target || target->banned()) throw AppError::not_found();
  const bool owner_business = role == "owner" || target->role == "owner";
  if (owner_business && access.effective_role(by) != "owner") {
    throw AppError::forbidden("Only an owner may grant or take ownership.");
  }
  auto changed = co_await ctx_.members.set_role(*tx, id, user_id, role);
  if (!changed) throw AppError::not_found();
  auto user = co_await ctx_.users.find_by_id(*tx, user_id);
  if (!user) throw AppError::not_found();
  if (target->role != role) {
    auto summary = co_await summary_of(ctx_, *tx, id, by.user_id);
    auto data = conversation_event_json(summary.conversation, summary.member_count);
    data["member_role_changed"] = json::object{{"user_id", user_id}, {"role", role}, {"by", by.user_id}};
    co_await tell_members(*tx, events, id, "conversation.updated", data);
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return MemberView{std::move(*changed), std::move(*user)};
}

awaitable<void> Conversations::remove_member(http::Principal by, std::int64_t id, std::int64_t user_id, bool ban) {
  if (user_id == by.user_id && !ban) {
    co_await leave(std::move(by), id);
    co_return;
  }
  if (user_id == by.user_id) throw AppError::bad_request("You cannot ban yourself.", "invalid_member");
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  if (access.conversation.kind == "direct") {
    throw AppError::bad_request("Direct conversations have exactly their two members.", "invalid_direct");
  }
  require_manager(access, by);
  auto target = co_await ctx_.members.find(*tx, id, user_id);
  if (target && !target->banned() && target->role == "owner" && access.effective_role(by) != "owner") {
    throw AppError::forbidden("Only an owner may remove an owner.");
  }
  const bool was_member = target && !target->banned();
  if (ban) {
    auto user = co_await ctx_.users.find_by_id(*tx, user_id);
    if (!user) throw AppError::not_found();
    co_await ctx_.members.ban(*tx, id, user_id);
  } else {
    if (!target) throw AppError::not_found();
    co_await ctx_.members.remove(*tx, id, user_id);  // a banned user's row goes too: the ban is lifted
  }
  if (was_member) {
    auto data = member_event(id, user_id);
    data["banned"] = ban;
    data["by"] = by.user_id;
    // The members who stay, and the removed user (banned or gone) on their own.
    co_await events.record(*tx, "member.removed", data, {.conversation_id = id, .user_id = user_id});
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
}

awaitable<db::repositories::UnreadCount> Conversations::mark_read(http::Principal by, std::int64_t id,
                                                                  std::int64_t up_to_message_id) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, id, by);
  require_member(access);
  const auto before = access.member->last_read_message_id;
  auto after = co_await ctx_.members.mark_read(*tx, id, by.user_id, up_to_message_id);
  if (!after) throw AppError::not_found();
  auto counts = co_await ctx_.read_state.unread_in(*tx, by.user_id, id);
  if (!counts) throw AppError::not_found();
  if (after->last_read_message_id != before) {
    json::object data{{"conversation_id", id},
                      {"last_read_message_id", *after->last_read_message_id},
                      {"unread_count", counts->unread_count},
                      {"mention_count", counts->mention_count}};
    co_await events.record(*tx, "read.updated", data, {.conversation_id = std::nullopt, .user_id = by.user_id});
  }
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return *counts;
}

awaitable<std::vector<db::repositories::UnreadCount>> Conversations::unread(http::Principal by) {
  co_return co_await ctx_.read_state.unread(ctx_.db, by.user_id);
}

}  // namespace parley::messaging
