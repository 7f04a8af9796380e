// OpenID Connect sign-in routes (docs/api.md "Authentication": GET /api/v1/auth/oidc/{provider}/login and
// /callback). Thin handlers over accounts::OidcLogin (accounts/oidc_login.hpp): the login answers
// 302 to the provider and sets the browser-binding cookie; the callback signs the browser in (the
// same session and CSRF token as POST /auth/session), clears the binding cookie and answers 302 to
// PARLEY_PUBLIC_URL. The session's CSRF token cannot travel in a redirect's body, so it is set as the
// script-readable cookie __Host-parley_csrf for the web client to echo in X-CSRF-Token.
#include "accounts/oidc_login.hpp"
#include "accounts/sessions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "http/cookies.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
using accounts::RequestMeta;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

Response redirect(const std::string& location) {
  Response response{302, {}, {}, {}};
  response.set_header("Location", location);
  response.set_header("Cache-Control", "no-store");
  return response;
}

std::string cookie_value(const Request& req, std::string_view name) {
  auto value = http::find_cookie(req.header("Cookie"), name);
  return value ? std::string(*value) : std::string();
}

}  // namespace

void add_oidc_routes(http::Router& router, accounts::OidcLogin& login) {
  router.add(
      Method::get, std::string(accounts::kOidcPathPrefix) + "{provider}/login",
      [&login](Request& req) -> Awaitable {
        std::string provider(req.param("provider"));
        auto redirect_to = req.query_param("redirect_to");
        auto start = co_await login.begin(std::move(provider), std::move(redirect_to));
        auto response = redirect(start.authorization_url);
        response.set_header("Set-Cookie", accounts::oidc_binding_cookie(start.binding));
        co_return response;
      },
      RouteDoc{.summary = "Start signing in with an OpenID provider: 302 to the provider's authorization endpoint; "
                          "sets the __Host-parley_oidc cookie that binds the login to this browser (10 minutes). "
                          "Optional ?redirect_to=/path (same-origin path) is where the browser lands afterwards",
               .tags = {"auth"},
               .query = {query_doc::text("redirect_to", "Where the browser lands afterwards: a path on this site")},
               .responses = {{302, "Redirect to the provider", json::value()}},
               .consumes = {}});

  router.add(
      Method::get, std::string(accounts::kOidcPathPrefix) + "{provider}/callback",
      [&login](Request& req) -> Awaitable {
        std::string provider(req.param("provider"));
        std::string binding = cookie_value(req, accounts::kOidcBindingCookie);
        auto meta = RequestMeta::of(req);
        if (auto error = req.query_param("error")) {
          std::string error_code = std::move(*error);
          std::string state = req.query_param("state").value_or("");
          co_await login.refuse_provider_error(std::move(provider), std::move(error_code), std::move(state),
                                               std::move(binding), std::move(meta));
        }
        accounts::OidcCallback callback{.code = req.query_param("code").value_or(""),
                                        .state = req.query_param("state").value_or(""),
                                        .iss = req.query_param("iss"),
                                        .binding = std::move(binding)};
        // The session cookie the browser holds, if any: revoked on success, never reused (fixation).
        std::optional<std::string> previous;
        if (auto value = http::find_cookie(req.header("Cookie"), accounts::kSessionCookie)) previous = std::string(*value);
        auto result = co_await login.complete(std::move(provider), std::move(callback), std::move(previous),
                                              std::move(meta));
        auto response = redirect(result.redirect_url);
        response.headers.emplace_back("Set-Cookie",
                                      accounts::session_cookie(result.session.session_id, result.session.max_age));
        response.headers.emplace_back("Set-Cookie",
                                      accounts::csrf_cookie(result.session.csrf_token, result.session.max_age));
        response.headers.emplace_back("Set-Cookie", accounts::cleared_oidc_binding_cookie());
        co_return response;
      },
      RouteDoc{
          .summary = "The provider's redirect back (?code=&state=[&iss=] or ?error=): verifies the login, links "
                     "or creates the account, sets __Host-parley_session and __Host-parley_csrf, and redirects "
                     "(302) to PARLEY_PUBLIC_URL",
          .tags = {"auth"},
          .query = {query_doc::text("code", "The authorization code"),
                    query_doc::text("state", "The state Parley sent"), query_doc::text("iss", "The issuer (RFC 9207)"),
                    query_doc::text("error", "The provider's refusal, instead of code")},
          .responses = {{302, "Signed in: redirect to the web client", json::value()}},
          .consumes = {},
          .analytics_event = "login"});
}

}  // namespace parley
