#include "db/repositories/user_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_USER_COLUMNS_PG \
  "id, username, email, display_name, role, is_active, is_bot, " PARLEY_PG_TIME("created_at") ", " PARLEY_PG_TIME("last_seen_at")
#define PARLEY_USER_COLUMNS_SQLITE "id, username, email, display_name, role, is_active, is_bot, created_at, last_seen_at"

constexpr DualQuery kCreate{
    "users.create",
    "INSERT INTO users (username, email, password_hash, display_name, role, is_bot) VALUES ($1, $2, $3, $4, $5, $6) "
    "RETURNING " PARLEY_USER_COLUMNS_PG,
    "INSERT INTO users (username, email, password_hash, display_name, role, is_bot) VALUES ($1, $2, $3, $4, $5, $6) "
    "RETURNING " PARLEY_USER_COLUMNS_SQLITE};
constexpr DualQuery kFindById{"users.find_by_id", "SELECT " PARLEY_USER_COLUMNS_PG " FROM users WHERE id = $1",
                              "SELECT " PARLEY_USER_COLUMNS_SQLITE " FROM users WHERE id = $1"};
// $1 is an id list (id_list_param).
constexpr DualQuery kFindMany{
    "users.find_many",
    "SELECT " PARLEY_USER_COLUMNS_PG " FROM users WHERE id = ANY (CAST($1 AS bigint[])) ORDER BY id",
    "SELECT " PARLEY_USER_COLUMNS_SQLITE " FROM users WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id"};
// $1 is lower-cased by the caller: lower(username) uses users_username_lower_key, email users_email_key.
constexpr DualQuery kFindByLogin{
    "users.find_by_login",
    "SELECT " PARLEY_USER_COLUMNS_PG " FROM users WHERE lower(username) = $1 OR email = $1 ORDER BY id LIMIT 1",
    "SELECT " PARLEY_USER_COLUMNS_SQLITE " FROM users WHERE lower(username) = $1 OR email = $1 ORDER BY id LIMIT 1"};
constexpr Query kPasswordHash{"users.password_hash", "SELECT password_hash FROM users WHERE id = $1"};
constexpr Query kSetPasswordHash{"users.set_password_hash", "UPDATE users SET password_hash = $2 WHERE id = $1"};
constexpr Query kClearPassword{"users.clear_password", "UPDATE users SET password_hash = NULL WHERE id = $1"};
// ILIKE on PostgreSQL; SQLite's LIKE is already case-insensitive for ASCII.
// `viewer` NULL: everyone. Otherwise the viewer and the people sharing an unbanned membership
// of some conversation with them (what a guest may see). Served by conversation_members' primary
// key (conversation_id, user_id) and its user_id index.
#define PARLEY_SQL_VISIBLE_TO(viewer)                                                           \
  "(" viewer " IS NULL OR users.id = " viewer " OR EXISTS (SELECT 1 FROM conversation_members a " \
  "JOIN conversation_members b ON b.conversation_id = a.conversation_id "                        \
  "WHERE a.user_id = " viewer " AND b.user_id = users.id AND a.banned_at IS NULL AND b.banned_at IS NULL))"
constexpr DualQuery kSearch{
    "users.search",
    "SELECT " PARLEY_USER_COLUMNS_PG " FROM users WHERE id > $1 "
    "AND (username ILIKE $2 ESCAPE '\\' OR display_name ILIKE $2 ESCAPE '\\' OR email ILIKE $2 ESCAPE '\\') "
    "AND " PARLEY_SQL_VISIBLE_TO("CAST($4 AS bigint)") " ORDER BY id LIMIT $3",
    "SELECT " PARLEY_USER_COLUMNS_SQLITE " FROM users WHERE id > $1 "
    "AND (username LIKE $2 ESCAPE '\\' OR display_name LIKE $2 ESCAPE '\\' OR email LIKE $2 ESCAPE '\\') "
    "AND " PARLEY_SQL_VISIBLE_TO("$4") " ORDER BY id LIMIT $3"};
