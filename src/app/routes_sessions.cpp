// Browser session routes (docs/api.md "Authentication": POST and DELETE /api/v1/auth/session). Thin
// handlers over the Accounts session actions; the cookie itself is described in accounts/sessions.hpp.
#include "accounts/accounts.hpp"
#include "accounts/permissions.hpp"
#include "accounts/sessions.hpp"
#include "accounts/user_json.hpp"
#include "app/app.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
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

void add_session_routes(http::Router& router, accounts::Accounts& accounts) {
  router.add(
      Method::post, std::string(accounts::kSessionPath),
      [&accounts](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto login = in.string("login", {.required = true, .trim = true, .max_length = 254});
        auto password = in.string("password", {.required = true, .max_length = 1024});
        in.finish();
        // The cookie the browser already holds, if any: revoked on success, never reused (fixation).
        std::optional<std::string> previous;
        auto cookies = req.header("Cookie");
        if (auto value = http::find_cookie(cookies, accounts::kSessionCookie)) previous = std::string(*value);
        // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
        std::string login_text = std::move(*login);
        std::string password_text = std::move(*password);
        auto meta = RequestMeta::of(req);
        auto session = co_await accounts.do_login_session(std::move(login_text), std::move(password_text),
                                                          std::move(previous), std::move(meta));
        auto response =
            Response::json(json::object{{"user", accounts::user_json(session.user, true)}, {"csrf_token", session.csrf_token}});
        response.set_header("Set-Cookie", accounts::session_cookie(session.session_id, session.max_age));
        co_return response;
      },
      RouteDoc{.summary = "Log in with a login (username or email) and password into a browser session: sets the "
                          "__Host-parley_session cookie and returns the user and the CSRF token for X-CSRF-Token",
               .tags = {"auth"},
               .request_schema = schema::object({{"login", schema::string()}, {"password", schema::string("password")}},
                                                {"login", "password"}),
               .responses = {{200, "The user and the session's CSRF token",
                              schema::object({{"user", accounts::user_schema(accounts::EmailField::always)},
                                              {"csrf_token", schema::string()}})}},
               .rate_limit = "login",
               .analytics_event = "login"});

  router.add(
      Method::del, std::string(accounts::kSessionPath),
      [&accounts](Request& req) -> Awaitable {
        const auto& principal = *req.principal;
        if (principal.via != http::Principal::Via::session) {
          throw AppError::bad_request("Only a cookie session can be ended here; token clients use POST /api/v1/auth/logout.",
                                      "not_a_session");
        }
        auto meta = RequestMeta::of(req);
        co_await accounts.do_logout_session(principal.session_id, principal.user_id, std::move(meta));
        auto response = Response::no_content();
        response.set_header("Set-Cookie", accounts::cleared_session_cookie());
        co_return response;
      },
      RouteDoc{.summary = "End the caller's browser session (needs X-CSRF-Token) and clear its cookie",
               .tags = {"auth"},
               .auth = http::Auth::user,
               .responses = {{204, "Logged out", json::value()}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});
}

}  // namespace parley
