// Personal and bot token routes (docs/api.md "Authentication": /auth/tokens). Handlers validate input,
// call one PersonalTokens action, and serialize the result; the secret appears only in the 201.
#include "accounts/permissions.hpp"
#include "accounts/personal_tokens.hpp"
#include "app/app.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

#include <algorithm>

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

// `scopes`: a non-empty array of distinct names from accounts::kTokenScopes.
std::vector<std::string> read_scopes(ObjectReader& in) {
  std::vector<std::string> scopes;
  const json::value* raw = in.raw("scopes");
  if (raw == nullptr) {
    in.add_error("scopes", "This field is required.");
    return scopes;
  }
  if (!raw->is_array() || raw->as_array().empty()) {
    in.add_error("scopes", "Give a non-empty list of scopes: read, write, admin.");
    return scopes;
  }
  for (const auto& item : raw->as_array()) {
    const auto* name = item.if_string();
    auto known = std::begin(accounts::kTokenScopes);
    auto end = std::end(accounts::kTokenScopes);
    if (name == nullptr || std::find(known, end, std::string_view(*name)) == end) {
      in.add_error("scopes", "Each scope must be one of read, write, admin.");
      return {};
    }
    if (std::find(scopes.begin(), scopes.end(), std::string_view(*name)) != scopes.end()) {
      in.add_error("scopes", "Scopes must not repeat.");
      return {};
    }
    scopes.emplace_back(*name);
  }
  return scopes;
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
               .responses = {{200, "The tokens", schema::object({{"results", schema::array(token_schema(false))}})}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::post, "/api/v1/auth/tokens",
      [&tokens](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        accounts::NewToken token;
        auto name = in.string("name", {.required = true, .trim = true, .min_length = 1, .max_length = 100, .single_line = true});
        token.scopes = read_scopes(in);
        token.expires_in_days =
            in.integer("expires_in_days", {.nullable = true, .min = 1, .max = accounts::kMaxTokenLifetimeDays}).to_optional();
        in.finish();
        token.name = *name;
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
