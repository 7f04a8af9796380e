#include "db/repositories/member_repository.hpp"

#include <array>

#include "core/error.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_MEMBER_COLUMNS(TIME) \
  "conversation_id, user_id, role, " TIME("joined_at") ", last_read_message_id, muted, " TIME("banned_at")

#define PARLEY_SQL_ADD(TIME, NOW)                                                  \
  "INSERT INTO conversation_members (conversation_id, user_id, role, events_from)" \
  " VALUES ($1, $2, $3, (SELECT COALESCE(max(position), 0) FROM events)) "         \
  "ON CONFLICT (conversation_id, user_id) DO NOTHING RETURNING " PARLEY_MEMBER_COLUMNS(TIME)
#define PARLEY_SQL_FIND(TIME, NOW) \
  "SELECT " PARLEY_MEMBER_COLUMNS(TIME) " FROM conversation_members WHERE conversation_id = $1 AND user_id = $2"
// A banned non-member gets a row with the default role so the ban sticks.
#define PARLEY_SQL_BAN(TIME, NOW)                                                               \
  "INSERT INTO conversation_members (conversation_id, user_id, banned_at) VALUES ($1, $2, " NOW \
  ") "                                                                                          \
  "ON CONFLICT (conversation_id, user_id) DO UPDATE SET banned_at = "                           \
  "COALESCE(conversation_members.banned_at, excluded.banned_at) RETURNING " PARLEY_MEMBER_COLUMNS(TIME)
#define PARLEY_SQL_SET_ROLE(TIME, NOW)                                                     \
  "UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2 " \
  "RETURNING " PARLEY_MEMBER_COLUMNS(TIME)
#define PARLEY_SQL_SET_MUTED(TIME, NOW)                                                     \
  "UPDATE conversation_members SET muted = $3 WHERE conversation_id = $1 AND user_id = $2 " \
  "RETURNING " PARLEY_MEMBER_COLUMNS(TIME)
#define PARLEY_SQL_LIST(TIME, NOW) \
  "SELECT " PARLEY_MEMBER_COLUMNS(TIME) " FROM conversation_members "                               \
  "WHERE conversation_id = $1 AND banned_at IS NULL AND user_id > $2 ORDER BY user_id LIMIT $3"
// Only forward, and only to a message of this conversation (checked by the caller beforehand via
// kMessageInConversation, so the statement itself stays a plain keyed update).
#define PARLEY_SQL_MARK_READ(TIME, NOW)                                \
  "UPDATE conversation_members SET last_read_message_id = $3 "         \
  "WHERE conversation_id = $1 AND user_id = $2 AND banned_at IS NULL " \
  "AND (last_read_message_id IS NULL OR last_read_message_id < $3) RETURNING " PARLEY_MEMBER_COLUMNS(TIME)

constexpr DualQuery kAdd = PARLEY_DUAL("members.add", PARLEY_SQL_ADD);
constexpr DualQuery kFind = PARLEY_DUAL("members.find", PARLEY_SQL_FIND);
constexpr DualQuery kBan = PARLEY_DUAL("members.ban", PARLEY_SQL_BAN);
constexpr DualQuery kSetRole = PARLEY_DUAL("members.set_role", PARLEY_SQL_SET_ROLE);
constexpr DualQuery kSetMuted = PARLEY_DUAL("members.set_muted", PARLEY_SQL_SET_MUTED);
constexpr DualQuery kList = PARLEY_DUAL("members.list", PARLEY_SQL_LIST);
constexpr DualQuery kMarkRead = PARLEY_DUAL("members.mark_read", PARLEY_SQL_MARK_READ);
// PostgreSQL only; kMarkRead's rule for each marker ($1, $2, $3: id lists of the same length).
// Arrays, not a JSON document: the planner knows unnest's row count (json_to_recordset's is a
// guessed 100, for which it scanned every membership instead of probing the primary key).
constexpr Query kAdvanceMany{
    "members.advance_read_markers",
    "UPDATE conversation_members m SET last_read_message_id = r.message_id "
    "FROM unnest(CAST($1 AS bigint[]), CAST($2 AS bigint[]), CAST($3 AS bigint[])) AS r(conversation_id, user_id, "
    "message_id) "
    "WHERE m.conversation_id = r.conversation_id AND m.user_id = r.user_id AND m.banned_at IS NULL "
    "AND (m.last_read_message_id IS NULL OR m.last_read_message_id < r.message_id)"};
