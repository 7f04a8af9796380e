#pragma once
#include "accounts/accounts.hpp"
#include "http/middleware.hpp"

#include <memory>

namespace parley::accounts {

// Establishes req.principal from `Authorization: Bearer <JWT access token | pat_...>` or, when
// there is no Authorization header, from the `__Host-parley_session` cookie (Via::session; the
// CSRF middleware then guards unsafe methods). No credentials: the request goes on anonymous
// (routes decide with their permissions). Invalid credentials, or another scheme: 401 with
// WWW-Authenticate (RFC 6750), whatever the route; an ended session's 401 also clears the cookie.
std::unique_ptr<http::Middleware> make_authentication_middleware(Accounts& accounts);

}  // namespace parley::accounts
