#pragma once
// Server-side browser sessions (table sessions).
//
// The cookie carries a random session token and the page a CSRF token; only their SHA-256 hex
// hashes are stored. A session has two expiries:
//   * absolute: expires_at, fixed at creation;
//   * idle: last_used_at + the configured idle timeout. The schema has no idle-expiry column, so
//     the timeout is a parameter of find_active and touch() slides last_used_at forward.
// Ending a session sets revoked_at (the row stays until purged), which is what the schema's
// partial index sessions_user_idx (revoked_at IS NULL) is built for.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace parley::db::repositories {

struct Session {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string csrf_token_hash;
  std::string created_at;
  std::string expires_at;    // absolute expiry
  std::string last_used_at;  // idle expiry = last_used_at + idle timeout
  std::optional<std::string> revoked_at;
  std::optional<std::string> ip;
  std::optional<std::string> user_agent;
};

struct NewSession {
  std::int64_t user_id = 0;
  std::string token_hash;         // SHA-256 hex of the cookie's token
  std::string csrf_token_hash;    // SHA-256 hex of the CSRF token
  std::string expires_at;         // absolute expiry; must be later than the database's now
  std::optional<std::string> ip;  // a valid IP address (inet on PostgreSQL)
  std::optional<std::string> user_agent;
};

struct ActiveSession {
  Session session;
  bool user_is_active = false;
};

class SessionRepository {
 public:
  explicit SessionRepository(Dialect dialect);

  // Inserts a session (created_at = last_used_at = the database's now). 409 when the hash exists.
  boost::asio::awaitable<Session> create(Executor& db, const NewSession& session);
  // The unrevoked session with this token hash that at `now` is before its absolute expiry and was
  // used within `idle_timeout`; nullopt otherwise. The user's is_active is returned, not filtered.
  boost::asio::awaitable<std::optional<ActiveSession>> find_active(Executor& db, std::string_view token_hash,
                                                                   std::string_view now,
                                                                   std::chrono::seconds idle_timeout);
  // Slides the idle expiry: last_used_at = `now` for an unrevoked session, never moving it back.
  // Returns false when nothing changed (unknown, revoked, or already at a later time).
  boost::asio::awaitable<bool> touch(Executor& db, std::int64_t session_id, std::string_view now);
  // Ends one session (logout); returns false when unknown or already ended.
  boost::asio::awaitable<bool> revoke(Executor& db, std::int64_t session_id);
  // Ends every session of the user (deactivation, password change, login elsewhere); returns how many.
  boost::asio::awaitable<std::int64_t> revoke_all_for_user(Executor& db, std::int64_t user_id);

 private:
  struct Queries {
    Query create, find_active, touch, revoke, revoke_all_for_user;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
