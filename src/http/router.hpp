#pragma once
// Routes are listed in plain code in one place (app/routes.cpp); each carries the metadata the
// OpenAPI document needs. Templates use typed segments: `/conversations/{id:int}` matches positive
// integers below 2^53 only, `{name}` any one non-empty segment (percent-decoded).
//
// Matching happens before the middleware chain (so metrics, logs and content-type checks know the
// route); dispatch happens at the end of the chain and answers 404, 405 with Allow, HEAD for GET
// routes and OPTIONS with Allow.
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/websocket.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
// Builds the endpoint for an accepted upgrade; may throw AppError (e.g. 401) to refuse it.
using WsFactory = std::function<boost::asio::awaitable<std::shared_ptr<WsEndpoint>>(Request&)>;

enum class Auth { none, user, admin };

// A permission check declared next to a route; throws AppError (401/403) to refuse the request.
using Permission = std::function<void(const Request&)>;

struct ResponseDoc {
  int status;
  std::string description;
  boost::json::value schema;  // null = no body
};

// A query parameter the handler reads (`?limit=50`), for the OpenAPI document.
struct QueryDoc {
  std::string name;
  boost::json::value schema;
  std::string description;
  bool required = false;
};

struct RouteDoc {
  std::string summary;
  std::vector<std::string> tags;
  Auth auth = Auth::none;
  std::vector<QueryDoc> query;
  boost::json::value request_schema;  // null = no body
  std::vector<ResponseDoc> responses;
  // Media types the route accepts for a body; the content-type middleware enforces it (415).
  std::vector<std::string> consumes = {"application/json"};
  // Media type of success responses; the content-type middleware checks Accept against it (406).
  std::string produces = "application/json";
  // Other media types the handler answers with when Accept asks for them (it negotiates itself):
  // the content-type middleware lets a request through when Accept allows any of them.
  std::vector<std::string> also_produces;
  // Checked in order before the handler runs (see accounts/permissions.hpp).
  std::vector<Permission> permissions;
  // The handler reads the body itself as it arrives, through req.body_stream(): the server reads
  // only the head before running the middleware chain and the handler, so a request refused there
  // (authentication, CSRF, content type, permissions) costs no body bytes, and the body never sits
  // in memory whole. A body the handler leaves unread closes the connection after the response.
  bool streamed_body = false;
  // The largest body a streamed route accepts (413 beyond); 0 = the server's PARLEY_MAX_BODY_BYTES.
  // Ignored for other routes, which always have the server's limit.
  std::uint64_t max_body_bytes = 0;
  // The rate-limit scope the route takes from besides the general one (core/rate_policy.hpp:
  // "message_send", "search", ...); empty = the general scope only.
  std::string rate_limit;
  // Not rate limited at all: probes and scrapes, which must answer whatever a client does.
  bool rate_limit_exempt = false;
  // The analytics event a success of this route is ("signup", "message_sent", ...;
  // analytics/recorder.hpp); empty = none beyond the request itself.
  std::string analytics_event;
  // Listed in the OpenAPI document. Off for the browser pages (the admin console, Swagger UI):
  // HTML and scripts for people, not operations for API clients.
  bool in_openapi = true;
};

struct Segment {
  enum class Kind { literal, string, integer } kind;
  std::string text;  // literal text, or the parameter name
};

struct Route {
  Method method;
  std::string path;  // the template, e.g. "/api/v1/conversations/{id:int}"
  std::vector<Segment> segments;
  Handler handler;
  // Set for WebSocket routes (method GET). With a handler too, a request that asks to upgrade
  // gets the WebSocket and any other the handler (GET /graphql: queries and graphql-transport-ws).
  WsFactory websocket;
  RouteDoc doc;
  std::size_t index = 0;  // position in the table, stable for the process (metrics cache key)
};

// The status a WebSocket route's dispatch returns; req.upgrade then holds the endpoint.
inline constexpr int kSwitchingProtocols = 101;

class Router {
 public:
  Route& add(Method method, std::string path, Handler handler, RouteDoc doc);
  Route& websocket(std::string path, WsFactory factory, RouteDoc doc);

  // Sets req.route and req.path_params, or req.allow when only the method is wrong.
  void match(Request& req) const;
  // The streamed-body route (RouteDoc::streamed_body) that `method` and `path` (raw, without the
  // query) select, or null. Looks only at streamed routes, so it costs next to nothing when there
  // are none; the server asks it once the head of a request with a body is read.
  const Route* streamed_route(Method method, std::string_view path) const;
  // Runs the matched route; 404/405 as AppError; OPTIONS -> 204 with Allow; HEAD -> GET's response.
  // For a WebSocket route, stores the endpoint in req.upgrade and returns status 101.
  boost::asio::awaitable<Response> dispatch(Request& req) const;

  const std::vector<std::unique_ptr<Route>>& routes() const noexcept { return routes_; }

 private:
  bool match_segments(const Route& route, std::string_view path, Request* req) const;
  std::string allowed_methods(std::string_view path) const;

  std::vector<std::unique_ptr<Route>> routes_;
  struct PathHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Templates without parameters, by exact path: the common case costs one hash lookup.
  std::unordered_map<std::string, std::vector<const Route*>, PathHash, std::equal_to<>> static_routes_;
  std::vector<const Route*> param_routes_;
  std::vector<const Route*> streamed_routes_;
};

std::vector<Segment> compile_template(std::string_view path);  // throws std::invalid_argument

}  // namespace parley::http
