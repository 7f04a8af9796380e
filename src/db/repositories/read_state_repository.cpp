#include "db/repositories/read_state_repository.hpp"

#include <array>

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// ($1 user; kUnreadIn adds $2, one conversation.) Memberships come from conversation_members_user_idx;
// each count walks the conversation's messages after the marker (messages_conversation_idx for
// the top level), so its cost is the unread volume, not the history.
#define PARLEY_SQL_COUNTS                                                                                         \
  "SELECT cm.conversation_id,"                                                                                    \
  " (SELECT count(*) FROM messages u WHERE u.conversation_id = cm.conversation_id AND u.parent_id IS NULL"        \
  " AND u.id > COALESCE(cm.last_read_message_id, 0) AND u.sender_id <> $1 AND u.deleted_at IS NULL) AS unread,"   \
  " (SELECT count(*) FROM messages m WHERE m.conversation_id = cm.conversation_id"                                \
  " AND m.id > COALESCE(cm.last_read_message_id, 0) AND m.sender_id <> $1 AND m.deleted_at IS NULL"               \
  " AND (m.mentions_everyone OR EXISTS (SELECT 1 FROM mentions x WHERE x.message_id = m.id AND x.user_id = $1)))" \
  " AS mentioned "                                                                                                \
  "FROM conversation_members cm WHERE cm.user_id = $1 AND cm.banned_at IS NULL"

constexpr Query kUnread{"read_state.unread", "SELECT * FROM (" PARLEY_SQL_COUNTS
                                             ") t WHERE t.unread > 0 OR t.mentioned > 0 "
                                             "ORDER BY t.conversation_id"};
constexpr Query kUnreadIn{"read_state.unread_in", PARLEY_SQL_COUNTS " AND cm.conversation_id = $2"};

UnreadCount to_count(const Row& r) { return UnreadCount{r.int64(0), r.int64(1), r.int64(2)}; }

}  // namespace

ReadStateRepository::ReadStateRepository(Dialect) {}

awaitable<std::vector<UnreadCount>> ReadStateRepository::unread(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(kUnread, params);
  std::vector<UnreadCount> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(to_count(r));
  co_return out;
}

awaitable<std::optional<UnreadCount>> ReadStateRepository::unread_in(Executor& db, std::int64_t user_id,
                                                                     std::int64_t conversation_id) {
  std::array<Value, 2> params{user_id, conversation_id};
  ResultSet rs = co_await db.execute(kUnreadIn, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_count(rs.rows.front());
}

}  // namespace parley::db::repositories
