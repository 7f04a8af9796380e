#pragma once
// OpenID Connect logins: in-flight login states (table oidc_login_states) between
// /auth/oidc/{provider}/login and /callback, and the identities linked to accounts (oidc_identities).
//
// A login state is stored under a 64-character key that never is the state itself: the auth layer
// passes auth::oidc::login_state_key(state, browser_binding), an HMAC of the state under a random
// value kept in a cookie of the browser that started the login, so only that browser's callback
// finds it (column state_hash). The nonce and the PKCE verifier are stored as they are: they are
// useless without the one-time authorization code, which only the provider and the browser see.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct NewOidcLoginState {
  std::string state_key;  // 64 characters (login_state_key)
  std::string provider;
  std::string nonce;
  std::string code_verifier;  // 43 to 128 characters
  std::optional<std::string> redirect_to;
  std::string expires_at;  // RFC 3339
};

struct OidcLoginState {
  std::string provider;
  std::string nonce;
  std::string code_verifier;
  std::optional<std::string> redirect_to;
  std::string expires_at;
};

struct NewOidcIdentity {
  std::int64_t user_id = 0;
  std::string provider;
  std::string subject;  // the id_token's "sub", 1 to 255 bytes
  std::optional<std::string> email;
};

struct OidcIdentity {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string provider;
  std::string subject;
  std::optional<std::string> email;
  std::string created_at;
  std::optional<std::string> last_login_at;
};

class OidcRepository {
 public:
  explicit OidcRepository(Dialect dialect);

  // Stores a login state. 409 when the key exists; 400 when a CHECK fails (key not 64 characters,
  // verifier length out of 43..128).
  boost::asio::awaitable<void> save_state(Executor& db, const NewOidcLoginState& state);
  // Takes the state out in one conditional DELETE: returns it if it exists under `state_key` for
  // `provider` and expires after `now`, and removes it, so of two concurrent callbacks exactly one
  // gets it; nullopt otherwise (unknown, already used, expired, another provider's, or another
  // browser's: the key differs).
  boost::asio::awaitable<std::optional<OidcLoginState>> consume_state(Executor& db, std::string_view state_key,
                                                                      std::string_view provider, std::string_view now);
  // Deletes the states that expired at or before `now`; returns how many (a periodic job).
  boost::asio::awaitable<std::int64_t> purge_expired_states(Executor& db, std::string_view now);

  // Links (provider, subject) to a user. 409 when that identity is linked already (to anyone);
  // 400 (invalid_reference) for an unknown user.
  boost::asio::awaitable<OidcIdentity> link_identity(Executor& db, const NewOidcIdentity& identity);
  // The user linked to (provider, subject), or nullopt.
  boost::asio::awaitable<std::optional<std::int64_t>> find_user_by_identity(Executor& db, std::string_view provider,
                                                                            std::string_view subject);
  // Sets last_login_at to the database's now and the email to `email` (the provider's latest) for
  // (provider, subject); returns the linked user, or nullopt when the identity is not linked.
  boost::asio::awaitable<std::optional<std::int64_t>> record_login(Executor& db, std::string_view provider,
                                                                   std::string_view subject,
                                                                   std::optional<std::string> email);
  // The identities linked to a user, oldest first.
  boost::asio::awaitable<std::vector<OidcIdentity>> list_for_user(Executor& db, std::int64_t user_id);
  // Unlinks one identity of a user; whether it existed.
  boost::asio::awaitable<bool> unlink(Executor& db, std::int64_t user_id, std::string_view provider);

 private:
  struct Queries {
    Query save_state, consume_state, purge_expired_states, link_identity, find_user_by_identity, record_login,
        list_for_user, unlink;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
