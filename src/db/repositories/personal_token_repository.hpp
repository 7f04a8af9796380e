#pragma once
// Personal and bot tokens (tables personal_tokens, personal_token_scopes).
//
// The secret (`pat_...`) is generated and shown once by the caller; only its SHA-256 hex hash and
// a short display prefix are stored, and nothing here ever returns the hash. Scopes are a set:
// one row each, returned sorted.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct PersonalToken {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name;
  std::string token_prefix;
  std::vector<std::string> scopes;  // sorted, distinct
  std::string created_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> expires_at;  // nullopt: never expires
  std::optional<std::string> revoked_at;
};

struct NewPersonalToken {
  std::int64_t user_id = 0;
  std::string name;                 // 1..100 characters
  std::string token_prefix;         // starts with "pat_"
  std::string token_hash;           // SHA-256 hex of the secret
  std::vector<std::string> scopes;  // e.g. read, write, admin; duplicates are dropped
  std::optional<std::string> expires_at;
};

// A token that authenticates a request.
struct ActivePersonalToken {
  PersonalToken token;
  bool owner_is_active = false;
};

class PersonalTokenRepository {
 public:
  explicit PersonalTokenRepository(Dialect dialect);

  // Inserts the token and one row per scope (1 + scopes statements: run in a transaction).
  // 409 when the hash exists; 400 on a CHECK (name, prefix, scope syntax) or an unknown user.
  boost::asio::awaitable<PersonalToken> create(Executor& db, const NewPersonalToken& token);
  // The user's unrevoked tokens (expired ones included), newest first.
  boost::asio::awaitable<std::vector<PersonalToken>> list_for_user(Executor& db, std::int64_t user_id);
  // The unrevoked token with this hash that has not expired at `now`; nullopt otherwise. The
  // owner's is_active is returned, not filtered on: refusing a deactivated owner is the caller's.
  boost::asio::awaitable<std::optional<ActivePersonalToken>> find_active_by_hash(Executor& db,
                                                                                 std::string_view token_hash,
                                                                                 std::string_view now);
  // last_used_at = the database's now.
  boost::asio::awaitable<void> touch_last_used(Executor& db, std::int64_t token_id);
  // Revokes token `token_id` only if `user_id` owns it and it is not revoked yet; returns whether
  // it changed (false for another user's token, so the caller answers 404).
  boost::asio::awaitable<bool> revoke(Executor& db, std::int64_t user_id, std::int64_t token_id);
  // Revokes every unrevoked token of the user (deactivation); returns how many.
  boost::asio::awaitable<std::int64_t> revoke_all_for_user(Executor& db, std::int64_t user_id);

 private:
  struct Queries {
    Query create, add_scope, list_for_user, scopes_for_user, find_active_by_hash, scopes_of, touch_last_used, revoke,
        revoke_all_for_user;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
