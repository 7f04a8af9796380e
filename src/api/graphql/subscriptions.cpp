// GraphQL subscriptions over the realtime hub (see subscriptions.hpp).
#include "api/graphql/subscriptions.hpp"

#include "api/graphql/parley_schema.hpp"
#include "graphql/engine.hpp"
#include "messaging/conversations.hpp"
#include "realtime/hub.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <charconv>

namespace parley::api::graphql {

namespace json = boost::json;
namespace gql = parley::graphql;

namespace {

constexpr std::string_view kSdl = R"sdl(
"Live events of my conversations, over the graphql-transport-ws WebSocket protocol at /graphql."
type Subscription {
  "Messages sent in my conversations (or in `conversationId` only), threads included."
  messageCreated(conversationId: ID): Message!
  "Edits of messages in my conversations (or in `conversationId` only)."
  messageUpdated(conversationId: ID): MessageUpdate!
  "Deletions of messages in my conversations (or in `conversationId` only)."
  messageDeleted(conversationId: ID): MessageDeletion!
  "Other members typing in my conversations (or in `conversationId` only); a hint, never stored."
  typing(conversationId: ID): Typing!
  """
  Every event of my stream, as GET /api/v1/events and the WebSocket /api/v1/realtime deliver them
  (types and data: docs/messages.md "Domain events"); `id` is where a resume would start after it.
  """
  events: StreamEvent!
}

type MessageUpdate {
  id: ID!
  conversationId: ID!
  parentId: ID
  body: String!
  html: String!
  mentions: [ID!]!
  mentionsEveryone: Boolean!
  editedAt: DateTime
}

type MessageDeletion {
  id: ID!
  conversationId: ID!
  parentId: ID
  deletedBy: ID
}

type Typing {
  conversationId: ID!
  userId: ID!
}

type StreamEvent {
  "The event's position in my stream (last_event_id of the REST and WebSocket streams)."
  id: ID!
  "message.created, member.added, read.updated, ... (docs/messages.md)"
  type: String!
  "The event's data as JSON text, snake_case as the REST API writes it."
  data: String!
}
)sdl";

// Which frames a subscription wants, and the field they become.
struct Filter {
  std::string_view field;                    // the Subscription field
  std::string_view type;                     // the frame's type; empty: every numbered event
  std::optional<std::int64_t> conversation;  // data.conversation_id must be this one
  bool ephemeral = false;                    // typing frames (no id)
};

std::optional<std::int64_t> int_member(const json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->as_uint64());
  return std::nullopt;
}

// One subscription's source stream: a listener of its user on the hub, feeding a bounded queue.
// Hub callbacks run under the hub's lock: they only parse, filter and push.
class HubEventStream final : public gql::EventStream, public realtime::Listener {
 public:
  HubEventStream(realtime::Hub& hub, std::int64_t user_id, Filter filter)
      : hub_(hub), user_id_(user_id), filter_(filter) {}
  ~HubEventStream() override { detach(); }

  boost::asio::awaitable<void> attach() {
    co_await hub_.attach(user_id_, this);
    attached_ = true;
  }

  boost::asio::awaitable<std::optional<gql::Value>> next() override { return queue_.next(); }
  void close() override {
    detach();
    queue_.close();
  }

  void deliver(std::int64_t position, const realtime::Frame& frame) override {
    if (!filter_.ephemeral) offer(position, *frame);
  }
  void deliver_ephemeral(const realtime::Frame& frame) override {
    if (filter_.ephemeral) offer(0, *frame);
  }
  void lost() override { queue_.finish(); }

 private:
  void offer(std::int64_t position, const std::string& text) {
    boost::system::error_code ec;
    auto parsed = json::parse(text, ec);
    if (ec || !parsed.is_object()) return;
    const auto& frame = parsed.as_object();
    const auto* type = frame.if_contains("type");
    const auto* data = frame.if_contains("data");
    if (type == nullptr || !type->is_string() || data == nullptr || !data->is_object()) return;
    if (!filter_.type.empty() && type->as_string() != filter_.type) return;
    if (filter_.conversation && int_member(data->as_object(), "conversation_id") != filter_.conversation) return;
    json::value payload;
    if (filter_.field == "events") {
      payload = json::object{{"id", position}, {"type", type->as_string()}, {"data", json::serialize(*data)}};
    } else {
      payload = camelize(*data);
    }
    queue_.push(gql::Value(json::object{{filter_.field, std::move(payload)}}));
  }

  void detach() {
    if (attached_.exchange(false)) hub_.detach(user_id_, this);
  }

  realtime::Hub& hub_;
  std::int64_t user_id_;
  Filter filter_;
  std::atomic<bool> attached_{false};
  gql::QueueEventStream queue_;
};

std::optional<std::int64_t> conversation_arg(const json::object& args) {
  const auto* value = args.if_contains("conversationId");
  if (value == nullptr || value->is_null()) return std::nullopt;
  std::string_view text = value->is_string() ? std::string_view(value->as_string()) : std::string_view();
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    throw gql::FieldError("\"conversationId\" is not a valid id.", "BAD_USER_INPUT");
  }
  return id;
}

boost::asio::awaitable<std::shared_ptr<gql::EventStream>> subscribe(realtime::Hub* hub,
                                                                    messaging::Conversations& conversations,
                                                                    Filter filter, const json::object& args,
                                                                    const gql::ResolveInfo& info) {
  auto by = principal_of(info);
  if (hub == nullptr) {
    throw gql::FieldError("Subscriptions are not available here.", "UNAVAILABLE", json::object{{"status", 503}});
  }
  filter.conversation = conversation_arg(args);
  // Not a member: NOT_FOUND, as REST answers for such a conversation.
  if (filter.conversation) {
    http::Principal member = by;  // named: no temporary inside the co_await (GCC 12)
    co_await conversations.get(std::move(member), *filter.conversation);
  }
  auto stream = std::make_shared<HubEventStream>(*hub, by.user_id, filter);
  co_await stream->attach();
  co_return stream;
}

}  // namespace

std::string_view subscription_sdl() { return kSdl; }

void wire_subscriptions(gql::Schema& schema, realtime::Hub* hub, messaging::Conversations& conversations) {
  const Filter filters[] = {
      {.field = "messageCreated", .type = "message.created"},
      {.field = "messageUpdated", .type = "message.updated"},
      {.field = "messageDeleted", .type = "message.deleted"},
      {.field = "typing", .type = "typing", .ephemeral = true},
      {.field = "events", .type = ""},
  };
  for (const auto& filter : filters) {
    schema.subscribe(filter.field, [hub, &conversations, filter](const gql::Value&, const json::object& args,
                                                                  const gql::ResolveInfo& info) {
      return subscribe(hub, conversations, filter, args, info);
    });
  }
}

}  // namespace parley::api::graphql
