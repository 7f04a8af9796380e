#pragma once
// Personal and bot tokens (`pat_...`): listing, creation and revocation for their owner.
//
// The secret is 256 random bits, returned once by do_create_token and never stored: the database
// keeps its SHA-256 hash and a short display prefix. Authentication with a token is
// Accounts::authenticate_bearer; scopes are enforced by the route permissions.
//
// Minting and revoking need a principal that logged in (access token or session): a token, even
// one with every scope, cannot create or revoke tokens, so a leaked token cannot entrench itself.
// Each `do_*` owns its transaction and writes its audit row in it. Thread-safe: no per-request state.
#include "accounts/accounts.hpp"
#include "accounts/credential_invalidator.hpp"
#include "db/database.hpp"
#include "db/repositories/audit_log_repository.hpp"
#include "db/repositories/personal_token_repository.hpp"
#include "http/request.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::accounts {

using db::repositories::PersonalToken;

// Scopes a token may carry (see accounts/permissions.hpp for what each allows).
inline constexpr std::string_view kTokenScopes[] = {"read", "write", "admin"};
// Characters of the secret after "pat_" kept as the display prefix: enough to tell tokens apart,
// far too few (48 of 256 bits) to help guess one.
inline constexpr std::size_t kTokenPrefixChars = 8;
inline constexpr std::int64_t kMaxTokenLifetimeDays = 3650;

struct NewToken {
  std::string name;                          // 1..100 characters
  std::vector<std::string> scopes;           // distinct, each one of kTokenScopes, at least one
  std::optional<std::int64_t> expires_in_days;  // 1..kMaxTokenLifetimeDays; nullopt: never expires
};

struct CreatedToken {
  PersonalToken token;
  std::string secret;  // the full "pat_..." token: show it once, never log it
};

class PersonalTokens {
 public:
  // `credentials` is told when a token is revoked.
  PersonalTokens(db::Database& db, CredentialInvalidator& credentials);

  // The caller's unrevoked tokens (expired ones included), newest first.
  boost::asio::awaitable<std::vector<PersonalToken>> list(std::int64_t user_id);

  // 403 when `by` authenticated with a personal token, or asks for the `admin` scope without
  // being an admin or owner.
  static void check_create_token(const http::Principal& by, const NewToken& token);
  boost::asio::awaitable<CreatedToken> do_create_token(http::Principal by, NewToken token, RequestMeta meta);

  // 403 when `by` authenticated with a personal token; 404 when the token does not exist, is
  // already revoked, or belongs to someone else (its existence is never revealed). The token
  // stops working at once, in every process.
  static void check_revoke_token(const http::Principal& by);
  boost::asio::awaitable<void> do_revoke_token(http::Principal by, std::int64_t token_id, RequestMeta meta);

 private:
  db::Database& db_;
  CredentialInvalidator& credentials_;
  db::repositories::PersonalTokenRepository tokens_;
  db::repositories::AuditLogRepository audit_log_;
};

}  // namespace parley::accounts
