#pragma once
// The graphql-transport-ws WebSocket subprotocol (the `graphql-ws` library's protocol, as Apollo
// Client, urql and GraphiQL speak it) on GET /graphql, for subscriptions and, as the protocol
// allows, queries and mutations (docs/graphql.md "Transports").
//
//   client: connection_init {payload: {authorization: "Bearer ..."}}   server: connection_ack
//   client: subscribe {id, payload: {query, variables, operationName, extensions}}
//   server: next {id, payload: {data, errors}} ..., then complete {id}; or error {id, payload: [errors]}
//   client: complete {id} (stop); ping / pong either way
//
// Close codes: 4400 a malformed or unknown message, 4401 subscribe before the ack, 4403 bad or no
// credentials, 4408 no connection_init within the timeout, 4409 an id already running, 4429 a
// second connection_init; 4008 when the client reads too slowly (the server's send queue).
// Credentials: the upgrade request's own (bearer header, or session cookie from the same origin),
// else connection_init's payload.authorization ("Bearer <access or personal token>").
#include "api/graphql/parley_schema.hpp"
#include "api/graphql/service.hpp"
#include "http/websocket.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace parley::api::graphql {

inline constexpr std::string_view kTransportWsProtocol = "graphql-transport-ws";

// What the GraphQL transports (HTTP and graphql-transport-ws) use; must outlive every request and
// connection.
struct Transports {
  Service& service;
  // connection_init's credential (without "Bearer ") -> the principal; throws AppError when refused.
  std::function<boost::asio::awaitable<http::Principal>(std::string credential)> authenticate;
  // RequestContext::throttle for the connection's principal.
  std::function<std::function<boost::asio::awaitable<void>(std::string_view)>(const http::Principal&)> throttle_for;
  std::chrono::milliseconds init_timeout{3000};
  std::size_t max_operations = 100;  // running at once per connection; more get an error message
};

// True when the Sec-WebSocket-Protocol header offers graphql-transport-ws.
bool offers_transport_ws(std::string_view protocols);

// The endpoint of one connection. `principal`: from the upgrade request, if it had credentials.
std::shared_ptr<http::WsEndpoint> make_transport_ws_endpoint(Transports& transport,
                                                             std::optional<http::Principal> principal,
                                                             std::string client_ip);

}  // namespace parley::api::graphql
