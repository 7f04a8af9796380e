// Outgoing webhook routes (docs/api.md "Webhooks and bots": /webhooks, /webhooks/{id},
// /webhooks/{id}/deliveries). Each is the signed-in user's own; webhooks/webhooks.hpp holds the rules.
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"
#include "webhooks/webhook_input.hpp"
#include "webhooks/webhooks.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace repo = db::repositories;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using webhooks::Webhooks;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

// When webhook_json's output carries the signing secret: on creation, after a rotation only
// (PATCH with rotate_secret), or never (reads and lists).
enum class SecretField { always, when_rotated, never };

json::value webhook_schema(SecretField secret) {
  auto out = schema::object({{"id", schema::integer()},
                             {"url", schema::string("uri")},
                             {"events", schema::array(schema::string())},
                             {"conversation_id", schema::nullable(schema::integer())},
                             {"description", schema::string()},
                             {"is_active", schema::boolean()},
                             {"failing_since", schema::nullable(schema::string("date-time"))},
                             {"disabled_reason", schema::nullable(schema::string())},
                             {"created_at", schema::string("date-time")},
                             {"updated_at", schema::string("date-time")}});
  if (secret == SecretField::never) return out;
  out.as_object()["properties"].as_object()["secret"] = schema::string();
  return secret == SecretField::always ? out : schema::with_optional(std::move(out), {"secret"});
}

json::object webhook_json(const repo::Webhook& w, const std::optional<std::string>& secret = std::nullopt) {
  boost::system::error_code ec;
  auto events = json::parse(w.events_json, ec);
  json::object out{{"id", w.id},
                   {"url", w.url},
                   {"events", ec ? json::value(json::array()) : std::move(events)},
                   {"conversation_id", json_or_null(w.conversation_id)},
                   {"description", w.description},
                   {"is_active", w.is_active},
                   {"failing_since", json_or_null(w.failing_since)},
                   {"disabled_reason", json_or_null(w.disabled_reason)},
                   {"created_at", w.created_at},
                   {"updated_at", w.updated_at}};
  // The signing secret is shown once: when created, and when rotated.
  if (secret) out["secret"] = *secret;
  return out;
}

json::object delivery_json(const repo::WebhookDelivery& d) {
  boost::system::error_code ec;
  auto payload = json::parse(d.payload_json, ec);
  return json::object{
      {"id", d.id},
      {"event_id", d.event_id},
      {"event", d.event_type},
      {"status", d.status},
      {"attempts", d.attempts},
      {"last_status_code", json_or_null(d.last_status_code)},
      {"last_error", json_or_null(d.last_error)},
      {"last_duration_ms", json_or_null(d.last_duration_ms)},
      {"next_attempt_at", json_or_null(d.next_attempt_at)},
      {"created_at", d.created_at},
      {"finished_at", json_or_null(d.finished_at)},
      {"payload", ec ? json::value(nullptr) : std::move(payload)}};
}

std::string page_link(const std::string& base, std::int64_t cursor, std::int64_t limit) {
  return base + "?cursor=" + std::to_string(cursor) + "&limit=" + std::to_string(limit);
}

}  // namespace

