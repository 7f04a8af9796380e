// GraphQL routes (docs/graphql.md "Transports"): GraphQL over HTTP (POST, and GET for queries) per
// the GraphQL-over-HTTP spec, and the graphql-transport-ws WebSocket on the same path. Handlers
// read the request and hand it to the engine; the schema's resolvers call the same actions as
// REST, with the same rate-limit scopes (RequestContext::throttle).
//
// Status codes: with Accept: application/graphql-response+json, 200 when the operation ran (data
// present, errors or not) and 400 when it could not (parse, validation, variables, unknown
// persisted query); with application/json (legacy clients, and no Accept at all), 200 for every
// GraphQL response. Malformed requests (not a GraphQL request) are 400 either way; a mutation over
// GET is 405. Authentication, CSRF, the general rate limit and the body limit are the middleware's,
// as for every route, and answer problem+json.
#include "accounts/permissions.hpp"
#include "api/graphql/service.hpp"
#include "api/graphql/transport_ws.hpp"
#include "app/app.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/middlewares.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace gapi = api::graphql;
namespace gql = parley::graphql;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

constexpr std::string_view kGraphqlResponseType = "application/graphql-response+json";
constexpr std::string_view kJsonType = "application/json";

// application/graphql-response+json when Accept names it, else application/json (the spec's
// choice for a missing Accept, and what legacy clients understand).
bool wants_graphql_response(std::string_view accept) {
  return accept.find(kGraphqlResponseType) != std::string_view::npos && http::accept_allows(accept, kGraphqlResponseType);
}

Response respond(json::object body, bool graphql_response, int status) {
  auto response = Response::json(body, status);  // the object overload: no copy of the document
  response.set_header("Content-Type", std::string(graphql_response ? kGraphqlResponseType : kJsonType) +
                                          "; charset=utf-8");
  response.set_header("Vary", "Accept");
  return response;
}

// The status of a GraphQL response whose operation did not run (no "data"): 400 for
// graphql-response+json, 200 for application/json.
int not_run_status(bool graphql_response) { return graphql_response ? 400 : 200; }

Awaitable execute(gapi::Transports& transport, Request& req, gapi::Operation operation, bool is_get) {
  const bool graphql_response = wants_graphql_response(req.header("Accept"));
  auto& service = transport.service;
  auto text = service.query_text(operation);
  if (auto* refusal = std::get_if<gapi::Service::Refusal>(&text)) {
    const int status = refusal->malformed ? 400 : not_run_status(graphql_response);
    co_return respond(std::move(refusal->response), graphql_response, status);
  }
  auto prepared = service.engine().prepare(std::get<std::string>(text));
  if (!prepared.errors.empty()) {
    co_return respond(gql::error_response(prepared.errors), graphql_response, not_run_status(graphql_response));
  }
  const auto* selected = gapi::Service::select(*prepared.document, operation.operation_name);
  if (is_get && selected != nullptr && selected->operation == gql::OperationType::Mutation) {
    throw AppError{405, "method_not_allowed", "Method not allowed", "Mutations are sent with POST."}.with_header(
        "Allow", "POST");
  }
  if (req.principal && selected != nullptr) {
    const char* scope = selected->operation == gql::OperationType::Mutation ? "write" : "read";
    if (!accounts::has_scope(*req.principal, scope)) {
      throw AppError::forbidden(std::string("This token lacks the '") + scope + "' scope.");
    }
  }
  gapi::RequestContext context{.principal = req.principal, .client_ip = req.client_ip};
  if (req.principal) context.throttle = transport.throttle_for(*req.principal);
  // The response's memory, released with this frame after the response is serialized.
  json::monotonic_resource response_buffer(16 * 1024);
  gql::Request request{.query = std::move(std::get<std::string>(text)),
                       .operation_name = std::move(operation.operation_name),
                       .variables = std::move(operation.variables),
                       .context = &context,
                       .deadline = std::chrono::steady_clock::now() + service.options().timeout,
                       .response_buffer = &response_buffer};
  auto body = co_await service.engine().execute(prepared, std::move(request));
  // Variables that do not coerce, or no operation to run, fail before execution: no "data".
  const int status = body.contains("data") ? 200 : not_run_status(graphql_response);
  co_return respond(std::move(body), graphql_response, status);
}

