// Conversation routes (docs/api.md "Conversations"): list, create, browse, join/leave, rename/archive,
// members, read markers and unread counts. Handlers validate input, call one Conversations action
// and serialize its result; the rules live in messaging/access.hpp.
#include "accounts/permissions.hpp"
#include "accounts/user_json.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/error.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"
#include "messaging/conversation_input.hpp"
#include "messaging/input_rules.hpp"
#include "messaging/views.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
namespace repo = db::repositories;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using messaging::conversation_json;
using messaging::conversation_schema;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

constexpr std::string_view kBase = "/api/v1/conversations";

// Cursors are opaque to clients: "<a>.<b>" of two non-negative integers, or "<hex>.<b>" for a
// channel name. Anything else is a 400 on `cursor`.
std::pair<std::string_view, std::int64_t> split_cursor(std::string_view cursor) {
  auto dot = cursor.rfind('.');
  std::int64_t second = 0;
  if (dot == std::string_view::npos || dot + 1 >= cursor.size()) throw query_error("cursor", "Invalid cursor.");
  auto tail = cursor.substr(dot + 1);
  auto [ptr, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), second);
  if (ec != std::errc() || ptr != tail.data() + tail.size() || second < 0)
    throw query_error("cursor", "Invalid cursor.");
  return {cursor.substr(0, dot), second};
}

std::optional<repo::ConversationCursor> activity_cursor(std::string_view query) {
  auto raw = query_param(query, "cursor");
  if (!raw) return std::nullopt;
  auto [head, id] = split_cursor(*raw);
  std::int64_t activity = 0;
  auto [ptr, ec] = std::from_chars(head.data(), head.data() + head.size(), activity);
  if (ec != std::errc() || ptr != head.data() + head.size() || activity < 0)
    throw query_error("cursor", "Invalid cursor.");
  return repo::ConversationCursor{activity, id};
}

std::string hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char c : text) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<repo::ChannelCursor> channel_cursor(std::string_view query) {
  auto raw = query_param(query, "cursor");
  if (!raw) return std::nullopt;
  auto [head, id] = split_cursor(*raw);
  if (head.size() % 2 != 0 || head.size() > 2 * messaging::kMaxConversationName * 4) {
    throw query_error("cursor", "Invalid cursor.");
  }
  std::string name;
  for (std::size_t i = 0; i < head.size(); i += 2) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(head.data() + i, head.data() + i + 2, value, 16);
    if (ec != std::errc() || ptr != head.data() + i + 2) throw query_error("cursor", "Invalid cursor.");
    name.push_back(static_cast<char>(value));
  }
  return repo::ChannelCursor{std::move(name), id};
}

std::int64_t page_limit(std::string_view query) {
  return query_int(query, "limit", {.min = 1, .max = kMaxPageLimit}).value_or(kDefaultPageLimit);
}

// `q`: an optional search text of at most 80 characters.
std::string search_text(std::string_view query) {
  auto q = query_param(query, "q").value_or("");
  if (messaging::code_points(q) > messaging::kMaxConversationName) throw query_error("q", "Use at most 80 characters.");
  return q;
}

json::object member_json(const messaging::MemberView& view) {
  return json::object{{"user", accounts::user_json(view.user, false)},
                      {"role", view.member.role},
                      {"joined_at", view.member.joined_at}};
}

json::value member_schema() {
  return schema::object({{"user", accounts::user_schema(accounts::EmailField::never)},
                         {"role", schema::string()},
                         {"joined_at", schema::string("date-time")}});
}

json::object unread_json(const repo::UnreadCount& c) {
  return json::object{{"id", c.conversation_id}, {"unread_count", c.unread_count}, {"mention_count", c.mention_count}};
}

json::value unread_schema() {
  return schema::object(
      {{"id", schema::integer()}, {"unread_count", schema::integer()}, {"mention_count", schema::integer()}});
}

std::vector<http::ResponseDoc> conversation_response(int status, std::string description) {
  return {{status, std::move(description), conversation_schema()}};
}

}  // namespace

