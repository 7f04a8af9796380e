#pragma once
// Password reset tokens (table password_reset_tokens): emailed, single-use, expiring; only the
// SHA-256 hex hash of the token is stored.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace parley::db::repositories {

struct PasswordResetToken {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string created_at;
  std::string expires_at;
  std::optional<std::string> used_at;
};

class PasswordResetRepository {
 public:
  explicit PasswordResetRepository(Dialect dialect);

  // Stores a token for the user. 409 when the hash exists; 400 (invalid_reference) for an unknown user.
  boost::asio::awaitable<PasswordResetToken> create(Executor& db, std::int64_t user_id, std::string_view token_hash,
                                                    std::string_view expires_at);
  // Uses the token: in one conditional UPDATE, marks it used if it is unused and expires after
  // `now`, and returns its user; nullopt for an unknown, used or expired token. Of two concurrent
  // consumers exactly one gets the user.
  boost::asio::awaitable<std::optional<std::int64_t>> consume(Executor& db, std::string_view token_hash,
                                                              std::string_view now);
  // Marks every unused token of the user used (after a reset, a password change, a new request);
  // returns how many. The schema has no separate "invalidated" state: used_at serves for both.
  boost::asio::awaitable<std::int64_t> invalidate_all_for_user(Executor& db, std::int64_t user_id);

 private:
  struct Queries {
    Query create, consume, invalidate_all_for_user;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
