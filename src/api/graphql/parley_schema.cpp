// Parley's GraphQL schema: SDL and resolvers over the REST actions (see parley_schema.hpp).
#include "api/graphql/parley_schema.hpp"

#include "accounts/user_json.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "graphql/sdl_builder.hpp"
#include "messaging/conversations.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/messages.hpp"
#include "messaging/views.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace parley::api::graphql {

namespace json = boost::json;
namespace gql = parley::graphql;
namespace repo = db::repositories;
using Awaitable = boost::asio::awaitable<gql::Value>;

namespace {

constexpr std::string_view kSdl = R"(
"""Parley's API as a graph: the same resources, rules and errors as the REST API (docs/graphql.md)."""
schema {
  query: Query
  mutation: Mutation
}

"""An RFC 3339 date and time in UTC, such as 2026-12-05T02:10:00Z."""
scalar DateTime

type Query {
  "The signed-in user."
  me: User!
  "A conversation I am a member of (null and a NOT_FOUND error otherwise)."
  conversation(id: ID!): Conversation
  "My conversations, most recently active first; `kind` and `query` (name contains) filter."
  conversations(kind: ConversationKind, query: String, first: Int = 50, after: String): ConversationConnection!
  "One message of a conversation I am a member of."
  message(id: ID!): Message
  "Full-text search (web-search syntax) over the conversations I am a member of."
  search(query: String!, conversationId: ID, senderId: ID, before: DateTime, after: DateTime,
         first: Int = 50, offset: Int = 0): SearchResults!
  "My conversations with unread messages or mentions."
  unread: [UnreadCount!]!
}

enum ConversationKind {
  DIRECT
  GROUP
  CHANNEL
}

type User {
  id: ID!
  username: String!
  displayName: String!
  "owner | admin | member | guest"
  role: String!
  isActive: Boolean!
  createdAt: DateTime!
  lastSeenAt: DateTime
  "Shown to the user themself and to administrators only."
  email: String
}

"The author of a message, as a message shows them."
type MessageSender {
  id: ID!
  username: String!
  displayName: String!
}

type Conversation {
  id: ID!
  "direct | group | channel"
  kind: String!
  name: String
  topic: String!
  "public | private"
  visibility: String!
  createdBy: ID
  createdAt: DateTime!
  archivedAt: DateTime
  memberCount: Int!
  "owner | admin | member"
  myRole: String
  muted: Boolean
  unreadCount: Int
  lastMessage: LastMessage
  """
  Messages in ascending id order (Relay connection). `first`/`after` page towards newer messages
  (from the oldest without `after`), `last`/`before` towards older ones (from the newest without
  `before`); neither: the newest 50. `parentId` lists a thread instead of the top level.
  """
  messages(first: Int, after: String, last: Int, before: String, parentId: ID): MessageConnection!
}

type LastMessage {
  id: ID!
  senderId: ID
  preview: String!
  createdAt: DateTime!
  deleted: Boolean!
}

type Message {
  id: ID!
  conversationId: ID!
  sender: MessageSender
  "Markdown source (empty once deleted)."
  body: String!
  "The body rendered to safe HTML."
  html: String!
  parentId: ID
  replyCount: Int!
  lastReplyAt: DateTime
  reactions: [Reaction!]!
  "Ids of the users the message mentions."
  mentions: [ID!]!
  mentionsEveryone: Boolean!
  attachments: [Attachment!]!
  createdAt: DateTime!
  editedAt: DateTime
  deleted: Boolean!
  clientMsgId: String
}

type Reaction {
  emoji: String!
  count: Int!
  "True when I reacted with this emoji."
  me: Boolean!
}

type Attachment {
  id: ID!
  filename: String!
  contentType: String!
  size: Float!
  sha256: String!
  url: String!
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type MessageEdge {
  cursor: String!
  node: Message!
}

type MessageConnection {
  edges: [MessageEdge!]!
  pageInfo: PageInfo!
}

type ConversationEdge {
  cursor: String!
  node: Conversation!
}

type ConversationConnection {
  edges: [ConversationEdge!]!
  pageInfo: PageInfo!
}

type SearchResult {
  message: Message!
  "HTML-safe excerpt with the matches in <mark>...</mark>."
  snippet: String!
  rank: Float!
}

type SearchResults {
  results: [SearchResult!]!
  hasMore: Boolean!
}

type UnreadCount {
  conversationId: ID!
  unreadCount: Int!
  mentionCount: Int!
}

"An invalid input field and what is wrong with it (REST's DRF-shaped field errors)."
type FieldError {
  "The input field in camelCase; nonFieldErrors for the input as a whole."
  field: String!
  messages: [String!]!
}

type Mutation {
  "Send a message; a retry with the same clientMsgId returns the original (created: false)."
  sendMessage(input: SendMessageInput!): SendMessagePayload!
  "Edit my message's body within the edit window."
  editMessage(input: EditMessageInput!): EditMessagePayload!
  "Delete a message (sender, conversation owner or admin, or site admin); idempotent."
  deleteMessage(input: DeleteMessageInput!): DeleteMessagePayload!
  "React with an emoji (a shortcode like thumbsup or the emoji itself); idempotent."
  addReaction(input: ReactionInput!): ReactionPayload!
  "Remove my reaction; idempotent."
  removeReaction(input: ReactionInput!): ReactionPayload!
  "Move my read marker forward to a message of the conversation."
  markRead(input: MarkReadInput!): MarkReadPayload!
}

input SendMessageInput {
  conversationId: ID!
  "Markdown, at most 10,000 characters; may be empty with attachments."
  body: String
  parentId: ID
  "1 to 64 visible ASCII characters: makes the send idempotent."
  clientMsgId: String
  attachmentIds: [ID!]
  clientMutationId: String
}

type SendMessagePayload {
  message: Message
  "False when clientMsgId matched an earlier message (which is returned)."
  created: Boolean
  errors: [FieldError!]!
  clientMutationId: String
}

input EditMessageInput {
  id: ID!
  body: String!
  clientMutationId: String
}

type EditMessagePayload {
  message: Message
  errors: [FieldError!]!
  clientMutationId: String
}

input DeleteMessageInput {
  id: ID!
  clientMutationId: String
}

type DeleteMessagePayload {
  deletedMessageId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

input ReactionInput {
  messageId: ID!
  emoji: String!
  clientMutationId: String
}

type ReactionPayload {
  message: Message
  errors: [FieldError!]!
  clientMutationId: String
}

input MarkReadInput {
  conversationId: ID!
  messageId: ID!
  clientMutationId: String
}

type MarkReadPayload {
  unread: UnreadCount
  errors: [FieldError!]!
  clientMutationId: String
}
)";

// ---- small helpers ----

const http::Principal& principal_of(const gql::ResolveInfo& info) {
  auto* ctx = info.context<RequestContext>();
  if (ctx == nullptr || !ctx->principal) {
    throw gql::FieldError("Authentication credentials were not provided or are invalid.", "UNAUTHENTICATED",
                          json::object{{"status", 401}});
  }
  return *ctx->principal;
}

gql::FieldError bad_input(const std::string& message) { return gql::FieldError(message, "BAD_USER_INPUT"); }

// A positive int64 from an ID value (IDs arrive as strings).
std::optional<std::int64_t> parse_id(const json::value& value) {
  std::string_view text;
  if (value.is_string()) {
    text = value.as_string();
  } else if (value.is_int64()) {
    return value.as_int64() > 0 ? std::optional<std::int64_t>(value.as_int64()) : std::nullopt;
  } else {
    return std::nullopt;
  }
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

// The argument `name` as an id: BAD_USER_INPUT when it is not one.
std::int64_t id_arg(const json::object& args, std::string_view name) {
  auto id = parse_id(args.at(name));
  if (!id) throw bad_input("\"" + std::string(name) + "\" is not a valid id.");
  return *id;
}

std::optional<std::int64_t> optional_id_arg(const json::object& args, std::string_view name) {
  const auto* value = args.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return id_arg(args, name);
}

std::optional<std::int64_t> optional_int_arg(const json::object& args, std::string_view name, std::int64_t min,
                                             std::int64_t max) {
  const auto* value = args.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  const std::int64_t n = value->to_number<std::int64_t>();
  if (n < min || n > max) {
    throw bad_input("\"" + std::string(name) + "\" must be between " + std::to_string(min) + " and " +
                    std::to_string(max) + ".");
  }
  return n;
}

std::optional<std::string> optional_string_arg(const json::object& args, std::string_view name) {
  const auto* value = args.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return std::string(value->as_string());
}

json::value client_mutation_id(const json::object& input) {
  const auto* value = input.if_contains("clientMutationId");
  return value != nullptr ? *value : json::value(nullptr);
}

// An AppError's field errors as the payload's `errors`, field names in camelCase.
json::array field_errors_json(const FieldErrors& errors) {
  json::array out;
  for (const auto& [field, messages] : errors) {
    json::array texts;
    for (const auto& m : messages) texts.emplace_back(m);
    out.push_back(json::object{{"field", camel_case(field)}, {"messages", std::move(texts)}});
  }
  return out;
}

// The payload of a mutation that refused its input with field errors.
json::object refused_payload(const FieldErrors& errors, const json::object& input) {
  return json::object{{"errors", field_errors_json(errors)}, {"clientMutationId", client_mutation_id(input)}};
}

// ... refused by its action.
json::object failed_payload(const AppError& error, const json::object& input) {
  return refused_payload(error.field_errors(), input);
}

// The payload of a mutation that succeeded: `fields` (e.g. the message) plus no errors.
json::object done_payload(json::object fields, const json::object& input) {
  fields["errors"] = json::array();
  fields["clientMutationId"] = client_mutation_id(input);
  return fields;
}

bool is_input_error(const AppError& error) { return error.status() == 400 && !error.field_errors().empty(); }

gql::Value message_value(const messaging::MessageView& view) {
  return gql::Value(camelize(messaging::message_json(view)));
}

// ---- queries ----

Awaitable resolve_me(const gql::ResolveInfo& info, db::Database& database, repo::UserRepository& users) {
  const auto by = principal_of(info);
  auto user = co_await users.find_by_id(database, by.user_id);
  if (!user) throw AppError::not_found();
  co_return gql::Value(camelize(accounts::user_json(*user, true)));
}

Awaitable resolve_conversation(const json::object& args, const gql::ResolveInfo& info,
                               messaging::Conversations& conversations) {
  auto by = principal_of(info);
  const auto id = id_arg(args, "id");
  auto summary = co_await conversations.get(std::move(by), id);
  co_return gql::Value(camelize(messaging::conversation_json(summary)));
}

Awaitable resolve_conversations(const json::object& args, const gql::ResolveInfo& info,
                                messaging::Conversations& conversations) {
  auto by = principal_of(info);
  std::optional<std::string> kind;
  if (auto k = optional_string_arg(args, "kind")) {
    kind = *k;
    for (auto& c : *kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string query = optional_string_arg(args, "query").value_or("");
  if (messaging::code_points(query) > 200) throw bad_input("\"query\" must be at most 200 characters.");
  const auto first = optional_int_arg(args, "first", 1, 200).value_or(50);
  std::optional<repo::ConversationCursor> after;
  if (auto cursor = optional_string_arg(args, "after")) {
    auto parts = decode_cursor(*cursor, "conversation", 2);
    if (!parts) throw bad_input("\"after\" is not a cursor of this connection.");
    after = repo::ConversationCursor{.activity_id = (*parts)[0], .conversation_id = (*parts)[1]};
  }
  const bool paged = after.has_value();
  auto page = co_await conversations.list(std::move(by), std::move(kind), std::move(query), after,
                                          static_cast<int>(first));
  json::array edges;
  for (const auto& summary : page.conversations) {
    edges.push_back(json::object{
        {"cursor", encode_cursor("conversation", summary.activity_id, summary.conversation.id)},
        {"node", camelize(messaging::conversation_json(summary))}});
  }
  json::object page_info{{"hasNextPage", page.more}, {"hasPreviousPage", paged}, {"startCursor", nullptr},
                         {"endCursor", nullptr}};
  if (!edges.empty()) {
    page_info["startCursor"] = edges.front().as_object().at("cursor");
    page_info["endCursor"] = edges.back().as_object().at("cursor");
  }
  co_return gql::Value(json::object{{"edges", std::move(edges)}, {"pageInfo", std::move(page_info)}});
}

// Conversation.messages: the Relay arguments mapped onto Messages::list's id cursors.
Awaitable resolve_messages(const gql::Value& parent, const json::object& args, const gql::ResolveInfo& info,
                           messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto conversation_id = parse_id(parent.json().as_object().at("id"));
  if (!conversation_id) throw std::logic_error("Conversation without an id");
  const auto first = optional_int_arg(args, "first", 1, 200);
  const auto last = optional_int_arg(args, "last", 1, 200);
  const auto after = optional_string_arg(args, "after");
  const auto before = optional_string_arg(args, "before");
  if (first && last) throw bad_input("Give either \"first\" or \"last\", not both.");
  if ((first && before) || (last && after) || (after && before)) {
    throw bad_input("Use \"after\" with \"first\" and \"before\" with \"last\".");
  }
  auto cursor_id = [](const std::string& cursor, const char* name) {
    auto parts = decode_cursor(cursor, "message", 1);
    if (!parts) throw bad_input("\"" + std::string(name) + "\" is not a cursor of this connection.");
    return (*parts)[0];
  };
  repo::PageQuery query;
  query.parent_id = optional_id_arg(args, "parentId");
  if (first || after) {
    query.after = after ? cursor_id(*after, "after") : 0;
    query.limit = static_cast<int>(first.value_or(50));
  } else {
    if (before) query.before = cursor_id(*before, "before");
    query.limit = static_cast<int>(last.value_or(50));
  }
  auto listing = co_await messages.list(std::move(by), *conversation_id, std::move(query));
  json::array edges;
  for (const auto& view : listing.messages) {
    auto node = camelize(messaging::message_json(view));
    auto id = parse_id(node.as_object().at("id"));
    edges.push_back(json::object{{"cursor", encode_cursor("message", id.value_or(0))}, {"node", std::move(node)}});
  }
  json::object page_info{{"hasNextPage", listing.has_newer}, {"hasPreviousPage", listing.has_older},
                         {"startCursor", nullptr}, {"endCursor", nullptr}};
  if (!edges.empty()) {
    page_info["startCursor"] = edges.front().as_object().at("cursor");
    page_info["endCursor"] = edges.back().as_object().at("cursor");
  }
  co_return gql::Value(json::object{{"edges", std::move(edges)}, {"pageInfo", std::move(page_info)}});
}

Awaitable resolve_message(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto id = id_arg(args, "id");
  auto view = co_await messages.get(std::move(by), id);
  co_return message_value(view);
}

Awaitable resolve_search(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  repo::SearchQuery search;
  search.text = std::string(args.at("query").as_string());
  if (search.text.find_first_not_of(" \t") == std::string::npos) throw bad_input("\"query\" must not be blank.");
  if (messaging::code_points(search.text) > 500) throw bad_input("\"query\" must be at most 500 characters.");
  search.conversation_id = optional_id_arg(args, "conversationId");
  search.sender_id = optional_id_arg(args, "senderId");
  search.before = optional_string_arg(args, "before");  // normalized by the DateTime scalar
  search.after = optional_string_arg(args, "after");
  search.limit = static_cast<int>(optional_int_arg(args, "first", 1, 200).value_or(50));
  search.offset = static_cast<int>(optional_int_arg(args, "offset", 0, 10'000).value_or(0));
  auto listing = co_await messages.search(std::move(by), std::move(search));
  json::array results;
  for (const auto& r : listing.results) {
    results.push_back(json::object{{"message", camelize(messaging::message_json(r.view))},
                                   {"snippet", r.hit.snippet},
                                   {"rank", r.hit.rank}});
  }
  co_return gql::Value(json::object{{"results", std::move(results)}, {"hasMore", listing.more}});
}

json::object unread_json(const repo::UnreadCount& u) {
  return json::object{
      {"conversationId", u.conversation_id}, {"unreadCount", u.unread_count}, {"mentionCount", u.mention_count}};
}

Awaitable resolve_unread(const gql::ResolveInfo& info, messaging::Conversations& conversations) {
  auto by = principal_of(info);
  auto counts = co_await conversations.unread(std::move(by));
  json::array out;
  for (const auto& u : counts) out.push_back(unread_json(u));
  co_return gql::Value(std::move(out));
}

// ---- mutations (Relay: one `input`, a payload with `errors` and `clientMutationId`) ----

Awaitable send_message(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto conversation_id = id_arg(input, "conversationId");
  // What the REST handler checks before the action (the action checks the body's length again).
  FieldErrors errors;
  messaging::SendInput send;
  auto body = optional_string_arg(input, "body");
  if (body && messaging::code_points(*body) > messaging::kMaxBodyLength) {
    errors["body"].push_back("Ensure this field has no more than 10000 characters.");
  }
  send.parent_id = optional_id_arg(input, "parentId");
  send.client_msg_id = optional_string_arg(input, "clientMsgId");
  if (send.client_msg_id && !messaging::is_valid_client_msg_id(*send.client_msg_id)) {
    errors["client_msg_id"].push_back("Use 1 to 64 visible ASCII characters.");
  }
  if (const auto* ids = input.if_contains("attachmentIds"); ids != nullptr && !ids->is_null()) {
    if (ids->as_array().size() > messaging::kMaxAttachmentsPerMessage) {
      errors["attachment_ids"].push_back("Ensure this field has no more than 10 elements.");
    }
    for (const auto& v : ids->as_array()) {
      auto id = parse_id(v);
      if (!id) {
        errors["attachment_ids"].push_back("Give attachment ids.");
        break;
      }
      if (std::find(send.attachment_ids.begin(), send.attachment_ids.end(), *id) != send.attachment_ids.end()) {
        errors["attachment_ids"].push_back("Give each id once.");
        break;
      }
      send.attachment_ids.push_back(*id);
    }
  }
  if (!body && send.attachment_ids.empty()) errors["body"].push_back("This field is required.");
  if (body) send.body = std::move(*body);
  if (!errors.empty()) {
    co_return gql::Value(refused_payload(errors, input));
  }
  json::object payload;
  try {
    auto sent = co_await messages.send(std::move(by), conversation_id, std::move(send));
    payload = done_payload({{"message", camelize(json::parse(sent.json))}, {"created", sent.created}}, input);
  } catch (const AppError& e) {
    if (!is_input_error(e)) throw;
    payload = failed_payload(e, input);
  }
  co_return gql::Value(std::move(payload));
}

Awaitable edit_message(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  std::string body(input.at("body").as_string());
  if (messaging::code_points(body) > messaging::kMaxBodyLength) {
    co_return gql::Value(refused_payload({{"body", {"Ensure this field has no more than 10000 characters."}}}, input));
  }
  json::object payload;
  try {
    auto view = co_await messages.edit(std::move(by), id, std::move(body));
    payload = done_payload({{"message", camelize(messaging::message_json(view))}}, input);
  } catch (const AppError& e) {
    if (!is_input_error(e)) throw;
    payload = failed_payload(e, input);
  }
  co_return gql::Value(std::move(payload));
}

Awaitable delete_message(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  co_await messages.remove(std::move(by), id);
  co_return gql::Value(done_payload({{"deletedMessageId", std::to_string(id)}}, input));
}

Awaitable react(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages, bool add) {
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "messageId");
  std::string emoji(input.at("emoji").as_string());
  if (!messaging::is_valid_emoji(emoji)) {
    co_return gql::Value(refused_payload({{"emoji", {"Use an emoji or a shortcode such as thumbsup."}}}, input));
  }
  json::object payload;
  try {
    auto by = principal_of(info);
    co_await messages.react(by, id, std::move(emoji), add);
    auto view = co_await messages.get(std::move(by), id);
    payload = done_payload({{"message", camelize(messaging::message_json(view))}}, input);
  } catch (const AppError& e) {
    if (!is_input_error(e)) throw;
    payload = failed_payload(e, input);
  }
  co_return gql::Value(std::move(payload));
}

Awaitable mark_read(const json::object& args, const gql::ResolveInfo& info, messaging::Conversations& conversations) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto conversation_id = id_arg(input, "conversationId");
  const auto message_id = id_arg(input, "messageId");
  json::object payload;
  try {
    auto count = co_await conversations.mark_read(std::move(by), conversation_id, message_id);
    payload = done_payload({{"unread", unread_json(count)}}, input);
  } catch (const AppError& e) {
    if (!is_input_error(e)) throw;
    payload = failed_payload(e, input);
  }
  co_return gql::Value(std::move(payload));
}

// DateTime: RFC 3339 text out as the actions give it; in, any RFC 3339 time (or date), normalized.
gql::ScalarHooks date_time_hooks() {
  gql::ScalarHooks hooks;
  hooks.serialize = [](const json::value& v) -> std::optional<json::value> {
    if (!v.is_string()) return std::nullopt;
    return v;
  };
  hooks.parse = [](const json::value& v) -> std::optional<json::value> {
    if (!v.is_string()) return std::nullopt;
    auto time = parse_rfc3339(v.as_string());
    if (!time) return std::nullopt;
    return json::value(format_rfc3339(*time));
  };
  return hooks;
}

}  // namespace

std::string_view sdl() { return kSdl; }

std::string camel_case(std::string_view snake) {
  std::string out;
  out.reserve(snake.size());
  bool upper = false;
  for (char c : snake) {
    if (c == '_' && !out.empty()) {
      upper = true;
      continue;
    }
    out.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    upper = false;
  }
  return out;
}

json::value camelize(const json::value& value) {
  if (value.is_object()) {
    json::object out;
    out.reserve(value.as_object().size());
    for (const auto& [key, member] : value.as_object()) out[camel_case(key)] = camelize(member);
    return out;
  }
  if (value.is_array()) {
    json::array out;
    out.reserve(value.as_array().size());
    for (const auto& item : value.as_array()) out.push_back(camelize(item));
    return out;
  }
  return value;
}

std::string encode_cursor(std::string_view prefix, std::int64_t a, std::optional<std::int64_t> b) {
  std::string out(prefix);
  out += ':';
  out += std::to_string(a);
  if (b) {
    out += ':';
    out += std::to_string(*b);
  }
  return out;
}

std::optional<std::vector<std::int64_t>> decode_cursor(std::string_view cursor, std::string_view prefix,
                                                       std::size_t parts) {
  if (cursor.size() > 64 || cursor.substr(0, prefix.size()) != prefix) return std::nullopt;
  cursor.remove_prefix(prefix.size());
  std::vector<std::int64_t> out;
  while (!cursor.empty()) {
    if (cursor.front() != ':') return std::nullopt;
    cursor.remove_prefix(1);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), n);
    if (ec != std::errc() || end == cursor.data() || n < 0) return std::nullopt;
    out.push_back(n);
    cursor.remove_prefix(static_cast<std::size_t>(end - cursor.data()));
  }
  if (out.size() != parts) return std::nullopt;
  return out;
}

std::optional<gql::FieldError> map_app_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const AppError& e) {
    std::string code = e.code();
    for (auto& c : code) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    json::object extensions{{"status", e.status()}};
    if (!e.field_errors().empty()) extensions["fieldErrors"] = field_errors_json(e.field_errors());
    for (const auto& [name, value] : e.headers()) {
      if (name == "Retry-After") extensions["retryAfter"] = value;
    }
    return gql::FieldError(e.public_message(), std::move(code), std::move(extensions));
  } catch (...) {
    return std::nullopt;
  }
}