void add_conversation_routes(http::Router& router, messaging::Conversations& conversations) {
  const std::vector<http::Permission> member_only{accounts::authenticated()};

  router.add(
      Method::get, "/api/v1/conversations",
      [&conversations](Request& req) -> Awaitable {
        auto q = req.query();
        auto kind = query_choice(q, "kind", {"direct", "group", "channel"});
        auto text = search_text(q);
        auto after = activity_cursor(q);
        auto limit = page_limit(q);
        auto by = *req.principal;
        auto page = co_await conversations.list(std::move(by), kind, text, after, static_cast<int>(limit));
        json::array results;
        for (const auto& s : page.conversations) results.push_back(conversation_json(s));
        json::value next = nullptr;
        if (page.more) {
          const auto& last = page.conversations.back();
          std::string url = std::string(kBase) + "?cursor=" + std::to_string(last.activity_id) + "." +
                            std::to_string(last.conversation.id) + "&limit=" + std::to_string(limit);
          append_param(url, "kind", kind);
          if (!text.empty()) append_param(url, "q", text);
          next = url;
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "My conversations, most recently active first, with unread counts and the last message; "
                          "?kind=direct|group|channel, ?q= (name contains), ?cursor=, ?limit=",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .query = query_doc::page({query_doc::choice("kind", {"direct", "group", "channel"}, "Only this kind"),
                                         query_doc::text("q", "Part of the name (at most 80 characters)")}),
               .responses = {{200, "A page of conversations", page_schema(conversation_schema())}},
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::post, "/api/v1/conversations",
      [&conversations](Request& req) -> Awaitable {
        auto input = messaging::read_new_conversation(parse_json_body(req.body()));
        auto by = *req.principal;
        auto created = co_await conversations.create(std::move(by), std::move(input));
        co_return Response::json(conversation_json(created.conversation), created.created ? 201 : 200);
      },
      RouteDoc{.summary = "Start a conversation: kind direct (member_ids: the other user; creating it again returns "
                          "the existing one with 200), group (private) or channel (name required, public by default)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"kind", schema::string()},
                                                 {"name", schema::string()},
                                                 {"topic", schema::string()},
                                                 {"visibility", schema::string()},
                                                 {"member_ids", schema::array(schema::integer())}},
                                                {"kind"}),
               .responses = {{201, "Created", conversation_schema()},
                             {200, "The existing direct conversation of the pair", conversation_schema()}},
               .permissions = member_only,
               .analytics_event = "conversation_created"});

  router.add(
      Method::get, "/api/v1/conversations/browse",
      [&conversations](Request& req) -> Awaitable {
        auto q = req.query();
        auto text = search_text(q);
        auto after = channel_cursor(q);
        auto limit = page_limit(q);
        auto by = *req.principal;
        auto page = co_await conversations.browse(std::move(by), text, after, static_cast<int>(limit));
        json::array results;
        for (const auto& channel : page.channels) {
          repo::ConversationSummary summary{.conversation = channel.conversation, .member_count = channel.member_count};
          results.push_back(conversation_json(summary));
        }
        json::value next = nullptr;
        if (page.more) {
          const auto& last = page.channels.back().conversation;
          std::string url = std::string(kBase) + "/browse?cursor=" + hex(last.name.value_or("")) + "." +
                            std::to_string(last.id) + "&limit=" + std::to_string(limit);
          if (!text.empty()) append_param(url, "q", text);
          next = url;
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Public channels I can join (not archived, not banned from), by name; ?q= filters by name",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .query = query_doc::page({query_doc::text("q", "Part of the name (at most 80 characters)")}),
               .responses = {{200, "A page of channels", page_schema(conversation_schema())}},
               .consumes = {},
               .permissions = {accounts::not_guest()}});

  router.add(
      Method::get, "/api/v1/conversations/{id:int}",
      [&conversations](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto summary = co_await conversations.get(std::move(by), req.int_param("id"));
        co_return Response::json(conversation_json(summary));
      },
      RouteDoc{.summary = "One conversation (members; anyone but guests for public channels)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = conversation_response(200, "The conversation"),
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::patch, "/api/v1/conversations/{id:int}",
      [&conversations](Request& req) -> Awaitable {
        auto update = messaging::read_conversation_update(parse_json_body(req.body()));
        auto by = *req.principal;
        auto summary = co_await conversations.update(std::move(by), req.int_param("id"), std::move(update));
        co_return Response::json(conversation_json(summary));
      },
      RouteDoc{.summary = "Rename or change the topic (owner or admin of the conversation)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"name", schema::string()}, {"topic", schema::string()}}),
               .responses = conversation_response(200, "The updated conversation"),
               .permissions = member_only});

  router.add(
      Method::del, "/api/v1/conversations/{id:int}",
      [&conversations](Request& req) -> Awaitable {
        auto by = *req.principal;
        co_await conversations.archive(std::move(by), req.int_param("id"));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Archive (owner or admin): the conversation becomes read-only and leaves browse; "
                          "nothing is deleted",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = {{204, "Archived", json::value()}},
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/join",
      [&conversations](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto summary = co_await conversations.join(std::move(by), req.int_param("id"));
        co_return Response::json(conversation_json(summary));
      },
      RouteDoc{.summary = "Join a public channel (idempotent)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = conversation_response(200, "The conversation, now with my_role"),
               .consumes = {},
               // Guests are refused by Conversations::join (403), for GraphQL too.
               .permissions = {accounts::authenticated()}});

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/leave",
      [&conversations](Request& req) -> Awaitable {
        auto by = *req.principal;
        co_await conversations.leave(std::move(by), req.int_param("id"));
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Leave a group or channel (direct conversations cannot be left)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = {{204, "Left", json::value()}},
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::get, "/api/v1/conversations/{id:int}/members",
      [&conversations](Request& req) -> Awaitable {
        auto q = req.query();
        auto after = query_int(q, "cursor", {.min = 0});
        auto limit = page_limit(q);
        auto by = *req.principal;
        const auto id = req.int_param("id");
        auto page = co_await conversations.members(std::move(by), id, after, static_cast<int>(limit));
        json::array results;
        for (const auto& m : page.members) results.push_back(member_json(m));
        json::value next = nullptr;
        if (page.more) {
          next = std::string(kBase) + "/" + std::to_string(id) +
                 "/members?cursor=" + std::to_string(page.members.back().user.id) + "&limit=" + std::to_string(limit);
        }
        co_return Response::json(json::object{{"results", std::move(results)}, {"next", next}, {"previous", nullptr}});
      },
      RouteDoc{.summary = "Members (not banned), by user id",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .query = query_doc::page(),
               .responses = {{200, "A page of members", page_schema(member_schema())}},
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/members",
      [&conversations](Request& req) -> Awaitable {
        auto adding = messaging::read_members_to_add(parse_json_body(req.body()));
        auto by = *req.principal;
        auto added = co_await conversations.add_members(std::move(by), req.int_param("id"), std::move(adding.user_ids),
                                                        std::move(adding.role));
        json::array results;
        for (const auto& m : added) results.push_back(member_json(m));
        co_return Response::json(json::object{{"results", std::move(results)}});
      },
      RouteDoc{.summary = "Add members (idempotent; the result lists who was newly added). Any member adds to groups "
                          "and public channels; owners and admins to private channels and as admins",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .request_schema = schema::object(
                   {{"user_ids", schema::array(schema::integer())}, {"role", schema::string()}}, {"user_ids"}),
               .responses = {{200, "The members added", schema::object({{"results", schema::array(member_schema())}})}},
               .permissions = {accounts::not_guest()}});

  router.add(
      Method::patch, "/api/v1/conversations/{id:int}/members/{user_id:int}",
      [&conversations](Request& req) -> Awaitable {
        auto role = messaging::read_member_role(parse_json_body(req.body()));
        auto by = *req.principal;
        auto member =
            co_await conversations.set_member_role(std::move(by), req.int_param("id"), req.int_param("user_id"), role);
        co_return Response::json(member_json(member));
      },
      RouteDoc{.summary = "Change a member's role (owner or admin; only owners grant or take ownership)",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"role", schema::string()}}, {"role"}),
               .responses = {{200, "The member", member_schema()}},
               .permissions = member_only});

  router.add(
      Method::del, "/api/v1/conversations/{id:int}/members/{user_id:int}",
      [&conversations](Request& req) -> Awaitable {
        auto ban = query_choice(req.query(), "ban", {"true", "false"});
        auto by = *req.principal;
        co_await conversations.remove_member(std::move(by), req.int_param("id"), req.int_param("user_id"),
                                             ban && *ban == "true");
        co_return Response::no_content();
      },
      RouteDoc{.summary = "Remove a member (owner or admin; yourself: leave), or ban with ?ban=true. Removing a "
                          "banned user lifts the ban",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .query = {query_doc::choice("ban", {"true", "false"}, "Also ban: the user cannot join again")},
               .responses = {{204, "Removed", json::value()}},
               .consumes = {},
               .permissions = member_only});

  router.add(
      Method::post, "/api/v1/conversations/{id:int}/read",
      [&conversations](Request& req) -> Awaitable {
        auto body = parse_json_body(req.body());
        ObjectReader in(body);
        auto up_to = in.integer("up_to_message_id", {.required = true, .min = 1});
        in.finish();
        auto by = *req.principal;
        auto counts = co_await conversations.mark_read(std::move(by), req.int_param("id"), *up_to);
        co_return Response::json(unread_json(counts));
      },
      RouteDoc{.summary = "Mark read up to a message (the marker never moves back); emits read.updated to my "
                          "other devices",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .request_schema = schema::object({{"up_to_message_id", schema::integer()}}, {"up_to_message_id"}),
               .responses = {{200, "My counts in this conversation afterwards", unread_schema()}},
               .permissions = member_only});

  router.add(
      Method::get, "/api/v1/unread",
      [&conversations](Request& req) -> Awaitable {
        auto by = *req.principal;
        auto counts = co_await conversations.unread(std::move(by));
        std::int64_t total = 0, mentions = 0;
        json::array list;
        for (const auto& c : counts) {
          total += c.unread_count;
          mentions += c.mention_count;
          list.push_back(unread_json(c));
        }
        co_return Response::json(
            json::object{{"total", total}, {"mention_total", mentions}, {"conversations", std::move(list)}});
      },
      RouteDoc{.summary = "Unread and mention counts of every conversation with something unread",
               .tags = {"conversations"},
               .auth = http::Auth::user,
               .responses = {{200, "Counts",
                              schema::object({{"total", schema::integer()},
                                              {"mention_total", schema::integer()},
                                              {"conversations", schema::array(unread_schema())}})}},
               .consumes = {},
               .permissions = member_only});
}

}  // namespace parley
