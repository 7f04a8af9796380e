#include "db/repositories/oidc_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_OIDC_IDENTITY_COLUMNS(TIME) \
  "id, user_id, provider, subject, email, " TIME("created_at") ", " TIME("last_login_at")

#define PARLEY_SQL_SAVE_STATE(TIME, NOW, AT)                                                             \
  "INSERT INTO oidc_login_states (state_hash, provider, nonce, code_verifier, redirect_to, expires_at) " \
  "VALUES ($1, $2, $3, $4, $5, " AT("$6") ")"
// Primary key (state_hash).
#define PARLEY_SQL_CONSUME_STATE(TIME, NOW, AT)                            \
  "DELETE FROM oidc_login_states WHERE state_hash = $1 AND provider = $2 " \
  "AND expires_at > " AT("$3") " RETURNING provider, nonce, code_verifier, redirect_to, " TIME("expires_at")
// oidc_login_states_expires_idx.
#define PARLEY_SQL_PURGE_STATES(TIME, NOW, AT) "DELETE FROM oidc_login_states WHERE expires_at <= " AT("$1")
#define PARLEY_SQL_LINK(TIME, NOW)                                                           \
  "INSERT INTO oidc_identities (user_id, provider, subject, email) VALUES ($1, $2, $3, $4) " \
  "RETURNING " PARLEY_OIDC_IDENTITY_COLUMNS(TIME)
// oidc_identities_provider_subject_key.
#define PARLEY_SQL_RECORD_LOGIN(TIME, NOW)          \
  "UPDATE oidc_identities SET last_login_at = " NOW \
  ", email = $3 "                                   \
  "WHERE provider = $1 AND subject = $2 RETURNING user_id"
// oidc_identities_user_idx.
#define PARLEY_SQL_LIST_FOR_USER(TIME, NOW) \
  "SELECT " PARLEY_OIDC_IDENTITY_COLUMNS(TIME) " FROM oidc_identities WHERE user_id = $1 ORDER BY id"

constexpr DualQuery kSaveState = PARLEY_DUAL_AT("oidc.save_state", PARLEY_SQL_SAVE_STATE);
constexpr DualQuery kConsumeState = PARLEY_DUAL_AT("oidc.consume_state", PARLEY_SQL_CONSUME_STATE);
constexpr DualQuery kPurgeStates = PARLEY_DUAL_AT("oidc.purge_expired_states", PARLEY_SQL_PURGE_STATES);
constexpr DualQuery kLink = PARLEY_DUAL("oidc.link_identity", PARLEY_SQL_LINK);
constexpr DualQuery kRecordLogin = PARLEY_DUAL("oidc.record_login", PARLEY_SQL_RECORD_LOGIN);
constexpr DualQuery kListForUser = PARLEY_DUAL("oidc.list_for_user", PARLEY_SQL_LIST_FOR_USER);
// oidc_identities_provider_subject_key.
constexpr Query kFindUser{"oidc.find_user_by_identity",
                          "SELECT user_id FROM oidc_identities WHERE provider = $1 AND subject = $2"};
// oidc_identities_user_idx.
constexpr Query kUnlink{"oidc.unlink", "DELETE FROM oidc_identities WHERE user_id = $1 AND provider = $2"};

#undef PARLEY_SQL_SAVE_STATE
#undef PARLEY_SQL_CONSUME_STATE
#undef PARLEY_SQL_PURGE_STATES
#undef PARLEY_SQL_LINK
#undef PARLEY_SQL_RECORD_LOGIN
#undef PARLEY_SQL_LIST_FOR_USER
#undef PARLEY_OIDC_IDENTITY_COLUMNS

Value optional_text(const std::optional<std::string>& text) { return text ? Value(*text) : Value(nullptr); }

OidcIdentity identity_from(const Row& r) {
  return OidcIdentity{.id = r.int64(0),
                      .user_id = r.int64(1),
                      .provider = r.text(2),
                      .subject = r.text(3),
                      .email = r.opt_text(4),
                      .created_at = r.text(5),
                      .last_login_at = r.opt_text(6)};
}

}  // namespace

OidcRepository::OidcRepository(Dialect d)
    : q_{.save_state = kSaveState.pick(d),
         .consume_state = kConsumeState.pick(d),
         .purge_expired_states = kPurgeStates.pick(d),
         .link_identity = kLink.pick(d),
         .find_user_by_identity = kFindUser,
         .record_login = kRecordLogin.pick(d),
         .list_for_user = kListForUser.pick(d),
         .unlink = kUnlink} {}

awaitable<void> OidcRepository::save_state(Executor& db, const NewOidcLoginState& s) {
  std::array<Value, 6> params{s.state_key, s.provider, s.nonce, s.code_verifier, optional_text(s.redirect_to),
                              s.expires_at};
  co_await db.execute(q_.save_state, params);
}

awaitable<std::optional<OidcLoginState>> OidcRepository::consume_state(Executor& db, std::string_view state_key,
                                                                       std::string_view provider,
                                                                       std::string_view now) {
  std::array<Value, 3> params{std::string(state_key), std::string(provider), std::string(now)};
  ResultSet rs = co_await db.execute(q_.consume_state, params);
  if (rs.empty()) co_return std::nullopt;
  const Row& r = rs.rows.front();
  co_return OidcLoginState{.provider = r.text(0),
                           .nonce = r.text(1),
                           .code_verifier = r.text(2),
                           .redirect_to = r.opt_text(3),
                           .expires_at = r.text(4)};
}

awaitable<std::int64_t> OidcRepository::purge_expired_states(Executor& db, std::string_view now) {
  std::array<Value, 1> params{std::string(now)};
  ResultSet rs = co_await db.execute(q_.purge_expired_states, params);
  co_return rs.affected_rows;
}

awaitable<OidcIdentity> OidcRepository::link_identity(Executor& db, const NewOidcIdentity& identity) {
  std::array<Value, 4> params{identity.user_id, identity.provider, identity.subject, optional_text(identity.email)};
  ResultSet rs = co_await db.execute(q_.link_identity, params);
  co_return identity_from(rs.one());
}

awaitable<std::optional<std::int64_t>> OidcRepository::find_user_by_identity(Executor& db, std::string_view provider,
                                                                             std::string_view subject) {
  std::array<Value, 2> params{std::string(provider), std::string(subject)};
  ResultSet rs = co_await db.execute(q_.find_user_by_identity, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<std::optional<std::int64_t>> OidcRepository::record_login(Executor& db, std::string_view provider,
                                                                    std::string_view subject,
                                                                    std::optional<std::string> email) {
  std::array<Value, 3> params{std::string(provider), std::string(subject), optional_text(email)};
  ResultSet rs = co_await db.execute(q_.record_login, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<std::vector<OidcIdentity>> OidcRepository::list_for_user(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.list_for_user, params);
  std::vector<OidcIdentity> out;
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(identity_from(r));
  co_return out;
}

awaitable<bool> OidcRepository::unlink(Executor& db, std::int64_t user_id, std::string_view provider) {
  std::array<Value, 2> params{user_id, std::string(provider)};
  ResultSet rs = co_await db.execute(q_.unlink, params);
  co_return rs.affected_rows > 0;
}

}  // namespace parley::db::repositories
