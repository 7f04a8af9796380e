#include "db/repositories/maintenance_repository.hpp"

#include <array>

#include "core/time.hpp"
#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_SQL_SESSIONS(TIME, NOW, AT) \
  "DELETE FROM sessions WHERE expires_at < " NOW " OR (revoked_at IS NOT NULL AND revoked_at < " AT("$1") ")"
#define PARLEY_SQL_REFRESH(TIME, NOW) "DELETE FROM refresh_tokens WHERE expires_at < " NOW
#define PARLEY_SQL_RESETS(TIME, NOW) "DELETE FROM password_reset_tokens WHERE expires_at < " NOW
// realtime_tickets_expires_idx.
#define PARLEY_SQL_TICKETS(TIME, NOW) "DELETE FROM realtime_tickets WHERE expires_at < " NOW

constexpr DualQuery kSessions = PARLEY_DUAL_AT("maintenance.delete_dead_sessions", PARLEY_SQL_SESSIONS);
constexpr DualQuery kRefresh = PARLEY_DUAL("maintenance.delete_expired_refresh_tokens", PARLEY_SQL_REFRESH);
constexpr DualQuery kResets = PARLEY_DUAL("maintenance.delete_expired_password_resets", PARLEY_SQL_RESETS);
constexpr DualQuery kTickets = PARLEY_DUAL("maintenance.delete_expired_realtime_tickets", PARLEY_SQL_TICKETS);

// webhook_deliveries_created_idx.
#define PARLEY_SQL_DELIVERIES(TIME, NOW, AT) \
  "DELETE FROM webhook_deliveries WHERE created_at < " AT("$1") " AND status <> 'pending'"
constexpr DualQuery kDeliveries = PARLEY_DUAL_AT("maintenance.delete_old_webhook_deliveries", PARLEY_SQL_DELIVERIES);

// messages_deleted_idx; the read-marker check uses conversation_members_last_read_idx.
#define PARLEY_SQL_PURGEABLE(TIME, NOW, AT)                                                                        \
  "SELECT m.id FROM messages m WHERE m.deleted_at IS NOT NULL AND m.deleted_at < " AT("$1")                      \
  " AND NOT EXISTS (SELECT 1 FROM messages r WHERE r.parent_id = m.id AND r.deleted_at IS NULL)"                 \
  " AND NOT EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.last_read_message_id = m.id)"                 \
  " AND NOT EXISTS (SELECT 1 FROM messages r JOIN conversation_members cm ON cm.last_read_message_id = r.id "    \
  "WHERE r.parent_id = m.id)"                                                                                   \
  " ORDER BY m.deleted_at LIMIT $2"
constexpr DualQuery kPurgeable = PARLEY_DUAL_AT("maintenance.purgeable_messages", PARLEY_SQL_PURGEABLE);
// $1 is an id list: a PostgreSQL array, a JSON array on SQLite.
#define PARLEY_ID_IN_PG(col) col " = ANY (CAST($1 AS bigint[]))"
#define PARLEY_ID_IN_SQLITE(col) col " IN (SELECT value FROM json_each($1))"
constexpr DualQuery kParentsOf{
    "maintenance.parents_of",
    "SELECT DISTINCT parent_id FROM messages WHERE " PARLEY_ID_IN_PG("id") " AND parent_id IS NOT NULL",
    "SELECT DISTINCT parent_id FROM messages WHERE " PARLEY_ID_IN_SQLITE("id") " AND parent_id IS NOT NULL"};
// After the purge: a thread's count and latest reply are those of the replies that remain (a
// reply is only ever removed by this purge, so the rows are the count).
#define PARLEY_SQL_RECOUNT(ID_IN)                                                                                \
  "UPDATE messages SET reply_count = (SELECT count(*) FROM messages r WHERE r.parent_id = messages.id), "       \
  "last_reply_at = (SELECT max(r.created_at) FROM messages r WHERE r.parent_id = messages.id) WHERE " ID_IN("id")
constexpr DualQuery kRecountReplies{"maintenance.recount_replies", PARLEY_SQL_RECOUNT(PARLEY_ID_IN_PG),
                                    PARLEY_SQL_RECOUNT(PARLEY_ID_IN_SQLITE)};
#undef PARLEY_SQL_RECOUNT
constexpr DualQuery kPurgeMessages{"maintenance.purge_messages", "DELETE FROM messages WHERE " PARLEY_ID_IN_PG("id"),
                                   "DELETE FROM messages WHERE " PARLEY_ID_IN_SQLITE("id")};
#undef PARLEY_ID_IN_PG
#undef PARLEY_ID_IN_SQLITE
// attachments_created_idx, then message_attachments_attachment_idx per candidate.
#define PARLEY_SQL_ORPHANS(TIME, NOW, AT)                                                                   \
  "DELETE FROM attachments WHERE id IN (SELECT a.id FROM attachments a WHERE a.created_at < " AT("$1")   \
  " AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id)"                \
  " ORDER BY a.created_at LIMIT $2) RETURNING storage_key"
