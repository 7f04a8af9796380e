#include "db/repositories/refresh_token_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_FAMILY_COLUMNS(TIME, p)                                                                               \
  p "id, " p "user_id, " TIME(p "created_at") ", " TIME(p "revoked_at") ", " p "revoked_reason, " p "user_agent, " p \
                                                                        "ip"
#define PARLEY_TOKEN_COLUMNS(TIME, p) \
  p "id, " p "family_id, " TIME(p "issued_at") ", " TIME(p "expires_at") ", " TIME(p "used_at")

#define PARLEY_SQL_CREATE_FAMILY(TIME, NOW)                                           \
  "INSERT INTO refresh_token_families (user_id, user_agent, ip) VALUES ($1, $2, $3) " \
  "RETURNING " PARLEY_FAMILY_COLUMNS(TIME, "")
#define PARLEY_SQL_INSERT_TOKEN(TIME, NOW, AT) \
  "INSERT INTO refresh_tokens (family_id, token_hash, expires_at) VALUES ($1, $2, " AT("$3") ") " \
  "RETURNING " PARLEY_TOKEN_COLUMNS(TIME, "")
// refresh_tokens_hash_key. An unreadable `now` ($2) counts as expired.
#define PARLEY_SQL_FIND_BY_HASH(TIME, NOW, AT) \
  "SELECT " PARLEY_TOKEN_COLUMNS(TIME, "t.") ", " PARLEY_FAMILY_COLUMNS(TIME, "f.") ", u.is_active, " \
  "COALESCE(t.expires_at <= " AT("$2") ", true) "                                                 \
  "FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id "                    \
  "JOIN users u ON u.id = f.user_id WHERE t.token_hash = $1"
// The compare-and-set of rotation: a concurrent second UPDATE of the same row re-checks
// used_at IS NULL after the first commits and matches nothing.
#define PARLEY_SQL_MARK_USED(TIME, NOW)      \
  "UPDATE refresh_tokens SET used_at = " NOW \
  " WHERE id = $1 AND used_at IS NULL "      \
  "AND family_id IN (SELECT id FROM refresh_token_families WHERE revoked_at IS NULL) RETURNING family_id"
#define PARLEY_SQL_REVOKE_FAMILY(TIME, NOW)             \
  "UPDATE refresh_token_families SET revoked_at = " NOW \
  ", revoked_reason = $2 WHERE id = $1 "                \
  "AND revoked_at IS NULL"
// refresh_token_families_user_idx (partial: unrevoked families of a user).
#define PARLEY_SQL_REVOKE_ALL(TIME, NOW)                \
  "UPDATE refresh_token_families SET revoked_at = " NOW \
  ", revoked_reason = $2 WHERE user_id = $1 "           \
  "AND revoked_at IS NULL"

constexpr DualQuery kCreateFamily = PARLEY_DUAL("refresh_tokens.create_family", PARLEY_SQL_CREATE_FAMILY);
constexpr DualQuery kInsertToken = PARLEY_DUAL_AT("refresh_tokens.insert_token", PARLEY_SQL_INSERT_TOKEN);
constexpr DualQuery kFindByHash = PARLEY_DUAL_AT("refresh_tokens.find_by_hash", PARLEY_SQL_FIND_BY_HASH);
constexpr DualQuery kMarkUsed = PARLEY_DUAL("refresh_tokens.mark_used", PARLEY_SQL_MARK_USED);
constexpr DualQuery kRevokeFamily = PARLEY_DUAL("refresh_tokens.revoke_family", PARLEY_SQL_REVOKE_FAMILY);
constexpr DualQuery kRevokeAll = PARLEY_DUAL("refresh_tokens.revoke_all_for_user", PARLEY_SQL_REVOKE_ALL);
// Why a rotation matched nothing.
constexpr Query kRotateState{"refresh_tokens.rotate_state",
                             "SELECT t.used_at IS NOT NULL, f.revoked_at IS NOT NULL FROM refresh_tokens t "
                             "JOIN refresh_token_families f ON f.id = t.family_id WHERE t.id = $1"};

#undef PARLEY_FAMILY_COLUMNS
#undef PARLEY_TOKEN_COLUMNS
#undef PARLEY_SQL_CREATE_FAMILY
#undef PARLEY_SQL_INSERT_TOKEN
#undef PARLEY_SQL_FIND_BY_HASH
#undef PARLEY_SQL_MARK_USED
#undef PARLEY_SQL_REVOKE_FAMILY
#undef PARLEY_SQL_REVOKE_ALL

