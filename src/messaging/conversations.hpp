#pragma once
// Conversation actions: create (direct, group, channel), list, browse, join, leave, rename,
// archive, membership and read state. Each action owns its transaction, applies the rules of
// messaging/access.hpp and records its domain events in the transaction; they are published on
// the event bus after the commit (nothing is published for a rolled-back transaction).
//
// Events (recipients): conversation.created, conversation.updated (the members);
// member.added, member.removed (the members, and the added or removed user); read.updated (the
// reader only, for their other devices).
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/repositories/conversation_repository.hpp"
#include "db/repositories/member_repository.hpp"
#include "db/repositories/read_state_repository.hpp"
#include "http/request.hpp"
#include "messaging/access.hpp"
#include "messaging/context.hpp"

namespace parley::messaging {

struct NewConversationInput {
  std::string kind;  // direct | group | channel
  std::optional<std::string> name;
  std::string topic;
  std::optional<std::string> visibility;  // channels: public (default) or private; others private
  std::vector<std::int64_t> member_ids;   // direct: exactly one other user (or yourself)
};

struct CreatedConversation {
  db::repositories::ConversationSummary conversation;
  bool created = false;  // false: the direct conversation of the pair existed
};

struct ConversationPage {
  std::vector<db::repositories::ConversationSummary> conversations;
  bool more = false;
};

struct ChannelPage {
  std::vector<db::repositories::PublicChannel> channels;
  bool more = false;
};

struct MemberView {
  db::repositories::Member member;
  db::repositories::User user;
};

struct MemberPage {
  std::vector<MemberView> members;
  bool more = false;
};

class Conversations {
 public:
  explicit Conversations(MessagingContext& ctx) : ctx_(ctx) {}

  boost::asio::awaitable<CreatedConversation> create(http::Principal by, NewConversationInput input);
  // Mine, most recently active first. `kind` and `q` (name contains) filter.
  boost::asio::awaitable<ConversationPage> list(http::Principal by, std::optional<std::string> kind, std::string q,
                                                std::optional<db::repositories::ConversationCursor> after, int limit);
  boost::asio::awaitable<db::repositories::ConversationSummary> get(http::Principal by, std::int64_t id);
  // get()'s permission check alone (404 unless the caller may see the conversation), for callers
  // that need none of the summary (GraphQL's conversation(id) { messages }). Returns the access it
  // loaded, which Messages::list can take instead of loading it again in the same request.
  boost::asio::awaitable<ConversationAccess> check_visible(http::Principal by, std::int64_t id);
  boost::asio::awaitable<db::repositories::ConversationSummary> update(http::Principal by, std::int64_t id,
                                                                       db::repositories::ConversationUpdate update);
  boost::asio::awaitable<void> archive(http::Principal by, std::int64_t id);
  // Public channels I can join (403 for guests).
  boost::asio::awaitable<ChannelPage> browse(http::Principal by, std::string q,
                                             std::optional<db::repositories::ChannelCursor> after, int limit);
  boost::asio::awaitable<db::repositories::ConversationSummary> join(http::Principal by, std::int64_t id);
  boost::asio::awaitable<void> leave(http::Principal by, std::int64_t id);

  boost::asio::awaitable<MemberPage> members(http::Principal by, std::int64_t id, std::optional<std::int64_t> after,
                                             int limit);
  // Adds users (idempotent for existing members). 400 for unknown or deactivated users; 409 when
  // one of them is banned (remove the ban first).
  boost::asio::awaitable<std::vector<MemberView>> add_members(http::Principal by, std::int64_t id,
                                                              std::vector<std::int64_t> user_ids, std::string role);
  boost::asio::awaitable<MemberView> set_member_role(http::Principal by, std::int64_t id, std::int64_t user_id,
                                                     std::string role);
  // Removes a member (yourself: leave), or bans them (`ban`); removing a banned user lifts the ban.
  boost::asio::awaitable<void> remove_member(http::Principal by, std::int64_t id, std::int64_t user_id, bool ban);

  // Moves my read marker forward to `up_to_message_id` (a message of the conversation).
  boost::asio::awaitable<db::repositories::UnreadCount> mark_read(http::Principal by, std::int64_t id,
                                                                  std::int64_t up_to_message_id);
  boost::asio::awaitable<std::vector<db::repositories::UnreadCount>> unread(http::Principal by);

 private:
  MessagingContext& ctx_;
};

}  // namespace parley::messaging
