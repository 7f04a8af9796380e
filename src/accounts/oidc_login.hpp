#pragma once
// Sign-in with an OpenID provider into a browser session (docs/api.md "Authentication":
// GET /auth/oidc/{provider}/login and /callback; routes in app/routes_oidc.cpp).
//
// begin() starts a login: the provider's authorization URL and a fresh random "binding" value for
// the `__Host-parley_oidc` cookie. The state, nonce and PKCE verifier are stored server-side
// (oidc_login_states) under login_state_key(state, binding), so only the browser holding that
// cookie can finish the login (a leaked or planted state is useless: login CSRF).
//
// complete() finishes it at the callback: consumes the state once, verifies the id_token
// (OidcClient::complete_login), then finds the account: the identity already linked -> its user;
// otherwise a provider-verified email of an existing account -> link the identity to it; otherwise
// create an OIDC-only account (no password, role member) from a provider-verified email and link
// it. An email the provider does not mark verified never links nor creates an account (it would let
// anyone claim someone else's address). Deactivated accounts are refused. The account, the
// identity link, the new session and the audit rows (auth.login {"method":"oidc"}, user.registered,
// auth.oidc_linked) are written in one transaction.
//
// Thread-safe: holds no per-request state.
#include "accounts/accounts.hpp"
#include "auth/oidc/oidc_client.hpp"
#include "core/config.hpp"
#include "db/repositories/oidc_repository.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley::accounts {

// The browser-binding cookie of a login in progress. `__Host-`: Secure, Path=/, no Domain.
inline constexpr std::string_view kOidcBindingCookie = "__Host-parley_oidc";
// How long a started login may take (state row and cookie).
inline constexpr std::chrono::seconds kOidcLoginLifetime{600};

// "__Host-parley_oidc=<binding>; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600". Lax: the
// provider's redirect back is a top-level GET navigation, which carries Lax cookies.
std::string oidc_binding_cookie(std::string_view binding);
// The same cookie emptied with Max-Age=0.
std::string cleared_oidc_binding_cookie();

// Whether `path` may follow the login as a redirect: a same-origin relative path ("/..." but not
// "//..." or "/\..."), at most 2048 characters of visible ASCII. Anything else (an absolute URL,
// a scheme-relative one) is refused: no open redirect.
bool is_safe_redirect_path(std::string_view path) noexcept;

// A username for a new account from the provider's claims: preferred_username, else the email's
// local part, lower-cased, characters outside [a-z0-9_.-] replaced by '_', starting with a letter
// or digit, 3 to 32 characters ("user" when nothing usable is left). Not yet unique.
std::string username_from_claims(const auth::oidc::IdentityClaims& claims);

struct OidcLoginStart {
  std::string authorization_url;  // 302 Location
  std::string binding;            // the __Host-parley_oidc cookie value
};

struct OidcCallback {
  std::string code;
  std::string state;
  std::optional<std::string> iss;  // RFC 9207 "iss" parameter, when the provider sends one
  std::string binding;             // the __Host-parley_oidc cookie the browser sent ("" when none)
};

struct OidcLoginResult {
  SessionLogin session;
  std::string redirect_url;  // PARLEY_PUBLIC_URL + the stored same-origin path, or + "/"
  bool created = false;      // a new account was created
  bool linked = false;       // the identity was linked during this login
};

class OidcLogin {
 public:
  // All three must outlive the OidcLogin.
  OidcLogin(const Config& config, Accounts& accounts, const auth::oidc::OidcProviders& providers);

  // Starts a login with `provider` (404 when not configured). `redirect_to`, where the browser goes
  // after the login, must pass is_safe_redirect_path (400 otherwise).
  boost::asio::awaitable<OidcLoginStart> begin(std::string provider, std::optional<std::string> redirect_to);

  // Finishes a login at the callback (see the file comment) and starts a session for the user;
  // `previous_session_id`, the session cookie the browser sent, is revoked, never reused.
  // Throws 404 for an unknown provider; 400 `oidc_state_invalid` when the state is unknown, used,
  // expired, another provider's or another browser's (no or a different binding cookie); 401
  // `oidc_failed` when the provider's answer does not verify (OidcClient); 403 `account_inactive`
  // for a deactivated account; 403 `oidc_email_unverified` when no account is linked and the
  // provider gave no verified email.
  boost::asio::awaitable<OidcLoginResult> complete(std::string provider, OidcCallback callback,
                                                   std::optional<std::string> previous_session_id, RequestMeta meta);

  // Records a provider's error answer (?error=...) as auth.login_failed and consumes the state when
  // the browser's binding finds it; always throws 401 `oidc_failed`.
  boost::asio::awaitable<void> refuse_provider_error(std::string provider, std::string error, std::string state,
                                                     std::string binding, RequestMeta meta);

 private:
  struct Resolved;
  boost::asio::awaitable<Resolved> resolve_user(db::Executor& tx, const std::string& provider,
                                                const auth::oidc::IdentityClaims& claims, const RequestMeta& meta);
  boost::asio::awaitable<std::string> unique_username(db::Executor& tx, const auth::oidc::IdentityClaims& claims);
  boost::asio::awaitable<void> audit_failure(const std::string& provider, std::optional<std::int64_t> user,
                                             std::string_view reason, const RequestMeta& meta);

  const Config& config_;
  Accounts& accounts_;
  const auth::oidc::OidcProviders& providers_;
  db::repositories::OidcRepository oidc_repo_;
};

}  // namespace parley::accounts
