#pragma once
// Users and their settings (tables users, user_settings).
//
// Usernames are unique ignoring case and emails are stored lower-cased (the schema's unique
// indexes), so a duplicate surfaces as AppError 409 from create/update_profile.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"

namespace parley::db::repositories {

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::string display_name;
  std::string role;  // owner | admin | member | guest
  bool is_active = true;
  bool is_bot = false;
  std::string created_at;                   // RFC 3339 UTC, ms
  std::optional<std::string> last_seen_at;  // RFC 3339 UTC, ms
};

struct NewUser {
  std::string username;
  std::string email;  // lower-cased by the repository
  std::optional<std::string> password_hash;  // nullopt for OIDC-only accounts
  std::string display_name;
  std::string role = "member";
  bool is_bot = false;
};

// Fields left nullopt are not changed.
struct ProfileUpdate {
  std::optional<std::string> display_name;
  std::optional<std::string> email;  // lower-cased by the repository
};

struct UserSettings {
  std::int64_t user_id = 0;
  std::string email_notifications;  // all | mentions | none
  std::string timezone;
  std::string updated_at;
};

// Filters of the admin user list; unset fields do not filter.
struct UserFilter {
  std::optional<std::string> role;    // owner | admin | member | guest
  std::optional<bool> is_active;
  std::optional<std::string> search;  // substring of username, display name or email, any case
};

struct SettingsUpdate {
  std::optional<std::string> email_notifications;
  std::optional<std::string> timezone;
};

class UserRepository {
 public:
  explicit UserRepository(Dialect dialect);

  // Inserts a user. 409 when the username (any case) or the email is taken; 400 when a CHECK fails.
  boost::asio::awaitable<User> create(Executor& db, const NewUser& user);
  boost::asio::awaitable<std::optional<User>> find_by_id(Executor& db, std::int64_t id);
  Read<std::optional<User>> read_by_id(std::int64_t id) const;  // find_by_id, to batch
  // The users of `ids` that exist (any order of ids, duplicates allowed), ascending by id: the
  // senders of a page of messages in one statement.
  boost::asio::awaitable<std::vector<User>> find_many(Executor& db, std::span<const std::int64_t> ids);
  Read<std::vector<User>> read_many(std::span<const std::int64_t> ids) const;  // find_many, to batch
  // `login` is a username (any case) or an email (any case). Inactive users are returned too.
  boost::asio::awaitable<std::optional<User>> find_by_login(Executor& db, std::string_view login);
  // The stored password hash; nullopt for unknown users and OIDC-only accounts.
  boost::asio::awaitable<std::optional<std::string>> password_hash(Executor& db, std::int64_t id);
  // Removes the password (OIDC-only from then on); false when the user does not exist.
  boost::asio::awaitable<bool> clear_password(Executor& db, std::int64_t id);
  // Returns false when the user does not exist.
  boost::asio::awaitable<bool> set_password_hash(Executor& db, std::int64_t id, std::string_view hash);
  // Users whose username, display name or email contains `q` (case-insensitive; empty q = all),
  // by id ascending, with id > after_id; at most `limit` (clamped to 1..200). With `visible_to`,
  // only that user and the people who share a conversation with them (the guest directory).
  boost::asio::awaitable<std::vector<User>> search(Executor& db, std::string_view q,
                                                   std::optional<std::int64_t> after_id, int limit,
                                                   std::optional<std::int64_t> visible_to = std::nullopt);
  // Users matching `filter` with id < before_id (all when nullopt), newest first, at most `limit`
  // (clamped to 1..200). The next page's cursor is the last user's id.
  boost::asio::awaitable<std::vector<User>> list_filtered(Executor& db, const UserFilter& filter,
                                                          std::optional<std::int64_t> before_id, int limit);
  // nullopt when the user does not exist; 409 when the new email is taken.
  boost::asio::awaitable<std::optional<User>> update_profile(Executor& db, std::int64_t id, const ProfileUpdate& update);
  boost::asio::awaitable<std::optional<User>> set_role(Executor& db, std::int64_t id, std::string_view role);
  // Sets is_active = false (idempotent). Returns nullopt when the user does not exist.
  // Revoking sessions and tokens is the caller's business.
  boost::asio::awaitable<std::optional<User>> deactivate(Executor& db, std::int64_t id);
  // Sets is_active = true (idempotent). Returns nullopt when the user does not exist. Credentials
  // revoked at deactivation stay revoked.
  boost::asio::awaitable<std::optional<User>> reactivate(Executor& db, std::int64_t id);
  // last_seen_at = now.
  boost::asio::awaitable<void> touch_last_seen(Executor& db, std::int64_t id);
  // last_seen_at = now for every user of `ids` (one statement, one parameter whatever the count):
  // the real-time layer marks its active users (docs/notifications.md reads it as presence).
  boost::asio::awaitable<void> touch_last_seen_many(Executor& db, std::span<const std::int64_t> ids);

  // The user's settings, the schema defaults when never saved; nullopt for an unknown user.
  boost::asio::awaitable<std::optional<UserSettings>> settings(Executor& db, std::int64_t user_id);
  // Upserts the settings; 400 on an invalid value, 400 (invalid_reference) for an unknown user.
  boost::asio::awaitable<UserSettings> update_settings(Executor& db, std::int64_t user_id, const SettingsUpdate& update);

 private:
  struct Queries {
    Query create, find_by_id, find_by_login, search, list_filtered, update_profile, set_role, deactivate, reactivate,
        touch_last_seen, touch_last_seen_many, settings, update_settings;
  };
  Queries q_;
  Dialect dialect_;
  Query find_many_;
};

}  // namespace parley::db::repositories
