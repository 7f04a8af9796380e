#pragma once
// Conversations (table conversations): direct messages, groups and channels.
//
// A direct conversation is unique per pair of users (conversations.direct_key =
// "<smaller id>:<larger id>"); create_direct returns the existing one instead of a duplicate.
// Membership rows are the MemberRepository's: a service creating a conversation adds its members
// in the same transaction.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"
#include "db/repositories/member_repository.hpp"

namespace parley::db::repositories {

struct Conversation {
  std::int64_t id = 0;
  std::string kind;        // direct | group | channel
  std::string visibility;  // public | private
  std::optional<std::string> name;
  std::string topic;
  std::optional<std::int64_t> created_by;
  std::string created_at;
  std::optional<std::string> archived_at;
};

struct ConversationWithMember {
  Conversation conversation;
  std::optional<Member> member;  // none: not a member (nor banned)
};

struct NewConversation {
  std::string kind;  // group | channel (direct: use create_direct)
  std::optional<std::string> name;
  std::string topic;
  std::string visibility = "private";
  std::optional<std::int64_t> created_by;
};

struct DirectConversation {
  Conversation conversation;
  bool created = false;  // false: the pair's existing conversation was returned
};

// The newest top-level message of a conversation, for list views.
struct LastMessage {
  std::int64_t id = 0;
  std::int64_t sender_id = 0;
  std::string body;  // "" when deleted; the caller cuts its preview
  std::string created_at;
  bool deleted = false;
};

// One row of a user's conversation list.
struct ConversationSummary {
  Conversation conversation;
  std::string my_role;  // owner | admin | member
  bool muted = false;
  std::int64_t member_count = 0;  // members not banned
  std::int64_t unread_count = 0;  // top-level messages of others after my read marker, not deleted
  std::optional<LastMessage> last_message;
  // The ordering key (the last top-level message id, 0 when there is none): pass it and the
  // conversation id of the last row as the next ConversationCursor.
  std::int64_t activity_id = 0;
};

// Position after which a list continues (exclusive): the last row's activity_id and id.
struct ConversationCursor {
  std::int64_t activity_id = 0;
  std::int64_t conversation_id = 0;
};

struct PublicChannel {
  Conversation conversation;
  std::int64_t member_count = 0;
};

// Position after which browsing continues: the last row's name and id.
struct ChannelCursor {
  std::string name;
  std::int64_t conversation_id = 0;
};

// Fields left nullopt are not changed.
struct ConversationUpdate {
  std::optional<std::string> name;
  std::optional<std::string> topic;
};

class ConversationRepository {
 public:
  explicit ConversationRepository(Dialect dialect);

  // A group or channel. 400 when a CHECK fails (a channel without a name, kind "direct", ...).
  boost::asio::awaitable<Conversation> create(Executor& db, const NewConversation& conversation);
  // The direct conversation of users a and b (in either order; a may equal b for notes to self),
  // created if it does not exist yet. Safe under concurrent calls: exactly one row is created.
  boost::asio::awaitable<DirectConversation> create_direct(Executor& db, std::int64_t a, std::int64_t b,
                                                           std::optional<std::int64_t> created_by);
  boost::asio::awaitable<std::optional<Conversation>> find_by_id(Executor& db, std::int64_t id);
  // The conversation and `user_id`'s membership row (banned ones too) in one statement: what
  // every request on a conversation checks first. Empty when the conversation does not exist.
  boost::asio::awaitable<std::optional<ConversationWithMember>> find_with_member(Executor& db, std::int64_t id,
                                                                                 std::int64_t user_id);
  Read<std::optional<ConversationWithMember>> read_with_member(std::int64_t id, std::int64_t user_id) const;  // to batch
  // One conversation as `viewer_id` sees it in a list: with member_count and last_message, and
  // my_role, muted and unread_count from the viewer's membership (my_role "" and zeros when the
  // viewer is not a member or is banned). nullopt when the conversation does not exist.
  boost::asio::awaitable<std::optional<ConversationSummary>> summary(Executor& db, std::int64_t conversation_id,
                                                                     std::int64_t viewer_id);
  boost::asio::awaitable<std::optional<Conversation>> find_direct(Executor& db, std::int64_t a, std::int64_t b);
  // The conversations `user_id` is a member of (not banned), most recently active first (by last
  // top-level message id, then conversation id; conversations without messages last), optionally
  // only of `kind` and whose name contains `q` (case-insensitive; empty = all), strictly after
  // `after`; at most `limit` (clamped to 1..200). One statement whatever the number of rows.
  boost::asio::awaitable<std::vector<ConversationSummary>> list_for_user(Executor& db, std::int64_t user_id,
                                                                         std::optional<std::string> kind,
                                                                         std::optional<ConversationCursor> after,
                                                                         int limit, std::string_view q = {});
  // Public, not archived channels whose name contains `q` (case-insensitive; empty = all) and
  // from which `user_id` is not banned, by name then id, strictly after `after`.
  boost::asio::awaitable<std::vector<PublicChannel>> browse_public(Executor& db, std::int64_t user_id,
                                                                   std::string_view q,
                                                                   std::optional<ChannelCursor> after, int limit);
  // Rename and/or change the topic. nullopt when the conversation does not exist.
  boost::asio::awaitable<std::optional<Conversation>> update(Executor& db, std::int64_t id,
                                                             const ConversationUpdate& update);
  // Sets archived_at (kept when already archived). nullopt when the conversation does not exist.
  boost::asio::awaitable<std::optional<Conversation>> archive(Executor& db, std::int64_t id);

  // "<smaller>:<larger>".
  static std::string direct_key(std::int64_t a, std::int64_t b);

 private:
  struct Queries {
    Query create, create_direct, find_by_id, find_with_member, find_by_direct_key, list_for_user, summary,
        browse_public, update, archive;
  };
  Queries q_;
  Dialect dialect_;
};

}  // namespace parley::db::repositories