std::shared_ptr<gql::Schema> build_schema(Services services) {
  auto schema = gql::build_schema_or_throw(std::string(kSdl));
  schema->scalar("DateTime", date_time_hooks());
  auto& database = services.database;
  auto& users = services.users;
  auto& conversations = services.conversations;
  auto& messages = services.messages;

  schema->resolve("Query", "me", [&database, &users](const gql::Value&, const json::object&,
                                                      const gql::ResolveInfo& info) {
    return resolve_me(info, database, users);
  });
  schema->resolve("Query", "conversation", [&conversations](const gql::Value&, const json::object& args,
                                                            const gql::ResolveInfo& info) {
    return resolve_conversation(args, info, conversations);
  });
  schema->resolve("Query", "conversations", [&conversations](const gql::Value&, const json::object& args,
                                                             const gql::ResolveInfo& info) {
    return resolve_conversations(args, info, conversations);
  });
  schema->resolve("Query", "message", [&messages](const gql::Value&, const json::object& args,
                                                  const gql::ResolveInfo& info) {
    return resolve_message(args, info, messages);
  });
  schema->resolve("Query", "search", [&messages](const gql::Value&, const json::object& args,
                                                 const gql::ResolveInfo& info) {
    return resolve_search(args, info, messages);
  });
  schema->resolve("Query", "unread", [&conversations](const gql::Value&, const json::object&,
                                                      const gql::ResolveInfo& info) {
    return resolve_unread(info, conversations);
  });
  schema->resolve("Conversation", "messages", [&messages](const gql::Value& parent, const json::object& args,
                                                          const gql::ResolveInfo& info) {
    return resolve_messages(parent, args, info, messages);
  });

  schema->resolve("Mutation", "sendMessage", [&messages](const gql::Value&, const json::object& args,
                                                         const gql::ResolveInfo& info) {
    return send_message(args, info, messages);
  });
  schema->resolve("Mutation", "editMessage", [&messages](const gql::Value&, const json::object& args,
                                                         const gql::ResolveInfo& info) {
    return edit_message(args, info, messages);
  });
  schema->resolve("Mutation", "deleteMessage", [&messages](const gql::Value&, const json::object& args,
                                                           const gql::ResolveInfo& info) {
    return delete_message(args, info, messages);
  });
  schema->resolve("Mutation", "addReaction", [&messages](const gql::Value&, const json::object& args,
                                                         const gql::ResolveInfo& info) {
    return react(args, info, messages, true);
  });
  schema->resolve("Mutation", "removeReaction", [&messages](const gql::Value&, const json::object& args,
                                                            const gql::ResolveInfo& info) {
    return react(args, info, messages, false);
  });
  schema->resolve("Mutation", "markRead", [&conversations](const gql::Value&, const json::object& args,
                                                           const gql::ResolveInfo& info) {
    return mark_read(args, info, conversations);
  });
  return schema;
}

}  // namespace parley::api::graphql
