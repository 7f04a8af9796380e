#include "db/repositories/notification_repository.hpp"

#include <algorithm>
#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// A statement written once as a macro of (TIME, NOW, MESSAGE_ID) for both dialects; MESSAGE_ID is
// the message id inside a message.created event's payload (the message JSON).
#define PARLEY_DUAL_NOTIFY(name, sql_macro)                                                                  \
  DualQuery {                                                                                                \
    name, sql_macro(PARLEY_PG_TIME, PARLEY_PG_NOW, "CAST(e.payload ->> 'id' AS bigint)"),                    \
        sql_macro(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW, "CAST(json_extract(e.payload, '$.id') AS INTEGER)") \
  }

// The messages of the span (events by position: the primary key / UNIQUE index), then three
// disjoint kinds of candidates, each read by an index: the members of a direct conversation
// (conversation_members PK), the users a message mentions (mentions PK), and the users with "all"
// who are members (user_settings_all_idx, then the members PK). The final SELECT applies what
// every candidate must pass. Its WHERE also lets SQLite parse ON CONFLICT after a SELECT.
#define PARLEY_SQL_ADD_PENDING(TIME, NOW, MESSAGE_ID)                                                     \
  "WITH msgs AS (SELECT e.position, m.id, m.conversation_id, m.sender_id, c.kind FROM events e "          \
  "JOIN messages m ON m.id = " MESSAGE_ID                                                                 \
  " JOIN conversations c ON c.id = m.conversation_id "                                                    \
  "WHERE e.position > $1 AND e.position <= $2 AND e.type = 'message.created' AND m.deleted_at IS NULL), " \
  "cand AS ("                                                                                             \
  "SELECT x.position, x.id, x.conversation_id, x.sender_id, cm.user_id, 'direct' AS reason FROM msgs x "  \
  "JOIN conversation_members cm ON cm.conversation_id = x.conversation_id WHERE x.kind = 'direct' "       \
  "AND NOT cm.muted "                                                                                     \
  "UNION ALL SELECT x.position, x.id, x.conversation_id, x.sender_id, mn.user_id, 'mention' FROM msgs x " \
  "JOIN mentions mn ON mn.message_id = x.id WHERE x.kind <> 'direct' "                                    \
  "UNION ALL SELECT x.position, x.id, x.conversation_id, x.sender_id, st.user_id, 'all' FROM msgs x "     \
  "JOIN user_settings st ON st.email_notifications = 'all' "                                              \
  "JOIN conversation_members cm ON cm.conversation_id = x.conversation_id AND cm.user_id = st.user_id "   \
  "WHERE x.kind <> 'direct' AND NOT cm.muted AND NOT EXISTS "                                             \
  "(SELECT 1 FROM mentions mn WHERE mn.message_id = x.id AND mn.user_id = st.user_id)) "                  \
  "INSERT INTO notification_pending (user_id, message_id, reason) "                                       \
  "SELECT k.user_id, k.id, k.reason FROM cand k "                                                         \
  "JOIN conversation_members cm ON cm.conversation_id = k.conversation_id AND cm.user_id = k.user_id "    \
  "JOIN users u ON u.id = k.user_id LEFT JOIN user_settings st ON st.user_id = k.user_id "                \
  "WHERE k.user_id <> k.sender_id AND cm.banned_at IS NULL AND k.position > cm.events_from "              \
  "AND u.is_active AND NOT u.is_bot "                                                                     \
  "AND (cm.last_read_message_id IS NULL OR cm.last_read_message_id < k.id) "                              \
  "AND COALESCE(st.email_notifications, 'mentions') <> 'none' "                                           \
  "ON CONFLICT (user_id, message_id) DO NOTHING RETURNING user_id"

// Inserts or flips the flag; RETURNING yields a row only when it was not set. On PostgreSQL the
// conflicting row is locked even when the DO UPDATE's WHERE is false.
#define PARLEY_SQL_SCHEDULE(TIME, NOW, MESSAGE_ID)                                                      \
  "INSERT INTO notification_state (user_id, digest_scheduled) VALUES ($1, true) ON CONFLICT (user_id) " \
  "DO UPDATE SET digest_scheduled = true WHERE notification_state.digest_scheduled = false RETURNING user_id"

// notification_pending PK (user_id, ...). The setting is read again: a user who chose "none" or
// "mentions" since the message arrived gets what they chose now.
#define PARLEY_SQL_DIGEST_ROWS(TIME, NOW, MESSAGE_ID) \
  "SELECT m.id, m.conversation_id, c.kind, COALESCE(c.name, ''), s.username, s.display_name, m.body, "       \
  TIME("m.created_at") ", p.reason FROM notification_pending p "                                             \
  "JOIN messages m ON m.id = p.message_id JOIN conversations c ON c.id = m.conversation_id "                 \
  "JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = p.user_id "       \
  "JOIN users u ON u.id = p.user_id JOIN users s ON s.id = m.sender_id "                                     \
  "LEFT JOIN user_settings st ON st.user_id = p.user_id "                                                    \
  "WHERE p.user_id = $1 AND p.digest_job_id = $2 AND m.deleted_at IS NULL AND cm.banned_at IS NULL "        \
  "AND (cm.last_read_message_id IS NULL OR cm.last_read_message_id < m.id) "                                 \
  "AND (u.last_seen_at IS NULL OR u.last_seen_at < m.created_at) "                                           \
  "AND (p.reason = 'mention' OR NOT cm.muted) "                                                              \
  "AND CASE COALESCE(st.email_notifications, 'mentions') WHEN 'all' THEN 1 "                                 \
  "WHEN 'mentions' THEN CASE WHEN p.reason = 'all' THEN 0 ELSE 1 END ELSE 0 END = 1 "                        \
  "ORDER BY m.conversation_id, m.id"

