#include "db/repositories/user_event_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// PostgreSQL does both steps in one statement: the counters are bumped in recipient order (the
// lock order) and the bumped values feed the log rows. ON CONFLICT cannot touch a row twice,
// hence distinct recipients.
constexpr Query kPgAppend{"user_events.append",
                          "WITH bumped AS ("
                          " INSERT INTO user_event_counters AS c (user_id, last_event_id)"
                          " SELECT r.id, 1 FROM unnest(CAST($1 AS bigint[])) AS r(id) ORDER BY r.id"
                          " ON CONFLICT (user_id) DO UPDATE SET last_event_id = c.last_event_id + 1"
                          " RETURNING c.user_id, c.last_event_id) "
                          "INSERT INTO user_events (user_id, event_id, type, payload)"
                          " SELECT user_id, last_event_id, $2, CAST($3 AS jsonb) FROM bumped "
                          "RETURNING user_id, event_id"};
// SQLite has one writer, so two statements in the caller's transaction are as good. "WHERE true"
// resolves the parser ambiguity of an upsert fed by a SELECT.
constexpr Query kSqliteBump{"user_events.bump_counters",
                            "INSERT INTO user_event_counters (user_id, last_event_id)"
                            " SELECT value, 1 FROM json_each($1) WHERE true"
                            " ON CONFLICT (user_id) DO UPDATE SET last_event_id = last_event_id + 1"};
constexpr Query kSqliteAppend{"user_events.append",
                              "INSERT INTO user_events (user_id, event_id, type, payload)"
                              " SELECT c.user_id, c.last_event_id, $2, $3 FROM user_event_counters c"
                              " WHERE c.user_id IN (SELECT value FROM json_each($1)) RETURNING user_id, event_id"};

#define PARLEY_SQL_AFTER(TIME, NOW) \
  "SELECT event_id, type, CAST(payload AS text), " TIME("created_at") " FROM user_events "     \
  "WHERE user_id = $1 AND event_id > $2 ORDER BY event_id LIMIT $3"
constexpr DualQuery kAfter = PARLEY_DUAL("user_events.after", PARLEY_SQL_AFTER);

constexpr Query kLastEventId{"user_events.last_event_id",
                             "SELECT last_event_id FROM user_event_counters WHERE user_id = $1"};

}  // namespace

UserEventRepository::UserEventRepository(Dialect d) : dialect_(d), after_(kAfter.pick(d)) {}

awaitable<std::vector<LoggedEvent>> UserEventRepository::append(Executor& db, std::span<const std::int64_t> recipients,
                                                                std::string_view type, std::string_view payload_json) {
  std::vector<LoggedEvent> out;
  if (recipients.empty()) co_return out;
  std::array<Value, 3> params{id_list_param(dialect_, recipients), std::string(type), std::string(payload_json)};
  if (dialect_ == Dialect::sqlite) {
    std::array<Value, 1> ids{params[0]};
    co_await db.execute(kSqliteBump, ids);
  }
  ResultSet rs = co_await db.execute(dialect_ == Dialect::postgres ? kPgAppend : kSqliteAppend, params);
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(LoggedEvent{r.int64(0), r.int64(1)});
  co_return out;
}

awaitable<std::vector<StoredEvent>> UserEventRepository::after(Executor& db, std::int64_t user_id,
                                                               std::int64_t after_event_id, int limit) {
  std::array<Value, 3> params{user_id, after_event_id, std::int64_t{clamp_limit(limit, 1000)}};
  ResultSet rs = co_await db.execute(after_, params);
  std::vector<StoredEvent> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(StoredEvent{r.int64(0), r.text(1), r.text(2), r.text(3)});
  co_return out;
}

awaitable<std::int64_t> UserEventRepository::last_event_id(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(kLastEventId, params);
  co_return rs.empty() ? 0 : rs.rows.front().int64(0);
}

}  // namespace parley::db::repositories