// Columns from `at`: id, family_id, issued_at, expires_at, used_at.
RefreshToken to_token(const Row& r, std::size_t at = 0) {
  return RefreshToken{.id = r.int64(at),
                      .family_id = r.int64(at + 1),
                      .issued_at = r.text(at + 2),
                      .expires_at = r.text(at + 3),
                      .used_at = r.opt_text(at + 4)};
}

// Columns from `at`: id, user_id, created_at, revoked_at, revoked_reason, user_agent, ip.
RefreshTokenFamily to_family(const Row& r, std::size_t at = 0) {
  return RefreshTokenFamily{.id = r.int64(at),
                            .user_id = r.int64(at + 1),
                            .created_at = r.text(at + 2),
                            .revoked_at = r.opt_text(at + 3),
                            .revoked_reason = r.opt_text(at + 4),
                            .user_agent = r.opt_text(at + 5),
                            .ip = r.opt_text(at + 6)};
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

std::string_view to_string(RefreshRevokeReason reason) noexcept {
  switch (reason) {
    case RefreshRevokeReason::logout:
      return "logout";
    case RefreshRevokeReason::reuse_detected:
      return "reuse_detected";
    case RefreshRevokeReason::deactivated:
      return "deactivated";
    case RefreshRevokeReason::password_changed:
      return "password_changed";
  }
  return "logout";
}

RefreshTokenRepository::RefreshTokenRepository(Dialect d)
    : q_{.create_family = kCreateFamily.pick(d),
         .insert_token = kInsertToken.pick(d),
         .find_by_hash = kFindByHash.pick(d),
         .mark_used = kMarkUsed.pick(d),
         .rotate_state = kRotateState,
         .revoke_family = kRevokeFamily.pick(d),
         .revoke_all_for_user = kRevokeAll.pick(d)} {}

awaitable<CreatedRefreshFamily> RefreshTokenRepository::create_family(Executor& db, const NewRefreshFamily& family) {
  std::array<Value, 3> family_params{family.user_id, opt(family.user_agent), opt(family.ip)};
  RefreshTokenFamily created = to_family((co_await db.execute(q_.create_family, family_params)).one());
  std::array<Value, 3> token_params{created.id, family.token_hash, family.expires_at};
  RefreshToken token = to_token((co_await db.execute(q_.insert_token, token_params)).one());
  co_return CreatedRefreshFamily{.family = std::move(created), .token = std::move(token)};
}

awaitable<std::optional<RefreshTokenLookup>> RefreshTokenRepository::find_by_hash(Executor& db,
                                                                                  std::string_view token_hash,
                                                                                  std::string_view now) {
  std::array<Value, 2> params{std::string(token_hash), std::string(now)};
  ResultSet rs = co_await db.execute(q_.find_by_hash, params);
  if (rs.empty()) co_return std::nullopt;
  const Row& r = rs.rows.front();
  RefreshTokenLookup found{.token = to_token(r, 0), .family = to_family(r, 5)};
  found.user_is_active = r.boolean(12);
  found.expired = r.boolean(13);
  found.family_revoked = found.family.revoked_at.has_value();
  found.used = found.token.used_at.has_value();
  co_return found;
}

awaitable<RotateResult> RefreshTokenRepository::rotate(Executor& db, std::int64_t old_token_id,
                                                       std::string_view new_hash, std::string_view new_expires_at) {
  std::array<Value, 1> id{old_token_id};
  ResultSet marked = co_await db.execute(q_.mark_used, id);
  if (marked.empty()) {
    ResultSet state = co_await db.execute(q_.rotate_state, id);
    if (state.empty()) co_return RotateResult{.status = RotateStatus::not_found};
    const Row& r = state.rows.front();
    // A used token is reuse even when its family was revoked since.
    co_return RotateResult{.status = r.boolean(0) ? RotateStatus::already_used : RotateStatus::family_revoked};
  }
  std::array<Value, 3> params{marked.rows.front().int64(0), std::string(new_hash), std::string(new_expires_at)};
  RefreshToken token = to_token((co_await db.execute(q_.insert_token, params)).one());
  co_return RotateResult{.status = RotateStatus::rotated, .token = std::move(token)};
}

awaitable<bool> RefreshTokenRepository::revoke_family(Executor& db, std::int64_t family_id,
                                                      RefreshRevokeReason reason) {
  std::array<Value, 2> params{family_id, std::string(to_string(reason))};
  ResultSet rs = co_await db.execute(q_.revoke_family, params);
  co_return rs.affected_rows > 0;
}

awaitable<std::int64_t> RefreshTokenRepository::revoke_all_for_user(Executor& db, std::int64_t user_id,
                                                                    RefreshRevokeReason reason) {
  std::array<Value, 2> params{user_id, std::string(to_string(reason))};
  ResultSet rs = co_await db.execute(q_.revoke_all_for_user, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
