#pragma once
// Route-level permission policies, declared next to each route (RouteDoc::permissions) and
// checked by the router before the handler. Object-level rules (owner, conversation member) are
// checked by the actions, which answer 404 for objects the caller may not see.
//
// Personal tokens carry scopes: `read` allows safe methods, `write` unsafe ones, `admin` the
// admin endpoints. Access tokens and sessions have every scope their user's role allows.
#include "http/router.hpp"

namespace parley::accounts {

// Whether `p` may act with `scope` (read, write, admin): always for access tokens and sessions,
// for a personal token when it carries the scope. GraphQL asks read for queries and subscriptions,
// write for mutations.
bool has_scope(const http::Principal& p, std::string_view scope);

// 401 without a principal; 403 when a personal token lacks the scope the method needs.
http::Permission authenticated();
// authenticated() plus role admin or owner (and the `admin` scope for personal tokens); else 403.
http::Permission admin_only();
// authenticated() plus any role but guest; else 403.
http::Permission not_guest();

}  // namespace parley::accounts
