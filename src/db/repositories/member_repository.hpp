#pragma once
// Conversation membership (table conversation_members): roles, read markers, mutes and bans.
// A ban keeps the row with banned_at set, so a banned user cannot be re-added by add().
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct Member {
  std::int64_t conversation_id = 0;
  std::int64_t user_id = 0;
  std::string role;  // owner | admin | member
  std::string joined_at;
  std::optional<std::int64_t> last_read_message_id;
  bool muted = false;
  std::optional<std::string> banned_at;

  bool banned() const noexcept { return banned_at.has_value(); }
};

// A Member from the row's columns `first`..`first + 6` (conversation_id, user_id, role,
// joined_at, last_read_message_id, muted, banned_at), for statements that join a membership in.
Member member_from_row(const Row& r, std::size_t first);

struct AddedMember {
  Member member;
  bool added = false;  // false: the row existed (possibly banned) and was left unchanged
};

// A read marker to move forward: `user_id` has read `conversation_id` up to `message_id`.
struct ReadMarker {
  std::int64_t conversation_id = 0;
  std::int64_t user_id = 0;
  std::int64_t message_id = 0;
};

class MemberRepository {
 public:
  explicit MemberRepository(Dialect dialect);

  // Adds `user_id` with `role`; idempotent (an existing row, banned or not, is returned as is).
  // 400 (invalid_reference) for an unknown conversation or user.
  boost::asio::awaitable<AddedMember> add(Executor& db, std::int64_t conversation_id, std::int64_t user_id,
                                          std::string_view role = "member");
  // Deletes the membership (also a ban). Returns false when there was none.
  boost::asio::awaitable<bool> remove(Executor& db, std::int64_t conversation_id, std::int64_t user_id);
  // Bans `user_id` (a member or not; an existing ban keeps its time). Returns the row.
  boost::asio::awaitable<Member> ban(Executor& db, std::int64_t conversation_id, std::int64_t user_id);
  // nullopt when there is no such membership (banned rows are changed too).
  boost::asio::awaitable<std::optional<Member>> set_role(Executor& db, std::int64_t conversation_id,
                                                         std::int64_t user_id, std::string_view role);
  boost::asio::awaitable<std::optional<Member>> set_muted(Executor& db, std::int64_t conversation_id,
                                                          std::int64_t user_id, bool muted);
  // The membership row, banned or not.
  boost::asio::awaitable<std::optional<Member>> find(Executor& db, std::int64_t conversation_id, std::int64_t user_id);
  // Members not banned, by user id ascending, user_id > after_user_id; at most `limit` (1..200).
  boost::asio::awaitable<std::vector<Member>> list(Executor& db, std::int64_t conversation_id,
                                                   std::optional<std::int64_t> after_user_id, int limit);
  // True when users a and b are both (unbanned) members of some conversation: whom a guest may
  // start a direct conversation with.
  boost::asio::awaitable<bool> share_conversation(Executor& db, std::int64_t a, std::int64_t b);
  // The conversations `user_id` is a member of (not banned), in id order.
  boost::asio::awaitable<std::vector<std::int64_t>> conversations_of(Executor& db, std::int64_t user_id);
  // Members not banned.
  boost::asio::awaitable<std::int64_t> count(Executor& db, std::int64_t conversation_id);
  // Moves the read marker forward to `message_id`, which the caller knows is a message of the
  // conversation (the sender's own new message): one statement, no check, held back to go out with
  // the transaction's COMMIT (Executor::execute_later). Never moves it back.
  boost::asio::awaitable<void> advance_read_marker(Executor& db, std::int64_t conversation_id, std::int64_t user_id,
                                                   std::int64_t message_id);
  // advance_read_marker() for many markers in one statement (PostgreSQL only, AppError 500
  // elsewhere), held back the same way; at most one marker per (conversation, user).
  boost::asio::awaitable<void> advance_read_markers(Executor& db, std::span<const ReadMarker> markers);
  // Moves the read marker forward to `message_id` (never backwards). Returns the row afterwards;
  // nullopt when the user is not a (non-banned) member. Throws AppError 400 when the message is
  // not in the conversation.
  boost::asio::awaitable<std::optional<Member>> mark_read(Executor& db, std::int64_t conversation_id,
                                                          std::int64_t user_id, std::int64_t message_id);

 private:
  struct Queries {
    Query add, find, ban, set_role, set_muted, list, mark_read;
  };
  Queries q_;
  Dialect dialect_;
};

}  // namespace parley::db::repositories