Response bad_request(const Request& req, std::string message) {
  return respond(gapi::error_response(std::move(message), "BAD_REQUEST"), wants_graphql_response(req.header("Accept")),
                 400);
}

json::value request_schema() {
  return schema::object({{"query", schema::string()},
                         {"operationName", schema::nullable(schema::string())},
                         {"variables", schema::nullable(schema::object({}))},
                         {"extensions", schema::nullable(schema::object({}))}},
                        {});
}

// Neither member is always there (a request error has no data, a success no errors):
// with_optional keeps build_openapi from marking them required.
json::value response_schema() {
  return schema::with_optional(
      schema::object({{"data", schema::nullable(schema::object({}))}, {"errors", schema::array(schema::object({}))}}),
      {"data", "errors"});
}

}  // namespace

void add_graphql_routes(http::Router& router, gapi::Transports& transport) {
  router.add(
      Method::post, "/graphql",
      [&transport](Request& req) -> Awaitable {
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        if (ec) co_return bad_request(req, "The request body is not valid JSON.");
        auto read = gapi::read_operation(body);
        if (auto* error = std::get_if<gapi::RequestError>(&read)) co_return bad_request(req, error->message);
        co_return co_await execute(transport, req, std::move(std::get<gapi::Operation>(read)), false);
      },
      RouteDoc{.summary = "GraphQL over HTTP: a query or mutation {query, operationName, variables, extensions} "
                          "(docs/graphql.md); persisted queries by extensions.persistedQuery.sha256Hash",
               .tags = {"graphql"},
               .request_schema = request_schema(),
               .responses = {{200, "A GraphQL response (errors included, for application/json)", response_schema()},
                             {400, "Not a GraphQL request, or one that could not run (graphql-response+json)",
                              response_schema()}},
               .produces = std::string(kGraphqlResponseType),
               .also_produces = {std::string(kJsonType)}});

  auto& get = router.add(
      Method::get, "/graphql",
      [&transport](Request& req) -> Awaitable {
        auto query = query_param(req.query(), "query");
        auto extensions = query_param(req.query(), "extensions");
        if (!query && !extensions && http::accept_allows(req.header("Accept"), "text/html") &&
            req.header("Accept").find("text/html") != std::string_view::npos) {
          Response response{302, {}, {}, {}};  // a browser: GraphiQL
          response.set_header("Location", "/graphiql/");
          co_return response;
        }
        auto read = gapi::read_operation(std::move(query), query_param(req.query(), "operationName"),
                                         query_param(req.query(), "variables"), std::move(extensions));
        if (auto* error = std::get_if<gapi::RequestError>(&read)) co_return bad_request(req, error->message);
        co_return co_await execute(transport, req, std::move(std::get<gapi::Operation>(read)), true);
      },
      RouteDoc{.summary = "GraphQL over HTTP for queries (?query=&variables=&operationName=&extensions=); a browser "
                          "is sent to GraphiQL; with Upgrade: websocket and Sec-WebSocket-Protocol: "
                          "graphql-transport-ws, subscriptions",
               .tags = {"graphql"},
               .responses = {{200, "A GraphQL response", response_schema()},
                             {101, "Switching protocols (graphql-transport-ws)", nullptr},
                             {302, "To GraphiQL (/graphiql/), for a browser", nullptr},
                             {400, "Not a GraphQL request, or one that could not run", response_schema()},
                             {405, "A mutation: use POST", nullptr}},
               .consumes = {},
               .produces = std::string(kGraphqlResponseType),
               .also_produces = {std::string(kJsonType), "text/html"}});
  get.websocket = [&transport](Request& req) -> boost::asio::awaitable<std::shared_ptr<http::WsEndpoint>> {
    if (!gapi::offers_transport_ws(req.header("Sec-WebSocket-Protocol"))) {
      throw AppError::bad_request("Use the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol).",
                                  "unsupported_subprotocol");
    }
    co_return gapi::make_transport_ws_endpoint(transport, req.principal, req.client_ip);
  };
}

}  // namespace parley
