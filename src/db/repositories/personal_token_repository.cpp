#include "db/repositories/personal_token_repository.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_PAT_COLUMNS(TIME, p)                                                                                \
  p "id, " p "user_id, " p "name, " p "token_prefix, " TIME(p "created_at") ", " TIME(p "last_used_at") ", " TIME( \
      p "expires_at") ", " TIME(p "revoked_at")

#define PARLEY_SQL_CREATE(TIME, NOW, AT)                                               \
  "INSERT INTO personal_tokens (user_id, name, token_prefix, token_hash, expires_at) " \
  "VALUES ($1, $2, $3, $4, " AT("$5") ") RETURNING " PARLEY_PAT_COLUMNS(TIME, "")
// personal_tokens_user_idx.
#define PARLEY_SQL_LIST(TIME, NOW) \
  "SELECT " PARLEY_PAT_COLUMNS(TIME, "") " FROM personal_tokens WHERE user_id = $1 AND revoked_at IS NULL " \
  "ORDER BY id DESC"
// personal_tokens_hash_key.
#define PARLEY_SQL_FIND_ACTIVE(TIME, NOW, AT) \
  "SELECT " PARLEY_PAT_COLUMNS(TIME, "t.") ", u.is_active FROM personal_tokens t "                 \
  "JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL "             \
  "AND (t.expires_at IS NULL OR t.expires_at > " AT("$2") ")"
#define PARLEY_SQL_TOUCH(TIME, NOW) "UPDATE personal_tokens SET last_used_at = " NOW " WHERE id = $1"
#define PARLEY_SQL_REVOKE(TIME, NOW) \
  "UPDATE personal_tokens SET revoked_at = " NOW " WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL"
#define PARLEY_SQL_REVOKE_ALL(TIME, NOW) \
  "UPDATE personal_tokens SET revoked_at = " NOW " WHERE user_id = $1 AND revoked_at IS NULL"

constexpr DualQuery kCreate = PARLEY_DUAL_AT("personal_tokens.create", PARLEY_SQL_CREATE);
constexpr DualQuery kList = PARLEY_DUAL("personal_tokens.list_for_user", PARLEY_SQL_LIST);
constexpr DualQuery kFindActive = PARLEY_DUAL_AT("personal_tokens.find_active_by_hash", PARLEY_SQL_FIND_ACTIVE);
constexpr DualQuery kTouch = PARLEY_DUAL("personal_tokens.touch_last_used", PARLEY_SQL_TOUCH);
constexpr DualQuery kRevoke = PARLEY_DUAL("personal_tokens.revoke", PARLEY_SQL_REVOKE);
constexpr DualQuery kRevokeAll = PARLEY_DUAL("personal_tokens.revoke_all_for_user", PARLEY_SQL_REVOKE_ALL);
constexpr Query kAddScope{"personal_tokens.add_scope",
                          "INSERT INTO personal_token_scopes (token_id, scope) VALUES ($1, $2)"};
// The scopes of list_for_user's tokens, in one round trip.
constexpr Query kScopesForUser{"personal_tokens.scopes_for_user",
                               "SELECT s.token_id, s.scope FROM personal_token_scopes s "
                               "JOIN personal_tokens t ON t.id = s.token_id "
                               "WHERE t.user_id = $1 AND t.revoked_at IS NULL ORDER BY s.token_id, s.scope"};
// The primary key (token_id, scope).
constexpr Query kScopesOf{"personal_tokens.scopes_of",
                          "SELECT scope FROM personal_token_scopes WHERE token_id = $1 ORDER BY scope"};

#undef PARLEY_PAT_COLUMNS
#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_LIST
#undef PARLEY_SQL_FIND_ACTIVE
#undef PARLEY_SQL_TOUCH
#undef PARLEY_SQL_REVOKE
#undef PARLEY_SQL_REVOKE_ALL

PersonalToken to_token(const Row& r) {
  return PersonalToken{.id = r.int64(0),
                       .user_id = r.int64(1),
                       .name = r.text(2),
                       .token_prefix = r.text(3),
                       .scopes = {},
                       .created_at = r.text(4),
                       .last_used_at = r.opt_text(5),
                       .expires_at = r.opt_text(6),
                       .revoked_at = r.opt_text(7)};
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

PersonalTokenRepository::PersonalTokenRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .add_scope = kAddScope,
         .list_for_user = kList.pick(d),
         .scopes_for_user = kScopesForUser,
         .find_active_by_hash = kFindActive.pick(d),
         .scopes_of = kScopesOf,
         .touch_last_used = kTouch.pick(d),
         .revoke = kRevoke.pick(d),
         .revoke_all_for_user = kRevokeAll.pick(d)} {}

awaitable<PersonalToken> PersonalTokenRepository::create(Executor& db, const NewPersonalToken& token) {
  std::array<Value, 5> params{token.user_id, token.name, token.token_prefix, token.token_hash, opt(token.expires_at)};
  PersonalToken created = to_token((co_await db.execute(q_.create, params)).one());
  std::vector<std::string> scopes = token.scopes;
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  for (const std::string& scope : scopes) {
    std::array<Value, 2> scope_params{created.id, scope};
    co_await db.execute(q_.add_scope, scope_params);
  }
  created.scopes = std::move(scopes);
  co_return created;
}

awaitable<std::vector<PersonalToken>> PersonalTokenRepository::list_for_user(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.list_for_user, params);
  ResultSet scope_rows = co_await db.execute(q_.scopes_for_user, params);
  std::map<std::int64_t, std::vector<std::string>> scopes;
  for (const Row& r : scope_rows.rows) scopes[r.int64(0)].push_back(r.text(1));
  std::vector<PersonalToken> tokens;
  tokens.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    PersonalToken t = to_token(r);
    if (auto it = scopes.find(t.id); it != scopes.end()) t.scopes = std::move(it->second);
    tokens.push_back(std::move(t));
  }
  co_return tokens;
}

awaitable<std::optional<ActivePersonalToken>> PersonalTokenRepository::find_active_by_hash(Executor& db,
                                                                                           std::string_view token_hash,
                                                                                           std::string_view now) {
  std::array<Value, 2> params{std::string(token_hash), std::string(now)};
  ResultSet rs = co_await db.execute(q_.find_active_by_hash, params);
  if (rs.empty()) co_return std::nullopt;
  ActivePersonalToken found{.token = to_token(rs.rows.front()), .owner_is_active = rs.rows.front().boolean(8)};
  std::array<Value, 1> id{found.token.id};
  ResultSet scope_rows = co_await db.execute(q_.scopes_of, id);
  for (const Row& r : scope_rows.rows) found.token.scopes.push_back(r.text(0));
  co_return found;
}

awaitable<void> PersonalTokenRepository::touch_last_used(Executor& db, std::int64_t token_id) {
  std::array<Value, 1> params{token_id};
  co_await db.execute(q_.touch_last_used, params);
}

awaitable<bool> PersonalTokenRepository::revoke(Executor& db, std::int64_t user_id, std::int64_t token_id) {
  std::array<Value, 2> params{user_id, token_id};
  ResultSet rs = co_await db.execute(q_.revoke, params);
  co_return rs.affected_rows > 0;
}

awaitable<std::int64_t> PersonalTokenRepository::revoke_all_for_user(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.revoke_all_for_user, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
