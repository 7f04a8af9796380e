#include "db/repositories/conversation_repository.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// The columns of a Conversation, qualified with P ("c." in SELECTs, "" in RETURNING, where SQLite
// allows no qualifier).
#define PARLEY_CONV_COLUMNS_P(TIME, P)                          \
  P "id, " P "kind, " P "visibility, " P "name, " P "topic, " P \
    "created_by, " TIME(P "created_at") ", " TIME(P "archived_at")
#define PARLEY_CONV_COLUMNS(TIME) PARLEY_CONV_COLUMNS_P(TIME, "c.")
#define PARLEY_CONV_RETURNING(TIME) PARLEY_CONV_COLUMNS_P(TIME, "")
constexpr std::size_t kConvColumns = 8;

#define PARLEY_SQL_CREATE(TIME, NOW)                                       \
  "INSERT INTO conversations (kind, visibility, name, topic, created_by) " \
  "VALUES ($1, $2, $3, $4, $5) RETURNING " PARLEY_CONV_RETURNING(TIME)
// ON CONFLICT names the partial unique index conversations_direct_key; on conflict no row comes
// back and the caller reads the existing one.
#define PARLEY_SQL_CREATE_DIRECT(TIME, NOW)                               \
  "INSERT INTO conversations (kind, visibility, created_by, direct_key) " \
  "VALUES ('direct', 'private', $1, $2) "                                 \
  "ON CONFLICT (direct_key) WHERE direct_key IS NOT NULL DO NOTHING RETURNING " PARLEY_CONV_RETURNING(TIME)
#define PARLEY_SQL_FIND_BY_ID(TIME, NOW) "SELECT " PARLEY_CONV_COLUMNS(TIME) " FROM conversations c WHERE c.id = $1"
#define PARLEY_SQL_FIND_WITH_MEMBER(TIME, NOW) \
  "SELECT " PARLEY_CONV_COLUMNS(TIME) ", m.conversation_id, m.user_id, m.role, " TIME("m.joined_at")          \
  ", m.last_read_message_id, m.muted, " TIME("m.banned_at") " FROM conversations c"                          \
  " LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2 WHERE c.id = $1"
#define PARLEY_SQL_FIND_BY_DIRECT_KEY(TIME, NOW) \
  "SELECT " PARLEY_CONV_COLUMNS(TIME) " FROM conversations c WHERE c.direct_key = $1"
// mine: my memberships with the activity key (newest top-level message id, served by
// messages_conversation_idx); the counts are per row of the page only.
#define PARLEY_SQL_LIST_FOR_USER(TIME, NOW) \
  "WITH mine AS ("                                                                                              \
  " SELECT cm.conversation_id, cm.role, cm.muted, cm.last_read_message_id,"                                    \
  " COALESCE((SELECT max(x.id) FROM messages x WHERE x.conversation_id = cm.conversation_id"                   \
  " AND x.parent_id IS NULL), 0) AS activity_id"                                                               \
  " FROM conversation_members cm WHERE cm.user_id = $1 AND cm.banned_at IS NULL) "                             \
  "SELECT " PARLEY_CONV_COLUMNS(TIME) ", mine.role, mine.muted, mine.activity_id,"                              \
  " (SELECT count(*) FROM conversation_members y WHERE y.conversation_id = c.id AND y.banned_at IS NULL),"     \
  " (SELECT count(*) FROM messages u WHERE u.conversation_id = c.id AND u.parent_id IS NULL"                   \
  " AND u.id > COALESCE(mine.last_read_message_id, 0) AND u.sender_id <> $1 AND u.deleted_at IS NULL),"        \
  " lm.id, lm.sender_id, lm.body, " TIME("lm.created_at") ", lm.deleted_at IS NOT NULL "                        \
  "FROM mine JOIN conversations c ON c.id = mine.conversation_id "                                              \
  "LEFT JOIN messages lm ON lm.id = mine.activity_id "                                                          \
  "WHERE ($2 = '' OR c.kind = $2) AND (mine.activity_id < $3 OR (mine.activity_id = $3 AND c.id < $4)) "        \
  "AND ($6 = '' OR lower(c.name) LIKE lower($6) ESCAPE '\\') "                                                 \
  "ORDER BY mine.activity_id DESC, c.id DESC LIMIT $5"
