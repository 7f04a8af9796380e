#include "accounts/personal_tokens.hpp"

#include "accounts/audit.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;

namespace {

void require_login_principal(const http::Principal& by) {
  if (by.via == http::Principal::Via::personal_token) {
    throw AppError::forbidden("Personal tokens cannot manage tokens; log in with a password.");
  }
}

}  // namespace

PersonalTokens::PersonalTokens(db::Database& db, CredentialInvalidator& credentials)
    : db_(db), credentials_(credentials), tokens_(db.dialect()), audit_log_(db.dialect()) {}

asio::awaitable<std::vector<PersonalToken>> PersonalTokens::list(std::int64_t user_id) {
  co_return co_await tokens_.list_for_user(db_, user_id);
}

void PersonalTokens::check_create_token(const http::Principal& by, const NewToken& token) {
  require_login_principal(by);
  bool wants_admin = std::find(token.scopes.begin(), token.scopes.end(), "admin") != token.scopes.end();
  if (wants_admin && !by.is_admin()) throw AppError::forbidden("Only admins can create tokens with the 'admin' scope.");
}

asio::awaitable<CreatedToken> PersonalTokens::do_create_token(http::Principal by, NewToken token, RequestMeta meta) {
  check_create_token(by, token);
  auto secret = auth::generate_personal_token();
  repo::NewPersonalToken record;
  record.user_id = by.user_id;
  record.name = token.name;
  record.token_prefix = secret.substr(0, auth::kPersonalTokenPrefix.size() + kTokenPrefixChars);
  record.token_hash = auth::token_hash(secret);
  record.scopes = token.scopes;
  if (token.expires_in_days) {
    record.expires_at = format_rfc3339(std::chrono::system_clock::now() + std::chrono::days(*token.expires_in_days));
  }
  auto tx = co_await db_.begin();
  // GCC 12 destroys temporaries inside a co_await expression twice: every argument is a named local.
  auto created = co_await tokens_.create(*tx, record);
  boost::json::array scopes;
  for (const auto& s : created.scopes) scopes.emplace_back(s);
  auto details = boost::json::serialize(boost::json::object{{"name", created.name}, {"scopes", std::move(scopes)}});
  auto entry = audit_entry(by.user_id, "token.created", repo::AuditTarget{"token", created.id}, meta, details);
  co_await audit_log_.record(*tx, entry);
  co_await tx->commit();
  co_return CreatedToken{std::move(created), std::move(secret)};
}

void PersonalTokens::check_revoke_token(const http::Principal& by) { require_login_principal(by); }

asio::awaitable<void> PersonalTokens::do_revoke_token(http::Principal by, std::int64_t token_id, RequestMeta meta) {
  check_revoke_token(by);
  auto tx = co_await db_.begin();
  if (!co_await tokens_.revoke(*tx, by.user_id, token_id)) throw AppError::not_found();
  auto entry = audit_entry(by.user_id, "token.revoked", repo::AuditTarget{"token", token_id}, meta);
  co_await audit_log_.record(*tx, entry);
  co_await tx->commit();
  co_await credentials_.user_changed(by.user_id);  // the revoked token stops working at once
}

}  // namespace parley::accounts
