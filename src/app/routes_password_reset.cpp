// Password reset routes (docs/api.md "Authentication"): request an emailed single-use link, confirm it.
#include "accounts/password_reset.hpp"
#include "app/app.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

namespace parley {

namespace schema = http::schema;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;

void add_password_reset_routes(http::Router& router, accounts::PasswordReset& reset) {
  router.add(
      Method::post, "/api/v1/auth/password/reset",
      [&reset](Request& req) -> boost::asio::awaitable<Response> {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto email = in.email("email", {.required = true});
        in.finish();
        auto meta = accounts::RequestMeta::of(req);
        co_await reset.do_request(*email, std::move(meta));
        // The same answer whether or not the address has an account.
        co_return Response::json(boost::json::object{
            {"detail", "If an account uses this address, a reset link is on its way."}}, 202);
      },
      RouteDoc{.summary = "Email a single-use password reset link (same answer for unknown addresses)",
               .tags = {"auth"},
               .request_schema = schema::object({{"email", schema::string("email")}}, {"email"}),
               .responses = {{202, "Accepted", schema::object({{"detail", schema::string()}})}},
               .rate_limit = "password_reset"});

  router.add(
      Method::post, "/api/v1/auth/password/reset/confirm",
      [&reset](Request& req) -> boost::asio::awaitable<Response> {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto token = in.string("token", {.required = true, .max_length = 256, .single_line = true});
        auto password = in.string("password", {.required = true, .max_length = 1024});
        in.finish();
        auto meta = accounts::RequestMeta::of(req);
        co_await reset.do_confirm(*token, *password, std::move(meta));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Set a new password with an emailed reset token; ends every login of the account",
               .tags = {"auth"},
               .request_schema = schema::object({{"token", schema::string()}, {"password", schema::string("password")}},
                                                {"token", "password"}),
               .responses = {{204, "Password changed", boost::json::value()}},
               .rate_limit = "password_reset"});
}

}  // namespace parley
