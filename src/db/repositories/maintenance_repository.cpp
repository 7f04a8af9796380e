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

#undef PARLEY_SQL_SESSIONS
#undef PARLEY_SQL_REFRESH
#undef PARLEY_SQL_RESETS
#undef PARLEY_SQL_TICKETS

}  // namespace

MaintenanceRepository::MaintenanceRepository(Dialect d)
    : q_{.sessions = kSessions.pick(d),
         .refresh_tokens = kRefresh.pick(d),
         .password_resets = kResets.pick(d),
         .realtime_tickets = kTickets.pick(d)} {}

awaitable<std::int64_t> MaintenanceRepository::delete_dead_sessions(Executor& db, double revoked_grace_seconds) {
  // The cutoff as RFC 3339 from the database clock would need a third macro shape; the
  // application's clock is precise enough for a grace measured in days.
  const auto cutoff =
      std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                             std::chrono::duration<double>(revoked_grace_seconds));
  std::array<Value, 1> params{format_rfc3339(cutoff)};
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

}  // namespace parley::db::repositories