constexpr Query kRemove{"members.remove",
                        "DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2"};
constexpr Query kCount{"members.count",
                       "SELECT count(*) FROM conversation_members WHERE conversation_id = $1 AND banned_at IS NULL"};
// conversation_members_user_idx for a's memberships, the primary key for b's.
// conversation_members_user_idx.
constexpr Query kConversationsOf{"members.conversations_of",
                                 "SELECT conversation_id FROM conversation_members "
                                 "WHERE user_id = $1 AND banned_at IS NULL ORDER BY conversation_id"};
constexpr Query kShareConversation{
    "members.share_conversation",
    "SELECT 1 FROM conversation_members a JOIN conversation_members b "
    "ON b.conversation_id = a.conversation_id AND b.user_id = $2 AND b.banned_at IS NULL "
    "WHERE a.user_id = $1 AND a.banned_at IS NULL LIMIT 1"};
constexpr Query kMessageInConversation{"members.message_in_conversation",
                                       "SELECT 1 FROM messages WHERE id = $1 AND conversation_id = $2"};

Member to_member(const Row& r) { return member_from_row(r, 0); }

std::optional<Member> first_member(const ResultSet& rs) {
  if (rs.empty()) return std::nullopt;
  return to_member(rs.rows.front());
}

}  // namespace

Member member_from_row(const Row& r, std::size_t first) {
  return Member{.conversation_id = r.int64(first),
                .user_id = r.int64(first + 1),
                .role = r.text(first + 2),
                .joined_at = r.text(first + 3),
                .last_read_message_id = r.opt_int64(first + 4),
                .muted = r.boolean(first + 5),
                .banned_at = r.opt_text(first + 6)};
}

MemberRepository::MemberRepository(Dialect d)
    : q_{.add = kAdd.pick(d),
         .find = kFind.pick(d),
         .ban = kBan.pick(d),
         .set_role = kSetRole.pick(d),
         .set_muted = kSetMuted.pick(d),
         .list = kList.pick(d),
         .mark_read = kMarkRead.pick(d)},
      dialect_(d) {}

awaitable<AddedMember> MemberRepository::add(Executor& db, std::int64_t conversation_id, std::int64_t user_id,
                                             std::string_view role) {
  std::array<Value, 3> params{conversation_id, user_id, std::string(role)};
  ResultSet rs = co_await db.execute(q_.add, params);
  if (!rs.empty()) co_return AddedMember{to_member(rs.rows.front()), true};
  std::optional<Member> existing = co_await find(db, conversation_id, user_id);
  // Removed again between the two statements: report it as not added, like a lost race.
  if (!existing) throw AppError::conflict("The membership changed concurrently; retry.");
  co_return AddedMember{std::move(*existing), false};
}

awaitable<bool> MemberRepository::remove(Executor& db, std::int64_t conversation_id, std::int64_t user_id) {
  std::array<Value, 2> params{conversation_id, user_id};
  ResultSet rs = co_await db.execute(kRemove, params);
  co_return rs.affected_rows > 0;
}

awaitable<Member> MemberRepository::ban(Executor& db, std::int64_t conversation_id, std::int64_t user_id) {
  std::array<Value, 2> params{conversation_id, user_id};
  ResultSet rs = co_await db.execute(q_.ban, params);
  co_return to_member(rs.one());
}