// ($1 before id, $2 role, $3 is_active, $4 search pattern, $5 limit; NULL = no filter.) A role
// filter walks users_role_active_idx (role, is_active, id) backwards; none the primary key.
constexpr DualQuery kListFiltered{
    "users.list_filtered",
    "SELECT " PARLEY_USER_COLUMNS_PG " FROM users WHERE id < $1 "
    "AND (CAST($2 AS text) IS NULL OR role = $2) "
    "AND (CAST($3 AS boolean) IS NULL OR is_active = $3) "
    "AND (CAST($4 AS text) IS NULL OR username ILIKE $4 ESCAPE '\\' OR display_name ILIKE $4 ESCAPE '\\' "
    "OR email ILIKE $4 ESCAPE '\\') "
    "ORDER BY id DESC LIMIT $5",
    "SELECT " PARLEY_USER_COLUMNS_SQLITE " FROM users WHERE id < $1 "
    "AND ($2 IS NULL OR role = $2) "
    "AND ($3 IS NULL OR is_active = $3) "
    "AND ($4 IS NULL OR username LIKE $4 ESCAPE '\\' OR display_name LIKE $4 ESCAPE '\\' "
    "OR email LIKE $4 ESCAPE '\\') "
    "ORDER BY id DESC LIMIT $5"};
constexpr DualQuery kUpdateProfile{
    "users.update_profile",
    "UPDATE users SET display_name = COALESCE($2, display_name), email = COALESCE($3, email) WHERE id = $1 "
    "RETURNING " PARLEY_USER_COLUMNS_PG,
    "UPDATE users SET display_name = COALESCE($2, display_name), email = COALESCE($3, email) WHERE id = $1 "
    "RETURNING " PARLEY_USER_COLUMNS_SQLITE};
