// Personal and bot token routes (docs/api.md "Authentication": /auth/tokens). Handlers validate input,
// call one PersonalTokens action, and serialize the result; the secret appears only in the 201.
#include "accounts/account_input.hpp"
#include "accounts/permissions.hpp"
#include "accounts/personal_tokens.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
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

json::value nullable_time(const std::optional<std::string>& time) {
  return time ? json::value(*time) : json::value(nullptr);
}

json::object token_json(const accounts::PersonalToken& token) {
  json::array scopes;
  for (const auto& s : token.scopes) scopes.emplace_back(s);
  return json::object{{"id", token.id},
                      {"name", token.name},
                      {"prefix", token.token_prefix},
                      {"scopes", std::move(scopes)},
                      {"created_at", token.created_at},
                      {"last_used_at", nullable_time(token.last_used_at)},
                      {"expires_at", nullable_time(token.expires_at)}};
}

json::value token_schema(bool with_secret) {
  auto s = schema::object({{"id", schema::integer()},
                           {"name", schema::string()},
                           {"prefix", schema::string()},
                           {"scopes", schema::array(schema::string())},
                           {"created_at", schema::string("date-time")},
                           {"last_used_at", schema::nullable(schema::string("date-time"))},
                           {"expires_at", schema::nullable(schema::string("date-time"))}});
  if (with_secret) s.as_object()["properties"].as_object()["token"] = schema::string();
  return s;
}

}  // namespace

void add_token_routes(http::Router& router, accounts::PersonalTokens& tokens) {
  router.add(
      Method::get, "/api/v1/auth/tokens",
      [&tokens](Request& req) -> Awaitable {
        auto list = co_await tokens.list(req.principal->user_id);
        json::array results;
        for (const auto& t : list) results.push_back(token_json(t));
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", nullptr}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "The caller's personal and bot tokens, newest first (never their secrets)",
               .tags = {"auth"},
               .auth = http::Auth::user,
               .responses = {{200, "The tokens", page_schema(token_schema(false))}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::post, "/api/v1/auth/tokens",
      [&tokens](Request& req) -> Awaitable {
        auto token = accounts::read_new_token(parse_json_body(req.body()));
        // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
        auto by = *req.principal;
        auto meta = RequestMeta::of(req);
        auto created = co_await tokens.do_create_token(std::move(by), std::move(token), std::move(meta));
        auto out = token_json(created.token);
        out["token"] = created.secret;
        auto response = Response::json(std::move(out), 201);
        response.set_header("Cache-Control", "no-store");
        co_return response;
      },
      RouteDoc{.summary = "Create a personal token; the secret `token` is in this response only. Needs a password "
                          "login (not a token); the admin scope needs an admin",
               .tags = {"auth"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"name", schema::string()},
                                                 {"scopes", schema::array(schema::string())},
                                                 {"expires_in_days", schema::integer()}},
                                                {"name", "scopes"}),
               .responses = {{201, "The token, with its secret", token_schema(true)}},
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::del, "/api/v1/auth/tokens/{id:int}",
      [&tokens](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto id = req.int_param("id");
        auto meta = RequestMeta::of(req);
        co_await tokens.do_revoke_token(std::move(by), id, std::move(meta));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Revoke one of the caller's tokens (404 for anyone else's). Needs a password login",
               .tags = {"auth"},
               .auth = http::Auth::user,
               .responses = {{204, "Revoked", json::value()}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});
}

}  // namespace parley
