#include "db/repositories/session_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_SESSION_COLUMNS(TIME, p)                                                                  \
  p "id, " p "user_id, " p "csrf_token_hash, " TIME(p "created_at") ", " TIME(p "expires_at") ", " TIME( \
      p "last_used_at") ", " TIME(p "revoked_at") ", " p "ip, " p "user_agent"

#define PARLEY_SQL_CREATE(TIME, NOW, AT)                                                     \
  "INSERT INTO sessions (user_id, token_hash, csrf_token_hash, expires_at, ip, user_agent) " \
  "VALUES ($1, $2, $3, " AT("$4") ", $5, $6) RETURNING " PARLEY_SESSION_COLUMNS(TIME, "")
// Every cookie-authenticated request: sessions_token_hash_key. ($1 hash, $2 now, $3 idle seconds.)
#define PARLEY_SQL_FIND_ACTIVE(TIME, AT, AT_MINUS_SECONDS) \
  "SELECT " PARLEY_SESSION_COLUMNS(TIME, "s.") ", u.is_active FROM sessions s "                       \
  "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.revoked_at IS NULL "                \
  "AND s.expires_at > " AT("$2") " AND s.last_used_at > " AT_MINUS_SECONDS("$2", "$3")
#define PARLEY_SQL_TOUCH(TIME, NOW, AT) \
  "UPDATE sessions SET last_used_at = " AT("$2") " WHERE id = $1 AND revoked_at IS NULL "          \
  "AND last_used_at < " AT("$2")
#define PARLEY_SQL_REVOKE(TIME, NOW) "UPDATE sessions SET revoked_at = " NOW " WHERE id = $1 AND revoked_at IS NULL"
// sessions_user_idx (partial: a user's live sessions).
#define PARLEY_SQL_REVOKE_ALL(TIME, NOW) \
  "UPDATE sessions SET revoked_at = " NOW " WHERE user_id = $1 AND revoked_at IS NULL"

constexpr DualQuery kCreate = PARLEY_DUAL_AT("sessions.create", PARLEY_SQL_CREATE);
constexpr DualQuery kFindActive{
    "sessions.find_active", PARLEY_SQL_FIND_ACTIVE(PARLEY_PG_TIME, PARLEY_PG_AT, PARLEY_PG_AT_MINUS_SECONDS),
    PARLEY_SQL_FIND_ACTIVE(PARLEY_SQLITE_TIME, PARLEY_SQLITE_AT, PARLEY_SQLITE_AT_MINUS_SECONDS)};
constexpr DualQuery kTouch = PARLEY_DUAL_AT("sessions.touch", PARLEY_SQL_TOUCH);
constexpr DualQuery kRevoke = PARLEY_DUAL("sessions.revoke", PARLEY_SQL_REVOKE);
constexpr DualQuery kRevokeAll = PARLEY_DUAL("sessions.revoke_all_for_user", PARLEY_SQL_REVOKE_ALL);

#undef PARLEY_SESSION_COLUMNS
#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_FIND_ACTIVE
#undef PARLEY_SQL_TOUCH
#undef PARLEY_SQL_REVOKE
#undef PARLEY_SQL_REVOKE_ALL

Session to_session(const Row& r) {
  return Session{.id = r.int64(0),
                 .user_id = r.int64(1),
                 .csrf_token_hash = r.text(2),
                 .created_at = r.text(3),
                 .expires_at = r.text(4),
                 .last_used_at = r.text(5),
                 .revoked_at = r.opt_text(6),
                 .ip = r.opt_text(7),
                 .user_agent = r.opt_text(8)};
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

SessionRepository::SessionRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .find_active = kFindActive.pick(d),
         .touch = kTouch.pick(d),
         .revoke = kRevoke.pick(d),
         .revoke_all_for_user = kRevokeAll.pick(d)} {}

awaitable<Session> SessionRepository::create(Executor& db, const NewSession& session) {
  std::array<Value, 6> params{session.user_id,    session.token_hash, session.csrf_token_hash,
                              session.expires_at, opt(session.ip),    opt(session.user_agent)};
  co_return to_session((co_await db.execute(q_.create, params)).one());
}

awaitable<std::optional<ActiveSession>> SessionRepository::find_active(Executor& db, std::string_view token_hash,
                                                                       std::string_view now,
                                                                       std::chrono::seconds idle_timeout) {
  std::array<Value, 3> params{std::string(token_hash), std::string(now),
                              static_cast<std::int64_t>(idle_timeout.count())};
  ResultSet rs = co_await db.execute(q_.find_active, params);
  if (rs.empty()) co_return std::nullopt;
  const Row& r = rs.rows.front();
  co_return ActiveSession{.session = to_session(r), .user_is_active = r.boolean(9)};
}

awaitable<bool> SessionRepository::touch(Executor& db, std::int64_t session_id, std::string_view now) {
  std::array<Value, 2> params{session_id, std::string(now)};
  ResultSet rs = co_await db.execute(q_.touch, params);
  co_return rs.affected_rows > 0;
}

awaitable<bool> SessionRepository::revoke(Executor& db, std::int64_t session_id) {
  std::array<Value, 1> params{session_id};
  ResultSet rs = co_await db.execute(q_.revoke, params);
  co_return rs.affected_rows > 0;
}

awaitable<std::int64_t> SessionRepository::revoke_all_for_user(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.revoke_all_for_user, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
