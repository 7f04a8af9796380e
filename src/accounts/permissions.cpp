#include "accounts/permissions.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace parley::accounts {
bool has_scope(const http::Principal& p, std::string_view scope) {
  if (p.via != http::Principal::Via::personal_token) return true;
  return std::find(p.scopes.begin(), p.scopes.end(), scope) != p.scopes.end();
}

namespace {

const http::Principal& require_principal(const http::Request& req) {
  if (!req.principal) {
    throw AppError::unauthenticated().with_header("WWW-Authenticate", R"(Bearer realm="parley")");
  }
  const auto& p = *req.principal;
  bool safe = req.method() == http::Method::get || req.method() == http::Method::head ||
              req.method() == http::Method::options;
  if (!has_scope(p, safe ? "read" : "write"))
    throw AppError::forbidden(std::string("This token lacks the '") + (safe ? "read" : "write") + "' scope.");
  return p;
}

}  // namespace

http::Permission authenticated() {
  return [](const http::Request& req) { require_principal(req); };
}

http::Permission admin_only() {
  return [](const http::Request& req) {
    const auto& p = require_principal(req);
    if (!p.is_admin()) throw AppError::forbidden();
    if (!has_scope(p, "admin")) throw AppError::forbidden("This token lacks the 'admin' scope.");
  };
}

http::Permission not_guest() {
  return [](const http::Request& req) {
    if (require_principal(req).role == "guest") throw AppError::forbidden("Guests cannot do this.");
  };
}

}  // namespace parley::accounts