awaitable<std::optional<Member>> MemberRepository::set_role(Executor& db, std::int64_t conversation_id,
                                                            std::int64_t user_id, std::string_view role) {
  std::array<Value, 3> params{conversation_id, user_id, std::string(role)};
  co_return first_member(co_await db.execute(q_.set_role, params));
}

awaitable<std::optional<Member>> MemberRepository::set_muted(Executor& db, std::int64_t conversation_id,
                                                             std::int64_t user_id, bool muted) {
  std::array<Value, 3> params{conversation_id, user_id, muted};
  co_return first_member(co_await db.execute(q_.set_muted, params));
}

awaitable<std::optional<Member>> MemberRepository::find(Executor& db, std::int64_t conversation_id,
                                                        std::int64_t user_id) {
  std::array<Value, 2> params{conversation_id, user_id};
  co_return first_member(co_await db.execute(q_.find, params));
}

awaitable<std::vector<Member>> MemberRepository::list(Executor& db, std::int64_t conversation_id,
                                                      std::optional<std::int64_t> after_user_id, int limit) {
  std::array<Value, 3> params{conversation_id, after_user_id.value_or(kNoLowerId), std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list, params);
  std::vector<Member> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(to_member(r));
  co_return out;
}

awaitable<std::vector<std::int64_t>> MemberRepository::conversations_of(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(kConversationsOf, params);
  std::vector<std::int64_t> ids;
  ids.reserve(rs.rows.size());
  for (const auto& row : rs.rows) ids.push_back(row.int64(0));
  co_return ids;
}

awaitable<bool> MemberRepository::share_conversation(Executor& db, std::int64_t a, std::int64_t b) {
  std::array<Value, 2> params{a, b};
  ResultSet rs = co_await db.execute(kShareConversation, params);
  co_return !rs.empty();
}

awaitable<std::int64_t> MemberRepository::count(Executor& db, std::int64_t conversation_id) {
  std::array<Value, 1> params{conversation_id};
  ResultSet rs = co_await db.execute(kCount, params);
  co_return rs.one().int64(0);
}

awaitable<void> MemberRepository::advance_read_marker(Executor& db, std::int64_t conversation_id, std::int64_t user_id,
                                                      std::int64_t message_id) {
  std::array<Value, 3> params{conversation_id, user_id, message_id};
  co_await db.execute_later(q_.mark_read, params);
}

awaitable<void> MemberRepository::advance_read_markers(Executor& db, std::span<const ReadMarker> markers) {
  if (markers.empty()) co_return;
  if (dialect_ != Dialect::postgres) throw AppError::internal("members.advance_read_markers is PostgreSQL only");
  std::vector<std::int64_t> conversations, users, messages;
  conversations.reserve(markers.size());
  users.reserve(markers.size());
  messages.reserve(markers.size());
  for (const ReadMarker& r : markers) {
    conversations.push_back(r.conversation_id);
    users.push_back(r.user_id);
    messages.push_back(r.message_id);
  }
  std::array<Value, 3> params{id_list_param(dialect_, conversations), id_list_param(dialect_, users),
                              id_list_param(dialect_, messages)};
  co_await db.execute_later(kAdvanceMany, params);
}

awaitable<std::optional<Member>> MemberRepository::mark_read(Executor& db, std::int64_t conversation_id,
                                                             std::int64_t user_id, std::int64_t message_id) {
  std::array<Value, 2> check{message_id, conversation_id};
  if ((co_await db.execute(kMessageInConversation, check)).empty()) {
    throw AppError::bad_request("The message is not in this conversation.", "invalid_reference");
  }
  std::array<Value, 3> params{conversation_id, user_id, message_id};
  ResultSet rs = co_await db.execute(q_.mark_read, params);
  if (!rs.empty()) co_return to_member(rs.rows.front());
  // Already at or past message_id, or not a member.
  std::optional<Member> member = co_await find(db, conversation_id, user_id);
  if (!member || member->banned()) co_return std::nullopt;
  co_return member;
}

}  // namespace parley::db::repositories
