// Parley's GraphQL schema: SDL and resolvers over the REST actions (see parley_schema.hpp).
#include "api/graphql/parley_schema.hpp"

#include "api/graphql/subscriptions.hpp"

#include "accounts/account_input.hpp"
#include "accounts/accounts.hpp"
#include "accounts/directory.hpp"
#include "accounts/personal_tokens.hpp"
#include "accounts/user_json.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "graphql/sdl_builder.hpp"
#include "messaging/conversation_input.hpp"
#include "messaging/conversations.hpp"
#include "messaging/incoming_webhooks.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/messages.hpp"
#include "messaging/views.hpp"
#include "webhooks/webhook_input.hpp"
#include "webhooks/webhooks.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <initializer_list>

namespace parley::api::graphql {

namespace json = boost::json;
namespace gql = parley::graphql;
namespace repo = db::repositories;
using Awaitable = boost::asio::awaitable<gql::Value>;

const http::Principal& principal_of(const gql::ResolveInfo& info) {
  auto* ctx = info.context<RequestContext>();
  if (ctx == nullptr || !ctx->principal) {
    throw gql::FieldError("Authentication credentials were not provided or are invalid.", "UNAUTHENTICATED",
                          json::object{{"status", 401}});
  }
  return *ctx->principal;
}

namespace {

constexpr std::string_view kSdl = R"(
"""Parley's API as a graph: the same resources, rules and errors as the REST API (docs/graphql.md)."""
schema {
  query: Query
  mutation: Mutation
  subscription: Subscription
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
  "Any user by id, deactivated ones included (as GET /api/v1/users/{id})."
  user(id: ID!): User
  """
  The user directory by id (as GET /api/v1/users): `query` matches the username, display name or
  email, any case. Guests see only the people they share a conversation with.
  """
  users(query: String, first: Int = 50, after: String): UserConnection!
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

type UserEdge {
  cursor: String!
  node: User!
}

type UserConnection {
  edges: [UserEdge!]!
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

  """
  Start a conversation: DIRECT (memberIds: the other user; the existing one comes back with
  created: false), GROUP (private) or CHANNEL (name required, public by default).
  """
  createConversation(input: CreateConversationInput!): CreateConversationPayload!
  "Rename or change the topic (owner or admin of the conversation)."
  updateConversation(input: UpdateConversationInput!): ConversationPayload!
  "Archive (owner or admin): the conversation becomes read-only; nothing is deleted."
  archiveConversation(input: ConversationIdInput!): ArchiveConversationPayload!
  "Join a public channel (idempotent)."
  joinConversation(input: ConversationIdInput!): ConversationPayload!
  "Leave a group or channel (direct conversations cannot be left)."
  leaveConversation(input: ConversationIdInput!): LeaveConversationPayload!
  """
  Add members (idempotent; `members` lists who was newly added). Any member adds to groups and
  public channels; owners and admins to private channels and as admins.
  """
  addMembers(input: AddMembersInput!): AddMembersPayload!
  "Change a member's role (owner or admin; only owners grant or take ownership)."
  changeMemberRole(input: ChangeMemberRoleInput!): MemberPayload!
  "Remove a member (owner or admin; yourself: leave), or ban them; removing a banned user lifts the ban."
  removeMember(input: RemoveMemberInput!): RemoveMemberPayload!

  "Change my display name or email."
  updateProfile(input: UpdateProfileInput!): UpdateProfilePayload!
  "Change my password (the current one is required; the new one must pass the password policy)."
  changePassword(input: ChangePasswordInput!): UpdateProfilePayload!
  "Change my notification settings."
  updateSettings(input: UpdateSettingsInput!): UpdateSettingsPayload!
  """
  Create a personal token; its secret `token` is in this payload only. Needs a password login (not
  a token); the admin scope needs an admin.
  """
  createPersonalToken(input: CreatePersonalTokenInput!): CreatePersonalTokenPayload!
  "Revoke one of my tokens (NOT_FOUND for anyone else's). Needs a password login."
  revokePersonalToken(input: RevokePersonalTokenInput!): RevokePersonalTokenPayload!

  """
  Create an incoming webhook: a secret URL (in this payload only) that posts into the
  conversation as a new bot user. Owners and admins of the conversation.
  """
  createIncomingWebhook(input: CreateIncomingWebhookInput!): CreateIncomingWebhookPayload!
  "Revoke an incoming webhook: its URL stops working and its bot is deactivated."
  revokeIncomingWebhook(input: RevokeIncomingWebhookInput!): RevokeIncomingWebhookPayload!
  """
  Register one of my outgoing webhooks: a URL for event types ("*" for all), optionally of one
  conversation I am in. Deliveries are signed with the `secret` of this payload, shown once.
  """
  createWebhook(input: CreateWebhookInput!): WebhookPayload!
  "Change one of my webhooks; rotateSecret issues a new secret (in this payload only)."
  updateWebhook(input: UpdateWebhookInput!): WebhookPayload!
  "Delete one of my webhooks and its delivery log."
  deleteWebhook(input: DeleteWebhookInput!): DeleteWebhookPayload!
}

enum ConversationVisibility {
  PUBLIC
  PRIVATE
}

enum MemberRole {
  OWNER
  ADMIN
  MEMBER
}

"A member of a conversation."
type Member {
  "The user (never with their email)."
  user: User!
  "owner | admin | member"
  role: String!
  joinedAt: DateTime!
}

"My notification settings."
type UserSettings {
  "all | mentions | none"
  emailNotifications: String!
  "An IANA time zone name."
  timezone: String!
}

"A personal or bot token (never its secret)."
type PersonalToken {
  id: ID!
  name: String!
  "The first characters of the secret, to tell tokens apart."
  prefix: String!
  "read | write | admin"
  scopes: [String!]!
  createdAt: DateTime!
  lastUsedAt: DateTime
  expiresAt: DateTime
}

"A conversation's incoming webhook (never its token)."
type IncomingWebhook {
  id: ID!
  conversationId: ID!
  name: String!
  "The bot user that posts the webhook's messages."
  bot: MessageSender!
  createdBy: ID
  createdAt: DateTime!
}

"One of my outgoing webhooks (never its secret)."
type Webhook {
  id: ID!
  url: String!
  "Event types, or [\"*\"] for all."
  events: [String!]!
  "Only this conversation's events; null: every conversation I am in."
  conversationId: ID
  description: String!
  isActive: Boolean!
  failingSince: DateTime
  disabledReason: String
  createdAt: DateTime!
  updatedAt: DateTime!
}

input CreateConversationInput {
  kind: ConversationKind!
  "Groups and channels: 1 to 80 characters on one line."
  name: String
  "At most 250 characters on one line."
  topic: String
  visibility: ConversationVisibility
  "DIRECT: the other user; others: the first members (at most 100)."
  memberIds: [ID!]
  clientMutationId: String
}

type CreateConversationPayload {
  conversation: Conversation
  "False when the direct conversation of the pair existed (it is returned)."
  created: Boolean
  errors: [FieldError!]!
  clientMutationId: String
}

input UpdateConversationInput {
  id: ID!
  name: String
  topic: String
  clientMutationId: String
}

input ConversationIdInput {
  id: ID!
  clientMutationId: String
}

type ConversationPayload {
  conversation: Conversation
  errors: [FieldError!]!
  clientMutationId: String
}

type ArchiveConversationPayload {
  archivedConversationId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

type LeaveConversationPayload {
  leftConversationId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

input AddMembersInput {
  conversationId: ID!
  "1 to 100 users."
  userIds: [ID!]!
  "MEMBER (default) or ADMIN."
  role: MemberRole
  clientMutationId: String
}

type AddMembersPayload {
  "The members newly added."
  members: [Member!]
  errors: [FieldError!]!
  clientMutationId: String
}

input ChangeMemberRoleInput {
  conversationId: ID!
  userId: ID!
  role: MemberRole!
  clientMutationId: String
}

type MemberPayload {
  member: Member
  errors: [FieldError!]!
  clientMutationId: String
}

input RemoveMemberInput {
  conversationId: ID!
  userId: ID!
  "Ban them too (they cannot rejoin until removed again)."
  ban: Boolean = false
  clientMutationId: String
}

type RemoveMemberPayload {
  removedUserId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

input UpdateProfileInput {
  "At most 64 characters on one line."
  displayName: String
  email: String
  clientMutationId: String
}

input ChangePasswordInput {
  currentPassword: String!
  password: String!
  clientMutationId: String
}

type UpdateProfilePayload {
  "Me, with my email."
  user: User
  errors: [FieldError!]!
  clientMutationId: String
}

input UpdateSettingsInput {
  "all | mentions | none"
  emailNotifications: String
  "An IANA time zone name, such as Europe/Paris."
  timezone: String
  clientMutationId: String
}

type UpdateSettingsPayload {
  settings: UserSettings
  errors: [FieldError!]!
  clientMutationId: String
}

input CreatePersonalTokenInput {
  "1 to 100 characters on one line."
  name: String!
  "Distinct, each read, write or admin."
  scopes: [String!]!
  "1 to 3650 days; null: never expires."
  expiresInDays: Int
  clientMutationId: String
}

type CreatePersonalTokenPayload {
  personalToken: PersonalToken
  "The secret (pat_...), shown in this payload only."
  token: String
  errors: [FieldError!]!
  clientMutationId: String
}

input RevokePersonalTokenInput {
  id: ID!
  clientMutationId: String
}

type RevokePersonalTokenPayload {
  revokedTokenId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

input CreateIncomingWebhookInput {
  conversationId: ID!
  "At most 64 characters on one line; also the bot's display name."
  name: String!
  clientMutationId: String
}

type CreateIncomingWebhookPayload {
  incomingWebhook: IncomingWebhook
  "The secret token, shown in this payload only."
  token: String
  "The URL other systems post to (POST {\"text\": Markdown}), shown in this payload only."
  url: String
  errors: [FieldError!]!
  clientMutationId: String
}

input RevokeIncomingWebhookInput {
  conversationId: ID!
  id: ID!
  clientMutationId: String
}

type RevokeIncomingWebhookPayload {
  revokedIncomingWebhookId: ID
  errors: [FieldError!]!
  clientMutationId: String
}

input CreateWebhookInput {
  url: String!
  events: [String!]!
  conversationId: ID
  description: String
  clientMutationId: String
}

input UpdateWebhookInput {
  id: ID!
  url: String
  events: [String!]
  "null: every conversation I am in."
  conversationId: ID
  description: String
  "true switches a disabled webhook back on."
  isActive: Boolean
  rotateSecret: Boolean
  clientMutationId: String
}

type WebhookPayload {
  webhook: Webhook
  "The signing secret: on creation, and after rotateSecret; null otherwise."
  secret: String
  errors: [FieldError!]!
  clientMutationId: String
}

input DeleteWebhookInput {
  id: ID!
  clientMutationId: String
}

type DeleteWebhookPayload {
  deletedWebhookId: ID
  errors: [FieldError!]!
  clientMutationId: String
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

// The REST route's rate limit of this operation (RequestContext::throttle), for the caller.
boost::asio::awaitable<void> throttle(const gql::ResolveInfo& info, std::string_view scope) {
  auto* ctx = info.context<RequestContext>();
  if (ctx != nullptr && ctx->throttle) co_await ctx->throttle(scope);
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

// ... refused by its action with a 400: its field errors, or, when it names none, its message
// under `field` (the input field the refusal is about; nonFieldErrors by default).
json::object failed_payload(const AppError& error, const json::object& input,
                            std::string_view field = "non_field_errors") {
  if (error.field_errors().empty()) return refused_payload({{std::string(field), {error.public_message()}}}, input);
  return refused_payload(error.field_errors(), input);
}

// The payload of a mutation that succeeded: `fields` (e.g. the message) plus no errors.
json::object done_payload(json::object fields, const json::object& input) {
  fields["errors"] = json::array();
  fields["clientMutationId"] = client_mutation_id(input);
  return fields;
}

bool is_input_error(const AppError& error) { return error.status() == 400 && !error.field_errors().empty(); }

// A Relay connection of `edges` ({cursor, node}) with its pageInfo.
json::object connection(json::array edges, bool has_next, bool has_previous) {
  json::object page_info{{"hasNextPage", has_next}, {"hasPreviousPage", has_previous}, {"startCursor", nullptr},
                         {"endCursor", nullptr}};
  if (!edges.empty()) {
    page_info["startCursor"] = edges.front().as_object().at("cursor");
    page_info["endCursor"] = edges.back().as_object().at("cursor");
  }
  return json::object{{"edges", std::move(edges)}, {"pageInfo", std::move(page_info)}};
}

// A Message object: REST's fields in camelCase, built in `storage` (the response's memory when the
// resolver passes ResolveInfo::storage()).
// The caller's access to the conversations Query.conversation checked in this operation, so that
// Conversation.messages does not load the same membership again. A loader is per operation (never
// shared by the operations of one WebSocket), and this one is only primed, never fetches.
gql::Loader<std::int64_t, messaging::ConversationAccess>& checked_conversations(const gql::ResolveInfo& info) {
  using Accesses = std::map<std::int64_t, messaging::ConversationAccess>;
  return info.loader<std::int64_t, messaging::ConversationAccess>(
      "checkedConversations", [](std::vector<std::int64_t>) -> boost::asio::awaitable<Accesses> { co_return Accesses{}; });
}

json::value message_node(const messaging::MessageView& view, const json::storage_ptr& storage = {}) {
  return messaging::message_dom(view, core::KeyCase::camel, storage);
}

gql::Value message_value(const messaging::MessageView& view) { return gql::Value(message_node(view)); }

// ---- queries ----

Awaitable resolve_me(const gql::ResolveInfo& info, db::Database& database, repo::UserRepository& users) {
  const auto by = principal_of(info);
  auto user = co_await users.find_by_id(database, by.user_id);
  if (!user) throw AppError::not_found();
  co_return gql::Value(camelize(accounts::user_json(*user, true)));
}

Awaitable resolve_user(const json::object& args, const gql::ResolveInfo& info, db::Database& database,
                       repo::UserRepository& users) {
  auto by = principal_of(info);
  const auto id = id_arg(args, "id");
  auto found = co_await accounts::get_user(database, users, std::move(by), id);
  co_return gql::Value(camelize(accounts::user_json(found.user, found.with_email)));
}

Awaitable resolve_users(const json::object& args, const gql::ResolveInfo& info, db::Database& database,
                        repo::UserRepository& users) {
  auto by = principal_of(info);
  std::string query = optional_string_arg(args, "query").value_or("");
  const auto first = optional_int_arg(args, "first", 1, 200).value_or(50);
  std::optional<std::int64_t> after;
  if (auto cursor = optional_string_arg(args, "after")) {
    auto parts = decode_cursor(*cursor, "user", 1);
    if (!parts) throw bad_input("\"after\" is not a cursor of this connection.");
    after = (*parts)[0];
  }
  auto page = co_await accounts::list_users(database, users, std::move(by), std::move(query), after,
                                            static_cast<int>(first));
  json::array edges;
  for (const auto& user : page.users) {
    edges.push_back(json::object{{"cursor", encode_cursor("user", user.id)},
                                 {"node", camelize(accounts::user_json(user, page.with_email))}});
  }
  co_return gql::Value(connection(std::move(edges), page.more, after.has_value()));
}

Awaitable resolve_conversation(const json::object& args, const gql::ResolveInfo& info,
                               messaging::Conversations& conversations) {
  auto by = principal_of(info);
  const auto id = id_arg(args, "id");
  if (info.selects_only({"id", "messages"})) {
    // Nothing of the summary is shown: the same permission check as get(), without loading it.
    // Conversation.messages reads only the id, and takes the access checked here.
    auto access = co_await conversations.check_visible(std::move(by), id);
    checked_conversations(info).prime(id, std::move(access));
    co_return gql::Value(json::object{{"id", id}});
  }
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
  messaging::MessageListing listing;
  if (const auto* access = checked_conversations(info).peek(*conversation_id))
    listing = co_await messages.list(std::move(by), *access, std::move(query));
  else
    listing = co_await messages.list(std::move(by), *conversation_id, std::move(query));
  const json::storage_ptr& storage = info.storage();
  json::array edges(storage);
  edges.reserve(listing.messages.size());
  for (const auto& view : listing.messages) {
    json::object edge(storage);
    edge.emplace("cursor", encode_cursor("message", view.message.id));
    edge.emplace("node", message_node(view, storage));
    edges.push_back(std::move(edge));
  }
  json::object page_info({{"hasNextPage", listing.has_newer}, {"hasPreviousPage", listing.has_older},
                          {"startCursor", nullptr}, {"endCursor", nullptr}}, storage);
  if (!edges.empty()) {
    page_info["startCursor"] = edges.front().as_object().at("cursor");
    page_info["endCursor"] = edges.back().as_object().at("cursor");
  }
  co_return gql::Value(json::object({{"edges", std::move(edges)}, {"pageInfo", std::move(page_info)}}, storage));
}

Awaitable resolve_message(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  const auto id = id_arg(args, "id");
  auto view = co_await messages.get(std::move(by), id);
  co_return message_value(view);
}

Awaitable resolve_search(const json::object& args, const gql::ResolveInfo& info, messaging::Messages& messages) {
  auto by = principal_of(info);
  co_await throttle(info, "search");
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
    results.push_back(json::object{{"message", message_node(r.view)},
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
  co_await throttle(info, "message_send");
  const auto& input = args.at("input").as_object();
  const auto conversation_id = id_arg(input, "conversationId");
  // Only the shape is read here; the rules are the action's (messaging::send_input_errors).
  messaging::SendInput send;
  auto body = optional_string_arg(input, "body");
  send.has_body = body.has_value();
  if (body) send.body = std::move(*body);
  send.parent_id = optional_id_arg(input, "parentId");
  send.client_msg_id = optional_string_arg(input, "clientMsgId");
  if (const auto* ids = input.if_contains("attachmentIds"); ids != nullptr && !ids->is_null()) {
    for (const auto& v : ids->as_array()) {
      auto id = parse_id(v);
      if (!id) co_return gql::Value(refused_payload({{"attachment_ids", {"Give attachment ids."}}}, input));
      send.attachment_ids.push_back(*id);
    }
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
  co_await throttle(info, "message_send");
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  std::string body(input.at("body").as_string());
  json::object payload;
  try {
    auto view = co_await messages.edit(std::move(by), id, std::move(body));
    payload = done_payload({{"message", message_node(view)}}, input);
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
  json::object payload;
  try {
    auto by = principal_of(info);
    co_await messages.react(by, id, std::move(emoji), add);
    auto view = co_await messages.get(std::move(by), id);
    payload = done_payload({{"message", message_node(view)}}, input);
  } catch (const AppError& e) {
    // The action refuses a bad emoji with a 400 without field errors (REST has it in the path).
    if (e.status() != 400) throw;
    payload = failed_payload(e, input, "emoji");
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

// ---- the other writes: each input goes through the same reader as the REST body ----

std::string snake_case(std::string_view camel) {
  std::string out;
  out.reserve(camel.size() + 4);
  for (char c : camel) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// An ID as REST's JSON has it: a number when it is one, else unchanged (the reader refuses it).
json::value rest_id(const json::value& value) {
  if (value.is_array()) {
    json::array out;
    for (const auto& item : value.as_array()) out.push_back(rest_id(item));
    return out;
  }
  auto id = parse_id(value);
  return id ? json::value(*id) : value;
}

// A mutation's input as the JSON body of its REST route, for the reader both APIs share: keys in
// snake_case, without clientMutationId and the fields in `skip` (REST's path parameters); the
// values of `ids` as numbers and of `enums` in lower case, as REST's JSON has them.
json::value rest_body(const json::object& input, std::initializer_list<std::string_view> skip,
                      std::initializer_list<std::string_view> ids = {},
                      std::initializer_list<std::string_view> enums = {}) {
  auto in = [](std::initializer_list<std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  json::object out;
  for (const auto& [key, value] : input) {
    if (key == "clientMutationId" || in(skip, key)) continue;
    json::value v = value;
    if (in(ids, key)) v = rest_id(value);
    if (in(enums, key) && value.is_string()) {
      std::string lower(value.as_string());
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      v = json::value(std::move(lower));
    }
    out[snake_case(key)] = std::move(v);
  }
  return out;
}

using Write = std::function<boost::asio::awaitable<json::object>()>;

// Runs `write` (the payload's own fields); a 400 it throws (a reader's or an action's field errors)
// becomes the payload's `errors`, every other error a GraphQL error.
Awaitable mutate(const json::object& input, Write write) {
  json::object payload;
  try {
    auto fields = co_await write();
    payload = done_payload(std::move(fields), input);
  } catch (const AppError& e) {
    if (e.status() != 400) throw;
    payload = failed_payload(e, input);
  }
  co_return gql::Value(std::move(payload));
}

template <class T>
T& service(T* service) {
  if (service == nullptr) throw AppError::unavailable("This operation is not available on this server.");
  return *service;
}

accounts::RequestMeta meta_of(const gql::ResolveInfo& info) {
  accounts::RequestMeta meta;
  if (auto* ctx = info.context<RequestContext>()) meta.ip = ctx->client_ip;
  meta.user_agent = "graphql";
  return meta;
}

json::value conversation_value(const repo::ConversationSummary& summary) {
  return camelize(messaging::conversation_json(summary));
}

// A member as REST's member list shows them: the user without their email.
json::object member_value(const messaging::MemberView& view) {
  return json::object{{"user", camelize(accounts::user_json(view.user, false))},
                      {"role", view.member.role},
                      {"joinedAt", view.member.joined_at}};
}

json::value nullable(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

json::value nullable_id(const std::optional<std::int64_t>& id) {
  return id ? json::value(std::to_string(*id)) : json::value(nullptr);
}

json::object token_value(const accounts::PersonalToken& token) {
  json::array scopes;
  for (const auto& scope : token.scopes) scopes.emplace_back(scope);
  return json::object{{"id", std::to_string(token.id)},  {"name", token.name},
                      {"prefix", token.token_prefix},     {"scopes", std::move(scopes)},
                      {"createdAt", token.created_at},    {"lastUsedAt", nullable(token.last_used_at)},
                      {"expiresAt", nullable(token.expires_at)}};
}

json::object incoming_webhook_value(const repo::IncomingWebhook& hook) {
  return json::object{{"id", std::to_string(hook.id)},
                      {"conversationId", std::to_string(hook.conversation_id)},
                      {"name", hook.name},
                      {"bot", json::object{{"id", std::to_string(hook.bot_user_id)},
                                           {"username", hook.bot_username},
                                           {"displayName", hook.bot_display_name}}},
                      {"createdBy", nullable_id(hook.created_by)},
                      {"createdAt", hook.created_at}};
}

json::object webhook_value(const repo::Webhook& hook) {
  boost::system::error_code ec;
  auto events = json::parse(hook.events_json, ec);
  return json::object{{"id", std::to_string(hook.id)},
                      {"url", hook.url},
                      {"events", ec ? json::value(json::array()) : std::move(events)},
                      {"conversationId", nullable_id(hook.conversation_id)},
                      {"description", hook.description},
                      {"isActive", hook.is_active},
                      {"failingSince", nullable(hook.failing_since)},
                      {"disabledReason", nullable(hook.disabled_reason)},
                      {"createdAt", hook.created_at},
                      {"updatedAt", hook.updated_at}};
}

struct Actions {
  db::Database& database;
  repo::UserRepository& users;
  messaging::Conversations& conversations;
  Services services;
};

Awaitable create_conversation(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto fresh = messaging::read_new_conversation(rest_body(input, {}, {"memberIds"}, {"kind", "visibility"}));
    auto created = co_await a.conversations.create(by, std::move(fresh));
    co_return json::object{{"conversation", conversation_value(created.conversation)}, {"created", created.created}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable update_conversation(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto update = messaging::read_conversation_update(rest_body(input, {"id"}));
    auto summary = co_await a.conversations.update(by, id, std::move(update));
    co_return json::object{{"conversation", conversation_value(summary)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable archive_conversation(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    co_await a.conversations.archive(by, id);
    co_return json::object{{"archivedConversationId", std::to_string(id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable join_conversation(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto summary = co_await a.conversations.join(by, id);
    co_return json::object{{"conversation", conversation_value(summary)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable leave_conversation(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    co_await a.conversations.leave(by, id);
    co_return json::object{{"leftConversationId", std::to_string(id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable add_members(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "conversationId");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto adding = messaging::read_members_to_add(rest_body(input, {"conversationId"}, {"userIds"}, {"role"}));
    auto added = co_await a.conversations.add_members(by, id, std::move(adding.user_ids), std::move(adding.role));
    json::array members;
    for (const auto& m : added) members.push_back(member_value(m));
    co_return json::object{{"members", std::move(members)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable change_member_role(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "conversationId");
  const auto user_id = id_arg(input, "userId");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto role = messaging::read_member_role(rest_body(input, {"conversationId", "userId"}, {}, {"role"}));
    auto member = co_await a.conversations.set_member_role(by, id, user_id, std::move(role));
    co_return json::object{{"member", member_value(member)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable remove_member(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "conversationId");
  const auto user_id = id_arg(input, "userId");
  const auto* ban = input.if_contains("ban");
  const bool banned = ban != nullptr && ban->is_bool() && ban->as_bool();
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    co_await a.conversations.remove_member(by, id, user_id, banned);
    co_return json::object{{"removedUserId", std::to_string(user_id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

// updateProfile and changePassword: PATCH /api/v1/users/me's reader and action.
Awaitable update_profile(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  auto meta = meta_of(info);
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto change = accounts::read_profile_change(rest_body(input, {}));
    auto& account_actions = service(a.services.accounts);
    auto user = co_await account_actions.do_update_profile(by.user_id, std::move(change), std::move(meta));
    co_return json::object{{"user", camelize(accounts::user_json(user, true))}};
  };
  co_return co_await mutate(input, std::move(write));
}

// PATCH /api/v1/users/me/settings's reader and write.
Awaitable update_settings(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto update = accounts::read_settings_update(rest_body(input, {}));
    auto settings = co_await a.users.update_settings(a.database, by.user_id, update);
    co_return json::object{{"settings", camelize(accounts::settings_json(settings))}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable create_personal_token(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  auto meta = meta_of(info);
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto token = accounts::read_new_token(rest_body(input, {}));
    auto& tokens = service(a.services.personal_tokens);
    auto created = co_await tokens.do_create_token(by, std::move(token), std::move(meta));
    co_return json::object{{"personalToken", token_value(created.token)}, {"token", created.secret}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable revoke_personal_token(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  auto meta = meta_of(info);
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto& tokens = service(a.services.personal_tokens);
    co_await tokens.do_revoke_token(by, id, std::move(meta));
    co_return json::object{{"revokedTokenId", std::to_string(id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable create_incoming_webhook(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "conversationId");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto name = messaging::read_incoming_webhook_name(rest_body(input, {"conversationId"}));
    auto& hooks = service(a.services.incoming_webhooks);
    auto created = co_await hooks.do_create(by, id, std::move(name));
    // The token is the credential, shown this once; the URL is on PARLEY_PUBLIC_URL.
    co_return json::object{{"incomingWebhook", incoming_webhook_value(created.hook)},
                           {"token", created.token},
                           {"url", a.services.public_url + "/hooks/" + created.token}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable revoke_incoming_webhook(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto conversation_id = id_arg(input, "conversationId");
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto& hooks = service(a.services.incoming_webhooks);
    co_await hooks.do_revoke(by, conversation_id, id);
    co_return json::object{{"revokedIncomingWebhookId", std::to_string(id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable create_webhook(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto fresh = webhooks::read_webhook_input(rest_body(input, {}, {"conversationId"}));
    auto& hooks = service(a.services.webhooks);
    auto created = co_await hooks.do_create(by, std::move(fresh));
    co_return json::object{{"webhook", webhook_value(created.webhook)}, {"secret", nullable(created.secret)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable update_webhook(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto patch = webhooks::read_webhook_patch(rest_body(input, {"id"}, {"conversationId"}));
    auto& hooks = service(a.services.webhooks);
    auto updated = co_await hooks.do_update(by, id, std::move(patch));
    co_return json::object{{"webhook", webhook_value(updated.webhook)}, {"secret", nullable(updated.secret)}};
  };
  co_return co_await mutate(input, std::move(write));
}

Awaitable delete_webhook(const json::object& args, const gql::ResolveInfo& info, Actions& a) {
  auto by = principal_of(info);
  const auto& input = args.at("input").as_object();
  const auto id = id_arg(input, "id");
  Write write = [&]() -> boost::asio::awaitable<json::object> {
    auto& hooks = service(a.services.webhooks);
    co_await hooks.do_delete(by, id);
    co_return json::object{{"deletedWebhookId", std::to_string(id)}};
  };
  co_return co_await mutate(input, std::move(write));
}

// DateTime: RFC 3339 text out as the actions give it; in, any RFC 3339 time (or date), normalized.
gql::ScalarHooks date_time_hooks() {
  gql::ScalarHooks hooks;
  hooks.serialize = [](const json::value& v) -> std::optional<json::value> {
    if (!v.is_string()) return std::nullopt;
    return v;
  };
  hooks.serialized_as_is = json::kind::string;  // resolvers hand out RFC 3339 strings
  hooks.parse = [](const json::value& v) -> std::optional<json::value> {
    if (!v.is_string()) return std::nullopt;
    auto time = parse_rfc3339(v.as_string());
    if (!time) return std::nullopt;
    return json::value(format_rfc3339(*time));
  };
  return hooks;
}

}  // namespace

std::string sdl() { return std::string(kSdl) + std::string(subscription_sdl()); }

std::string camel_case(std::string_view snake) {
  std::string out;
  out.reserve(snake.size());
  core::append_camel_case(out, snake);
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
  auto schema = gql::build_schema_or_throw(sdl());
  schema->scalar("DateTime", date_time_hooks());
  auto& database = services.database;
  auto& users = services.users;
  auto& conversations = services.conversations;
  auto& messages = services.messages;

  schema->resolve("Query", "me", [&database, &users](const gql::Value&, const json::object&,
                                                      const gql::ResolveInfo& info) {
    return resolve_me(info, database, users);
  });
  schema->resolve("Query", "user", [&database, &users](const gql::Value&, const json::object& args,
                                                        const gql::ResolveInfo& info) {
    return resolve_user(args, info, database, users);
  });
  schema->resolve("Query", "users", [&database, &users](const gql::Value&, const json::object& args,
                                                         const gql::ResolveInfo& info) {
    return resolve_users(args, info, database, users);
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
  // The other writes share one Actions, owned by the schema's resolvers.
  auto actions = std::make_shared<Actions>(Actions{database, users, conversations, services});
  using Resolver = Awaitable (*)(const json::object&, const gql::ResolveInfo&, Actions&);
  const std::pair<const char*, Resolver> writes[] = {
      {"createConversation", create_conversation},
      {"updateConversation", update_conversation},
      {"archiveConversation", archive_conversation},
      {"joinConversation", join_conversation},
      {"leaveConversation", leave_conversation},
      {"addMembers", add_members},
      {"changeMemberRole", change_member_role},
      {"removeMember", remove_member},
      {"updateProfile", update_profile},
      {"changePassword", update_profile},
      {"updateSettings", update_settings},
      {"createPersonalToken", create_personal_token},
      {"revokePersonalToken", revoke_personal_token},
      {"createIncomingWebhook", create_incoming_webhook},
      {"revokeIncomingWebhook", revoke_incoming_webhook},
      {"createWebhook", create_webhook},
      {"updateWebhook", update_webhook},
      {"deleteWebhook", delete_webhook},
  };
  for (const auto& [name, resolver] : writes) {
    schema->resolve("Mutation", name, [actions, resolver](const gql::Value&, const json::object& args,
                                                          const gql::ResolveInfo& info) {
      return resolver(args, info, *actions);
    });
  }
  wire_subscriptions(*schema, services.hub, conversations);
  return schema;
}

}  // namespace parley::api::graphql
