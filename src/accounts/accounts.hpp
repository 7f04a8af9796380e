#pragma once
// Account actions: registration, password login with JWT pairs, refresh rotation with reuse
// detection, logout, profile changes, and authentication of bearer credentials. Each `do_*`
// owns its transaction; audit rows are written in the same transaction as the change they record.
// Thread-safe: holds no per-request state.
#include "accounts/credential_invalidator.hpp"
#include "accounts/login_throttle.hpp"
#include "accounts/sessions.hpp"
#include "auth/jwt.hpp"
#include "auth/password_hasher.hpp"
#include "auth/password_policy.hpp"
#include "core/config.hpp"
#include "db/database.hpp"
#include "db/repositories/audit_log_repository.hpp"
#include "db/repositories/personal_token_repository.hpp"
#include "db/repositories/refresh_token_repository.hpp"
#include "db/repositories/session_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "http/request.hpp"

#include <spdlog/logger.h>
#include <boost/asio/awaitable.hpp>

#include <functional>

#include <optional>
#include <string>

namespace parley::accounts {

using db::repositories::User;

// Who asked, for audit rows and refresh-token families.
struct RequestMeta {
  std::string ip;
  std::string request_id;
  std::string user_agent;
  static RequestMeta of(const http::Request& req);
};

struct Registration {
  std::string username;
  std::string email;
  std::string password;
  std::string display_name;
};

struct TokenPair {
  std::string access;
  std::string refresh;
  std::int64_t expires_in = 0;  // seconds until the access token expires
};

struct ProfileChange {
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> password;
  std::optional<std::string> current_password;
};

// Builds the signing keys from the configuration: the PEM file PARLEY_JWT_PRIVATE_KEY_FILE when
// set; otherwise, in development with SQLite, the key kept in the data folder (created on the first
// start, auth/signing_key_file.hpp); otherwise a fresh key for this run, with a warning. Plus the
// upcoming and retired public keys that also verify. Throws std::runtime_error naming the file
// when a key file cannot be read or is refused (the server then does not start).
auth::KeySet load_signing_keys(const Config& config, spdlog::logger& logger);

class Accounts {
 public:
  // `credentials` caches what authenticate_* concluded, and is told after every commit that ends
  // or changes a user's credentials (credential_cache.hpp). `throttle_store` (borrowed) holds the
  // failed-login counters: this process's or Redis (the composition root picks).
  Accounts(const Config& config, db::Database& db, auth::KeySet keys, spdlog::logger& logger,
           CredentialInvalidator& credentials, ThrottleStore& throttle_store);

  db::Database& database() noexcept { return db_; }
  db::repositories::UserRepository& users() noexcept { return users_; }
  auth::PasswordHasher& hasher() noexcept { return hasher_; }
  const auth::PasswordPolicy& policy() const noexcept { return policy_; }
  db::repositories::RefreshTokenRepository& refresh_tokens() noexcept { return refresh_tokens_; }
  db::repositories::SessionRepository& sessions() noexcept { return sessions_; }
  CredentialInvalidator& credentials() noexcept { return credentials_; }

  // Appends an audit row inside `tx`. `action` and `details_json` must outlive the call
  // (literals or the caller's locals).
  boost::asio::awaitable<void> audit(db::Executor& tx, std::optional<std::int64_t> actor, std::string_view action,
                                     std::optional<std::int64_t> target_user, const RequestMeta& meta,
                                     std::string_view details_json);

  boost::asio::awaitable<User> do_register(Registration input, RequestMeta meta);
  // 401 with one generic message for an unknown login, a wrong password or an inactive account;
  // the password is verified (or a dummy hash is) either way so timing does not tell them apart.
  boost::asio::awaitable<TokenPair> do_login(std::string login, std::string password, RequestMeta meta);
  // Rotates `refresh`: the old token is used up and a new pair returned. Presenting a token that
  // was already rotated revokes its whole family (a stolen token is useless after one use).
  boost::asio::awaitable<TokenPair> do_refresh(std::string refresh, RequestMeta meta);
  // Revokes the refresh token's family; idempotent.
  boost::asio::awaitable<void> do_logout(std::string refresh, RequestMeta meta);
  // Applies a profile change; a new password needs the current one and passes the policy.
  boost::asio::awaitable<User> do_update_profile(std::int64_t user_id, ProfileChange change, RequestMeta meta);
  // Awaited by do_update_profile after the commit of a display-name change, before it returns:
  // the composition root invalidates the cached views that show names (docs/caching.md).
  using ProfileChanged = std::function<boost::asio::awaitable<void>(std::int64_t user_id)>;
  void on_profile_changed(ProfileChanged hook) { profile_changed_ = std::move(hook); }

