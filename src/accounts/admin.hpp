#pragma once
// Site administration of accounts (docs/api.md "Administration"): the user list with emails, role
// changes, deactivation and re-activation, the audit log, and creating the first owner from the
// command line.
//
// Who may change whom (check_update_user; every refusal is 403):
//   * nobody changes their own role or active state (no self-demotion, no self-deactivation, so
//     the acting owner always remains and an instance never loses its last owner this way);
//   * only an owner changes an owner's or an admin's account, and only an owner grants the owner
//     or admin role; an admin manages members and guests (between those two roles);
//   * deactivation revokes, in the same transaction, every refresh family (reason 'deactivated'),
//     every session and every personal token of the user; after the commit the user's cached
//     credentials are invalidated in every process (CredentialInvalidator), so access tokens,
//     sessions and personal tokens stop working at once, and a role change applies at once;
//   * re-activation (is_active=true) is allowed under the same rules: it only lets the user log in
//     again with their password; the credentials revoked at deactivation stay revoked.
// Each `do_*` owns its transaction and writes its audit rows in it. Thread-safe: no per-request state.
#include "accounts/accounts.hpp"
#include "accounts/credential_invalidator.hpp"
#include "auth/password_hasher.hpp"
#include "auth/password_policy.hpp"
#include "db/database.hpp"
#include "db/repositories/audit_log_repository.hpp"
#include "db/repositories/personal_token_repository.hpp"
#include "db/repositories/refresh_token_repository.hpp"
#include "db/repositories/session_repository.hpp"
#include "db/repositories/user_repository.hpp"
#include "http/request.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::accounts {

inline constexpr std::string_view kRoles[] = {"owner", "admin", "member", "guest"};

// Fields left nullopt are not changed.
struct UserChange {
  std::optional<std::string> role;  // one of kRoles
  std::optional<bool> is_active;
};

class Admin {
 public:
  // `credentials` is told after every role or active-state change.
  Admin(db::Database& db, CredentialInvalidator& credentials);

  // See UserRepository::list_filtered.
  boost::asio::awaitable<std::vector<User>> list_users(db::repositories::UserFilter filter,
                                                       std::optional<std::int64_t> before_id, int limit);
  // 404 when the user does not exist.
  boost::asio::awaitable<User> get_user(std::int64_t user_id);

  // 403 when `by` may not make `change` to `target` (the rules above). Pure.
  static void check_update_user(const http::Principal& by, const User& target, const UserChange& change);
  // Applies `change` to user `user_id` (404 when unknown) and returns the user as it now is.
  // Audit rows: user.role_changed {from, to}, user.deactivated {refresh_families, sessions,
  // personal_tokens revoked}, user.reactivated. A change to the current value is a no-op.
  boost::asio::awaitable<User> do_update_user(http::Principal by, std::int64_t user_id, UserChange change,
                                              RequestMeta meta);

  // See AuditLogRepository::list.
  boost::asio::awaitable<std::vector<db::repositories::AuditRecord>> audit_log(db::repositories::AuditFilter filter,
                                                                               std::optional<std::int64_t> before_id,
                                                                               int limit);

 private:
  db::Database& db_;
  CredentialInvalidator& credentials_;
  db::repositories::UserRepository users_;
  db::repositories::RefreshTokenRepository refresh_tokens_;
  db::repositories::SessionRepository sessions_;
  db::repositories::PersonalTokenRepository personal_tokens_;
  db::repositories::AuditLogRepository audit_log_;
};

// Input of `parley createsuperuser`.
struct SuperuserInput {
  std::string username;
  std::string email;
  std::string password;
};

// Creates an active user with role 'owner' (`parley createsuperuser`). Validates like registration
// (username pattern, email syntax, password policy; 400 with field errors), 409 when the username
// or email is taken. Hashes the password on the calling thread (a CLI has nothing else to do).
// Writes the audit row user.created {"via": "cli", "role": "owner"} with no actor.
boost::asio::awaitable<User> create_superuser(db::Database& db, const auth::PasswordPolicy& policy,
                                              const auth::PasswordHasher& hasher, SuperuserInput input);

}  // namespace parley::accounts
