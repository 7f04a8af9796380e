#pragma once
// Refresh tokens and their families (tables refresh_token_families, refresh_tokens).
//
// A family is one login; every rotation adds a token to it. Only SHA-256 hex hashes of tokens are
// stored (the schema's CHECK wants 64 characters). A rotated token keeps its row with used_at set:
// presenting it again is reuse, and the caller then revokes the whole family (RFC 6819 5.2.2.3).
//
// Methods that write two statements (create_family, rotate) must run inside a Transaction so that
// both commit together. Times are RFC 3339 UTC text; `now` and expiries come from the caller.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"

namespace parley::db::repositories {

// The schema's refresh_token_families.revoked_reason values.
enum class RefreshRevokeReason { logout, reuse_detected, deactivated, password_changed };
std::string_view to_string(RefreshRevokeReason reason) noexcept;

struct RefreshTokenFamily {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string created_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> revoked_reason;
  std::optional<std::string> user_agent;
  std::optional<std::string> ip;
};

struct RefreshToken {
  std::int64_t id = 0;
  std::int64_t family_id = 0;
  std::string issued_at;
  std::string expires_at;
  std::optional<std::string> used_at;
};

struct NewRefreshFamily {
  std::int64_t user_id = 0;
  std::optional<std::string> user_agent;
  std::optional<std::string> ip;  // a valid IP address (PostgreSQL stores it as inet; 400 otherwise)
  std::string token_hash;         // SHA-256 hex of the first token
  std::string expires_at;         // of the first token; must be later than the database's now
};

struct CreatedRefreshFamily {
  RefreshTokenFamily family;
  RefreshToken token;
};

// A presented token as found by its hash, with what the caller needs to decide.
struct RefreshTokenLookup {
  RefreshToken token;
  RefreshTokenFamily family;
  bool user_is_active = false;
  bool family_revoked = false;  // family.revoked_at is set
  bool used = false;            // token.used_at is set: presenting it is reuse
  bool expired = false;         // token.expires_at <= now
};

enum class RotateStatus {
  rotated,         // the old token is now used; `token` is its successor in the same family
  already_used,    // the old token was rotated before: reuse, revoke the family
  family_revoked,  // the old token is unused but its family is revoked; nothing changed
  not_found,       // no token with that id
};

struct RotateResult {
  RotateStatus status = RotateStatus::not_found;
  std::optional<RefreshToken> token;  // set when rotated
};

class RefreshTokenRepository {
 public:
  explicit RefreshTokenRepository(Dialect dialect);

  // Inserts a family and its first token (two statements: run in a transaction). 409 when the
  // hash exists; 400 (invalid_reference) for an unknown user; 400 when expires_at is not later than
  // the database's now or ip is not an address (PostgreSQL).
  boost::asio::awaitable<CreatedRefreshFamily> create_family(Executor& db, const NewRefreshFamily& family);

  // The token with this hash and its family; `expired` is judged against `now`. nullopt when unknown.
  // Revoked families, used and expired tokens are returned too, flagged, so the caller can tell
  // reuse (revoke the family) from expiry (just refuse).
  boost::asio::awaitable<std::optional<RefreshTokenLookup>> find_by_hash(Executor& db, std::string_view token_hash,
                                                                         std::string_view now);

  // Marks `old_token_id` used only if it is unused and its family is not revoked (one conditional
  // UPDATE: of two concurrent rotations exactly one wins), then inserts the successor (`new_hash`,
  // `new_expires_at`) in the same family. Run in a transaction so the mark and the insert commit
  // together. Expiry of the old token is the caller's check (find_by_hash).
  boost::asio::awaitable<RotateResult> rotate(Executor& db, std::int64_t old_token_id, std::string_view new_hash,
                                              std::string_view new_expires_at);

  // Revokes the family (revoked_at = now, with `reason`). Returns false when it does not exist or
  // was already revoked (the first reason is kept).
  boost::asio::awaitable<bool> revoke_family(Executor& db, std::int64_t family_id, RefreshRevokeReason reason);
  // Revokes every unrevoked family of the user; returns how many.
  boost::asio::awaitable<std::int64_t> revoke_all_for_user(Executor& db, std::int64_t user_id,
                                                           RefreshRevokeReason reason);

 private:
  struct Queries {
    Query create_family, insert_token, find_by_hash, mark_used, rotate_state, revoke_family, revoke_all_for_user;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
