#pragma once
// CSRF protection for cookie-authenticated requests (ASVS 4.0.3 V4.2.2, 3.4.3; OWASP CSRF cheat
// sheet: synchronizer token plus a standard-header origin check). See docs/security.md.
#include "http/middleware.hpp"

#include <memory>
#include <string>
#include <vector>

namespace parley::accounts {

// For a request authenticated by the session cookie (Principal::Via::session) with an unsafe
// method (anything but GET, HEAD, OPTIONS), both must hold, else 403 `csrf_failed`:
//   * `X-CSRF-Token` is present and its SHA-256 equals the session's csrf_token_hash (compared in
//     constant time);
//   * the request is same-origin: `Origin` names this server (its host[:port] equals the Host
//     header; default ports ignored) or one of `trusted_origins` (the explicit CORS origins,
//     which CORS already trusts with credentials); without `Origin`, `Sec-Fetch-Site` must be
//     `same-origin`.
// A session-authenticated WebSocket upgrade (GET with `Upgrade: websocket`) must pass the same
// origin check (no token: browsers cannot add headers to a WebSocket handshake).
// A password session login (POST /api/v1/auth/session) is checked against login CSRF: a browser's
// `Origin` (or else `Sec-Fetch-Site`) must be same-origin when sent; clients that send neither
// (not browsers) pass. Bearer-authenticated and anonymous requests pass untouched: no cookie is
// involved, so no other site can make the browser send their credentials.
// Runs right after authentication. Thread-safe: holds only the configuration.
std::unique_ptr<http::Middleware> make_csrf_middleware(std::vector<std::string> trusted_origins);

}  // namespace parley::accounts