// One conversation for $2: the same columns as a list row.
#define PARLEY_SQL_SUMMARY(TIME, NOW) \
  "WITH one AS ("                                                                                               \
  " SELECT c.id, COALESCE((SELECT max(x.id) FROM messages x WHERE x.conversation_id = c.id"                    \
  " AND x.parent_id IS NULL), 0) AS activity_id FROM conversations c WHERE c.id = $1) "                       \
  "SELECT " PARLEY_CONV_COLUMNS(TIME) ", COALESCE(cm.role, ''), COALESCE(cm.muted, false), one.activity_id,"    \
  " (SELECT count(*) FROM conversation_members y WHERE y.conversation_id = c.id AND y.banned_at IS NULL),"      \
  " CASE WHEN cm.user_id IS NULL THEN 0 ELSE (SELECT count(*) FROM messages u WHERE u.conversation_id = c.id"   \
  " AND u.parent_id IS NULL AND u.id > COALESCE(cm.last_read_message_id, 0) AND u.sender_id <> $2"             \
  " AND u.deleted_at IS NULL) END,"                                                                             \
  " lm.id, lm.sender_id, lm.body, " TIME("lm.created_at") ", lm.deleted_at IS NOT NULL "                        \
  "FROM one JOIN conversations c ON c.id = one.id "                                                             \
  "LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = $2 AND cm.banned_at IS NULL " \
  "LEFT JOIN messages lm ON lm.id = one.activity_id"
// Served by conversations_public_idx. ILIKE on PostgreSQL; SQLite's LIKE ignores ASCII case.
#define PARLEY_SQL_BROWSE_PUBLIC(LIKE, TIME) \
  "SELECT " PARLEY_CONV_COLUMNS(TIME) ","                                                                       \
  " (SELECT count(*) FROM conversation_members y WHERE y.conversation_id = c.id AND y.banned_at IS NULL) "     \
  "FROM conversations c WHERE c.visibility = 'public' AND c.archived_at IS NULL"                                \
  " AND c.name " LIKE " $2 ESCAPE '\\' AND (c.name > $3 OR (c.name = $3 AND c.id > $4))"                         \
  " AND NOT EXISTS (SELECT 1 FROM conversation_members b WHERE b.conversation_id = c.id AND b.user_id = $1"     \
  " AND b.banned_at IS NOT NULL) "                                                                              \
  "ORDER BY c.name, c.id LIMIT $5"
#define PARLEY_SQL_UPDATE(TIME, NOW)                                                               \
  "UPDATE conversations SET name = COALESCE($2, name), topic = COALESCE($3, topic) WHERE id = $1 " \
  "RETURNING " PARLEY_CONV_RETURNING(TIME)
#define PARLEY_SQL_ARCHIVE(TIME, NOW)                                 \
  "UPDATE conversations SET archived_at = COALESCE(archived_at, " NOW \
  ") WHERE id = $1 "                                                  \
  "RETURNING " PARLEY_CONV_RETURNING(TIME)