  // Resolves "Authorization: Bearer <credential>" (a JWT access token or a pat_ token) to a
  // principal. Throws 401 (with WWW-Authenticate) when the credential is invalid, expired,
  // revoked, or its user is deactivated. A credential resolved before is answered from the
  // credential cache (no signature check, no database read) until its entry expires or its user's
  // credentials change.
  boost::asio::awaitable<http::Principal> authenticate_bearer(std::string_view credential);

  // Browser sessions (defined in sessions.cpp; see sessions.hpp and docs/security.md).
  // Password login into a new server-side session: the same credential check as do_login, then a
  // fresh session id and CSRF token (only their hashes are stored). `previous_session_id`, the
  // cookie the browser sent, is revoked if it names a live session and never reused (fixation).
  boost::asio::awaitable<SessionLogin> do_login_session(std::string login, std::string password,
                                                        std::optional<std::string> previous_session_id,
                                                        RequestMeta meta);
  // A new session for `user` (already authenticated and active, e.g. by OIDC) inside `tx`: fresh
  // session id and CSRF token, only their hashes stored; `previous_session_id` is revoked as in
  // do_login_session. Writes no audit row: the caller records how the user logged in.
  boost::asio::awaitable<SessionLogin> start_session(db::Executor& tx, const User& user,
                                                     std::optional<std::string> previous_session_id,
                                                     const RequestMeta& meta);
  // Ends the session `session_id` of `user_id`; idempotent. The session stops working at once.
  boost::asio::awaitable<void> do_logout_session(std::int64_t session_id, std::int64_t user_id, RequestMeta meta);
  // Resolves a session cookie value to a principal (Via::session, with session_id and
  // csrf_token_hash) and slides its idle expiry. Throws 401 `session_expired` (with a Set-Cookie
  // that clears the cookie) when the session is unknown, revoked, idle or past its absolute
  // expiry, or its user is deactivated. Answered from the credential cache while the database
  // would neither refuse the session nor slide its idle expiry.
  boost::asio::awaitable<http::Principal> authenticate_session(std::string_view session_id);

 private:
  // The password check every login shares (token and session): returns the active user, or records
  // auth.login_failed and throws the generic 401 (unknown login, wrong password or inactive
  // account, told apart by neither message nor timing). Counted by the login throttle right after
  // the account lookup: 429 with Retry-After while the account or the client IP is blocked; a
  // block that a failed attempt starts is recorded once as auth.lockout.
  boost::asio::awaitable<User> check_credentials(std::string login, std::string password, const RequestMeta& meta);
  boost::asio::awaitable<TokenPair> issue_pair(db::Executor& tx, const User& user, const RequestMeta& meta,
                                               std::optional<std::int64_t> rotate_token_id);

  const Config& config_;
  db::Database& db_;
  spdlog::logger& logger_;
  auth::JwtService jwt_;
  CredentialInvalidator& credentials_;
  ProfileChanged profile_changed_;
  CredentialCache& credential_cache_;
  auth::PasswordHasher hasher_;
  auth::PasswordPolicy policy_;
  db::repositories::UserRepository users_;
  db::repositories::RefreshTokenRepository refresh_tokens_;
  db::repositories::PersonalTokenRepository personal_tokens_;
  db::repositories::AuditLogRepository audit_log_;
  // Failed-login counters per account and per IP (PARLEY_LOGIN_*).
  LoginThrottle throttle_;
  db::repositories::SessionRepository sessions_;
};

}  // namespace parley::accounts
