// Authentication and user routes (docs/api.md "Authentication" and "Users"). Handlers are thin: they
// validate input, call one Accounts action or repository read, and serialize the result.
#include "accounts/account_input.hpp"
#include "accounts/accounts.hpp"
#include "accounts/directory.hpp"
#include "accounts/permissions.hpp"
#include "accounts/user_json.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

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

// Usernames: 3-32 of lower-case letters, digits, '_', '.', '-', starting with a letter or digit.
const Pattern kUsername("[a-z0-9][a-z0-9_.-]{2,31}", "Use 3 to 32 lower-case letters, digits, '_', '.' or '-'.");

json::value token_pair_schema() {
  return schema::object({{"access", schema::string()},
                         {"refresh", schema::string()},
                         {"token_type", schema::string()},
                         {"expires_in", schema::integer()}});
}

Response token_response(const accounts::TokenPair& pair) {
  return Response::json(json::object{{"access", pair.access},
                                     {"refresh", pair.refresh},
                                     {"token_type", "Bearer"},
                                     {"expires_in", pair.expires_in}});
}

const http::Principal& principal(const Request& req) { return *req.principal; }

}  // namespace

void add_account_routes(http::Router& router, accounts::Accounts& accounts) {
  router.add(
      Method::post, "/api/v1/auth/register",
      [&accounts](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto username = in.string("username", {.required = true, .min_length = 3, .max_length = 32, .pattern = &kUsername});
        auto email = in.email("email", {.required = true});
        auto password = in.string("password", {.required = true, .allow_control = false});
        auto display_name = in.string("display_name", {.trim = true, .allow_blank = true, .max_length = 64, .single_line = true});
        in.finish();
        // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
        accounts::Registration registration{*username, *email, *password, display_name.value_or(*username)};
        auto meta = RequestMeta::of(req);
        auto user = co_await accounts.do_register(std::move(registration), std::move(meta));
        auto response = Response::json(accounts::user_json(user, true), 201);
        response.set_header("Location", "/api/v1/users/" + std::to_string(user.id));
        co_return response;
      },
      RouteDoc{.summary = "Create an account",
               .tags = {"auth"},
               .request_schema = schema::object({{"username", schema::string()},
                                                 {"email", schema::string("email")},
                                                 {"password", schema::string("password")},
                                                 {"display_name", schema::string()}},
                                                {"username", "email", "password"}),
               .responses = {{201, "The new user", accounts::user_schema(accounts::EmailField::always)}},
               .rate_limit = "register",
               .analytics_event = "signup"});

  router.add(
      Method::post, "/api/v1/auth/token",
      [&accounts](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto login = in.string("login", {.required = true, .trim = true, .max_length = 254});
        auto password = in.string("password", {.required = true, .max_length = 1024});
        in.finish();
        auto meta = RequestMeta::of(req);
        auto pair = co_await accounts.do_login(*login, *password, std::move(meta));
        co_return token_response(pair);
      },
      RouteDoc{.summary = "Exchange a login (username or email) and password for an access and refresh token",
               .tags = {"auth"},
               .request_schema = schema::object({{"login", schema::string()}, {"password", schema::string("password")}},
                                                {"login", "password"}),
               .responses = {{200, "A token pair", token_pair_schema()}},
               .rate_limit = "login",
               .analytics_event = "login"});

  router.add(
      Method::post, "/api/v1/auth/token/refresh",
      [&accounts](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto refresh = in.string("refresh", {.required = true, .max_length = 8192});
        in.finish();
        auto meta = RequestMeta::of(req);
        auto pair = co_await accounts.do_refresh(*refresh, std::move(meta));
        co_return token_response(pair);
      },
      RouteDoc{.summary = "Rotate a refresh token: returns a new pair; reusing a rotated token revokes its family",
               .tags = {"auth"},
               .request_schema = schema::object({{"refresh", schema::string()}}, {"refresh"}),
               .responses = {{200, "A new token pair", token_pair_schema()}},
               .rate_limit = "login"});

  router.add(
      Method::post, "/api/v1/auth/logout",
      [&accounts](Request& req) -> Awaitable {
        // A cookie-session caller may send no body: the cookie says which session ends.
        bool session = req.principal && req.principal->via == http::Principal::Via::session;
        std::optional<std::string> refresh;
        if (!session || !req.body().empty()) {
          auto body = parse_json_body(req.body());
          ObjectReader in(body);
          refresh = in.string("refresh", {.required = !session, .max_length = 8192}).to_optional();
          in.finish();
        }
        auto meta = RequestMeta::of(req);
        if (refresh) co_await accounts.do_logout(*refresh, meta);
        if (!session) co_return Response::no_content();
        co_await accounts.do_logout_session(req.principal->session_id, req.principal->user_id, std::move(meta));
        auto response = Response::no_content();
        response.set_header("Set-Cookie", accounts::cleared_session_cookie());
        co_return response;
      },
      RouteDoc{.summary = "Revoke the refresh token's family (every token rotated from the same login); a "
                          "cookie-session caller's session ends too (its body may be empty)",
               .tags = {"auth"},
               .request_schema = schema::object({{"refresh", schema::string()}}),
               .responses = {{204, "Logged out", json::value()}}});

  auto me_doc =
      RouteDoc{.summary = "The caller's profile",
               .tags = {"users"},
               .auth = http::Auth::user,
               .responses = {{200, "The user, with email", accounts::user_schema(accounts::EmailField::always)}},
               .consumes = {},
               .permissions = {accounts::authenticated()}};
  router.add(
      Method::get, "/api/v1/users/me",
      [&accounts](Request& req) -> Awaitable {
        auto user = co_await accounts.users().find_by_id(accounts.database(), principal(req).user_id);
        if (!user) throw AppError::not_found();
        co_return Response::json(accounts::user_json(*user, true));
      },
      me_doc);

  router.add(
      Method::patch, "/api/v1/users/me",
      [&accounts](Request& req) -> Awaitable {
        auto change = accounts::read_profile_change(parse_json_body(req.body()));
        auto meta = RequestMeta::of(req);
        auto user = co_await accounts.do_update_profile(principal(req).user_id, std::move(change), std::move(meta));
        co_return Response::json(accounts::user_json(user, true));
      },
      RouteDoc{.summary = "Change the caller's display name, email or password (password needs current_password)",
               .tags = {"users"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"display_name", schema::string()},
                                                 {"email", schema::string("email")},
                                                 {"password", schema::string("password")},
                                                 {"current_password", schema::string("password")}}),
               .responses = {{200, "The updated user", accounts::user_schema(accounts::EmailField::always)}},
               .permissions = {accounts::authenticated()}});

  auto settings_schema =
      schema::object({{"email_notifications", schema::string()}, {"timezone", schema::string()}});
  router.add(
      Method::get, "/api/v1/users/me/settings",
      [&accounts](Request& req) -> Awaitable {
        auto settings = co_await accounts.users().settings(accounts.database(), principal(req).user_id);
        if (!settings) throw AppError::not_found();
        co_return Response::json(accounts::settings_json(*settings));
      },
      RouteDoc{.summary = "The caller's settings",
               .tags = {"users"},
               .auth = http::Auth::user,
               .responses = {{200, "Settings", settings_schema}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::patch, "/api/v1/users/me/settings",
      [&accounts](Request& req) -> Awaitable {
        auto update = accounts::read_settings_update(parse_json_body(req.body()));
        auto settings = co_await accounts.users().update_settings(accounts.database(), principal(req).user_id, update);
        co_return Response::json(accounts::settings_json(settings));
      },
      RouteDoc{.summary = "Change the caller's settings",
               .tags = {"users"},
               .auth = http::Auth::user,
               .request_schema = settings_schema,
               .responses = {{200, "Settings", settings_schema}},
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::get, "/api/v1/users",
      [&accounts](Request& req) -> Awaitable {
        auto search = query_param(req.query(), "search").value_or("");
        auto after = query_int(req.query(), "cursor", {.min = 1});
        auto limit = query_int(req.query(), "limit", {.min = 1, .max = 200}).value_or(50);
        auto by = principal(req);
        auto page = co_await accounts::list_users(accounts.database(), accounts.users(), std::move(by), search, after,
                                                  static_cast<int>(limit));
        json::array results;
        for (const auto& u : page.users) results.push_back(accounts::user_json(u, page.with_email));
        json::value next = nullptr;
        if (page.more) {
          next = "/api/v1/users?cursor=" + std::to_string(page.users.back().id) + "&limit=" + std::to_string(limit) +
                 (search.empty() ? "" : "&search=" + boost::urls::encode(search, boost::urls::unreserved_chars));
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{
          .summary = "The user directory, filtered by ?search=, paginated by cursor",
          .tags = {"users"},
          .auth = http::Auth::user,
          .query = query_doc::page({query_doc::text("search", "Part of a username or display name")}),
          .responses = {{200, "A page of users",
                         page_schema(accounts::user_schema(accounts::EmailField::self_or_admin))}},
          .consumes = {},
          .permissions = {accounts::authenticated()}});

  router.add(
      Method::get, "/api/v1/users/{id:int}",
      [&accounts](Request& req) -> Awaitable {
        auto by = principal(req);
        auto found = co_await accounts::get_user(accounts.database(), accounts.users(), std::move(by), req.int_param("id"));
        co_return Response::json(accounts::user_json(found.user, found.with_email));
      },
      RouteDoc{.summary = "One user",
               .tags = {"users"},
               .auth = http::Auth::user,
               .responses = {{200, "The user", accounts::user_schema(accounts::EmailField::self_or_admin)}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});
}

}  // namespace parley
