// Incoming webhook routes (docs/api.md "Webhooks and bots"): managing a conversation's webhooks, and
// POST /hooks/{token}, where other systems post (messaging/incoming_webhooks.hpp holds the rules).
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"
#include "messaging/conversation_input.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/views.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using messaging::IncomingWebhooks;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

// hook_json's output; `created`: with the token and the URL, shown once, when it is created.
json::value hook_schema(bool created) {
  auto out = schema::object(
      {{"id", schema::integer()},
       {"conversation_id", schema::integer()},
       {"name", schema::string()},
       {"bot", schema::object(
                   {{"id", schema::integer()}, {"username", schema::string()}, {"display_name", schema::string()}})},
       {"created_by", schema::nullable(schema::integer())},
       {"created_at", schema::string("date-time")}});
  if (created) {
    auto& properties = out.as_object()["properties"].as_object();
    properties["token"] = schema::string();
    properties["url"] = schema::string("uri");
  }
  return out;
}

json::object hook_json(const db::repositories::IncomingWebhook& h) {
  return json::object{{"id", h.id},
                      {"conversation_id", h.conversation_id},
                      {"name", h.name},
                      {"bot", json::object{{"id", h.bot_user_id},
                                           {"username", h.bot_username},
                                           {"display_name", h.bot_display_name}}},
                      {"created_by", json_or_null(h.created_by)},
                      {"created_at", h.created_at}};
}

}  // namespace

void add_incoming_webhook_routes(http::Router& router, IncomingWebhooks& hooks, const std::string& public_url) {
  const std::vector<http::Permission> managers{accounts::authenticated(), accounts::not_guest()};

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/incoming-webhooks",
      [&hooks, &public_url](Request& req) -> Awaitable {
        auto name = messaging::read_incoming_webhook_name(parse_json_body(req.body()));
        auto by = *req.principal;
        auto created = co_await hooks.do_create(by, req.int_param("id"), std::move(name));
        auto out = hook_json(created.hook);
        // The token is the credential, shown this once; the URL is on PARLEY_PUBLIC_URL.
        out["url"] = public_url + "/hooks/" + created.token;
        out["token"] = std::move(created.token);
        co_return Response::json(std::move(out), 201);
      },
      RouteDoc{.summary = "Create an incoming webhook: a secret URL (returned once) that posts into this "
                          "conversation as a new bot user. Owners and admins of the conversation",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"name", schema::string()}}, {"name"}),
               .responses = {{201, "The webhook with its token and URL", hook_schema(true)}},
               .permissions = managers});

  router.add(
      Method::get, "/api/v1/conversations/{id:int}/incoming-webhooks",
      [&hooks](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto rows = co_await hooks.list(by, req.int_param("id"));
        json::array results;
        for (const auto& h : rows) results.push_back(hook_json(h));
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", nullptr}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "The conversation's incoming webhooks (tokens are never shown again)",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .responses = {{200, "The webhooks", page_schema(hook_schema(false))}},
               .consumes = {},
               .permissions = managers});

  router.add(
      Method::del, "/api/v1/conversations/{id:int}/incoming-webhooks/{hook_id:int}",
      [&hooks](Request& req) -> Awaitable {
        auto by = *req.principal;
        co_await hooks.do_revoke(by, req.int_param("id"), req.int_param("hook_id"));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Revoke an incoming webhook: its URL stops working and its bot is deactivated (its "
                          "messages stay)",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .responses = {{204, "Revoked", json::value()}},
               .consumes = {},
               .permissions = managers});

  router.add(
      Method::post, "/hooks/{token}",
      [&hooks](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto text = in.string("text", {.required = true, .max_length = messaging::kMaxBodyLength});
        in.finish();
        const std::string token(req.param("token"));
        auto sent = co_await hooks.post(token, *text);
        co_return Response::json_text(std::move(sent.json), 201);
      },
      RouteDoc{.summary = "Post a message through an incoming webhook: {\"text\": Markdown} appears in the "
                          "webhook's conversation from its bot. The token in the URL is the credential",
               .tags = {"webhooks"},
               .auth = http::Auth::none,
               .request_schema = schema::object({{"text", schema::string()}}, {"text"}),
               .responses = {{201, "The message", messaging::message_schema()}},
               .rate_limit = "message_send",
               .analytics_event = "message_sent"});
}

}  // namespace parley