constexpr DualQuery kCreate = PARLEY_DUAL("conversations.create", PARLEY_SQL_CREATE);
constexpr DualQuery kCreateDirect = PARLEY_DUAL("conversations.create_direct", PARLEY_SQL_CREATE_DIRECT);
constexpr DualQuery kFindById = PARLEY_DUAL("conversations.find_by_id", PARLEY_SQL_FIND_BY_ID);
constexpr DualQuery kFindWithMember = PARLEY_DUAL("conversations.find_with_member", PARLEY_SQL_FIND_WITH_MEMBER);
// PostgreSQL only: kFindWithMember's columns for each pair of the id lists $1 and $2, then the
// pair's 0-based slot.
constexpr DualQuery kFindByDirectKey = PARLEY_DUAL("conversations.find_by_direct_key", PARLEY_SQL_FIND_BY_DIRECT_KEY);
constexpr DualQuery kListForUser = PARLEY_DUAL("conversations.list_for_user", PARLEY_SQL_LIST_FOR_USER);
constexpr DualQuery kSummary = PARLEY_DUAL("conversations.summary", PARLEY_SQL_SUMMARY);
constexpr DualQuery kBrowsePublic{"conversations.browse_public", PARLEY_SQL_BROWSE_PUBLIC("ILIKE", PARLEY_PG_TIME),
                                  PARLEY_SQL_BROWSE_PUBLIC("LIKE", PARLEY_SQLITE_TIME)};
constexpr DualQuery kUpdate = PARLEY_DUAL("conversations.update", PARLEY_SQL_UPDATE);
constexpr DualQuery kArchive = PARLEY_DUAL("conversations.archive", PARLEY_SQL_ARCHIVE);

Conversation to_conversation(const Row& r) {
  return Conversation{.id = r.int64(0),
                      .kind = r.text(1),
                      .visibility = r.text(2),
                      .name = r.opt_text(3),
                      .topic = r.text(4),
                      .created_by = r.opt_int64(5),
                      .created_at = r.text(6),
                      .archived_at = r.opt_text(7)};
}

// A list row: the conversation's columns, then role, muted, activity id, member count, unread
// count and the last message's columns.
ConversationSummary to_summary(const Row& r) {
  constexpr std::size_t k = kConvColumns;
  ConversationSummary s{.conversation = to_conversation(r),
                        .my_role = r.text(k),
                        .muted = r.boolean(k + 1),
                        .member_count = r.int64(k + 3),
                        .unread_count = r.int64(k + 4),
                        .last_message = std::nullopt,
                        .activity_id = r.int64(k + 2)};
  if (!r.is_null(k + 5)) {
    s.last_message = LastMessage{.id = r.int64(k + 5),
                                 .sender_id = r.int64(k + 6),
                                 .body = r.text(k + 7),
                                 .created_at = r.text(k + 8),
                                 .deleted = r.boolean(k + 9)};
  }
  return s;
}

std::optional<Conversation> first_conversation(const ResultSet& rs) {
  if (rs.empty()) return std::nullopt;
  return to_conversation(rs.rows.front());
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }
Value opt(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

ConversationRepository::ConversationRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .create_direct = kCreateDirect.pick(d),
         .find_by_id = kFindById.pick(d),
         .find_with_member = kFindWithMember.pick(d),
         .find_by_direct_key = kFindByDirectKey.pick(d),
         .list_for_user = kListForUser.pick(d),
         .summary = kSummary.pick(d),
         .browse_public = kBrowsePublic.pick(d),
         .update = kUpdate.pick(d),
         .archive = kArchive.pick(d)},
      dialect_(d) {}

std::string ConversationRepository::direct_key(std::int64_t a, std::int64_t b) {
  return std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
}

awaitable<Conversation> ConversationRepository::create(Executor& db, const NewConversation& c) {
  std::array<Value, 5> params{c.kind, c.visibility, opt(c.name), c.topic, opt(c.created_by)};
  ResultSet rs = co_await db.execute(q_.create, params);
  co_return to_conversation(rs.one());
}

