#include "accounts/admin.hpp"

#include "accounts/audit.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"

#include <boost/json.hpp>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;

namespace {

bool is_privileged(std::string_view role) { return role == "owner" || role == "admin"; }

}  // namespace

Admin::Admin(db::Database& db, CredentialInvalidator& credentials)
    : db_(db),
      credentials_(credentials),
      users_(db.dialect()),
      refresh_tokens_(db.dialect()),
      sessions_(db.dialect()),
      personal_tokens_(db.dialect()),
      audit_log_(db.dialect()) {}

asio::awaitable<std::vector<User>> Admin::list_users(repo::UserFilter filter, std::optional<std::int64_t> before_id,
                                                     int limit) {
  co_return co_await users_.list_filtered(db_, filter, before_id, limit);
}

asio::awaitable<User> Admin::get_user(std::int64_t user_id) {
  auto user = co_await users_.find_by_id(db_, user_id);
  if (!user) throw AppError::not_found();
  co_return *user;
}

void Admin::check_update_user(const http::Principal& by, const User& target, const UserChange& change) {
  bool role_changes = change.role && *change.role != target.role;
  bool active_changes = change.is_active && *change.is_active != target.is_active;
  if (!role_changes && !active_changes) return;
  if (target.id == by.user_id) throw AppError::forbidden("You cannot change your own role or active state.");
  if (by.role == "owner") return;
  if (!by.is_admin()) throw AppError::forbidden();
  if (is_privileged(target.role)) throw AppError::forbidden("Only an owner can change an owner's or an admin's account.");
  if (role_changes && is_privileged(*change.role))
    throw AppError::forbidden("Only an owner can grant the owner or admin role.");
}

asio::awaitable<User> Admin::do_update_user(http::Principal by, std::int64_t user_id, UserChange change,
                                            RequestMeta meta) {
  auto tx = co_await db_.begin();
  auto found = co_await users_.find_by_id(*tx, user_id);
  if (!found) throw AppError::not_found();
  check_update_user(by, *found, change);
  User user = *found;
  bool changed = false;
  const std::optional<repo::AuditTarget> target = repo::AuditTarget{"user", user_id};
  if (change.role && *change.role != user.role) {
    auto updated = co_await users_.set_role(*tx, user_id, *change.role);
    if (!updated) throw AppError::not_found();
    auto details = boost::json::serialize(boost::json::object{{"from", user.role}, {"to", updated->role}});
    auto entry = audit_entry(by.user_id, "user.role_changed", target, meta, details);
    co_await audit_log_.record(*tx, entry);
    user = *updated;
    changed = true;
  }
  if (change.is_active && *change.is_active != user.is_active) {
    if (*change.is_active) {
      auto updated = co_await users_.reactivate(*tx, user_id);
      if (!updated) throw AppError::not_found();
      auto entry = audit_entry(by.user_id, "user.reactivated", target, meta);
      co_await audit_log_.record(*tx, entry);
      user = *updated;
    } else {
      auto updated = co_await users_.deactivate(*tx, user_id);
      if (!updated) throw AppError::not_found();
      auto families = co_await refresh_tokens_.revoke_all_for_user(*tx, user_id, repo::RefreshRevokeReason::deactivated);
      auto sessions = co_await sessions_.revoke_all_for_user(*tx, user_id);
      auto tokens = co_await personal_tokens_.revoke_all_for_user(*tx, user_id);
      auto details = boost::json::serialize(
          boost::json::object{{"refresh_families", families}, {"sessions", sessions}, {"personal_tokens", tokens}});
      auto entry = audit_entry(by.user_id, "user.deactivated", target, meta, details);
      co_await audit_log_.record(*tx, entry);
      user = *updated;
    }
    changed = true;
  }
  co_await tx->commit();
  // After the commit: the user's cached credentials go, here at once and in every other process.
  if (changed) co_await credentials_.user_changed(user_id);
  co_return user;
}

asio::awaitable<std::vector<repo::AuditRecord>> Admin::audit_log(repo::AuditFilter filter,
                                                                 std::optional<std::int64_t> before_id, int limit) {
  co_return co_await audit_log_.list(db_, filter, before_id, limit);
}

asio::awaitable<User> create_superuser(db::Database& db, const auth::PasswordPolicy& policy,
                                       const auth::PasswordHasher& hasher, SuperuserInput input) {
  // The same rules as POST /api/v1/auth/register (app/routes_accounts.cpp).
  static const Pattern kUsername("[a-z0-9][a-z0-9_.-]{2,31}", "Use 3 to 32 lower-case letters, digits, '_', '.' or '-'.");
  boost::json::value body = boost::json::object{{"username", input.username}, {"email", input.email}};
  ObjectReader in(body);
  auto username = in.string("username", {.required = true, .min_length = 3, .max_length = 32, .pattern = &kUsername});
  auto email = in.email("email", {.required = true});
  for (auto& problem : policy.validate(input.password, input.username, input.email)) in.add_error("password", problem);
  in.finish();
  repo::NewUser record{.username = *username,
                       .email = *email,
                       .password_hash = hasher.hash_blocking(input.password),
                       .display_name = *username,
                       .role = "owner"};
  repo::UserRepository users(db.dialect());
  repo::AuditLogRepository audit_log(db.dialect());
  auto tx = co_await db.begin();
  auto user = co_await users.create(*tx, record);
  const RequestMeta meta{};
  auto entry = audit_entry(std::nullopt, "user.created", repo::AuditTarget{"user", user.id}, meta,
                           R"({"via":"cli","role":"owner"})");
  co_await audit_log.record(*tx, entry);
  co_await tx->commit();
  co_return user;
}

}  // namespace parley::accounts
