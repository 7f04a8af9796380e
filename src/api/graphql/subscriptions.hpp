#pragma once
// GraphQL subscriptions (docs/graphql.md "Subscriptions"): messageCreated, messageUpdated,
// messageDeleted, typing and events, fed by the same hub as the WebSocket stream
// /api/v1/realtime. Each subscription is one listener of the caller's user on this process's
// realtime::Hub, so it receives exactly what that user's sockets receive (events of the
// conversations they are a member of, membership changes followed live), filtered by type and,
// when given, by conversation.
//
// Live only: a subscription starts at the moment it is made and has no resume; a client that must
// not miss an event reads GET /api/v1/events?last_event_id= (or the WebSocket stream) after a
// reconnect, using the `id` of the last `events` item it saw.
//
// Cost: one frame parse per subscription per event of its user (frames are shared, the parse is
// not); nothing when the user has no subscription on this process.
#include "graphql/schema.hpp"

#include <string_view>

namespace parley::realtime {
class Hub;
}
namespace parley::messaging {
class Conversations;
}

namespace parley::api::graphql {

// The Subscription type and what it returns (appended to the schema's SDL).
std::string_view subscription_sdl();

// Wires the subscribe resolvers. `hub` null: every subscription is refused (UNAVAILABLE), for
// schemas built without a realtime layer (unit tests, `parley graphql-schema`).
void wire_subscriptions(parley::graphql::Schema& schema, realtime::Hub* hub, messaging::Conversations& conversations);

}  // namespace parley::api::graphql