awaitable<DirectConversation> ConversationRepository::create_direct(Executor& db, std::int64_t a, std::int64_t b,
                                                                    std::optional<std::int64_t> created_by) {
  std::string key = direct_key(a, b);
  std::array<Value, 2> params{opt(created_by), key};
  ResultSet rs = co_await db.execute(q_.create_direct, params);
  if (!rs.empty()) co_return DirectConversation{to_conversation(rs.rows.front()), true};
  // Another call created it first; under READ COMMITTED the INSERT waited for that commit, so the
  // row is visible now.
  std::array<Value, 1> by_key{key};
  ResultSet existing = co_await db.execute(q_.find_by_direct_key, by_key);
  co_return DirectConversation{to_conversation(existing.one()), false};
}

awaitable<std::optional<ConversationWithMember>> ConversationRepository::find_with_member(Executor& db, std::int64_t id,
                                                                                          std::int64_t user_id) {
  co_return co_await read(db, read_with_member(id, user_id));
}

Read<std::optional<ConversationWithMember>> ConversationRepository::read_with_member(std::int64_t id,
                                                                                   std::int64_t user_id) const {
  return {q_.find_with_member, {id, user_id}, [](const ResultSet& rs) -> std::optional<ConversationWithMember> {
            if (rs.empty()) return std::nullopt;
            const Row& r = rs.rows.front();
            ConversationWithMember out{.conversation = to_conversation(r), .member = std::nullopt};
            if (!r.is_null(kConvColumns)) out.member = member_from_row(r, kConvColumns);
            return out;
          }};
}

awaitable<std::optional<Conversation>> ConversationRepository::find_by_id(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_return first_conversation(co_await db.execute(q_.find_by_id, params));
}

awaitable<std::optional<Conversation>> ConversationRepository::find_direct(Executor& db, std::int64_t a,
                                                                           std::int64_t b) {
  std::array<Value, 1> params{direct_key(a, b)};
  co_return first_conversation(co_await db.execute(q_.find_by_direct_key, params));
}

awaitable<std::vector<ConversationSummary>> ConversationRepository::list_for_user(
    Executor& db, std::int64_t user_id, std::optional<std::string> kind, std::optional<ConversationCursor> after,
    int limit, std::string_view q) {
  ConversationCursor cursor = after.value_or(ConversationCursor{kNoUpperId, kNoUpperId});
  std::array<Value, 6> params{user_id,
                              kind.value_or(""),
                              cursor.activity_id,
                              cursor.conversation_id,
                              std::int64_t{clamp_limit(limit)},
                              q.empty() ? std::string() : contains_pattern(q)};
  ResultSet rs = co_await db.execute(q_.list_for_user, params);
  std::vector<ConversationSummary> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(to_summary(r));
  co_return out;
}

awaitable<std::optional<ConversationSummary>> ConversationRepository::summary(Executor& db,
                                                                              std::int64_t conversation_id,
                                                                              std::int64_t viewer_id) {
  std::array<Value, 2> params{conversation_id, viewer_id};
  ResultSet rs = co_await db.execute(q_.summary, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_summary(rs.rows.front());
}

awaitable<std::vector<PublicChannel>> ConversationRepository::browse_public(Executor& db, std::int64_t user_id,
                                                                            std::string_view q,
                                                                            std::optional<ChannelCursor> after,
                                                                            int limit) {
  // Names are at least one character, so ("", 0) precedes every row.
  ChannelCursor cursor = after.value_or(ChannelCursor{"", 0});
  std::array<Value, 5> params{user_id, contains_pattern(q), cursor.name, cursor.conversation_id,
                              std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.browse_public, params);
  std::vector<PublicChannel> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(PublicChannel{to_conversation(r), r.int64(kConvColumns)});
  co_return out;
}

awaitable<std::optional<Conversation>> ConversationRepository::update(Executor& db, std::int64_t id,
                                                                      const ConversationUpdate& update) {
  std::array<Value, 3> params{id, opt(update.name), opt(update.topic)};
  co_return first_conversation(co_await db.execute(q_.update, params));
}

awaitable<std::optional<Conversation>> ConversationRepository::archive(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_return first_conversation(co_await db.execute(q_.archive, params));
}

}  // namespace parley::db::repositories
