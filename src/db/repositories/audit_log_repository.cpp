#include "db/repositories/audit_log_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_AUDIT_COLUMNS(TIME) \
  "id, actor_id, action, target_type, target_id, ip, request_id, details, " TIME("created_at")

#define PARLEY_SQL_RECORD(TIME, NOW)                                                           \
  "INSERT INTO audit_log (actor_id, action, target_type, target_id, ip, request_id, details) " \
  "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " PARLEY_AUDIT_COLUMNS(TIME)
// ($1 before id, $2 actor, $3 action, $4 target type, $5 target id, $6 limit; NULL = no filter.)
// A NULL filter folds away in the plan built for the bound values: an actor filter walks
// audit_log_actor_idx (actor_id, id) backwards, a target filter audit_log_target_idx, none the
// primary key.
#define PARLEY_SQL_LIST(TIME, NOW) \
  "SELECT " PARLEY_AUDIT_COLUMNS(TIME) " FROM audit_log WHERE id < $1 "                               \
  "AND (CAST($2 AS bigint) IS NULL OR actor_id = $2) "                                                \
  "AND (CAST($3 AS text) IS NULL OR action = $3) "                                                    \
  "AND (CAST($4 AS text) IS NULL OR (target_type = $4 AND target_id = $5)) "                          \
  "ORDER BY id DESC LIMIT $6"

constexpr DualQuery kRecord = PARLEY_DUAL("audit_log.record", PARLEY_SQL_RECORD);
constexpr DualQuery kList = PARLEY_DUAL("audit_log.list", PARLEY_SQL_LIST);

#undef PARLEY_AUDIT_COLUMNS
#undef PARLEY_SQL_RECORD
#undef PARLEY_SQL_LIST

AuditRecord to_record(const Row& r) {
  AuditRecord rec{.id = r.int64(0),
                  .actor_id = r.opt_int64(1),
                  .action = r.text(2),
                  .target = std::nullopt,
                  .ip = r.opt_text(5),
                  .request_id = r.opt_text(6),
                  .details_json = r.text(7),
                  .created_at = r.text(8)};
  if (!r.is_null(3)) rec.target = AuditTarget{.type = r.text(3), .id = r.int64(4)};
  return rec;
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }
Value opt(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

AuditLogRepository::AuditLogRepository(Dialect d) : q_{.record = kRecord.pick(d), .list = kList.pick(d)} {}

awaitable<AuditRecord> AuditLogRepository::record(Executor& db, const AuditEntry& entry) {
  std::array<Value, 7> params{opt(entry.actor_id),
                              entry.action,
                              entry.target ? Value{entry.target->type} : Value{nullptr},
                              entry.target ? Value{entry.target->id} : Value{nullptr},
                              opt(entry.ip),
                              opt(entry.request_id),
                              entry.details_json};
  co_return to_record((co_await db.execute(q_.record, params)).one());
}

awaitable<std::vector<AuditRecord>> AuditLogRepository::list(Executor& db, const AuditFilter& filter,
                                                             std::optional<std::int64_t> before_id, int limit) {
  std::array<Value, 6> params{before_id.value_or(kNoUpperId),
                              opt(filter.actor_id),
                              opt(filter.action),
                              filter.target ? Value{filter.target->type} : Value{nullptr},
                              filter.target ? Value{filter.target->id} : Value{nullptr},
                              std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list, params);
  std::vector<AuditRecord> records;
  records.reserve(rs.rows.size());
  for (const Row& r : rs.rows) records.push_back(to_record(r));
  co_return records;
}

}  // namespace parley::db::repositories
