#pragma once
// Parley's GraphQL schema (API.md "GraphQL", issue 14 item 4): the SDL text and its resolvers.
//
// Resolvers call the same actions as the REST handlers (messaging::Messages, Conversations,
// accounts::Accounts), so permissions and validation are the actions' own; this file only maps
// arguments to action inputs and action results (the REST JSON, with camelCase keys) to fields.
// A page of messages is read by Messages::list, which loads senders, reactions, mentions and
// attachments of the whole page in a constant number of statements, so the GraphQL page costs
// what the REST page costs.
//
// Errors: an AppError with field errors (HTTP 400 validation) raised by a mutation becomes the
// payload's `errors` (DRF-shaped: {field, messages}); any other AppError becomes a GraphQL error
// whose extensions.code is the AppError's code upper-cased (NOT_FOUND, PERMISSION_DENIED, ...)
// with extensions.status, through map_app_error() (install it as EngineOptions::map_exception).
//
// Thread-safety: the schema is immutable once built; the services must outlive it.
#include "graphql/error.hpp"
#include "graphql/schema.hpp"
#include "http/request.hpp"

#include <boost/asio/awaitable.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"
#include "db/repositories/user_repository.hpp"

namespace parley::accounts {
class Accounts;
class PersonalTokens;
}  // namespace parley::accounts
namespace parley::messaging {
class Messages;
class Conversations;
class IncomingWebhooks;
}  // namespace parley::messaging
namespace parley::webhooks {
class Webhooks;
}
namespace parley::realtime {
class Hub;
}

namespace parley::api::graphql {

// The services the resolvers call; each must outlive the schema.
struct Services {
  db::Database& database;               // for `me`: the users table, as GET /api/v1/users/me reads it
  db::repositories::UserRepository& users;
  messaging::Conversations& conversations;
  messaging::Messages& messages;
  realtime::Hub* hub = nullptr;  // subscriptions' events; null: subscriptions are refused
  // The services of the other writes; a mutation whose service is null answers SERVICE_UNAVAILABLE.
  accounts::Accounts* accounts = nullptr;                 // updateProfile, changePassword
  accounts::PersonalTokens* personal_tokens = nullptr;    // create/revokePersonalToken
  messaging::IncomingWebhooks* incoming_webhooks = nullptr;  // create/revokeIncomingWebhook
  webhooks::Webhooks* webhooks = nullptr;                 // create/update/deleteWebhook
  std::string public_url;  // PARLEY_PUBLIC_URL: the base of an incoming webhook's URL
};

// Per request: who asks (Request::context points at one). Resolvers refuse with UNAUTHENTICATED
// when `principal` is empty.
struct RequestContext {
  std::optional<http::Principal> principal;
  // Takes one token of the rate-limit scope `scope` (rate_scopes(), e.g. "message_send") for the
  // caller, as REST's RouteDoc::rate_limit does for a route; throws the 429 AppError when refused.
  // Mutations call it through throttle() before their action. Empty: no limits (unit tests).
  std::function<boost::asio::awaitable<void>(std::string_view scope)> throttle;
  // The client's address (for actions that record it, as REST handlers pass req.client_ip).
  std::string client_ip;
};

// The caller of the operation (RequestContext::principal); throws UNAUTHENTICATED (401) when there
// is none.
const http::Principal& principal_of(const parley::graphql::ResolveInfo& info);

// The SDL, as `parley graphql-schema` prints it before wiring.
std::string sdl();

// The schema with every resolver wired; throws std::invalid_argument when the SDL and the wiring
// disagree (a start-up failure, never a request failure).
std::shared_ptr<parley::graphql::Schema> build_schema(Services services);

// AppError -> a public GraphQL error (extensions.code and extensions.status); nullopt for anything
// else (the engine then answers "Internal server error").
std::optional<parley::graphql::FieldError> map_app_error(std::exception_ptr error);

// Keys of a snake_case JSON tree in camelCase (objects inside arrays too); values unchanged.
boost::json::value camelize(const boost::json::value& value);
std::string camel_case(std::string_view snake);

// Opaque cursors of the connections: "<prefix>:<number>[:<number>]", validated on the way back.
std::string encode_cursor(std::string_view prefix, std::int64_t a, std::optional<std::int64_t> b = std::nullopt);
// The numbers of `cursor`, or nullopt when it is not one of ours with `prefix` and `parts` numbers.
std::optional<std::vector<std::int64_t>> decode_cursor(std::string_view cursor, std::string_view prefix,
                                                       std::size_t parts);

}  // namespace parley::api::graphql
