#include "db/repositories/password_reset_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_SQL_CREATE(TIME, NOW, AT)                                                     \
  "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, " AT( \
      "$3") ") RETURNING id, user_id, " TIME("created_at") ", " TIME("expires_at") ", " TIME("used_at")
// password_reset_tokens_hash_key.
#define PARLEY_SQL_CONSUME(TIME, NOW, AT)           \
  "UPDATE password_reset_tokens SET used_at = " NOW \
  " WHERE token_hash = $1 AND used_at IS NULL "     \
  "AND expires_at > " AT("$2") " RETURNING user_id"
// password_reset_tokens_user_idx.
#define PARLEY_SQL_INVALIDATE_ALL(TIME, NOW) \
  "UPDATE password_reset_tokens SET used_at = " NOW " WHERE user_id = $1 AND used_at IS NULL"

constexpr DualQuery kCreate = PARLEY_DUAL_AT("password_reset.create", PARLEY_SQL_CREATE);
constexpr DualQuery kConsume = PARLEY_DUAL_AT("password_reset.consume", PARLEY_SQL_CONSUME);
constexpr DualQuery kInvalidateAll = PARLEY_DUAL("password_reset.invalidate_all_for_user", PARLEY_SQL_INVALIDATE_ALL);

#undef PARLEY_SQL_CREATE
#undef PARLEY_SQL_CONSUME
#undef PARLEY_SQL_INVALIDATE_ALL

}  // namespace

PasswordResetRepository::PasswordResetRepository(Dialect d)
    : q_{.create = kCreate.pick(d), .consume = kConsume.pick(d), .invalidate_all_for_user = kInvalidateAll.pick(d)} {}

awaitable<PasswordResetToken> PasswordResetRepository::create(Executor& db, std::int64_t user_id,
                                                              std::string_view token_hash,
                                                              std::string_view expires_at) {
  std::array<Value, 3> params{user_id, std::string(token_hash), std::string(expires_at)};
  ResultSet rs = co_await db.execute(q_.create, params);
  const Row& r = rs.one();
  co_return PasswordResetToken{.id = r.int64(0),
                               .user_id = r.int64(1),
                               .created_at = r.text(2),
                               .expires_at = r.text(3),
                               .used_at = r.opt_text(4)};
}

awaitable<std::optional<std::int64_t>> PasswordResetRepository::consume(Executor& db, std::string_view token_hash,
                                                                        std::string_view now) {
  std::array<Value, 2> params{std::string(token_hash), std::string(now)};
  ResultSet rs = co_await db.execute(q_.consume, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<std::int64_t> PasswordResetRepository::invalidate_all_for_user(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.invalidate_all_for_user, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
