#pragma once
// Browser sessions: the cookie, what a session login returns, and which routes start a session.
// The session actions themselves are members of Accounts (accounts.hpp), defined in sessions.cpp.
//
// A session is a server-side row (sessions table) found by SHA-256 of a 256-bit random id that
// only the `__Host-parley_session` cookie carries (HttpOnly: page scripts never see it). Its CSRF
// synchronizer token is returned once, in the login response body; the row stores only its hash.
// See docs/security.md "Sessions and CSRF".
#include "db/repositories/user_repository.hpp"
#include "http/request.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::accounts {

// `__Host-`: the browser accepts the cookie only with Secure, Path=/ and no Domain, so no other
// host (a sibling subdomain) and no plain-http page can set or shadow it.
inline constexpr std::string_view kSessionCookie = "__Host-parley_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";
inline constexpr std::string_view kSessionPath = "/api/v1/auth/session";
// GET routes under this prefix (OIDC login and callback, app/routes_oidc.cpp) also start a session.
inline constexpr std::string_view kOidcPathPrefix = "/api/v1/auth/oidc/";

struct SessionLogin {
  db::repositories::User user;
  std::string session_id;  // the cookie value; shown to the browser only
  std::string csrf_token;  // for X-CSRF-Token; shown once, in the response body
  std::chrono::seconds max_age{0};
  // The user whose live session `previous_session_id` named, ended by this login; the caller
  // tells CredentialInvalidator::user_changed after its commit.
  std::optional<std::int64_t> replaced_session_user;
};

// `Set-Cookie` value that stores `session_id` for `max_age`:
// "__Host-parley_session=<id>; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=<seconds>".
std::string session_cookie(std::string_view session_id, std::chrono::seconds max_age);
// `Set-Cookie` value that makes the browser drop the session cookie (empty value, Max-Age=0).
std::string cleared_session_cookie();

// The session's CSRF token for a login that answers with a redirect (OIDC) and so has no body to
// return it in: "__Host-parley_csrf=<token>; Path=/; Secure; SameSite=Lax; Max-Age=<seconds>",
// deliberately not HttpOnly so the web client's scripts can read it and echo it in X-CSRF-Token.
// Another site can neither read it nor make it count (the server compares the header with the
// session's hash and checks Origin).
inline constexpr std::string_view kCsrfCookie = "__Host-parley_csrf";
std::string csrf_cookie(std::string_view csrf_token, std::chrono::seconds max_age);

// Whether `req` is a session login (POST /api/v1/auth/session, or a GET of the OIDC login or
// callback under kOidcPathPrefix). Such a request is never
// authenticated by the session cookie it may carry: a stale cookie must not block a new login,
// and a live one is replaced (never reused: session fixation).
bool establishes_session(const http::Request& req) noexcept;

}  // namespace parley::accounts