constexpr DualQuery kSetRole{"users.set_role",
                             "UPDATE users SET role = $2 WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_PG,
                             "UPDATE users SET role = $2 WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_SQLITE};
constexpr DualQuery kDeactivate{
    "users.deactivate", "UPDATE users SET is_active = false WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_PG,
    "UPDATE users SET is_active = 0 WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_SQLITE};
constexpr DualQuery kReactivate{
    "users.reactivate", "UPDATE users SET is_active = true WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_PG,
    "UPDATE users SET is_active = 1 WHERE id = $1 RETURNING " PARLEY_USER_COLUMNS_SQLITE};
constexpr DualQuery kTouchLastSeen{"users.touch_last_seen", "UPDATE users SET last_seen_at = now() WHERE id = $1",
                                   "UPDATE users SET last_seen_at = " PARLEY_SQLITE_NOW " WHERE id = $1"};
// The primary key, for each id of the list parameter (sql.hpp id_list_param).
constexpr DualQuery kTouchLastSeenMany{
    "users.touch_last_seen_many", "UPDATE users SET last_seen_at = now() WHERE id = ANY (CAST($1 AS bigint[]))",
    "UPDATE users SET last_seen_at = " PARLEY_SQLITE_NOW " WHERE id IN (SELECT value FROM json_each($1))"};
// The defaults here repeat the schema's column defaults for users who never saved settings.
constexpr DualQuery kSettings{
    "users.settings",
    "SELECT u.id, COALESCE(s.email_notifications, 'mentions'), COALESCE(s.timezone, 'UTC'), "
    PARLEY_PG_TIME("COALESCE(s.updated_at, u.created_at)")
    " FROM users u LEFT JOIN user_settings s ON s.user_id = u.id WHERE u.id = $1",
    "SELECT u.id, COALESCE(s.email_notifications, 'mentions'), COALESCE(s.timezone, 'UTC'), "
    "COALESCE(s.updated_at, u.created_at) FROM users u LEFT JOIN user_settings s ON s.user_id = u.id WHERE u.id = $1"};
constexpr DualQuery kUpdateSettings{
    "users.update_settings",
    "INSERT INTO user_settings (user_id, email_notifications, timezone) "
    "VALUES ($1, COALESCE($2, 'mentions'), COALESCE($3, 'UTC')) ON CONFLICT (user_id) DO UPDATE SET "
    "email_notifications = COALESCE($2, user_settings.email_notifications), "
    "timezone = COALESCE($3, user_settings.timezone), updated_at = now() "
    "RETURNING user_id, email_notifications, timezone, " PARLEY_PG_TIME("updated_at"),
    "INSERT INTO user_settings (user_id, email_notifications, timezone) "
    "VALUES ($1, COALESCE($2, 'mentions'), COALESCE($3, 'UTC')) ON CONFLICT (user_id) DO UPDATE SET "
    "email_notifications = COALESCE($2, user_settings.email_notifications), "
    "timezone = COALESCE($3, user_settings.timezone), updated_at = " PARLEY_SQLITE_NOW
    " RETURNING user_id, email_notifications, timezone, updated_at"};

#undef PARLEY_USER_COLUMNS_PG
#undef PARLEY_USER_COLUMNS_SQLITE

User to_user(const Row& r) {
  return User{.id = r.int64(0),
              .username = r.text(1),
              .email = r.text(2),
              .display_name = r.text(3),
              .role = r.text(4),
              .is_active = r.boolean(5),
              .is_bot = r.boolean(6),
              .created_at = r.text(7),
              .last_seen_at = r.opt_text(8)};
}

std::optional<User> first_user(const ResultSet& rs) {
  if (rs.empty()) return std::nullopt;
  return to_user(rs.rows.front());
}

UserSettings to_settings(const Row& r) {
  return UserSettings{
      .user_id = r.int64(0), .email_notifications = r.text(1), .timezone = r.text(2), .updated_at = r.text(3)};
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{nullptr}; }

}  // namespace

UserRepository::UserRepository(Dialect d)
    : q_{.create = kCreate.pick(d),
         .find_by_id = kFindById.pick(d),
         .find_by_login = kFindByLogin.pick(d),
         .search = kSearch.pick(d),
         .list_filtered = kListFiltered.pick(d),
         .update_profile = kUpdateProfile.pick(d),
         .set_role = kSetRole.pick(d),
         .deactivate = kDeactivate.pick(d),
         .reactivate = kReactivate.pick(d),
         .touch_last_seen = kTouchLastSeen.pick(d),
         .touch_last_seen_many = kTouchLastSeenMany.pick(d),
         .settings = kSettings.pick(d),
         .update_settings = kUpdateSettings.pick(d)},
      dialect_(d),
      find_many_(kFindMany.pick(d)) {}

awaitable<User> UserRepository::create(Executor& db, const NewUser& user) {
  std::array<Value, 6> params{user.username, ascii_lower(user.email), opt(user.password_hash), user.display_name,
                              user.role,     user.is_bot};
  ResultSet rs = co_await db.execute(q_.create, params);
  co_return to_user(rs.one());
}

awaitable<std::vector<User>> UserRepository::find_many(Executor& db, std::span<const std::int64_t> ids) {
  if (ids.empty()) co_return std::vector<User>{};
  co_return co_await read(db, read_many(ids));
}

Read<std::vector<User>> UserRepository::read_many(std::span<const std::int64_t> ids) const {
  return {find_many_, {id_list_param(dialect_, ids)}, [](const ResultSet& rs) {
            std::vector<User> users;
            users.reserve(rs.rows.size());
            for (const Row& r : rs.rows) users.push_back(to_user(r));
            return users;
          }};
}

awaitable<std::optional<User>> UserRepository::find_by_id(Executor& db, std::int64_t id) {
  co_return co_await read(db, read_by_id(id));
}

Read<std::optional<User>> UserRepository::read_by_id(std::int64_t id) const {
  return {q_.find_by_id, {id}, first_user};
}

awaitable<std::optional<User>> UserRepository::find_by_login(Executor& db, std::string_view login) {
  std::array<Value, 1> params{ascii_lower(login)};
  co_return first_user(co_await db.execute(q_.find_by_login, params));
}

awaitable<std::optional<std::string>> UserRepository::password_hash(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(kPasswordHash, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().opt_text(0);
}

awaitable<bool> UserRepository::clear_password(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(kClearPassword, params);
  co_return rs.affected_rows > 0;
}

awaitable<bool> UserRepository::set_password_hash(Executor& db, std::int64_t id, std::string_view hash) {
  std::array<Value, 2> params{id, std::string(hash)};
  ResultSet rs = co_await db.execute(kSetPasswordHash, params);
  co_return rs.affected_rows > 0;
}

awaitable<std::vector<User>> UserRepository::search(Executor& db, std::string_view q,
                                                    std::optional<std::int64_t> after_id, int limit,
                                                    std::optional<std::int64_t> visible_to) {
  std::array<Value, 4> params{after_id.value_or(kNoLowerId), contains_pattern(q), std::int64_t{clamp_limit(limit)},
                              visible_to ? Value(*visible_to) : Value(nullptr)};
  ResultSet rs = co_await db.execute(q_.search, params);
  std::vector<User> users;
  users.reserve(rs.rows.size());
  for (const Row& r : rs.rows) users.push_back(to_user(r));
  co_return users;
}

awaitable<std::vector<User>> UserRepository::list_filtered(Executor& db, const UserFilter& filter,
                                                           std::optional<std::int64_t> before_id, int limit) {
  std::array<Value, 5> params{before_id.value_or(kNoUpperId), opt(filter.role),
                              filter.is_active ? Value{*filter.is_active} : Value{nullptr},
                              filter.search ? Value{contains_pattern(*filter.search)} : Value{nullptr},
                              std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list_filtered, params);
  std::vector<User> users;
  users.reserve(rs.rows.size());
  for (const Row& r : rs.rows) users.push_back(to_user(r));
  co_return users;
}

awaitable<std::optional<User>> UserRepository::update_profile(Executor& db, std::int64_t id,
                                                              const ProfileUpdate& update) {
  std::optional<std::string> email;
  if (update.email) email = ascii_lower(*update.email);
  std::array<Value, 3> params{id, opt(update.display_name), opt(email)};
  co_return first_user(co_await db.execute(q_.update_profile, params));
}

awaitable<std::optional<User>> UserRepository::set_role(Executor& db, std::int64_t id, std::string_view role) {
  std::array<Value, 2> params{id, std::string(role)};
  co_return first_user(co_await db.execute(q_.set_role, params));
}

awaitable<std::optional<User>> UserRepository::deactivate(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_return first_user(co_await db.execute(q_.deactivate, params));
}

awaitable<std::optional<User>> UserRepository::reactivate(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_return first_user(co_await db.execute(q_.reactivate, params));
}

awaitable<void> UserRepository::touch_last_seen(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  co_await db.execute(q_.touch_last_seen, params);
}

awaitable<void> UserRepository::touch_last_seen_many(Executor& db, std::span<const std::int64_t> ids) {
  if (ids.empty()) co_return;
  std::array<Value, 1> params{id_list_param(dialect_, ids)};
  co_await db.execute(q_.touch_last_seen_many, params);
}

awaitable<std::optional<UserSettings>> UserRepository::settings(Executor& db, std::int64_t user_id) {
  std::array<Value, 1> params{user_id};
  ResultSet rs = co_await db.execute(q_.settings, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_settings(rs.rows.front());
}

awaitable<UserSettings> UserRepository::update_settings(Executor& db, std::int64_t user_id,
                                                        const SettingsUpdate& update) {
  std::array<Value, 3> params{user_id, opt(update.email_notifications), opt(update.timezone)};
  ResultSet rs = co_await db.execute(q_.update_settings, params);
  co_return to_settings(rs.one());
}

}  // namespace parley::db::repositories
