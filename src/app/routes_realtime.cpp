// Real-time routes (docs/api.md "Real-time events", docs/realtime.md): the WebSocket, its connect
// tickets and the long-poll fallback. Handlers validate input and call one Realtime member.
#include "accounts/permissions.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"
#include "realtime/realtime.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

constexpr std::int64_t kMaxEventId = (std::int64_t{1} << 53) - 1;

std::optional<std::int64_t> last_event_id_of(const Request& req) {
  return query_int(req.query(), "last_event_id", {.min = 0, .max = kMaxEventId});
}

json::value frame_schema() {
  return schema::object({{"id", schema::integer()}, {"type", schema::string()}, {"data", schema::object({})}},
                        {"type"});
}

}  // namespace

void add_realtime_routes(http::Router& router, realtime::Realtime& realtime) {
  router.add(
      Method::post, "/api/v1/realtime/ticket",
      [&realtime](Request& req) -> Awaitable {
        const std::int64_t user_id = req.principal->user_id;
        auto ticket = co_await realtime.issue_ticket(user_id);
        auto response = Response::json(
            json::object{{"ticket", std::move(ticket)}, {"expires_in", realtime.settings().ticket_lifetime.count()}},
            201);
        response.set_header("Cache-Control", "no-store");
        co_return response;
      },
      RouteDoc{.summary = "A single-use ticket for a browser's WebSocket connect (GET /api/v1/realtime?ticket=...), "
                          "valid for 30 seconds",
               .tags = {"realtime"},
               .auth = http::Auth::user,
               .responses = {{201, "The ticket",
                              schema::object({{"ticket", schema::string()}, {"expires_in", schema::integer()}})}},
               .consumes = {},
               .permissions = {accounts::authenticated()},
               .rate_limit = "realtime_connect"});

  router.websocket(
      "/api/v1/realtime",
      [&realtime](Request& req) -> boost::asio::awaitable<std::shared_ptr<http::WsEndpoint>> {
        auto last_event_id = last_event_id_of(req);
        auto ticket = query_param(req.query(), "ticket");
        std::int64_t user_id = 0;
        if (req.principal) {
          // The CSRF middleware has checked the Origin of a session-authenticated upgrade.
          user_id = req.principal->user_id;
        } else if (ticket) {
          auto redeemed = co_await realtime.redeem_ticket(*ticket);
          if (!redeemed) throw AppError::unauthenticated("The ticket is unknown, spent or expired.");
          user_id = *redeemed;
        } else {
          throw AppError::unauthenticated();
        }
        co_return realtime.open_socket(user_id, last_event_id);
      },
      RouteDoc{.summary = "The caller's events as WebSocket frames {id, type, data}; authenticated by bearer token, "
                          "session cookie (same origin) or ?ticket=; ?last_event_id=N replays what came after N",
               .tags = {"realtime"},
               .auth = http::Auth::user,
               .query = {query_doc::integer("last_event_id", "Replay the events after this id", 0),
                         query_doc::text("ticket", "A ticket from POST /api/v1/realtime/ticket (browsers)")},
               .responses = {{101, "Switching protocols", {}}, {401, "Not authenticated", {}}},
               .consumes = {},
               .rate_limit = "realtime_connect"});

  router.add(
      Method::get, "/api/v1/events",
      [&realtime](Request& req) -> Awaitable {
        auto last_event_id = last_event_id_of(req);
        const auto timeout_s = query_int(req.query(), "timeout", {.min = 0, .max = realtime.settings().long_poll_max.count()})
                                   .value_or(25);
        const std::int64_t user_id = req.principal->user_id;
        const std::chrono::milliseconds timeout = std::chrono::seconds(timeout_s);
        auto body = co_await realtime.poll(user_id, last_event_id, timeout);
        auto response = Response::json_text(std::move(body));
        response.set_header("Cache-Control", "no-store");
        co_return response;
      },
      RouteDoc{.summary = "Long poll: the caller's events after ?last_event_id=N, waiting up to ?timeout= seconds "
                          "(default 25, at most 60) for one; without last_event_id, the current position at once",
               .tags = {"realtime"},
               .auth = http::Auth::user,
               .query = {query_doc::integer("last_event_id", "The events after this id", 0),
                         {.name = "timeout",
                          .schema = boost::json::object{{"type", "integer"}, {"minimum", 0}, {"default", 25}},
                          .description = "Seconds to wait for an event (at most 60)"}},
               .responses = {{200, "Events and where to resume",
                              schema::object({{"events", schema::array(frame_schema())},
                                              {"last_event_id", schema::integer()}})}},
               .consumes = {},
               .permissions = {accounts::authenticated()}});
}

}  // namespace parley
