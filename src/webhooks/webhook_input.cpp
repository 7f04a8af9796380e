#include "webhooks/webhook_input.hpp"

#include "core/validation.hpp"

namespace parley::webhooks {
namespace {

namespace json = boost::json;

// Reads "url" and "events" (every error at once, as field errors).
std::optional<std::string> read_url(ObjectReader& in, bool required) {
  auto url = in.string("url", {.required = required, .trim = true, .max_length = 2000, .single_line = true});
  if (!url) return std::nullopt;
  if (auto problem = Webhooks::url_problem(*url)) in.add_error("url", *problem);
  return *url;
}

std::optional<std::vector<std::string>> read_events(ObjectReader& in, bool required) {
  const json::value* raw = in.raw("events");
  if (raw == nullptr) {
    if (required) in.add_error("events", "This field is required.");
    return std::nullopt;
  }
  if (!raw->is_array()) {
    in.add_error("events", "Expected a list of event types.");
    return std::nullopt;
  }
  std::vector<std::string> events;
  for (const auto& item : raw->as_array()) {
    if (!item.is_string()) {
      in.add_error("events", "Expected a list of event types.");
      return std::nullopt;
    }
    events.emplace_back(item.as_string());
  }
  if (auto problem = Webhooks::events_problem(events)) in.add_error("events", *problem);
  return events;
}

}  // namespace

WebhookInput read_webhook_input(const json::value& body) {
  ObjectReader in(body);
  auto url = read_url(in, true);
  auto events = read_events(in, true);
  auto conversation = in.integer("conversation_id", {.nullable = true, .min = 1});
  auto description = in.string("description", {.trim = true, .allow_blank = true, .max_length = 200});
  in.finish();
  return WebhookInput{.url = *url,
                      .events = *events,
                      .conversation_id = conversation.to_optional(),
                      .description = description.value_or("")};
}

WebhookPatch read_webhook_patch(const json::value& body) {
  ObjectReader in(body);
  WebhookPatch patch;
  patch.url = read_url(in, false);
  patch.events = read_events(in, false);
  auto conversation = in.integer("conversation_id", {.nullable = true, .min = 1});
  auto description = in.string("description", {.trim = true, .allow_blank = true, .max_length = 200});
  auto active = in.boolean("is_active");
  auto rotate = in.boolean("rotate_secret");
  in.finish();
  if (conversation.is_null()) patch.conversation_id = std::optional<std::int64_t>();
  if (conversation) patch.conversation_id = std::optional<std::int64_t>(*conversation);
  patch.description = description.to_optional();
  patch.is_active = active.to_optional();
  patch.rotate_secret = rotate.value_or(false);
  return patch;
}

}  // namespace parley::webhooks