void add_webhook_routes(http::Router& router, Webhooks& hooks) {
  // Signed in (a personal token needs "write" to change them), and not a guest: webhooks copy
  // what their owner can read to another system.
  const std::vector<http::Permission> own_webhooks{accounts::authenticated(), accounts::not_guest()};
  router.add(
      Method::get, "/api/v1/webhooks",
      [&hooks](Request& req) -> Awaitable {
        auto q = req.query();
        auto before = query_int(q, "cursor", {.min = 1});
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto by = *req.principal;
        auto rows = co_await hooks.list(by, before, static_cast<int>(limit) + 1);
        const bool more = rows.size() > static_cast<std::size_t>(limit);
        if (more) rows.pop_back();
        json::array results;
        for (const auto& w : rows) results.push_back(webhook_json(w));
        json::value next = more ? json::value(page_link("/api/v1/webhooks", rows.back().id, limit)) : nullptr;
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Your outgoing webhooks, newest first (secrets are never shown again)",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .query = query_doc::page(),
               .responses = {{200, "A page of webhooks", page_schema(webhook_schema(SecretField::never))}},
               .consumes = {},
               .permissions = own_webhooks});

  router.add(
      Method::post, "/api/v1/webhooks",
      [&hooks](Request& req) -> Awaitable {
        auto input = webhooks::read_webhook_input(parse_json_body(req.body()));
        auto by = *req.principal;
        auto created = co_await hooks.do_create(by, std::move(input));
        co_return Response::json(webhook_json(created.webhook, created.secret), 201);
      },
      RouteDoc{.summary = "Register a URL for event types (\"*\" for all), optionally of one conversation you are in. "
                          "Deliveries are POSTs signed with the secret returned here, once",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"url", schema::string("uri")},
                                                 {"events", schema::array(schema::string())},
                                                 {"conversation_id", schema::nullable(schema::integer())},
                                                 {"description", schema::string()}},
                                                {"url", "events"}),
               .responses = {{201, "The webhook with its signing secret", webhook_schema(SecretField::always)}},
               .permissions = own_webhooks});

  router.add(
      Method::get, "/api/v1/webhooks/{id:int}",
      [&hooks](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto hook = co_await hooks.get(by, req.int_param("id"));
        co_return Response::json(webhook_json(hook));
      },
      RouteDoc{.summary = "One of your webhooks",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .responses = {{200, "The webhook", webhook_schema(SecretField::never)}},
               .consumes = {},
               .permissions = own_webhooks});

  router.add(
      Method::patch, "/api/v1/webhooks/{id:int}",
      [&hooks](Request& req) -> Awaitable {
        auto patch = webhooks::read_webhook_patch(parse_json_body(req.body()));
        auto by = *req.principal;
        auto id = req.int_param("id");
        auto updated = co_await hooks.do_update(by, id, std::move(patch));
        co_return Response::json(webhook_json(updated.webhook, updated.secret));
      },
      RouteDoc{.summary = "Change a webhook: url, events, conversation_id, description; is_active true switches a "
                          "disabled one back on; rotate_secret true issues a new secret (shown in this answer only)",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"url", schema::string("uri")},
                                                 {"events", schema::array(schema::string())},
                                                 {"conversation_id", schema::nullable(schema::integer())},
                                                 {"description", schema::string()},
                                                 {"is_active", schema::boolean()},
                                                 {"rotate_secret", schema::boolean()}}),
               .responses = {{200, "The webhook (with a new secret when rotated)",
                              webhook_schema(SecretField::when_rotated)}},
               .permissions = own_webhooks});

  router.add(
      Method::del, "/api/v1/webhooks/{id:int}",
      [&hooks](Request& req) -> Awaitable {
        auto by = *req.principal;
        co_await hooks.do_delete(by, req.int_param("id"));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Delete a webhook and its delivery log",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .responses = {{204, "Deleted", json::value()}},
               .consumes = {},
               .permissions = own_webhooks});

  router.add(
      Method::get, "/api/v1/webhooks/{id:int}/deliveries",
      [&hooks](Request& req) -> Awaitable {
        auto q = req.query();
        auto before = query_int(q, "cursor", {.min = 1});
        auto limit = query_int(q, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
        auto by = *req.principal;
        auto id = req.int_param("id");
        auto rows = co_await hooks.deliveries(by, id, before, static_cast<int>(limit) + 1);
        const bool more = rows.size() > static_cast<std::size_t>(limit);
        if (more) rows.pop_back();
        json::array results;
        for (const auto& d : rows) results.push_back(delivery_json(d));
        json::value next = more ? json::value(page_link("/api/v1/webhooks/" + std::to_string(id) + "/deliveries",
                                                        rows.back().id, limit))
                                : nullptr;
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "The webhook's deliveries, newest first: attempts, the last status code and error, and "
                          "when the next attempt runs",
               .tags = {"webhooks"},
               .auth = http::Auth::user,
               .query = query_doc::page(),
               .responses = {{200, "A page of deliveries",
                              page_schema(schema::object({{"id", schema::integer()},
                                                          {"event_id", schema::integer()},
                                                          {"event", schema::string()},
                                                          {"status", schema::string()},
                                                          {"attempts", schema::integer()},
                                                          {"last_status_code", schema::nullable(schema::integer())},
                                                          {"last_error", schema::nullable(schema::string())},
                                                          {"last_duration_ms", schema::nullable(schema::integer())},
                                                          {"next_attempt_at", schema::nullable(schema::string("date-time"))},
                                                          {"created_at", schema::string("date-time")},
                                                          {"finished_at", schema::nullable(schema::string("date-time"))},
                                                          // The event's payload as it was sent (null if unreadable).
                                                          {"payload", schema::nullable(schema::object({}))}}))}},
               .consumes = {},
               .permissions = own_webhooks});
}

}  // namespace parley
