#pragma once
// The inputs of a user's outgoing-webhook writes, read from JSON with every rule of their fields:
// a REST body as sent, or a GraphQL input with its keys in snake_case. Each reader throws one
// AppError::validation (400) listing every field error (unknown fields included), so both APIs
// apply the same rules (Webhooks::url_problem and events_problem among them), written once here.
#include "webhooks/webhooks.hpp"

#include <boost/json/value.hpp>

namespace parley::webhooks {

// {url (required), events (required), conversation_id, description} (POST /api/v1/webhooks)
WebhookInput read_webhook_input(const boost::json::value& body);
// {url, events, conversation_id (null: every conversation), description, is_active, rotate_secret}
// (PATCH /api/v1/webhooks/{id})
WebhookPatch read_webhook_patch(const boost::json::value& body);

}  // namespace parley::webhooks