#define PARLEY_SQL_RECORD_SENT(TIME, NOW, MESSAGE_ID) \
  "UPDATE notification_state SET last_digest_at = " NOW ", digests_sent = digests_sent + 1 WHERE user_id = $1"

constexpr DualQuery kLockCursor{"notifications.lock_cursor",
                                "SELECT last_position FROM notification_dispatch FOR UPDATE",
                                "SELECT last_position FROM notification_dispatch"};
constexpr Query kAdvanceCursor{"notifications.advance_cursor", "UPDATE notification_dispatch SET last_position = $1"};
constexpr Query kLastEventWithin{
    "notifications.last_event_within",
    "SELECT max(position) FROM events WHERE position > $1 AND position <= $1 + CAST($2 AS bigint)"};
constexpr DualQuery kAddPending = PARLEY_DUAL_NOTIFY("notifications.add_pending", PARLEY_SQL_ADD_PENDING);
constexpr DualQuery kSchedule = PARLEY_DUAL_NOTIFY("notifications.schedule", PARLEY_SQL_SCHEDULE);
constexpr Query kUnschedule{"notifications.unschedule",
                            "UPDATE notification_state SET digest_scheduled = false WHERE user_id = $1"};
constexpr Query kTake{"notifications.take",
                      "UPDATE notification_pending SET digest_job_id = $2 WHERE user_id = $1 "
                      "AND (digest_job_id IS NULL OR digest_job_id = $2)"};
constexpr DualQuery kDigestRows = PARLEY_DUAL_NOTIFY("notifications.digest_rows", PARLEY_SQL_DIGEST_ROWS);
constexpr Query kDeleteTaken{"notifications.delete_taken",
                             "DELETE FROM notification_pending WHERE user_id = $1 AND digest_job_id = $2"};
constexpr DualQuery kRecordSent = PARLEY_DUAL_NOTIFY("notifications.record_sent", PARLEY_SQL_RECORD_SENT);

#undef PARLEY_DUAL_NOTIFY
#undef PARLEY_SQL_ADD_PENDING
#undef PARLEY_SQL_SCHEDULE
#undef PARLEY_SQL_DIGEST_ROWS
#undef PARLEY_SQL_RECORD_SENT

}  // namespace

NotificationRepository::NotificationRepository(Dialect d)
    : q_{.lock_cursor = kLockCursor.pick(d),
         .advance_cursor = kAdvanceCursor,
         .last_event_within = kLastEventWithin,
         .add_pending = kAddPending.pick(d),
         .schedule = kSchedule.pick(d),
         .unschedule = kUnschedule,
         .take = kTake,
         .digest_rows = kDigestRows.pick(d),
         .delete_taken = kDeleteTaken,
         .record_sent = kRecordSent.pick(d)} {}

awaitable<std::int64_t> NotificationRepository::lock_cursor(Executor& tx) {
  ResultSet rs = co_await tx.execute(q_.lock_cursor);
  co_return rs.one().int64(0);
}

awaitable<void> NotificationRepository::advance_cursor(Executor& tx, std::int64_t position) {
  std::array<Value, 1> params{position};
  co_await tx.execute(q_.advance_cursor, params);
}

awaitable<std::optional<std::int64_t>> NotificationRepository::last_event_within(Executor& tx, std::int64_t after,
                                                                                 std::int64_t span) {
  std::array<Value, 2> params{after, span};
  ResultSet rs = co_await tx.execute(q_.last_event_within, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().opt_int64(0);
}

awaitable<std::vector<std::int64_t>> NotificationRepository::add_pending(Executor& tx, std::int64_t after,
                                                                         std::int64_t upto) {
  std::array<Value, 2> params{after, upto};
  ResultSet rs = co_await tx.execute(q_.add_pending, params);
  std::vector<std::int64_t> users;
  users.reserve(rs.rows.size());
  for (const Row& r : rs.rows) users.push_back(r.int64(0));
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  co_return users;
}

awaitable<bool> NotificationRepository::schedule(Executor& tx, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await tx.execute(q_.schedule, params);
  co_return !rs.empty();
}

awaitable<std::int64_t> NotificationRepository::take(Executor& tx, std::int64_t user_id, std::int64_t job_id) {
  std::array<Value, 1> user{user_id};
  co_await tx.execute(q_.unschedule, user);
  std::array<Value, 2> params{user_id, job_id};
  ResultSet rs = co_await tx.execute(q_.take, params);
  co_return rs.affected_rows;
}

awaitable<std::vector<DigestRow>> NotificationRepository::digest_rows(Executor& db, std::int64_t user_id,
                                                                      std::int64_t job_id) {
  std::array<Value, 2> params{user_id, job_id};
  ResultSet rs = co_await db.execute(q_.digest_rows, params);
  std::vector<DigestRow> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    out.push_back(DigestRow{.message_id = r.int64(0),
                            .conversation_id = r.int64(1),
                            .conversation_kind = r.text(2),
                            .conversation_name = r.text(3),
                            .sender_username = r.text(4),
                            .sender_display_name = r.text(5),
                            .body = r.text(6),
                            .created_at = r.text(7),
                            .reason = r.text(8)});
  }
  co_return out;
}

awaitable<void> NotificationRepository::finish(Executor& tx, std::int64_t user_id, std::int64_t job_id, bool sent) {
  std::array<Value, 2> params{user_id, job_id};
  co_await tx.execute(q_.delete_taken, params);
  if (sent) {
    std::array<Value, 1> user{user_id};
    co_await tx.execute(q_.record_sent, user);
  }
}

}  // namespace parley::db::repositories