constexpr DualQuery kOrphans = PARLEY_DUAL_AT("maintenance.delete_orphaned_attachments", PARLEY_SQL_ORPHANS);

#undef PARLEY_SQL_DELIVERIES
#undef PARLEY_SQL_PURGEABLE
#undef PARLEY_SQL_ORPHANS
#undef PARLEY_SQL_SESSIONS
#undef PARLEY_SQL_REFRESH
#undef PARLEY_SQL_RESETS
#undef PARLEY_SQL_TICKETS

// The database time `seconds` ago by the application's clock, as RFC 3339: precise enough for
// retentions measured in hours and days.
std::string seconds_ago(double seconds) {
  return format_rfc3339(std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                                std::chrono::duration<double>(seconds)));
}

}  // namespace

MaintenanceRepository::MaintenanceRepository(Dialect d)
    : dialect_(d),
      q_{.sessions = kSessions.pick(d),
         .refresh_tokens = kRefresh.pick(d),
         .password_resets = kResets.pick(d),
         .realtime_tickets = kTickets.pick(d),
         .webhook_deliveries = kDeliveries.pick(d),
         .purgeable_messages = kPurgeable.pick(d),
         .parents_of = kParentsOf.pick(d),
         .recount_replies = kRecountReplies.pick(d),
         .purge_messages = kPurgeMessages.pick(d),
         .orphaned_attachments = kOrphans.pick(d)} {}

awaitable<std::int64_t> MaintenanceRepository::delete_dead_sessions(Executor& db, double revoked_grace_seconds) {
  std::array<Value, 1> params{seconds_ago(revoked_grace_seconds)};
  ResultSet rs = co_await db.execute(q_.sessions, params);
  co_return rs.affected_rows;
}

awaitable<std::int64_t> MaintenanceRepository::delete_expired_refresh_tokens(Executor& db) {
  ResultSet rs = co_await db.execute(q_.refresh_tokens);
  co_return rs.affected_rows;
}

awaitable<std::int64_t> MaintenanceRepository::delete_expired_password_resets(Executor& db) {
  ResultSet rs = co_await db.execute(q_.password_resets);
  co_return rs.affected_rows;
}

awaitable<std::int64_t> MaintenanceRepository::delete_expired_realtime_tickets(Executor& db) {
  ResultSet rs = co_await db.execute(q_.realtime_tickets);
  co_return rs.affected_rows;
}

awaitable<std::int64_t> MaintenanceRepository::delete_old_webhook_deliveries(Executor& db, double older_than_seconds) {
  std::array<Value, 1> params{seconds_ago(older_than_seconds)};
  ResultSet rs = co_await db.execute(q_.webhook_deliveries, params);
  co_return rs.affected_rows;
}

awaitable<std::vector<std::int64_t>> MaintenanceRepository::purgeable_messages(Executor& db, double older_than_seconds,
                                                                               int limit) {
  std::array<Value, 2> params{seconds_ago(older_than_seconds), std::int64_t{limit}};
  ResultSet rs = co_await db.execute(q_.purgeable_messages, params);
  std::vector<std::int64_t> ids;
  ids.reserve(rs.rows.size());
  for (const Row& r : rs.rows) ids.push_back(r.int64(0));
  co_return ids;
}

awaitable<std::int64_t> MaintenanceRepository::purge_messages(Executor& tx, std::span<const std::int64_t> ids) {
  if (ids.empty()) co_return 0;
  std::array<Value, 1> params{id_list_param(dialect_, ids)};
  ResultSet parents = co_await tx.execute(q_.parents_of, params);
  ResultSet rs = co_await tx.execute(q_.purge_messages, params);
  if (!parents.empty()) {
    std::vector<std::int64_t> parent_ids;
    for (const Row& r : parents.rows) parent_ids.push_back(r.int64(0));
    std::array<Value, 1> recount{id_list_param(dialect_, parent_ids)};
    co_await tx.execute(q_.recount_replies, recount);
  }
  co_return rs.affected_rows;
}

awaitable<std::vector<std::string>> MaintenanceRepository::delete_orphaned_attachments(Executor& db,
                                                                                       double older_than_seconds,
                                                                                       int limit) {
  std::array<Value, 2> params{seconds_ago(older_than_seconds), std::int64_t{limit}};
  ResultSet rs = co_await db.execute(q_.orphaned_attachments, params);
  std::vector<std::string> keys;
  keys.reserve(rs.rows.size());
  for (const Row& r : rs.rows) keys.push_back(r.text(0));
  co_return keys;
}

}  // namespace parley::db::repositories
